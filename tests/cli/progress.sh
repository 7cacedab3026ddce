#!/bin/sh
# Progress on a terminal: `compile`, `check` and `import` of what takes more
# than a second show what they are doing on stderr, a line rewritten in place
# and erased at the end, when stderr is a terminal (a real pty, from Python's
# pty module); with stderr a file or a pipe they print nothing of it.
set -u
: "${BUILD:?BUILD not set (run through make check)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/mailacct-progress.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
checks=0 fails=0
check() {
        checks=$((checks + 1))
        if ! eval "$2"; then
                fails=$((fails + 1))
                echo "FAIL: $1"
        fi
}

# large enough for reading it to take over a second on most machines that run
# the tests (the parse is fast: 200,000 mailboxes read in under a second)
N=${PROGRESS_N:-400000}
python3 "$TOP/bench/gen-directory.py" "$N" "$T/d" >/dev/null || { echo "FAIL: gen-directory"; exit 1; }
chmod 0644 "$T/d/mailacct.conf"
C=$T/d/mailacct.conf

# on_tty OUT ARGS...: runs mailacct with stdout to OUT.stdout and stderr on a
# pty whose bytes go to OUT.tty
on_tty() {
        out=$1
        shift
        python3 - "$out" "$@" <<'PY'
import os, pty, subprocess, sys
out, args = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
with open(out + ".stdout", "wb") as so:
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=so, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
rc = p.wait()
open(out + ".tty", "wb").write(data)
sys.exit(rc)
PY
}

# milliseconds: a line shows once one step (reading, most of the time) has
# taken a second, so one is expected only of a command that took 2.5 s
ms() { date +%s%3N; }
start=$(ms)
on_tty "$T/compile" "$BUILD/mailacct" -c "$C" compile
rc=$?
took=$(($(ms) - start))
check "compile on a terminal exits 0 (exit $rc)" '[ $rc -eq 0 ]'
if [ "$took" -ge 2500 ]; then
        check "compile on a terminal shows what it reads: $(tr '\r\033' '|^' <"$T/compile.tty")" \
                'grep -q "mailacct: compile: reading $C [0-9]* s" "$T/compile.tty"'
        check "the progress line is erased at the end" 'tr "\r" "\n" <"$T/compile.tty" | grep -q "^$(printf "\033")\[K"'
else
        echo "note: compile took under 2.5 s here ($took ms); progress not expected"
fi
check "stdout carries the result only" 'grep -q "mailboxes" "$T/compile.stdout" && ! grep -q "reading" "$T/compile.stdout"'

start=$(ms)
on_tty "$T/check" "$BUILD/mailacct" -c "$C" check
took=$(($(ms) - start))
check "check on a terminal shows a step ($took ms): $(tr '\r\033' '|^' <"$T/check.tty" | head -c 300)" \
        'grep -q "mailacct: check: " "$T/check.tty" || [ "$took" -lt 2500 ]'

"$BUILD/mailacct" -c "$C" compile >/dev/null 2>"$T/err.file"
check "compile with stderr to a file prints no progress: $(head -c 200 "$T/err.file")" '! grep -q "reading" "$T/err.file"'
"$BUILD/mailacct" -c "$C" check 2>&1 >/dev/null | cat >"$T/err.pipe"
check "check with stderr to a pipe prints no progress" '! grep -q "mailacct: check: " "$T/err.pipe"'

# import: hashing {PLAIN} passwords with the default scheme is its long step
I=$T/imp
mkdir -p "$I" && chmod 0755 "$I"
i=0
while [ $i -lt 200 ]; do
        printf 'user%d@example.com:{PLAIN}Plain-Pw-%d:%d:%d::/srv/vmail/user%d\n' $i $i $((20000 + i)) 5000 $i
        i=$((i + 1))
done >"$I/users"
start=$(ms)
on_tty "$I/import" "$BUILD/mailacct" -c "$I/mailacct.conf" import dovecot-passwd "$I/users"
rc=$?
took=$(($(ms) - start))
check "import on a terminal exits 0 (exit $rc)" '[ $rc -eq 0 ]'
if [ "$took" -ge 2500 ]; then
        check "import on a terminal shows its step: $(tr '\r\033' '|^' <"$I/import.tty" | head -c 300)" \
                'grep -q "mailacct: import: comparing 200 accounts" "$I/import.tty"'
else
        echo "note: import took under 2.5 s here ($took ms); progress not expected"
fi
rm -f "$I/mailacct.conf" "$I/mailacct.secrets"
"$BUILD/mailacct" -c "$I/mailacct.conf" import dovecot-passwd "$I/users" >/dev/null 2>"$I/err.file"
check "import with stderr to a file prints no progress" '! grep -q "mailacct: import: comparing" "$I/err.file"'

echo "progress: $checks checks, $fails failed"
[ $fails -eq 0 ]
