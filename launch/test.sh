#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs CTest (unit, golden vs PyTorch/HF, multi-rank).
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-2}" "$@"
