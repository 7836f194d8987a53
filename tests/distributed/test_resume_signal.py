"""Checkpoint/resume under 2 ranks: SIGTERM to the ranks (as Slurm does at the time limit) or SIGUSR1 to mpirun
(forwarded) -> the ranks agree, rank 0 checkpoints, every process exits 0; `train.resume=auto` then continues and
the losses of the whole run equal those of an uninterrupted run (same step count, same data, same weights).
Also: a 2-rank checkpoint resumed on 1 rank with the same global batch continues with the same losses (1e-5)."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

STEPS = 40


def wait_for_step(run_dir, step, proc, limit=300):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc.poll() is not None:
            sys.exit(f"job ended early with {proc.returncode}")
        try:
            if any(m["step"] >= step for m in gu.metrics(run_dir)):
                return
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.05)
    sys.exit("job made no progress")


def rank_pids(run_dir):
    out = subprocess.run(["pgrep", "-f", f"^{gu.DIST} .*run.dir={run_dir}"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def interrupted(work, name, common, how):
    run_dir = work / name
    args = [*common, f"run.dir={run_dir}"]
    proc = subprocess.Popen(gu.dist_cmd(2, args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for_step(run_dir, 7, proc)
    if how == "SIGTERM to ranks":
        pids = rank_pids(run_dir)
        if len(pids) != 2:
            proc.kill()
            sys.exit(f"expected 2 rank processes, found {pids}")
        for p in pids:
            os.kill(p, signal.SIGTERM)
    else:
        proc.send_signal(signal.SIGUSR1)
    out, _ = proc.communicate(timeout=120)
    stopped = [m["step"] for m in gu.metrics(run_dir)][-1]
    if proc.returncode != 0 or "stop requested" not in out:
        sys.exit(f"{how}: expected a clean stop, got exit {proc.returncode}:\n{out[-2000:]}")
    latest = (run_dir / "checkpoints" / "latest").read_text().strip()
    print(f"{how}: exit 0, checkpoint {latest} (metrics up to step {stopped})")
    gu.run_dist(2, [*args, "train.resume=auto"])
    return gu.metrics(run_dir), latest


def main():
    work = gu.scratch("dist_resume")
    corpus = gu.prepare_corpus(work)
    common = ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={corpus}", "train.batch_size=2",
              f"train.steps={STEPS}", "train.log_every=1", "train.save_every=1000", *gu.small_model_overrides()]
    gu.run_dist(2, [*common, f"run.dir={work / 'full'}", "train.save_every=20"])
    full = gu.metrics(work / "full")
    failures = []

    # Resume on another rank count with the same global batch (2 x 2 -> 1 x 4): same data and masks, so the
    # losses agree up to floating-point summation order.
    gu.run_dist(1, [*common, "train.batch_size=4", f"run.dir={work / 'rescaled'}",
                    f"train.resume={work / 'full' / 'checkpoints' / 'step_0000020'}"])
    rescaled = gu.metrics(work / "rescaled")
    worst = max(abs(a["loss"] - b["loss"]) for a, b in zip(full[20:], rescaled))
    print(f"2 ranks -> 1 rank at step 20: {len(rescaled)} steps, max loss diff {worst:.2e}")
    if [m["step"] for m in rescaled] != list(range(21, STEPS + 1)) or worst > 1e-5:
        failures.append(f"resume on 1 rank diverged (max loss diff {worst:.2e})")
    for name, how in (("term", "SIGTERM to ranks"), ("usr1", "SIGUSR1 to mpirun")):
        resumed, latest = interrupted(work, name, common, how)
        steps = [m["step"] for m in resumed]
        if steps != list(range(1, STEPS + 1)):
            failures.append(f"{how}: metrics steps are {steps}")
        diff = [(a["step"], a["loss"], b["loss"]) for a, b in zip(full, resumed) if a["loss"] != b["loss"]]
        print(f"{how}: resumed from {latest}; {len(diff)} of {STEPS} losses differ from the uninterrupted run")
        if diff:
            failures.append(f"{how}: losses differ: {diff[:5]}")
    if failures:
        sys.exit("\n".join(failures))
    print("resume under 2 ranks OK")


if __name__ == "__main__":
    main()
