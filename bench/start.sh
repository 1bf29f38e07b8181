#!/usr/bin/env bash
# Start-up benchmark: the whole `tracker --version` process against
# `sqlite3 -version`, the floor of starting a program that answers the same
# questions (bench/query.sh). Most of tracker's start is the dynamic loader
# and the C libraries' initialisation, so the script also prints how many
# shared libraries the binary loads.
#
# Method: build bin/tracker, run each command once untimed (warm page
# cache), then N rounds of tracker then sqlite3, one process at a time. A
# process's time is bash's clock before the fork to after the wait, so both
# sides pay the same fork, exec and exit. Each figure is the median over the
# rounds; the ratio is of the medians.
# Target: tracker median <= 5 ms.
# Run from the repo root: bash bench/start.sh
# Knobs: N (41 rounds), BIN (bin/tracker; set BUILD=0 to time it as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C
N=${N:-41} BIN=${BIN:-bin/tracker} BUILD=${BUILD:-1}
command -v sqlite3 >/dev/null || { echo "start.sh: sqlite3 is missing: apt-get install -y sqlite3" >&2; exit 1; }

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# ms CMD... runs CMD with stdout discarded and prints its wall time in ms.
ms() {
	local t0=$EPOCHREALTIME t1
	"$@" >/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) * 1000}'
}

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1 /proc/loadavg)"
echo "$(go version | cut -d' ' -f3-), sqlite3 $(sqlite3 -version | cut -d' ' -f1)"
[ "$BUILD" = 0 ] || go build -o "$BIN" ./cmd/tracker
echo "$BIN: $(ldd "$BIN" | grep -c '=>\|ld-linux') shared libraries (ldd), $(readelf -d "$BIN" | grep -c NEEDED) direct: $(readelf -d "$BIN" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')"

work=$(mktemp -d "${TMPDIR:-/tmp}/tracker-start.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$BIN" --version >/dev/null
sqlite3 -version >/dev/null
for ((i = 0; i < N; i++)); do
	ms "$BIN" --version >>"$work/tracker"
	ms sqlite3 -version >>"$work/sqlite3"
done
t=$(median <"$work/tracker") s=$(median <"$work/sqlite3")
awk -v t="$t" -v s="$s" -v n="$N" 'BEGIN {
	printf "medians over %d rounds: tracker --version %.2f ms, sqlite3 -version %.2f ms, ratio %.2f\n", n, t, s, t / s
	printf "target tracker <= 5 ms: %s\n", (t <= 5) ? "met" : "NOT met"
}'
