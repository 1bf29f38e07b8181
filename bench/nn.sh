#!/usr/bin/env bash
# Inference benchmarks: tracker's forward pass and perturb method against
# numpy float32 doing the same work on the same weights, in one run so the
# ratios mean something on a noisy machine. Rounds alternate tracker and
# numpy (forward, then perturb), and each side's median over the rounds is
# compared:
#   forward: tracker rows/s / numpy rows/s, 10,000 rows of 82 per op (target >= 1)
#   perturb: numpy time / tracker time, 100 pivots x 100 samples x 82 features (target >= 1)
# Run from the repo root: bash bench/nn.sh
# Knobs: ROUNDS (samples per side, 5), THREADS (BLAS threads and GOMAXPROCS
# for both sides, nproc), PY (python with numpy, /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5} THREADS=${THREADS:-$(nproc)} PY=${PY:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS GOMAXPROCS=$THREADS
work=$(mktemp -d "${TMPDIR:-/tmp}/tracker-nn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# median reads numbers, one a line, and prints their median.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# metric FILE NAME UNIT prints the value before UNIT on each line of benchmark NAME.
metric() { awk -v n="$2" -v u="$3" '$1 ~ "^" n "(-[0-9]+)?$" {for (i = 3; i <= NF; i++) if ($i == u) print $(i - 1)}' "$1"; }
load() { cut -d' ' -f1 /proc/loadavg; }

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load average $(load)"
awk -v l="$(load)" 'BEGIN {exit !(l > 0.5)}' && echo "warning: load average $(load): something is or was just running, the figures may be noisy" >&2
echo "threads: OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$OMP_NUM_THREADS GOMAXPROCS=$GOMAXPROCS"
go test -c -o "$work/nn.test" ./experiments/nn/
go test -c -o "$work/experiments.test" ./experiments/
echo "tracker links: $(ldd "$work/nn.test" | awk '/blas/ {print $3}' | xargs -r readlink -f | tr '\n' ' ')"
"$PY" bench/nn_numpy.py "$work" info

echo "== same work: weights, data and tracker's answers dumped, numpy's checked against them"
TRACKER_BENCH_DUMP=$work "$work/nn.test" -test.run='^$' -test.bench='^BenchmarkForward$' -test.benchtime=1x >/dev/null
TRACKER_BENCH_DUMP=$work "$work/experiments.test" -test.run='^$' -test.bench='^BenchmarkPerturb$' -test.benchtime=1x >/dev/null
"$PY" bench/nn_numpy.py "$work" check

echo "== $ROUNDS rounds, tracker then numpy"
for r in $(seq "$ROUNDS"); do
	"$work/nn.test" -test.run='^$' -test.bench='^BenchmarkForward$' | grep '^Benchmark' | tee -a "$work/go.txt"
	"$PY" bench/nn_numpy.py "$work" forward | tee -a "$work/np.txt"
	"$work/experiments.test" -test.run='^$' -test.bench='^BenchmarkPerturb$' -test.benchtime=1x | grep '^Benchmark' | tee -a "$work/go.txt"
	"$PY" bench/nn_numpy.py "$work" perturb | tee -a "$work/np.txt"
done

echo "== medians over $ROUNDS rounds (load average now $(load))"
tf=$(metric "$work/go.txt" BenchmarkForward rows/s | median)
nf=$(metric "$work/np.txt" NumpyForward rows/s | median)
tp=$(metric "$work/go.txt" BenchmarkPerturb ms/run | median)
np=$(metric "$work/np.txt" NumpyPerturb ms/run | median)
awk -v tf="$tf" -v nf="$nf" -v tp="$tp" -v np="$np" 'BEGIN {
	printf "forward, 10000 rows: tracker %.0f rows/s (%.1f ms/op), numpy %.0f rows/s (%.1f ms/op)\n", tf, 1e7 / tf, nf, 1e7 / nf
	printf "perturb, 820000 rows: tracker %.0f ms/run (%.0f rows/s), numpy %.0f ms/run (%.0f rows/s)\n", tp, 8.2e8 / tp, np, 8.2e8 / np
	printf "forward tracker/numpy rows/s = %.3f; target >= 1.0: %s\n", tf / nf, (tf >= nf ? "met" : "NOT met")
	printf "perturb numpy/tracker time   = %.3f; target >= 1.0: %s\n", np / tp, (np >= tp ? "met" : "NOT met")
}'
