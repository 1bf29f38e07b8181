package weightdiff

import (
	"fmt"
	"math"
)

// Hungarian solves the linear assignment problem on a square cost matrix:
// it returns the assignment a (row i gets column a[i], each column once)
// with the least total cost Σ cost[i][a[i]]. Among assignments of equal
// cost it returns one of them; which one is fixed by the matrix, so the
// same costs give the same answer.
//
// It is Jonker and Volgenant's algorithm (1987, "A shortest augmenting
// path algorithm for dense and sparse linear assignment problems"):
// column reduction, reduction transfer and two rounds of augmenting row
// reduction assign most rows cheaply, and a Dijkstra-like shortest
// augmenting path over reduced costs assigns each row left over. It is
// O(n³) in the worst case and far less on the costs weight matching
// makes, where most rows find their column in the first phases.
//
// A ragged or non-square matrix, or a NaN or infinite cost, is a
// programmer error and panics, as gonum's mat does on bad dimensions.
func Hungarian(cost [][]float64) []int {
	n := len(cost)
	flat := make([]float64, n*n)
	for i, row := range cost {
		if len(row) != n {
			panic(fmt.Sprintf("weightdiff: Hungarian: row %d has %d costs, want %d (a square matrix)", i, len(row), n))
		}
		copy(flat[i*n:], row)
	}
	return assign(flat, n)
}

// assign is Hungarian on a row-major n×n matrix c, which it does not
// change.
func assign(c []float64, n int) []int {
	if len(c) != n*n {
		panic(fmt.Sprintf("weightdiff: %d costs for a %d×%d matrix", len(c), n, n))
	}
	for k, v := range c {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			panic(fmt.Sprintf("weightdiff: cost[%d][%d] is %v; costs must be finite", k/n, k%n, v))
		}
	}
	switch n {
	case 0:
		return []int{}
	case 1:
		return []int{0}
	}
	var (
		rowsol = make([]int, n) // column of each row, -1 when free
		colsol = make([]int, n) // row of each column, -1 when free
		v      = make([]float64, n)
		free   = make([]int, n)
	)
	for i := range rowsol {
		rowsol[i], colsol[i] = -1, -1
	}

	// Column reduction: each column's price is its least cost, and the
	// row that has it takes the column, if that row has none yet. Taken
	// from the last column down, as the original does.
	matches := make([]int, n)
	for j := n - 1; j >= 0; j-- {
		imin, low := 0, c[j]
		for i := 1; i < n; i++ {
			if c[i*n+j] < low {
				imin, low = i, c[i*n+j]
			}
		}
		v[j] = low
		matches[imin]++
		switch {
		case matches[imin] == 1:
			rowsol[imin], colsol[j] = j, imin
		case v[j] < v[rowsol[imin]]:
			// The row is cheapest in several columns: it keeps the one
			// of lowest price and frees the other.
			colsol[rowsol[imin]] = -1
			rowsol[imin], colsol[j] = j, imin
		}
	}

	// Reduction transfer: a row that took one column lowers that
	// column's price by the slack to its second-best column, which keeps
	// the row's choice optimal and leaves room for the rows still free.
	nfree := 0
	for i := range n {
		switch matches[i] {
		case 0:
			free[nfree] = i
			nfree++
		case 1:
			j1 := rowsol[i]
			low := math.Inf(1)
			for j := range n {
				if j != j1 {
					low = min(low, c[i*n+j]-v[j])
				}
			}
			v[j1] -= low
		}
	}

	// Augmenting row reduction, twice: a free row takes its cheapest
	// column at the price that makes its second-cheapest as good,
	// displacing the column's row, which tries again at once when the
	// price fell. Steps are capped: with near-ties the price can fall by
	// a rounding error at a time, and the shortest paths below finish
	// whatever is left just as correctly.
	steps := 0
	for range 2 {
		k, prev := 0, nfree
		nfree = 0
		for k < prev {
			if steps > 8*n {
				nfree += copy(free[nfree:], free[k:prev])
				break
			}
			steps++
			i := free[k]
			k++
			umin, usub := c[i*n]-v[0], math.Inf(1)
			j1, j2 := 0, -1
			for j := 1; j < n; j++ {
				h := c[i*n+j] - v[j]
				if h < usub {
					if h >= umin {
						usub, j2 = h, j
					} else {
						usub, umin = umin, h
						j2, j1 = j1, j
					}
				}
			}
			i0 := colsol[j1]
			if umin < usub {
				v[j1] -= usub - umin
			} else if i0 >= 0 {
				j1, i0 = j2, colsol[j2]
			}
			rowsol[i], colsol[j1] = j1, i
			if i0 >= 0 {
				rowsol[i0] = -1
				if umin < usub {
					k--
					free[k] = i0
				} else {
					free[nfree] = i0
					nfree++
				}
			}
		}
	}

	// Shortest augmenting paths for the rows still free.
	d := make([]float64, n)
	pred := make([]int, n)
	cols := make([]int, n)
	for _, row := range free[:nfree] {
		for j := range n {
			d[j], pred[j], cols[j] = c[row*n+j]-v[j], row, j
		}
		// cols[:low] are done, cols[low:up] are at distance low and
		// waiting to be scanned, cols[up:] are still to be reached.
		low, up, last, end := 0, 0, 0, -1
		var dmin float64
		for end < 0 {
			if up == low {
				// Take every column at the next least distance.
				last = low - 1
				dmin = d[cols[up]]
				up++
				for k := up; k < n; k++ {
					j := cols[k]
					if h := d[j]; h <= dmin {
						if h < dmin {
							up, dmin = low, h
						}
						cols[k], cols[up] = cols[up], j
						up++
					}
				}
				for k := low; k < up; k++ {
					if colsol[cols[k]] < 0 {
						end = cols[k]
						break
					}
				}
				if end >= 0 {
					break
				}
			}
			// Scan one column: relax the columns its row reaches.
			j1 := cols[low]
			low++
			i := colsol[j1]
			h := c[i*n+j1] - v[j1] - dmin
			for k := up; k < n; k++ {
				j := cols[k]
				if v2 := c[i*n+j] - v[j] - h; v2 < d[j] {
					pred[j] = i
					if v2 == dmin {
						if colsol[j] < 0 {
							end = j
							break
						}
						cols[k], cols[up] = cols[up], j
						up++
					}
					d[j] = v2
				}
			}
		}
		// Prices of the columns scanned, then flip the path.
		for k := 0; k <= last; k++ {
			j := cols[k]
			v[j] += d[j] - dmin
		}
		for {
			i := pred[end]
			colsol[end] = i
			end, rowsol[i] = rowsol[i], end
			if i == row {
				break
			}
		}
	}
	return rowsol
}
