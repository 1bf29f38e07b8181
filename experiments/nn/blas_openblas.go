//go:build !purego

package nn

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
// int openblas_get_num_threads(void);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLAS names the BLAS implementation in use, for benchmark reports.
const BLAS = "openblas"

func init() { blas32.Use(netlib.Implementation{}) }

// SetBLASThreads sets how many threads one matrix product may use: runs of
// several trainings at once give each fewer, so they share the cores
// instead of fighting over them.
func SetBLASThreads(n int) { C.openblas_set_num_threads(C.int(max(n, 1))) }

// BLASThreads is how many threads one matrix product may use.
func BLASThreads() int { return int(C.openblas_get_num_threads()) }
