#!/usr/bin/env bash
# Full drop-retrain: every one of the 82 features of the reference network
# (82 -> 500x3 -> 2), plus the baseline, one seed, 5 epochs each (no early
# stopping), batch 256, on ROWS rows with a 20% validation split; once with
# --init snapshot (fine-tune the stored weights) and once with --init
# scratch. Whole `tracker run drop-retrain` process, wall time.
# First a memory figure: peak RSS of drop-retrains of 5 and of 20
# trainings (baseline included, one epoch each, one worker) and their
# ratio, which must stay within 1.25 (issue 10, item 6).
# Run from the repo root: bash bench/dropretrain.sh
# Knobs: ROWS (50000), WORKERS (trainings at once, 2), EPOCHS (5),
# INITS ("snapshot scratch"; "" for the memory figure only), MEMORY (1; 0
# skips the figure), PY (python with numpy, /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-50000} WORKERS=${WORKERS:-2} EPOCHS=${EPOCHS:-5} INITS=${INITS-snapshot scratch} MEMORY=${MEMORY:-1} PY=${PY:-/usr/bin/python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/tracker-drop-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1 /proc/loadavg)"
go build -o bin/tracker ./cmd/tracker
go run ./bench/mkmodels -out "$work" -weeks 1 >/dev/null
bin/tracker --db "$work/base.db" ingest "$work"/Model/*/ >/dev/null
# Standard-normal features; the class depends on a few of them, one
# through an interaction, so some drops matter and most do not.
"$PY" - "$work/data.csv" "$ROWS" <<'PY'
import sys, numpy as np
path, rows = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
x = rng.standard_normal((rows, 82)).astype(np.float32)
y = (x[:, 0] + x[:, 1] * x[:, 2] - 0.5 * x[:, 3] + 0.1 * rng.standard_normal(rows) > 0).astype(int)
header = ",".join([f"f{i}" for i in range(82)] + ["label"])
np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt=["%.7g"] * 82 + ["%d"])
PY
echo "data: $ROWS rows x 82 features, $(du -h "$work/data.csv" | cut -f1)"

# peak_mb N: peak RSS in MB of a drop-retrain of N trainings (N-1 features).
peak_mb() {
	cp "$work/base.db" "$work/mem.db"
	/usr/bin/time -f %M -o "$work/rss" bin/tracker --db "$work/mem.db" run drop-retrain --data "$work/data.csv" --label label \
		--features "$(seq -s, 0 $(($1 - 2)))" --epochs 1 --seeds 1 --patience 0 --batch 256 --init scratch --workers 1 --format csv \
		>/dev/null 2>"$work/mem.err" || { cat "$work/mem.err" >&2; exit 1; }
	echo $(($(tail -1 "$work/rss") / 1024))
}
if [ "$MEMORY" = 1 ]; then
	if [ -x /usr/bin/time ]; then
		five=$(peak_mb 5) twenty=$(peak_mb 20)
		echo "drop-retrain memory: peak RSS $five MB for 5 trainings, $twenty MB for 20: $(awk -v a="$five" -v b="$twenty" 'BEGIN {printf "%.2f", b / a}')x (at most 1.25)"
	else
		echo "drop-retrain memory: skipped, it needs GNU time at /usr/bin/time (apt-get install time)"
	fi
fi

for init in $INITS; do
	cp "$work/base.db" "$work/$init.db"
	start=$(date +%s.%N)
	bin/tracker --db "$work/$init.db" run drop-retrain --data "$work/data.csv" --label label \
		--epochs "$EPOCHS" --seeds 1 --patience 0 --batch 256 --init "$init" --workers "$WORKERS" --format csv >"$work/$init.csv"
	end=$(date +%s.%N)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
	echo "drop-retrain --init $init: 83 trainings x $EPOCHS epochs, --workers $WORKERS: ${secs}s ($(awk -v s="$secs" -v e="$EPOCHS" 'BEGIN {printf "%.2f", s / (83 * e)}') s per training epoch)"
	echo "  top 5 by importance:"; sed -n '2,6p' "$work/$init.csv" | cut -d, -f2,3,4,7 | sed 's/^/    /'
done
