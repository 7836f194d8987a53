"""Independent PyTorch reference of the JEPA training step (design.md §1), written for our golden tests and benchmarks.

It follows the reference semantics directly in PyTorch: nn.TransformerEncoder for the tiny encoder, an MLP predictor,
masked cosine loss, warmup+cosine lr, grad-norm clipping, AdamW, EMA. Nothing here imports jepa_dist code.
"""
import copy
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyEncoder(nn.Module):
    def __init__(self, vocab_size, dim=256, layers=4, heads=4, ff_dim=2048, dropout=0.1, max_positions=512):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(max_positions, dim)
        layer = nn.TransformerEncoderLayer(d_model=dim, nhead=heads, dim_feedforward=ff_dim, dropout=dropout,
                                           batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)

    def forward(self, input_ids, attention_mask):
        L = input_ids.shape[1]
        pos = torch.arange(L, device=input_ids.device).unsqueeze(0)
        x = self.emb(input_ids) + self.pos(pos)
        return self.enc(x, src_key_padding_mask=attention_mask == 0)

    def layer_outputs(self, input_ids, attention_mask):
        """Every layer's output, first layer first (the last equals forward())."""
        L = input_ids.shape[1]
        x = self.emb(input_ids) + self.pos(torch.arange(L, device=input_ids.device).unsqueeze(0))
        outs = []
        for layer in self.enc.layers:
            x = layer(x, src_key_padding_mask=attention_mask == 0)
            outs.append(x)
        return outs


def normalize_layer(h, attn, norm):
    """data2vec-style per-layer target normalisation. `instance` runs torch's instance_norm on each sequence's real
    positions only (padding excluded)."""
    h = h.float()
    if norm == "none":
        return h
    if norm == "layer":
        return F.layer_norm(h, (h.shape[-1],), eps=1e-5)
    out = h.clone()
    for b in range(h.shape[0]):
        n = int(attn[b].sum())
        out[b, :n] = F.instance_norm(h[b:b + 1, :n].transpose(1, 2), eps=1e-5).transpose(1, 2)[0]
    return out


def distance(p, t, loss):
    """Per-position distance between predictions and targets [N, D] -> [N]."""
    if loss == "cosine":
        return 1.0 - (F.normalize(p, dim=-1) * F.normalize(t, dim=-1)).sum(-1)
    if loss == "mse":
        return F.mse_loss(p, t, reduction="none").mean(-1)
    return F.smooth_l1_loss(p, t, reduction="none", beta=1.0).mean(-1)


def vicreg_terms(x, var_target):
    """VICReg's variance hinge and covariance penalty of the rows of x [n, D] (Bardes et al. 2022), written directly
    from the paper's definitions with torch.cov."""
    if x.shape[0] < 2:
        return x.sum() * 0.0, x.sum() * 0.0
    cov = torch.cov(x.T)  # unbiased, rows are observations
    std = torch.sqrt(torch.diagonal(cov) + 1e-4)
    off = cov - torch.diag(torch.diagonal(cov))
    return F.relu(var_target - std).mean(), off.pow(2).sum() / x.shape[1]


class Predictor(nn.Module):
    def __init__(self, dim, mult, dropout=0.0):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim * mult), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim * mult, dim))

    def forward(self, x):
        return self.net(x)


class Jepa(nn.Module):
    def __init__(self, encoder, dim, pred_mult, target_train_mode=True, target_layers=1, target_norm="none",
                 loss="cosine", vc_weight=0.0, var_target=1.0, pred_dropout=0.0):
        super().__init__()
        self.target_layers, self.target_norm, self.loss_kind = target_layers, target_norm, loss
        self.vc_weight, self.var_target = vc_weight, var_target
        self.context_encoder = encoder
        self.target_encoder = copy.deepcopy(encoder)
        self.predictor = Predictor(dim, pred_mult, pred_dropout)
        self.target_train_mode = target_train_mode
        for p in self.target_encoder.parameters():
            p.requires_grad_(False)

    def loss(self, masked_ids, ids, attn, pred_mask):
        pred = self.predictor(self.context_encoder(masked_ids, attn))
        self.target_encoder.train(self.training and self.target_train_mode)
        with torch.no_grad():
            if self.target_layers == 1 and self.target_norm == "none":
                tgt = self.target_encoder(ids, attn)
            else:
                top = self.target_encoder.layer_outputs(ids, attn)[-self.target_layers:]
                tgt = sum(normalize_layer(h, attn, self.target_norm) for h in top) / self.target_layers
        sel_p, sel_t = pred[pred_mask], tgt[pred_mask]
        if sel_p.numel() == 0:
            return pred.sum() * 0.0
        loss = distance(sel_p, sel_t, self.loss_kind).mean()
        if self.vc_weight > 0:
            var, cov = vicreg_terms(sel_p, self.var_target)
            loss = loss + self.vc_weight * (var + cov)
        return loss

    @torch.no_grad()
    def ema(self, m):
        for pc, pt in zip(self.context_encoder.parameters(), self.target_encoder.parameters()):
            pt.mul_(m).add_(pc, alpha=1.0 - m)


def ema_momentum(step, steps, m0, schedule="constant", m_end=1.0):
    """Constant (reference), linear (I-JEPA) or cosine (BYOL) EMA momentum after optimizer step `step`."""
    if schedule == "linear":
        return m0 + (m_end - m0) * step / max(1, steps)
    if schedule == "cosine":
        return m_end - (m_end - m0) * (1.0 + math.cos(math.pi * step / max(1, steps))) / 2.0
    return m0


def lr_factor(step, warmup, steps):
    if step < warmup:
        return (step + 1) / max(1, warmup)
    progress = min(max((step - warmup) / max(1, steps - warmup), 0.0), 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class Stepper:
    """One reference optimizer step: lr -> forward -> zero_grad -> backward -> clip -> AdamW -> EMA."""

    def __init__(self, model, lr, weight_decay, warmup, steps, ema_m, grad_clip=1.0, ema_schedule="constant",
                 pred_lr_mult=1.0):
        self.model, self.lr, self.warmup, self.steps, self.ema_m, self.clip = model, lr, warmup, steps, ema_m, grad_clip
        self.ema_schedule, self.mults = ema_schedule, [1.0, pred_lr_mult]
        self.opt = torch.optim.AdamW([{"params": model.context_encoder.parameters()},
                                      {"params": model.predictor.parameters()}], lr=lr, weight_decay=weight_decay)
        self.step_no = 0

    def step(self, masked_ids, ids, attn, pred_mask):
        for g, mult in zip(self.opt.param_groups, self.mults):
            g["lr"] = self.lr * lr_factor(self.step_no, self.warmup, self.steps) * mult
        self.model.train()
        loss = self.model.loss(masked_ids, ids, attn, pred_mask)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        self.model.ema(ema_momentum(self.step_no, self.steps, self.ema_m, self.ema_schedule))
        self.step_no += 1
        return float(loss.item())


# ---- the reference's data path (Python RNG span masks over HF-tokenized text), used by the benchmark ----

def span_mask(n, ratio, mean_span, special):
    mask = [False] * n
    target = max(1, int(round(n * ratio)))
    masked = attempts = 0
    while masked < target and attempts < 4 * n:
        attempts += 1
        span = min(n, max(1, int(random.expovariate(1.0 / max(1, mean_span)))))
        start = random.randint(0, n - 1)
        for i in range(start, min(n, start + span)):
            if i not in special and not mask[i]:
                mask[i] = True
                masked += 1
    return mask


def collate(texts, tokenizer, max_length, ratio, mean_span):
    tok = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    ids, attn = tok["input_ids"], tok["attention_mask"]
    specials = {tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id}
    pred = torch.zeros_like(ids, dtype=torch.bool)
    for b in range(ids.shape[0]):
        n = int(attn[b].sum())
        special = {i for i in range(n) if int(ids[b, i]) in specials}
        pred[b, :n] = torch.tensor(span_mask(n, ratio, mean_span, special))
    return ids.masked_fill(pred, tokenizer.mask_token_id), ids, attn, pred
