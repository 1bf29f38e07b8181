// Command tracker records every weekly version of a Keras model in one
// embedded database and measures which input features each version uses.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tracker-ml/tracker/cmd/tracker/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
