//go:build !purego

package nn

// #cgo linux LDFLAGS: -Wl,--as-needed -Wl,-Bstatic -lopenblas -Wl,-Bdynamic -lm
// #cgo !linux LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
// int openblas_get_num_threads(void);
// int blas_thread_shutdown_(void);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLAS names the BLAS implementation in use, for benchmark reports.
const BLAS = "openblas"

func init() {
	blas32.Use(netlib.Implementation{})
	// OpenBLAS starts its worker threads when it loads, and they spin on
	// sched_yield for about 0.1 s waiting for work: a whole core taken from
	// every tracker command, most of which never multiply a matrix (a query
	// ran 30% slower for it). Stop them; the first product starts them
	// again, as OpenBLAS does after a fork.
	C.blas_thread_shutdown_()
}

// SetBLASThreads sets how many threads one matrix product may use: runs of
// several trainings at once give each fewer, so they share the cores
// instead of fighting over them.
func SetBLASThreads(n int) { C.openblas_set_num_threads(C.int(max(n, 1))) }

// BLASThreads is how many threads one matrix product may use.
func BLASThreads() int { return int(C.openblas_get_num_threads()) }
