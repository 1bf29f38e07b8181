//go:build !purego

package nn

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLAS names the BLAS implementation in use, for benchmark reports.
const BLAS = "openblas"

func init() { blas32.Use(netlib.Implementation{}) }
