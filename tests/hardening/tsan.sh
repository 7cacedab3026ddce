#!/bin/bash
# ThreadSanitizer over the NSS module in a threaded process: the module and
# the core built with clang -fsanitize=thread ($BUILD/tsan), six threads of
# getpwnam_r, getpwuid_r and enumeration for several seconds while the index
# is compiled again and again and the configuration is replaced (so that
# the shared snapshot is swapped under the readers). No data race, lock
# order inversion or other TSan report; every answer the expected one, none
# unavailable. The TSan build is the same in every build directory: `make
# asan` skips this suite.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/hardening/lib.sh

if hz_asan; then
        echo "SKIP: the TSan build is the same in every build; run by make check"
        exit 77
fi
TS=$BUILD/tsan
if [ ! -x "$TS/nss_driver" ] || [ ! -f "$TS/libnss_mailacct.so.2" ]; then
        echo "SKIP: no ThreadSanitizer build (clang missing: apt-get install clang libclang-rt-14-dev)"
        exit 77
fi
hz_init tsan
SECONDS_RUN=${HZ_TSAN_SECONDS:-6}

D=$T/d
hz_directory "$D"
C=$D/mailacct.conf
{
        printf '%s\n' jdoe JDOE 'EXAMPLE\jdoe' 'EXAMPLE/assistant/jdoe' 'jdoe@example.org' 'SITE1\user' \
                'user@site2.org.com' 'we*ird' '100%' 'o"neil' sales user partner no-such-user 'EXAMPLE\former\boss' \
                'EXAMPLE\sales\jdoe' former imaponly nopass
} >"$T/logins"
MAILACCT_CONF=$C "$BUILD/tests/hardening/nss_driver" expect "$BUILD/libnss_mailacct.so.2" "$T/logins" >"$T/expected"
[ "$(grep -vc $'\t-$' "$T/expected")" -ge 20 ]
check $? "expected answers: $(grep -vc $'\t-$' "$T/expected") entries"

export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 report_signal_unsafe=0"
MAILACCT_CONF=$C "$TS/nss_driver" threads "$TS/libnss_mailacct.so.2" "$T/expected" "$SECONDS_RUN" \
        >"$T/driver.out" 2>&1 &
driver=$!
compiles=0 swaps=0
end=$((SECONDS + SECONDS_RUN))
while [ $SECONDS -lt $end ] && kill -0 $driver 2>/dev/null; do
        "$M" -c "$C" compile >/dev/null || bad "compile failed during the run"
        compiles=$((compiles + 1))
        if [ $((compiles % 3)) -eq 0 ]; then
                cp -p "$C" "$C.new" && mv "$C.new" "$C"
                swaps=$((swaps + 1))
                sleep 0.3
                "$M" -c "$C" compile >/dev/null
        fi
        sleep 0.2
done
wait $driver
rc=$?
tlog=$LOGS/hardening-tsan.log
cp "$T/driver.out" "$tlog"
grep -v '^nss_driver' "$T/driver.out" | head -40
tail -n 1 "$T/driver.out"
echo "tsan: $compiles compiles and $swaps replaced configurations during the run"
[ $rc -eq 0 ] && ! grep -q 'WARNING: ThreadSanitizer' "$T/driver.out"
check $? "ThreadSanitizer: no report (exit $rc; log $tlog)"
grep -q ', 0 wrong, 0 unavailable$' "$T/driver.out"
check $? "every answer right, none unavailable"
hz_done
