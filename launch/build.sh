#!/usr/bin/env bash
# Configures and builds jepa_dist into ./build (Release, Ninja, ccache). Installs dependencies first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install_deps.sh
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} >"$BUILD_DIR.configure.log" 2>&1 \
    || { cat "$BUILD_DIR.configure.log"; exit 1; }
fi
# 2 parallel jobs keeps LibTorch translation units (~1.5 GB each) within memory on small machines.
cmake --build "$BUILD_DIR" -j "${JOBS:-2}"
