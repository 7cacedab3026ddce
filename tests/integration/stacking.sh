#!/bin/sh
# Stacking (issue 14, part 3): pam_mailacct resolve_only in front of
# pam_unix, through a private Dovecot, with local users of a shadow file of
# the test's own (bind-mounted over /etc/passwd, /etc/shadow and /etc/group
# in a private mount namespace). The delegate form keeps working: pam_unix
# checks the principal's own password under its local name, the account
# phase hands Dovecot the mailbox. Real clients (imaplib, poplib).
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"

if [ "${1:-}" != --inside ]; then
        [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (mount namespace)"; exit 77; }
        for c in dovecot unshare openssl python3; do
                command -v $c >/dev/null 2>&1 || { echo "FAIL: $c missing"; exit 1; }
        done
        T=$(mktemp -d /tmp/mailacct-stacking.XXXXXX) || exit 1
        unshare --mount --pid --fork --mount-proc --propagation private /bin/sh "$0" --inside "$T"
        rc=$?
        rm -rf --one-file-system "$T"
        exit $rc
fi

. tests/lib/dovecot.sh
ma_setup "$2"
: >"$MA_DIR/no-passwords"
ma_directory tests/integration/data/mailacct.conf "$MA_DIR/no-passwords"

# Local accounts of pam_unix, named as principal=local names them: the
# local part of each principal's address. Their passwords are not the
# mailacct secrets' (there are none here): pam_unix alone checks them.
for f in passwd shadow group; do cp "/etc/$f" "$MA_DIR/etc/$f"; done
uid=6001
for u in jdoe:jdoe-unix-Pw assistant:assistant-unix-Pw former:former-unix-Pw sales:sales-unix-Pw; do
        name=${u%%:*} pw=${u#*:}
        hash=$(openssl passwd -6 "$pw") || ma_die "openssl passwd"
        printf '%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n' "$name" $uid $uid >>"$MA_DIR/etc/passwd"
        printf '%s:%s:19000:0:99999:7:::\n' "$name" "$hash" >>"$MA_DIR/etc/shadow"
        printf '%s:x:%d:\n' "$name" $uid >>"$MA_DIR/etc/group"
        uid=$((uid + 1))
done
chmod 0640 "$MA_DIR/etc/shadow"
for f in passwd shadow group; do
        mount --bind "$MA_DIR/etc/$f" "/etc/$f" || ma_die "cannot bind-mount /etc/$f"
done
for svc in imap pop3; do
        cat >"$MA_DIR/pam.d/$svc" <<PAM
auth     requisite $BUILD/pam_mailacct.so config=$MA_CONF resolve_only principal=local
auth     required  pam_unix.so
account  required  pam_unix.so
account  required  $BUILD/pam_mailacct.so config=$MA_CONF resolve_only
PAM
done
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$MA_DIR/pam.d/other"
mount --bind "$MA_DIR/pam.d" /etc/pam.d || ma_die "cannot bind-mount the test pam.d"
ma_dev_log
ma_dovecot_start

MA_IMAP_PORT=$MA_IMAP_PORT MA_POP3_PORT=$MA_POP3_PORT MA_DOVECOT_LOG=$MA_DOVECOT_LOG MA_SYSLOG=$MA_SYSLOG \
        /usr/bin/python3 - <<'PY'
import imaplib, os, poplib, sys, time

imap_port, pop3_port = int(os.environ["MA_IMAP_PORT"]), int(os.environ["MA_POP3_PORT"])
dovecot_log, syslog = os.environ["MA_DOVECOT_LOG"], os.environ["MA_SYSLOG"]
failures, checks = [], 0

def size(path):
    return os.path.getsize(path)

def after(path, offset, text, wait=3.0):
    """Whether text appears in path past offset within wait seconds."""
    end = time.time() + wait
    while True:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            if text in f.read():
                return True
        if time.time() > end:
            return False
        time.sleep(0.02)

def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL: " + what)

def imap(login, password, session_user=None, reason=None):
    d, s = size(dovecot_log), size(syslog)
    try:
        m = imaplib.IMAP4("127.0.0.1", imap_port)
        m.login(login, password)
        m.logout()
        ok = True
    except imaplib.IMAP4.error:
        ok = False
    if session_user:
        check(ok, "imap %r: refused" % login)
        check(after(dovecot_log, d, "Login: user=<%s>" % session_user),
              "imap %r: Dovecot's session user is not %s" % (login, session_user))
    else:
        check(not ok, "imap %r with that password: logged in" % login)
        if reason:
            check(after(syslog, s, "pam_mailacct(imap:") and after(syslog, s, reason),
                  "imap %r: no %r in the log" % (login, reason))

J = "jdoe@example.com"
for login in ["jdoe", "EXAMPLE\\jdoe", "EXAMPLE/jdoe", "jdoe@example.org", "john@example.com", "JDoe"]:
    imap(login, "jdoe-unix-Pw", J)
# the delegate form: the assistant's own unix password opens jdoe's mailbox
imap("EXAMPLE\\assistant\\jdoe", "assistant-unix-Pw", J)
imap("EXAMPLE/assistant/jdoe", "assistant-unix-Pw", J)
imap("EXAMPLE\\assistant\\jdoe", "jdoe-unix-Pw", reason="pam_unix(imap:auth): authentication failure")
imap("assistant", "assistant-unix-Pw", "assistant@example.com")
imap("jdoe", "wrong", reason="pam_unix(imap:auth): authentication failure")
imap("EXAMPLE\\sales\\jdoe", "sales-unix-Pw", reason="not-delegated")
# pam_unix accepts former's password; our account phase refuses the principal
imap("EXAMPLE\\former\\boss", "former-unix-Pw", reason="principal-disabled")
imap("user", "x", reason="ambiguous")

d = size(dovecot_log)
try:
    p = poplib.POP3("127.0.0.1", pop3_port)
    p.user("EXAMPLE\\assistant\\jdoe")
    p.pass_("assistant-unix-Pw")
    p.quit()
    ok = True
except poplib.error_proto:
    ok = False
check(ok and after(dovecot_log, d, "Login: user=<%s>" % J), "pop3 EXAMPLE\\assistant\\jdoe: not jdoe's mailbox")
print("stacking: %d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
PY
rc=$?
if [ $rc -ne 0 ]; then
        echo "--- Dovecot's log"; tail -n 30 "$MA_DOVECOT_LOG"
        echo "--- syslog"; tail -n 30 "$MA_SYSLOG"
fi
exit $rc
