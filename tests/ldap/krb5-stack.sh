#!/bin/bash
# Stacking with a directory module against a real server (issue 14, part 3):
# the mailboxes synced from a Samba AD DC, the passwords checked by
# pam_krb5 against the same DC's KDC, through a private Dovecot, with real
# clients (imaplib, poplib). pam_mailacct resolve_only hands pam_krb5 the
# principal's userPrincipalName (principal=upn); the account phase checks
# the mailbox (enabled, delegates) and only then hands Dovecot the canonical
# mailbox. The delegate form works stacked: for EXAMPLE\assistant\jdoe the
# KDC checks the assistant's password, Dovecot opens jdoe's mailbox. The
# stack is config/pam.d-dovecot.example's Kerberos one, as it stands there.
#
# Samba has no Exchange attributes: the delegates are mapped from seeAlso
# (map = { delegates = "seeAlso"; }), as a site without
# msExchDelegateListLink would. A UPN's suffix is a DNS domain, the realm
# is upper case: pam_krb5 gets the UPN as typed, and krb5.conf's
# `canonicalize = true` with the suffix's realm pointed at the KDC lets the
# KDC answer for it (README, "Stacking").
#
# The DC runs in a network namespace of its own; Dovecot, the clients and
# the KDC's clients run in it too (nsenter), in a private mount namespace
# where the test's pam.d is bind-mounted over /etc/pam.d. Nothing in /etc is
# written; krb5.conf comes from KRB5_CONFIG.
SUITE=ldap-krb5-stack
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
        # in the DC's network namespace and a private mount and pid namespace
        T=$2 C=$3
        cd "$top" || exit 1
        . tests/lib/dovecot.sh
        mkdir -p "$T/dovecot" && ma_setup "$T/dovecot"
        MA_CONF=$C
        cat >"$MA_DIR/pam.d/imap" <<PAM
auth     requisite $BUILD/pam_mailacct.so config=$C resolve_only principal=upn
auth     required  pam_krb5.so minimum_uid=1000
account  required  pam_krb5.so minimum_uid=1000
account  required  $BUILD/pam_mailacct.so config=$C resolve_only
PAM
        cp "$MA_DIR/pam.d/imap" "$MA_DIR/pam.d/pop3"
        printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$MA_DIR/pam.d/other"
        mount --bind "$MA_DIR/pam.d" /etc/pam.d || ma_die "cannot bind-mount the test pam.d"
        ma_dev_log
        MA_IMPORT_ENV=KRB5_CONFIG ma_dovecot_start
        MA_IMAP_PORT=$MA_IMAP_PORT MA_POP3_PORT=$MA_POP3_PORT MA_DOVECOT_LOG=$MA_DOVECOT_LOG MA_SYSLOG=$MA_SYSLOG \
                "$MA_PY" - <<'PY'
import imaplib, os, poplib, sys, time

imap_port, pop3_port = int(os.environ["MA_IMAP_PORT"]), int(os.environ["MA_POP3_PORT"])
dovecot_log, syslog = os.environ["MA_DOVECOT_LOG"], os.environ["MA_SYSLOG"]
failures, checks = [], 0

def after(path, offset, text, wait=3.0):
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
    print(("ok - " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)

def imap(login, password, session_user=None, reason=None):
    d, s = os.path.getsize(dovecot_log), os.path.getsize(syslog)
    try:
        m = imaplib.IMAP4("127.0.0.1", imap_port)
        m.login(login, password)
        m.logout()
        ok = True
    except imaplib.IMAP4.error:
        ok = False
    if session_user:
        check(ok and after(dovecot_log, d, "Login: user=<%s>" % session_user),
              "imap %r opens %s" % (login, session_user))
    else:
        check(not ok, "imap %r with that password is refused" % login)
        if reason:
            check(after(syslog, s, reason), "imap %r: %r in the log" % (login, reason))

J = "John.Doe@example.com"
for login in ["jdoe", "EXAMPLE\\jdoe", "John.Doe@example.com", "jdoe@example.com", "JDOE"]:
    imap(login, "Jdoe-Krb-Pw-1", J)
# the delegate form: the KDC checks the assistant's own password
imap("EXAMPLE\\assistant\\jdoe", "Asst-Krb-Pw-2", J)
imap("EXAMPLE/assistant/John.Doe@example.com", "Asst-Krb-Pw-2", J)
imap("EXAMPLE\\assistant\\jdoe", "Jdoe-Krb-Pw-1", reason="pam_krb5(imap:auth): authentication failure")
imap("assistant", "Asst-Krb-Pw-2", "assistant@example.com")
imap("jdoe", "wrong-Pw-9", reason="pam_krb5(imap:auth): authentication failure")
# the KDC accepts sales's password; our account phase refuses the delegation
imap("EXAMPLE\\sales\\jdoe", "Sales-Krb-Pw-3", reason="not-delegated")
imap("nobody-here", "Jdoe-Krb-Pw-1", reason="not-found")
d = os.path.getsize(dovecot_log)
try:
    p = poplib.POP3("127.0.0.1", pop3_port)
    p.user("EXAMPLE\\assistant\\jdoe")
    p.pass_("Asst-Krb-Pw-2")
    p.quit()
    ok = True
except poplib.error_proto:
    ok = False
check(ok and after(dovecot_log, d, "Login: user=<%s>" % J), "pop3 EXAMPLE\\assistant\\jdoe opens %s" % J)
print("dovecot: %d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
PY
        rc=$?
        if [ $rc -ne 0 ]; then
                echo "--- Dovecot's log"; tail -n 30 "$MA_DOVECOT_LOG"
                echo "--- syslog"; tail -n 30 "$MA_SYSLOG"
        fi
        exit $rc
fi

. "$(dirname "$0")/samba-lib.sh"
samba_need
for p in dovecot kinit; do
        command -v "$p" >/dev/null || { echo "$SUITE: $p missing (apt-get install krb5-user dovecot-imapd dovecot-pop3d)"; exit 77; }
done
pam_krb5=$(find /lib /usr/lib -path '*/security/pam_krb5.so' 2>/dev/null | head -1)
[ -n "$pam_krb5" ] || { echo "$SUITE: pam_krb5.so missing (apt-get install libpam-krb5)"; exit 77; }
ldap_setup
# the LDAP server and the KDC
samba_start "ldap, kdc"

user() { # CN SAM UPN MAIL PASSWORD [more LDIF lines]
        printf 'dn: CN=%s,CN=Users,DC=example,DC=com\nobjectClass: user\nsAMAccountName: %s\n' "$1" "$2"
        printf 'userPrincipalName: %s\nmail: %s\nunicodePwd:: %s\nuserAccountControl: 512\n' "$3" "$4" "$(upw "$5")"
        shift 5
        for l in "$@"; do printf '%s\n' "$l"; done
        echo
}
{
        user Assistant assistant assistant@example.com assistant@example.com 'Asst-Krb-Pw-2'
        user Sales sales sales@example.com sales@example.com 'Sales-Krb-Pw-3'
        user 'John Doe' jdoe jdoe@example.com John.Doe@example.com 'Jdoe-Krb-Pw-1' \
                'seeAlso: CN=Assistant,CN=Users,DC=example,DC=com'
} | adm ldapadd >"$S/add.out" 2>&1 || { cat "$S/add.out"; exit 1; }

D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
samba_conf "$C" "$T/dovecot/mail/%u" '{ name = "example.com"; }' 'map = { delegates = "seeAlso"; };'
$NS "$MAILACCT" -c "$C" sync >"$T/out" 2>"$T/err"
rc=$?
check "sync from the Samba DC (delegates from seeAlso)" test $rc -eq 0 || { cat "$T/out" "$T/err"; exit 1; }
run -c "$C" resolve 'EXAMPLE\assistant\jdoe'
check "the delegate form resolves to jdoe's mailbox" test "$OUT" = John.Doe@example.com || show

# krb5.conf for the KDC in the namespace: the UPN's suffix as a realm of
# the same KDC, and canonicalize so the KDC may answer as EXAMPLE.COM
cat >"$T/krb5.conf" <<'EOF'
[libdefaults]
        default_realm = EXAMPLE.COM
        dns_lookup_kdc = false
        dns_lookup_realm = false
        rdns = false
        canonicalize = true
[realms]
        EXAMPLE.COM = {
                kdc = 127.0.0.1
        }
        example.com = {
                kdc = 127.0.0.1
        }
EOF
chmod 0644 "$T/krb5.conf"
export KRB5_CONFIG=$T/krb5.conf
out=$(printf 'Jdoe-Krb-Pw-1\n' | KRB5CCNAME=FILE:$T/cc $NS kinit jdoe@example.com 2>&1)
check "the KDC answers for the UPN (kinit jdoe@example.com)" test $? -eq 0 || echo "$out"
rm -f "$T/cc"

$NS unshare --mount --pid --fork --mount-proc --propagation private "$0" --inside "$T" "$C"
rc=$?
check "through Dovecot: pam_mailacct resolve_only principal=upn, pam_krb5, the account phase" test $rc -eq 0
samba_stop
finish
