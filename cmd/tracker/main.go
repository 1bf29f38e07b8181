// Command tracker records every weekly version of a Keras model in one
// embedded database and measures which input features each version uses.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tracker-ml/tracker/cmd/tracker/cli"
)

func main() {
	// A tracker process is short and its heap small next to the machine:
	// collecting less often saves a query a tenth of its time. GOGC in the
	// environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
