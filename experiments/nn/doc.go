// Package nn runs a snapshot's network: a batched float32 forward pass and
// the backward pass that gives gradients with respect to the inputs (for
// importance methods) and to the weights (for training).
//
// Matrix products go through gonum's blas32. A normal build links OpenBLAS
// through gonum.org/v1/netlib (Debian's libopenblas-dev), which is about ten
// times faster on the reference 82 -> 500x3 -> 2 network; build with
// -tags purego for gonum's pure-Go BLAS and no C toolchain for BLAS.
//
// Rows are row-major: a batch of n rows of an m-wide layer is n*m values.
// Dropout is the identity and BatchNormalization uses its moving statistics,
// as Keras does at inference.
package nn
