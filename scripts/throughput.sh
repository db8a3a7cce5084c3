#!/usr/bin/env bash
# End-to-end throughput of `reesim run` with all default outputs: run-months per second on 1 and
# 2 threads, two-thread efficiency (time on 1 thread / (2 x time on 2 threads)), CPU seconds and
# peak resident memory, medians of REPS paired runs (1 thread, then 2 threads, alternating).
#
#   scripts/throughput.sh [RUNS] [SCENARIO...]   (default: 100000 scenarios/baseline.toml
#                                                 scenarios/baseline-regions.toml)
#   env: REPS (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100000}
shift || true
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(scenarios/baseline.toml scenarios/baseline-regions.toml)
reps=${REPS:-3}
cargo build --release --quiet
bin=target/release/reesim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| scenario | runs | months | threads | wall s | run-months/s | CPU s | peak RSS MiB | 2-thread efficiency |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for s in "${scenarios[@]}"; do
  months=$("$bin" validate "$s" | sed -n 's/.* \([0-9][0-9]*\) months from.*/\1/p')
  for rep in $(seq "$reps"); do
    for t in 1 2; do
      /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$bin" run "$s" --runs "$runs" --threads "$t" \
        --quiet --out "$tmp/out" >/dev/null
      read -r wall user sys rss < "$tmp/time"
      echo "$wall" >> "$tmp/wall.$t"
      echo "$user $sys" | awk '{print $1 + $2}' >> "$tmp/cpu.$t"
      echo "$rss" >> "$tmp/rss.$t"
    done
  done
  w1=$(median < "$tmp/wall.1"); w2=$(median < "$tmp/wall.2")
  for t in 1 2; do
    w=$(median < "$tmp/wall.$t"); c=$(median < "$tmp/cpu.$t"); r=$(median < "$tmp/rss.$t")
    eff=""
    [ "$t" = 2 ] && eff=$(awk -v a="$w1" -v b="$w2" 'BEGIN {printf "%.2f", a / (2 * b)}')
    awk -v s="$s" -v n="$runs" -v m="$months" -v t="$t" -v w="$w" -v c="$c" -v r="$r" -v e="$eff" \
      'BEGIN {printf "| %s | %d | %d | %d | %.2f | %\047.0f | %.1f | %.0f | %s |\n", s, n, m, t, w, n * m / w, c, r / 1024, e}'
  done
  rm -f "$tmp"/wall.* "$tmp"/cpu.* "$tmp"/rss.*
done
