"""jepa_dist as a user meets it: config errors, bad inputs, the run directory, and crash + resume.

- --print-config prints the resolved YAML and writes nothing; an unknown key / wrong type exits 2 with one line
  naming it, and creates no run directory; a missing or corrupt corpus exits 1 with one line naming the file.
- A run writes config.yaml, train.log, metrics.jsonl (step, loss, lr, tokens_per_s) and checkpoints/ (latest, keep-K).
- A run killed with SIGKILL (no chance to clean up, possibly mid-checkpoint) and restarted with train.resume=auto
  logs exactly the losses of an uninterrupted run, bit for bit (dropout on: the RNG state is restored too).
"""
import json
import os
import signal
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

check = gu.check


def jd(*args, timeout=600):
    return subprocess.run([gu.DIST, *args], capture_output=True, text=True, timeout=timeout)


def main():
    work = gu.scratch("cli")
    corpus = gu.prepare_corpus(work)
    smoke = str(gu.SOURCE / "configs/smoke.yaml")

    r = jd("--config", smoke, "--print-config", f"run.dir={work / 'printed'}", "optim.lr=3e-4")
    cfg = yaml.safe_load(r.stdout)
    check(r.returncode == 0 and cfg["optim"]["lr"] == 3e-4 and cfg["model"]["name"] == "tiny", "--print-config")
    check(not (work / "printed").exists(), "--print-config writes nothing")

    r = jd("--config", smoke, "optim.lrr=1", f"run.dir={work / 'bad'}")
    err = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(err) == 1 and "optim.lrr" in err[0] and "optim.lr" in err[0], f"unknown key: {err}")
    r = jd("--config", smoke, "train.steps=abc", f"run.dir={work / 'bad'}")
    err = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(err) == 1 and "train.steps" in err[0] and "abc" in err[0], f"wrong type: {err}")
    # Every key added against collapse / for held-out eval: a bad value is one line naming the key, exit 2.
    for override in ("jepa.target_layers=0", "jepa.target_norm=batch", "jepa.loss=l1", "jepa.ema_schedule=step",
                     "model.init=copy", "eval.every=-1", "eval.docs=1", "eval.every=7", "monitor.on_collapse=abort",
                     "monitor.max_mean_cosine=-1", "train.objective=nope", "jepa.vc_weight=-0.1",
                     "jepa.var_target=0", "jepa.vc_weight=lots", "optim.predictor_lr_mult=-1", "train.grad_accum=0",
                     "dist.io_timeout_s=0", "dist.grad_dtype=fp8", "log.color=rainbow",
                     "train.on_nonfinite=ignore"):
        r = jd("--config", smoke, override, f"run.dir={work / 'bad'}")
        err = r.stderr.strip().splitlines()
        key = override.split("=")[0]
        code = 1 if key == "train.objective" else 2  # objectives are registered at run time: known when built
        check(r.returncode == code and len(err) == 1 and key in err[0], f"{override}: exit {r.returncode}, {err}")
    check(not (work / "bad").exists(), "config errors write nothing")

    r = jd("--config", smoke, f"data.path={work / 'nope.h5'}", f"run.dir={work / 'bad2'}")
    err = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and "nope.h5" in err[0], f"missing corpus: {err}")
    (work / "corrupt.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(4000))
    r = jd("--config", smoke, f"data.path={work / 'corrupt.h5'}", f"run.dir={work / 'bad3'}")
    err = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and "corrupt.h5" in err[0], f"corrupt corpus: {err}")

    # Embedded defaults: no --config at all.
    r = jd(f"data.path={corpus}", "train.steps=3", "train.log_every=1", "model.layers=1", f"run.dir={work / 'defaults'}")
    check(r.returncode == 0 and (work / "defaults/checkpoints/step_0000003").is_dir(), "runs on the built-in defaults")

    common = ["--config", smoke, f"data.path={corpus}", "train.steps=30", "train.log_every=1", "train.save_every=5",
              "train.keep_checkpoints=2", "model.dim=64", "model.layers=2", "model.ff_dim=128", "data.max_length=48",
              "train.batch_size=4", "train.threads=1", "train.device=cpu"]
    full = work / "full"
    r = jd(*common, f"run.dir={full}")
    check(r.returncode == 0, "uninterrupted run")
    rows = gu.metrics(full)
    check([m["step"] for m in rows] == list(range(1, 31)), "metrics.jsonl: one row per logged step")
    check(all({"step", "loss", "lr", "tokens_per_s"} <= m.keys() for m in rows), "metrics keys")
    check(yaml.safe_load((full / "config.yaml").read_text())["train"]["steps"] == 30, "config.yaml resolved")
    check("step 30/30" in (full / "train.log").read_text(), "train.log progress lines")
    ckpts = sorted(p.name for p in (full / "checkpoints").iterdir())
    check(ckpts == ["latest", "step_0000025", "step_0000030"], f"keep-last-2 checkpoints: {ckpts}")

    # A fresh run over a run directory that holds checkpoints is refused: nothing is overwritten.
    before = (full / "metrics.jsonl").read_bytes()
    r = jd(*common, f"run.dir={full}")
    err = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and "train.resume=auto" in err[0], f"fresh run over an old one: {err}")
    check((full / "metrics.jsonl").read_bytes() == before, "the old run is untouched")

    # A corpus whose ids exceed its vocabulary: one line naming the document, not a LibTorch backtrace.
    import h5py
    bad = work / "badids.h5"
    import shutil
    shutil.copy(corpus, bad)
    with h5py.File(bad, "r+") as f:
        f["tokens"][3] = 10 ** 6
    r = jd(*common, f"data.path={bad}", f"run.dir={work / 'badids'}", "train.steps=200")
    err = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and "outside its vocabulary" in err[0], f"token id out of range: {err}")

    crashed = work / "crashed"
    proc = subprocess.Popen([gu.DIST, *common, f"run.dir={crashed}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while not (crashed / "checkpoints" / "step_0000010").exists() and time.monotonic() - t0 < 300:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    rc = proc.wait()
    done = len(gu.metrics(crashed))
    # The kill must land mid-run, or the resume below would prove nothing: killed by the signal (not a normal exit),
    # with a checkpoint and fewer steps logged than the run has.
    total = len(gu.metrics(full))
    check(rc == -signal.SIGKILL and 0 < done < total and (crashed / "checkpoints/latest").exists(),
          f"SIGKILL landed mid-run (exit {rc}, {done} of {total} steps logged)")
    r = jd(*common, "train.resume=auto", f"run.dir={crashed}")
    check(r.returncode == 0 and "resumed from" in r.stdout, f"resume after SIGKILL at step ~{done}")
    a = [m["loss"] for m in gu.metrics(full)]
    b = [m["loss"] for m in gu.metrics(crashed)]
    check(a == b, f"resumed losses equal the uninterrupted run bit for bit ({len(b)} steps)")

    gu.exit_if_failed("cli")


if __name__ == "__main__":
    main()
