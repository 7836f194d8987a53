"""train.on_nonfinite (docs/configuration.md): a non-finite loss or gradient is caught at the step it appears, the
same way on every rank, and never reaches the weights, the target encoder or a checkpoint.

- The reported case: optim.lr=1e6 optim.grad_clip=0 used to end in `linalg.svd: ... non-finite values` from the
  collapse monitor. Now (stop, the default): exit 1, one line naming the first non-finite step and the last good
  checkpoint; no checkpoint after it.
- dist.fault=nan_loss@R:S makes one rank's loss NaN at one step. stop: exit 1 naming step S+1. skip, 1 rank and 2
  ranks (real mpirun, NaN on rank 1 only): training runs to the end with every weight finite, metrics.jsonl counts
  one skip, the 2-rank run's sync checks pass every step, and both equal each other (the skipped update is dropped
  on every rank alike).
"""
import math
import os
import sys

from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

check = gu.check


def main():
    work = gu.scratch("nonfinite")
    corpus = gu.prepare_corpus(work)
    common = ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={corpus}", "train.log_every=2",
              *gu.small_model_overrides()]

    d = work / "lr1e6"
    r = gu.run_dist(1, [*common, "optim.lr=1e6", "optim.grad_clip=0", "optim.warmup_steps=0", "train.steps=40",
                        "train.save_every=2", f"run.dir={d}"], check=False)
    err = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and "non-finite loss or gradient at step" in err[0]
          and "last good checkpoint" in err[0] and "svd" not in r.stderr,
          f"lr 1e6: exit {r.returncode}, {err[:2]}")
    first = int(err[0].split("at step ")[1].split()[0]) if err and "at step " in err[0] else 0
    saved = [p.name for p in (d / "checkpoints").glob("step_*")] if (d / "checkpoints").exists() else []
    check(all(int(n[5:12]) < first for n in saved), f"no checkpoint at or after step {first}: {saved}")
    for n in saved:
        w = load_file(str(d / "checkpoints" / n / "model.safetensors"))
        check(all(bool(t.isfinite().all()) for t in w.values()), f"{n}: every weight finite")

    d = work / "stop"
    r = gu.run_dist(1, [*common, "train.steps=10", "train.save_every=100", "dist.fault=nan_loss@0:4", f"run.dir={d}"],
                    check=False)
    err = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and "at step 5 " in err[0] and "last good checkpoint: none" in err[0],
          f"nan_loss at step index 4, stop: {err[:2]}")
    check(not (d / "checkpoints").exists() or not any((d / "checkpoints").glob("step_*")), "stop saved nothing")

    finals = {}
    for ranks, extra in ((1, ["train.batch_size=8", "dist.fault=nan_loss@0:4"]),
                         (2, ["train.batch_size=4", "dist.fault=nan_loss@1:4", "dist.check_sync_every=1"])):
        d = work / f"skip{ranks}"
        gu.run_dist(ranks, [*common, "train.steps=10", "train.save_every=10", "train.on_nonfinite=skip", *extra,
                            f"run.dir={d}"])
        rows = gu.metrics(d)
        w = load_file(str(d / "checkpoints/step_0000010/model.safetensors"))
        finals[ranks] = (rows, w)
        check(all(bool(t.isfinite().all()) for t in w.values()), f"skip, {ranks} rank(s): every weight finite")
        check(rows[-1].get("nonfinite_skips") == 1 and all(r["step"] == 6 or (r["loss"] is not None and math.isfinite(r["loss"])) for r in rows),
              f"skip, {ranks} rank(s): one skip counted ({rows[-1].get('nonfinite_skips')})")
    (r1, w1), (r2, w2) = finals[1], finals[2]
    dp = max((w1[k] - w2[k]).abs().max().item() for k in w1)
    check(dp < 1e-5, f"1 rank x 8 and 2 ranks x 4 agree after the skipped step (max param diff {dp:.1e})")
    gu.exit_if_failed("non-finite")


if __name__ == "__main__":
    main()
