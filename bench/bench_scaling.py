#!/usr/bin/env python3
"""Distributed benchmark on CPU, in one invocation, baseline side by side:

  1. weak scaling: tokens/s per rank for 1 rank x 1 thread vs 2 ranks x 1 thread each (same per-rank batch);
     efficiency = per-rank tokens/s at 2 ranks / at 1 rank;
  2. gradient all-reduce overlapped with backward (dist.overlap=true) vs reduced after backward (false), 2 ranks:
     mean step time.

  python3 bench/bench_scaling.py [--steps 40] [--batch 8] [--dim 256] [--layers 4]
"""
import argparse
import pathlib
import shutil
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "golden"))
import golden_util as gu  # noqa: E402


def run(np_, work, name, args, extra):
    run_dir = work / name
    shutil.rmtree(run_dir, ignore_errors=True)
    gu.run_dist(np_, ["--config", str(ROOT / "configs/smoke.yaml"), f"data.path={args.corpus}",
                      f"train.steps={args.steps}", f"train.batch_size={args.batch}", "train.log_every=1",
                      f"train.save_every={args.steps}", "train.threads=1", "train.device=cpu",
                      f"model.dim={args.dim}", f"model.layers={args.layers}", f"run.dir={run_dir}", *extra])
    rows = gu.metrics(run_dir)[args.warmup:]
    secs = sum(r["tokens"] / r["tokens_per_s"] for r in rows)
    return {"tok_s": sum(r["tokens"] for r in rows) / secs,
            "step_s": statistics.median(r["step_time_s"] for r in rows)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    args = p.parse_args()
    work = ROOT / "build" / "bench_scaling"
    work.mkdir(parents=True, exist_ok=True)
    args.corpus = gu.prepare_corpus(work, max_length=512)

    one = run(1, work, "1rank", args, [])
    two = run(2, work, "2rank_overlap", args, ["dist.overlap=true"])
    two_off = run(2, work, "2rank_no_overlap", args, ["dist.overlap=false"])
    print(f"# CPU, {args.steps} steps ({args.warmup} warm-up), batch {args.batch}/rank, dim {args.dim}, "
          f"{args.layers} layers, 1 thread per rank")
    print(f"{'metric':<34} {'ours':>10} {'baseline':>10} {'ratio':>7}")
    per_rank = two["tok_s"] / 2
    print(f"{'tokens/s per rank (2 vs 1 rank)':<34} {per_rank:>10.0f} {one['tok_s']:>10.0f} {per_rank / one['tok_s']:>7.2f}")
    print(f"{'tokens/s total (2 vs 1 rank)':<34} {two['tok_s']:>10.0f} {one['tok_s']:>10.0f} {two['tok_s'] / one['tok_s']:>7.2f}")
    print(f"{'step time s, overlap on vs off':<34} {two['step_s']:>10.4f} {two_off['step_s']:>10.4f} "
          f"{two['step_s'] / two_off['step_s']:>7.2f}")


if __name__ == "__main__":
    main()
