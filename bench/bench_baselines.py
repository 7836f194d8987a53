#!/usr/bin/env python3
"""The topic-probe baselines, in the same harness as any checkpoint (docs/evaluation.md, "The topic probe").

  python3 bench/bench_baselines.py [--checkpoint RUN_OR_CKPT ...] [--seeds 42,43,44] [--arch-config configs/smoke.yaml]
                                   [--threads N] [--device auto] [--only random,tfidf,minilm] [--json OUT.json]

Every row is one `jepa_eval` run on the same split (datasets/build/topics, made by datasets/build_topics.sh when
missing) scored by the same probe code (src/eval/probe.hpp: logistic regression on standardised features — TF-IDF
rows are used as they are — and cosine k-NN):
  checkpoint   each --checkpoint: its target encoder's mean-pooled embeddings
  random init  the same architecture at step 0, one row per --seeds value (train.seed) and their mean ± std: the
               first --checkpoint's config when one is given, else --arch-config (default the smoke preset's tiny
               encoder); `jepa_eval --config CONFIG train.seed=S`
  tfidf        word 1-2-gram TF-IDF vectors (min_df 2), not standardised; `jepa_eval --probe-features tfidf`
  minilm       the packaged pretrained all-MiniLM-L6-v2 (launch/models.sh), mean-pooled last layer;
               `jepa_eval --config configs/smoke.yaml model=minilm`
Prints `row linear_acc knn_acc macro_f1 dim seconds`; --json also writes every jepa_eval result.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
EVAL = ROOT / "build/src/tools/jepa_eval"
MINILM = ROOT / "models/all-MiniLM-L6-v2"


def jepa_eval(args, extra):
    cmd = [str(args.eval), "--probe-train", str(args.split / "train.tsv"), "--probe-test", str(args.split / "test.tsv"),
           "--threads", str(args.threads), *extra]
    if "tfidf" not in extra:
        cmd += ["--vocab", str(args.vocab), "--device", args.device]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"bench_baselines: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    res = json.loads(r.stdout)
    res["wall_seconds"] = time.perf_counter() - t
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", action="append", default=[], help="a run or checkpoint dir to score beside the baselines")
    ap.add_argument("--seeds", default="42", help="train.seed values of the random-init rows (comma-separated)")
    ap.add_argument("--arch-config", default="configs/smoke.yaml", help="architecture of the random-init rows without --checkpoint")
    ap.add_argument("--only", default="random,tfidf,minilm", help="baselines to run (comma-separated)")
    ap.add_argument("--split", type=pathlib.Path, default=ROOT / "datasets/build/topics")
    ap.add_argument("--vocab", type=pathlib.Path, default=MINILM / "vocab.txt")
    ap.add_argument("--eval", type=pathlib.Path, default=EVAL, help="jepa_eval binary")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: all cores)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", type=pathlib.Path, help="also write all results there")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if only - {"random", "tfidf", "minilm"}:
        sys.exit(f"bench_baselines: --only takes random, tfidf, minilm; got {args.only}")
    seeds = [int(s) for s in args.seeds.split(",")]
    args.split, args.vocab, args.eval = args.split.resolve(), args.vocab.resolve(), args.eval.resolve()  # jepa_eval runs in ROOT

    if not args.eval.exists():
        sys.exit(f"bench_baselines: {args.eval} not found (cmake --build build --target jepa_eval)")
    if not (args.split / "train.tsv").exists():
        subprocess.run(["bash", str(ROOT / "datasets/build_topics.sh"), "--out", str(args.split)], check=True)
    if not (MINILM / "model.safetensors").exists():
        subprocess.run(["bash", str(ROOT / "launch/models.sh")], check=True)

    rows = []  # (name, result)
    arch_path = pathlib.Path(args.arch_config)
    arch = str(arch_path.resolve() if arch_path.exists() else ROOT / arch_path)
    for c in args.checkpoint:
        res = jepa_eval(args, ["--checkpoint", str(pathlib.Path(c).resolve())])
        rows.append((f"{c} (step {res['step']})", res))
        if c == args.checkpoint[0]:
            arch = str(pathlib.Path(res["checkpoint"]) / "config.yaml")
    if "random" in only:
        for s in seeds:
            rows.append((f"random init (train.seed {s})", jepa_eval(args, ["--config", arch, f"train.seed={s}"])))
    if "tfidf" in only:
        rows.append(("tfidf word 1-2-grams", jepa_eval(args, ["--probe-features", "tfidf"])))
    if "minilm" in only:
        rows.append(("all-MiniLM-L6-v2 (pretrained)",
                     jepa_eval(args, ["--config", str(ROOT / "configs/smoke.yaml"), "model=minilm"])))

    p0 = rows[0][1]["probe"]
    print(f"topic probe: {args.split} ({p0['classes']} classes, train {p0['train_size']}, test {p0['test_size']}, "
          f"chance {p0['chance']:.3f}); logistic regression l2 {p0['l2']}, {p0['iterations']} L-BFGS iterations, "
          f"cosine {p0['knn_k']}-NN; random-init architecture {arch}")
    fmt = "{:<44} {:>15} {:>15} {:>15} {:>6} {:>8}"
    print(fmt.format("row", "linear_acc", "knn_acc", "macro_f1", "dim", "seconds"))
    for name, res in rows:
        p = res["probe"]
        print(fmt.format(name[:44], f"{p['linear_accuracy']:.4f}", f"{p['knn_accuracy']:.4f}", f"{p['macro_f1']:.4f}",
                         p["dim"], f"{res['wall_seconds']:.0f}"))
    rand = [r["probe"] for n, r in rows if n.startswith("random init")]
    if len(rand) > 1:
        ms = lambda k: f"{statistics.mean(p[k] for p in rand):.4f}±{statistics.stdev(p[k] for p in rand):.4f}"
        print(fmt.format(f"random init, mean ± std of {len(rand)} seeds", ms("linear_accuracy"), ms("knn_accuracy"),
                         ms("macro_f1"), rand[0]["dim"], ""))
    if args.json:
        args.json.write_text(json.dumps([{"row": n, **r} for n, r in rows], indent=2) + "\n")


if __name__ == "__main__":
    main()
