#!/usr/bin/python3
"""PyTorch CPU baseline for tracker's training benchmark.

Does the work of BenchmarkTrainEpoch (experiments/nn) in PyTorch, from the
starting weights and data that benchmark wrote with TRACKER_BENCH_DUMP=DIR:
one epoch of 50,000 rows of 82 features through 82 -> 500 -> 500 -> 500 -> 2
(relu inside, softmax cross-entropy out), shuffled batches of 256, Adam with
Keras's defaults. It prints its results as Go benchmark lines so
bench/train.sh reads both sides the same way:

    train_torch.py DIR info     torch version, threads, the BLAS it maps
    train_torch.py DIR check    one epoch; its mean loss against tracker's
    train_torch.py DIR time     one line: the seconds of one timed epoch

Everything is float32. nn.Linear computes x @ weight.T + bias, so its weight
is the Keras kernel ([in, out]) transposed. CrossEntropyLoss on the logits
is the softmax and the cross-entropy that tracker computes in two steps
(tracker also clips probabilities at 1e-7 in the loss, which changes
nothing unless a probability falls below that).

Adam uses lr 0.001, betas (0.9, 0.999) and eps 1e-7, as Keras and tracker.
torch adds eps where it differs slightly: torch divides by
sqrt(v)/sqrt(1-b2^t) + eps, Keras and tracker by (sqrt(v) + eps)/sqrt(1-b2^t),
which is torch with an eps of eps/sqrt(1-b2^t) (3.2e-6 at the first step,
tending to 1e-7). This changes the weights in the last digits and costs the
same time.

The shuffle is torch's (torch.Generator seeded with 1), not tracker's, so
the batches differ and the two losses agree only roughly.
"""

import os
import sys
import time

import numpy as np
import torch

F32 = np.float32
BATCH, LR, BETAS, EPS = 256, 1e-3, (0.9, 0.999), 1e-7  # BenchmarkTrainEpoch's settings
WARMUP = 5  # batches run on a throwaway copy before the timed epoch
CHECK_RTOL = 0.10  # |torch - tracker| / tracker on the epoch's mean loss


def threads():
    """torch's intra-op threads: TORCH_THREADS, else OMP_NUM_THREADS, else
    every CPU. OpenBLAS's own threads are OPENBLAS_NUM_THREADS."""
    return int(os.environ.get("TORCH_THREADS") or os.environ.get("OMP_NUM_THREADS") or os.cpu_count())


def load(d, name):
    a = np.load(os.path.join(d, name + ".npy"))
    assert a.dtype == F32, (name, a.dtype)
    return a


def load_data(d):
    """Starting (kernel, bias) per Dense layer, inputs, labels and tracker's loss."""
    layers, i = [], 1
    while os.path.exists(os.path.join(d, "train_kernel_%d.npy" % i)):
        layers.append((load(d, "train_kernel_%d" % i), load(d, "train_bias_%d" % i)))
        i += 1
    assert layers, "no train_kernel_1.npy in %s: run BenchmarkTrainEpoch with TRACKER_BENCH_DUMP=%s" % (d, d)
    x = torch.from_numpy(load(d, "train_x"))
    labels = load(d, "train_labels")
    assert set(np.unique(labels)) <= {0, 1}, "labels are not 0/1"
    y = torch.from_numpy(labels.astype(np.int64))
    return layers, x, y, float(load(d, "train_loss")[0])


def build(layers):
    """nn.Sequential of Linear and ReLU with the dumped starting weights, and
    a fresh Adam over it."""
    mods = []
    for i, (k, b) in enumerate(layers):
        lin = torch.nn.Linear(*k.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(k.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i < len(layers) - 1:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    return model, torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)


def epoch(model, opt, x, y, gen, batches=None):
    """One epoch (or its first BATCHES batches) of shuffled minibatch Adam;
    returns the mean training loss over the rows seen, as tracker does."""
    lossfn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(x), generator=gen)
    total, seen = 0.0, 0
    for n, start in enumerate(range(0, len(x), BATCH)):
        if batches is not None and n >= batches:
            break
        idx = order[start : start + BATCH]
        xb, yb = x[idx], y[idx]  # gathered rows, as tracker copies each batch
        opt.zero_grad(set_to_none=True)
        loss = lossfn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        seen += len(idx)
    return total / seen


def blas_libraries():
    """The BLAS/LAPACK/oneDNN shared objects actually mapped into this process."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure BLAS is loaded
    with open("/proc/self/maps") as maps:
        return sorted({l.split()[-1] for l in maps if any(s in l for s in ("blas", "lapack", "mkl", "dnnl"))})


def info(_):
    torch.set_num_threads(threads())
    print("torch %s, numpy %s, python %s" % (torch.__version__, np.__version__, sys.version.split()[0]))
    print("torch.get_num_threads() = %d, torch.get_num_interop_threads() = %d" % (torch.get_num_threads(), torch.get_num_interop_threads()))
    cfg = torch.__config__.show()
    for key in ("BLAS_INFO", "USE_MKLDNN", "CPU capability usage", "MKL-DNN", "OpenMP"):
        for part in cfg.replace(", ", "\n").splitlines():
            if key in part:
                print("config: " + part.strip(" -"))
                break
    print("mkldnn available: %s, mkl available: %s" % (torch.backends.mkldnn.is_available(), torch.backends.mkl.is_available()))
    print("libraries mapped: " + ", ".join(blas_libraries()))
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOMAXPROCS"):
        print("%s=%s" % (k, os.environ.get(k, "(unset)")))


def check(d):
    torch.set_num_threads(threads())
    layers, x, y, want = load_data(d)
    model, opt = build(layers)
    with torch.no_grad():
        start = torch.nn.functional.cross_entropy(model(x), y).item()
    got = epoch(model, opt, x, y, torch.Generator().manual_seed(1))
    rel = abs(got - want) / want
    print("epoch mean training loss: torch %.4f, tracker %.4f, |torch - tracker| / tracker = %.3f (tolerance %.2f); loss of the starting weights %.4f"
          % (got, want, rel, CHECK_RTOL, start))
    if not rel <= CHECK_RTOL:
        sys.exit("train_torch.py check: torch's loss %.4f is not within %.0f%% of tracker's %.4f" % (got, 100 * CHECK_RTOL, want))


def bench_time(d):
    torch.set_num_threads(threads())
    layers, x, y, _ = load_data(d)
    # Warm up on a throwaway copy: the thread pool, kernel selection, page
    # faults. The timed epoch then starts from the dumped weights with a
    # fresh Adam, as tracker's does.
    model, opt = build(layers)
    epoch(model, opt, x, y, torch.Generator().manual_seed(2), batches=WARMUP)
    model, opt = build(layers)
    gen = torch.Generator().manual_seed(1)
    t0 = time.perf_counter()
    loss = epoch(model, opt, x, y, gen)
    took = time.perf_counter() - t0
    print("TorchTrainEpoch\t1\t%d ns/op\t%.4f loss\t%.3f s/epoch" % (took * 1e9, loss, took))


if __name__ == "__main__":
    modes = {"info": info, "check": check, "time": bench_time}
    if len(sys.argv) != 3 or sys.argv[2] not in modes:
        sys.exit("usage: train_torch.py DIR {%s}" % ",".join(modes))
    modes[sys.argv[2]](sys.argv[1])
