#!/bin/bash
# make check's share of fuzzing: each harness replays every committed seed
# and every input that once found a defect (tests/fuzz/regressions), then
# fuzzes for FUZZ_SMOKE_SECONDS (default 10) from there. A crash, a
# sanitizer report or a broken invariant fails the suite. The harnesses are
# their own ASan+UBSan build, so `make asan` skips this (it ran already).
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"
OUT=$BUILD/fuzzer
SMOKE=${FUZZ_SMOKE_SECONDS:-10}

case $BUILD in
*/asan) echo "SKIP: the harnesses are the same ASan+UBSan binaries in every build; run by make check"; exit 77 ;;
esac
if [ ! -x "$OUT/fuzz_login" ]; then
        echo "SKIP: harnesses not built (clang with libFuzzer missing: apt-get install clang libclang-rt-14-dev)"
        exit 77
fi
TMP=$(mktemp -d /tmp/mailacct-fuzz-smoke.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
export FUZZ_TMPDIR=$TMP
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0

fail=0
for name in fuzz_login fuzz_config fuzz_secrets fuzz_conflex fuzz_cfparse fuzz_index fuzz_index_sealed fuzz_import fuzz_ldap_map; do
        seeds=tests/fuzz/corpus/${name%_sealed}
        regr=tests/fuzz/regressions/$name
        dict=tests/fuzz/dict/${name#fuzz_}.dict
        args=(-max_total_time="$SMOKE" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1
                -artifact_prefix="$TMP/$name-" -print_final_stats=1)
        [ -f "$dict" ] && args+=(-dict="$dict")
        dirs=("$TMP/corpus-$name" "$seeds")
        [ -d "$regr" ] && dirs+=("$regr")
        mkdir -p "$TMP/corpus-$name"
        "$OUT/$name" "${args[@]}" "${dirs[@]}" >"$TMP/$name.log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$name.log" | tail -1)
        cov=$(grep -E '^#[0-9]+.*cov: ' "$TMP/$name.log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        n_regr=$(find "$regr" -type f ! -name '*.md' 2>/dev/null | wc -l)
        if [ $rc -ne 0 ]; then
                echo "FAIL: $name (exit $rc):"
                grep -E 'ERROR|invariant|runtime error|SUMMARY' "$TMP/$name.log" | head -5 | sed 's/^/    /'
                for a in "$TMP/$name"-*; do
                        [ -e "$a" ] || continue
                        mkdir -p "$OUT/artifacts"
                        cp "$a" "$OUT/artifacts/" && echo "    input kept: $OUT/artifacts/${a##*/}"
                done
                fail=1
        else
                echo "ok: $name: seeds, $n_regr regression inputs, ${execs:-?} runs in ${SMOKE}s, cov ${cov:-?}"
        fi
done
exit $fail
