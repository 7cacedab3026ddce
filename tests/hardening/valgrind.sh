#!/bin/bash
# valgrind memcheck over the PAM conversation loop of a mail server's auth
# worker: 1,000 logins in one process (real libpam, pam_start_confdir, the
# module; right and wrong passwords, unknown, invalid and ambiguous logins,
# every login form), first with the compiled index, then with the
# configuration parsed. Zero definitely-lost bytes and no memory error, or
# the suite fails. (Dovecot restarts a worker after 100 requests: a leak
# per login is a leak in production.) Left out under ASan, which does not
# run inside valgrind; `make asan` checks the same loop with LeakSanitizer.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/hardening/lib.sh

if hz_asan; then
        echo "SKIP: valgrind cannot run an ASan build (make asan runs tests/pam under LeakSanitizer)"
        exit 77
fi
command -v valgrind >/dev/null || { echo "SKIP: valgrind missing (apt-get install valgrind)"; exit 77; }
hz_init valgrind
ROUNDS=${HZ_VALGRIND_ROUNDS:-1000}

D=$T/d
hz_directory "$D"
pw() { hz_password "$1"; }
long=$(printf 'y%.0s' $(seq 1 400))
{
        printf '%s\t%s\t%s\t%s\n' jdoe "$(pw jdoe@example.com)" success jdoe@example.com
        printf '%s\t%s\t%s\t%s\n' 'EXAMPLE\jdoe' "$(pw jdoe@example.com)" success jdoe@example.com
        printf '%s\t%s\t%s\t%s\n' 'jdoe@example.org' wrong-Secret auth_err -
        printf '%s\t%s\t%s\t%s\n' 'EXAMPLE\assistant\jdoe' "$(pw assistant@example.com)" success jdoe@example.com
        printf '%s\t%s\t%s\t%s\n' 'SITE1\user' "$(pw user@site1.org.com)" success user@site1.org.com
        printf '%s\t%s\t%s\t%s\n' user "$(pw user@site1.org.com)" user_unknown -
        printf '%s\t%s\t%s\t%s\n' no-such-user whatever-Secret user_unknown -
        printf '%s\t%s\t%s\t%s\n' "$long" whatever-Secret user_unknown -
        printf '%s\t%s\t%s\t%s\n' partner whatever-Secret user_unknown -
        printf '%s\t%s\t%s\t%s\n' 'we*ird' "$(pw 'we*ird@example.com')" success 'we*ird@example.com'
        printf '%s\t%s\t%s\t%s\n' nopass whatever-Secret auth_err -
        printf '%s\t%s\t%s\t%s\n' 'EXAMPLE\sales\jdoe' "$(pw sales@example.com)" user_unknown -
        printf '%s\t%s\t%s\t%s\n' sales wrong-Secret auth_err -
} >"$T/cases"

fails=0
for source in index configuration; do
        [ $source = configuration ] && rm -f "$D/mailacct.idx"
        vlog=$LOGS/hardening-valgrind-$source.log
        valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
                --error-exitcode=99 --track-origins=no --log-file="$vlog" \
                "$HZ_PROBE" --log "$LOGS/hardening-valgrind-pam.log" --cases "$T/cases" --rounds "$ROUNDS" \
                "$D/pam.d" imap >"$T/out" 2>&1
        rc=$?
        cat "$T/out"
        lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$vlog" | tail -1)
        errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$vlog" | tail -1)
        echo "valgrind ($source): exit $rc; definitely lost: ${lost:-0} bytes; errors: ${errs:-?} (log $vlog)"
        if [ $rc -ne 0 ]; then
                grep -A12 -e 'definitely lost in' -e 'Invalid ' -e 'uninitialised' "$vlog" | head -40
                bad "valgrind, $source: exit $rc"
        else
                ok "valgrind, $source"
        fi
        grep -q ', 0 wrong answers' "$T/out"
        check $? "every login answered as expected under valgrind ($source)"
done
hz_done
