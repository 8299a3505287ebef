#!/usr/bin/env bash
# Whole-suite wall time with pytest-xdist against without, measured side by side in one run (alternating, so
# both see the same machine noise), then medians and their ratio.
#   bash benchmarks/xdist_speedup.sh [rounds] [extra pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
pytest=.venv/bin/pytest
serial=() parallel=()
for ((i = 1; i <= rounds; i++)); do
  for workers in 0 2; do
    start=$(date +%s.%N)
    "$pytest" e2e -q -n "$workers" -p no:cacheprovider "$@" >/dev/null 2>&1 || echo "round $i -n $workers: suite failed" >&2
    took=$(echo "$(date +%s.%N) - $start" | bc)
    echo "round $i: -n $workers ${took} s"
    if [[ $workers == 0 ]]; then serial+=("$took"); else parallel+=("$took"); fi
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
s=$(median "${serial[@]}")
p=$(median "${parallel[@]}")
echo "median -n 0: ${s} s, median -n 2: ${p} s, speedup: $(echo "scale=2; $s / $p" | bc)x over ${rounds} rounds"
