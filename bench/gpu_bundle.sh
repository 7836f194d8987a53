#!/usr/bin/env bash
# Packs what bench/gpu_check.sh needs on a GPU machine that has the CUDA driver, python3 + the PyPI torch wheel,
# nvcc and cmake, but no OpenMPI, HDF5, yaml-cpp or spdlog and no network (docs/gpu.md). Run it HERE, after a build:
#
#   bash bench/gpu_bundle.sh [--tools DIR] [--out FILE.tar.xz] [--no-mpi]
#
# The archive (default build-gpu-bundle/jepa_gpu_bundle.tar.xz, git-ignored) holds one directory jepa_gpu_bundle/:
#   bin/        jepa_dist, jepa_prep, jepa_eval, stripped (their RUNPATH still names this machine's torch wheel;
#               gpu_check.sh puts the device's torch/lib and nvidia/*/lib on LD_LIBRARY_PATH instead)
#   lib/        every shared library the tools (and the bundled OpenMPI) need except glibc, libstdc++/libgcc_s and
#               what the device's torch wheel brings (torch/lib, site-packages/nvidia/*, /usr/local/cuda*)
#   mpi/        a relocatable copy of this machine's OpenMPI: bin/mpirun (orterun), the MCA plugins that need no
#               fabric library (no UCX/OFI/verbs/PSM/OpenSHMEM), help files, the mca-params file and PMIx's plugins,
#               laid out as under /usr, so OPAL_PREFIX, OPAL_SYSCONFDIR and PMIX_* relocate it
#   data/       shipped.h5 (datasets/shipped.txt) and long128.h5 (every document >= 128 tokens, for throughput)
#   MANIFEST    torch version it was built against (must equal the device's), git commit, date, file sizes
# Prints the archive's size and how to hand it to the device (`run` with carry=["build-gpu-bundle"]).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=$ROOT/build/src/tools
OUT=$ROOT/build-gpu-bundle/jepa_gpu_bundle.tar.xz
WITH_MPI=1
PY=${PYTHON:-python3}
LIMIT_MB=64

while [ $# -gt 0 ]; do
  case $1 in
    --tools) TOOLS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-mpi) WITH_MPI=0 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_bundle: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "gpu_bundle: $*" >&2; exit 1; }

for t in jepa_dist jepa_prep; do [ -x "$TOOLS/$t" ] || die "no executable $t in $TOOLS (build first: launch/build.sh)"; done
TORCH_DIR=$("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__))') || die "$PY cannot import torch"
TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__)')
SITE=$(dirname "$TORCH_DIR")

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/jepa_gpu_bundle.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
B=$STAGE/jepa_gpu_bundle
mkdir -p "$B/bin" "$B/lib" "$B/data"

# A dependency the device provides itself: glibc and the C++ runtime, the torch wheel and its nvidia/* wheels, CUDA.
provided() {  # $1 soname, $2 resolved path
  case $1 in
    linux-vdso.so*|ld-linux*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libutil.so*|libresolv.so*|\
    libanl.so*|libmvec.so*|libstdc++.so*|libgcc_s.so*) return 0 ;;
  esac
  case $2 in "$SITE"/torch/*|"$SITE"/nvidia/*|/usr/local/cuda*) return 0 ;; esac
  return 1
}

# Copies the libraries ELF file $1 needs (ldd lists the whole closure) into lib/, under their sonames.
collect() {
  local name arrow path real
  while read -r name arrow path _; do
    [ "$arrow" = "=>" ] || continue
    [ "$path" = "not" ] && die "$1 needs $name, which is not found on this machine"
    real=$(realpath "$path")
    provided "$name" "$real" && continue
    [ -e "$B/lib/$name" ] || cp -L "$path" "$B/lib/$name"
  done < <(ldd "$1")
}

for t in jepa_dist jepa_prep jepa_eval; do
  [ -x "$TOOLS/$t" ] || continue
  strip --strip-unneeded -o "$B/bin/$t" "$TOOLS/$t"
  collect "$TOOLS/$t"
done

MPI_NOTE="not bundled (--no-mpi)"
if [ "$WITH_MPI" = 1 ]; then
  command -v ompi_info >/dev/null || die "ompi_info not found: install OpenMPI or pass --no-mpi"
  ompi_path() { ompi_info --path "$1" --parsable | sed -n "s/^path:$1://p"; }
  PREFIX=$(ompi_path prefix)
  rel() { local p; p=$(ompi_path "$1"); [ "${p#"$PREFIX"/}" != "$p" ] || die "OpenMPI $1 $p is not under its prefix $PREFIX"; echo "${p#"$PREFIX"/}"; }
  PKGLIB=$(rel pkglibdir)
  PKGDATA=$(rel pkgdatadir)
  M=$B/mpi
  mkdir -p "$M/bin" "$M/$PKGLIB" "$M/$PKGDATA" "$M/etc"
  ORTERUN=$(realpath "$(command -v mpirun)")
  cp -L "$ORTERUN" "$M/bin/orterun"
  ln -s orterun "$M/bin/mpirun"
  collect "$M/bin/orterun"
  if [ -x "$PREFIX/bin/orted" ]; then cp -L "$PREFIX/bin/orted" "$M/bin/orted"; collect "$M/bin/orted"; fi
  # Plugins that need a fabric library (UCX, libfabric, verbs, PSM) or belong to OpenSHMEM stay behind: a
  # one-GPU or one-node machine runs on the shared-memory (vader) and TCP transports.
  for f in "$PREFIX/$PKGLIB"/mca_*.so; do
    n=$(basename "$f")
    case $n in *ucx*|*ofi*|*openib*|*psm*|*verbs*|mca_atomic_*|mca_memheap_*|mca_scoll_*|mca_spml_*|mca_sshmem_*|\
      mca_reachable_netlink.so) continue ;; esac
    cp -L "$f" "$M/$PKGLIB/$n"
    collect "$f"
  done
  cp -rL "$PREFIX/$PKGDATA/." "$M/$PKGDATA/"
  SYSCONF=$(ompi_path sysconfdir)
  [ -f "$SYSCONF/openmpi-mca-params.conf" ] && cp "$SYSCONF/openmpi-mca-params.conf" "$M/etc/"
  # PMIx (external to Debian's OpenMPI): its plugins and help files, under the prefix libpmix.so was built for.
  PMIX_LIB=$(ldd "$PREFIX/$PKGLIB/mca_pmix_ext3x.so" 2>/dev/null | awk '$1 ~ /^libpmix\.so/ {print $3}')
  if [ -n "$PMIX_LIB" ]; then
    PMIX_PREFIX=$(dirname "$(dirname "$(realpath "$PMIX_LIB")")")
    mkdir -p "$M/pmix2/lib" "$M/pmix2/share"
    [ -d "$PMIX_PREFIX/lib/pmix" ] && cp -rL "$PMIX_PREFIX/lib/pmix" "$M/pmix2/lib/"
    [ -d "$PMIX_PREFIX/share" ] && cp -rL "$PMIX_PREFIX/share/." "$M/pmix2/share/"
    # Debian's pmix-mca-params.conf pins the plugin path to /usr/...; gpu_check.sh sets PMIX_PKGLIBDIR instead.
    [ -f "$M/pmix2/share/pmix-mca-params.conf" ] && sed -i 's/^mca_base_component_path/# &/' "$M/pmix2/share/pmix-mca-params.conf"
    for f in "$M"/pmix2/lib/pmix/*.so; do [ -e "$f" ] && collect "$f"; done
  fi
  MPI_NOTE="$(ompi_info --parsable 2>/dev/null | sed -n "s/^ompi:version:full:/OpenMPI /p") from $PREFIX"
fi

# Corpora, made by gpu_check.sh's own recipe so a run without a bundle prepares the same files.
bash "$ROOT/bench/gpu_check.sh" --prepare-data "$B/data" --tools "$TOOLS" --python "$PY" >/dev/null

{
  echo "torch=$TORCH_VERSION"
  echo "python=$("$PY" -c 'import platform; print(platform.python_version())')"
  echo "glibc=$(ldd --version | head -1 | awk '{print $NF}')"
  echo "commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo +dirty)"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host=$(hostname)"
  echo "mpi=$MPI_NOTE"
  echo "files:"
  (cd "$B" && find . -type f -printf '%s %p\n' | sort -k2)
} > "$B/MANIFEST"

mkdir -p "$(dirname "$OUT")"
tar -C "$STAGE" -cf - jepa_gpu_bundle | xz -T1 -6 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
SIZE=$(stat -c %s "$OUT")
RAW=$(du -sb "$B" | cut -f1)
printf 'gpu_bundle: %s: %.1f MiB (%.1f MiB unpacked; %d libraries; MPI: %s; torch %s)\n' "$OUT" \
  "$(echo "$SIZE / 1048576" | bc -l)" "$(echo "$RAW / 1048576" | bc -l)" "$(ls "$B/lib" | wc -l)" "$MPI_NOTE" "$TORCH_VERSION"
[ "$SIZE" -le $((LIMIT_MB * 1048576)) ] || die "the archive is over the device tool's ${LIMIT_MB} MiB carry limit"
REL=${OUT#"$ROOT"/}
echo "gpu_bundle: device tool: run(command=\"bash bench/gpu_check.sh --bundle $REL\", carry=[\"$(dirname "$REL")\"], timeout_s=540)"
