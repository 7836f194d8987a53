"""requirements.txt pins every Python package exactly, and the installed versions are those pins: an upgrade that
did not go through requirements.txt (and therefore through this test suite) fails here, naming the package."""
import os
import re
import sys
from importlib import metadata

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402


def main():
    failures, pins = [], 0
    for line in (gu.SOURCE / "requirements.txt").read_text().splitlines():
        spec = line.split("#")[0].strip()
        if not spec:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.]+)", spec)
        if not m:
            failures.append(f"not an exact pin: {spec!r}")
            continue
        pins += 1
        try:
            have = metadata.version(m.group(1))
        except metadata.PackageNotFoundError:
            failures.append(f"{m.group(1)}: not installed (pinned {m.group(2)})")
            continue
        if have.split("+")[0] != m.group(2):
            failures.append(f"{m.group(1)}: installed {have}, pinned {m.group(2)}")
    install = (gu.SOURCE / "launch/install_deps.sh").read_text()
    if "requirements.txt" not in install:
        failures.append("launch/install_deps.sh does not install from requirements.txt")
    if pins < 5:
        failures.append(f"only {pins} pins found")
    if failures:
        sys.exit("\n".join(failures))
    print(f"requirements OK: {pins} exact pins installed")


if __name__ == "__main__":
    main()
