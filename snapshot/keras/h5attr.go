package keras

// This file is the only cgo in tracker. gonum.org/v1/hdf5 handles files,
// groups and numeric datasets, but it corrupts memory when reading string
// arrays, cannot list attributes and cannot tell whether one exists. Keras
// files need all three, so these few helpers work on the same HDF5 handles
// (Identifier.ID) and copy every string into Go memory before freeing the C
// side.

// #cgo pkg-config: hdf5
// #include <stdlib.h>
// #include <string.h>
// #include <hdf5.h>
//
// static void tr_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
//
// // tr_attr_name returns the length of the idx-th attribute name (in name
// // order) and copies up to size bytes of it into buf; negative past the end.
// static ssize_t tr_attr_name(hid_t loc, hsize_t idx, char *buf, size_t size) {
// 	return H5Aget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, idx, buf, size, H5P_DEFAULT);
// }
//
// // tr_read_strings reads a string attribute, scalar or 1-D, fixed-length or
// // variable-length. It returns the number of strings, or -1 on error, -2 if
// // the attribute is not a string and not an empty array. On success *data
// // holds the strings back to back and *lens their lengths; free both.
// static int tr_read_strings(hid_t loc, const char *name, char **data, size_t **lens) {
// 	int ret = -1;
// 	hid_t attr = -1, ftype = -1, space = -1, mtype = -1;
// 	*data = NULL; *lens = NULL;
// 	attr = H5Aopen(loc, name, H5P_DEFAULT);
// 	if (attr < 0) goto done;
// 	ftype = H5Aget_type(attr);
// 	space = H5Aget_space(attr);
// 	if (ftype < 0 || space < 0) goto done;
// 	hssize_t n = H5Sget_simple_extent_npoints(space);
// 	if (n < 0) goto done;
// 	if (H5Tget_class(ftype) != H5T_STRING) {
// 		ret = (n == 0) ? 0 : -2;
// 		goto done;
// 	}
// 	*lens = calloc(n > 0 ? n : 1, sizeof(size_t));
// 	if (*lens == NULL) goto done;
// 	mtype = H5Tcopy(H5T_C_S1);
// 	if (mtype < 0) goto done;
// 	H5Tset_cset(mtype, H5Tget_cset(ftype));
// 	if (H5Tis_variable_str(ftype) > 0) {
// 		H5Tset_size(mtype, H5T_VARIABLE);
// 		char **ptrs = calloc(n > 0 ? n : 1, sizeof(char *));
// 		if (ptrs == NULL) goto done;
// 		if (H5Aread(attr, mtype, ptrs) < 0) { free(ptrs); goto done; }
// 		size_t total = 0;
// 		for (hssize_t i = 0; i < n; i++) { (*lens)[i] = ptrs[i] ? strlen(ptrs[i]) : 0; total += (*lens)[i]; }
// 		*data = malloc(total + 1);
// 		if (*data != NULL) {
// 			size_t off = 0;
// 			for (hssize_t i = 0; i < n; i++) { memcpy(*data + off, ptrs[i] ? ptrs[i] : "", (*lens)[i]); off += (*lens)[i]; }
// 			ret = (int)n;
// 		}
// 		H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs);
// 		free(ptrs);
// 	} else {
// 		size_t size = H5Tget_size(ftype);
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
	"unsafe"
)

func init() {
	// HDF5 prints its error stack to stderr by default; tracker reports
	// errors itself, naming the file and what to do.
	C.tr_silence()
}

// errNotString marks an attribute that holds numbers where strings were expected.
var errNotString = errors.New("attribute is not a string")

// attrNames lists the attributes of the object loc refers to, in name order.
func attrNames(loc int64) []string {
	var names []string
	for idx := 0; ; idx++ {
		n := C.tr_attr_name(C.hid_t(loc), C.hsize_t(idx), nil, 0)
		if n < 0 {
			return names
		}
		buf := make([]byte, int(n)+1)
		C.tr_attr_name(C.hid_t(loc), C.hsize_t(idx), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		names = append(names, string(buf[:n]))
	}
}

// hasAttr reports whether loc has an attribute called name.
func hasAttr(loc int64, name string) bool {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return C.H5Aexists(C.hid_t(loc), cname) > 0
}

// readStrings reads a string attribute of any Keras encoding. An empty
// numeric array, which Keras writes for an empty name list, reads as nil.
func readStrings(loc int64, name string) ([]string, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var data *C.char
	var lens *C.size_t
	n := C.tr_read_strings(C.hid_t(loc), cname, &data, &lens)
	switch {
	case n == -2:
		return nil, fmt.Errorf("attribute %q: %w", name, errNotString)
	case n < 0:
		return nil, fmt.Errorf("attribute %q cannot be read", name)
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
func readString(loc int64, name string) (string, error) {
	s, err := readStrings(loc, name)
	if err != nil {
		return "", err
	}
	if len(s) != 1 {
		return "", fmt.Errorf("attribute %q holds %d strings, want 1", name, len(s))
	}
	return s[0], nil
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
		return fmt.Errorf("attribute %q: a scalar takes 1 string, got %d", name, len(strs))
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
		return fmt.Errorf("write attribute %q", name)
	}
	return nil
}

// writeEmptyFloats writes an empty float64 array attribute.
func writeEmptyFloats(loc int64, name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if C.tr_write_empty_float(C.hid_t(loc), cname) < 0 {
		return fmt.Errorf("write attribute %q", name)
	}
	return nil
}
