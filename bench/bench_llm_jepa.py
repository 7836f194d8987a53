#!/usr/bin/env python3
"""LLM-JEPA vs next-token-only on the generated NL -> regex task (docs/llm_jepa.md, design.md §9).

  python3 bench/bench_llm_jepa.py [--seeds 1 2 3 4 5] [--steps 600] [--train 2000] [--test 400] [--lambda 1.0]
                                  [--pred-tokens 1] [--arm NAME:K=V,K=V ...] [--overhead-steps 60] [--threads 2]
                                  [--skip-overhead] [--only-arms] [--out build/bench/llm_jepa]

Makes the data once (jepa_regex_gen: train/test split by regex; jepa_prep --paired: byte-level BPE + chat examples),
then for every seed trains configs/recipe/llm_jepa_regex.yaml twice with the same steps, data order and init:
  ntp       jepa.lambda=0 (next-token loss only: the baseline)
  llm_jepa  jepa.lambda=--lambda, jepa.pred_tokens=--pred-tokens (packed 2-row forward)
(plus any --arm: LLM-JEPA with more overrides) and scores each final checkpoint with jepa_eval --task regex (greedy decoding: exact-match and semantic accuracy,
the spectrum of Enc(text) - Enc(code)). Then the compute overhead per step, from train.profile'd short runs of one
seed: ntp, 3-row, packed 2-row, packed + loss dropout 0.5. Prints a Markdown table of mean ± std over the seeds
(sample std) and the per-seed rows; writes everything as JSON under --out.
"""
import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "golden"))
import golden_util as gu  # noqa: E402

GEN = str(gu.BUILD / "src/tools/jepa_regex_gen")
EVAL = str(gu.BUILD / "src/tools/jepa_eval")
RECIPE = str(ROOT / "configs/recipe/llm_jepa_regex.yaml")


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr.strip()[-2000:]}")
    return r.stdout


def train(args, corpus, run_dir, seed, steps, overrides, profile=False):
    shutil.rmtree(run_dir, ignore_errors=True)
    t0 = time.time()
    sh([gu.DIST, "--config", RECIPE, f"data.path={corpus}", f"train.steps={steps}", f"train.seed={seed}",
        f"train.save_every={steps}", f"train.threads={args.threads}", "train.device=cpu",
        f"train.log_every={args.log_every if not profile else 10}", f"run.dir={run_dir}",
        *(["train.profile=true"] if profile else []), *overrides])
    return time.time() - t0


def evaluate(run_dir, test):
    return json.loads(sh([EVAL, "--task", "regex", "--checkpoint", str(run_dir), "--test", str(test), "--threads", "2"]))


def mean_std(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--test", type=int, default=400)
    ap.add_argument("--data-seed", type=int, default=0)
    ap.add_argument("--lambda", dest="lam", type=float, default=1.0)
    ap.add_argument("--pred-tokens", type=int, default=1)
    ap.add_argument("--overhead-steps", type=int, default=60)
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--only-arms", action="store_true", help="train only the --arm arms, not ntp and llm_jepa (runs are "
                                                             "deterministic: those rows of another invocation stand)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--set", action="append", default=[], help="override for every run (repeatable)")
    ap.add_argument("--arm", action="append", default=[], metavar="NAME:K=V,K=V",
                    help="another trained arm beside ntp and llm_jepa, e.g. infonce:jepa.distance=infonce (repeatable)")
    ap.add_argument("--out", default=str(gu.BUILD / "bench" / "llm_jepa"))
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.time()

    data = out / "data"
    sh([GEN, "--out", str(data), "--train", str(args.train), "--test", str(args.test), "--seed", str(args.data_seed)])
    corpus = out / "train.h5"
    print(sh([gu.PREP, "--paired", "--input", str(data / "train.jsonl"), "--output", str(corpus), "--max-length", "128",
              "--bpe-vocab-size", "512"]).strip())

    arms = {"ntp": ["jepa.lambda=0"],
            "llm_jepa": [f"jepa.lambda={args.lam}", f"jepa.pred_tokens={args.pred_tokens}"]}
    if args.only_arms:
        arms.clear()
    for spec in args.arm:
        name, _, keys = spec.partition(":")
        arms[name] = [f"jepa.lambda={args.lam}", f"jepa.pred_tokens={args.pred_tokens}", *keys.split(",")]
    results = {a: [] for a in arms}
    for seed in args.seeds:
        for arm, ov in arms.items():
            run_dir = out / f"{arm}_s{seed}"
            secs = train(args, corpus, run_dir, seed, args.steps, ov + args.set)
            ev = evaluate(run_dir, data / "test.jsonl")
            last = gu.metrics(run_dir)[-1]
            row = {"seed": seed, "train_s": secs, "exact": ev["exact_match"], "semantic": ev["semantic_match"],
                   "unparsable": ev["unparsable"], "sv_top1": ev["diff_singular_values_top10"][0],
                   "sv_sum": ev["diff_singular_values_sum"], "view_cos": ev["view_cosine_mean"],
                   "ntp_loss": last.get("loss/ntp", last["loss"])}
            results[arm].append(row)
            print(f"{arm:9s} seed {seed}: exact {row['exact']:.3f} semantic {row['semantic']:.3f} "
                  f"unparsable {row['unparsable']:.3f} | final ntp loss {row['ntp_loss']:.4f} | "
                  f"σ1(Enc(text)-Enc(code)) {row['sv_top1']:.3f} | {secs:.0f} s", flush=True)

    overhead = {}
    variants = {"ntp (1 row)": ["jepa.lambda=0"],
                "llm_jepa 3-row": [f"jepa.lambda={args.lam}", f"jepa.pred_tokens={args.pred_tokens}", "jepa.packed=false"],
                "llm_jepa packed 2-row": [f"jepa.lambda={args.lam}", f"jepa.pred_tokens={args.pred_tokens}"],
                "llm_jepa packed + loss_dropout 0.5": [f"jepa.lambda={args.lam}", f"jepa.pred_tokens={args.pred_tokens}",
                                                       "jepa.loss_dropout=0.5"]}
    for name, ov in (variants.items() if not args.skip_overhead else []):
        run_dir = out / ("overhead_" + name.replace(" ", "_").replace(".", ""))
        train(args, corpus, run_dir, args.seeds[0], args.overhead_steps, ov + args.set, profile=True)
        rows = gu.metrics(run_dir)[1:]  # the first window holds warm-up
        overhead[name] = statistics.mean(r["step_time_s"] for r in rows)

    print()
    print(f"| arm | exact match | semantic match | unparsable | final NTP loss | σ1 of Enc(text)−Enc(code) |")
    print("|---|---|---|---|---|---|")
    for arm, rows in results.items():
        cells = []
        for key in ("exact", "semantic", "unparsable", "ntp_loss", "sv_top1"):
            m, s = mean_std([r[key] for r in rows])
            cells.append(f"{m:.3f} ± {s:.3f}")
        print(f"| {arm} ({' '.join(arms[arm])}) | " + " | ".join(cells) + " |")
    if overhead:
        print()
        print("| forward layout | s/step | × NTP-only |")
        print("|---|---|---|")
        base = overhead["ntp (1 row)"]
        for name, t in overhead.items():
            print(f"| {name} | {t:.4f} | {t / base:.2f} |")
    total = time.time() - t_start
    print(f"\nseeds {args.seeds}, {args.steps} steps, {args.train} train / {args.test} test pairs, "
          f"{args.threads} threads, total {total / 60:.1f} min")
    (out / "results.json").write_text(json.dumps({"args": vars(args), "results": results, "overhead_s_per_step": overhead,
                                                  "total_s": total}, indent=2))


if __name__ == "__main__":
    main()
