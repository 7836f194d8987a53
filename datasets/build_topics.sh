#!/usr/bin/env bash
# Builds the offline topic-classification split (the `jepa_eval --probe-*` benchmark) from the Debian fortune-cookie
# databases, and the pretraining text that is disjoint from it.
#
#   datasets/build_topics.sh [--seed S] [--per-class N] [--min-entries N] [--no-install] [--out DIR]
#
# Writes (atomically; the same inputs and options give the same bytes, so re-running is harmless):
#   DIR/train.tsv, DIR/test.tsv   `label<TAB>text`, one fortune a line; label = the fortune file's name (computers,
#                                 food, law, love, politics, science, sports, startrek, ...)
#   DIR/pretrain.txt              every other fortune, one a line: the complement of the split, for jepa_prep
#   DIR/categories.tsv            category, entries, train, test, pretrain
# (DIR defaults to datasets/build/topics.)
#
# Recipe (datasets/README.md):
#   1. Entries: every data file in $FORTUNES_DIR (default /usr/share/games/fortunes), entries separated by lines
#      holding only `%`; each entry's lines joined with single spaces, whitespace (tabs included) squeezed. Skipped
#      like datasets/build_fortunes.sh skips them: `.dat` indexes, `.u8` links, the offensive `off/` folder, and
#      $FORTUNES_EXCLUDE (default ascii-art).
#   2. Duplicates: an entry is kept once per category; an entry found in two categories has no single label and
#      goes to pretrain.txt only.
#   3. Categories with at least --min-entries (default 100) distinct entries are the classes. Each category's
#      entries are ordered by SHA-256(seed, category, text) (a keyed shuffle: deterministic, independent of file
#      order and of the other categories); the first --per-class (default 200) are split half/half, the first half
#      (rounded up) to train. So the classes are nearly balanced (chance = 1/classes) and every category larger than
#      the cap leaves the rest of its entries to pretraining.
#   4. pretrain.txt: every distinct entry (all categories, small ones included) whose text is in neither split.
#
# Options and environment:
#   --seed S / TOPICS_SEED            split seed (default 0)
#   --per-class N                     entries per category taken into the split (default 200; 0 = all)
#   --min-entries N                   smallest category kept as a class (default 100)
#   --no-install                      never call apt-get (the `fortunes` package must be installed)
#   --out DIR / OUT_DIR               output folder (default datasets/build/topics; git-ignored)
#   FORTUNES_DIR, FORTUNES_EXCLUDE (space-separated file names)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SEED="${TOPICS_SEED:-0}"
PER_CLASS=200
MIN_ENTRIES=100
INSTALL=1
FORTUNES_DIR="${FORTUNES_DIR:-/usr/share/games/fortunes}"
FORTUNES_EXCLUDE="${FORTUNES_EXCLUDE:-ascii-art}"
OUT="${OUT_DIR:-$ROOT/datasets/build/topics}"

die() { echo "build_topics: error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
uint() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 expects a non-negative integer, got '$2'"; echo "$2"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --seed) SEED="$(uint --seed "${2:-}")"; shift 2 ;;
    --per-class) PER_CLASS="$(uint --per-class "${2:-}")"; shift 2 ;;
    --min-entries) MIN_ENTRIES="$(uint --min-entries "${2:-}")"; shift 2 ;;
    --out) OUT="${2:?--out needs a folder}"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
uint TOPICS_SEED "$SEED" >/dev/null
[ "$MIN_ENTRIES" -ge 2 ] || die "--min-entries must be at least 2 (a class needs a train and a test entry)"

# The full collection is the Debian package `fortunes` (fortunes-min has three files only). A FORTUNES_DIR of your
# own is read as it is.
SYSTEM_DIR=/usr/share/games/fortunes
if [ "$FORTUNES_DIR" = "$SYSTEM_DIR" ] && [ ! -f "$SYSTEM_DIR/computers" ]; then
  [ "$INSTALL" = 1 ] && command -v apt-get >/dev/null ||
    die "no fortune collection in $SYSTEM_DIR: install the Debian package 'fortunes' (launch/install_deps.sh does)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "build_topics: installing the Debian package fortunes with apt-get" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fortunes >/dev/null ||
    { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends fortunes >/dev/null; } || die "apt-get could not install fortunes"
  [ -f "$SYSTEM_DIR/computers" ] || die "the fortunes package installed nothing into $SYSTEM_DIR"
fi
[ -d "$FORTUNES_DIR" ] || die "no fortune directory $FORTUNES_DIR"

mkdir -p "$OUT"
python3 - "$FORTUNES_DIR" "$FORTUNES_EXCLUDE" "$OUT" "$SEED" "$PER_CLASS" "$MIN_ENTRIES" <<'PY'
import hashlib, os, re, sys

src, exclude, out, seed, per_class, min_entries = sys.argv[1], set(sys.argv[2].split()), sys.argv[3], *map(int, sys.argv[4:])
SPACE = re.compile(r"[ \t\r\f\v]+")
SEP = re.compile(r"^%[ \t\r]*$")

def entries(path):
    buf = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if SEP.match(line):
                if buf: yield " ".join(buf)
                buf = []
                continue
            line = SPACE.sub(" ", line).strip()
            if line: buf.append(line)
    if buf: yield " ".join(buf)

files = sorted(n for n in os.listdir(src)
               if os.path.isfile(os.path.join(src, n)) and not os.path.islink(os.path.join(src, n))
               and not n.endswith((".dat", ".u8", ".gz")) and not n.startswith("README") and n not in exclude)
if not files: sys.exit(f"build_topics: error: no fortune files in {src}")
order, by_cat, cats_of = [], {}, {}   # all distinct entries in file order; each file's; each entry's files
for name in files:
    by_cat[name] = list(dict.fromkeys(entries(os.path.join(src, name))))
    for e in by_cat[name]:
        if e not in cats_of:
            cats_of[e] = []
            order.append(e)
        cats_of[e].append(name)
# Entries of a single category only (those in two categories have no label).
labelled = {c: [e for e in es if len(cats_of[e]) == 1] for c, es in by_cat.items()}
classes = sorted(c for c, es in labelled.items() if len(es) >= min_entries)
if len(classes) < 2:
    sys.exit(f"build_topics: error: fewer than 2 categories with >= {min_entries} entries in {src}")

key = lambda c, e: hashlib.sha256(f"{seed}\0{c}\0{e}".encode()).digest()
train, test, rows = [], [], []
for c in classes:
    es = sorted(labelled[c], key=lambda e: key(c, e))
    take = es if per_class == 0 else es[:per_class]
    half = (len(take) + 1) // 2
    train += [(c, e) for e in take[:half]]
    test += [(c, e) for e in take[half:]]
    rows.append([c, len(labelled[c]), half, len(take) - half])
in_split = {e for _, e in train} | {e for _, e in test}
pretrain = [e for e in order if e not in in_split]
left = {}
for e in pretrain:
    left[cats_of[e][0]] = left.get(cats_of[e][0], 0) + 1

def write(name, lines):
    tmp = os.path.join(out, name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(l + "\n" for l in lines)
    os.replace(tmp, os.path.join(out, name))

write("train.tsv", [f"{c}\t{e}" for c, e in train])
write("test.tsv", [f"{c}\t{e}" for c, e in test])
write("pretrain.txt", pretrain)
write("categories.tsv", ["category\tentries\ttrain\ttest\tpretrain"] +
      ["\t".join(map(str, r + [left.get(r[0], 0)])) for r in rows])
print(f"build_topics: {len(classes)} classes (categories with >= {min_entries} entries of {len(files)} files), "
      f"seed {seed}, <= {per_class or 'all'} per class: train {len(train)}, test {len(test)}, "
      f"pretrain {len(pretrain)} (disjoint from the split), "
      f"{sum(len(v) > 1 for v in cats_of.values())} entries in several categories left unlabelled -> {out}")
PY
