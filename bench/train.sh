#!/usr/bin/env bash
# Training benchmark: one epoch of tracker's trainer (experiments/nn
# BenchmarkTrainEpoch) against PyTorch on the CPU doing the same work from
# the same starting weights, in one run so the ratio means something on a
# noisy machine: 50,000 rows of 82 features through 82 -> 500 -> 500 -> 500
# -> 2 (relu, softmax cross-entropy), shuffled batches of 256, Adam with
# Keras's defaults, float32. Rounds alternate tracker and torch, one epoch
# each, and each side's median over the rounds is compared:
#   train: tracker s/epoch / torch s/epoch (target <= 1)
# torch gets TORCH_THREADS intra-op (OpenMP) threads, 1 by default, and
# THREADS OpenBLAS threads, which is how tracker runs: sgemm on THREADS
# OpenBLAS threads, everything else on one goroutine. That is also torch's
# fastest setting here. With THREADS OpenMP threads as well, torch's idle
# OpenMP workers spin on the cores OpenBLAS's threads need, and its epoch
# takes 3 to 15 times as long and varies wildly; one such epoch is run after
# the rounds, for reference only.
# Run from the repo root: bash bench/train.sh
# Knobs: ROUNDS (samples per side, 5), THREADS (OpenBLAS threads and
# GOMAXPROCS for both sides, nproc), TORCH_THREADS (torch's intra-op threads
# in the headline run, 1), PY (python with torch, /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5} THREADS=${THREADS:-$(nproc)} TORCH_THREADS=${TORCH_THREADS:-1} PY=${PY:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS GOMAXPROCS=$THREADS
work=$(mktemp -d "${TMPDIR:-/tmp}/tracker-train-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# median reads numbers, one a line, and prints their median.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# metric FILE NAME UNIT prints the value before UNIT on each line of benchmark NAME.
metric() { awk -v n="$2" -v u="$3" '$1 ~ "^" n "(-[0-9]+)?$" {for (i = 3; i <= NF; i++) if ($i == u) print $(i - 1)}' "$1"; }
load() { cut -d' ' -f1 /proc/loadavg; }
# torch T MODE runs train_torch.py with T intra-op threads.
torch() { TORCH_THREADS=$1 "$PY" bench/train_torch.py "$work" "$2"; }

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load average $(load)"
awk -v l="$(load)" 'BEGIN {exit !(l > 0.5)}' && echo "warning: load average $(load): something is or was just running, the figures may be noisy" >&2
echo "threads: OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$OMP_NUM_THREADS GOMAXPROCS=$GOMAXPROCS; torch intra-op threads $TORCH_THREADS"
go test -c -o "$work/nn.test" ./experiments/nn/
echo "tracker links: $(ldd "$work/nn.test" | awk '/blas/ {print $3}' | xargs -r readlink -f | tr '\n' ' ')"
torch "$TORCH_THREADS" info

echo "== same work: starting weights, data and tracker's epoch loss dumped, torch's checked against them"
TRACKER_BENCH_DUMP=$work "$work/nn.test" -test.run='^$' -test.bench='^BenchmarkTrainEpoch$' -test.benchtime=1x >/dev/null
torch "$TORCH_THREADS" check

echo "== $ROUNDS rounds, tracker then torch"
for r in $(seq "$ROUNDS"); do
	"$work/nn.test" -test.run='^$' -test.bench='^BenchmarkTrainEpoch$' -test.benchtime=1x | grep '^Benchmark' | tee -a "$work/go.txt"
	torch "$TORCH_THREADS" time | tee -a "$work/torch.txt"
done

echo "== medians over $ROUNDS rounds (load average now $(load))"
tg=$(metric "$work/go.txt" BenchmarkTrainEpoch s/epoch | median)
tt=$(metric "$work/torch.txt" TorchTrainEpoch s/epoch | median)
awk -v tg="$tg" -v tt="$tt" -v n="$TORCH_THREADS" 'BEGIN {
	printf "train, one epoch of 50000 rows: tracker %.3f s/epoch, torch %.3f s/epoch (%d intra-op threads)\n", tg, tt, n
	printf "train tracker/torch epoch time = %.3f; target <= 1.0: %s\n", tg / tt, (tg <= tt ? "met" : "NOT met")
}'
if [ "$THREADS" != "$TORCH_THREADS" ]; then
	echo "== for reference, not in the ratio: one torch epoch with $THREADS intra-op threads"
	torch "$THREADS" time
fi
