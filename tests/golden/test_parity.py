"""Parity: our C++ trainer vs an independent PyTorch reference (reference_jepa.py), same weights and batches.

The C++ driver runs the real Trainer on the shipped corpus and dumps initial weights, each batch (ids, masks), the
first step's clipped gradients and the final weights. The reference loads the same weights, replays the same batches
and must agree: step-0 loss and every gradient within 1e-5, every step's loss within 1e-5, and every context/target/
predictor parameter within 1e-4 after 20 full optimizer steps (warmup + cosine lr, clipping, AdamW, EMA).
fp32 on CPU, dropout 0 (the only randomness the two sides cannot share).
"""
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(__file__))
import golden_util as gu  # noqa: E402
import reference_jepa as ref  # noqa: E402

STEPS = 20
LOSS_TOL, GRAD_TOL, PARAM_TOL = 1e-5, 1e-5, 1e-4


def main():
    torch.set_num_threads(1)
    work = gu.scratch("parity")
    corpus = gu.prepare_corpus(work)
    cfg = dict(dim=64, layers=2, heads=4, ff=256, mult=2, lr=1e-4, wd=0.01, warmup=5, ema=0.95)
    overrides = [f"data.path={corpus}", "data.max_length=48", "train.batch_size=4", f"train.steps={STEPS}",
                 "train.device=cpu", "model.dropout=0.0", f"model.dim={cfg['dim']}", f"model.layers={cfg['layers']}",
                 f"model.heads={cfg['heads']}", f"model.ff_dim={cfg['ff']}", f"model.pred_hidden_mult={cfg['mult']}",
                 f"optim.lr={cfg['lr']}", f"optim.weight_decay={cfg['wd']}", f"optim.warmup_steps={cfg['warmup']}",
                 f"jepa.ema_m={cfg['ema']}", "optim.grad_clip=1.0", f"run.dir={work / 'run'}"]
    dump = work / "dump"
    driver = os.environ.get("JEPA_GOLDEN_parity_dump", str(gu.BUILD / "tests/jepa_golden_parity_dump"))
    subprocess.run([driver, str(dump), str(STEPS), "--config", str(gu.SOURCE / "configs/smoke.yaml"), *overrides],
                   check=True)

    init = load_file(str(dump / "init.safetensors"))
    vocab = init["context_encoder.emb.weight"].shape[0]
    enc = ref.TinyEncoder(vocab, cfg["dim"], cfg["layers"], cfg["heads"], cfg["ff"], dropout=0.0)
    model = ref.Jepa(enc, cfg["dim"], cfg["mult"])
    model.load_state_dict(init, strict=True)
    stepper = ref.Stepper(model, cfg["lr"], cfg["wd"], cfg["warmup"], STEPS, cfg["ema"])
    ours = json.loads((dump / "steps.json").read_text())

    failures = []
    worst_loss = 0.0
    for s in range(STEPS):
        b = load_file(str(dump / f"batch_{s}.safetensors"))
        loss = stepper.step(b["masked_input_ids"], b["input_ids"], b["attention_mask"], b["pred_mask"].bool())
        d = abs(loss - ours[s]["loss"])
        worst_loss = max(worst_loss, d)
        if d > LOSS_TOL:
            failures.append(f"step {s}: loss ours {ours[s]['loss']:.8f} reference {loss:.8f}")
        if abs(ours[s]["lr"] - cfg["lr"] * ref.lr_factor(s, cfg["warmup"], STEPS)) > 1e-12:
            failures.append(f"step {s}: lr differs")
        if s == 0:
            grads = load_file(str(dump / "grads_0.safetensors"))
            named = dict(model.named_parameters())
            worst_grad = 0.0
            for name, g in grads.items():
                rg = named[name].grad
                gd = (rg - g).abs().max().item()
                worst_grad = max(worst_grad, gd)
                if gd > GRAD_TOL:
                    failures.append(f"grad {name}: max abs diff {gd:.3e}")
            missing = {n for n, p in named.items() if p.grad is not None} - set(grads)
            if missing:
                failures.append(f"gradients not dumped: {sorted(missing)[:5]}")
            print(f"step 0: {len(grads)} gradient tensors, max abs diff {worst_grad:.3e}")

    final = load_file(str(dump / "final.safetensors"))
    worst_param, worst_name = 0.0, ""
    for name, p in model.state_dict().items():
        pd = (p - final[name]).abs().max().item()
        if pd > worst_param:
            worst_param, worst_name = pd, name
        if pd > PARAM_TOL:
            failures.append(f"param {name}: max abs diff after {STEPS} steps {pd:.3e}")
    print(f"{STEPS} steps: max loss diff {worst_loss:.3e}, max param diff {worst_param:.3e} ({worst_name}) "
          f"over {len(final)} tensors; final loss ours {ours[-1]['loss']:.6f}")
    if failures:
        print("\n".join(failures[:20]))
        sys.exit(1)
    print("parity OK")


if __name__ == "__main__":
    main()
