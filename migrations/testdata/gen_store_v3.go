//go:build ignore

// gen_store_v3 writes testdata/store_v3.db: the schema-2 store of
// gen_store_v2.go taken to schema 3 by the parts step alone, as a tracker
// released between those two schemas left it. Run from the repository
// root after gen_store_v2.go:
//
//	go run ./migrations/testdata/gen_store_v3.go
package main

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/migrations"
)

func main() {
	if err := run("migrations/testdata/store_v2.db", "migrations/testdata/store_v3.db"); err != nil {
		fmt.Fprintln(os.Stderr, "gen_store_v3:", err)
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
		if m.From == 2 && m.To == 3 {
			return migrations.Run(db, m)
		}
	}
	return fmt.Errorf("no step from schema 2 to 3")
}
