"""Golden test: our byte-level BPE encoder (src/data/bpe.cpp) gives the same ids as HF `tokenizers` built from OUR
vocabulary and merges.

jepa_golden_bpe_dump trains a BpeTokenizer (or loads a serialized one) and encodes texts. The reference is
`tokenizers.Tokenizer(models.BPE(vocab, merges, ignore_merges=False))` whose tokens are our token bytes written in
GPT-2's bytes_to_unicode alphabet, with the pre-tokenizer Sequence([Split(" ", "merged_with_next"),
ByteLevel(add_prefix_space=False, use_regex=False)]) -- exactly our chunking: cut before every space, each chunk an
optional leading space plus the following non-space bytes -- and decoders.ByteLevel().

HF's BPE model applies merges as we do (Word::merge_all: a priority queue of (rank, position), lowest rank first,
leftmost among equal ranks, stale entries skipped), so ids must be identical, including the corner cases stressed
below: runs of one letter ("aaaa" -> [aa, aa], never [a, aa, a]), overlapping candidate pairs over a 2-3 letter
alphabet, and a second merge route to an existing token ((ab,c) and (a,bc) both give "abc": one id, as HF's own
trainer does). No difference from standard BPE was found. ignore_merges must stay False: with True, HF would take a
chunk that is itself a vocabulary entry whole, which standard BPE (and we) do not.

Cases (all data generated here, seeded; no downloads):
  A. trained on ~3000 mixed lines (English, regex-like strings such as `([A-Z]).*(dog).*`, code, unicode, odd
     whitespace), vocab 1000 + 2 specials; encodes the training lines and 2500 held-out lines;
  B. trained on random strings over "ab " and "abc " (vocab 500): dense overlapping merges;
  C. a hand-written serialized tokenizer with two merge routes to "abc", loaded by from_text;
  D. A's serialization reloaded: same ids, same sha256 (= hashlib's of the text), and an independent parse of the
     text format gives the driver's merges.
Also: HF decodes our ids back to the text; our decode does too; specials get the last ids and are never produced.
"""
import hashlib
import json
import os
import random
import subprocess
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

import golden_util as gu

DUMP = os.environ.get("JEPA_GOLDEN_bpe_dump", str(gu.BUILD / "tests" / "jepa_golden_bpe_dump"))
SPECIALS = ["<|end|>", "<|pad|>"]

WORDS = ("the quick brown fox jumps over lazy dog a an of to in is was it that for on with as by at from this be are "
         "or not have had but which they you we his her their there were been has more will would about into than "
         "language model training distributed gradient tokenizer embedding representation predictor encoder target "
         "context masked span sequence unbelievable internationalization antidisestablishmentarianism").split()
REGEXES = [r"([A-Z]).*(dog).*", r"^\s*[a-z_]+\d{2,}$", r"(?i)foo|bar", r"\b\w+\b", r"[^\x00-\x7f]+", r"a{2,3}?",
           r"(?P<year>\d{4})-(?P<month>\d\d)", r"\\\\server\\share", r"[ \t]+$", r"(a|b)*c", r".*?", r"\(\)\[\]\{\}"]
UNICODE = ["café naïve résumé", "Ångström Dvořák Łódź", "我爱北京天安门", "東京は日本の首都です", "한국어 텍스트",
           "Привет, мир!", "Ελληνικά", "😀😃 👍🏽 👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "e\u0301 a\u0308", "\u200b\u200d\ufeff",
           "مرحبا بالعالم", "नमस्ते", "ℌ𝔢𝔩𝔩𝔬", "\U0010fffd\ue000"]
CODE = ["def f(x): return x ** 2", "for (int i = 0; i < n; ++i) { s += a[i]; }", '{"key": [1, 2.5, null, true]}',
        "SELECT * FROM t WHERE id = 3;", "x = y if z else None  # comment", "<div class=\"a\">text</div>"]
WHITESPACE = ["", " ", "  ", "   ", " a", "a ", "a  b", " \t a\t", "line1\nline2", "\n", " \n ", "a\r\nb", "\t\t",
              "trailing   ", "   leading", "<|end|>", " <|end|> <|pad|>", "<|end|><|end|>"]


def bytes_to_unicode():
    """GPT-2's byte -> printable character map (as in HF's ByteLevel)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 18))]
    if rng.random() < 0.3:
        words[0] = words[0].capitalize()
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words) + 1), str(rng.randint(0, 10 ** rng.randint(1, 6))))
    return " ".join(words) + rng.choice([".", "!", "?", ",", "", ":", " ..."])


def random_printable(rng):
    return "".join(chr(rng.randint(0x20, 0x7e)) for _ in range(rng.randint(0, 40)))


def random_unicode(rng):
    out = []
    for _ in range(rng.randint(1, 12)):
        c = rng.randrange(0x110000) if rng.random() < 0.3 else rng.randrange(0x3000)
        if 0xD800 <= c <= 0xDFFF:
            c = 0x20
        out.append(chr(c))
    return "".join(out)


def mixed_lines(seed, n):
    rng = random.Random(seed)
    pools = [(0.45, sentence), (0.1, lambda r: r.choice(REGEXES)), (0.1, lambda r: r.choice(UNICODE)),
             (0.06, lambda r: r.choice(CODE)), (0.06, lambda r: r.choice(WHITESPACE)), (0.08, random_printable),
             (0.08, random_unicode),
             (0.07, lambda r: " ".join(r.choice(REGEXES + UNICODE + CODE + [sentence(r)]) for _ in range(3)))]
    lines = []
    for _ in range(n):
        x, acc = rng.random(), 0.0
        for p, f in pools:
            acc += p
            if x < acc:
                break
        lines.append(f(rng))
    return lines


def small_alphabet(seed, n, alphabet):
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def run_dump(work, name, request):
    src, dst = work / f"{name}.in.json", work / f"{name}.out.json"
    src.write_text(json.dumps(request), encoding="utf-8")
    r = subprocess.run([DUMP, str(src), str(dst)], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f"bpe_dump ({name}) failed with {r.returncode}: {r.stderr[-2000:]}")
    return json.loads(dst.read_text(encoding="utf-8"))


def hf_tokenizer(out):
    """HF BPE over our vocabulary (ids < num_tokens; specials are not part of it) and merges, in rank order."""
    strs = ["".join(B2U[b] for b in bytes.fromhex(h)) for h in out["tokens"]]
    vocab = {s: i for i, s in enumerate(strs)}
    if len(vocab) != len(strs):
        sys.exit("duplicate token strings in our vocabulary")
    merges = [(strs[l], strs[r]) for l, r in out["merges"]]
    tok = Tokenizer(models.BPE(vocab, merges, ignore_merges=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(" ", "merged_with_next"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    return tok


def our_chunks(text):
    """Chunking as documented in bpe.hpp (on str; the same cut points as on UTF-8 bytes)."""
    cuts = [0] + [i for i in range(1, len(text)) if text[i] == " "] + [len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def compare(name, out, texts):
    """Our ids == HF's ids; HF and we decode our ids back to the text; no special id is produced."""
    tok = hf_tokenizer(out)
    hf_ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    bad = [i for i, (a, b) in enumerate(zip(out["ids"], hf_ids)) if a != b]
    detail = ""
    if bad:
        i = bad[0]
        detail = f"; first: {texts[i]!r}: ours {out['ids'][i][:20]} hf {hf_ids[i][:20]}"
    gu.check(len(hf_ids) == len(texts) and not bad, f"{name}: ids equal HF's on {len(texts)} texts ({len(bad)} differ){detail}")
    bad_hf_dec = [t for t, ids in zip(texts, out["ids"]) if tok.decode(ids) != t]
    gu.check(not bad_hf_dec, f"{name}: HF decodes our ids to the text ({len(bad_hf_dec)} differ"
                             f"{', first ' + repr(bad_hf_dec[0]) if bad_hf_dec else ''})")
    bad_dec = [t for t, h in zip(texts, out["decoded_hex"]) if bytes.fromhex(h) != t.encode("utf-8")]
    gu.check(not bad_dec, f"{name}: our decode(encode(text)) == text ({len(bad_dec)} differ)")
    top = max((max(ids) for ids in out["ids"] if ids), default=-1)
    gu.check(top < out["num_tokens"], f"{name}: no special id produced (max id {top} < {out['num_tokens']})")
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    n_ids = sum(len(ids) for ids in out["ids"])
    return n_bytes, n_ids


def parse_text_format(text):
    """An independent reader of to_text()'s format (see bpe.hpp) -> (vocab_size, specials, merges as byte pairs)."""
    def unescape(field):
        out, i = bytearray(), 0
        while i < len(field):
            if field[i] == "\\":
                out.append(int(field[i + 2:i + 4], 16))
                i += 4
            else:
                out.append(ord(field[i]))
                i += 1
        return bytes(out)

    lines = text.split("\n")
    assert lines[0] == "jepa-bpe v1" and lines[-1] == "" and lines[-2] == "end", "bad frame"
    vocab_size = int(lines[1].split(" ")[1])
    n_special = int(lines[2].split(" ")[1])
    specials = [unescape(l.split(" ")[1]).decode("utf-8") for l in lines[3:3 + n_special]]
    n_merges = int(lines[3 + n_special].split(" ")[1])
    merges = [tuple(unescape(f) for f in l.split(" ")) for l in lines[4 + n_special:4 + n_special + n_merges]]
    assert 4 + n_special + n_merges == len(lines) - 2, "line count"
    return vocab_size, specials, merges


def main():
    try:
        import tokenizers
        print(f"tokenizers {tokenizers.__version__}")
    except ImportError:
        sys.exit("HF tokenizers is not installed")
    if not os.path.exists(DUMP):
        sys.exit(f"driver not found: {DUMP} (set JEPA_GOLDEN_bpe_dump)")
    work = gu.scratch("bpe_hf")

    # The pre-tokenizer really is our chunking.
    split = pre_tokenizers.Split(" ", "merged_with_next")
    edge = WHITESPACE + ["a  b\n c", "x y  z   ", " é ü 東京 "]
    gu.check(all([p for p, _ in split.pre_tokenize_str(t)] == our_chunks(t) for t in edge),
             "HF Split(' ', merged_with_next) cuts texts as our chunks()")

    # A: mixed text, trained, with specials.
    train = mixed_lines(1, 3000)
    held_out = mixed_lines(2, 2500) + WHITESPACE
    texts = train + held_out
    a = run_dump(work, "mixed", {"train": train, "vocab_size": 1000, "specials": SPECIALS, "encode": texts})
    gu.check(a["vocab_size"] == 1000 and a["num_tokens"] == 998, f"A: vocab_size 1000 = 998 tokens + 2 specials "
                                                                f"(got {a['vocab_size']}, {a['num_tokens']})")
    gu.check(a["special_ids"] == [998, 999], f"A: specials get the last ids ({a['special_ids']})")
    n_bytes, n_ids = compare("A mixed", a, texts)
    gu.check(n_ids < 0.6 * n_bytes, f"A: merges shorten the encoding ({n_ids} ids for {n_bytes} bytes)")
    print(f"     A: train {a['train_s']:.3f} s, encode {len(texts)} texts {a['encode_s']:.3f} s")

    # B: small alphabets, many overlapping candidate pairs.
    for alphabet, seed in (("ab ", 3), ("abc ", 4), ("aab", 5)):
        train_b = small_alphabet(seed, 1500, alphabet)
        texts_b = train_b[:500] + small_alphabet(seed + 100, 1500, alphabet) + ["a" * n for n in range(1, 40)]
        b = run_dump(work, f"small_{seed}", {"train": train_b, "vocab_size": 500, "specials": [], "encode": texts_b})
        gu.check(len(b["merges"]) >= 150, f"B {alphabet!r}: {len(b['merges'])} merges, {b['num_tokens']} tokens")
        compare(f"B {alphabet!r}", b, texts_b)

    # C: a second merge route to an existing token.
    dup = "jepa-bpe v1\nvocab_size 261\nspecials 0\nmerges 6\na b\nab c\nb c\na bc\nbc bc\nabc abc\nend\n"
    c = run_dump(work, "dup", {"tokenizer": dup, "encode": small_alphabet(6, 2000, "abc ") + ["abcabc", "abcbc"]})
    gu.check(c["num_tokens"] == 261 and len(c["merges"]) == 6, f"C: 6 merges, 5 new tokens (got {c['num_tokens']})")
    gu.check(c["tokenizer"] == dup, "C: to_text(from_text(text)) == text")
    compare("C two routes to 'abc'", c, small_alphabet(6, 2000, "abc ") + ["abcabc", "abcbc"])

    # D: serialization.
    d = run_dump(work, "reload", {"tokenizer": a["tokenizer"], "encode": texts})
    gu.check(d["ids"] == a["ids"], "D: a reloaded tokenizer encodes identically")
    gu.check(d["tokenizer"] == a["tokenizer"] and d["sha256"] == a["sha256"], "D: same text and sha256 after reload")
    gu.check(a["sha256"] == hashlib.sha256(a["tokenizer"].encode("utf-8")).hexdigest(), "D: sha256 is of to_text()")
    gu.check(all(32 <= ord(ch) < 127 or ch == "\n" for ch in a["tokenizer"]), "D: the text is printable ASCII")
    vocab_size, specials, merges = parse_text_format(a["tokenizer"])
    tok_bytes = [bytes.fromhex(h) for h in a["tokens"]]
    gu.check(vocab_size == 1000 and specials == SPECIALS, "D: header and specials parse back")
    gu.check(merges == [(tok_bytes[l], tok_bytes[r]) for l, r in a["merges"]], "D: merges parse back")

    gu.exit_if_failed("test_bpe_hf")


if __name__ == "__main__":
    main()
