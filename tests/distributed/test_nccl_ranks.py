"""The NCCL backend across two real ranks (tests/distributed/test_nccl.cpp, Nccl.TwoRanksSumAndBroadcast): runs
`mpirun -np 2` of the gtest binary when at least 2 GPUs are visible and checks that both ranks passed; on a machine
with fewer GPUs it says so and does nothing else (the CPU multi-rank path is covered by the MPI tests)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402


def main():
    import torch
    gpus = torch.cuda.device_count()
    if gpus < 2:
        print(f"SKIP: {gpus} GPU(s) visible; the 2-rank NCCL test needs 2")
        return
    binary = gu.BUILD / "tests/jepa_tests_distributed"
    r = subprocess.run([gu.MPIEXEC, *gu.MPI_FLAGS, "-np", "2", str(binary), "--gtest_filter=Nccl.TwoRanks*"],
                       capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    passed = out.count("[  PASSED  ] 1 test")
    print(out[-3000:])
    if r.returncode != 0 or passed != 2 or "SKIPPED" in out:
        sys.exit(f"2-rank NCCL test failed (exit {r.returncode}, {passed} of 2 ranks passed)")
    print("2-rank NCCL OK")


if __name__ == "__main__":
    main()
