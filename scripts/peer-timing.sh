#!/usr/bin/env bash
# Side-by-side timing of reesim against the independent NumPy implementation of the same chain
# (market off), on the peer's market-off 12-month-ban variant with recycling off as well (the
# peer runs recycling only with the market): reesim on 1 and 2 threads, the peer with and
# without its time series, interleaved, wall and CPU seconds, medians of REPS. Installs numpy
# into a virtual environment under target/.
#
#   scripts/peer-timing.sh [RUNS...]      (default: 10000 100000)
#   env: PEER_DIR (default: ../shared/peers/numpy, the peer beside the project checkout),
#        REPS (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
peer=${PEER_DIR:-../shared/peers/numpy}
runs=("${@:-10000 100000}")
[ -f "$peer/compare.py" ] || { echo "no NumPy peer at $peer (set PEER_DIR)" >&2; exit 2; }
venv=target/venv-peer
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy
fi
cargo build --release --quiet
work=$(pwd)/target/peer-work
mkdir -p "$work/scenarios"
# compare.py writes the market-off variants into $work/scenarios when it starts.
cat > "$work/scenarios/timing.toml" <<TOML
extends = "$work/scenarios/total-ban-12m-nomarket.toml"

[regions.china.recycling]
base_rate = 0.0

[regions.rest_of_world.recycling]
base_rate = 0.0
TOML
# compare.py runs the peer with the interpreter that runs it.
# shellcheck disable=SC2068
"$venv/bin/python" "$peer/compare.py" "$(pwd)/target/release/reesim" timing --project "$(pwd)" \
  --runs ${runs[@]} --reps "${REPS:-3}" --work "$work" --scenario "$work/scenarios/timing.toml"
