"""Console colour end to end (log.color, NO_COLOR, launchers; docs/configuration.md): jepa_dist run on a real
pseudo-terminal colours its level tags by default; NO_COLOR or log.color=never removes every escape code; the same
run under a real `mpirun -np 2` whose output goes to a file (a Slurm batch job's situation) writes none; and
train.log never holds one, whatever the console gets.
"""
import os
import pty
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

ESC = b"\x1b["
check = gu.check


def on_pty(args, env):
    """Runs jepa_dist with stdout and stderr on a fresh pseudo-terminal; returns (exit code, bytes written)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([gu.DIST, *args], stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=600), out


def main():
    work = gu.scratch("log_color")
    corpus = gu.prepare_corpus(work)
    common = ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={corpus}", "train.steps=2",
              "train.log_every=1", "train.save_every=2", *gu.small_model_overrides()]
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID")}
    env["TERM"] = "xterm"

    rc, out = on_pty([*common, f"run.dir={work / 'tty'}"], env)
    check(rc == 0 and ESC in out and b"[info]" not in out, f"a terminal gets coloured level tags (exit {rc})")
    check(ESC not in (work / "tty/train.log").read_bytes(), "train.log has no escape codes")
    rc, out = on_pty([*common, f"run.dir={work / 'nocolor'}"], {**env, "NO_COLOR": "1"})
    check(rc == 0 and ESC not in out and b"[info]" in out, f"NO_COLOR=1: no escape codes (exit {rc})")
    rc, out = on_pty([*common, f"run.dir={work / 'never'}", "log.color=never"], env)
    check(rc == 0 and ESC not in out and b"[info]" in out, f"log.color=never: no escape codes (exit {rc})")
    rc, out = on_pty([*common, f"run.dir={work / 'always'}", "log.color=always"], {**env, "NO_COLOR": "1"})
    check(rc == 0 and ESC in out, f"log.color=always beats NO_COLOR (exit {rc})")

    # A batch job: mpirun's output to a file. OpenMPI relays each rank's output; the ranks see the launcher's
    # variables and must not colour.
    log_file = work / "slurm-like.out"
    with open(log_file, "wb") as f:
        r = subprocess.run(gu.dist_cmd(2, [*common, f"run.dir={work / 'mpi'}"]), stdout=f, stderr=subprocess.STDOUT,
                           env=env, timeout=600)
    text = log_file.read_bytes()
    check(r.returncode == 0 and b"[info]" in text and ESC not in text,
          f"mpirun -np 2 > file: no escape codes (exit {r.returncode}, {len(text)} bytes)")
    check(all(ESC not in p.read_bytes() for p in (work / "mpi").glob("train*.log")), "per-rank train logs clean")
    gu.exit_if_failed("log colour")


if __name__ == "__main__":
    main()
