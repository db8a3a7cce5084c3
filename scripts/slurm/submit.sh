#!/usr/bin/env bash
# Splits a reesim batch, sweep or stockpile grid across a Slurm cluster: a job array of N
# shards, then a merge job that starts only when every shard succeeded. The output directory
# must be on storage every node sees (and the binary on every node's PATH, or give REESIM_BIN).
#
#   scripts/slurm/submit.sh SCENARIO RUNS SHARDS OUT_DIR [sbatch options...] [-- COMMAND OPTIONS...]
#   env: REESIM_BIN (default: reesim), REESIM_SEED (default 20250101), REESIM_SAMPLING (mc|lhs),
#        REESIM_COMMAND: run (default), sweep or size-stockpile; the words after `--` are passed
#        to it as given, e.g. -- --set stockpiles.NAME.initial_days=0..180:30 (sweep) or
#        -- --stockpile NAME --target 'mean(unmet_demand_t) <= 500' --sizes 0..4000:250
#
# Prints the array and merge job ids; the merged outputs land in OUT_DIR/merged.
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
scenario=$(realpath "$1"); runs=$2; shards=$3; out=$(realpath -m "$4"); shift 4
command=${REESIM_COMMAND:-run}
case $command in
  run | sweep | size-stockpile) ;;
  *) echo "REESIM_COMMAND must be run, sweep or size-stockpile, found '$command'" >&2; exit 2 ;;
esac
# sbatch options up to `--`, the command's options after it.
sbatch_opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sbatch_opts+=("$1"); shift; done
[ $# -gt 0 ] && shift
args=""
[ $# -gt 0 ] && args=$(printf '%q ' "$@")
mkdir -p "$out"
export REESIM_SCENARIO=$scenario REESIM_RUNS=$runs REESIM_SHARDS=$shards REESIM_OUT=$out
export REESIM_BIN=${REESIM_BIN:-reesim} REESIM_COMMAND=$command REESIM_ARGS=$args
array=$(sbatch --parsable --export=ALL --chdir="$out" --array=0-$((shards - 1)) \
  ${sbatch_opts[@]+"${sbatch_opts[@]}"} "$here/shard.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --export=ALL --chdir="$out" --dependency=afterok:"$array" \
  ${sbatch_opts[@]+"${sbatch_opts[@]}"} "$here/merge.sbatch")
echo "array job $array ($shards shards of $command), merge job ${merge%%;*}; merged outputs: $out/merged"
