//go:build purego

package nn

// BLAS names the BLAS implementation in use, for benchmark reports.
const BLAS = "gonum"
