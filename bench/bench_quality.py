#!/usr/bin/env python3
"""Representation quality of what jepa_dist trains: every anti-collapse option and recipe vs the baselines.

  python3 bench/bench_quality.py [--quick] [--rows reference,ema_cosine,...] [--seeds 42,43,44] [--steps N]
                                 [--minilm-steps N] [--baselines random,tfidf,minilm] [--threads 2] [--fresh]
                                 [--out runs/bench_quality] [--json OUT.json] [--tools DIR]

For each row and seed: `jepa_dist` trains (train.seed = the seed, train.threads = --threads) on the recipe corpus
(datasets/build/pretrain.h5, made by datasets/build_pretrain.sh when missing) with held-out evaluation at the last
step (eval.data = datasets/build/heldout.h5, eval.docs 512: the probe's test texts, never trained on), then
`jepa_eval --checkpoint RUN --probe-train ... --probe-test ...` scores the target encoder on the topic probe
(docs/evaluation.md, "The topic probe") — the same calls as bench/bench_baselines.py. Rows:

  reference      the reference's settings (configs/smoke.yaml): tiny encoder, cosine loss, constant EMA 0.95,
                 last-layer targets, lr 1e-4
  <option>       the reference with ONE anti-collapse option changed (design.md §1.4):
                   top3        jepa.target_layers=3 (mean of the top 3 of 4 layers; no normalisation)
                   instance    jepa.target_norm=instance (last layer, instance-normalised)
                   mse         jepa.loss=mse            smooth_l1   jepa.loss=smooth_l1
                   ema_cosine  jepa.ema_schedule=cosine, ema_m 0.996 -> 1.0
                   vicreg      jepa.vc_weight=0.1 (VICReg variance + covariance terms on the predictions)
  tiny_scratch   configs/recipe/tiny_scratch.yaml (the main from-scratch recipe)
  minilm_cont    configs/recipe/minilm_continued.yaml (continued pretraining of the packaged MiniLM)
Every tiny row runs --steps steps with warmup = steps/10 (the recipes' own lengths are overridden so that rows
compare at equal compute); minilm_cont runs --minilm-steps. Baselines (same split, same probe): the tiny
architecture at random init for each seed (`jepa_eval --config configs/recipe/tiny_scratch.yaml train.seed=S`),
TF-IDF word 1-2-grams, and the pretrained all-MiniLM-L6-v2 (its own starting point).

Prints ONE table: probe linear accuracy mean ± std over seeds, k-NN accuracy, held-out RankMe (eval_effective_rank)
and mean cosine (eval_mean_cosine) at the last step, final loss (mean of the last log window), training minutes.
Every (row, steps, seed) result is cached in OUT/ROW/steps_N/seed_S/result.json with the exact commands that made
it and reused when the commands are identical (--fresh re-runs), so a full table can be built over several
invocations.

--quick: one seed (42) of `reference` and `tiny_scratch` at 150 steps plus the random-init baseline of that seed
(TF-IDF and MiniLM baselines only if already cached), about 10 minutes on 2 CPU cores; it ends with the line
`verdict: recipe NAME probe ACC vs random-init ACC (delta +X.XXX)`.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOLS = ROOT / "build/src/tools"
SPLIT = ROOT / "datasets/build/topics"
CORPUS = ROOT / "datasets/build/pretrain.h5"
HELDOUT = ROOT / "datasets/build/heldout.h5"
VOCAB = ROOT / "models/all-MiniLM-L6-v2/vocab.txt"
SMOKE = "configs/smoke.yaml"
SCRATCH = "configs/recipe/tiny_scratch.yaml"
MINILM_RECIPE = "configs/recipe/minilm_continued.yaml"

# row -> (primary config, overrides). Option rows are the reference plus one change.
ROWS = {
    "reference": (SMOKE, []),
    "top3": (SMOKE, ["jepa.target_layers=3"]),
    "instance": (SMOKE, ["jepa.target_norm=instance"]),
    "mse": (SMOKE, ["jepa.loss=mse"]),
    "smooth_l1": (SMOKE, ["jepa.loss=smooth_l1"]),
    "ema_cosine": (SMOKE, ["jepa.ema_schedule=cosine", "jepa.ema_m=0.996", "jepa.ema_m_end=1.0"]),
    "vicreg": (SMOKE, ["jepa.vc_weight=0.1"]),
    "tiny_scratch": (SCRATCH, []),
    "minilm_cont": (MINILM_RECIPE, []),
}
RECIPES = {"tiny_scratch", "minilm_cont"}


def log(msg):
    print(f"[bench_quality {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, what):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-5:])
        sys.exit(f"bench_quality: {what} failed ({r.returncode}): {' '.join(cmd)}\n{tail}")
    return r.stdout, time.perf_counter() - t


def probe_cmd(args, extra):
    cmd = [str(TOOLS / "jepa_eval"), "--probe-train", str(SPLIT / "train.tsv"), "--probe-test", str(SPLIT / "test.tsv"),
           "--threads", str(args.threads), *extra]
    if "tfidf" not in extra:
        cmd += ["--vocab", str(VOCAB), "--device", args.device]
    return cmd


def cached(path, key, fresh):
    if not fresh and path.exists():
        try:
            res = json.loads(path.read_text())
            if res.get("key") == key:
                return res
        except (OSError, ValueError):
            pass
    return None


def train_row(args, row, seed):
    config, extra = ROWS[row]
    steps = args.minilm_steps if row == "minilm_cont" else args.steps
    log_every = next(k for k in (50, 25, 20, 10, 5, 1) if steps % k == 0 and steps // k >= 2) if steps > 1 else 1
    rdir = args.out / row / f"steps_{steps}" / f"seed_{seed}"
    overrides = [f"data.path={CORPUS.relative_to(ROOT)}", f"eval.data={HELDOUT.relative_to(ROOT)}", "eval.docs=512",
                 *extra, f"train.seed={seed}", f"train.steps={steps}", f"optim.warmup_steps={max(1, steps // 10)}",
                 f"train.log_every={log_every}", f"eval.every={steps}", f"train.save_every={steps}",
                 "train.keep_checkpoints=1", f"train.threads={args.threads}", f"train.device={args.device}",
                 f"run.dir={rdir / 'run'}"]
    train = [str(TOOLS / "jepa_dist"), "--config", config, *overrides]
    probe = probe_cmd(args, ["--checkpoint", str(rdir / "run")])
    key = {"train": train[1:], "probe": probe[1:]}
    res = cached(rdir / "result.json", key, args.fresh)
    if res:
        log(f"{row} seed {seed}: cached ({rdir / 'result.json'})")
        return res
    import shutil
    shutil.rmtree(rdir / "run", ignore_errors=True)
    rdir.mkdir(parents=True, exist_ok=True)
    log(f"{row} seed {seed}: training {steps} steps: {' '.join(train)}")
    _, t_train = run(train, f"training {row} seed {seed}")
    metrics = [json.loads(l) for l in (rdir / "run/metrics.jsonl").read_text().splitlines() if l.strip()]
    last_loss = [m for m in metrics if "loss" in m][-1]
    last_eval = [m for m in metrics if "eval_effective_rank" in m][-1]
    log(f"{row} seed {seed}: trained in {t_train / 60:.1f} min (loss {last_loss['loss']:.4f}, held-out rank "
        f"{last_eval['eval_effective_rank']:.1f}, cos {last_eval['eval_mean_cosine']:.3f}); probing")
    out, t_probe = run(probe, f"probe of {row} seed {seed}")
    p = json.loads(out)["probe"]
    res = {"key": key, "row": row, "seed": seed, "steps": steps, "linear_accuracy": p["linear_accuracy"],
           "knn_accuracy": p["knn_accuracy"], "macro_f1": p["macro_f1"], "dim": p["dim"],
           "eval_effective_rank": last_eval["eval_effective_rank"], "eval_mean_cosine": last_eval["eval_mean_cosine"],
           "eval_emb_std_mean": last_eval.get("eval_emb_std_mean"), "final_loss": last_loss["loss"],
           "train_minutes": t_train / 60, "probe_minutes": t_probe / 60}
    (rdir / "result.json").write_text(json.dumps(res, indent=2) + "\n")
    log(f"{row} seed {seed}: probe {res['linear_accuracy']:.4f} (k-NN {res['knn_accuracy']:.4f})")
    return res


def baseline(args, name, seed, allow_run):
    if name == "random":
        extra, label = ["--config", SCRATCH, f"train.seed={seed}", f"data.path={CORPUS.relative_to(ROOT)}"], \
            f"random_init/seed_{seed}"
    elif name == "tfidf":
        extra, label = ["--probe-features", "tfidf"], "tfidf"
    else:
        extra, label = ["--config", SMOKE, "model=minilm"], "minilm_pretrained"
    cmd = probe_cmd(args, extra)
    path = args.out / "baselines" / label / "result.json"
    res = cached(path, {"probe": cmd[1:]}, args.fresh)
    if res or not allow_run:
        if res:
            log(f"baseline {label}: cached")
        return res
    log(f"baseline {label}: {' '.join(cmd)}")
    out, t = run(cmd, f"baseline {label}")
    p = json.loads(out)["probe"]
    res = {"key": {"probe": cmd[1:]}, "row": label, "seed": seed, "linear_accuracy": p["linear_accuracy"],
           "knn_accuracy": p["knn_accuracy"], "macro_f1": p["macro_f1"], "dim": p["dim"], "probe_minutes": t / 60}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2) + "\n")
    log(f"baseline {label}: probe {res['linear_accuracy']:.4f}")
    return res


def ms(vals, fmt="{:.3f}"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "—"
    if len(vals) == 1:
        return fmt.format(vals[0])
    return fmt.format(statistics.mean(vals)) + " ± " + fmt.format(statistics.stdev(vals))


def main():
    global TOOLS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one seed of reference and tiny_scratch, 150 steps (~10 min)")
    ap.add_argument("--rows", help=f"comma-separated rows (default all: {','.join(ROWS)})")
    ap.add_argument("--seeds", help="train.seed values (default 42,43,44; --quick 42)")
    ap.add_argument("--steps", type=int, help="training steps of the tiny rows (default 1000; --quick 150)")
    ap.add_argument("--minilm-steps", type=int, default=300, help="training steps of minilm_cont (default 300)")
    ap.add_argument("--baselines", help="random,tfidf,minilm (default all; --quick: random, the others if cached)")
    ap.add_argument("--threads", type=int, default=2, help="train.threads and jepa_eval --threads (default 2)")
    ap.add_argument("--device", default="cpu", help="train.device / jepa_eval --device (default cpu)")
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "runs/bench_quality", help="runs and result cache")
    ap.add_argument("--fresh", action="store_true", help="ignore cached results")
    ap.add_argument("--tools", type=pathlib.Path, default=TOOLS,
                    help="directory of jepa_dist/jepa_eval (default build/src/tools; a copy keeps a long bench "
                         "independent of rebuilds)")
    ap.add_argument("--json", type=pathlib.Path, help="also write every result there")
    args = ap.parse_args()
    args.out = args.out.resolve()
    TOOLS = args.tools.resolve()
    rows = (args.rows or ("reference,tiny_scratch" if args.quick else ",".join(ROWS))).split(",")
    bad = [r for r in rows if r not in ROWS]
    if bad:
        sys.exit(f"bench_quality: unknown row(s) {', '.join(bad)} (available: {', '.join(ROWS)})")
    seeds = [int(s) for s in (args.seeds or ("42" if args.quick else "42,43,44")).split(",")]
    args.steps = args.steps or (150 if args.quick else 1000)
    wanted = set((args.baselines or "random,tfidf,minilm").split(","))
    if wanted - {"random", "tfidf", "minilm", ""}:
        sys.exit("bench_quality: --baselines takes random, tfidf, minilm")
    t0 = time.perf_counter()

    for tool in ("jepa_dist", "jepa_eval", "jepa_prep"):
        if not (TOOLS / tool).exists():
            sys.exit(f"bench_quality: {TOOLS / tool} not found "
                     "(cmake --build build --target jepa_dist jepa_prep jepa_eval)")
    if not (VOCAB.parent / "model.safetensors").exists():
        subprocess.run(["bash", str(ROOT / "launch/models.sh")], check=True)
    if not CORPUS.exists() or not HELDOUT.exists() or not (SPLIT / "test.tsv").exists():
        subprocess.run(["bash", str(ROOT / "datasets/build_pretrain.sh")], check=True)

    results = {r: [train_row(args, r, s) for s in seeds] for r in rows}
    base = {"random": [baseline(args, "random", s, "random" in wanted) for s in seeds],
            "tfidf": [baseline(args, "tfidf", 0, "tfidf" in wanted and not (args.quick and not args.baselines))],
            "minilm": [baseline(args, "minilm", 0, "minilm" in wanted and not (args.quick and not args.baselines))]}

    with open(CORPUS.with_suffix(".txt"), "rb") as f:
        docs = sum(1 for _ in f)
    print(f"bench_quality: topic probe {SPLIT.relative_to(ROOT)} (32 classes, 3015 train / 3011 test); corpus "
          f"{CORPUS.relative_to(ROOT)} ({docs} docs); held-out {HELDOUT.relative_to(ROOT)} (512 docs); seeds "
          f"{','.join(map(str, seeds))}; tiny rows {args.steps} steps, minilm_cont {args.minilm_steps} steps, batch 8, "
          f"{args.threads} threads, {args.device}")
    fmt = "{:<38} {:>5} {:>16} {:>16} {:>14} {:>13} {:>16} {:>8}"
    print(fmt.format("row", "seeds", "probe_linear", "probe_knn", "heldout_rankme", "heldout_cos", "final_loss",
                     "minutes"))
    for r in rows:
        rs = results[r]
        label = r + (" (recipe)" if r in RECIPES else "")
        print(fmt.format(label, len(rs), ms([x["linear_accuracy"] for x in rs]), ms([x["knn_accuracy"] for x in rs]),
                         ms([x["eval_effective_rank"] for x in rs], "{:.1f}"),
                         ms([x["eval_mean_cosine"] for x in rs]), ms([x["final_loss"] for x in rs], "{:.4f}"),
                         f"{statistics.mean(x['train_minutes'] for x in rs):.1f}"))
    names = {"random": "baseline: tiny random init", "tfidf": "baseline: TF-IDF word 1-2-grams",
             "minilm": "baseline: all-MiniLM-L6-v2 pretrained"}
    for b, rs in base.items():
        have = [x for x in rs if x]
        if not have:
            print(fmt.format(names[b], 0, "not run", "", "", "", "", ""))
            continue
        print(fmt.format(names[b], len(have) if b == "random" else "-", ms([x["linear_accuracy"] for x in have]),
                         ms([x["knn_accuracy"] for x in have]), "", "", "", ""))
    print(f"wall time of this invocation: {(time.perf_counter() - t0) / 60:.1f} min (cached rows cost nothing)")

    if args.json:
        args.json.write_text(json.dumps({"rows": results, "baselines": base}, indent=2) + "\n")
    # The verdict compares the main recipe with its own starting point: the random-init encoder of the same
    # architecture for tiny_scratch (the line --quick ends with), the pretrained MiniLM for minilm_cont.
    main_recipe = "tiny_scratch" if "tiny_scratch" in rows else next((r for r in rows if r in RECIPES), None)
    start = [x["linear_accuracy"] for x in (base["minilm"] if main_recipe == "minilm_cont" else base["random"]) if x]
    if main_recipe and start:
        acc = statistics.mean(x["linear_accuracy"] for x in results[main_recipe])
        ref = statistics.mean(start)
        what = "pretrained-MiniLM" if main_recipe == "minilm_cont" else "random-init"
        print(f"verdict: recipe {main_recipe} probe {acc:.3f} vs {what} {ref:.3f} (delta {acc - ref:+.3f})")

if __name__ == "__main__":
    main()
