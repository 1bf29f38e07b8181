// Package keras reads Keras model files into snapshots and writes snapshots
// back out in the Keras 2 save_weights layout. It is tracker's only cgo
// over libhdf5.
//
// It reads to_json/to_yaml structures, Keras 2 and 3 weights files
// (save_weights, model.save .h5, .weights.h5) and .keras zips. Resolve maps
// a path as a user types it to the files of one model; Load reads and
// validates them; Export writes a snapshot back.
//
// Every input is treated as hostile, because one damaged file must cost a
// message, not the process:
//
//   - Only regular files are opened (a named pipe would block, a symlink to
//     /dev/zero would never end), each once, by tracker; libhdf5 gets the
//     already-open descriptor through /proc/self/fd.
//   - What is read or inflated is capped by what a real model of its kind
//     needs: structures at maxConfig, name lists at maxNames, a .keras
//     weights member by its architecture's weight count, checked against
//     the zip's declared size and counted while inflating. Nothing is ever
//     extracted under a name taken from the archive.
//   - JSON and YAML are measured (nesting, values, YAML aliases expanded)
//     before they are decoded into a tree.
//   - The structure is known before any weight is read. Every dataset's
//     type and declared shape are checked against what the structure says
//     it must be, and the whole model against maxParams, before anything
//     is allocated for its values.
//   - h5guard parses, in Go, the HDF5 object headers and heap collections
//     whose damage makes libhdf5 1.10 read past its buffers, and refuses
//     them before libhdf5 decodes them. Links must be hard links inside the
//     file; datasets must be float32, unfiltered and stored in the file.
//   - Every libhdf5 call of a load runs on one locked OS thread with its
//     error printing off (withHDF5), so stderr carries only tracker's own
//     message, which names the file, the layer or dataset, and what to do.
//     Names from the input are quoted short (internal/quote).
//
// What libhdf5 may still crash on is listed in docs/RELIABILITY.md.
package keras
