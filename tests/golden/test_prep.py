"""Golden test: jepa_prep's command line and the structure of the HDF5 corpus it writes (checked with h5py).

Token-level equality with HF `tokenizers` is test_tokenizer_hf.py's job; here: datasets, dtypes, attributes,
document counts, blank-line skipping (Python str.strip() semantics), truncation, JSONL, --max-docs, and that every
failure is a one-line `jepa_prep: error: ...` with exit status 1 that leaves an existing output file untouched.
"""
import hashlib
import os
import re
import subprocess
import sys

import h5py
import numpy as np

import golden_util as gu

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}")


def prep(*args):
    r = subprocess.run([gu.PREP, *map(str, args)], capture_output=True, text=True, timeout=300)
    return r


def load(h5):
    with h5py.File(h5, "r") as f:
        tokens = f["tokens"]
        offsets = f["offsets"]
        info = {
            "tokens_dtype": tokens.dtype, "offsets_dtype": offsets.dtype, "tokens_shape": tokens.shape,
            "offsets_shape": offsets.shape, "tokens_chunks": tokens.chunks,
            "attrs": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()},
        }
        t = np.asarray(tokens[...]).astype(np.int64)
        o = np.asarray(offsets[...]).astype(np.int64)
    info["docs"] = [t[o[i]:o[i + 1]].tolist() for i in range(len(o) - 1)]
    info["offsets"] = o
    info["n_tokens"] = len(t)
    return info


def check_structure(name, info, vocab, max_length, source, n_docs):
    a = info["attrs"]
    vocab_lines = vocab.read_text(encoding="utf-8").splitlines()
    ids = {tok: i for i, tok in enumerate(vocab_lines)}
    check(info["tokens_dtype"] == np.int32, f"{name}: /tokens dtype {info['tokens_dtype']}, want int32")
    check(info["offsets_dtype"] == np.int64, f"{name}: /offsets dtype {info['offsets_dtype']}, want int64")
    check(len(info["tokens_shape"]) == 1 and len(info["offsets_shape"]) == 1, f"{name}: datasets are not 1-D")
    check(info["tokens_chunks"] is not None, f"{name}: /tokens is not chunked")
    o = info["offsets"]
    check(len(o) == n_docs + 1, f"{name}: {len(o) - 1} documents, want {n_docs}")
    check(len(o) > 0 and o[0] == 0 and o[-1] == info["n_tokens"] and bool(np.all(np.diff(o) >= 0)),
          f"{name}: offsets not 0..n_tokens non-decreasing")
    want_attrs = {"tokenizer", "vocab_sha256", "vocab_size", "cls_id", "sep_id", "pad_id", "mask_id", "unk_id",
                  "max_length", "source", "created_by", "n_docs", "n_tokens", "format_version"}
    check(want_attrs <= set(a), f"{name}: attributes missing: {sorted(want_attrs - set(a))}")
    if not want_attrs <= set(a):
        return
    check(a["vocab_sha256"] == hashlib.sha256(vocab.read_bytes()).hexdigest(), f"{name}: vocab_sha256 wrong")
    check(int(a["vocab_size"]) == len(vocab_lines), f"{name}: vocab_size {a['vocab_size']} != {len(vocab_lines)}")
    for attr, tok in (("cls_id", "[CLS]"), ("sep_id", "[SEP]"), ("pad_id", "[PAD]"), ("mask_id", "[MASK]"),
                      ("unk_id", "[UNK]")):
        check(int(a[attr]) == ids[tok], f"{name}: {attr} = {a[attr]}, vocab has {tok} at {ids[tok]}")
    check(int(a["max_length"]) == max_length, f"{name}: max_length attribute {a['max_length']}")
    check(a["source"] == str(source), f"{name}: source attribute {a['source']!r}")
    check(str(a["created_by"]).startswith("jepa_prep "), f"{name}: created_by {a['created_by']!r}")
    check(a["tokenizer"] == "bert-wordpiece-uncased", f"{name}: tokenizer {a['tokenizer']!r}")
    check(int(a["n_docs"]) == n_docs, f"{name}: n_docs attribute {a['n_docs']}")
    check(int(a["n_tokens"]) == info["n_tokens"], f"{name}: n_tokens attribute {a['n_tokens']}")
    check(int(a["format_version"]) == 1, f"{name}: format_version {a['format_version']}")
    specials = {ids["[CLS]"], ids["[SEP]"], ids["[PAD]"]}
    for i, d in enumerate(info["docs"]):
        if len(d) > max_length - 2 or any(t < 0 or t >= len(vocab_lines) for t in d) or (set(d) & specials):
            check(False, f"{name}: document {i} malformed: len {len(d)} ids {d[:10]}")
            break


def summary_counts(stdout):
    m = re.search(r"wrote (\d+) docs, (\d+) empty lines skipped, (\d+) tokens, (\d+) truncated", stdout)
    check(m is not None, f"summary line not understood: {stdout!r}")
    return tuple(int(x) for x in m.groups()) if m else (None,) * 4


def expect_failure(name, result, out_file=None, before=None, mention=None):
    lines = result.stderr.strip("\n").split("\n")
    check(result.returncode == 1, f"{name}: exit status {result.returncode}, want 1")
    check(len(lines) == 1 and lines[0].startswith("jepa_prep: error: "),
          f"{name}: stderr is not one 'jepa_prep: error:' line: {result.stderr!r}")
    if mention:
        check(mention in result.stderr, f"{name}: error does not mention {mention!r}: {result.stderr!r}")
    if out_file is not None:
        if before is None:
            check(not os.path.exists(out_file), f"{name}: output {out_file} was created")
        else:
            check(out_file.read_bytes() == before, f"{name}: existing output {out_file} was modified")
        check(not os.path.exists(str(out_file) + ".tmp"), f"{name}: {out_file}.tmp left behind")


def main():
    work = gu.scratch("prep")
    vocab = gu.vocab_path()

    # ---- text: documents, blank and whitespace-only lines (ASCII and Unicode), CRLF, no final newline
    docs = ["The quick brown fox jumps over the lazy dog.",
            "  Café naïve Ångström, 3.14 and 1,000 items!  ",
            "\tTabs\tinside and around\t",
            "windows line ending\r",
            "\u3000ideographic space around\u3000",
            "\u200b",  # not whitespace for str.strip(): a document with an empty body
            " ".join(["word"] * 200),  # truncated at max_length 32
            "last line without newline"]
    blanks = ["", "   ", "\t\t", "\r", "\u00a0", "\u2028 \u3000", "\x1c\x1d\x1e\x1f", "\x85", "\x0b\x0c"]
    lines = [docs[0], blanks[0], docs[1], blanks[1], blanks[2], docs[2], docs[3], blanks[3], docs[4], blanks[4],
             blanks[5], docs[5], blanks[6], blanks[7], docs[6], blanks[8], docs[7]]
    assert sum(1 for l in lines if l.strip()) == len(docs)
    txt = work / "corpus.txt"
    txt.write_bytes("\n".join(lines).encode("utf-8"))  # no final newline
    out = work / "text.h5"
    r = prep("--input", txt, "--output", out, "--vocab", vocab, "--max-length", 32)
    check(r.returncode == 0, f"text: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        n, skipped, n_tok, truncated = summary_counts(r.stdout)
        check(n == len(docs), f"text: summary says {n} docs, want {len(docs)}")
        check(skipped == len(blanks), f"text: summary says {skipped} empty lines skipped, want {len(blanks)}")
        check(truncated == 1, f"text: summary says {truncated} truncated, want 1")
        check(len(r.stdout.strip().split("\n")) == 1, f"text: stdout is not one summary line: {r.stdout!r}")
        info = load(out)
        check_structure("text", info, vocab, 32, txt, len(docs))
        check(n_tok == info["n_tokens"], f"text: summary says {n_tok} tokens, file has {info['n_tokens']}")
        d = info["docs"]
        if len(d) == len(docs):
            check(len(d[6]) == 30, f"text: long document has {len(d[6])} tokens, want 30 (max_length - 2)")
            check(d[5] == [], f"text: zero-width-space document should have an empty body, got {d[5]}")
            check(all(len(x) > 0 for i, x in enumerate(d) if i != 5), "text: unexpected empty document")
            # Stripping must not change the tokens: the padded line tokenizes like its stripped form.
            one = work / "one.txt"
            one.write_text(docs[1].strip() + "\n" + docs[3].strip() + "\n", encoding="utf-8")
            r1 = prep("--input", one, "--output", work / "one.h5", "--vocab", vocab, "--max-length", 32)
            check(r1.returncode == 0, f"stripped: exit {r1.returncode}: {r1.stderr}")
            if r1.returncode == 0:
                d1 = load(work / "one.h5")["docs"]
                check(d1 == [d[1], d[3]], "text: surrounding whitespace changed the tokens")

    # ---- --max-docs and the default max_length
    r = prep("--input", txt, "--output", work / "two.h5", "--vocab", vocab, "--max-docs", 2)
    check(r.returncode == 0, f"max-docs: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        info = load(work / "two.h5")
        check(len(info["docs"]) == 2, f"max-docs: {len(info['docs'])} documents, want 2")
        check(int(info["attrs"]["max_length"]) == 512, "max-docs: default max_length is not 512")

    # ---- JSONL (auto-detected by extension; blank lines and empty texts skipped and counted)
    jl = work / "corpus.jsonl"
    jl.write_text('{"text": "First JSON document.", "id": 1}\n'
                  '\n'
                  '{"id": 2, "text": "  Second one, with \\"quotes\\" and unicode \\u00e9.  "}\n'
                  '{"text": "   "}\n'
                  '   \n'
                  '{"text": "Third.", "meta": {"nested": [1, 2, 3]}}\n', encoding="utf-8")
    out_j = work / "jsonl.h5"
    r = prep("--input", jl, "--output", out_j, "--vocab", vocab, "--max-length", 64)
    check(r.returncode == 0, f"jsonl: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        n, skipped, _, _ = summary_counts(r.stdout)
        check((n, skipped) == (3, 3), f"jsonl: summary says {n} docs / {skipped} skipped, want 3 / 3")
        info = load(out_j)
        check_structure("jsonl", info, vocab, 64, jl, 3)
    # --format jsonl on another extension, and --text-field
    jl2 = work / "other.data"
    jl2.write_text('{"body": "alpha beta"}\n{"body": "gamma"}\n', encoding="utf-8")
    r = prep("--input", jl2, "--output", work / "field.h5", "--vocab", vocab, "--format", "jsonl",
             "--text-field", "body")
    check(r.returncode == 0, f"text-field: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        check(len(load(work / "field.h5")["docs"]) == 2, "text-field: want 2 documents")

    # ---- failures: one line on stderr, exit 1, an existing output untouched, no .tmp left behind
    existing = work / "existing.h5"
    r = prep("--input", txt, "--output", existing, "--vocab", vocab)
    check(r.returncode == 0, f"existing: exit {r.returncode}: {r.stderr}")
    before = existing.read_bytes() if existing.exists() else b""

    expect_failure("missing input", prep("--input", work / "nope.txt", "--output", existing, "--vocab", vocab),
                   existing, before, mention="nope.txt")
    expect_failure("missing input (new output)",
                   prep("--input", work / "nope.txt", "--output", work / "new.h5", "--vocab", vocab),
                   work / "new.h5")
    expect_failure("missing vocab", prep("--input", txt, "--output", existing, "--vocab", work / "novocab.txt"),
                   existing, before, mention="novocab.txt")
    bad = work / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": "also fine"}\n{"text": broken\n{"text": "never read"}\n',
                   encoding="utf-8")
    expect_failure("bad JSONL line", prep("--input", bad, "--output", existing, "--vocab", vocab), existing, before,
                   mention=":3:")
    nofield = work / "nofield.jsonl"
    nofield.write_text('{"text": "ok"}\n{"txt": "typo"}\n', encoding="utf-8")
    expect_failure("JSONL missing field", prep("--input", nofield, "--output", existing, "--vocab", vocab),
                   existing, before, mention=":2:")
    notobj = work / "notobj.jsonl"
    notobj.write_text('["a list"]\n', encoding="utf-8")
    expect_failure("JSONL not an object", prep("--input", notobj, "--output", existing, "--vocab", vocab),
                   existing, before, mention=":1:")
    expect_failure("unwritable output",
                   prep("--input", txt, "--output", txt / "sub" / "out.h5", "--vocab", vocab))
    expect_failure("output is a directory", prep("--input", txt, "--output", work, "--vocab", vocab))
    expect_failure("bad option", prep("--input", txt, "--output", existing, "--vocab", vocab, "--bogus"),
                   existing, before)
    expect_failure("bad max-length", prep("--input", txt, "--output", existing, "--vocab", vocab,
                                          "--max-length", "1"), existing, before)
    expect_failure("missing --output", prep("--input", txt, "--vocab", vocab))

    # ---- --output naming the input or the vocab: refused before anything is created, the file byte-identical
    victim = work / "victim.txt"
    victim.write_bytes(txt.read_bytes())
    victim_before = victim.read_bytes()
    expect_failure("output is the input", prep("--input", victim, "--output", victim, "--vocab", vocab),
                   victim, victim_before, mention="input")
    expect_failure("output is the input (other spelling)",
                   prep("--input", victim, "--output", work / "." / "victim.txt", "--vocab", vocab),
                   victim, victim_before, mention="input")
    vocab_copy = work / "vocab_copy.txt"
    vocab_copy.write_bytes(vocab.read_bytes())
    vocab_before = vocab_copy.read_bytes()
    expect_failure("output is the vocab", prep("--input", txt, "--output", vocab_copy, "--vocab", vocab_copy),
                   vocab_copy, vocab_before, mention="vocab")
    link = work / "vocab_link.txt"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(vocab_copy)
    expect_failure("output is a symlink to the vocab", prep("--input", txt, "--output", link, "--vocab", vocab_copy),
                   vocab_copy, vocab_before, mention="vocab")
    check(link.is_symlink(), "output is a symlink to the vocab: the symlink was replaced")

    r = prep("--help")
    check(r.returncode == 0 and "--input" in r.stdout and "--max-length" in r.stdout, "--help")

    print(f"test_prep: {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
