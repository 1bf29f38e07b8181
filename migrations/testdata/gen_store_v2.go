//go:build ignore

// gen_store_v2 writes testdata/store_v2.db: the schema-1 store of
// gen_store_v1.go taken to schema 2 by the blob-buckets step alone, as a
// tracker released between those two schemas left it. Run from the
// repository root after gen_store_v1.go:
//
//	go run ./migrations/testdata/gen_store_v2.go
package main

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/migrations"
)

func main() {
	if err := run("migrations/testdata/store_v1.db", "migrations/testdata/store_v2.db"); err != nil {
		fmt.Fprintln(os.Stderr, "gen_store_v2:", err)
		os.Exit(1)
	}
}

func run(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return err
	}
	db, err := bolt.Open(to, 0o644, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, m := range migrations.All {
		if m.From == 1 && m.To == 2 {
			return migrations.Run(db, m)
		}
	}
	return fmt.Errorf("no step from schema 1 to 2")
}
