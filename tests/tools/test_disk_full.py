"""Write failures end a run cleanly (docs/checkpoints.md): a checkpoint that cannot be written is a one-line error
naming the file and the cause, exit 1 (not an abort), its temporary directory removed, the earlier checkpoint and
`latest` untouched, and the run resumes from that checkpoint afterwards. The same for metrics.jsonl / train.log.

"Disk full" is produced without a special filesystem: RLIMIT_FSIZE (with SIGXFSZ ignored, as a shell's `ulimit -f`
child would see it) makes every write past the limit fail with EFBIG, the way ENOSPC fails it."""
import json
import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

check = gu.check


def run(args, limit=None):
    def pre():
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([gu.DIST, *args], capture_output=True, text=True, preexec_fn=pre, timeout=600)


def main():
    work = gu.scratch("disk_full")
    corpus = gu.prepare_corpus(work)
    run_dir = work / "run"
    common = ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={corpus}", "train.log_every=1",
              "train.save_every=2", f"run.dir={run_dir}", *gu.small_model_overrides()]
    r = run([*common, "train.steps=2"])
    ckpts = run_dir / "checkpoints"
    good = ckpts / "step_0000002"
    check(r.returncode == 0 and (ckpts / "latest").read_text().strip() == "step_0000002", "first checkpoint written")
    sizes = {f.name: f.stat().st_size for f in good.iterdir()}
    model_size, opt_size = sizes["model.safetensors"], sizes["optimizer.pt"]

    # Each limit lets the files before it through and stops one: model.safetensors, then optimizer.pt.
    for limit, victim in ((model_size // 2, "model.safetensors"),
                          ((model_size + opt_size) // 2 if opt_size > model_size else None, "optimizer.pt")):
        if limit is None:
            print(f"skip {victim}: not larger than model.safetensors here")
            continue
        r = run([*common, "train.steps=4", "train.resume=auto"], limit=limit)
        err = r.stderr.strip().splitlines()
        check(r.returncode == 1 and len(err) == 1 and victim in err[0] and "not written" in err[0]
              and "step_0000002" in err[0], f"{victim} write fails: exit {r.returncode}, {err[:2]}")
        left = sorted(p.name for p in ckpts.iterdir())
        check(left == ["latest", "step_0000002"], f"temporary directory removed, nothing else touched: {left}")
        check((ckpts / "latest").read_text().strip() == "step_0000002"
              and {f.name: f.stat().st_size for f in good.iterdir()} == sizes, "latest and step_0000002 unchanged")

    r = run([*common, "train.steps=4", "train.resume=auto"])
    state = json.loads((ckpts / "step_0000004/trainer_state.json").read_text()) if r.returncode == 0 else {}
    check(r.returncode == 0 and "resumed from" in r.stdout and state.get("step") == 4,
          "the run resumes from the untouched checkpoint once there is space")

    # metrics.jsonl: a limit just above its current size makes the next record fail.
    m = run_dir / "metrics.jsonl"
    r = run([*common, "train.steps=40", "train.save_every=1000", "train.resume=auto"], limit=m.stat().st_size + 300)
    err = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and ("metrics.jsonl" in err[0] or "train.log" in err[0]),
          f"a log/metrics write failure ends the run with one line: exit {r.returncode}, {err[:2]}")
    gu.exit_if_failed("disk full")


if __name__ == "__main__":
    main()
