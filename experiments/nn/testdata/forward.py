"""Independent forward pass for nn's tests: reads a Keras 2 structure JSON and
save_weights .h5 with h5py, runs the rows of a float32 .npy file through the
network with numpy, and writes the outputs as float32 .npy.

    /usr/bin/python3 forward.py STRUCTURE.json WEIGHTS.h5 X.npy OUT.npy
"""
import json
import math
import sys

import h5py
import numpy as np


def act(name, z, keras_version):
    if name == "linear":
        return z
    if name == "relu":
        return np.maximum(z, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise SystemExit("activation %s not in this reference" % name)


def main():
    structure, weights, xs, out = sys.argv[1:5]
    cfg = json.load(open(structure))
    f = h5py.File(weights, "r")
    x = np.load(xs).astype(np.float64)
    for layer in cfg["config"]["layers"]:
        c, name = layer["config"], layer["config"]["name"]
        g = f[name]
        ws = {n.decode().split("/")[-1].split(":")[0]: g[n.decode()][()] for n in g.attrs["weight_names"]} if len(g.attrs["weight_names"]) else {}
        cls = layer["class_name"]
        if cls == "Dense":
            x = x @ ws["kernel"].astype(np.float64)
            if "bias" in ws:
                x = x + ws["bias"]
            x = act(c["activation"], x, cfg.get("keras_version", ""))
        elif cls == "BatchNormalization":
            x = (x - ws["moving_mean"]) / np.sqrt(ws["moving_variance"] + c["epsilon"])
            x = x * ws.get("gamma", 1.0) + ws.get("beta", 0.0)
        elif cls == "Activation":
            x = act(c["activation"], x, cfg.get("keras_version", ""))
        elif cls in ("Dropout", "Flatten"):
            pass
        else:
            raise SystemExit("layer class %s not in this reference" % cls)
    np.save(out, x.astype(np.float32))


main()
