#!/usr/bin/env bash
# Regenerates the scenario table in scenarios/README.md: for every shipped scenario, the question
# it answers (from its header comment), how many inputs it samples (`reesim validate`), and its
# headline result: the median and 90% interval (p5-p95) of total unmet magnet demand over the
# horizon and the interval's width relative to the median, from `reesim run` with a fixed seed,
# and the input that explains most of that spread (uncertainty.csv).
#
#   scripts/scenario-table.sh [RUNS]      (default 1000 runs; seed 20250101)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}
cargo build --release --quiet
bin=target/release/reesim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

table=$tmp/table.md
{
  echo "| scenario | question | sampled inputs | unmet demand, t (median) | 90% interval, t | interval width / median | unmet share (median) | main driver of the spread (share of variance) |"
  echo "|---|---|---|---|---|---|---|---|"
  for f in $(find scenarios -name '*.toml' | sort); do
    name=${f#scenarios/}
    out=$tmp/${name//\//_}
    "$bin" run "$f" --runs "$runs" --out "$out" > /dev/null
    # The question: the header lines from "# Question:" to the next blank comment line.
    question=$(awk '/^# Question:/{q=1; sub(/^# Question: */,""); printf "%s", $0; next}
                    q && /^#[ ]*$/{exit} q && /^#/{sub(/^# */," "); printf "%s", $0; next} !/^#/{exit}' "$f")
    row() { awk -F, -v m="$1" -v col="$2" '$1==m && $2=="" && $3=="" && $4=="" {print $col}' "$out/summary.csv"; }
    fmt() { printf "%.0f" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
    p50=$(row unmet_demand_t 11); p5=$(row unmet_demand_t 9); p95=$(row unmet_demand_t 13)
    share=$(row unmet_share 11)
    sampled=$("$bin" validate "$f" | sed -n 's/.* \([0-9][0-9]*\) sampled parameters.*/\1/p')
    width=$(awk -v a="$p5" -v b="$p95" -v m="$p50" 'BEGIN{ if (m > 0) printf "%.0f%%", 100*(b-a)/m; else print "-" }')
    driver=$(awk -F, '$1=="unmet_demand_t" && $3=="1" {printf "`%s` (%.0f%%)", $2, 100*$4}' "$out/uncertainty.csv")
    printf "| \`%s\` | %s | %s | %s | %s - %s | %s | %.1f%% | %s |\n" "$name" "$question" "$sampled" \
      "$(fmt "$p50")" "$(fmt "$p5")" "$(fmt "$p95")" "$width" \
      "$(awk -v s="$share" 'BEGIN{print s*100}')" "${driver:--}"
  done
} > "$table"

readme=scenarios/README.md
awk -v table="$table" '
  /<!-- table:start -->/ {print; while ((getline line < table) > 0) print line; skip=1; next}
  /<!-- table:end -->/ {skip=0}
  !skip {print}
' "$readme" > "$tmp/README.md"
mv "$tmp/README.md" "$readme"
echo "updated $readme ($runs runs per scenario)"
