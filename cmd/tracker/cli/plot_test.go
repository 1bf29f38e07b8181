package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotCommandsWriteCharts(t *testing.T) {
	db := queryStore(t, 6)
	dir := t.TempDir()
	for _, c := range [][]string{
		{"plot", "trajectory", "2", "--normalize", "--out", "traj.png"},
		{"plot", "trajectory", "income", "--experiment", "perturb", "--out", "traj.svg"},
		{"plot", "compare", "2019-01-14", "2019-02-18", "--experiment", "weight-sum", "--out", "cmp.png"},
		{"plot", "heatmap", "--out", "heat.svg"},
		{"plot", "ranks", "--top", "3", "--out", "ranks.png"},
		{"query", "feature", "2", "--format", "csv", "--plot", "q.png"},
	} {
		out := filepath.Join(dir, c[len(c)-1])
		c[len(c)-1] = out
		mustRun(t, db, c...)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if strings.HasSuffix(out, ".png") {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds().Dx() < 400 {
				t.Errorf("%v: not a chart-sized PNG (%v)", c, err)
			}
		} else if !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("%v: not an SVG", c)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", "heatmap"}, "--out FILE.png or FILE.svg is required"},
		{[]string{"plot", "heatmap", "--out", "x.jpg"}, `extension ".jpg" is not supported`},
		{[]string{"plot", "compare", "2019-01-28", "2019-02-18", "--experiment", "perturb", "--out", filepath.Join(dir, "c.png")}, "week 2019-01-28 has no perturb record"},
		{[]string{"plot", "ranks", "--top", "0", "--out", "r.png"}, "--top 0"},
		{[]string{"query", "feature", "1", "--plot", "q.gif"}, `extension ".gif"`},
	} {
		if r := tr(t, db, c.args...); r.code == 0 || !strings.Contains(r.err, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, r.code, r.err, c.want)
		}
	}
}
