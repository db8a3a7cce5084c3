#!/usr/bin/env bash
# Regenerates the scenario table in scenarios/README.md: for every shipped scenario, the question
# it answers (from its header comment) and its headline result, the median and 90% interval
# (p5-p95) of total unmet magnet demand over the horizon, from `reesim run` with a fixed seed.
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
  echo "| scenario | question | unmet demand, t (median) | 90% interval, t | unmet share (median) |"
  echo "|---|---|---|---|---|"
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
    printf "| \`%s\` | %s | %s | %s - %s | %.1f%% |\n" "$name" "$question" "$(fmt "$p50")" "$(fmt "$p5")" "$(fmt "$p95")" \
      "$(awk -v s="$share" 'BEGIN{print s*100}')"
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
