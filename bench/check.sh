#!/usr/bin/env bash
# Retrain-gate benchmark (issue 14): the whole `tracker check` process
# without data, and `tracker diff` with --data on 4,000 rows, on a store of
# WEEKS weekly versions of 82 -> 500 -> 500 -> 500 -> 2 (bench/mkstore:
# random weights, the weight-based records plus made-up perturb and
# permutation ones). Each figure is the median of ROUNDS runs, one process
# at a time, with `tracker --version` as the floor of starting the binary.
# check is timed twice: cold, the first check of a store, which computes
# and stores the measures of every history pair (up to 24), and warm, a
# check whose history is stored, as every weekly check after the first.
# Targets: warm check under 1 s; diff with --data under 5 s.
# Run from the repo root: bash bench/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5} WEEKS=${WEEKS:-12}
work=$(mktemp -d "${TMPDIR:-/tmp}/tracker-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ms() {
	local t0=$EPOCHREALTIME t1
	"$@" >/dev/null 2>&1 || true # check exits 3 when the random weeks fail their bounds
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", (b - a) * 1000}'
}
go build -o bin/tracker ./cmd/tracker
go run ./bench/mkstore -out "$work/store.db" -weeks "$WEEKS" -start 2019-01-07 >/dev/null
# 4,000 complete rows of 82 standard-normal-ish features and a 0/1 label.
awk 'BEGIN {srand(1); printf "y"; for (j = 0; j < 82; j++) printf ",f%02d", j; print "";
	for (i = 0; i < 4000; i++) {printf "%d", (rand() < 0.5); for (j = 0; j < 82; j++) printf ",%.4f", (rand() + rand() + rand() - 1.5) * 2; print ""}}' >"$work/rows.csv"
db=$work/store.db
last=$(bin/tracker --db "$db" list --format csv | tail -1 | cut -d, -f2)
prev=$(bin/tracker --db "$db" list --format csv | tail -2 | head -1 | cut -d, -f2)
echo "== $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $WEEKS weeks of 82-500-500-500-2; weeks $prev and $last"
for r in $(seq "$ROUNDS"); do
	cp "$db" "$work/cold.db"
	ms bin/tracker --db "$work/cold.db" check --week "$last" >>"$work/cold"
	ms bin/tracker --db "$work/cold.db" check --week "$last" >>"$work/warm"
	ms bin/tracker --db "$db" diff "$prev" "$last" --data "$work/rows.csv" --label y >>"$work/diff"
	ms bin/tracker --version >>"$work/version"
done
bin/tracker --db "$work/cold.db" check --week "$last" | head -3 || true
for n in cold warm diff version; do printf '%-8s median %8.1f ms\n' "$n" "$(median <"$work/$n")"; done
awk -v w="$(median <"$work/warm")" -v d="$(median <"$work/diff")" 'BEGIN {
	printf "warm check %.0f ms; target < 1000 ms: %s\n", w, (w < 1000 ? "met" : "NOT met")
	printf "diff --data (4,000 rows) %.0f ms; target < 5000 ms: %s\n", d, (d < 5000 ? "met" : "NOT met")
}'
