package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/tracker-ml/tracker"

// allowed lists, per package, the project packages it may import (directly
// or not). Keeping imports one-way keeps packages small and testable.
var allowed = map[string][]string{
	"snapshot":                {"internal/quote"},
	"snapshot/keras":          {"snapshot", "internal/quote", "internal/safefile"},
	"tracker":                 {"snapshot", "migrations", "internal/quote", "internal/safefile", "internal/fact"},
	"experiments":             {"snapshot", "experiments/nn", "experiments/dataset", "internal/quote", "internal/safefile", "internal/bug", "internal/fact"},
	"experiments/nn":          {"snapshot", "internal/quote", "internal/bug"},
	"experiments/dataset":     {"internal/quote", "internal/safefile"},
	"snapshot/snapshottest":   {"snapshot", "internal/quote"},
	"plotting":                {},
	"plotting/report":         {},
	"migrations":              {},
	"internal/fixtures":       {},
	"internal/npy":            {},
	"internal/runs":           {"tracker", "snapshot", "migrations", "experiments", "experiments/nn", "experiments/dataset", "experiments/profile", "experiments/dropretrain", "internal/quote", "internal/safefile", "internal/bug", "internal/fact", "internal/table", "internal/weekpath"},
	"internal/retrain":        {"tracker", "snapshot", "migrations", "experiments", "experiments/nn", "experiments/dataset", "experiments/profile", "experiments/quality", "experiments/compare", "experiments/weightdiff", "experiments/dropretrain", "internal/runs", "internal/quote", "internal/safefile", "internal/bug", "internal/fact", "internal/table", "internal/weekpath"},
	"internal/demo":           {"snapshot", "snapshot/keras", "experiments/nn", "internal/quote", "internal/safefile", "internal/bug"},
	"experiments/dropretrain": {"snapshot", "experiments", "experiments/nn", "experiments/dataset", "internal/quote", "internal/safefile", "internal/bug", "internal/fact", "internal/table"},
	"experiments/compare":     {"experiments", "snapshot", "experiments/nn", "experiments/dataset", "internal/quote", "internal/safefile", "internal/bug", "internal/fact"},
	"experiments/quality":     {"internal/fact"},
	"experiments/profile":     {"experiments/dataset", "internal/quote", "internal/safefile", "internal/fact", "internal/bug"},
	"experiments/weightdiff":  {"snapshot", "experiments/nn", "internal/quote", "internal/fact", "internal/bug"},
	// Leaves every package may use: short quoting of user input in
	// messages, reading outside files with a size cap and writing outputs
	// whole, errors that state facts and match a sentinel, the one report
	// of a recovered panic, tables and formula-safe CSV, the week in a
	// folder name.
	"internal/quote":    {},
	"internal/safefile": {},
	"internal/fact":     {},
	"internal/bug":      {},
	"internal/table":    {},
	"internal/weekpath": {},
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Skipf("skipped: go list failed (%v); the go tool is needed for this check", err)
	}
	return strings.Fields(string(out))
}

func TestPackagesImportOneWay(t *testing.T) {
	for pkg, ok := range allowed {
		deps := goList(t, "-deps", "-f", "{{.ImportPath}}", module+"/"+pkg)
		for _, d := range deps {
			rel, mine := strings.CutPrefix(d, module+"/")
			if !mine || rel == pkg {
				continue
			}
			if !slices.Contains(ok, rel) {
				t.Errorf("%s imports %s; it may import only %v", pkg, rel, ok)
			}
		}
	}
}

// TestEveryPackageHasImportRules keeps a new package from escaping the
// check above: every package but the commands and the benchmark tools
// must say what it may import.
func TestEveryPackageHasImportRules(t *testing.T) {
	for _, pkg := range goList(t, module+"/...") {
		rel := strings.TrimPrefix(pkg, module+"/")
		if strings.HasPrefix(rel, "cmd/") || strings.HasPrefix(rel, "bench/") || rel == module {
			continue
		}
		if _, ok := allowed[rel]; !ok {
			t.Errorf("%s has no entry in allowed: list the project packages it may import", rel)
		}
	}
}

// cgoAllowed lists the packages that may use cgo: the HDF5 attribute
// helpers, and the one file that links OpenBLAS for the engine.
var cgoAllowed = []string{module + "/snapshot/keras", module + "/experiments/nn"}

func TestOnlyTwoPackagesUseCgo(t *testing.T) {
	for _, line := range goList(t, "-f", "{{.ImportPath}}:{{len .CgoFiles}}", module+"/...") {
		pkg, n, _ := strings.Cut(line, ":")
		if n != "0" && !slices.Contains(cgoAllowed, pkg) {
			t.Errorf("%s has cgo files; keep cgo in %v", pkg, cgoAllowed)
		}
	}
}
