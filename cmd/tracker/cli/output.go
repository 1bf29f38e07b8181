package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

// Output formats.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatJSON  = "json"
)

// pickFormat checks --format against the command's choices. With no flag,
// a terminal gets a table and a pipe gets CSV.
func pickFormat(flag string, tty bool, allowed ...string) (string, error) {
	if flag == "" {
		if tty || !slices.Contains(allowed, formatCSV) {
			return formatTable, nil
		}
		return formatCSV, nil
	}
	if !slices.Contains(allowed, flag) {
		return "", usagef("--format %q: choose one of %s", flag, strings.Join(allowed, ", "))
	}
	return flag, nil
}

// writeTable writes t aligned for people or as CSV, as format says.
func writeTable(w io.Writer, t *table.Table, format string) error {
	if format == formatCSV {
		return t.WriteCSV(w)
	}
	return t.WriteText(w)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "KS >= 0.1", not "KS \u003e= 0.1": the output is read, not embedded in HTML
	return enc.Encode(v)
}

// num32 prints a value with the fewest digits that read back as the same
// float32: the precision the weights have, without float64 noise.
func num32(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 32)
}

// roundTrip32 rounds to float32, so JSON prints the same digits as CSV.
func roundTrip32(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, _ := strconv.ParseFloat(num32(v), 64)
	return f
}

// signed32 is num32 with a + on positive changes.
func signed32(v float64) string {
	s := num32(v)
	if v > 0 {
		s = "+" + s
	}
	return s
}

// optInt prints an optional integer; signed adds + to positive ones.
func optInt(v *int, signed bool) string {
	if v == nil {
		return ""
	}
	if signed && *v > 0 {
		return "+" + strconv.Itoa(*v)
	}
	return strconv.Itoa(*v)
}

// describeParams is a run's settings in one line, data and seed included
// when the method used data.
func describeParams(e *tracker.Experiment) string {
	keys := slices.Sorted(maps.Keys(e.Params))
	parts := make([]string, 0, len(keys)+2)
	for _, k := range keys {
		parts = append(parts, k+"="+e.Params[k])
	}
	if e.DataSHA256 != "" {
		parts = append(parts, fmt.Sprintf("seed=%d", e.Seed), fmt.Sprintf("data=%d rows sha256:%.12s", e.DataRows, e.DataSHA256))
	}
	return strings.Join(parts, " ")
}
