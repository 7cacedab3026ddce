#!/bin/sh
# valgrind memcheck over the SASL plugin in a long-running server: 200
# rounds of every case of tests/sasl/test_sasl.c (some 13,000
# canonicalisations through sasl_checkpass and PLAIN, hostile names, a
# configuration swapped for a missing one and back, the plugin dlopened and
# closed 50 times) in one process, from the configuration and from its
# compiled index. Zero definitely-lost bytes and no memory error, or the
# suite fails. Left out under ASan, which does not run inside valgrind
# (make asan runs tests/sasl/run.sh under LeakSanitizer instead).
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"
case $BUILD in
*/asan)
        echo "SKIP: valgrind cannot run an ASan build"
        exit 77
        ;;
esac
command -v valgrind >/dev/null || { echo "SKIP: valgrind missing (apt-get install valgrind)"; exit 77; }
DRIVER=$BUILD/tests/sasl/test_sasl
[ -x "$DRIVER" ] || { echo "FAIL: build first"; exit 1; }
ROUNDS=${SASL_VALGRIND_ROUNDS:-200}
LOGS=${MAILACCT_TEST_LOGS:-$BUILD/test-logs}
mkdir -p "$LOGS"
T=$(mktemp -d /tmp/mailacct-sasl-vg.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
{
        echo 'index = "mailacct.idx";'
        cat tests/integration/data/mailacct.conf
} >"$T/mailacct.conf"
fails=0
for source in configuration index; do
        if [ $source = index ]; then
                (umask 077 && : >"$T/mailacct.secrets")
                "$BUILD/mailacct" -c "$T/mailacct.conf" compile >/dev/null || { echo "FAIL: mailacct compile"; exit 1; }
                rm -f "$T/mailacct.secrets" "$T/mailacct.secrets.idx"
                set -- --index "$T/mailacct.idx" --rounds "$ROUNDS"
        else
                set -- --rounds "$ROUNDS"
        fi
        vlog=$LOGS/sasl-valgrind-$source.log
        valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
                --error-exitcode=99 --log-file="$vlog" "$DRIVER" "$T/mailacct.conf" "$@" >"$T/out" 2>&1
        rc=$?
        cat "$T/out"
        lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$vlog" | tail -1)
        errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$vlog" | tail -1)
        echo "valgrind ($source): exit $rc; definitely lost: ${lost:-0} bytes; errors: ${errs:-?} (log $vlog)"
        if [ $rc -ne 0 ]; then
                grep -A12 -e 'definitely lost in' -e 'Invalid ' -e 'uninitialised' "$vlog" | head -40
                fails=$((fails + 1))
        fi
done
[ $fails -eq 0 ] && echo "PASS: valgrind, both sources" || echo "FAIL: valgrind"
[ $fails -eq 0 ]
