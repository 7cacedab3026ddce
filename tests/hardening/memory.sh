#!/bin/bash
# No copy of a password is left in the memory of `mailacct passwd` or
# `mailacct test` (the security issue, finding 6): each runs with the
# password on its standard input and an LD_PRELOAD shim (stop_at_exit.so)
# that stops it as it exits; then every readable mapping of the process is
# read through /proc/PID/mem and searched for the password. (Root reads a
# process whether it is dumpable or not: the test is that no copy is left,
# and that the process made itself non-dumpable.) Left out under ASan, whose
# allocator keeps freed memory in quarantine. And Ctrl-C at either's
# password prompt on a terminal leaves the terminal's echo on.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/hardening/lib.sh
hz_init memory
SHIM=$BUILD/tests/hardening/stop_at_exit.so
[ -f "$SHIM" ] || { echo "FAIL: $SHIM not built"; exit 1; }
if hz_asan; then
        echo "skip: ASan keeps freed memory aside; the plain build is checked"
        exit 77
fi
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root to read another process's memory"; exit 77; }

D=$T/d
hz_directory "$D"
C=$D/mailacct.conf
CANARY="Zq7-memory-canary-91xY"

# search CMD...: runs CMD with the canary on stdin, stopped at exit; prints
# "copies=N exit=N" (copies of the canary found in its memory, exit status)
search() {
        "$HZ_PY" tests/lib/memsearch.py "$SHIM" "$CANARY" stdin "$@"
}

out=$(search "$M" -c "$C" passwd jdoe@example.com)
case $out in
copies=0\ exit=0) ok "passwd: no copy of the password in its memory at exit ($out)" ;;
*) bad "passwd: the password is still in its memory at exit: $out" ;;
esac
"$M" -c "$C" test --pam-dir "$D/pam.d" --service imap jdoe <<<"$CANARY" >/dev/null 2>&1
[ $? -eq 0 ]
check $? "test: the canary is jdoe's password now"
out=$(search "$M" -c "$C" test --pam-dir "$D/pam.d" --service imap jdoe)
case $out in
copies=0\ exit=0) ok "test: no copy of the password in its memory at exit ($out)" ;;
*) bad "test: the password is still in its memory at exit: $out" ;;
esac
out=$(search "$M" -c "$C" test --pam-dir "$D/pam.d" --service imap no-such-user)
case $out in
copies=0\ exit=1) ok "test, unknown user: no copy of the password at exit ($out)" ;;
*) bad "test, unknown user: the password is still in its memory at exit: $out" ;;
esac

# Ctrl-C at the prompt of a terminal: the echo the prompt turned off is
# back when the command is gone (on a pty of the test's own)
for cmd in passwd test; do
        case $cmd in
        passwd) args="passwd jdoe@example.com" ;;
        test) args="test --pam-dir $D/pam.d --service imap jdoe" ;;
        esac
        # shellcheck disable=SC2086
        out=$("$HZ_PY" - "$M" -c "$C" $args <<'PY'
import os, signal, sys, termios, time
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    os.close(master)
    import fcntl
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(sys.argv[1], sys.argv[1:])
seen, echo_off = b"", False
deadline = time.time() + 20
while time.time() < deadline:
    # the prompt is written once echo is off: wait for both
    echo_off = not (termios.tcgetattr(slave)[3] & termios.ECHO)
    if echo_off and b"assword" in seen:
        break
    try:
        import select
        if select.select([master], [], [], 0.05)[0]:
            seen += os.read(master, 4096)
    except OSError:
        break
os.write(master, b"\x03")  # the tty's INTR: SIGINT to the command
_, status = os.waitpid(pid, 0)
restored = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
print(f"prompted={echo_off and b'assword' in seen} restored={restored} signalled={os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0}")
PY
)
        case $out in
        "prompted=True restored=True signalled=True") ok "$cmd: Ctrl-C at the password prompt leaves the terminal's echo on ($out)" ;;
        *) bad "$cmd: Ctrl-C at the password prompt: $out" ;;
        esac
done
hz_done
