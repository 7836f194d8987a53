"""Export round trip: HF dir -> jepa_prep --model-dir -> jepa_dist (3 steps) -> jepa_export -> transformers.

For a small random BERT and DistilBERT written by transformers' save_pretrained (vocab.txt of the packaged MiniLM):
prepare the corpus from the model dir, train 3 steps on CPU with model.name=DIR, export the target and the context
encoder, and check that
  * AutoModel.from_pretrained(out, output_loading_info=True) reports no missing / unexpected / mismatched keys and
    builds the right class; AutoTokenizer loads the shipped tokenizer files and its ids equal the corpus's;
  * the exported tensors are bit-identical to the checkpoint's `<which>_encoder.*` tensors (and target != context);
  * transformers' last_hidden_state on the export equals ours (encoder_dump on the same dir) within 1e-5.
Also: model.name=bert (random init at model.* sizes) exports with --vocab; a tiny checkpoint is refused with a
one-line error.
"""
import os
import shutil
import subprocess
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(__file__))
import golden_util as gu  # noqa: E402

TOL = 1e-5
EXPORT = os.environ.get("JEPA_EXPORT", str(gu.BUILD / "src/tools/jepa_export"))
DRIVER = os.environ.get("JEPA_GOLDEN_encoder_dump", str(gu.BUILD / "tests/jepa_golden_encoder_dump"))
MAX_LEN = 48
TRAIN = ["data.max_length=48", "train.steps=3", "train.device=cpu", "train.batch_size=4", "train.threads=1",
         "optim.lr=1e-3", "optim.warmup_steps=0", "model.pred_hidden_mult=2"]
failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)
        print("  FAIL:", msg)


def hf_dir(kind, d):
    from transformers import AutoModel, BertConfig, DistilBertConfig
    vocab = gu.vocab_path()
    n = sum(1 for _ in open(vocab, encoding="utf-8"))
    if kind == "bert":
        cfg = BertConfig(vocab_size=n, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=128, max_position_embeddings=64)
    else:
        cfg = DistilBertConfig(vocab_size=n, dim=64, n_layers=2, n_heads=4, hidden_dim=128, max_position_embeddings=64)
    torch.manual_seed(3)
    AutoModel.from_config(cfg).save_pretrained(str(d))
    shutil.copy(vocab, d / "vocab.txt")
    return d


def train(work, tag, overrides):
    run = work / f"run_{tag}"
    gu.run_dist(1, ["--config", str(gu.SOURCE / "configs/smoke.yaml"), *overrides, *TRAIN, f"run.dir={run}"])
    return run / "checkpoints"


def export(ckpt, which, out, extra=(), expect_ok=True):
    r = subprocess.run([EXPORT, "--checkpoint", str(ckpt), "--which", which, "--out", str(out), *extra],
                       capture_output=True, text=True)
    if expect_ok and r.returncode != 0:
        sys.exit(f"jepa_export failed: {r.stderr.strip()}")
    return r


def ours(model_dir, ids, mask, work, tag):
    inp, out = work / f"{tag}_in.safetensors", work / f"{tag}_out.safetensors"
    save_file({"input_ids": ids.contiguous(), "attention_mask": mask.contiguous()}, str(inp))
    r = subprocess.run([DRIVER, str(model_dir), str(inp), str(out)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"encoder_dump failed on {model_dir}: {r.stderr.strip()}")
    return load_file(str(out))["last_hidden_state"]


def corpus_docs(path, n):
    import h5py
    with h5py.File(path, "r") as f:
        off = f["offsets"][: n + 1]
        tok = f["tokens"][: off[-1]]
    return [tok[off[i]:off[i + 1]].tolist() for i in range(n)]


def check_export(work, tag, out, ckpt_dir, which, cls, corpus=None):
    from transformers import AutoModel, AutoTokenizer
    model, info = AutoModel.from_pretrained(str(out), output_loading_info=True)
    model.eval()
    keys = {k: sorted(v) for k, v in info.items() if k != "error_msgs"}
    check(not any(keys.values()) and not info["error_msgs"], f"{tag}/{which}: loading info {info}")
    check(type(model).__name__ == cls, f"{tag}/{which}: AutoModel built {type(model).__name__}, expected {cls}")

    # Bit-identical to the checkpoint's encoder.
    ckpt = load_file(str(ckpt_dir / "model.safetensors"))
    prefix = f"{which}_encoder."
    mine = {k[len(prefix):]: v for k, v in ckpt.items() if k.startswith(prefix)}
    exported = load_file(str(out / "model.safetensors"))
    check(set(mine) == set(exported), f"{tag}/{which}: exported names differ from the checkpoint's")
    same = all(torch.equal(mine[k], exported[k]) for k in mine if k in exported)
    check(same, f"{tag}/{which}: exported tensors differ from the checkpoint's")

    # Its tokenizer: loads, and gives the corpus's ids.
    tok = AutoTokenizer.from_pretrained(str(out))
    if corpus is not None:
        lines = [l.strip() for l in open(gu.SOURCE / "datasets/shipped.txt", encoding="utf-8") if l.strip()][:20]
        want = corpus_docs(corpus, len(lines))
        got = [tok(l, add_special_tokens=False)["input_ids"][: MAX_LEN - 2] for l in lines]
        check(got == want, f"{tag}/{which}: AutoTokenizer ids differ from the corpus's")

    texts = ["Exported encoders load in transformers.", "A second, somewhat longer sentence to force some padding.",
             "Short."]
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        ref = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
    got = ours(out, enc["input_ids"], enc["attention_mask"], work, f"{tag}_{which}")
    keep = enc["attention_mask"].bool()
    diff = (got[keep] - ref[keep]).abs().max().item()
    print(f"{tag:10s} {which:7s} {cls:16s} loading info clean, tensors bit-identical to checkpoint, "
          f"transformers vs ours max abs diff {diff:.3e} (tol {TOL:g})")
    check(diff <= TOL, f"{tag}/{which}: max abs diff {diff:.3e} > {TOL:g}")
    return exported


def snapshot(d):
    """{relative path: bytes} of every file under d (symlinks as their target), None when d is absent."""
    if not d.exists():
        return None
    if not d.is_dir():
        return d.read_bytes()
    return {str(p.relative_to(d)): (os.readlink(p) if p.is_symlink() else p.read_bytes())
            for p in sorted(d.rglob("*")) if p.is_file() or p.is_symlink()}


def check_out_guards(work, run_dir, step_dir, prev_export):
    """--out must never replace the checkpoint, its run dir or the vocab; --force only replaces an earlier export."""
    vocab = ["--vocab", str(gu.vocab_path())]

    def refused(tag, r, victim, before):
        err = r.stderr.strip()
        print(f"guard {tag}: exit {r.returncode}: {err}")
        check(r.returncode == 1 and err.startswith("jepa_export: error: ") and "\n" not in err,
              f"guard {tag}: exit {r.returncode}, stderr {err!r}")
        check(snapshot(victim) == before, f"guard {tag}: {victim} was modified")
        stray = [p.name for p in victim.parent.iterdir() if ".tmp." in p.name or ".old." in p.name]
        check(not stray, f"guard {tag}: left behind {stray}")

    run_before = snapshot(run_dir)
    for tag, ckpt, out in [("out == run dir", run_dir, run_dir), ("out == run dir (via checkpoint)", step_dir, run_dir),
                           ("out == checkpoint dir", step_dir, step_dir),
                           ("out == checkpoint dir (via run dir)", run_dir, step_dir),
                           ("out == checkpoints dir", step_dir, step_dir.parent)]:
        refused(tag, export(ckpt, "target", out, extra=[*vocab, "--force"], expect_ok=False), run_dir, run_before)
    # A dir holding the run (made to look like an export, so only the containment rule refuses it).
    nest = work / "guard_nest"
    shutil.rmtree(nest, ignore_errors=True)
    shutil.copytree(run_dir, nest / "run", symlinks=True)
    shutil.copy(prev_export / "config.json", nest / "config.json")
    shutil.copy(prev_export / "model.safetensors", nest / "model.safetensors")
    nest_before = snapshot(nest)
    r = export(nest / "run", "target", nest, extra=[*vocab, "--force"], expect_ok=False)
    refused("out contains run dir", r, nest, nest_before)
    r = export(step_dir, "target", run_dir / "exported", extra=vocab, expect_ok=False)
    refused("out inside run dir", r, run_dir, run_before)
    check(not (run_dir / "exported").exists(), "guard out inside run dir: output written")

    vocab_copy = work / "guard_vocab.txt"
    shutil.copy(gu.vocab_path(), vocab_copy)
    before = vocab_copy.read_bytes()
    r = export(step_dir, "target", vocab_copy, extra=["--vocab", str(vocab_copy), "--force"], expect_ok=False)
    refused("out == vocab", r, vocab_copy, before)

    other = work / "not_an_export"
    other.mkdir(exist_ok=True)
    (other / "precious.txt").write_text("keep me\n")
    (other / "config.json").write_text("{}\n")  # config.json alone does not make an export
    before = snapshot(other)
    r = export(step_dir, "target", other, extra=[*vocab, "--force"], expect_ok=False)
    refused("--force onto a non-export dir", r, other, before)
    plain = work / "plain_file.txt"
    plain.write_text("not a directory\n")
    r = export(step_dir, "target", plain, extra=[*vocab, "--force"], expect_ok=False)
    check(r.returncode == 1 and plain.read_text() == "not a directory\n",
          f"guard --force onto a file: exit {r.returncode}, {r.stderr.strip()!r}")

    (prev_export / "stale.txt").write_text("from an earlier export\n")
    r = export(step_dir, "context", prev_export, extra=[*vocab, "--force"], expect_ok=False)
    check(r.returncode == 0, f"guard --force onto an earlier export: exit {r.returncode}, {r.stderr.strip()!r}")
    check(not (prev_export / "stale.txt").exists() and (prev_export / "model.safetensors").is_file(),
          "guard --force onto an earlier export: not replaced")
    if (prev_export / "model.safetensors").is_file():
        ckpt = load_file(str(step_dir / "model.safetensors"))
        got = load_file(str(prev_export / "model.safetensors"))
        check(all(torch.equal(v, ckpt["context_encoder." + k]) for k, v in got.items()),
              "guard --force onto an earlier export: not the context encoder")
    check(snapshot(run_dir) == run_before, "guard: run dir modified")


def main():
    torch.set_num_threads(1)
    work = gu.scratch("export")

    for kind, cls in [("bert", "BertModel"), ("distilbert", "DistilBertModel")]:
        src = hf_dir(kind, work / f"hf_{kind}")
        corpus = work / f"corpus_{kind}.h5"
        subprocess.run([gu.PREP, "--model-dir", str(src), "--input", str(gu.SOURCE / "datasets/shipped.txt"),
                        "--output", str(corpus), "--max-length", str(MAX_LEN)], check=True, stdout=subprocess.DEVNULL)
        ckpts = train(work, kind, [f"model.name={src}", f"data.path={corpus}"])
        step_dir = ckpts / (ckpts / "latest").read_text().strip()
        exported = {}
        for which in ("target", "context"):
            out = work / f"export_{kind}_{which}"
            export(ckpts.parent, which, out)  # the run dir: its latest checkpoint
            exported[which] = check_export(work, kind, out, step_dir, which, cls, corpus)
        differ = any(not torch.equal(exported["target"][k], exported["context"][k]) for k in exported["target"])
        check(differ, f"{kind}: target and context exports are identical (--which ignored?)")
        r = export(step_dir, "target", work / f"export_{kind}_target", expect_ok=False)
        check(r.returncode != 0 and "exists" in r.stderr, f"{kind}: existing --out not refused: {r.stderr.strip()}")
        export(step_dir, "target", work / f"export_{kind}_target", extra=["--force"])

    # model.name=bert: random init at model.* sizes, corpus from the packaged vocab; vocab must be passed.
    corpus = gu.prepare_corpus(work, max_length=MAX_LEN)
    ckpts = train(work, "bert_random", ["model.name=bert", f"data.path={corpus}", "model.dim=32", "model.layers=2",
                                        "model.heads=4", "model.ff_dim=64", "model.max_positions=64"])
    step_dir = ckpts / (ckpts / "latest").read_text().strip()
    out = work / "export_bert_random"
    r = export(step_dir, "target", out, expect_ok=False)
    check(r.returncode == 1 and "--vocab" in r.stderr, f"bert random without vocab: {r.returncode} {r.stderr.strip()}")
    export(step_dir, "target", out, extra=["--vocab", str(gu.vocab_path())])
    check_export(work, "bert_rand", out, step_dir, "target", "BertModel", corpus)
    check_out_guards(work, ckpts.parent, step_dir, out)

    # tiny: refused, one line.
    ckpts = train(work, "tiny", [f"data.path={corpus}", "model.dim=32", "model.layers=1", "model.heads=2",
                                 "model.ff_dim=64"])
    r = export(ckpts, "target", work / "export_tiny", expect_ok=False)
    err = r.stderr.strip()
    print(f"tiny checkpoint: exit {r.returncode}: {err}")
    check(r.returncode != 0 and "\n" not in err and
          "tiny encoder has no transformers architecture; export supports bert, distilbert" in err,
          f"tiny export: exit {r.returncode}, stderr {err!r}")
    check(not (work / "export_tiny").exists(), "tiny export left an output directory")

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
