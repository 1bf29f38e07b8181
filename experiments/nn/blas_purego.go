//go:build purego

package nn

// BLAS names the BLAS implementation in use, for benchmark reports.
const BLAS = "gonum"

// SetBLASThreads does nothing: gonum's pure-Go products use one thread.
func SetBLASThreads(int) {}

// BLASThreads is how many threads one matrix product may use.
func BLASThreads() int { return 1 }
