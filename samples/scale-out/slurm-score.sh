#!/usr/bin/env bash
# Scores a data set as a Slurm array job of 4 shards on a single-node Slurm started here, reads the 4 shards back as
# one data set in the original order and checks it equals an unsharded score, bit for bit.
#
#   sudo samples/scale-out/slurm-score.sh [DATA] [TEACHER]
#
# DATA defaults to the embedded Fashion-MNIST test set (10,000 rows), TEACHER to samples/teachers/fashion_cnn.onnx.
# Needs root (it installs slurm-wlm and munge with apt-get when missing and starts munged, slurmctld and slurmd on
# localhost with a generated slurm.conf in $WORK, default /tmp/mlnetdistill-slurm). It stops the daemons it started at
# the end. Not run in CI: starting Slurm takes seconds to a minute and needs root.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="${1:-$REPO/samples/data/fashion-mnist/t10k-images-idx3-ubyte.gz}"
TEACHER="${2:-$REPO/samples/teachers/fashion_cnn.onnx}"
WORK="${WORK:-/tmp/mlnetdistill-slurm}"
TASKS=4
NODE=localhost

log() { printf '[slurm-score %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >/dev/null
fi

log "building the CLI and the benchmark tool (Release)"
dotnet build -c Release "$REPO/src/MLNetDistill.Cli" -v q -nologo >/dev/null
dotnet build -c Release "$REPO/tests/MLNetDistill.Benchmarks" -v q -nologo >/dev/null
CLI="$REPO/src/MLNetDistill.Cli/bin/Release/net10.0/mlnet-distill.dll"
BENCH="$REPO/tests/MLNetDistill.Benchmarks/bin/Release/net10.0/MLNetDistill.Benchmarks.dll"

rm -rf "$WORK"
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/shards" "$WORK/logs"

# munge authenticates Slurm's messages; one daemon per machine is enough (keep one that already runs).
if ! pgrep -x munged >/dev/null; then
  [ -s /etc/munge/munge.key ] || mungekey --create >/dev/null 2>&1 || /usr/sbin/create-munge-key -f >/dev/null
  mkdir -p /run/munge && chown munge:munge /run/munge /etc/munge/munge.key 2>/dev/null || true
  runuser -u munge -- /usr/sbin/munged
  STARTED_MUNGE=1
fi

CPUS="$(nproc)"
MEM_MB="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))"
export SLURM_CONF="$WORK/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=mlnetdistill
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/logs/slurmctld.log
SlurmdLogFile=$WORK/logs/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$NODE NodeHostname=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

cleanup() {
  [ -f "$WORK/slurmd.pid" ] && kill "$(cat "$WORK/slurmd.pid")" 2>/dev/null || true
  [ -f "$WORK/slurmctld.pid" ] && kill "$(cat "$WORK/slurmctld.pid")" 2>/dev/null || true
  if [ "${STARTED_MUNGE:-0}" = 1 ] && [ -f /run/munge/munged.pid ]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true; fi
}
trap cleanup EXIT

log "starting slurmctld and slurmd on $NODE ($CPUS CPUs)"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$NODE"
for i in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then break; fi
  [ "$i" = 60 ] && { log "the node did not come up:"; sinfo; tail -20 "$WORK/logs/slurmd.log" "$WORK/logs/slurmctld.log"; exit 1; }
  sleep 1
done
sinfo

log "submitting an array job of $TASKS tasks: mlnet-distill score --shard auto"
cat > "$WORK/score-shard.sbatch" <<EOF
#!/usr/bin/env bash
#SBATCH --job-name=mlnet-distill-score
#SBATCH --array=0-$((TASKS - 1))
#SBATCH --cpus-per-task=1
#SBATCH --output=$WORK/logs/score-%a.out
#SBATCH --error=$WORK/logs/score-%a.err
set -euo pipefail
echo "task \$SLURM_ARRAY_TASK_ID of \$SLURM_ARRAY_TASK_COUNT on \$(hostname)"
exec dotnet "$CLI" score --teacher "$TEACHER" --data "$DATA" --shard auto --out "$WORK/shards/part-\$SLURM_ARRAY_TASK_ID.parquet" --json
EOF
started=$(date +%s)
sbatch --wait "$WORK/score-shard.sbatch"
log "array job finished in $(( $(date +%s) - started )) s"
for t in $(seq 0 $((TASKS - 1))); do
  printf '%s: %s\n' "$(head -1 "$WORK/logs/score-$t.out")" "$(tail -n +2 "$WORK/logs/score-$t.out" | tr -d '\n ')"
  if [ -s "$WORK/logs/score-$t.err" ]; then cat "$WORK/logs/score-$t.err"; fi
done
ls -l "$WORK/shards"

log "scoring the same data unsharded, for reference"
dotnet "$CLI" score --teacher "$TEACHER" --data "$DATA" --out "$WORK/whole.parquet" --json

log "reading the $TASKS shards back as one data set and comparing with the unsharded cache"
dotnet "$BENCH" scale-compare "$WORK/shards" "$WORK/whole.parquet"
