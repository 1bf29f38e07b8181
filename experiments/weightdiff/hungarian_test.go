package weightdiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteForce is the least total cost over all n! assignments.
func bruteForce(c [][]float64) float64 {
	n := len(c)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	best := math.Inf(1)
	var walk func(k int, sum float64)
	walk = func(k int, sum float64) {
		if k == n {
			best = min(best, sum)
			return
		}
		for i := k; i < n; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			walk(k+1, sum+c[k][perm[k]])
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	walk(0, 0)
	return best
}

// shortestPaths is the textbook O(n³) Hungarian algorithm with
// potentials, one row at a time, and no initial phases: a second,
// independent oracle for matrices too large to brute-force.
func shortestPaths(c [][]float64) float64 {
	n := len(c)
	u, v := make([]float64, n+1), make([]float64, n+1)
	p, way := make([]int, n+1), make([]int, n+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		minv := make([]float64, n+1)
		used := make([]bool, n+1)
		for j := range minv {
			minv[j] = math.Inf(1)
		}
		for p[j0] != 0 || j0 == 0 {
			used[j0] = true
			i0, delta, j1 := p[j0], math.Inf(1), 0
			for j := 1; j <= n; j++ {
				if !used[j] {
					if cur := c[i0-1][j-1] - u[i0] - v[j]; cur < minv[j] {
						minv[j], way[j] = cur, j0
					}
					if minv[j] < delta {
						delta, j1 = minv[j], j
					}
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	sum := 0.0
	for j := 1; j <= n; j++ {
		sum += c[p[j]-1][j-1]
	}
	return sum
}

func total(t *testing.T, c [][]float64, a []int) float64 {
	t.Helper()
	if len(a) != len(c) {
		t.Fatalf("assignment has %d rows, want %d", len(a), len(c))
	}
	seen := make([]bool, len(c))
	sum := 0.0
	for i, j := range a {
		if j < 0 || j >= len(c) || seen[j] {
			t.Fatalf("assignment %v is not a permutation", a)
		}
		seen[j] = true
		sum += c[i][j]
	}
	return sum
}

// kinds of random cost matrix: continuous, heavily tied small integers,
// all equal, and costs of a hidden permutation's diagonal made cheap.
var costKinds = map[string]func(rng *rand.Rand, n int) [][]float64{
	"continuous": func(rng *rand.Rand, n int) [][]float64 {
		return fill(n, func(int, int) float64 { return rng.NormFloat64() * 10 })
	},
	"tied integers 0 to 2": func(rng *rand.Rand, n int) [][]float64 {
		return fill(n, func(int, int) float64 { return float64(rng.IntN(3)) })
	},
	"all equal": func(rng *rand.Rand, n int) [][]float64 {
		return fill(n, func(int, int) float64 { return 1.5 })
	},
	"rows of equal costs": func(rng *rand.Rand, n int) [][]float64 {
		r := make([]float64, n)
		for i := range r {
			r[i] = float64(rng.IntN(4))
		}
		return fill(n, func(i, _ int) float64 { return r[i] })
	},
	"hidden permutation": func(rng *rand.Rand, n int) [][]float64 {
		perm := rng.Perm(n)
		return fill(n, func(i, j int) float64 {
			if perm[i] == j {
				return -1 + 0.01*rng.Float64()
			}
			return rng.Float64()
		})
	},
}

func fill(n int, f func(i, j int) float64) [][]float64 {
	c := make([][]float64, n)
	for i := range c {
		c[i] = make([]float64, n)
		for j := range c[i] {
			c[i][j] = f(i, j)
		}
	}
	return c
}

func TestHungarianMatchesBruteForce(t *testing.T) {
	for name, gen := range costKinds {
		t.Run(name, func(t *testing.T) {
			for n := 0; n <= 8; n++ {
				for seed := range uint64(150) {
					rng := rand.New(rand.NewPCG(seed, uint64(n)))
					c := gen(rng, n)
					got := total(t, c, Hungarian(c))
					if want := bruteForce(c); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
						t.Fatalf("n=%d seed %d: total %v, brute force %v\ncost %v", n, seed, got, want, c)
					}
				}
			}
		})
	}
}

func TestHungarianMatchesShortestPathsOnLargerMatrices(t *testing.T) {
	for name, gen := range costKinds {
		for _, n := range []int{20, 75, 160} {
			t.Run(fmt.Sprintf("%s, %d by %d", name, n, n), func(t *testing.T) {
				for seed := range uint64(5) {
					c := gen(rand.New(rand.NewPCG(seed, 99)), n)
					got := total(t, c, Hungarian(c))
					if want := shortestPaths(c); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
						t.Fatalf("seed %d: total %v, textbook Hungarian %v", seed, got, want)
					}
				}
			})
		}
	}
}

func TestHungarianFindsAHiddenPermutationExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	n := 300
	perm := rng.Perm(n)
	c := fill(n, func(i, j int) float64 {
		if perm[i] == j {
			return 0
		}
		return 1 + rng.Float64()
	})
	if got := Hungarian(c); !slices.Equal(got, perm) {
		t.Errorf("Hungarian did not return the only zero-cost permutation")
	}
}

func TestHungarianLeavesItsInputAlone(t *testing.T) {
	c := costKinds["continuous"](rand.New(rand.NewPCG(1, 1)), 6)
	keep := make([][]float64, len(c))
	for i := range c {
		keep[i] = slices.Clone(c[i])
	}
	Hungarian(c)
	for i := range c {
		if !slices.Equal(c[i], keep[i]) {
			t.Fatalf("row %d changed", i)
		}
	}
}

func TestHungarianPanicsOnProgrammerErrors(t *testing.T) {
	for name, c := range map[string][][]float64{
		"a ragged matrix":  {{1, 2}, {3}},
		"a non-square one": {{1, 2, 3}, {4, 5, 6}},
		"a NaN cost":       {{1, math.NaN()}, {3, 4}},
		"an infinite cost": {{1, 2}, {math.Inf(1), 4}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			Hungarian(c)
		})
	}
}
