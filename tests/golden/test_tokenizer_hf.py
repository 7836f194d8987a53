"""Golden test: jepa_prep's token ids equal HF `tokenizers` BertWordPieceTokenizer(vocab, lowercase=True).

Generates a deterministic (seeded) corpus of varied lines -- English, accents, CJK, Greek/Cyrillic, emoji, punctuation
runs, digits, URLs, words over 100 characters, control characters, tabs, special-token literals, random code points
(including characters whose Unicode category changed across versions) and very long lines -- runs jepa_prep on it for
max_length 512 and 16, and compares every document with the reference encoding (specials removed, same truncation).

Line contract (the reference reads the file with Python text iteration and `line.strip()`, dropping empty lines):
lines are split on '\n' only (no line here contains '\r'; U+0085, U+2028, \x0b, \x0c, \x1c.. stay inside a line),
stripped with str.strip() semantics (Unicode whitespace), and skipped when empty after stripping. A line that is not
empty after stripping but has no tokens (e.g. only U+200B) is still a document, with an empty body.
"""
import random
import sys

import h5py
import numpy as np

import golden_util as gu

N_RANDOM_LINES = 1500
MAX_LENGTHS = (512, 16)

WORDS = ("the quick brown fox jumps over lazy dog a an of to in is was it that for on with as by at from this be are "
         "or not have had but which they you we his her their there were been has more will would about into than "
         "language model training distributed gradient tokenizer embedding representation predictor encoder target "
         "context masked span sequence unbelievable internationalization antidisestablishmentarianism").split()
ACCENTED = ("café naïve Ångström résumé façade jalapeño Müller São Paulo Dvořák Łódź İstanbul straße Æsir œuvre "
            "ﬁnancial coöperate Crème brûlée Zoë Ñandú Škoda Ærøskøbing déjà vu fiancée Éire ÀÉÎÕÜ").split()
CJK = ["我爱北京天安门", "東京は日本の首都です", "한국어 텍스트입니다", "中文，标点。", "漢字かなカナ混じり文",
       "\U00020000\U0002A6D6\U0002B740\U0002B81D\U0002B820\U0002B91F\U0002B920\U0002CEAF\U0002CEB0\U00030000",
       "\uF900\uFA6D\U0002F800", "日本語のテキストtokyo東京2024年"]
GREEK_CYRILLIC = ["ΣΑΣ σας Οδυσσεύς ΆΈΉ", "Ελληνικά γράμματα: αβγδε", "Привет, мир! Ёлка ёж",
                  "Съешь же ещё этих мягких французских булок", "Ѐ Ѝ ѐ ѝ Ґґ Ії Єє"]
EMOJI = ["😀😃😄", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family", "🇫🇷🇯🇵 flags", "1️⃣ keycap", "❤️ love", "🥰🫠 new ones",
         "☃ snowman ★ ♥ ♪", "text😀text"]
PUNCT = ["!!!???...", "—–‐-", "«quoted» „German“ “curly” ‘single’", "¿Qué? ¡Sí!", "、。「」『』【】",
         "(((nested)))", "a...b...c", "$100 + 20% = <x> ^ `y` | ~z", "@#&*_\\/", "…‥‧", "᙭ ᠆ ߸ ܀", "--->", "e.g., i.e.;"]
DIGITS = ["3.14159", "1,000,000", "2024-01-31", "٣٤٥ ١٢", "１２３ ＡＢＣ", "x² + y³", "½ ¼ ¾", "Ⅻ ① ⑳", "007", "१२३"]
URLS = ["https://example.com/path?q=1&r=2#frag", "http://www.test.org/a_b-c.html", "user.name+tag@mail.example.org",
        "ftp://files.host.net:21/pub/file.tar.gz", "C:\\Users\\me\\file.txt", "/usr/local/bin/python3"]
CONTROLS = ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\x0b", "\x0c", "\x1c", "\x1f", "\u200b", "\u200d",
            "\u200e", "\ufeff", "\ufffd", "\ue000", "\U000F0000", "\xad", "\u0890", "\U000E0001", "\t", "\u2028",
            "\u2029", "\u00a0", "\u3000", "\u1680", "\u2009"]
SPECIALS = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", "[cls]", "[Sep]", "[CLS", "SEP]", "[[MASK]]", "[ CLS ]"]
SCRIPTS = ["مرحبا بالعالم", "שָׁלוֹם עוֹלָם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "ᚠᚢᚦᚨᚱᚲ", "ꭰꭱꭲ Ꭰ",
           "ǅungla ǈ ǋ", "ﬀ ﬃ ﬆ", "Ａｂｃ", "ℌ𝔢𝔩𝔩𝔬 𝐛𝐨𝐥𝐝", "a\u0301\u0327\u0316e\u0308\u0301", "\u1e9e \u0130 \u0131"]
# Characters where the library's mixed Unicode versions show (category tables of Unicode 8.0, NFD of 9.0,
# lowercase of Rust std): see src/data/tokenizer.cpp.
VERSION_EDGE = ["\u166d", "\U000111c9", "\u1734", "\u1885", "\u1886", "\ua9bd", "\u07fd", "\u0898", "\u08ca",
                "\U00011938", "\u1c89", "\ua7cb", "\ua7dc", "\U00010d50", "\U00016ea0", "\u0e4e", "\u0f39",
                "\U0001d165\U0001d16d", "\u0345", "\u05b0", "\u0334", "\u0301", "\u093c", "\u3099", "\U0001e944"]


def random_codepoint(rng):
    while True:
        c = rng.randrange(0x110000) if rng.random() < 0.5 else rng.randrange(0x3000)
        if not (0xD800 <= c <= 0xDFFF) and c not in (0x0A, 0x0D):
            return chr(c)


def piece(rng):
    r = rng.random()
    if r < 0.35:
        w = rng.choice(WORDS)
        return w.capitalize() if rng.random() < 0.2 else (w.upper() if rng.random() < 0.05 else w)
    pools = [ACCENTED, CJK, GREEK_CYRILLIC, EMOJI, PUNCT, DIGITS, URLS, CONTROLS, SPECIALS, SCRIPTS, VERSION_EDGE]
    if r < 0.85:
        return rng.choice(rng.choice(pools))
    if r < 0.95:
        return "".join(random_codepoint(rng) for _ in range(rng.randint(1, 6)))
    n = rng.choice([99, 100, 101, 150, 300])
    return "".join(rng.choice("abcdefghij") for _ in range(n))


def separator(rng):
    r = rng.random()
    if r < 0.75:
        return " "
    if r < 0.85:
        return ""
    return rng.choice(["  ", "\t", " \t ", "\u3000", "\x00", "\u200b", "\u00a0", "\x85"])


def make_line(rng):
    kind = rng.random()
    if kind < 0.03:  # very long line: truncation at both max lengths
        n = rng.randint(400, 1500)
    elif kind < 0.1:
        n = 1
    else:
        n = rng.randint(2, 40)
    parts = []
    for _ in range(n):
        parts.append(piece(rng))
        parts.append(separator(rng))
    line = "".join(parts)
    if rng.random() < 0.1:  # leading/trailing whitespace of all kinds: stripped
        line = rng.choice([" ", "\t", "\u3000 ", "\x1c", "\x85", "\u2029"]) + line + rng.choice(["  ", "\t", "\x1f", "\u00a0"])
    return line.replace("\n", " ").replace("\r", " ")


def make_lines():
    rng = random.Random(20240531)
    fixed = ["Hello, world!", "Café naïve Ångström", "我爱北京", "a" * 101, "a" * 100, "hello[MASK]world [cls]",
             "x\tb\x01c\x00d\u200be", "\u200b", "\x00", "[CLS]", "[SEP] [PAD]", "ΣΑΣ İstanbul",
             " ".join(WORDS) * 8]
    lines = fixed + [make_line(rng) for _ in range(N_RANDOM_LINES)]
    out = []
    for line in lines:
        if not line.strip():
            line = line + "x"
        assert "\n" not in line and "\r" not in line
        out.append(line)
    return out


def reference(lines, vocab, max_length):
    from tokenizers import BertWordPieceTokenizer
    tok = BertWordPieceTokenizer(str(vocab), lowercase=True)
    tok.enable_truncation(max_length=max_length)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    bodies = []
    for enc in tok.encode_batch([l.strip() for l in lines]):
        ids = enc.ids
        assert ids[0] == cls and ids[-1] == sep, ids
        bodies.append(ids[1:-1])
    return bodies


def prep(text, max_length):
    out = gu.scratch(f"tokenizer_hf_{max_length}")
    h5 = gu.prepare_corpus(out, text=text, max_length=max_length)
    with h5py.File(h5, "r") as f:
        tokens = np.asarray(f["tokens"][...]).astype(np.int64)
        offsets = np.asarray(f["offsets"][...]).astype(np.int64)
    return [tokens[offsets[i]:offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]


def show(s, limit=160):
    r = ascii(s)
    return r if len(r) <= limit else r[:limit] + "...'"


def main():
    vocab = gu.vocab_path()
    lines = make_lines()
    # A few blank-after-strip lines among them: the reference drops them, and so must jepa_prep.
    blanks = ["   ", "\t", "\u3000", "\x1c\x1d", "\x85", " \u2028 \u00a0"]
    text_lines = list(lines)
    for i, b in enumerate(blanks):
        text_lines.insert(5 + 97 * i, b)
    text = "\n".join(text_lines) + "\n"
    print(f"{len(lines)} documents ({len(text_lines)} input lines, {len(blanks)} blank after strip), "
          f"{len(text.encode('utf-8'))} bytes")

    failed = False
    for max_length in MAX_LENGTHS:
        want = reference(lines, vocab, max_length)
        got = prep(text, max_length)
        if len(got) != len(want):
            print(f"max_length {max_length}: jepa_prep wrote {len(got)} documents, reference has {len(want)} "
                  f"(line splitting / strip / blank-line handling differs)")
            failed = True
            continue
        bad = [i for i in range(len(want)) if got[i] != want[i]]
        n_tok = sum(len(w) for w in want)
        print(f"max_length {max_length}: {len(want)} documents, {n_tok} tokens, {len(bad)} mismatches")
        for i in bad[:5]:
            w, g = want[i], got[i]
            first = next((k for k in range(min(len(w), len(g))) if w[k] != g[k]), min(len(w), len(g)))
            print(f"  doc {i}: {show(lines[i])}\n    first difference at token {first}\n"
                  f"    hf  {w[max(0, first - 3):first + 8]} (len {len(w)})\n"
                  f"    got {g[max(0, first - 3):first + 8]} (len {len(g)})")
        failed |= bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
