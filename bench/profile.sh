#!/usr/bin/env bash
# Data-profile benchmark (issue 13): the whole `tracker ingest-data`
# process (stream the file into a profile, store it in a one-version
# store made by bench/mkstore, copied fresh each round), against Debian's
# pandas read_csv + describe() with the same 199
# inner percentiles, on one ~1 GB CSV of 82 float columns, an id and a
# label (ROWS rows, 2M by default, cached under ${TMPDIR:-/tmp}). Rounds
# alternate the two, ROUNDS times; reported: median wall time, rows/s,
# peak RSS (/usr/bin/time -v), and the ratio. Then `go test -bench` for the
# hot path (Builder.Add) and FromFile by size.
# Targets: at least as fast as pandas, and peak RSS flat in the rows
# (a profile of ROWS/4 rows peaks at about the same RSS).
# Run from the repo root: bash bench/profile.sh
# Needs: /usr/bin/python3 with python3-pandas, /usr/bin/time (package time).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000000} ROUNDS=${ROUNDS:-3} BENCHTIME=${BENCHTIME:-2s}
cache=${TMPDIR:-/tmp}/tracker-profile-bench
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/tracker-profile.XXXXXX")
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

go build -o "$work/profilecsv" ./bench/profilecsv
go build -o bin/tracker ./cmd/tracker
go run ./bench/mkstore -out "$work/empty.db" -weeks 1 -widths 82,8,2 -start 2019-01-07 >/dev/null
# fresh: a fresh copy of the one-version store, before each timed ingest.
fresh() { cp "$work/empty.db" "$work/s.db"; }
ingest=(bin/tracker --db "$work/s.db" ingest-data --week 2019-01-14 --label y --drop id --format json)
big=$cache/week-$ROWS.csv small=$cache/week-$((ROWS / 4)).csv
[ -s "$big" ] || "$work/profilecsv" -gen "$ROWS" -out "$big"
[ -s "$small" ] || "$work/profilecsv" -gen "$((ROWS / 4))" -out "$small"
echo "== $big: $(du -h "$big" | cut -f1), $ROWS rows"

cat >"$work/describe.py" <<'PY'
import sys
import pandas as pd
d = pd.read_csv(sys.argv[1])
s = d.drop(columns=["id", "y"]).describe(percentiles=[i / 200 for i in range(1, 200)])
print(len(d), s.shape)
PY

# run NAME CMD...: one timed run; appends "seconds rss_kb" to $work/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -v "$@" >/dev/null 2>"$work/time.txt"
	awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2]}
		/Maximum resident/ {rss = $2} END {print s, rss}' "$work/time.txt" >>"$work/$name"
}
for round in $(seq "$ROUNDS"); do
	fresh
	run go "${ingest[@]}" "$big"
	run pandas /usr/bin/python3 "$work/describe.py" "$big"
	echo "round $round: go $(tail -1 "$work/go") pandas $(tail -1 "$work/pandas") (s, KB)"
done
fresh
run gosmall "${ingest[@]}" "$small"

for name in go pandas gosmall; do
	s=$(awk '{print $1}' "$work/$name" | median)
	rss=$(awk '{print $2}' "$work/$name" | median)
	rows=$ROWS
	[ "$name" != gosmall ] || rows=$((ROWS / 4))
	printf '%-8s median %7.2f s  %9.0f rows/s  peak RSS %6.0f MB\n' "$name" "$s" "$(echo "$rows / $s" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
	eval "med_$name=$s rss_$name=$rss"
done
printf 'pandas/go wall time: %.2f; pandas/go peak RSS: %.1f; go RSS at %d rows / at %d rows: %.2f\n' \
	"$(echo "$med_pandas / $med_go" | bc -l)" "$(echo "$rss_pandas / $rss_go" | bc -l)" "$ROWS" "$((ROWS / 4))" "$(echo "$rss_go / $rss_gosmall" | bc -l)"

echo "== go test -bench (benchtime=$BENCHTIME)"
go test -run='^$' -bench='^Benchmark(Add|FromFile)$' -benchtime="$BENCHTIME" ./experiments/profile/
