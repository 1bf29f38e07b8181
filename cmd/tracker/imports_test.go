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
	"tracker":                 {"snapshot", "migrations", "internal/quote", "internal/safefile"},
	"experiments":             {"snapshot", "experiments/nn", "experiments/dataset", "internal/quote", "internal/safefile", "internal/bug"},
	"experiments/nn":          {"snapshot", "internal/quote", "internal/bug"},
	"experiments/dataset":     {"internal/quote", "internal/safefile"},
	"snapshot/snapshottest":   {"snapshot", "internal/quote"},
	"plotting":                {},
	"plotting/report":         {},
	"internal/table":          {},
	"internal/bug":            {},
	"internal/weekpath":       {},
	"migrations":              {},
	"internal/fixtures":       {},
	"internal/runs":           {"tracker", "snapshot", "migrations", "experiments", "experiments/nn", "experiments/dataset", "experiments/dropretrain", "internal/quote", "internal/safefile", "internal/bug"},
	"internal/demo":           {"snapshot", "snapshot/keras", "experiments/nn", "internal/quote", "internal/safefile", "internal/bug"},
	"experiments/dropretrain": {"snapshot", "experiments", "experiments/nn", "experiments/dataset", "internal/quote", "internal/safefile", "internal/bug"},
	"experiments/compare":     {"experiments", "snapshot", "experiments/nn", "experiments/dataset", "internal/quote", "internal/safefile", "internal/bug"},
	// Leaves every package may use: short quoting of user input in
	// messages, and reading outside files with a size cap.
	"internal/quote":    {},
	"internal/safefile": {},
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
