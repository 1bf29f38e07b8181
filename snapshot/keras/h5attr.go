package keras

// This file is the only cgo in tracker. gonum.org/v1/hdf5 handles files,
// groups and datasets, but it corrupts memory when reading string arrays,
// cannot tell whether an attribute exists, reads a dataset in its file type
// whatever that is, and follows every kind of link. Keras files need the
// first three done right and hostile files need the last refused, so these
// helpers work on the same HDF5 handles (Identifier.ID), check every size
// libhdf5 reports before allocating for it, and copy every string into Go
// memory before freeing the C side.
//
// libhdf5's error stack is per thread (Debian builds it thread-safe), so
// silencing it once at init covers only the thread init ran on. Callers
// lock the goroutine to its thread for a whole file (withHDF5) and silence
// that thread first.

// #cgo pkg-config: hdf5
// #include <stdlib.h>
// #include <string.h>
// #include <hdf5.h>
//
// static void tr_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
//
// // tr_obj_addr sets *addr to the header address of the object loc opens,
// // or of its member name when name is not NULL.
// static int tr_obj_addr(hid_t loc, const char *name, haddr_t *addr) {
// 	H5O_info_t info;
// 	herr_t err = name ? H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT)
// 	                  : H5Oget_info2(loc, &info, H5O_INFO_BASIC);
// 	if (err < 0) return -1;
// 	*addr = info.addr;
// 	return 0;
// }
//
// // tr_link_kind returns 0 if loc has no link called name, 1 for a hard
// // link, 2 for a soft, external or user-defined one, -1 on error.
// static int tr_link_kind(hid_t loc, const char *name) {
// 	htri_t ok = H5Lexists(loc, name, H5P_DEFAULT);
// 	if (ok <= 0) return ok < 0 ? -1 : 0;
// 	H5L_info_t info;
// 	if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
// 	return info.type == H5L_TYPE_HARD ? 1 : 2;
// }
//
// // tr_member_name returns the length of the name of the idx-th link of
// // group loc in name order and copies up to size bytes of it into buf.
// static ssize_t tr_member_name(hid_t loc, hsize_t idx, char *buf, size_t size) {
// 	return H5Lget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, idx, buf, size, H5P_DEFAULT);
// }
//
// // tr_members returns the number of links in group loc, or -1.
// static hssize_t tr_members(hid_t loc) {
// 	H5G_info_t info;
// 	if (H5Gget_info(loc, &info) < 0) return -1;
// 	return (hssize_t)info.nlinks;
// }
//
// // Codes tr_read_strings returns besides a count.
// enum { TR_ERR = -1, TR_NOT_STRING = -2, TR_TOO_LARGE = -3, TR_BAD_SHAPE = -4 };
//
// // tr_read_strings reads a string attribute, scalar or 1-D, fixed-length or
// // variable-length, of at most max_total bytes. It returns the number of
// // strings or a TR_ code. The type, shape and sizes are checked before
// // anything is allocated or read. On success *data holds the strings back
// // to back and *lens their lengths; free both.
// static int tr_read_strings(hid_t loc, const char *name, size_t max_total, char **data, size_t **lens) {
// 	int ret = TR_ERR;
// 	hid_t attr = -1, ftype = -1, space = -1, mtype = -1;
// 	*data = NULL; *lens = NULL;
// 	attr = H5Aopen(loc, name, H5P_DEFAULT);
// 	if (attr < 0) goto done;
// 	ftype = H5Aget_type(attr);
// 	space = H5Aget_space(attr);
// 	if (ftype < 0 || space < 0) goto done;
// 	H5S_class_t sclass = H5Sget_simple_extent_type(space);
// 	int rank = H5Sget_simple_extent_ndims(space);
// 	hssize_t n = H5Sget_simple_extent_npoints(space);
// 	if (sclass == H5S_NULL) { ret = 0; goto done; }
// 	if (rank < 0 || n < 0) goto done;
// 	if (rank > 1) { ret = TR_BAD_SHAPE; goto done; }
// 	if (H5Tget_class(ftype) != H5T_STRING) {
// 		ret = (n == 0) ? 0 : TR_NOT_STRING;
// 		goto done;
// 	}
// 	if ((size_t)n > max_total) { ret = TR_TOO_LARGE; goto done; }
// 	htri_t vlen = H5Tis_variable_str(ftype);
// 	size_t size = H5Tget_size(ftype);
// 	if (vlen < 0 || size == 0) goto done;
// 	if (!vlen) {
// 		if (size > max_total || (size_t)n > max_total / size) { ret = TR_TOO_LARGE; goto done; }
// 		// What the file stores must be what the type and shape say.
// 		if (H5Aget_storage_size(attr) != (hsize_t)n * size) goto done;
// 	}
// 	*lens = calloc(n > 0 ? n : 1, sizeof(size_t));
// 	if (*lens == NULL) goto done;
// 	mtype = H5Tcopy(H5T_C_S1);
// 	if (mtype < 0) goto done;
// 	H5Tset_cset(mtype, H5Tget_cset(ftype));
// 	if (vlen) {
// 		H5Tset_size(mtype, H5T_VARIABLE);
// 		char **ptrs = calloc(n > 0 ? n : 1, sizeof(char *));
// 		if (ptrs == NULL) goto done;
// 		if (H5Aread(attr, mtype, ptrs) < 0) { free(ptrs); goto done; }
// 		size_t total = 0;
// 		int fits = 1;
// 		for (hssize_t i = 0; i < n; i++) {
// 			(*lens)[i] = ptrs[i] ? strnlen(ptrs[i], max_total + 1) : 0;
// 			if ((*lens)[i] > max_total - total) { fits = 0; break; }
// 			total += (*lens)[i];
// 		}
// 		if (fits) {
// 			*data = malloc(total + 1);
// 			if (*data != NULL) {
// 				size_t off = 0;
// 				for (hssize_t i = 0; i < n; i++) { memcpy(*data + off, ptrs[i] ? ptrs[i] : "", (*lens)[i]); off += (*lens)[i]; }
// 				ret = (int)n;
// 			}
// 		} else {
// 			ret = TR_TOO_LARGE;
// 		}
// 		H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs);
// 		free(ptrs);
// 	} else {
// 		H5Tset_size(mtype, size);
// 		H5Tset_strpad(mtype, H5T_STR_NULLPAD);
// 		char *raw = calloc(n * size + 1, 1);
// 		if (raw == NULL) goto done;
// 		if (H5Aread(attr, mtype, raw) < 0) { free(raw); goto done; }
// 		size_t off = 0;
// 		for (hssize_t i = 0; i < n; i++) {
// 			char *s = raw + i * size;
// 			size_t l = 0;
// 			while (l < size && s[l] != '\0') l++;
// 			memmove(raw + off, s, l);
// 			(*lens)[i] = l;
// 			off += l;
// 		}
// 		*data = raw;
// 		ret = (int)n;
// 	}
// done:
// 	if (mtype >= 0) H5Tclose(mtype);
// 	if (space >= 0) H5Sclose(space);
// 	if (ftype >= 0) H5Tclose(ftype);
// 	if (attr >= 0) H5Aclose(attr);
// 	if (ret < 0) { free(*data); free(*lens); *data = NULL; *lens = NULL; }
// 	return ret;
// }
//
// // tr_dataset_info describes a dataset without reading it: *f32 is set
// // for IEEE float32 of either byte order, else class and size say what it
// // holds; dims gets up to 32 dimensions; *filters and *external count
// // filters and external files; *chunked says whether it is chunked, and
// // chunk gets the chunk's dimensions.
// static int tr_dataset_info(hid_t ds, int *f32, int *class, size_t *size, int *rank, hsize_t dims[32],
// 		int *chunked, hsize_t chunk[32], int *filters, int *external, int *layout) {
// 	int ret = -1;
// 	hid_t type = -1, space = -1, dcpl = -1;
// 	type = H5Dget_type(ds);
// 	space = H5Dget_space(ds);
// 	dcpl = H5Dget_create_plist(ds);
// 	if (type < 0 || space < 0 || dcpl < 0) goto done;
// 	*class = H5Tget_class(type);
// 	*size = H5Tget_size(type);
// 	*f32 = H5Tequal(type, H5T_IEEE_F32LE) > 0 || H5Tequal(type, H5T_IEEE_F32BE) > 0;
// 	*rank = H5Sget_simple_extent_ndims(space);
// 	if (*rank < 0 || *rank > 32) goto done;
// 	if (H5Sget_simple_extent_dims(space, dims, NULL) < 0) goto done;
// 	*layout = H5Pget_layout(dcpl);
// 	*chunked = *layout == H5D_CHUNKED;
// 	if (*chunked && H5Pget_chunk(dcpl, 32, chunk) < 0) goto done;
// 	*filters = H5Pget_nfilters(dcpl);
// 	*external = H5Pget_external_count(dcpl);
// 	if (*filters < 0 || *external < 0) goto done;
// 	ret = 0;
// done:
// 	if (dcpl >= 0) H5Pclose(dcpl);
// 	if (space >= 0) H5Sclose(space);
// 	if (type >= 0) H5Tclose(type);
// 	return ret;
// }
//
// // tr_read_f32 reads a whole dataset of n values as native float32,
// // after checking it still holds n values.
// static int tr_read_f32(hid_t ds, float *buf, hsize_t n) {
// 	hid_t space = H5Dget_space(ds);
// 	if (space < 0) return -1;
// 	hssize_t got = H5Sget_simple_extent_npoints(space);
// 	H5Sclose(space);
// 	if (got < 0 || (hsize_t)got != n) return -2;
// 	return H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
// }
//
// // tr_write_strings writes n strings as an attribute: fixed-length
// // (null-padded to the longest, as h5py writes numpy bytes) or
// // variable-length, as a scalar when scalar is set and n is 1.
// static int tr_write_strings(hid_t loc, const char *name, char **strs, int n, int fixed, int scalar) {
// 	int ret = -1;
// 	hid_t type = -1, space = -1, attr = -1;
// 	char *raw = NULL;
// 	hsize_t dims[1] = {(hsize_t)n};
// 	type = H5Tcopy(H5T_C_S1);
// 	if (type < 0) goto done;
// 	space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
// 	if (space < 0) goto done;
// 	if (fixed) {
// 		size_t size = 1;
// 		for (int i = 0; i < n; i++) if (strlen(strs[i]) > size) size = strlen(strs[i]);
// 		H5Tset_size(type, size);
// 		H5Tset_strpad(type, H5T_STR_NULLPAD);
// 		raw = calloc(n > 0 ? n * size : 1, 1);
// 		if (raw == NULL) goto done;
// 		for (int i = 0; i < n; i++) memcpy(raw + i * size, strs[i], strlen(strs[i]));
// 		attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
// 		if (attr < 0 || H5Awrite(attr, type, raw) < 0) goto done;
// 	} else {
// 		H5Tset_size(type, H5T_VARIABLE);
// 		attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
// 		if (attr < 0 || H5Awrite(attr, type, strs) < 0) goto done;
// 	}
// 	ret = 0;
// done:
// 	free(raw);
// 	if (attr >= 0) H5Aclose(attr);
// 	if (space >= 0) H5Sclose(space);
// 	if (type >= 0) H5Tclose(type);
// 	return ret;
// }
//
// // tr_write_empty_float writes an empty 1-D float64 attribute, which is how
// // Keras stores weight_names for a layer without weights.
// static int tr_write_empty_float(hid_t loc, const char *name) {
// 	hsize_t dims[1] = {0};
// 	hid_t space = H5Screate_simple(1, dims, NULL);
// 	if (space < 0) return -1;
// 	hid_t attr = H5Acreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
// 	H5Sclose(space);
// 	if (attr < 0) return -1;
// 	H5Aclose(attr);
// 	return 0;
// }
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
)

func init() {
	// HDF5 prints its error stack to stderr by default; tracker reports
	// errors itself, naming the file and what to do. This covers init's
	// thread only: withHDF5 does the same for the thread doing the work.
	C.tr_silence()
}

// withHDF5 runs fn locked to one OS thread with libhdf5's error printing
// off on that thread. libhdf5 keeps its error stack and its printing switch
// per thread, and gonum's hdf5 calls C on whichever thread the goroutine
// happens to run on, so without the lock a load that reads an optional
// attribute prints HDF5-DIAG stacks on a successful run.
func withHDF5(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.tr_silence()
	return fn()
}

// Errors the attribute readers return; the caller adds file and object.
var (
	// errNotString: the attribute holds numbers where strings were expected.
	errNotString = errors.New("holds numbers, not strings")
	// errAttrTooLarge: the attribute declares more bytes than any Keras
	// file stores in it.
	errAttrTooLarge = errors.New("attribute too large")
)

// objAddr returns the header address of the object loc refers to, or of
// its member name when name is not empty, without decoding any attribute.
func objAddr(loc int64, name string) (uint64, error) {
	var cname *C.char
	if name != "" {
		cname = C.CString(name)
		defer C.free(unsafe.Pointer(cname))
	}
	var addr C.haddr_t
	if C.tr_obj_addr(C.hid_t(loc), cname, &addr) < 0 {
		return 0, fmt.Errorf("object %s cannot be located", quote.Short(name))
	}
	return uint64(addr), nil
}

// Kinds of link linkKind tells apart.
const (
	linkNone  = 0
	linkHard  = 1
	linkOther = 2 // soft, external or user-defined: may lead to another file
)

// linkKind says whether loc has a link called name and of what kind.
func linkKind(loc int64, name string) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	k := C.tr_link_kind(C.hid_t(loc), cname)
	if k < 0 {
		return 0, fmt.Errorf("link %s cannot be read", quote.Short(name))
	}
	return int(k), nil
}

// groupMembers lists the links of group loc in name order: at most
// maxMembers of them, each name at most maxName bytes, so a hostile group
// cannot make tracker allocate for millions of names or one huge one.
func groupMembers(loc int64, path string) ([]string, error) {
	n := C.tr_members(C.hid_t(loc))
	switch {
	case n < 0:
		return nil, fmt.Errorf("group %s: its members cannot be listed", quote.Short(path))
	case n > maxMembers:
		return nil, fmt.Errorf("group %s has %d members, more than the %d of any model tracker reads", quote.Short(path), n, maxMembers)
	}
	names := make([]string, 0, int(n))
	for i := range int(n) {
		l := C.tr_member_name(C.hid_t(loc), C.hsize_t(i), nil, 0)
		switch {
		case l < 0:
			return nil, fmt.Errorf("group %s: member %d cannot be read", quote.Short(path), i)
		case l > maxName:
			return nil, fmt.Errorf("group %s: member %d has a %s name, more than the %s a layer name can need", quote.Short(path), i, safefile.Size(int64(l)), safefile.Size(maxName))
		}
		buf := make([]byte, int(l)+1)
		C.tr_member_name(C.hid_t(loc), C.hsize_t(i), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		names = append(names, string(buf[:l]))
	}
	return names, nil
}

// hasAttr reports whether loc has an attribute called name. Check the
// object with h5guard first: libhdf5 decodes every attribute to answer.
func hasAttr(loc int64, name string) bool {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return C.H5Aexists(C.hid_t(loc), cname) > 0
}

// readStrings reads a string attribute of any Keras encoding, of at most
// maxBytes bytes in all. An empty numeric array, which Keras writes for an
// empty name list, reads as nil.
func readStrings(loc int64, name string, maxBytes int) ([]string, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var data *C.char
	var lens *C.size_t
	n := C.tr_read_strings(C.hid_t(loc), cname, C.size_t(maxBytes), &data, &lens)
	switch n {
	case C.TR_NOT_STRING:
		return nil, fmt.Errorf("attribute %s %w: the file is damaged or not written by Keras", quote.Short(name), errNotString)
	case C.TR_TOO_LARGE:
		return nil, fmt.Errorf("attribute %s declares more than the %s a Keras file stores there: %w", quote.Short(name), safefile.Size(int64(maxBytes)), errAttrTooLarge)
	case C.TR_BAD_SHAPE:
		return nil, fmt.Errorf("attribute %s is not a list of strings but a table", quote.Short(name))
	}
	if n < 0 {
		return nil, fmt.Errorf("attribute %s cannot be read", quote.Short(name))
	}
	defer C.free(unsafe.Pointer(data))
	defer C.free(unsafe.Pointer(lens))
	if n == 0 {
		return nil, nil
	}
	lengths := unsafe.Slice(lens, int(n))
	out := make([]string, int(n))
	off := 0
	for i, l := range lengths {
		out[i] = C.GoStringN((*C.char)(unsafe.Add(unsafe.Pointer(data), off)), C.int(l))
		off += int(l)
	}
	return out, nil
}

// readString reads a scalar (or one-element) string attribute.
func readString(loc int64, name string, maxBytes int) (string, error) {
	s, err := readStrings(loc, name, maxBytes)
	if err != nil {
		return "", err
	}
	if len(s) != 1 {
		return "", fmt.Errorf("attribute %s holds %d strings, want 1", quote.Short(name), len(s))
	}
	return s[0], nil
}

// openObjects counts the HDF5 files and objects open in the process: a
// load must leave none behind, or libhdf5 keeps the file open and hands
// its cached state to the next file that reuses the inode.
func openObjects() int {
	return int(C.H5Fget_obj_count(C.H5F_OBJ_ALL, C.H5F_OBJ_ALL))
}

// dsInfo is what a dataset declares, read before any of its data.
type dsInfo struct {
	f32      bool     // IEEE float32, little- or big-endian
	class    int      // H5T class, for messages
	size     int      // bytes per value
	dims     []int    // clamped to maxParams+1, so products stay bounded
	declared []uint64 // as the file declares them, for messages
	chunk    []int    // nil unless chunked
	filters  int
	external int
	layout   int
}

// HDF5 storage layouts (H5D_layout_t) datasetInfo reports.
const (
	layoutCompact    = C.H5D_COMPACT
	layoutContiguous = C.H5D_CONTIGUOUS
	layoutChunked    = C.H5D_CHUNKED
)

func datasetInfo(ds int64) (dsInfo, error) {
	var f32, class, rank, chunked, filters, external, layout C.int
	var size C.size_t
	var dims, chunk [32]C.hsize_t
	if C.tr_dataset_info(C.hid_t(ds), &f32, &class, &size, &rank, &dims[0], &chunked, &chunk[0], &filters, &external, &layout) < 0 {
		return dsInfo{}, errors.New("its type and shape cannot be read")
	}
	in := dsInfo{f32: f32 != 0, class: int(class), size: int(size), filters: int(filters), external: int(external), layout: int(layout)}
	// Dimensions past maxParams are clamped to maxParams+1: still refused
	// by every check, and their product cannot overflow an int.
	for i := range int(rank) {
		in.declared = append(in.declared, uint64(dims[i]))
		in.dims = append(in.dims, int(min(uint64(dims[i]), maxParams+1)))
		if chunked != 0 {
			in.chunk = append(in.chunk, int(min(uint64(chunk[i]), maxParams+1)))
		}
	}
	return in, nil
}

// readFloat32 reads all n values of a dataset converted to native float32;
// datasetInfo has said they are IEEE float32, so the conversion is exact.
func readFloat32(ds int64, n int) ([]float32, error) {
	data := make([]float32, max(n, 1))
	switch C.tr_read_f32(C.hid_t(ds), (*C.float)(unsafe.Pointer(&data[0])), C.hsize_t(n)) {
	case 0:
		return data[:n], nil
	case -2:
		return nil, errors.New("its shape changed while it was read")
	}
	return nil, errors.New("it cannot be read (the file may be truncated)")
}

// stringEncoding says how writeStrings lays out an attribute.
type stringEncoding int

const (
	fixedArray stringEncoding = iota // 1-D fixed-length, null-padded (Keras 2.2.4 names)
	vlenScalar                       // one variable-length string (backend, keras_version)
)

// writeStrings writes strs as attribute name on loc.
func writeStrings(loc int64, name string, strs []string, enc stringEncoding) error {
	if enc == vlenScalar && len(strs) != 1 {
		return fmt.Errorf("attribute %s: a scalar takes 1 string, got %d", quote.Short(name), len(strs))
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	arr := (**C.char)(C.calloc(C.size_t(max(len(strs), 1)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	defer C.free(unsafe.Pointer(arr))
	ptrs := unsafe.Slice(arr, max(len(strs), 1))
	for i, s := range strs {
		ptrs[i] = C.CString(s)
		defer C.free(unsafe.Pointer(ptrs[i]))
	}
	fixed, scalar := C.int(0), C.int(0)
	if enc == fixedArray {
		fixed = 1
	} else {
		scalar = 1
	}
	if C.tr_write_strings(C.hid_t(loc), cname, arr, C.int(len(strs)), fixed, scalar) < 0 {
		return fmt.Errorf("write attribute %s", quote.Short(name))
	}
	return nil
}

// writeEmptyFloats writes an empty float64 array attribute.
func writeEmptyFloats(loc int64, name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if C.tr_write_empty_float(C.hid_t(loc), cname) < 0 {
		return fmt.Errorf("write attribute %s", quote.Short(name))
	}
	return nil
}
