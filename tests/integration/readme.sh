#!/bin/bash
# The README is a test. The shell blocks of README.md marked
# "<!-- readme-test -->" (the Dovecot and NSS set-up on a Debian host) run,
# in order and as written, as root in a private namespace: /etc, /usr, /var
# and /srv are overlays whose changes vanish with it, /run is a tmpfs, the
# network is a loopback of its own and every process dies with its pid
# namespace. Then Debian's packaged Dovecot starts from its own
# /etc/dovecot as the README left it, and real clients (imaplib, poplib) log
# in with every form: each must open the one canonical mailbox. A README step
# that is wrong, missing or out of order fails here.
set -u
: "${BUILD:?BUILD not set (run through make check)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" != --inside ]; then
        [ "$(id -u)" = 0 ] || { echo "skip: needs root (namespaces, overlays)"; exit 77; }
        case $BUILD in */asan)
                echo "skip: the ASan build does not rerun the server suites (make check runs this one)"
                exit 77 ;;
        esac
        for tool in dovecot unshare python3 ip make; do
                command -v $tool >/dev/null || { echo "FAIL: $tool missing"; exit 1; }
        done
        T=$(mktemp -d /tmp/mailacct-readme.XXXXXX) || exit 1
        chmod 0755 "$T"
        # the marked blocks, in order; each ends with a line naming it
        awk '
                /^<!-- readme-test -->$/ { want = 1; next }
                want && /^```sh$/ { inside = 1; want = 0; n++; next }
                inside && /^```$/ { inside = 0; printf "readme_step_done %d\n", n; next }
                inside { print }
                END { if (inside) exit 1 }
        ' "$TOP/README.md" >"$T/steps.sh" || { echo "FAIL: an unterminated block in README.md"; rm -rf "$T"; exit 1; }
        unshare --mount --net --pid --fork --mount-proc --propagation private "$0" --inside "$T"
        rc=$?
        rm -rf "$T"
        exit $rc
fi

# ---- inside the namespace -----------------------------------------------------
T=$2
checks=0 fails=0
fail() {
        fails=$((fails + 1))
        echo "FAIL: $*"
}
check() {
        checks=$((checks + 1))
        "${@:2}" || fail "$1"
}

. "$TOP/tests/lib/dovecot.sh"
mkdir -p "$T/ma"
ma_setup "$T/ma"
for d in etc usr var srv; do
        mkdir -p "$T/ov/$d/upper" "$T/ov/$d/work" "/$d"
        mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/ov/$d/upper,workdir=$T/ov/$d/work" "/$d" ||
                ma_die "cannot mount an overlay on /$d"
done
mount -t tmpfs -o mode=0755 tmpfs /run || ma_die "cannot mount a tmpfs on /run"
ip link set lo up || ma_die "no loopback in the network namespace"
ma_dev_log

# What a package's postinst leaves that this machine may lack: Dovecot's
# certificate (dovecot-core links the ssl-cert snakeoil pair; ssl = yes is
# Debian's default). Made here only when missing, inside the overlay.
if [ ! -e /etc/dovecot/private/dovecot.pem ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
                -keyout /etc/dovecot/private/dovecot.key -out /etc/dovecot/private/dovecot.pem >/dev/null 2>&1 ||
                ma_die "cannot make a certificate for Dovecot"
fi

# The README's steps, as written, from the source folder. Their passwords
# come from standard input, one line per `mailacct passwd`/`test`, in the
# order the README runs them.
JDOE_PW='readme-jdoe-Pw1'
ASSISTANT_PW='readme-assistant-Pw2'
printf '%s\n%s\n%s\n' "$JDOE_PW" "$ASSISTANT_PW" "$JDOE_PW" >"$T/stdin"
n_steps=$(grep -c '^readme_step_done' "$T/steps.sh")
check "README.md has the six marked set-up blocks (found $n_steps)" [ "$n_steps" -ge 6 ]
readme_step_done() { echo "== README block $1 done" >>"$T/steps.log"; }
export -f readme_step_done
(cd "$TOP" && BUILD=build bash -e -o pipefail "$T/steps.sh") <"$T/stdin" >"$T/steps.log" 2>&1
rc=$?
check "the README's blocks run without an error (exit $rc); log:
$(tail -n 30 "$T/steps.log")" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { ma_stop; echo "readme: $checks checks, $fails failed"; exit 1; }
check "the README's getent line prints the canonical entry" \
        grep -qx 'jdoe@example.com:x:5001:5000:John Doe:/srv/vmail/jdoe@example.com:/usr/sbin/nologin' "$T/steps.log"
check "mailacct test (service imap) reports result: ok" grep -qE '^result: +ok$' "$T/steps.log"
check "the README's PAM_USER line is canonical" grep -qE '^PAM_USER: +jdoe@example.com' "$T/steps.log"

# `systemctl restart dovecot`, in a namespace without systemd
dovecot || ma_die "dovecot did not start from /etc/dovecot: $(tail -n 20 "$MA_SYSLOG")"
i=0
until ma_port_open 143 && ma_port_open 110; do
        i=$((i + 1))
        [ $i -lt 500 ] || ma_die "dovecot is not listening on 143 and 110: $(tail -n 20 "$MA_SYSLOG")"
        sleep 0.01
done

# Every form, through IMAP (quoted strings: imaplib escapes the backslash)
# and POP3; each IMAP login appends one message, so that the mailbox every
# form opened is counted at the end.
"$MA_PY" - "$JDOE_PW" "$ASSISTANT_PW" >"$T/clients.log" 2>&1 <<'PY'
import imaplib, poplib, sys, time
jdoe_pw, assistant_pw = sys.argv[1], sys.argv[2]
forms = [("jdoe", jdoe_pw), ("EXAMPLE\\jdoe", jdoe_pw), ("EXAMPLE/jdoe", jdoe_pw), ("jdoe@example.com", jdoe_pw),
         ("JDoe@Example.ORG", jdoe_pw), ("john@example.com", jdoe_pw), ("john.doe", jdoe_pw),
         ("EXAMPLE\\assistant\\jdoe", assistant_pw)]
bad = 0
for i, (login, pw) in enumerate(forms):
    try:
        m = imaplib.IMAP4("127.0.0.1", 143)
        m.login(login, pw)
        m.append("INBOX", None, imaplib.Time2Internaldate(time.time()),
                 ("Subject: via %s\r\n\r\nbody %d\r\n" % (login, i)).encode())
        typ, data = m.select("INBOX")
        print("imap %s: ok, INBOX has %s" % (login, data[0].decode()))
        m.logout()
    except Exception as e:
        print("imap %s: FAILED: %r" % (login, e))
        bad += 1
for login, pw in forms[:3] + forms[-1:]:
    try:
        p = poplib.POP3("127.0.0.1", 110)
        p.user(login)
        p.pass_(pw)
        print("pop3 %s: ok, %d messages" % (login, p.stat()[0]))
        p.quit()
    except Exception as e:
        print("pop3 %s: FAILED: %r" % (login, e))
        bad += 1
for login, pw in [("jdoe", "wrong-password"), ("EXAMPLE\\assistant\\jdoe", jdoe_pw)]:
    try:
        m = imaplib.IMAP4("127.0.0.1", 143)
        m.login(login, pw)
        print("imap %s with a wrong password: LOGGED IN" % login)
        bad += 1
    except imaplib.IMAP4.error:
        print("imap %s with a wrong password: refused" % login)
sys.exit(1 if bad else 0)
PY
rc=$?
check "every form logs in over IMAP and POP3, a wrong password does not:
$(cat "$T/clients.log")" [ $rc -eq 0 ]
n=$(find /srv/vmail/jdoe@example.com/Maildir/new /srv/vmail/jdoe@example.com/Maildir/cur -type f 2>/dev/null | grep -c .)
check "all 8 IMAP logins wrote into jdoe@example.com's one Maildir (found $n messages)" [ "$n" -eq 8 ]
check "POP3 saw the same mailbox: 8 messages for every form" \
        [ "$(grep -c '^pop3 .*: ok, 8 messages$' "$T/clients.log")" -eq 4 ]
others=$(cd /srv/vmail && ls -A | grep -vx 'jdoe@example.com')
check "no other home was created (the delegate form opened jdoe's): '$others'" [ -z "$others" ]
owner=$(stat -c %u:%g /srv/vmail/jdoe@example.com/Maildir 2>/dev/null)
check "the Maildir belongs to jdoe's uid and the vmail group ($owner)" [ "$owner" = 5001:5000 ]
check "Dovecot's session user is canonical for every form" \
        [ "$(grep -c 'imap-login: Login: user=<jdoe@example.com>' "$MA_SYSLOG")" -ge 8 ]
absent() { ! grep -q "$1" "$2"; }
check "pam_unix saw no mail login (Debian's auth-system.conf.ext is off)" absent 'pam_unix' "$MA_SYSLOG"
check "pam_mailacct logged the wrong password with its reason" grep -q 'pam_mailacct(imap:auth): wrong-password' "$MA_SYSLOG"

doveadm stop >/dev/null 2>&1
ma_keep_log "$T/steps.log" steps.log
ma_stop
echo "readme: $checks checks, $fails failed"
[ $fails -eq 0 ]
