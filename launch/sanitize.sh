#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures CMakePresets.json's "asan" preset
# into build-asan/, builds, and runs CTest with its sanitizer options (any report fails the test that triggered it;
# suppressions for libraries we do not build are in tests/sanitizer/). Arguments go to ctest, e.g.
#   bash launch/sanitize.sh                  # everything
#   bash launch/sanitize.sh -L cpp           # the C++ unit tests and fuzz replays only
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install_deps.sh
if [ ! -f build-asan/build.ninja ]; then
  cmake --preset asan >build-asan.configure.log 2>&1 || { cat build-asan.configure.log; exit 1; }
fi
cmake --build --preset asan -j "${JOBS:-2}"
ctest --preset asan -j "${JOBS:-2}" "$@"
