"""log.tensorboard=true: TensorBoard's own reader (tensorboard.backend.event_processing) finds the same scalars as
metrics.jsonl (loss, lr, tokens_per_s, collapse stats) at the same steps, to float32 precision; a resumed run adds
a second event file whose SessionLog START makes TensorBoard drop the first run's points past the checkpoint, so the
curve has each step once."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def main():
    work = gu.scratch("log_tensorboard")
    corpus = gu.prepare_corpus(work)
    run_dir = work / "run"
    common = ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={corpus}", "train.log_every=1",
              "log.tensorboard=true", f"run.dir={run_dir}", *gu.small_model_overrides()]
    # 6 steps with a checkpoint at 3; then "crash" back to step 3 by resuming from it with 8 steps.
    gu.run_dist(1, [*common, "train.steps=6", "train.save_every=3", "train.keep_checkpoints=5"])
    gu.run_dist(1, [*common, "train.steps=8", f"train.resume={run_dir / 'checkpoints/step_0000003'}"])
    metrics = gu.metrics(run_dir)
    acc = EventAccumulator(str(run_dir / "tb"))
    acc.Reload()
    failures = []
    tags = set(acc.Tags()["scalars"])
    for tag in ("loss", "lr", "tokens_per_s", "grad_norm"):
        if tag not in tags:
            failures.append(f"tag {tag} missing (have {sorted(tags)})")
    if len(list((run_dir / "tb").glob("events.out.tfevents.*"))) != 2:
        failures.append("expected one event file per run")
    loss = acc.Scalars("loss") if "loss" in tags else []
    steps = [e.step for e in loss]
    if steps != [m["step"] for m in metrics] or steps != list(range(1, 9)):
        failures.append(f"loss steps {steps} vs metrics.jsonl {[m['step'] for m in metrics]}")
    for e, m in zip(loss, metrics):
        if abs(e.value - m["loss"]) > 1e-6 * max(1.0, abs(m["loss"])):
            failures.append(f"step {e.step}: TensorBoard {e.value} vs metrics.jsonl {m['loss']}")
    print(f"{len(loss)} loss points, tags {sorted(tags)[:8]}...")
    if failures:
        sys.exit("\n".join(failures))
    print("tensorboard OK")


if __name__ == "__main__":
    main()
