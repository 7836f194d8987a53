"""`cmake --install` to a prefix gives a working installation (docs/launching.md, "Installing"): the four tools in
PREFIX/bin run from there (their RPATH still finds the torch wheel's libraries), the configs, cluster scripts and
docs are installed, and the installed jepa_dist trains 2 steps with the installed smoke config.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402


def main():
    work = gu.scratch("install")
    prefix = work / "prefix"
    r = subprocess.run(["cmake", "--install", str(gu.BUILD), "--prefix", str(prefix)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"cmake --install failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    failures = []
    for rel in ("bin/jepa_dist", "bin/jepa_prep", "bin/jepa_eval", "bin/jepa_export",
                "share/jepa_dist/configs/smoke.yaml", "share/jepa_dist/configs/base.yaml",
                "share/jepa_dist/cluster/srun_jepa.sh", "share/jepa_dist/cluster/preemptible.sbatch",
                "share/doc/jepa_dist/README.md", "share/doc/jepa_dist/design.md"):
        if not (prefix / rel).exists():
            failures.append(f"not installed: {rel}")
    if not os.access(prefix / "share/jepa_dist/cluster/srun_jepa.sh", os.X_OK):
        failures.append("cluster/srun_jepa.sh lost its executable bit")
    # Run the installed binary from a directory with no build tree around it.
    corpus = gu.prepare_corpus(work)
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    r = subprocess.run([str(prefix / "bin/jepa_dist"), "--config", str(prefix / "share/jepa_dist/configs/smoke.yaml"),
                        f"data.path={corpus}", "train.steps=2", "train.log_every=1", f"run.dir={work / 'run'}",
                        *gu.small_model_overrides()], capture_output=True, text=True, cwd=work, env=env, timeout=600)
    if r.returncode != 0 or not (work / "run/checkpoints/latest").exists():
        failures.append(f"installed jepa_dist did not train (exit {r.returncode}): {r.stderr[-1500:]}")
    r = subprocess.run([str(prefix / "bin/jepa_prep"), "--help"], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        failures.append(f"installed jepa_prep --help exit {r.returncode}: {r.stderr[-500:]}")
    shutil.rmtree(prefix, ignore_errors=True)
    if failures:
        sys.exit("\n".join(failures))
    print("install OK")


if __name__ == "__main__":
    main()
