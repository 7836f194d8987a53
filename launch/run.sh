#!/usr/bin/env bash
# Launch jepa_dist on N local ranks (one per GPU on a GPU machine, CPU ranks otherwise).
#   launch/run.sh -n 8 configs/base.yaml [overrides...]
#   launch/run.sh -n 1 configs/smoke.yaml train.steps=50
# Environment: JEPA_DIST (binary, default build/src/tools/jepa_dist), MPIRUN_ARGS (extra mpirun flags).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=1
if [ "${1:-}" = "-n" ]; then n=$2; shift 2; fi
config=${1:?usage: launch/run.sh -n N CONFIG.yaml [overrides...]}
shift
bin=${JEPA_DIST:-$here/build/src/tools/jepa_dist}
[ -x "$bin" ] || { echo "run.sh: $bin not built (run launch/build.sh)" >&2; exit 1; }
flags=(--bind-to none --map-by slot)
[ "$(id -u)" = 0 ] && flags+=(--allow-run-as-root)
cores=$(nproc)
[ "$n" -gt "$cores" ] && flags+=(--oversubscribe)
# NCCL/OMP settings reach every rank; each rank picks GPU = local rank and threads = cores / local ranks itself.
exec mpirun "${flags[@]}" -np "$n" -x PATH -x LD_LIBRARY_PATH -x NCCL_DEBUG -x NCCL_SOCKET_IFNAME \
  ${MPIRUN_ARGS:-} "$bin" --config "$config" "$@"
