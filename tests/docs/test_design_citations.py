"""Every "design.md §N" / "design.md §N.M" cited in the code, tests, scripts and docs names a section that exists
in docs/design.md (headings "## N." and "### N.M"), so a newcomer can always follow a reference."""
import os
import pathlib
import re
import sys

SOURCE = pathlib.Path(os.environ.get("JEPA_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CITE = re.compile(r"design\.md[^§\n]{0,40}?§\s?(\d+(?:\.\d+)?)")
MORE = re.compile(r"^,\s*§\s?(\d+(?:\.\d+)?)")  # "design.md §3, §5"


def sections():
    found = set()
    for line in (SOURCE / "docs" / "design.md").read_text().splitlines():
        m = re.match(r"^#{2,3}\s+(\d+(?:\.\d+)?)[.\s]", line)
        if m:
            found.add(m.group(1))
    return found


def citations():
    for folder in ("src", "tests", "bench", "launch", "cluster", "tools", "docs", "configs", "datasets", "README.md"):
        for path in sorted((SOURCE / folder).rglob("*")) if (SOURCE / folder).is_dir() else [SOURCE / folder]:
            if path.is_dir() or path.suffix not in {".cpp", ".hpp", ".py", ".sh", ".md", ".txt", ".sbatch", ".yaml"}:
                continue
            if path.name == "design.md":
                continue
            for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                for m in CITE.finditer(line):
                    yield path, n, m.group(1)
                    rest = line[m.end():]
                    while (k := MORE.match(rest)):
                        yield path, n, k.group(1)
                        rest = rest[k.end():]


def main():
    have = sections()
    if not {"1", "3", "5", "6"} <= have:
        sys.exit(f"docs/design.md lacks its numbered sections (found {sorted(have)})")
    cited = list(citations())
    missing = [f"{p.relative_to(SOURCE)}:{n}: design.md §{s}" for p, n, s in cited if s not in have]
    print(f"{len(cited)} citations of design.md, {len(have)} sections")
    if len(cited) < 5:
        sys.exit("expected the code to cite design.md (found fewer than 5 citations)")
    if missing:
        sys.exit("citations of missing design.md sections:\n" + "\n".join(missing))
    print("design.md citations OK")


if __name__ == "__main__":
    main()
