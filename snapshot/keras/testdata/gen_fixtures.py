"""Independent h5py reference for the Keras fixture files (written to fixtures.json).

For every weights-bearing fixture it records keras_version and, for each layer that
owns weights (in model order), every tensor's role, shape, first 3 values, last value
and float64 sum of absolute values. Go tests compare the Go HDF5 loader with it.
The LSTM fixture (textgen-lstm-*) is skipped. Needs Debian's python3-h5py and
python3-numpy. To regenerate, run this from the repo root (/work/main):

    /usr/bin/python3 snapshot/keras/testdata/gen_fixtures.py ../shared/fixtures/keras \
        > snapshot/keras/testdata/fixtures.json
"""
import io
import json
import math
import os
import re
import sys
import zipfile

import h5py
import numpy as np

# Keras 3 `vars/<i>` index -> role, by layer class.
VAR_ROLES = {
    "Dense": ["kernel", "bias"],
    "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"],
}


def text(s):
    return s.decode() if isinstance(s, bytes) else str(s)


def tensor(role, ds):
    a = ds[()]
    if a.dtype != np.dtype("<f4"):
        raise SystemExit(f"{ds.name}: dtype {a.dtype.str}, want <f4")
    flat = a.ravel(order="C")
    return {
        "role": role,
        "shape": list(a.shape),
        "head": [float(np.float32(v)) for v in flat[:3]],
        "tail": float(np.float32(flat[-1])),
        "sum_abs": math.fsum(np.abs(flat.astype(np.float64))),  # correctly rounded
    }


def keras2_layers(f):
    """save_weights / model.save layout: layer_names order, each group's weight_names."""
    g = f["model_weights"] if "model_weights" in f else f
    layers = []
    for name in map(text, g.attrs["layer_names"]):  # never lists top_level_model_weights
        wnames = g[name].attrs["weight_names"]
        if wnames.dtype.kind == "f":  # weight-less layer: empty float64 array
            continue
        ts = [tensor(text(w).split("/")[-1].removesuffix(":0"), g[name][text(w)])
              for w in wnames]
        layers.append({"name": name, "tensors": ts})
    return layers


def snake(cls):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls).lower()


def split_auto(name):
    """'dense_10' -> ('dense', 10); 'dense' -> ('dense', 0)."""
    m = re.fullmatch(r"(.*?)(?:_(\d+))?", name)
    return m.group(1), int(m.group(2) or 0)


def v3_groups(f):
    """Layer groups of a Keras 3 weights file: {group name: vars group}.
    Handles both `layers/<x>` and Windows-saved single links `layers\\<x>`."""
    out = {}
    if "layers" in f:
        out.update({k: g["vars"] for k, g in f["layers"].items()})
    out.update({k[len("layers\\"):]: g["vars"] for k, g in f.items()
                if k.startswith("layers\\")})
    return out


def v3_tensors(cls, vars_group):
    roles = VAR_ROLES[cls]
    return [tensor(roles[int(i)], vars_group[i]) for i in sorted(vars_group, key=int)]


def keras3_zip_layers(f, config):
    groups = v3_groups(f)
    by_attr = {text(v.attrs["name"]): v for v in groups.values() if "name" in v.attrs}
    by_class = {}  # class snake name -> vars groups sorted by numeric suffix
    for k in sorted(groups, key=split_auto):
        by_class.setdefault(split_auto(k)[0], []).append(groups[k])
    layers = []
    for layer in config["config"]["layers"]:
        cls, name = layer["class_name"], layer["config"]["name"]
        if cls == "InputLayer":
            continue
        if by_attr:
            v = by_attr[name]
        else:  # no name attr: n-th layer of this class <-> n-th auto-named group
            v = by_class[snake(cls)].pop(0)
        if len(v):
            layers.append({"name": name, "tensors": v3_tensors(cls, v)})
    return layers


def tuner_layers(f):
    """No config: name by vars `name` attr (else group name), order by suffix."""
    layers = []
    for k, v in sorted(v3_groups(f).items(), key=lambda kv: split_auto(kv[0])):
        if len(v):
            cls = {"dense": "Dense", "batch_normalization": "BatchNormalization"}[split_auto(k)[0]]
            layers.append({"name": text(v.attrs.get("name", k)), "tensors": v3_tensors(cls, v)})
    return layers


def describe(path):
    if path.endswith(".keras"):
        z = zipfile.ZipFile(path)
        meta = json.loads(z.read("metadata.json"))
        config = json.loads(z.read("config.json"))
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            return {"keras_version": meta.get("keras_version", ""),
                    "layers": keras3_zip_layers(f, config)}
    with h5py.File(path, "r") as f:
        version = text(f.attrs.get("keras_version", ""))
        layers = keras2_layers(f) if "layers" not in f else tuner_layers(f)
        return {"keras_version": version, "layers": layers}


def main(root):
    out = {}
    for d, _, files in os.walk(root):
        for fn in files:
            rel = os.path.relpath(os.path.join(d, fn), root).replace(os.sep, "/")
            if rel.startswith("textgen-lstm-") or not fn.endswith((".h5", ".hdf5", ".keras")):
                continue
            out[rel] = describe(os.path.join(d, fn))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
