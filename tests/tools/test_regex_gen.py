"""jepa_regex_gen as a user meets it (docs/regex_task.md): the two JSONL files with the counts asked for, no regex
in both, byte-identical for the same seed, the chat form carrying the same pairs, --equiv for scripts, and one-line
errors with exit 2 for bad arguments."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

GEN = os.environ.get("JEPA_REGEX_GEN", str(gu.BUILD / "src/tools/jepa_regex_gen"))
check = gu.check


def gen(*args):
    return subprocess.run([GEN, *map(str, args)], capture_output=True, text=True, timeout=300)


def lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def one_line_error(r, code=2):
    err = r.stderr.strip().splitlines()
    return r.returncode == code and len(err) == 1 and err[0].startswith("jepa_regex_gen: ") and not r.stdout


def main():
    if not os.path.exists(GEN):
        sys.exit(f"{GEN} is not built (cmake --build BUILD --target jepa_regex_gen)")
    work = gu.scratch("regex_gen")

    r = gen("--help")
    check(r.returncode == 0 and "--equiv" in r.stdout, "--help")

    a, b, c = work / "a", work / "b", work / "chat"
    r = gen("--out", a, "--train", 300, "--test", 50, "--seed", 3)
    check(r.returncode == 0 and "300 train and 50 test" in r.stdout, f"writes the files: {r.stdout}{r.stderr}")
    train, test = lines(a / "train.jsonl"), lines(a / "test.jsonl")
    check(len(train) == 300 and len(test) == 50, f"counts as asked ({len(train)}, {len(test)})")
    check(all(set(x) == {"text", "code"} and x["text"].startswith("lines ") for x in train + test), "text format")
    check(not {x["code"] for x in train} & {x["code"] for x in test}, "train and test share no regex")
    check(len({x["code"] for x in train + test}) == 350, "all regexes distinct")
    check(sorted(p.name for p in a.iterdir()) == ["test.jsonl", "train.jsonl"], "no .tmp files left")

    gen("--out", b, "--train", 300, "--test", 50, "--seed", 3)
    check((a / "train.jsonl").read_bytes() == (b / "train.jsonl").read_bytes()
          and (a / "test.jsonl").read_bytes() == (b / "test.jsonl").read_bytes(), "same seed, same bytes")
    gen("--out", b, "--train", 300, "--test", 50, "--seed", 4)
    check((a / "train.jsonl").read_bytes() != (b / "train.jsonl").read_bytes(), "another seed, other pairs")

    r = gen("--out", c, "--train", 300, "--test", 50, "--seed", 3, "--format", "chat")
    chat = lines(c / "train.jsonl")
    roles = [[m["role"] for m in x["messages"]] for x in chat]
    check(r.returncode == 0 and all(x == ["system", "user", "assistant"] for x in roles), "chat format roles")
    check([(x["messages"][1]["content"], x["messages"][2]["content"]) for x in chat]
          == [(x["text"], x["code"]) for x in train], "chat format carries the same pairs")
    check(chat[0]["messages"][0]["content"] == "Convert natural language to regular expression.", "default system prompt")

    r = gen("--equiv", "([a-z])|([A-Z])", "[A-Za-z]")
    check(r.returncode == 0 and r.stdout.strip() == "equivalent", f"--equiv equivalent: {r.stdout}")
    r = gen("--equiv", "(dog)+", "(dog)*")
    check(r.returncode == 0 and r.stdout.startswith("different: \"\" is matched by the second only"),
          f"--equiv different: {r.stdout}")
    check(one_line_error(gen("--equiv", "[A-Z", ".*")), "--equiv with a malformed regex")
    check(one_line_error(gen("--equiv", ".*")), "--equiv with one regex")

    for bad in (["--train", 1, "--test", 1], ["--out", work / "x", "--train", "many", "--test", 1],
                ["--out", work / "x", "--train", -1, "--test", 1], ["--out", work / "x", "--train", 1],
                ["--out", work / "x", "--train", 1, "--test", 1, "--format", "yaml"], ["--bogus"],
                ["--out", work / "x", "--train", 10**9, "--test", 1]):
        r = gen(*bad)
        check(one_line_error(r), f"bad arguments {bad[-2:]}: exit {r.returncode}, {r.stderr.strip()}")
    check(not (work / "x").exists(), "bad arguments write nothing")

    blocker = work / "file"
    blocker.write_text("not a directory")
    check(one_line_error(gen("--out", blocker, "--train", 5, "--test", 1), code=1), "--out is a file: exit 1")

    gu.exit_if_failed("regex_gen")


if __name__ == "__main__":
    main()
