#!/usr/bin/env bash
# Instructions and heap allocations per run-month of a scenario, measured as the difference
# between two batch sizes (so start-up and output writing cancel out): callgrind counts
# instructions, heaptrack counts calls to allocation functions. Installs valgrind and heaptrack
# from Debian packages when they are missing (needs root, as on the development machines).
#
#   scripts/profile.sh [SCENARIO] [RUNS_SMALL] [RUNS_LARGE]
#   (defaults: scenarios/baseline.toml 100 300 for instructions; one thread. Allocations are
#   counted between 1000 and 2000 runs (ALLOC_SMALL, ALLOC_LARGE): heaptrack is fast enough,
#   and by then the time-series histograms have stopped widening their bucket windows, which
#   is warm-up, not per-run work.)
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/baseline.toml}
small=${2:-100}
large=${3:-300}
alloc_small=${ALLOC_SMALL:-1000}
alloc_large=${ALLOC_LARGE:-2000}
if ! command -v valgrind >/dev/null || ! command -v heaptrack >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind heaptrack >/dev/null
fi
cargo build --release --quiet
bin=target/release/reesim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
months=$("$bin" validate "$scenario" | sed -n 's/.* \([0-9][0-9]*\) months from.*/\1/p')

instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" "$bin" run "$scenario" --runs "$1" \
    --threads 1 --quiet --out "$tmp/out" >/dev/null 2>"$tmp/cg.$1.log"
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg.$1"
}
allocations() {
  heaptrack -o "$tmp/ht.$1" "$bin" run "$scenario" --runs "$1" --threads 1 --quiet --out "$tmp/out" \
    >/dev/null 2>&1
  heaptrack_print "$tmp/ht.$1".* 2>/dev/null | sed -n 's/^calls to allocation functions: *\([0-9]*\).*/\1/p'
}

i_small=$(instructions "$small"); i_large=$(instructions "$large")
a_small=$(allocations "$alloc_small"); a_large=$(allocations "$alloc_large")
run_months=$(( (large - small) * months ))
alloc_run_months=$(( (alloc_large - alloc_small) * months ))
awk -v is="$i_small" -v il="$i_large" -v as="$a_small" -v al="$a_large" -v rm="$run_months" \
    -v s="$scenario" -v m="$months" -v arm="$alloc_run_months" 'BEGIN {
  printf "%s (%d months), per run-month:\n", s, m
  printf "  instructions:      %.0f (difference of %d run-months)\n", (il - is) / rm, rm
  printf "  heap allocations:  %.3f (difference of %d run-months)\n", (al - as) / arm, arm
}'
