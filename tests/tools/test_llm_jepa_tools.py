"""LLM-JEPA end to end as a user meets it (design.md §9): jepa_prep --paired on both JSONL forms (the file read back
with h5py: layout, views, tokenizer; the text/code form and the chat form give the same corpus), one-line errors for
bad input without leaving a file, jepa_dist refusing mismatched objective/model/corpus with one line, a resumed run
(with loss dropout, whose draws must survive the resume) equal to an uninterrupted one bit for bit, and
jepa_eval --task regex (its JSON, exact ≤ semantic, each sample's flags consistent with string equality and with
jepa_regex_gen --equiv)."""
import json
import os
import subprocess
import sys

import h5py
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

GEN = str(gu.BUILD / "src/tools/jepa_regex_gen")
EVAL = os.environ.get("JEPA_EVAL", str(gu.BUILD / "src/tools/jepa_eval"))
check = gu.check
MODEL = ["model=llama_tiny", "model.dim=32", "model.layers=2", "model.heads=4", "model.kv_heads=2", "model.ff_dim=64"]


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)


def one_line_error(r, code=1):
    err = [x for x in r.stderr.strip().splitlines() if x.strip()]
    return r.returncode == code and len(err) >= 1 and "error" in err[-1]


def dist_error(r, *words):
    """jepa_dist refused with a one-line error naming `words` (no backtrace, no crash)."""
    err = [x for x in r.stderr.strip().splitlines() if x.strip()]
    last = err[-1] if err else ""
    return (r.returncode not in (0, -6, -11, 134, 139) and "error" in last and all(w in last for w in words)
            and not any("Exception raised from" in x or "terminate called" in x for x in err))


def main():
    work = gu.scratch("llm_jepa_tools")
    r = run([GEN, "--out", work / "pairs", "--train", "300", "--test", "20", "--seed", "5"])
    check(r.returncode == 0, f"jepa_regex_gen ({r.stderr.strip()})")
    r = run([GEN, "--out", work / "chat", "--train", "300", "--test", "20", "--seed", "5", "--format", "chat"])
    check(r.returncode == 0, "jepa_regex_gen --format chat")

    # prep: both forms, the same examples -> the same tokens and views (the chat form adds a system turn).
    corpus = work / "train.h5"
    r = run([gu.PREP, "--paired", "--input", work / "pairs" / "train.jsonl", "--output", corpus, "--max-length", "256",
             "--bpe-vocab-size", "400"])
    check(r.returncode == 0 and "wrote 300 paired examples" in r.stdout, f"jepa_prep --paired: {r.stdout.strip()} {r.stderr.strip()}")
    with h5py.File(corpus, "r") as f:
        check(f.attrs["layout"] in ("paired", b"paired"), "layout attribute is paired")
        views = f["views"][:].reshape(-1, 4)
        offsets, tokens = f["offsets"][:], f["tokens"][:]
        spec = bytes(f["tokenizer_spec"][:]).decode()
        check(len(views) == 300 and spec.startswith("jepa-bpe v1"), "300 view spans and the BPE")
        lens = offsets[1:] - offsets[:-1]
        check(all(0 <= a < b <= c < d == n for (a, b, c, d), n in zip(views, lens)),
              "views: the user turn ends where the assistant turn starts, which ends the example")
        first = tokens[offsets[0]:offsets[1]]
        check(int(first[0]) == int(f.attrs["cls_id"]) and int(first[-1]) == int(f.attrs["sep_id"]),
              "an example starts with <|bos|> and ends with <|end|>")
    chat_corpus = work / "chat.h5"
    r = run([gu.PREP, "--paired", "--input", work / "chat" / "train.jsonl", "--output", chat_corpus, "--max-length", "256",
             "--tokenizer-from", corpus])
    check(r.returncode == 0, f"jepa_prep --paired on the chat form with --tokenizer-from ({r.stderr.strip()})")
    with h5py.File(corpus, "r") as a, h5py.File(chat_corpus, "r") as b:
        va, vb = a["views"][:].reshape(-1, 4), b["views"][:].reshape(-1, 4)
        ta, tb, oa, ob = a["tokens"][:], b["tokens"][:], a["offsets"][:], b["offsets"][:]
        same = all((ta[oa[i] + va[i][0]:oa[i] + va[i][3]] == tb[ob[i] + vb[i][0]:ob[i] + vb[i][3]]).all() for i in range(300))
        check(same and bytes(a["tokenizer_spec"][:]) == bytes(b["tokenizer_spec"][:]),
              "chat form: the same user and assistant turns under the same tokenizer (plus a system turn)")
    for bad, what in [('{"text": "a"}\n', "missing code"), ("not json\n", "not JSON"),
                      ('{"messages": [{"role": "user", "content": "a"}]}\n', "no assistant message")]:
        src = work / "bad.jsonl"
        src.write_text('{"text": "x", "code": "y"}\n' + bad)
        out = work / "bad.h5"
        r = run([gu.PREP, "--paired", "--input", src, "--output", out])
        check(one_line_error(r) and ":2:" in r.stderr and not out.exists() and not (work / "bad.h5.tmp").exists(),
              f"prep rejects {what} naming line 2, writes nothing ({r.stderr.strip()})")

    # jepa_dist: mismatches are one-line errors.
    common = ["--config", gu.SOURCE / "configs/smoke.yaml", *MODEL, "train.objective=llm_jepa", f"data.path={corpus}",
              "train.batch_size=8", "train.log_every=5", "optim.lr=1e-3", "jepa.pred_tokens=1", "jepa.loss_dropout=0.5"]
    plain = gu.prepare_corpus(work)
    bad_views = work / "bad_views.h5"
    import shutil
    shutil.copy(corpus, bad_views)
    with h5py.File(bad_views, "r+") as f:
        v = f["views"][:]
        v[4 * 7 + 3] = 10_000  # example 7's assistant turn now ends far past its tokens
        f["views"][:] = v
    cases = [([f"data.path={plain}"], "a plain corpus", ["paired"]),
             (["train.objective=jepa"], "the encoder objective", ["paired corpus"]),
             (["model=tiny"], "an encoder model", ["decoder"]),
             (["optim.predictor_lr_mult=2"], "a predictor learning rate", ["predictor_lr_mult"]),
             ([f"data.path={bad_views}", "train.batch_size=300"], "corrupt /views", ["document 7", "/views"])]
    for extra, what, words in cases:
        r = gu.run_dist(1, [*common, *extra, "train.steps=2", f"run.dir={work / 'bad_run'}"], check=False)
        check(dist_error(r, *words),
              f"llm_jepa with {what}: one-line error naming {words} ({r.stderr.strip().splitlines()[-1] if r.stderr.strip() else 'no error'})")

    # Resume: 10 + 10 steps equal 20 steps, bit for bit (loss dropout draws from the step, not a stream).
    straight, split = work / "straight", work / "split"
    gu.run_dist(1, [*common, "train.steps=20", "train.save_every=20", f"run.dir={straight}"])
    gu.run_dist(1, [*common, "train.steps=10", "train.save_every=10", f"run.dir={split}"])
    gu.run_dist(1, [*common, "train.steps=20", "train.save_every=10", "train.resume=auto", f"run.dir={split}"])
    a = load_file(str(straight / "checkpoints" / "step_0000020" / "model.safetensors"))
    b = load_file(str(split / "checkpoints" / "step_0000020" / "model.safetensors"))
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    check(set(a) == set(b) and diff == 0.0, f"resumed run equals the uninterrupted one (max diff {diff:.1e})")
    check(all(k.startswith("context_encoder.") for k in a), "the checkpoint holds the decoder only (no target, no predictor)")

    # Evaluation.
    r = run([EVAL, "--task", "regex", "--checkpoint", straight, "--test", work / "pairs" / "test.jsonl", "--max-new", "40"])
    check(r.returncode == 0, f"jepa_eval --task regex ({r.stderr.strip()})")
    if r.returncode == 0:
        j = json.loads(r.stdout)
        check(j["examples"] == 20 and 0 <= j["exact_match"] <= j["semantic_match"] <= 1, "exact <= semantic, both in [0, 1]")
        check(len(j["diff_singular_values_top10"]) == 10 and j["diff_singular_values_top10"][0] >= j["diff_singular_values_top10"][-1] >= 0,
              "ten singular values, descending")
        for s in j["samples"]:
            check(s["exact"] == (s["generated"] == s["reference"]), f"exact flag is string equality: {s['generated']!r}")
            eq = run([GEN, "--equiv", s["generated"], s["reference"]])
            want = eq.returncode == 0 and eq.stdout.strip() == "equivalent"
            check(s["semantic"] == want, f"semantic flag agrees with jepa_regex_gen --equiv for {s['generated']!r}")
    enc_run = work / "encoder_run"
    gu.run_dist(1, ["--config", gu.SOURCE / "configs/smoke.yaml", *gu.small_model_overrides(), f"data.path={plain}",
                    "train.steps=2", "train.save_every=2", f"run.dir={enc_run}"])
    r = run([EVAL, "--task", "regex", "--checkpoint", enc_run, "--test", work / "pairs" / "test.jsonl", "--data", corpus])
    check(one_line_error(r) and "not llm_jepa" in r.stderr, f"--task regex refuses an encoder checkpoint ({r.stderr.strip()})")
    r = run([EVAL, "--checkpoint", straight, "--data", corpus])
    check(one_line_error(r) and "--task regex" in r.stderr, f"the encoder evaluation refuses a decoder ({r.stderr.strip()})")
    r = run([EVAL, "--task", "regex", "--checkpoint", straight, "--test", work / "missing.jsonl"])
    check(one_line_error(r), f"a missing --test file is a one-line error ({r.stderr.strip()})")
    gu.exit_if_failed("test_llm_jepa_tools")


if __name__ == "__main__":
    main()
