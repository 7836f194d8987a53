"""Two real ranks under mpirun, things going wrong:

- EMA sync: a clean run passes every cross-rank checksum; a run where rank 1's target is perturbed fails loudly,
  naming the tensor and the ranks.
- A rank that aborts ends the whole job with a non-zero exit, well within the timeout: the injected fault fired
  (rank 1's log says so), the launcher names the dead rank, and training did not run to the end.
- A rank that hangs makes the others' collective time out (dist.timeout_s) and end the job, naming the collective.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402


def main():
    work = gu.scratch("dist_faults")
    corpus = gu.prepare_corpus(work)
    common = ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={corpus}", "train.batch_size=2",
              "train.log_every=5", "train.save_every=1000", *gu.small_model_overrides()]
    failures = []

    r = gu.run_dist(2, [*common, "train.steps=12", "dist.check_sync_every=3", f"run.dir={work / 'clean'}"])
    print("clean run with sync checks every 3 steps: exit", r.returncode)

    r = gu.run_dist(2, [*common, "train.steps=12", "dist.check_sync_every=3", "dist.fault=perturb_target@1:4",
                        f"run.dir={work / 'perturbed'}"], check=False)
    msg = r.stdout + r.stderr
    print("perturbed target on rank 1: exit", r.returncode)
    if r.returncode == 0 or "weights out of sync" not in msg or "target_encoder." not in msg or "rank 1" not in msg:
        failures.append(f"sync check did not fire as expected (exit {r.returncode}):\n{msg[-1500:]}")

    t0 = time.monotonic()
    r = gu.run_dist(2, [*common, "train.steps=50", "dist.fault=abort@1:3", "dist.timeout_s=60",
                        f"run.dir={work / 'abort'}"], check=False, timeout=120)
    dt = time.monotonic() - t0
    msg = r.stdout + r.stderr
    rank1_log = (work / "abort/train.rank1.log")
    fired = rank1_log.exists() and "fault injection: abort on rank 1 at step 3" in rank1_log.read_text()
    # The launcher reports the dead rank (OpenMPI: "... process rank 1 ... exited on signal 6 (Aborted)").
    reported = "rank 1" in msg and ("signal 6" in msg or "Aborted" in msg)
    metrics = (work / "abort/metrics.jsonl")
    last = gu.metrics(work / "abort")[-1]["step"] if metrics.exists() and metrics.read_text().strip() else 0
    print(f"rank 1 aborts at step 3: exit {r.returncode} after {dt:.1f} s; fault fired: {fired}; reported: {reported}; "
          f"rank 0's last logged step {last}")
    if r.returncode == 0 or dt > 60 or not fired or not reported or last >= 50:
        failures.append(f"abort did not end the job promptly and visibly (exit {r.returncode}, {dt:.1f} s, fired "
                        f"{fired}, reported {reported}, last step {last}):\n{msg[-1500:]}")

    t0 = time.monotonic()
    r = gu.run_dist(2, [*common, "train.steps=50", "dist.fault=hang@1:3", "dist.timeout_s=5",
                        f"run.dir={work / 'hang'}"], check=False, timeout=120)
    dt = time.monotonic() - t0
    msg = r.stdout + r.stderr
    print(f"rank 1 hangs at step 3 (timeout 5 s): exit {r.returncode} after {dt:.1f} s")
    if r.returncode == 0 or dt > 60 or "did not finish within" not in msg:
        failures.append(f"hang was not turned into an abort (exit {r.returncode}, {dt:.1f} s):\n{msg[-1500:]}")

    if failures:
        sys.exit("\n".join(failures))
    print("faults OK")


if __name__ == "__main__":
    main()
