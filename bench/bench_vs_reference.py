#!/usr/bin/env python3
"""Side-by-side throughput: jepa_dist vs the reference algorithm in PyTorch, same architecture, same CPU threads.

  python3 bench/bench_vs_reference.py [--model tiny|distilbert ...] [--procs 1|2 ...] [--runs 3] [--steps 60]
                                      [--warmup 5] [--threads 2] [--batch 8] [--max-length 128] [--group-by-length]

Full suite: `--model tiny distilbert --procs 1 2`, then the same with --group-by-length.

Each (model, procs) is one row; the last line is `ratio X.XX` of the first row (ours / reference real tokens/s).
  --model       tiny: configs/smoke.yaml (4 layers, dim 256). distilbert: the same with model=distilbert_base (the
                DistilBERT-base architecture, random init); the reference uses transformers' DistilBertModel.
  --procs       1: one process each. N: ours under mpirun -np N; the reference under torchrun + DDP (gloo), each rank
                taking its slice of every global batch (bench/reference_ddp.py). --threads is the total (threads/N a
                process), --batch is per process.
  --runs        runs per row, alternating ours / reference; the table gives median (min-max), and every run's values
                go to build/bench/vs_reference_<model>_<procs>p[_grouped].json.
  --steps, --warmup  steps per run and how many of them are not timed.
  --group-by-length  ours with data.group_by_length=true (less padding, another batch order; the reference keeps its
                own order).
  --override KEY=V   extra config override for ours (repeatable), e.g. jepa.target_eval=false (the reference's
                target in train mode).

Both train on datasets/shipped.txt with smoke.yaml's optimiser and masking. The reference is
tests/golden/reference_jepa.py driven the way the reference script drives itself: HF tokenizer + Python span masks per
batch (its whole data path is timed, as ours is). Tokens/s counts real (non-pad) tokens summed over processes.

Also measured: a GEMM peak (torch.mm fp32 at --threads threads, best of square 1024/1536/2048) and each side's model
FLOPs utilisation against it (formula printed), and one more run of ours with train.profile=true for the share of
step time per phase (printed as n/a while the binary does not have it).
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "golden"))
import golden_util as gu  # noqa: E402
from reference_ddp import SMOKE, MODEL_FILES, arch  # noqa: E402

PHASES = ["data", "setup", "forward", "backward", "allreduce", "clip", "optimizer", "ema"]
FLOPS_FORMULA = ("model FLOPs = (6 N_ctx + 2 N_tgt) x padded + 6 N_pred x masked + 4 L d layers x (3 + 1) x padded "
                 "(attention scores, L = mean padded length); N = non-embedding params (embedding = token + position)")


class OursFailed(Exception):
    pass


def run_ours(args, model, procs, corpus, run_dir, extra=()):
    shutil.rmtree(run_dir, ignore_errors=True)
    cfg = ["--config", str(ROOT / "configs/smoke.yaml"), f"model={MODEL_FILES[model]}", f"data.path={corpus}",
           f"train.steps={args.steps}", f"train.batch_size={args.batch}", f"data.max_length={args.max_length}",
           f"train.threads={args.threads // procs}", "train.log_every=1", f"train.save_every={args.steps}",
           "train.device=cpu", f"run.dir={run_dir}", f"data.group_by_length={str(args.group_by_length).lower()}",
           *args.override, *extra]
    r = subprocess.run(gu.dist_cmd(procs, cfg), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise OursFailed(r.stderr.strip()[-2000:])
    rows = gu.metrics(run_dir)[args.warmup:]
    out = {"tokens": sum(r["tokens"] for r in rows), "seconds": sum(r["tokens"] / r["tokens_per_s"] for r in rows),
           "steps": len(rows), "rows": rows}
    out["tok_s"] = out["tokens"] / out["seconds"]
    # Not in metrics.jsonl: masked positions ~ mask_ratio x real tokens (target = round(n x ratio) a sequence).
    out["masked_tokens"] = SMOKE["mask_ratio"] * out["tokens"]
    out["padded_tokens"] = sum(r["padded_tokens"] for r in rows) if all("padded_tokens" in r for r in rows) else None
    return out


def run_reference(args, model, procs):
    worker = [str(ROOT / "bench/reference_ddp.py"), "--model", model, "--steps", str(args.steps), "--warmup",
              str(args.warmup), "--threads", str(args.threads // procs), "--batch", str(args.batch), "--max-length",
              str(args.max_length)]
    launch = [sys.executable] if procs == 1 else [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                                  "--nproc_per_node", str(procs)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads // procs))
    r = subprocess.run(launch + worker, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"reference ({procs} process(es)) failed with {r.returncode}:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def gemm_peak(threads):
    """Best torch.mm fp32 GFLOP/s over square sizes and repeats, at `threads` threads."""
    import torch
    torch.set_num_threads(threads)
    best = 0.0
    for n in (1024, 1536, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)
        for _ in range(3):
            t = time.perf_counter()
            torch.mm(a, b)
            best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


def param_counts(model):
    """Non-embedding parameters of one encoder and the predictor's parameters, from the architecture."""
    a = arch(model)
    d, ff = a["dim"], a["ff_dim"]
    layer = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d  # q,k,v,out + 2 FF linears + 2 LayerNorms
    encoder = a["layers"] * layer + (2 * d if model == "distilbert" else 0)  # DistilBERT: embedding LayerNorm
    m = a["pred_hidden_mult"]
    return encoder, 2 * d * d * m + d * m + d


def mfu(model, run, global_batch, peak):
    """Model FLOPs of the timed steps / their seconds / peak, or None without padded_tokens."""
    if run.get("padded_tokens") is None:
        return None
    a, (n_enc, n_pred) = arch(model), param_counts(model)
    mean_len = run["padded_tokens"] / (run["steps"] * global_batch)
    attention = 4 * mean_len * a["dim"] * a["layers"] * (3 + 1)
    flops = (6 * n_enc + 2 * n_enc + attention) * run["padded_tokens"] + 6 * n_pred * run["masked_tokens"]
    return flops / run["seconds"] / (peak * 1e9)


def profile(args, model, procs, corpus, work):
    """Share of step time per phase from one run with train.profile=true, or why there is none."""
    try:
        rows = run_ours(args, model, procs, corpus, work / "ours_profile", ["train.profile=true"])["rows"]
    except OursFailed as e:  # e.g. a binary without train.profile: its config error (not mpirun's banner)
        return "n/a (" + next((l for l in e.args[0].splitlines() if "error" in l), "jepa_dist failed") + ")"
    if not all("time_step" in r and any(f"time_{k}" in r for k in PHASES) for r in rows):
        return "n/a (metrics.jsonl has no time_* fields)"
    mean = {k: statistics.fmean(r.get(f"time_{k}", 0.0) for r in rows) for k in PHASES + ["step"]}  # absent: 0 s
    shares = {k: mean[k] / mean["step"] for k in PHASES}
    shares["other"] = 1.0 - sum(shares.values())
    return {"time_step": mean["step"], "share": shares}


def spread(values, fmt):
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", nargs="+", choices=sorted(MODEL_FILES), default=["tiny"])
    p.add_argument("--procs", nargs="+", type=int, default=[1])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="in total, over all processes")
    p.add_argument("--batch", type=int, default=8, help="per process")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--group-by-length", action="store_true", help="our data.group_by_length=true")
    p.add_argument("--override", action="append", default=[], metavar="KEY=V", help="extra config override for ours")
    args = p.parse_args()
    if any(n < 1 or args.threads % n for n in args.procs):
        p.error("--threads must be a multiple of every --procs")
    work = ROOT / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    corpus = gu.prepare_corpus(work, max_length=512)
    peak = gemm_peak(args.threads)
    grouping = "grouped" if args.group_by_length else "off"

    table = []
    for model in args.model:
        for procs in args.procs:
            ours, ref = [], []
            for _ in range(args.runs):
                try:
                    ours.append(run_ours(args, model, procs, corpus, work / "ours"))
                except OursFailed as e:
                    sys.exit(f"jepa_dist ({procs} process(es)) failed:\n{e}")
                ref.append(run_reference(args, model, procs))
            for run in ours + ref:
                run["mfu"] = mfu(model, run, procs * args.batch, peak)
            prof = profile(args, model, procs, corpus, work)
            row = {"model": model, "procs": procs, "grouping": grouping, "args": vars(args), "gemm_peak_gflops": peak,
                   "params": dict(zip(("encoder_non_embedding", "predictor"), param_counts(model))),
                   "ours": [{k: v for k, v in r.items() if k != "rows"} for r in ours], "reference": ref,
                   "ratio": [o["tok_s"] / r["tok_s"] for o, r in zip(ours, ref)], "profile": prof}
            name = f"vs_reference_{model}_{procs}p" + ("_grouped" if args.group_by_length else "") + ".json"
            (work / name).write_text(json.dumps(row, indent=1))
            table.append(row)

    print(f"# {args.runs} runs a row, {args.steps} steps ({args.warmup} warm-up), batch {args.batch} a process, "
          f"max_length {args.max_length}, {args.threads} CPU threads in all"
          + "".join(f", ours {o}" for o in args.override))
    print(f"# GEMM peak: torch.mm fp32, {args.threads} threads: {peak:.1f} GFLOP/s (best of 1024/1536/2048, 3 repeats)")
    print(f"# MFU = model FLOPs / seconds / peak; {FLOPS_FORMULA}; masked: counted (reference), "
          f"{SMOKE['mask_ratio']} x real tokens (ours)")
    print(f"{'model':<11}{'procs':>5} {'grouping':<9}{'ours tok/s':>22}{'reference tok/s':>22}{'ratio':>19}"
          f"{'MFU ours':>10}{'MFU ref':>9}")
    for row in table:
        def mfu_text(side):
            vals = [r["mfu"] for r in row[side]]
            return "n/a" if None in vals else f"{100 * statistics.median(vals):.1f}%"
        print(f"{row['model']:<11}{row['procs']:>5} {row['grouping']:<9}"
              f"{spread([r['tok_s'] for r in row['ours']], '{:.0f}'):>22}"
              f"{spread([r['tok_s'] for r in row['reference']], '{:.0f}'):>22}"
              f"{spread(row['ratio'], '{:.2f}'):>19}{mfu_text('ours'):>10}{mfu_text('reference'):>9}")
    for row in table:
        prof, label = row["profile"], f"profile {row['model']} {row['procs']}p {row['grouping']}:"
        if isinstance(prof, str):
            print(label, prof)
        else:
            print(label, " | ".join(f"{k} {100 * v:.0f}%" for k, v in prof["share"].items()),
                  f"(step {prof['time_step']:.3f} s)")
    first = table[0]
    ours_med = statistics.median(r["tok_s"] for r in first["ours"])
    ref_med = statistics.median(r["tok_s"] for r in first["reference"])
    print(f"{'metric':<12} {'ours':>10} {'reference':>10} {'ratio':>7}")
    print(f"{'tokens/s':<12} {ours_med:>10.0f} {ref_med:>10.0f} {statistics.median(first['ratio']):>7.2f}")
    print(f"ratio {statistics.median(first['ratio']):.2f}")


if __name__ == "__main__":
    main()
