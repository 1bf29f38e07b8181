"""Hostile HDF5 weights files for TestLoadRefusesHostileWeights (testdata/hostile/).

Each file is a small Keras 2.2.4-style save_weights file (layer_names,
weight_names, dense_1/dense_1/kernel:0) of the model in hostile/model.json
(6 inputs, Dense 4 relu, Dense 1 sigmoid), broken in one way: a dataset
declaring an absurd shape, a type tracker refuses, storage outside the file,
a link leading elsewhere, a missing group or dataset, or a byte patched where
libhdf5 1.10 reads past its buffers (attribute dataspace size, global heap
object size, variable-length string length and heap index) or converts for
hours (a string of 4-billion-byte characters). All stay a few
KB: h5py allocates no storage for datasets that are never written.

Needs Debian's python3-h5py and python3-numpy. Run from the repo root:

    /usr/bin/python3 snapshot/keras/testdata/gen_hostile.py snapshot/keras/testdata/hostile
"""
import json
import os
import struct
import sys

import h5py
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else "hostile"
ASCII = h5py.string_dtype("ascii")

STRUCTURE = {
    "class_name": "Sequential",
    "config": {"name": "sequential_1", "layers": [
        {"class_name": "Dense", "config": {"name": "dense_1", "units": 4, "activation": "relu",
                                           "use_bias": True, "batch_input_shape": [None, 6]}},
        {"class_name": "Dense", "config": {"name": "dense_2", "units": 1, "activation": "sigmoid",
                                           "use_bias": True}},
    ]},
    "keras_version": "2.2.4",
    "backend": "tensorflow",
}


# The same model as Keras 3 writes its config.json.
STRUCTURE_V3 = {
    "module": "keras", "class_name": "Sequential", "registered_name": None,
    "config": {"name": "sequential", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "config": {"batch_shape": [None, 6], "dtype": "float32", "name": "input_layer"}},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
         "config": {"name": "dense", "units": 4, "activation": "relu", "use_bias": True}},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
         "config": {"name": "dense_1", "units": 1, "activation": "sigmoid", "use_bias": True}},
    ]},
}


def write_v3(name, tamper=None):
    """Writes NAME.weights.h5 the way Keras 3 does: layers/<name>/vars/<i>."""
    path = os.path.join(OUT, name + ".weights.h5")
    if os.path.exists(path):
        os.remove(path)
    w = weights(1)
    with h5py.File(path, "w") as f:
        for layer, src in (("dense", "dense_1"), ("dense_1", "dense_2")):
            g = f.create_group("layers/" + layer + "/vars")
            g.create_dataset("0", data=w[src]["kernel:0"])
            g.create_dataset("1", data=w[src]["bias:0"])
        f.create_group("optimizer/vars")
        f.create_group("vars")
        if tamper:
            tamper(f)
    return path


def weights(seed):
    r = np.random.RandomState(seed)
    return {
        "dense_1": {"kernel:0": r.uniform(-1, 1, (6, 4)).astype("<f4"), "bias:0": r.uniform(-1, 1, 4).astype("<f4")},
        "dense_2": {"kernel:0": r.uniform(-1, 1, (4, 1)).astype("<f4"), "bias:0": r.uniform(-1, 1, 1).astype("<f4")},
    }


def write(name, tamper=None, layer_names=("dense_1", "dense_2")):
    """Writes NAME.h5 the way Keras 2.2.4 does; tamper(f) changes it before close."""
    path = os.path.join(OUT, name + ".h5")
    if os.path.exists(path):
        os.remove(path)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n in layer_names])
        f.attrs.create("backend", "tensorflow", dtype=ASCII)
        f.attrs.create("keras_version", "2.2.4", dtype=ASCII)
        for layer, ts in weights(1).items():
            g = f.create_group(layer)
            g.attrs["weight_names"] = np.array([(layer + "/" + t).encode() for t in ts])
            inner = g.create_group(layer)
            for t, v in ts.items():
                inner.create_dataset(t, data=v)
        if tamper:
            tamper(f)
    return path


def replace(f, path, **kw):
    """Replaces a dataset with one made by create_dataset(**kw)."""
    parent, leaf = path.rsplit("/", 1)
    del f[path]
    f[parent].create_dataset(leaf, **kw)


def patch(name, fn):
    """Rewrites NAME.h5 byte-wise with fn(bytearray)."""
    path = os.path.join(OUT, name + ".h5")
    b = bytearray(open(path, "rb").read())
    fn(b)
    open(path, "wb").write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "model.json"), "w") as f:
        json.dump(STRUCTURE, f, indent=1)
    K = "dense_1/dense_1/kernel:0"
    write("good")
    # Declared shapes: (6, 10^9) is 24 GB if allocated, chunked or not;
    # (6, 8e6) is past maxParams; (6, 100000) is within it but not what the
    # structure says.
    write("kernel_huge_chunked", lambda f: replace(f, K, shape=(6, 10**9), chunks=(1, 1024), dtype="<f4"))
    write("kernel_huge_contiguous", lambda f: replace(f, K, shape=(6, 10**9), dtype="<f4"))
    write("kernel_too_many", lambda f: replace(f, K, shape=(6, 8 * 10**6), dtype="<f4"))
    write("kernel_wrong_shape", lambda f: replace(f, K, shape=(6, 100000), dtype="<f4"))
    write("kernel_3d", lambda f: replace(f, K, shape=(6, 4, 1), dtype="<f4"))
    # Types tracker refuses, and big-endian float32, which it reads exactly.
    write("kernel_int32", lambda f: replace(f, K, data=np.ones((6, 4), "<i4")))
    write("kernel_float16", lambda f: replace(f, K, data=np.ones((6, 4), "<f2")))
    write("kernel_float64", lambda f: replace(f, K, data=np.ones((6, 4), "<f8")))
    write("kernel_string", lambda f: replace(f, K, data=np.array([["x"] * 4] * 6, dtype=object), dtype=ASCII))
    write("kernel_bigendian", lambda f: replace(f, K, data=weights(1)["dense_1"]["kernel:0"].astype(">f4")))
    # Storage outside the file, compression, links.
    write("kernel_gzip", lambda f: replace(f, K, data=weights(1)["dense_1"]["kernel:0"], compression="gzip", chunks=(6, 4)))
    write("kernel_external", lambda f: replace(f, K, shape=(6, 4), dtype="<f4", external=[("/dev/zero", 0, 96)]))

    def soft(f):
        del f[K]
        f[K] = h5py.SoftLink("/dense_2/dense_2/kernel:0")
    write("kernel_softlink", soft)

    def ext(f):
        del f[K]
        f[K] = h5py.ExternalLink("/dev/zero", "/x")
    write("kernel_externallink", ext)
    # Missing pieces.
    write("group_missing", layer_names=("dense_1", "dense_2", "dense_9"))
    write("dataset_missing", lambda f: f.__delitem__(K))

    def numbers(f):
        del f["dense_1"].attrs["weight_names"]
        f["dense_1"].attrs["weight_names"] = np.array([1.0, 2.0])
    write("weight_names_numbers", numbers)

    # Byte patches where libhdf5 1.10.8 reads out of bounds (it segfaults on
    # the equivalent flips of a real Keras 2.2.4 file, 022.h5 at 13847 and 2074).
    def ds_size(b):
        i = b.index(b"weight_names\0")
        b[i - 1] ^= 0xFF  # high byte of the dataspace size field before the name
    write("attr_dataspace_overrun")
    patch("attr_dataspace_overrun", ds_size)

    def vlen(b):
        """Offsets of the backend string's stored length and heap index."""
        g = b.index(b"GCOL")
        want = struct.pack("<IQ", 10, g)
        i = b.index(want)
        return g, i
    write("gheap_object_overrun")
    patch("gheap_object_overrun", lambda b: b.__setitem__(vlen(b)[0] + 28, b[vlen(b)[0] + 28] ^ 0xFF))
    write("vlen_length_short")
    patch("vlen_length_short", lambda b: b.__setitem__(slice(vlen(b)[1], vlen(b)[1] + 4), struct.pack("<I", 3)))
    write("vlen_bad_index")
    patch("vlen_bad_index", lambda b: b.__setitem__(slice(vlen(b)[1] + 12, vlen(b)[1] + 16), struct.pack("<I", 77)))

    def base_size(b):
        # keras_version's datatype: variable-length string (8 bytes), then
        # its base type, whose 4-byte size goes from 1 to 0xFF000001.
        i = b.index(b"keras_version\0") + 16
        assert b[i] & 0x0F == 9, "not a variable-length type"
        b[i + 15] ^= 0xFF
    write("vlen_base_huge")
    patch("vlen_base_huge", base_size)

    with open(os.path.join(OUT, "model_v3.json"), "w") as f:
        json.dump(STRUCTURE_V3, f, indent=1)
    write_v3("v3_good")

    def v3_link(f):
        del f["layers/dense"]
        f["layers/dense"] = h5py.ExternalLink("/dev/zero", "/")
    write_v3("v3_external_link", v3_link)

    good = open(os.path.join(OUT, "good.h5"), "rb").read()
    open(os.path.join(OUT, "truncated.h5"), "wb").write(good[: len(good) // 2])
    open(os.path.join(OUT, "not_hdf5.h5"), "wb").write(b"this is not HDF5\n" * 8)


if __name__ == "__main__":
    main()
