"""bench/gpu_check.sh --dry-run (docs/gpu.md) on a machine without a GPU: with the build's tools it checks everything
up to the first GPU call (tools load, every planned jepa_dist configuration is accepted, corpora, torch and the
PyTorch reference, mpirun) and prints every planned check, exit 0; a tools directory without jepa_dist fails at once
with one clear line.
"""
import os
import pathlib
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

SCRIPT = gu.SOURCE / "bench" / "gpu_check.sh"
CHECKS = ["cuda_cpu_parity", "nccl_1rank", "two_ranks_one_gpu_refused", "nccl_multi_gpu_equivalence",
          "bf16_smoke_200", "gpu_resume_bitexact", "throughput_bert_base_seq128_bf16"]


def gpu_check(*args, timeout=600):
    cmd = ["bash", str(SCRIPT), *args]
    mpiexec = os.environ.get("JEPA_MPIEXEC")
    if mpiexec:
        cmd += ["--mpirun", mpiexec]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=gu.SOURCE)


def main():
    work = gu.scratch("gpu_check")
    tools = pathlib.Path(gu.DIST).parent
    failures = []

    # The dry run against the build: exit 0, every check planned with its command, nothing on a GPU.
    r = gpu_check("--dry-run", "--tools", str(tools), "--work", str(work / "dry"))
    text = r.stdout + r.stderr
    if r.returncode != 0:
        failures.append(f"dry run exit {r.returncode}:\n{text[-3000:]}")
    for name in CHECKS:
        lines = [l for l in r.stdout.splitlines() if l.startswith(f"DRY {name}")]
        if len(lines) != 1 or ("jepa_dist" not in lines[0] and "python" not in lines[0]):
            failures.append(f"dry run does not plan '{name}' exactly once with its command: {lines}")
    for expected in ("jepa_dist accepts every planned configuration", "PyTorch reference", "dry run OK: 7 checks"):
        if expected not in r.stdout:
            failures.append(f"dry run output lacks '{expected}'")
    if any(l.startswith(("PASS ", "FAIL ", "SKIP ")) for l in r.stdout.splitlines()):
        failures.append("the dry run reported a check result: it must stop before the first GPU call")

    # A tools directory without jepa_dist: fails before anything else, with one line naming what is missing.
    broken = work / "tools_without_dist"
    broken.mkdir()
    shutil.copy2(tools / "jepa_prep", broken / "jepa_prep")
    r = gpu_check("--dry-run", "--tools", str(broken), "--work", str(work / "broken"), timeout=300)
    err = [l for l in r.stderr.splitlines() if l.strip()]
    if r.returncode == 0:
        failures.append("a tools directory without jepa_dist passed the dry run")
    if len(err) != 1 or not err[0].startswith("gpu_check: FAIL setup: no executable jepa_dist in " + str(broken)):
        failures.append(f"expected one line 'gpu_check: FAIL setup: no executable jepa_dist in {broken} ...', "
                        f"got stderr {r.stderr!r}")
    if "DRY " in r.stdout:
        failures.append("planned checks were printed although the setup failed")

    # An unknown check name for --only is refused too.
    r = gpu_check("--dry-run", "--tools", str(tools), "--work", str(work / "dry"), "--only", "no_such_check")
    if r.returncode == 0 or "no_such_check: no such check" not in r.stderr:
        failures.append(f"--only no_such_check: exit {r.returncode}, stderr {r.stderr[-500:]!r}")

    if failures:
        sys.exit("\n".join(failures))
    print("gpu_check dry run OK")


if __name__ == "__main__":
    main()
