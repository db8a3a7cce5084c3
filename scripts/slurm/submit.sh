#!/usr/bin/env bash
# Splits a reesim batch across a Slurm cluster: a job array of N shards, then a merge job that
# starts only when every shard succeeded. The output directory must be on storage every node
# sees (and the binary on every node's PATH, or give REESIM_BIN).
#
#   scripts/slurm/submit.sh SCENARIO RUNS SHARDS OUT_DIR [extra sbatch options...]
#   env: REESIM_BIN (default: reesim), REESIM_SEED (default 20250101), REESIM_SAMPLING (mc|lhs)
#
# Prints the array and merge job ids; the merged outputs land in OUT_DIR/merged.
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
scenario=$(realpath "$1"); runs=$2; shards=$3; out=$(realpath -m "$4"); shift 4
mkdir -p "$out"
export REESIM_SCENARIO=$scenario REESIM_RUNS=$runs REESIM_SHARDS=$shards REESIM_OUT=$out
export REESIM_BIN=${REESIM_BIN:-reesim}
array=$(sbatch --parsable --export=ALL --chdir="$out" --array=0-$((shards - 1)) "$@" "$here/shard.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --export=ALL --chdir="$out" --dependency=afterok:"$array" "$@" "$here/merge.sbatch")
echo "array job $array ($shards shards), merge job ${merge%%;*}; merged outputs: $out/merged"
