#!/usr/bin/env python3
"""One change measured on its own: jepa_dist with config A vs config B, same binary, runs alternating A/B.

  python3 bench/bench_ab.py --a dist.sparse_embedding=true --b dist.sparse_embedding=false [--procs 2]
                            [--model tiny|distilbert] [--runs 3] [--steps 60] [--warmup 5] [--threads 2]
                            [--batch 8] [--max-length 128] [--set KEY=V ...]

--a / --b take config overrides (repeat the flag for several); --set applies to both. Both train the smoke preset
(model=distilbert_base for --model distilbert) on the shipped corpus; --threads is the total over --procs processes.
With train.profile=true in both (--profile) the mean seconds per step of each phase are printed too.
Prints real tokens/s of A and B (median, min-max) and the ratio A/B (median of the per-run ratios); last line
`ratio X.XX`.
"""
import argparse
import pathlib
import shutil
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "golden"))
import golden_util as gu  # noqa: E402

PHASES = ["data", "setup", "forward", "backward", "allreduce", "clip", "optimizer", "ema"]


def run(args, overrides, corpus, run_dir):
    shutil.rmtree(run_dir, ignore_errors=True)
    model = ["model=distilbert_base"] if args.model == "distilbert" else []
    gu.run_dist(args.procs, ["--config", str(ROOT / "configs/smoke.yaml"), *model, f"data.path={corpus}",
                             f"train.steps={args.steps}", f"train.batch_size={args.batch}",
                             f"data.max_length={args.max_length}", f"train.threads={args.threads // args.procs}",
                             "train.log_every=1", f"train.save_every={args.steps}", "train.device=cpu",
                             f"run.dir={run_dir}", *(["train.profile=true"] if args.profile else []), *args.set,
                             *overrides])
    rows = gu.metrics(run_dir)[args.warmup:]
    seconds = sum(r["tokens"] / r["tokens_per_s"] for r in rows)
    out = {"tok_s": sum(r["tokens"] for r in rows) / seconds}
    for p in PHASES:
        if all(f"time_{p}" in r for r in rows):
            out[p] = statistics.fmean(r[f"time_{p}"] for r in rows)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", action="append", default=[], metavar="KEY=V")
    p.add_argument("--b", action="append", default=[], metavar="KEY=V")
    p.add_argument("--set", action="append", default=[], metavar="KEY=V")
    p.add_argument("--model", choices=["tiny", "distilbert"], default="tiny")
    p.add_argument("--procs", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--profile", action="store_true", help="train.profile=true in both: seconds per phase")
    args = p.parse_args()
    work = ROOT / "build" / "bench_ab"
    work.mkdir(parents=True, exist_ok=True)
    corpus = gu.prepare_corpus(work, max_length=512)
    a, b = [], []
    for _ in range(args.runs):
        a.append(run(args, args.a, corpus, work / "a"))
        b.append(run(args, args.b, corpus, work / "b"))

    def spread(vals, fmt="{:.0f}"):
        return f"{fmt.format(statistics.median(vals))} ({fmt.format(min(vals))}-{fmt.format(max(vals))})"

    print(f"# {args.model}, {args.procs} process(es), {args.threads} threads in all, batch {args.batch} a process, "
          f"{args.steps} steps ({args.warmup} warm-up), {args.runs} runs alternating A/B"
          + (f"; both: {' '.join(args.set)}" if args.set else ""))
    print(f"A: {' '.join(args.a) or '(defaults)'}\nB: {' '.join(args.b) or '(defaults)'}")
    print(f"{'':<10}{'A':>22}{'B':>22}")
    print(f"{'tokens/s':<10}{spread([r['tok_s'] for r in a]):>22}{spread([r['tok_s'] for r in b]):>22}")
    for ph in PHASES:
        if all(ph in r for r in a + b):
            print(f"{ph + ' ms':<10}{spread([1e3 * r[ph] for r in a], '{:.1f}'):>22}"
                  f"{spread([1e3 * r[ph] for r in b], '{:.1f}'):>22}")
    ratios = [x["tok_s"] / y["tok_s"] for x, y in zip(a, b)]
    print(f"ratio {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
