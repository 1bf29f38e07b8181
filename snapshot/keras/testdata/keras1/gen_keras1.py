#!/usr/bin/python3
"""Writes the Keras 1 test models in this directory, laid out as Keras 1.2
model.to_json() and model.save_weights() wrote them (no Keras needed):
the Sequential config is a plain list of layers, Dense says output_dim,
init and bias, Dropout says p, and the weights file lists layer_names at
the root and weight_names such as dense_1_W per layer group.

Also writes ../conventions/tiny.json and tiny.h5, a Keras 2 model that
resolve_test.go copies under every naming convention.

Run from snapshot/keras/testdata: /usr/bin/python3 keras1/gen_keras1.py
"""
import json

import h5py
import numpy as np


def dense(name, out, act, init="glorot_uniform", bias=True, **extra):
    cfg = {"name": name, "output_dim": out, "activation": act, "init": init,
           "bias": bias, "trainable": True, "W_regularizer": None,
           "b_regularizer": None, "activity_regularizer": None,
           "W_constraint": None, "b_constraint": None, "input_dtype": "float32"}
    cfg.update(extra)
    return {"class_name": "Dense", "config": cfg}


def values(shape, start):
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float32) * 0.125 + start).reshape(shape)


def save_weights(path, layers, tf_names=False):
    """layers: [(name, [(weight_suffix, array)])] in config order."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        for name, ws in layers:
            g = f.create_group(name)
            names = [f"{name}_{s}" + (":0" if tf_names else "") for s, _ in ws]
            g.attrs["weight_names"] = np.array([n.encode() for n in names])
            for n, (_, a) in zip(names, ws):
                g.create_dataset(n, data=a)


def write(stem, model, layers, tf_names=False):
    with open(stem + ".json", "w") as f:
        json.dump(model, f, indent=1, sort_keys=True)
    save_weights(stem + ".h5", layers, tf_names)


# dense: 3 -> Dense(4, relu) -> Dropout(0.25) -> Dense(1, sigmoid, no bias),
# Theano-style weight names, keras_version 1.2.2.
write("keras1/dense", {
    "class_name": "Sequential", "keras_version": "1.2.2",
    "config": [
        dense("dense_1", 4, "relu", init="uniform", batch_input_shape=[None, 3], input_dim=3),
        {"class_name": "Dropout", "config": {"name": "dropout_1", "p": 0.25, "trainable": True}},
        dense("dense_2", 1, "sigmoid", bias=False),
    ]}, [
    ("dense_1", [("W", values((3, 4), 0.0)), ("b", values((4,), -1.0))]),
    ("dropout_1", []),
    ("dense_2", [("W", values((4, 1), 0.5))]),
])

# noversion: Keras 1.0 wrote no keras_version; input_dim only, TensorFlow
# names (dense_1_W:0), and an Activation layer.
write("keras1/noversion", {
    "class_name": "Sequential",
    "config": [
        dense("dense_1", 2, "linear", input_dim=3),
        {"class_name": "Activation", "config": {"name": "activation_1", "activation": "tanh", "trainable": True}},
    ]}, [
    ("dense_1", [("W", values((3, 2), 1.0)), ("b", values((2,), 0.0))]),
    ("activation_1", []),
], tf_names=True)

# batchnorm: Keras 1 BatchNormalization, refused.
write("keras1/batchnorm", {
    "class_name": "Sequential", "keras_version": "1.2.2",
    "config": [
        dense("dense_1", 2, "relu", batch_input_shape=[None, 3]),
        {"class_name": "BatchNormalization", "config": {
            "name": "batchnormalization_1", "epsilon": 0.001, "mode": 0, "axis": -1,
            "momentum": 0.99, "beta_init": "zero", "gamma_init": "one",
            "gamma_regularizer": None, "beta_regularizer": None, "trainable": True}},
    ]}, [
    ("dense_1", [("W", values((3, 2), 0.0)), ("b", values((2,), 0.0))]),
    ("batchnormalization_1", [("gamma", values((2,), 1.0)), ("beta", values((2,), 0.0)),
                              ("running_mean", values((2,), 0.0)), ("running_std", values((2,), 1.0))]),
])

# merge: a Keras 1 layer class tracker does not read, refused.
write("keras1/maxout", {
    "class_name": "Sequential", "keras_version": "1.1.0",
    "config": [
        {"class_name": "MaxoutDense", "config": {"name": "maxoutdense_1", "output_dim": 2,
                                                  "nb_feature": 4, "input_dim": 3, "init": "glorot_uniform"}},
    ]}, [
    ("maxoutdense_1", [("W", values((4, 3, 2), 0.0)), ("b", values((4, 2), 0.0))]),
])

# conventions/tiny: a Keras 2.2.4 style model, 3 -> Dense(2, relu) -> Dense(1).
tiny = {"class_name": "Sequential", "keras_version": "2.2.4", "backend": "tensorflow",
        "config": {"name": "sequential_1", "layers": [
            {"class_name": "Dense", "config": {"name": "dense_1", "units": 2, "activation": "relu",
                                               "use_bias": True, "batch_input_shape": [None, 3]}},
            {"class_name": "Dense", "config": {"name": "dense_2", "units": 1, "activation": "linear",
                                               "use_bias": True}}]}}
with open("conventions/tiny.json", "w") as f:
    json.dump(tiny, f, indent=1, sort_keys=True)
with h5py.File("conventions/tiny.h5", "w") as f:
    f.attrs["layer_names"] = np.array([b"dense_1", b"dense_2"])
    f.attrs["keras_version"] = b"2.2.4"
    f.attrs["backend"] = b"tensorflow"
    for name, shapes, start in (("dense_1", ((3, 2), (2,)), 0.0), ("dense_2", ((2, 1), (1,)), 2.0)):
        g = f.create_group(name)
        ws = [f"{name}/kernel:0", f"{name}/bias:0"]
        g.attrs["weight_names"] = np.array([w.encode() for w in ws])
        for w, s in zip(ws, shapes):
            g.create_dataset(w, data=values(s, start))
