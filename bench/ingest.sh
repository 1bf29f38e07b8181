#!/usr/bin/env bash
# Ingest benchmarks: the Go benchmarks (store only, HDF5 load only), then the
# whole `tracker ingest` process once per distinct week into one store.
# Run from the repo root: bash bench/ingest.sh
# Knobs: WEEKS (versions ingested end to end, 32), COUNT (go test -count, 6),
# BENCHTIME (go test -benchtime, 1s). Files go under $TMPDIR, which must be a
# real disk: on tmpfs fsync costs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
WEEKS=${WEEKS:-32} COUNT=${COUNT:-6} BENCHTIME=${BENCHTIME:-1s}
work=$(mktemp -d "${TMPDIR:-/tmp}/tracker-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ "$(stat -f -c %T "$work")" != tmpfs ] || echo "warning: $work is on tmpfs, so fsync is free: set TMPDIR to a disk" >&2

# median reads numbers, one a line, and prints their median.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "== go test -bench (count=$COUNT, benchtime=$BENCHTIME)"
go test -run='^$' -bench='^Benchmark(Ingest|LoadH5)$' -benchtime="$BENCHTIME" -count="$COUNT" \
	./tracker/ ./snapshot/keras/ | tee "$work/go.txt"
echo "-- medians over the $COUNT runs"
for name in $(awk '/^Benchmark/ {print $1}' "$work/go.txt" | sort -u); do
	for unit in ns/op ms/version store-bytes/raw-bytes; do
		vals=$(awk -v n="$name" -v u="$unit" '$1 == n {for (i = 3; i <= NF; i++) if ($i == u) print $(i - 1)}' "$work/go.txt")
		[ -z "$vals" ] || printf '%-34s %12s %s\n' "$name" "$(median <<<"$vals")" "$unit"
	done
done

echo "== whole process: bin/tracker ingest, $WEEKS distinct weeks of 82x500x500x500x2"
go build -o bin/tracker ./cmd/tracker
go run ./bench/mkmodels -out "$work/models" -weeks "$WEEKS" -widths 82,500,500,500,2
db=$work/tracker.db raw=0
: >"$work/ms.txt"
for dir in "$work"/models/Model/*/; do
	t0=$(date +%s%N)
	out=$(bin/tracker ingest --db "$db" "${dir}0_10.1")
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000))" | awk '{print $1 / 1000}' >>"$work/ms.txt"
	raw=$((raw + 4 * ${out##*params=}))
done
size=$(stat -c %s "$db")
awk -v m="$(median <"$work/ms.txt")" -v max="$(sort -g "$work/ms.txt" | tail -1)" -v n="$WEEKS" -v s="$size" -v r="$raw" 'BEGIN {
	printf "median %.1f ms/version (max %.1f) over %d versions; target <= 50 ms: %s\n", m, max, n, (m <= 50 ? "met" : "NOT met")
	printf "store %d bytes / raw float32 %d bytes = %.3f; target <= 1.05: %s\n", s, r, s / r, (s / r <= 1.05 ? "met" : "NOT met")
}'
