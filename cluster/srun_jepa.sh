#!/usr/bin/env bash
# Runs jepa_dist on every task of the current Slurm allocation and handles stop signals; the sbatch scripts in this
# folder call it (docs/cluster.md).   cluster/srun_jepa.sh RUN_DIR [overrides...]
#
# * Always train.resume=auto: a requeued or resubmitted job continues from RUN_DIR/checkpoints/latest.
# * srun --kill-on-bad-exit=1: one rank failing ends every rank (jepa_dist also aborts the job itself).
# * USR1 (Slurm's warning before the time limit: #SBATCH --signal=B:USR1@90) is forwarded to the ranks, which
#   agree, checkpoint on rank 0 and exit 0; the job is then requeued when JEPA_REQUEUE=1 (preemptible.sbatch).
# * TERM (scancel, node drain) is forwarded the same way but never requeues: the user asked the job to stop.
# Environment: JEPA_BIN (default build/src/tools/jepa_dist), JEPA_CONFIG (default configs/base.yaml),
# JEPA_REQUEUE (0|1), JEPA_SRUN_FLAGS (extra srun flags, e.g. "--mpi=pmix").
set -uo pipefail
run_dir=${1:?usage: srun_jepa.sh RUN_DIR [overrides...]}
shift
bin=${JEPA_BIN:-build/src/tools/jepa_dist}
config=${JEPA_CONFIG:-configs/base.yaml}
threads=${SLURM_CPUS_PER_TASK:-1}
export OMP_NUM_THREADS=$threads

stop_signal=""
forward() {
  stop_signal=$1
  echo "$(date '+%F %T') srun_jepa: $1 received: asking the ranks to checkpoint and stop"
  kill -USR1 "$srun_pid" 2>/dev/null || true  # srun forwards USR1 to every task
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM

# shellcheck disable=SC2086  # JEPA_SRUN_FLAGS is a list of flags
srun --kill-on-bad-exit=1 ${JEPA_SRUN_FLAGS:---mpi=pmix --cpu-bind=cores} "$bin" --config "$config" \
  run.dir="$run_dir" train.resume=auto train.threads="$threads" "$@" &
srun_pid=$!
# `wait` returns early when a trapped signal arrives: keep waiting until srun itself ends.
status=0
while kill -0 "$srun_pid" 2>/dev/null; do wait "$srun_pid"; status=$?; done
if [ "$stop_signal" = USR1 ] && [ "${JEPA_REQUEUE:-0}" = 1 ] && [ "$status" = 0 ]; then
  echo "$(date '+%F %T') srun_jepa: checkpoint written; requeueing job ${SLURM_JOB_ID}"
  scontrol requeue "${SLURM_JOB_ID}"
elif [ -n "$stop_signal" ]; then
  echo "$(date '+%F %T') srun_jepa: stopped on $stop_signal (exit $status); not requeued"
fi
exit "$status"
