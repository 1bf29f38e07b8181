package keras

// tracker links libhdf5 from Debian's static archive (libhdf5-dev ships it,
// built thread-safe like the shared library) so that a process does not load
// the shared library's dependencies: libcurl for a read-only S3 driver tracker
// never uses and, through it, gnutls, krb5, ldap and thirty more libraries,
// whose loading and symbol binding took about 6 ms of every command's start
// (bench/README.md, "Start-up"). The linker takes from the archive only what
// the bindings and h5attr.go call, which needs szip (libaec) and zlib, both
// static too, and libm; the S3 driver and so libcurl are left out.
//
// gonum.org/v1/hdf5 asks for -lhdf5 -lhdf5_hl itself. cmd/link passes each
// package's flags in the order it meets the packages, importers before what
// they import, so these come first: the archives define every symbol, and
// --as-needed then drops the shared libraries the bindings name.

// #cgo LDFLAGS: -Wl,--as-needed -Wl,-Bstatic -lhdf5_hl -lhdf5 -lsz -laec -lz -Wl,-Bdynamic -lm
import "C"
