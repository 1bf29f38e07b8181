#!/usr/bin/python3
"""Write scikit-learn's answers for quality's reference cases.

Run with Debian's Python (python3-sklearn, python3-numpy):

    /usr/bin/python3 experiments/quality/testdata/gen_reference.py \
        > experiments/quality/testdata/sklearn_reference.json

The inputs are not stored: each case's rows are drawn from a 64-bit LCG
that reference_test.go implements the same way, using only +, -, *, / and
floor, which IEEE 754 rounds identically in Python and Go, so both sides
build bit-identical inputs. A checksum of every case's inputs (the sum of
its probabilities and labels) is stored so the Go test can tell a drifted
generator from a wrong metric.
"""

import json
import math
import sys

import numpy as np
import scipy
import sklearn
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score

MASK = (1 << 64) - 1
EPS = 1e-7  # quality's log-loss clip (docs/METHODS.md, "Model quality")


class LCG:
    """Knuth's MMIX LCG; uniform() is the top 53 bits over 2^53."""

    def __init__(self, seed):
        self.x = seed & MASK

    def uniform(self):
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) & MASK
        return (self.x >> 11) / 9007199254740992.0


def binary(c):
    g = LCG(c["seed"])
    probs, labels = [], []
    for _ in range(c["n"]):
        y = 1 if g.uniform() < c["base"] else 0
        if c.get("perfect"):
            p = float(y)
        elif "constant" in c:
            p = c["constant"]
        else:
            z = (2 * y - 1) * c["strength"] + (g.uniform() + g.uniform() + g.uniform() - 1.5) * c["noise"]
            p = 0.5 + 0.5 * z / (1 + abs(z))
            if c.get("round"):
                p = math.floor(p * c["round"] + 0.5) / c["round"]
        probs.append([1 - p, p])
        labels.append(y)
    return np.array(probs), np.array(labels)


def multi(c):
    g = LCG(c["seed"])
    k = c["k"]
    probs, labels = [], []
    for _ in range(c["n"]):
        y = int(math.floor(g.uniform() * k))
        if c.get("perfect"):
            row = [1.0 if j == y else 0.0 for j in range(k)]
        else:
            e = []
            for j in range(k):
                v = g.uniform() + (c["strength"] if j == y else 0.0)
                e.append(v * v)
            s = 0.0
            for v in e:
                s += v
            row = [v / s for v in e]
        probs.append(row)
        labels.append(y)
    return np.array(probs), np.array(labels)


CASES = [
    dict(name="ten rows", kind="binary", seed=11, n=10, base=0.5, strength=0.3, noise=3.0),
    dict(name="balanced", kind="binary", seed=1, n=1000, base=0.5, strength=0.8, noise=1.5),
    dict(name="imbalanced 1%", kind="binary", seed=2, n=100000, base=0.01, strength=1.0, noise=1.5),
    dict(name="perfect", kind="binary", seed=3, n=200, base=0.3, perfect=True),
    dict(name="constant predictions", kind="binary", seed=4, n=500, base=0.4, constant=0.3),
    dict(name="ties in scores", kind="binary", seed=5, n=2000, base=0.5, strength=0.5, noise=1.0, round=10),
    dict(name="scores 0, 0.5 and 1", kind="binary", seed=6, n=300, base=0.5, strength=1.0, noise=2.0, round=2),
    dict(name="three classes", kind="multi", seed=7, n=3000, k=3, strength=0.6),
    dict(name="three classes perfect", kind="multi", seed=8, n=100, k=3, perfect=True),
    dict(name="five classes, 50 rows", kind="multi", seed=9, n=50, k=5, strength=0.3),
]


def main():
    out = {
        "generator": "testdata/gen_reference.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "log_loss_eps": EPS,
        "cases": [],
    }
    for c in CASES:
        probs, y = (binary if c["kind"] == "binary" else multi)(c)
        k = probs.shape[1]
        assert len(set(y.tolist())) == k, c["name"]  # every class present
        pred = probs.argmax(axis=1)  # the first of equal maxima, as quality does
        r = dict(c)
        r["k"] = k
        r["checksum"] = float((probs * np.arange(1, k + 1)).sum() + y.sum())
        r["accuracy"] = accuracy_score(y, pred)
        r["log_loss"] = log_loss(y, probs, eps=EPS, labels=list(range(k)))
        if k == 2:
            r["auc"] = roc_auc_score(y, probs[:, 1])
            r["brier"] = brier_score_loss(y, probs[:, 1])
        else:
            r["auc"] = roc_auc_score(y, probs, multi_class="ovr", average="macro", labels=list(range(k)))
            # sklearn 1.2 has no multi-class Brier: Brier's (1950) sum over
            # classes, the mean over rows of sum_c (p_c - [y = c])^2.
            onehot = np.eye(k)[y]
            r["brier"] = float(((probs - onehot) ** 2).sum(axis=1).mean())
        out["cases"].append(r)
    json.dump(out, sys.stdout, indent=1, default=float)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
