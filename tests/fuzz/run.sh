#!/bin/bash
# make fuzz: runs each harness for FUZZ_SECONDS (FUZZ_JOBS at a time) on a
# working copy of its committed seed corpus, then prints executions and
# coverage (cov: edges, ft: features, from libFuzzer's final report).
# New inputs stay in $BUILD/fuzzer/corpus/NAME; a crash leaves its input in
# $BUILD/fuzzer/artifacts/ and makes this script fail. Usage: run.sh [NAME...]
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make fuzz)}"
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-2}
OUT=$BUILD/fuzzer
[ $# -gt 0 ] || set -- fuzz_login fuzz_config fuzz_secrets fuzz_conflex fuzz_cfparse fuzz_index fuzz_index_sealed fuzz_ldap_map
mkdir -p "$OUT/corpus" "$OUT/artifacts" "$OUT/logs"
FUZZ_TMPDIR=$(mktemp -d /tmp/mailacct-fuzz.XXXXXX) || exit 1
export FUZZ_TMPDIR
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}

one() {
        name=$1
        seeds=tests/fuzz/corpus/${name%_sealed}
        dict=tests/fuzz/dict/${name#fuzz_}.dict
        args=(-max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
                -artifact_prefix="$OUT/artifacts/$name-" -error_exitcode=1)
        case $name in
        fuzz_login) args+=(-max_len=512) ;;
        fuzz_index*) args+=(-max_len=16384) ;;
        *) args+=(-max_len=8192) ;;
        esac
        [ -f "$dict" ] && args+=(-dict="$dict")
        mkdir -p "$OUT/corpus/$name"
        "$OUT/$name" "${args[@]}" "$OUT/corpus/$name" "$seeds" tests/fuzz/regressions/$name >"$OUT/logs/$name.log" 2>&1
        echo $? >"$OUT/logs/$name.rc"
}

running=0
for name in "$@"; do
        [ -x "$OUT/$name" ] || { echo "fuzz: $OUT/$name not built"; exit 1; }
        echo "fuzz: $name for ${SECONDS_EACH}s (log $OUT/logs/$name.log)"
        one "$name" &
        running=$((running + 1))
        if [ $running -ge "$JOBS" ]; then
                wait -n
                running=$((running - 1))
        fi
done
wait

fail=0
printf '%-18s %12s %8s %8s %8s %s\n' harness execs exec/s cov ft result
for name in "$@"; do
        log=$OUT/logs/$name.log
        rc=$(cat "$OUT/logs/$name.rc" 2>/dev/null || echo 1)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
        cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        ft=$(printf '%s\n' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
        result=ok
        if [ "$rc" != 0 ]; then
                result="FAILED (exit $rc; see $log)"
                fail=1
        fi
        printf '%-18s %12s %8s %8s %8s %s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
ls "$OUT"/artifacts/ 2>/dev/null | sed 's/^/artifact: /'
exit $fail
