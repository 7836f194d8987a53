"""The Slurm scripts in cluster/ run as sbatch would run them, with `srun` and `scontrol` replaced by shims that
run the task locally and record what they were asked (docs/launching.md, "Slurm").

- USR1 to the batch shell of preemptible.sbatch (Slurm's time-limit warning): the ranks checkpoint and exit 0, and
  the job asks `scontrol requeue <job id>`; the requeued script (same job id, same run.dir) resumes from the
  checkpoint (train.resume=auto) and finishes.
- TERM (scancel): checkpoint and exit 0, no requeue.
- single_node.sbatch and multi_node.sbatch launch through the same path: srun gets --kill-on-bad-exit=1, the
  command gets train.resume=auto.
"""
import json
import os
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

check = gu.check


def shim(path, body):
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def main():
    work = gu.scratch("cluster_scripts")
    corpus = gu.prepare_corpus(work)
    submit = work / "submit"
    submit.mkdir()
    for name in ("cluster", "configs"):
        (submit / name).symlink_to(gu.SOURCE / name)
    (submit / "logs").mkdir()
    fake = work / "bin"
    fake.mkdir()
    calls = work / "calls.log"
    # srun: record the flags, run the task here (exec, so a signal sent to srun reaches jepa_dist).
    shim(fake / "srun", f'while [[ "$1" == --* ]]; do echo "srun $1" >> {calls}; shift; done\n'
                        f'echo "task $*" >> {calls}\nexec "$@"\n')
    shim(fake / "scontrol", f'echo "scontrol $*" >> {calls}\n')
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "SLURM_SUBMIT_DIR": str(submit),
           "SLURM_JOB_NAME": "jepa-preempt", "SLURM_JOB_ID": "4242", "SLURM_CPUS_PER_TASK": "1",
           "JEPA_BIN": gu.DIST, "JEPA_CONFIG": str(gu.SOURCE / "configs/smoke.yaml")}
    overrides = [f"data.path={corpus}", "train.log_every=1", "train.save_every=100000", *gu.small_model_overrides()]
    run_dir = submit / "runs/jepa-preempt-4242"

    def start(script, steps, job_env):
        return subprocess.Popen(["bash", str(gu.SOURCE / "cluster" / script), f"train.steps={steps}", *overrides],
                                cwd=submit, env=job_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def lines():
        m = run_dir / "metrics.jsonl"
        return len(m.read_text().splitlines()) if m.exists() else 0

    def wait_for_training(p):
        """Until this run has logged two more steps (training is underway, past start-up)."""
        start_lines = lines()
        deadline = time.time() + 300
        while time.time() < deadline and p.poll() is None:
            if lines() >= start_lines + 2:
                return True
            time.sleep(0.2)
        return False

    def latest_step():
        latest = run_dir / "checkpoints/latest"
        if not latest.exists():
            return None
        return json.loads((run_dir / "checkpoints" / latest.read_text().strip() / "trainer_state.json").read_text())["step"]

    # 1. Time limit: USR1 -> checkpoint, exit 0, requeue.
    p = start("preemptible.sbatch", 100000, env)
    check(wait_for_training(p), "preemptible.sbatch: training started")
    p.send_signal(signal.SIGUSR1)
    out, _ = p.communicate(timeout=300)
    step = latest_step()
    log = calls.read_text()
    check(p.returncode == 0 and step is not None and 0 < step < 100000,
          f"USR1: exit {p.returncode}, checkpoint at step {step}")
    check("scontrol requeue 4242" in log, "USR1: the job requeued itself")
    check("srun --kill-on-bad-exit=1" in log, "srun gets --kill-on-bad-exit=1")
    check("train.resume=auto" in log, "the command passes train.resume=auto")

    # The requeued job: same id, same run.dir, resumes and finishes.
    p = start("preemptible.sbatch", step + 3, env)
    out, _ = p.communicate(timeout=300)
    train_log = (run_dir / "train.log").read_text()
    check(p.returncode == 0 and "resumed from" in train_log and latest_step() == step + 3,
          f"requeued run resumed at step {step} and finished at {latest_step()} (exit {p.returncode})")

    # 2. scancel: TERM -> checkpoint, exit 0, no requeue.
    calls.write_text("")
    p = start("preemptible.sbatch", 100000, env)
    before = latest_step()
    check(wait_for_training(p), "training started again")
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=300)
    check(p.returncode == 0 and latest_step() is not None and latest_step() > before,
          f"TERM: exit {p.returncode}, checkpoint at step {latest_step()} (was {before})")
    check("scontrol" not in calls.read_text(), "TERM: not requeued")

    # 3. The other scripts launch through the same path.
    for script in ("single_node.sbatch", "multi_node.sbatch"):
        calls.write_text("")
        job_env = {**env, "SLURM_JOB_NAME": "j", "SLURM_JOB_ID": "7"}
        p = start(script, 2, job_env)
        out, _ = p.communicate(timeout=300)
        log = calls.read_text()
        check(p.returncode == 0 and "srun --kill-on-bad-exit=1" in log and "train.resume=auto" in log
              and (submit / "runs/j-7/checkpoints/latest").exists(), f"{script}: exit {p.returncode}")
    gu.exit_if_failed("cluster scripts")


if __name__ == "__main__":
    main()
