#!/usr/bin/python3
"""numpy float32 baseline for tracker's inference benchmarks.

Does the work of BenchmarkForward (experiments/nn) and BenchmarkPerturb
(experiments) in numpy, on the weights and data those benchmarks wrote with
TRACKER_BENCH_DUMP=DIR, and prints its timings as Go benchmark lines so
bench/nn.sh reads both sides the same way:

    nn_numpy.py DIR info       BLAS library and thread counts numpy runs with
    nn_numpy.py DIR check      numpy's answers against tracker's
    nn_numpy.py DIR forward    one line: 10,000 rows per op, ops for >= 1 s
    nn_numpy.py DIR perturb    one line: one whole perturb run

Every array and matrix product is float32, as in tracker; the noise is drawn
in float64 and added in float64 before rounding to float32, as perturb.go
does.
"""

import ctypes
import os
import sys
import time

import numpy as np

F32 = np.float32
PIVOTS, SAMPLES, OUTPUT, NOISE_STD = 100, 100, 1, 1.0  # BenchmarkPerturb's settings


def load(d, name):
    a = np.load(os.path.join(d, name + ".npy"))
    assert a.dtype == F32, (name, a.dtype)
    return a


def load_layers(d):
    """(kernel, bias) for each Dense layer, in order."""
    layers, i = [], 1
    while os.path.exists(os.path.join(d, "kernel_%d.npy" % i)):
        layers.append((load(d, "kernel_%d" % i), load(d, "bias_%d" % i)))
        i += 1
    assert layers, "no kernel_1.npy in %s: run the Go benchmarks with TRACKER_BENCH_DUMP=%s" % (d, d)
    return layers


def forward(x, layers):
    """relu inside, softmax out, all float32: what nn.Net.Forward computes."""
    a = x
    for i, (w, b) in enumerate(layers):
        z = a @ w
        z += b
        if i < len(layers) - 1:
            np.maximum(z, 0, out=z)
        a = z
    a -= a.max(axis=1, keepdims=True)
    np.exp(a, out=a)
    a /= a.sum(axis=1, keepdims=True)
    assert a.dtype == F32
    return a


def perturb(data, layers, rng, pivots=PIVOTS, samples=SAMPLES, output=OUTPUT, amount=NOISE_STD):
    """The pivot method of experiments/perturb.go with noise std:AMOUNT,
    one forward pass of pivots*samples rows per feature. Returns value,
    spread and flip rate per feature."""
    rows, cols = data.shape
    idx = np.arange(rows) if pivots >= rows else np.sort(rng.choice(rows, pivots, replace=False))
    px = data[idx]
    n = len(idx)
    base = forward(px, layers)
    base_class = base.argmax(axis=1)
    base_out = base[:, output].astype(np.float64)[:, None]
    std = data.astype(np.float64).std(axis=0, ddof=1)  # columnStats: n-1 denominator

    tiled = np.repeat(px, samples, axis=0)  # row p*samples+s is pivot p
    x = np.empty_like(tiled)
    value, spread, flips = np.empty(cols), np.empty(cols), np.empty(cols)
    for f in range(cols):
        np.copyto(x, tiled)
        delta = rng.standard_normal(n * samples) * (amount * std[f])
        x[:, f] = (x[:, f].astype(np.float64) + delta).astype(F32)
        y = forward(x, layers)
        change = np.abs(y[:, output].astype(np.float64).reshape(n, samples) - base_out)
        per_pivot = change.mean(axis=1)
        value[f], spread[f] = per_pivot.mean(), per_pivot.std(ddof=1)
        flips[f] = (y.argmax(axis=1).reshape(n, samples) != base_class[:, None]).mean()
    return value, spread, flips


def blas_libraries():
    """The BLAS/LAPACK shared objects actually mapped into this process."""
    np.ones((64, 64), F32) @ np.ones((64, 64), F32)  # make sure BLAS is loaded
    with open("/proc/self/maps") as maps:
        return sorted({l.split()[-1] for l in maps if "blas" in l or "lapack" in l})


def info(_):
    print("numpy %s, python %s" % (np.__version__, sys.version.split()[0]))
    libs = blas_libraries()
    print("BLAS mapped: " + ", ".join(libs))
    for lib in libs:
        try:
            so = ctypes.CDLL(lib)
            get_threads, get_config = so.openblas_get_num_threads, so.openblas_get_config
        except (OSError, AttributeError):
            continue
        get_config.restype = ctypes.c_char_p
        print("OpenBLAS %s: openblas_get_num_threads() = %d" % (get_config().decode(), get_threads()))
        break
    else:
        print("no OpenBLAS among the mapped libraries; np.show_config():")
        np.show_config()
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOMAXPROCS"):
        print("%s=%s" % (k, os.environ.get(k, "(unset)")))


def check(d):
    layers = load_layers(d)
    x, want = load(d, "forward_x"), load(d, "forward_y")
    got = forward(x, layers)
    print("forward: max |numpy - tracker| = %.2e over %d rows" % (np.abs(got - want).max(), len(x)))
    value, spread, flips = perturb(load(d, "perturb_x"), layers, np.random.default_rng(1))
    # Different noise draws: agreement is statistical, not exact.
    for name, mine in (("value", value), ("spread", spread), ("flip_rate", flips)):
        theirs = load(d, "perturb_" + name).astype(np.float64)
        rel = np.abs(mine - theirs).max() / np.abs(theirs).max()
        print("perturb %-9s: max |numpy - tracker| / max |tracker| = %.3f, corr %.4f" % (name, rel, np.corrcoef(mine, theirs)[0, 1]))


def bench_forward(d):
    layers = load_layers(d)
    x = load(d, "forward_x")
    forward(x, layers)  # warm up: BLAS threads, page faults
    n, t0 = 0, time.perf_counter()
    while True:  # like b.Loop with -benchtime 1s
        forward(x, layers)
        n += 1
        took = time.perf_counter() - t0
        if took >= 1:
            break
    print("NumpyForward\t%d\t%d ns/op\t%.0f rows/s" % (n, took / n * 1e9, n * len(x) / took))


def bench_perturb(d):
    layers = load_layers(d)
    data = load(d, "perturb_x")
    forward(data, layers)  # warm up
    t0 = time.perf_counter()
    perturb(data, layers, np.random.default_rng(1))
    took = time.perf_counter() - t0
    rows = min(PIVOTS, len(data)) * SAMPLES * data.shape[1]
    print("NumpyPerturb\t1\t%d ns/op\t%.1f ms/run\t%.0f rows/s" % (took * 1e9, took * 1e3, rows / took))


if __name__ == "__main__":
    modes = {"info": info, "check": check, "forward": bench_forward, "perturb": bench_perturb}
    if len(sys.argv) != 3 or sys.argv[2] not in modes:
        sys.exit("usage: nn_numpy.py DIR {%s}" % ",".join(modes))
    modes[sys.argv[2]](sys.argv[1])
