#!/usr/bin/env bash
# Tests the Slurm path for real on one machine: installs Slurm and munge from Debian packages
# (needs root), starts a one-node cluster on localhost, submits a batch as a 4-task job array
# plus the dependent merge job (scripts/slurm/submit.sh), waits for them, and checks the merged
# outputs against a single-machine run of the same batch, byte for byte; then the same for a
# 4-point sweep split into 3 shards (REESIM_COMMAND=sweep). Stops the daemons it started. Takes
# a few minutes; not part of CI (it needs root and system daemons).
#
#   scripts/slurm/test-local-cluster.sh [SCENARIO] [RUNS]   (default: scenarios/baseline.toml 400)
set -euo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:-scenarios/baseline.toml}
runs=${2:-400}
shards=4

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
cargo build --release --quiet
bin=$(pwd)/target/release/reesim

work=$(mktemp -d /tmp/reesim-slurm.XXXXXX)
chmod 755 "$work"
node=$(hostname -s)
cpus=$(nproc)
cleanup() {
  scancel --user=root >/dev/null 2>&1 || true
  pkill -x slurmd >/dev/null 2>&1 || true
  pkill -x slurmctld >/dev/null 2>&1 || true
  [ -f "$work/munged.pid" ] && kill "$(cat "$work/munged.pid")" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# munge: a fresh key, its own socket and pid file.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pkill -x munged >/dev/null 2>&1 || true
runuser -u munge -- munged --pid-file="$work/munged.pid" 2>/dev/null \
  || munged --force --pid-file="$work/munged.pid"
munge -n | unmunge >/dev/null

# Slurm: one node (this machine), one partition, no accounting.
mkdir -p /etc/slurm "$work/spool/ctld" "$work/spool/d"
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=reesim-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
pkill -x slurmctld >/dev/null 2>&1 || true
pkill -x slurmd >/dev/null 2>&1 || true
slurmctld -c
slurmd
for _ in $(seq 60); do
  sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && break
  sleep 1
done
sinfo

# Waits for the queue to empty, then checks that the merge job wrote its outputs into $1/merged.
wait_merged() {
  for _ in $(seq 600); do
    [ -z "$(squeue -h 2>/dev/null)" ] && break
    sleep 1
  done
  if [ ! -s "$1/merged/manifest.json" ]; then
    echo "FAIL: the merge job wrote no outputs; logs in $1" >&2
    tail -n 20 "$1"/*.log >&2 || true
    exit 1
  fi
}

out="$work/out"
REESIM_BIN=$bin REESIM_SEED=11 scripts/slurm/submit.sh "$scenario" "$runs" "$shards" "$out" \
  --cpus-per-task=1
wait_merged "$out"
"$bin" run "$scenario" --runs "$runs" --seed 11 --threads 1 --out "$work/single" >/dev/null
for f in runs.csv summary.csv timeseries.csv uncertainty.csv; do
  cmp "$out/merged/$f" "$work/single/$f"
done
echo "PASS: $shards Slurm array tasks + merge job == one run ($runs runs of $scenario), byte for byte"

# A sweep: 4 grid points in 3 shards, against the same sweep on this machine.
grid="market.price_response=0.05,0.06,0.07,0.08"
sweep_out="$work/sweep"
REESIM_BIN=$bin REESIM_SEED=11 REESIM_COMMAND=sweep scripts/slurm/submit.sh "$scenario" 50 3 \
  "$sweep_out" --cpus-per-task=1 -- --set "$grid"
wait_merged "$sweep_out"
"$bin" sweep "$scenario" --set "$grid" --runs 50 --seed 11 --threads 1 --quiet \
  --out "$work/sweep-single" >/dev/null
cmp "$sweep_out/merged/sweep.csv" "$work/sweep-single/sweep.csv"
echo "PASS: a 4-point sweep in 3 Slurm array tasks + merge job == one sweep, byte for byte"
ls "$out"
