"""Evaluation and monitoring as a user meets them (docs/evaluation.md).

- A short training run logs the collapse monitor: console/train.log lines carry `rank x.x std x.xxx cos x.xx`,
  metrics.jsonl rows carry emb_std_mean, emb_std_min, effective_rank, mean_cosine in their valid ranges, and
  thresholds set above any reachable value make the trainer warn, naming the metric, its value and the threshold.
- jepa_eval on a held-out split (the last 50 lines of the shipped corpus, not trained on) with the shipped labelled
  set prints one JSON object (also written to --out) with the masked loss, collapse stats and 1-NN retrieval next
  to its baselines; results are deterministic; a run directory works as --checkpoint; --batches limits the split.
- Errors: missing or corrupt checkpoint, missing held-out file -> exit 1 with one line naming the file; bad usage
  -> exit 2.
- tools/plot_metrics.py turns the run's metrics.jsonl into a non-empty PNG.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

EVAL = os.environ.get("JEPA_EVAL", str(gu.BUILD / "src/tools/jepa_eval"))
LABELLED = gu.SOURCE / "datasets/labelled/topics.tsv"
FAIL = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAIL.append(what)


def je(*args, timeout=600):
    return subprocess.run([EVAL, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def one_line_error(r, code, needle):
    err = r.stderr.strip().splitlines()
    return r.returncode == code and len(err) >= 1 and needle in err[0] and (code == 2 or len(err) == 1)


def main():
    work = gu.scratch("eval")
    lines = [l for l in (gu.SOURCE / "datasets/shipped.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    (work / "train").mkdir()
    (work / "heldout").mkdir()
    train = gu.prepare_corpus(work / "train", text="\n".join(lines[:-50]) + "\n", max_length=48)
    heldout = gu.prepare_corpus(work / "heldout", text="\n".join(lines[-50:]) + "\n", max_length=48)
    vocab = gu.vocab_path()

    run = work / "run"
    gu.run_dist(1, ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={train}", *gu.small_model_overrides(),
                    "train.steps=6", "train.log_every=2", "train.save_every=3", "train.batch_size=8",
                    "optim.warmup_steps=2", "monitor.min_effective_rank=100", "monitor.min_std=1000",
                    f"run.dir={run}"])

    # --- collapse monitor in the trainer's log and metrics
    rows = gu.metrics(run)
    keys = {"emb_std_mean", "emb_std_min", "effective_rank", "mean_cosine"}
    check([m["step"] for m in rows] == [2, 4, 6] and all(keys <= m.keys() for m in rows), "metrics.jsonl: collapse keys")
    check(all(0 <= m["emb_std_min"] <= m["emb_std_mean"] and 1 <= m["effective_rank"] <= 8 + 1e-6
              and -1 <= m["mean_cosine"] <= 1 for m in rows), f"metrics.jsonl: ranges {rows[-1]}")
    log = (run / "train.log").read_text()
    progress = [l for l in log.splitlines() if "step 6/6" in l]
    check(len(progress) == 1 and " rank " in progress[0] and " std " in progress[0] and " cos " in progress[0],
          f"progress line shows rank/std/cos: {progress}")
    check("effective_rank" in log and "monitor.min_effective_rank 100" in log, "warning names effective_rank and threshold")
    check("emb_std_mean" in log and "monitor.min_std 1000" in log, "warning names emb_std_mean and threshold")

    # --- jepa_eval on the held-out split
    ckpt = run / "checkpoints/step_0000006"
    out = work / "out/metrics.json"
    r = je("--checkpoint", ckpt, "--data", heldout, "--labelled", LABELLED, "--vocab", vocab, "--batch-size", 8,
           "--threads", 1, "--out", out)
    check(r.returncode == 0, f"jepa_eval runs: {r.stderr.strip()[-500:]}")
    res = json.loads(r.stdout)
    check(json.loads(out.read_text()) == res, "--out holds the printed JSON")
    check(res["step"] == 6 and res["docs"] == 50 and res["batches"] == 7 and res["which"] == "target",
          f"split covered: docs {res['docs']} batches {res['batches']} step {res['step']}")
    check(res["masked_positions"] > 0 and 0 < res["masked_loss"] < 2 and 0 < res["masked_loss_batch_mean"] < 2,
          f"masked loss in (0, 2): {res['masked_loss']:.4f}")
    c = res["collapse"]
    check(c["n"] == 50 and 1 <= c["effective_rank"] <= 50 and 0 <= c["emb_std_min"] <= c["emb_std_mean"]
          and -1 <= c["mean_cosine"] <= 1, f"collapse stats of the split: {c}")
    rt = res["retrieval"]
    check(rt["n"] == 120 and rt["classes"] == 10 and 0 <= rt["knn1_accuracy"] <= 1, f"retrieval: {rt}")
    check(abs(rt["random_neighbour_baseline"] - 11 / 119) < 1e-12 and abs(rt["majority_baseline"] - 0.1) < 1e-12,
          "retrieval baselines")
    check(rt["collapse"]["n"] == 120, "collapse stats of the labelled set")

    r2 = je("--checkpoint", run, "--data", heldout, "--batch-size", 8, "--threads", 1)
    res2 = json.loads(r2.stdout) if r2.returncode == 0 else {}
    check(res2.get("checkpoint", "").endswith("step_0000006") and res2.get("masked_loss") == res["masked_loss"]
          and res2.get("collapse") == res["collapse"], "run dir as --checkpoint; deterministic")
    r3 = je("--checkpoint", ckpt, "--data", heldout, "--batches", 2, "--batch-size", 8, "--which", "context",
            "--threads", 1)
    res3 = json.loads(r3.stdout) if r3.returncode == 0 else {}
    check(res3.get("docs") == 16 and res3.get("which") == "context" and "retrieval" not in res3, "--batches, --which context")

    # --- errors
    r = je("--checkpoint", work / "no_such_ckpt", "--data", heldout)
    check(one_line_error(r, 1, "no_such_ckpt"), f"missing checkpoint: {r.stderr.strip()}")
    bad = work / "corrupt_ckpt"
    shutil.copytree(ckpt, bad)
    data = (bad / "model.safetensors").read_bytes()
    (bad / "model.safetensors").write_bytes(data[: len(data) // 2])
    r = je("--checkpoint", bad, "--data", heldout)
    check(one_line_error(r, 1, "model.safetensors"), f"truncated weights: {r.stderr.strip()}")
    r = je("--checkpoint", ckpt, "--data", work / "nope.h5")
    check(one_line_error(r, 1, "nope.h5"), f"missing held-out corpus: {r.stderr.strip()}")
    r = je("--checkpoint", ckpt, "--data", heldout, "--labelled", LABELLED)
    check(one_line_error(r, 2, "--vocab"), "--labelled without --vocab is a usage error")
    r = je("--data", heldout)
    check(one_line_error(r, 2, "--checkpoint"), "--checkpoint is required")

    # --- plot
    png = work / "plots/metrics.png"
    r = subprocess.run([sys.executable, str(gu.SOURCE / "tools/plot_metrics.py"), str(run / "metrics.jsonl"), "-o",
                        str(png)], capture_output=True, text=True, timeout=300)
    ok = r.returncode == 0 and png.exists() and png.stat().st_size > 1000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    check(ok and "effective_rank" in r.stdout, f"plot_metrics.py writes a PNG: {r.stdout.strip()} {r.stderr.strip()[-300:]}")

    if FAIL:
        sys.exit(f"{len(FAIL)} checks failed")
    print("eval OK")


if __name__ == "__main__":
    main()
