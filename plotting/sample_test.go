package plotting

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// render writes full-size charts of realistic data (82 features, 12 and 104
// weeks) for a person to look at: go test ./plotting -run Samples -render /tmp/charts
var renderDir = flag.String("render", "", "write full-size sample charts to this directory for a visual check")

// sampleWeeks returns n Monday labels, oldest first.
func sampleWeeks(n int) []string {
	start := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)
	weeks := make([]string, n)
	for i := range weeks {
		weeks[i] = start.AddDate(0, 0, 7*i).Format("2006-01-02")
	}
	return weeks
}

// sampleNames returns n feature names, a few of them long like the breast
// cancer data set's.
func sampleNames(n int) []string {
	long := []string{"concave points_worst", "fractal_dimension_se", "smoothness_mean", "a_very_long_feature_name_from_a_join_of_three_tables"}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
		if i%20 == 3 {
			names[i] = long[(i/20)%len(long)]
		}
	}
	return names
}

// sampleImportance returns importance[feature][week]: a decaying base level
// per feature, a slow drift, noise, some negatives and NaN gaps.
func sampleImportance(features, weeks int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([][]float64, features)
	for f := range out {
		base := 0.2 * math.Exp(-float64(f)/12)
		drift := (rng.Float64() - 0.5) * base
		out[f] = make([]float64, weeks)
		for w := range out[f] {
			v := base + drift*float64(w)/float64(max(weeks-1, 1)) + rng.NormFloat64()*0.01
			out[f][w] = v
		}
	}
	return out
}

// ranksOf ranks features by value within each week (1 = largest); NaN is
// rank 0.
func ranksOf(imp [][]float64) [][]int {
	nf := len(imp)
	nw := len(imp[0])
	ranks := make([][]int, nf)
	for f := range ranks {
		ranks[f] = make([]int, nw)
	}
	for w := range nw {
		idx := make([]int, 0, nf)
		for f := range nf {
			if !math.IsNaN(imp[f][w]) {
				idx = append(idx, f)
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case imp[a][w] > imp[b][w]:
				return -1
			case imp[a][w] < imp[b][w]:
				return 1
			}
			return 0
		})
		for r, f := range idx {
			ranks[f][w] = r + 1
		}
	}
	return ranks
}

// sampleTrajectory returns four methods' series for one feature with gaps.
func sampleTrajectory(weeks int, seed uint64) []Series {
	rng := rand.New(rand.NewPCG(seed, 2))
	kinds := []struct {
		name  string
		scale float64
	}{{"permutation", 0.05}, {"drop-column", 0.08}, {"gradient", 1.5}, {"integrated gradients", 0.9}}
	out := make([]Series, len(kinds))
	for k, kind := range kinds {
		vals := make([]float64, weeks)
		level := 1.0
		for w := range vals {
			level += rng.NormFloat64() * 0.08
			vals[w] = kind.scale * (level + 0.3*math.Sin(float64(w)/5+float64(k)))
			if k == 1 {
				vals[w] -= kind.scale * 0.9 // goes below zero now and then
			}
		}
		out[k] = Series{Name: kind.name, Values: vals}
	}
	// Gaps: a method not run for a few weeks, and an isolated point.
	for w := weeks / 3; w < weeks/3+max(weeks/10, 2); w++ {
		out[1].Values[w] = math.NaN()
	}
	for w := range weeks {
		if w != weeks/2 && w < weeks*2/3 {
			out[3].Values[w] = math.NaN()
		}
	}
	out[2].Values[weeks-2] = math.NaN()
	return out
}

func TestRenderSamples(t *testing.T) {
	if *renderDir == "" {
		t.Skip("skipped: set -render DIR to write sample charts")
	}
	if err := os.MkdirAll(*renderDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, fn func(f *os.File) error) {
		t.Helper()
		f, err := os.Create(filepath.Join(*renderDir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := fn(f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	names := sampleNames(82)
	for _, nw := range []int{12, 104} {
		weeks := sampleWeeks(nw)
		imp := sampleImportance(82, nw, uint64(nw))
		for _, ext := range []Format{PNG, SVG} {
			write(fmt.Sprintf("trajectory_%d.%s", nw, ext), func(f *os.File) error {
				return Trajectory(f, ext, "concave points_worst: importance by method", weeks, sampleTrajectory(nw, 7), false)
			})
			write(fmt.Sprintf("trajectory_norm_%d.%s", nw, ext), func(f *os.File) error {
				return Trajectory(f, ext, "concave points_worst: importance by method (normalized)", weeks, sampleTrajectory(nw, 7), true)
			})
		}
		for _, ext := range []Format{PNG, SVG} {
			write(fmt.Sprintf("heatmap_%d.%s", nw, ext), func(f *os.File) error {
				r := ranksOf(imp)
				for f := 40; f < 45; f++ {
					for w := nw / 2; w < nw/2+3; w++ {
						r[f][w] = 0
					}
				}
				return Heatmap(f, ext, "permutation importance rank by week", weeks, names, r)
			})
			write(fmt.Sprintf("ranks_%d.%s", nw, ext), func(f *os.File) error {
				return Ranks(f, ext, "top 10 features by permutation importance", weeks, sampleRankLines(imp, names, 10))
			})
		}
		a, b := make([]float64, 82), make([]float64, 82)
		for f := range a {
			a[f], b[f] = imp[f][0], imp[f][nw-1]
		}
		a[5], b[9], a[30], b[30] = -0.03, -0.05, math.NaN(), math.NaN()
		b[12] = math.NaN()
		for _, ext := range []Format{PNG, SVG} {
			write(fmt.Sprintf("compare_%d.%s", nw, ext), func(f *os.File) error {
				return Compare(f, ext, "permutation importance: first vs last week", weeks[0], weeks[nw-1], names, a, b)
			})
		}
	}
}

// sampleRankLines returns the ranks of the top k features of the last week,
// with a feature missing for a stretch and one missing at the end.
func sampleRankLines(imp [][]float64, names []string, k int) []RankLine {
	ranks := ranksOf(imp)
	nw := len(imp[0])
	var lines []RankLine
	for f := range ranks {
		if r := ranks[f][nw-1]; r >= 1 && r <= k {
			lines = append(lines, RankLine{Name: names[f], Ranks: slices.Clone(ranks[f])})
		}
	}
	slices.SortFunc(lines, func(a, b RankLine) int { return a.Ranks[nw-1] - b.Ranks[nw-1] })
	for w := nw / 3; w < nw/3+max(nw/10, 2); w++ {
		lines[2].Ranks[w] = 0
	}
	lines[5].Ranks[nw-1] = 0
	lines[5].Ranks[nw-2] = 0
	return lines
}
