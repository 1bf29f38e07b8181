#!/usr/bin/python3
"""Exact two-sample KS statistics and Wasserstein-1 distances of the
profile accuracy cases, on the raw rows, with scipy.

The samples are drawn in Go from fixed seeds (accuracy_test.go) and
written as little-endian float32 by

    go test ./experiments/profile -run TestWriteSamples -samples DIR

then this script reads DIR and prints the JSON that
experiments/profile/testdata/exact.json holds:

    /usr/bin/python3 experiments/profile/testdata/exact.py DIR > experiments/profile/testdata/exact.json

Needs Debian's python3-scipy.
"""
import json
import os
import sys

import numpy as np
from scipy import stats


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        names = json.load(f)
    out = []
    for i, name in enumerate(names):
        a = np.fromfile(os.path.join(d, "a-%02d.f32" % i), dtype="<f4").astype(np.float64)
        b = np.fromfile(os.path.join(d, "b-%02d.f32" % i), dtype="<f4").astype(np.float64)
        ks = stats.ks_2samp(a, b, method="asymp").statistic
        w = stats.wasserstein_distance(a, b)
        out.append({"name": name, "n": len(a), "m": len(b), "ks": float(ks), "wasserstein": float(w)})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
