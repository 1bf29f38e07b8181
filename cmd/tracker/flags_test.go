package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// domainDirs are the packages below the CLI, with every package under
// them. They state facts in their messages; only cmd/tracker/cli knows the
// flags, so renaming one touches the CLI alone.
var domainDirs = []string{"tracker", "snapshot", "experiments", "plotting", "migrations", "internal"}

// scripts are files whose strings are tracker command lines shown to the
// user as typed, like the README's: the demo's tour names flags by design.
var scripts = []string{"internal/demo/tour.go"}

// flagLike is a CLI flag in text: two dashes and a letter, then the rest
// of the flag's name for the report.
var flagLike = regexp.MustCompile(`--[A-Za-z][A-Za-z0-9-]*`)

func TestDomainPackagesNameNoFlag(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	files := 0
	for _, dir := range domainDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" {
					return filepath.SkipDir // fixtures and the programs that made them
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			if rel, _ := filepath.Rel(root, path); slices.Contains(scripts, filepath.ToSlash(rel)) {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files++
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					s = lit.Value
				}
				if m := flagLike.FindString(s); m != "" {
					rel, _ := filepath.Rel(root, fset.Position(lit.Pos()).Filename)
					t.Errorf("%s:%d: %s names the flag %s: state the facts, and let cmd/tracker/cli/errors.go add the hint",
						filepath.ToSlash(rel), fset.Position(lit.Pos()).Line, shorten(lit.Value), m)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 50 {
		t.Fatalf("read only %d files under %v: is the module root %s?", files, domainDirs, root)
	}
}

// shorten keeps a long literal readable in a failure.
func shorten(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
}
