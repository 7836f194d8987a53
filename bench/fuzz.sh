#!/usr/bin/env bash
# Fuzzes every parser target (tests/fuzz/fuzz_*.cpp) for SECONDS each with libFuzzer + AddressSanitizer +
# UndefinedBehaviorSanitizer (clang), starting from the saved corpus, and prints executions and findings per target.
#   bash bench/fuzz.sh [SECONDS=60] [--save]        (TARGETS="config corpus" limits the run to some targets)
# --save merges the inputs that add coverage into tests/fuzz/corpus/<target>/ (minimised; commit them): CI replays
# that corpus on every run (fuzz.replay_<target> in CTest), so whatever was found stays fixed.
# A finding is written to build-fuzz/findings/<target>/ and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
SAVE=0
[ "${2:-}" = "--save" ] && SAVE=1
if ! command -v clang++ >/dev/null || ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  apt-get install -y -q clang libclang-rt-dev >/dev/null 2>&1 || apt-get install -y -q clang >/dev/null
fi
B=build-fuzz
cmake -S tests/fuzz -B $B -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=None >$B.configure.log 2>&1 \
  || { cat $B.configure.log; exit 1; }
cmake --build $B -j "${JOBS:-2}" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
printf '%-12s %12s %10s %8s %s\n' target executions exec/s corpus findings
for t in ${TARGETS:-config safetensors corpus tokenizer}; do
  work=$B/work/$t
  findings=$B/findings/$t
  rm -rf "$work" "$findings" && mkdir -p "$work" "$findings"
  cp tests/fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
  log=$B/$t.log
  set +e
  ./$B/fuzz_$t "$work" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  found=$(ls "$findings" | wc -l)
  printf '%-12s %12s %10s %8s %s\n' "$t" "$runs" "$rate" "$(ls "$work" | wc -l)" "$found"
  if [ $rc -ne 0 ] || [ "$found" -gt 0 ]; then
    status=1
    grep -m5 -E 'ERROR|invariant|error message|not a ConfigError|SUMMARY' "$log" || tail -5 "$log"
  fi
  if [ $SAVE = 1 ]; then
    mkdir -p tests/fuzz/corpus/$t
    ./$B/fuzz_$t -merge=1 tests/fuzz/corpus/$t "$work" >/dev/null 2>&1
  fi
done
exit $status
