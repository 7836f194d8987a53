"""Golden: our LibTorch Llama-style decoder (src/model/llama_decoder.*) vs transformers' LlamaForCausalLM.

Small random Llama models are built by transformers (eager attention, fp32, CPU); their state dicts go to our
driver (llama_dump), which loads them by name into LlamaDecoder and returns the logits of a padded batch. At every
real position ours must equal transformers' within 1e-5 (absolute), for right and left padding (transformers gets
position_ids counted over real tokens, which is what our decoder derives from the mask), grouped-query attention,
another RoPE base, and tied embeddings.
"""
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(__file__))
import golden_util as gu  # noqa: E402

TOL = 1e-5
DRIVER = os.environ.get("JEPA_GOLDEN_llama_dump", str(gu.BUILD / "tests/jepa_golden_llama_dump"))


def configs():
    from transformers import LlamaConfig
    common = dict(vocab_size=300, hidden_size=64, intermediate_size=172, num_hidden_layers=2, num_attention_heads=4,
                  max_position_embeddings=128, attention_bias=False, mlp_bias=False, attn_implementation="eager")
    return [
        ("mha", LlamaConfig(num_key_value_heads=4, **common)),
        ("gqa_theta", LlamaConfig(num_key_value_heads=2, rope_theta=500000.0, rms_norm_eps=1e-6, **common)),
        ("tied", LlamaConfig(num_key_value_heads=1, tie_word_embeddings=True, **common)),
    ]


def batch(pad_left, seed):
    g = torch.Generator().manual_seed(seed)
    lengths = [12, 7, 3, 12]
    L = max(lengths)
    ids = torch.zeros(len(lengths), L, dtype=torch.long)
    mask = torch.zeros(len(lengths), L, dtype=torch.long)
    for i, n in enumerate(lengths):
        row = torch.randint(1, 300, (n,), generator=g)
        sl = slice(L - n, L) if pad_left else slice(0, n)
        ids[i, sl] = row
        mask[i, sl] = 1
    return ids, mask


def main():
    from transformers import LlamaForCausalLM
    work = gu.scratch("llama_golden")
    for tag, cfg in configs():
        torch.manual_seed(0)
        model = LlamaForCausalLM(cfg).eval()
        with torch.no_grad():  # RMSNorm weights away from 1, so a wrong norm cannot hide
            for name, p in model.named_parameters():
                if "norm" in name:
                    p.copy_(1.0 + 0.1 * torch.randn_like(p))
        (work / f"{tag}.json").write_text(json.dumps(cfg.to_dict()))
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        if cfg.tie_word_embeddings:
            state.pop("lm_head.weight", None)
        save_file(state, str(work / f"{tag}.safetensors"))
        real = {}
        for pad_left in (False, True):
            ids, mask = batch(pad_left, seed=len(tag))
            inp, out = work / f"{tag}_{pad_left}_in.safetensors", work / f"{tag}_{pad_left}_out.safetensors"
            save_file({"input_ids": ids, "attention_mask": mask}, str(inp))
            r = subprocess.run([DRIVER, str(work / f"{tag}.json"), str(work / f"{tag}.safetensors"), str(inp), str(out)],
                               capture_output=True, text=True)
            gu.check(r.returncode == 0, f"{tag}: llama_dump runs ({r.stderr.strip() or 'no error'})")
            if r.returncode != 0:
                continue
            ours = load_file(str(out))["logits"]
            position_ids = (mask.cumsum(1) - 1).clamp(min=0)
            with torch.no_grad():
                ref = model(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
            keep = mask.bool()
            diff = (ours[keep] - ref[keep]).abs().max().item()
            print(f"{tag} pad_{'left' if pad_left else 'right'}: max |logit diff| at real positions {diff:.2e}")
            gu.check(diff <= TOL, f"{tag} pad_left={pad_left}: logits within {TOL} of transformers (max diff {diff:.3e})")
            real[pad_left] = ours[keep]
        if len(real) == 2:  # the same rows padded on either side: the same logits at the real tokens
            side = (real[False] - real[True]).abs().max().item()
            gu.check(side <= TOL, f"{tag}: right and left padding agree within {TOL} (max diff {side:.3e})")
    gu.exit_if_failed("test_llama_decoder")


if __name__ == "__main__":
    main()
