#!/usr/bin/env bash
# Single-GPU debug run: 1 rank, synchronous CUDA (errors point at the failing kernel), autograd anomaly detection,
# few steps, logging every step, its own run dir. Extra args are config overrides.
#   launch/debug_gpu.sh configs/smoke.yaml [overrides...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-$here/configs/smoke.yaml}
shift || true
export CUDA_LAUNCH_BLOCKING=1
export NCCL_DEBUG=${NCCL_DEBUG:-WARN}
exec "${JEPA_DIST:-$here/build/src/tools/jepa_dist}" --config "$config" train.device=cuda train.steps=20 \
  train.log_every=1 train.save_every=20 train.detect_anomaly=true run.dir=runs/debug_gpu "$@"
