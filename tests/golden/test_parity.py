"""Parity: our C++ trainer vs an independent PyTorch reference (reference_jepa.py), same weights and batches.

The C++ driver runs the real Trainer on the shipped corpus and dumps initial weights, each batch (ids, masks), the
first step's clipped gradients and the final weights. The reference loads the same weights, replays the same batches
and must agree: step-0 loss and every gradient within 1e-5, every step's loss within 1e-5, and every context/target/
predictor parameter within 1e-4 after 20 full optimizer steps (warmup + cosine lr, clipping, AdamW, EMA).
fp32 on CPU. Dropout is 0 except in the `dropout` case: there the driver dumps the CPU generator state each step
starts from, the reference starts each step from the same state, and because our encoder lays tensors out in memory
as nn.TransformerEncoderLayer does (dropout draws its mask in memory order), both sides draw the same dropout masks,
with the target encoder in train mode as in the reference script.

Cases: the reference settings, and the anti-collapse options (design.md §1.4) against their independent PyTorch
versions in reference_jepa.py: data2vec targets (top-2 layers, instance norm over real tokens via torch's
instance_norm) with MSE and the cosine EMA schedule; top-2 layer-normalised targets with smooth-L1 and the linear
schedule; model.init=shared (every layer starts as a copy of the first, as nn.TransformerEncoder's deep copy);
VICReg variance + covariance terms on the masked predictions (torch.cov) with MSE and a 10x predictor lr
(optim.predictor_lr_mult, a second AdamW param group); the reference settings at the smoke preset's own size
(4 layers, dim 256, ff 2048) for 60 steps; dropout 0.1 in the encoders with the target encoder in
train mode (jepa.target_eval=false), the reference script's own setting.
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


CASES = {
    "reference": dict(),
    "data2vec_mse_cosine_ema": dict(target_layers=2, target_norm="instance", loss="mse", ema_schedule="cosine",
                                    ema=0.9),
    "layernorm_smooth_l1_linear_ema": dict(target_layers=2, target_norm="layer", loss="smooth_l1",
                                           ema_schedule="linear"),
    "shared_init": dict(init="shared"),
    "vicreg_mse_predictor_lr": dict(loss="mse", vc_weight=0.5, var_target=1.0, pred_lr_mult=10.0),
    # the smoke preset's own size (configs/smoke.yaml: 4 layers, dim 256, ff 2048) over 60 steps
    # Adam turns float-rounding differences of near-zero gradients into parameter differences of order lr per step,
    # so 60 steps get a looser parameter bound (measured 9.0e-5; losses stay within 1e-5, measured 3.0e-6).
    "smoke_size_60_steps": dict(dim=256, layers=4, heads=4, ff=2048, steps=60, param_tol=5e-4),
    # the reference script's noise: dropout in both encoders (target in train mode). Predictor dropout stays 0: we
    # run the predictor on the masked rows only (design.md §1.4), so its dropout draws another stream.
    "dropout": dict(dropout=0.1, target_eval=False),
}


def run_case(case, opts, corpus, work):
    cfg = dict(dim=64, layers=2, heads=4, ff=256, mult=2, lr=1e-4, wd=0.01, warmup=5, ema=0.95, target_layers=1,
               target_norm="none", loss="cosine", ema_schedule="constant", init="independent", vc_weight=0.0,
               var_target=1.0, pred_lr_mult=1.0, steps=STEPS, param_tol=PARAM_TOL, dropout=0.0, pred_dropout=0.0,
               target_eval=True)
    cfg.update(opts)
    steps = cfg["steps"]
    overrides = [f"data.path={corpus}", "data.max_length=48", "train.batch_size=4", f"train.steps={steps}",
                 "train.device=cpu", f"model.dropout={cfg['dropout']}",
                 f"model.pred_dropout={cfg['pred_dropout']}", f"jepa.target_eval={str(cfg['target_eval']).lower()}", f"model.dim={cfg['dim']}", f"model.layers={cfg['layers']}",
                 f"model.heads={cfg['heads']}", f"model.ff_dim={cfg['ff']}", f"model.pred_hidden_mult={cfg['mult']}",
                 f"optim.lr={cfg['lr']}", f"optim.weight_decay={cfg['wd']}", f"optim.warmup_steps={cfg['warmup']}",
                 f"jepa.ema_m={cfg['ema']}", "optim.grad_clip=1.0", f"run.dir={work / 'run'}",
                 f"jepa.target_layers={cfg['target_layers']}", f"jepa.target_norm={cfg['target_norm']}",
                 f"jepa.loss={cfg['loss']}", f"jepa.ema_schedule={cfg['ema_schedule']}", f"model.init={cfg['init']}",
                 f"jepa.vc_weight={cfg['vc_weight']}", f"jepa.var_target={cfg['var_target']}",
                 f"optim.predictor_lr_mult={cfg['pred_lr_mult']}"]
    dump = work / "dump"
    driver = os.environ.get("JEPA_GOLDEN_parity_dump", str(gu.BUILD / "tests/jepa_golden_parity_dump"))
    subprocess.run([driver, str(dump), str(steps), "--config", str(gu.SOURCE / "configs/smoke.yaml"), *overrides],
                   check=True)

    init = load_file(str(dump / "init.safetensors"))
    vocab = init["context_encoder.emb.weight"].shape[0]
    enc = ref.TinyEncoder(vocab, cfg["dim"], cfg["layers"], cfg["heads"], cfg["ff"], dropout=cfg["dropout"])
    model = ref.Jepa(enc, cfg["dim"], cfg["mult"], target_layers=cfg["target_layers"], target_norm=cfg["target_norm"],
                     loss=cfg["loss"], vc_weight=cfg["vc_weight"], var_target=cfg["var_target"],
                     target_train_mode=not cfg["target_eval"], pred_dropout=cfg["pred_dropout"])
    model.load_state_dict(init, strict=True)
    stepper = ref.Stepper(model, cfg["lr"], cfg["wd"], cfg["warmup"], steps, cfg["ema"],
                          ema_schedule=cfg["ema_schedule"], pred_lr_mult=cfg["pred_lr_mult"])
    ours = json.loads((dump / "steps.json").read_text())

    failures = []
    if cfg["init"] == "shared":  # the reference's deep copy: every layer equal to the first, in both encoders
        for enc_name in ("context_encoder", "target_encoder"):
            for key in [k for k in init if k.startswith(f"{enc_name}.enc.layers.0.")]:
                for layer in range(1, cfg["layers"]):
                    other = key.replace(".layers.0.", f".layers.{layer}.")
                    if not torch.equal(init[key], init[other]):
                        failures.append(f"model.init=shared: {other} differs from {key}")
    else:
        a, b = init["context_encoder.enc.layers.0.linear1.weight"], init["context_encoder.enc.layers.1.linear1.weight"]
        if torch.equal(a, b):
            failures.append("model.init=independent: layers 0 and 1 start identical")
    if cfg["dropout"] > 0:  # the case means something only if other dropout masks give another loss
        b0 = load_file(str(dump / "batch_0.safetensors"))
        torch.manual_seed(12345)
        model.train()
        other = model.loss(b0["masked_input_ids"], b0["input_ids"], b0["attention_mask"], b0["pred_mask"].bool())
        print(f"[{case}] step 0 loss with other dropout masks {other.item():.6f}, ours {ours[0]['loss']:.6f}")
        if abs(other.item() - ours[0]["loss"]) < 1e-4:
            failures.append("dropout: another generator state gives the same loss; dropout is not exercised")
        model.zero_grad(set_to_none=True)
    worst_loss = 0.0
    for s in range(steps):
        b = load_file(str(dump / f"batch_{s}.safetensors"))
        torch.set_rng_state(b["rng_state"])  # dropout's generator, as our step started
        loss = stepper.step(b["masked_input_ids"], b["input_ids"], b["attention_mask"], b["pred_mask"].bool())
        d = abs(loss - ours[s]["loss"])
        worst_loss = max(worst_loss, d)
        if d > LOSS_TOL:
            failures.append(f"step {s}: loss ours {ours[s]['loss']:.8f} reference {loss:.8f}")
        if abs(ours[s]["lr"] - cfg["lr"] * ref.lr_factor(s, cfg["warmup"], steps)) > 1e-12:
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
            print(f"[{case}] step 0: {len(grads)} gradient tensors, max abs diff {worst_grad:.3e}")

    final = load_file(str(dump / "final.safetensors"))
    worst_param, worst_name = 0.0, ""
    for name, p in model.state_dict().items():
        pd = (p - final[name]).abs().max().item()
        if pd > worst_param:
            worst_param, worst_name = pd, name
        if pd > cfg["param_tol"]:
            failures.append(f"param {name}: max abs diff after {steps} steps {pd:.3e}")
    print(f"[{case}] {steps} steps: max loss diff {worst_loss:.3e}, max param diff {worst_param:.3e} ({worst_name}) "
          f"over {len(final)} tensors; final loss ours {ours[-1]['loss']:.6f}")
    return [f"[{case}] {f}" for f in failures]


def main():
    torch.set_num_threads(1)
    work = gu.scratch("parity")
    corpus = gu.prepare_corpus(work)
    failures = []
    for name, opts in CASES.items():
        case_dir = work / name
        case_dir.mkdir()
        failures += run_case(name, opts, corpus, case_dir)
    if failures:
        print("\n".join(failures[:30]))
        sys.exit(1)
    print("parity OK")


if __name__ == "__main__":
    main()
