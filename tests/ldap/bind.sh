#!/bin/bash
# passwords = "ldap-bind" (issue 14, item 2): the PAM module checks a
# password by a simple bind as the principal's DN, against two private
# slapd servers on 127.0.0.1 over StartTLS with a test CA made here. Every
# login goes through the real libpam (`mailacct test`, pam_start_confdir
# with a service file of the suite's).
#
#   - every login form of a synced mailbox, the delegate form (the
#     assistant's password), a file mailbox (its secrets line, no bind);
#   - wrong password: PAM_AUTH_ERR, wrong-password; empty password: refused
#     before any bind;
#   - equal work: unknown, invalid, ambiguous, contact and a wrong password
#     each cost exactly one BIND operation in slapd's log (stats level);
#   - a disabled entry (pwdAccountLockedTime, slapd without ppolicy lets it
#     bind): refused by the account phase;
#   - failover: the first server stopped, hung (ldaps:// handshake and
#     StartTLS both), the answer from the second within the timeout;
#   - the directory unreachable: PAM_AUTHINFO_UNAVAIL, directory-unavailable,
#     for known and unknown logins alike, never success;
#   - real Dovecot (PAM passdb) with every form over IMAP and POP3, the
#     delegate form, a wrong password, the first server stopped;
#   - memcheck over StartTLS and ldaps:// (the Sockbuf layers);
#   - the password in no log line (the module's syslog, Dovecot's, slapd's)
#     and nowhere in the memory of a login's process at its exit.
#
# It runs in mount and pid namespaces of its own (unshare): Dovecot's PAM
# services and a /dev/log for the module's lines are mounted there only, and
# every server it starts ends with it.
SUITE=ldap-bind
if [ "${1:-}" != --inside ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
        exec unshare --mount --pid --fork --mount-proc --propagation private /bin/bash "$0" --inside
fi
. "$(dirname "$0")/lib.sh"
ldap_setup
DOVECOT=
if [ "${1:-}" = --inside ] && command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/pop3 ]; then
        DOVECOT=1
        . "$top/tests/lib/dovecot.sh"
        mkdir -p "$T/dovecot"
        ma_setup "$T/dovecot"
        trap 'ma_stop; ldap_cleanup' EXIT
        ma_dev_log # the module's log lines, in $MA_SYSLOG
else
        echo "# no Dovecot (apt-get install dovecot-imapd dovecot-pop3d) or no unshare: its part is skipped"
fi

export SLAPD_DEBUG=stats SLAPD_NO_PPOLICY=1
slapd_start s1 openldap || exit 1
slapd_start s2 openldap || exit 1

JDOE_PW='jdoe-Pw 7!'
people() {
        cat <<EOF
dn: uid=jdoe,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
uid: jdoe
uid: john.doe
cn: John Doe
sn: Doe
mail: jdoe@example.com
mailLocalAddress: john@example.org
seeAlso: uid=assistant,ou=people,dc=example,dc=com
userPassword: $JDOE_PW

dn: uid=assistant,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: assistant
cn: Assistant
sn: Assistant
mail: assistant@example.com
userPassword: assistant-pw

dn: uid=locked,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: locked
cn: Locked Out
sn: Out
mail: locked@example.com
userPassword: locked-pw

dn: uid=user1,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: user
cn: User One
sn: One
mail: user@example.com
userPassword: user1-pw

dn: uid=user2,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: user
cn: User Two
sn: Two
mail: user@other.com
userPassword: user2-pw

EOF
}
for s in s1 s2; do
        people | ldif $s || exit 1
        # the lock the sync maps to enabled = false; no overlay enforces it here
        ldapmodify -x -D "$ROOTDN" -w "$ROOTPW" -H "ldap://127.0.0.1:$(eval echo "\$${s}_PORT")" -e relax \
                >/dev/null <<EOF || exit 1
dn: uid=locked,ou=people,dc=example,dc=com
changetype: modify
add: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
EOF
done
check "slapd without ppolicy lets the locked entry bind" \
        ldapwhoami -x -H "ldap://127.0.0.1:$s1_PORT" -D "uid=locked,ou=people,dc=example,dc=com" -w locked-pw \
        -o TLS_CACERT="$T/test-ca.pem" -ZZ >/dev/null

D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
# conf URIS [more top-level lines]
conf() {
        local uris=$1
        shift
        {
                echo 'index = "mailacct.idx";'
                echo 'passwords = "ldap-bind";'
                echo 'secrets = "mailacct.secrets";'
                echo 'bare_alias = "unique";'
                echo 'default_domain = "example.com";'
                echo 'defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; shell = "/usr/sbin/nologin"; };'
                echo 'domains = ( { name = "example.com"; netbios = "EXAMPLE"; aliases = [ "example.org" ]; },'
                echo '            { name = "other.com"; netbios = "OTHER"; } );'
                echo 'mailboxes = ( { address = "postmaster@example.com"; aliases = [ "pm" ]; },'
                echo '              { address = "nopw@example.com"; aliases = [ "nopw" ]; } );'
                echo 'contacts = ( { alias = "partner"; address = "partner@elsewhere.test"; } );'
                echo 'ldap = {'
                echo "  uri = [ $uris ];"
                echo '  base = "dc=example,dc=com";'
                echo '  schema = "openldap";'
                echo "  bind_dn = \"$SVC_DN\"; bind_password_file = \"$T/bind.pw\";"
                echo '  starttls = true;'
                echo "  tls_ca = \"$T/test-ca.pem\";"
                echo '  timeout = 2;'
                echo '  map = { delegates = "seeAlso"; };'
                echo '};'
                for l in "$@"; do echo "$l"; done
        } >"$C"
        chmod 0644 "$C"
}
U1="\"ldap://127.0.0.1:$s1_PORT\"" U2="\"ldap://127.0.0.1:$s2_PORT\""
conf "$U1, $U2"
PM_PW='postmaster-pw'
printf 'postmaster@example.com:%s\n' "$(openssl passwd -6 "$PM_PW")" >"$D/mailacct.secrets"
chmod 0600 "$D/mailacct.secrets"
run -c "$C" sync
check "sync with passwords = ldap-bind" test $rc -eq 0 || show

mkdir -p "$T/pam.d"
cat >"$T/pam.d/imap" <<EOF
auth required $BUILD/pam_mailacct.so config=$C
account required $BUILD/pam_mailacct.so config=$C
EOF

# login LOGIN PASSWORD: through libpam; $OUT has each step and the result
login() {
        printf '%s\n' "$2" | "$MAILACCT" -c "$C" test --service imap --pam-dir "$T/pam.d" -- "$1" >"$T/out" 2>"$T/err"
        rc=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}
binds() { # SERVER: BIND operations logged so far
        grep -c ' BIND dn=.* method=128' "$T/$1/slapd.log"
}
# counted LOGIN PASSWORD: login, with B1/B2 the binds it cost on s1/s2
counted() {
        local a b
        a=$(binds s1) b=$(binds s2)
        login "$1" "$2"
        sleep 0.2 # slapd logs from its own threads
        B1=$(($(binds s1) - a)) B2=$(($(binds s2) - b))
}

run -c "$C" show jdoe
check "show: jdoe's password is the directory's, and the DN it binds as" \
        has "$OUT" "password:   ldap-bind (a bind as uid=jdoe,ou=people,dc=example,dc=com)" || show
run -c "$C" check
check "check: no directory mailbox is said to lack a secrets line; the file's nopw is" \
        eval '! has "$OUT" "jdoe@example.com has no entry in the secrets file" &&
              has "$OUT" "nopw@example.com has no entry in the secrets file"' || show
run -c "$C" show pm
check "show: a file mailbox's is still its secrets line" has "$OUT" "password:   yes (sha512)" || show

# ---- every form of the same principal --------------------------------------
for l in jdoe john.doe JDOE 'EXAMPLE\jdoe' 'EXAMPLE/jdoe' jdoe@example.com john@example.org jdoe@example.org; do
        counted "$l" "$JDOE_PW"
        check "ldap-bind: $l with jdoe's password opens jdoe@example.com (one bind)" \
                eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         jdoe@example.com" && [ $B1 -eq 1 ] && [ $B2 -eq 0 ]' ||
                { show; echo "    binds s1=$B1 s2=$B2"; }
done
check "the bind was made as jdoe's DN, over TLS" \
        eval 'grep -q "BIND dn=\"uid=jdoe,ou=people,dc=example,dc=com\" method=128" "$T/s1/slapd.log" &&
              grep -q "STARTTLS" "$T/s1/slapd.log"'
counted 'EXAMPLE\assistant\jdoe' assistant-pw
check "the delegate form binds as the assistant, opens jdoe's mailbox" \
        eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         jdoe@example.com" && [ $B1 -eq 1 ]' || show
counted 'EXAMPLE\assistant\jdoe' "$JDOE_PW"
check "the delegate form with the mailbox's password is a wrong password" \
        eval '[ $rc -ne 0 ] && has "$OUT" "refused (wrong-password)" && [ $B1 -eq 1 ]' || show
counted pm "$PM_PW"
check "a file mailbox (no DN) is checked against the secrets file, no bind" \
        eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         postmaster@example.com" && [ $B1 -eq 0 ]' || show

# ---- failures, and what each costs ---------------------------------------------
counted jdoe wrong-password
check "wrong password: PAM_AUTH_ERR, wrong-password, one bind" \
        eval '[ $rc -ne 0 ] && has "$OUT" "pam_authenticate: Authentication failure (7)" &&
              has "$OUT" "refused (wrong-password)" && [ $B1 -eq 1 ]' || show
counted jdoe ''
check "empty password: refused before any bind" \
        eval '[ $rc -ne 0 ] && has "$OUT" "refused (wrong-password)" && [ $B1 -eq 0 ] && [ $B2 -eq 0 ]' || show
counted nobody ''
check "empty password for an unknown login: no bind either" eval '[ $rc -ne 0 ] && [ $B1 -eq 0 ]' || show
declare -A kind=([unknown]=nobody [invalid]=' jdoe' [ambiguous]=user [contact]=partner
        [not-hosted]=jdoe@elsewhere.test [not-delegated]='EXAMPLE\locked\jdoe'
        [file-mailbox-without-secrets-line]=nopw [wrong-password]=jdoe)
for k in unknown invalid ambiguous contact not-hosted not-delegated file-mailbox-without-secrets-line wrong-password; do
        counted "${kind[$k]}" 'some-Password'
        check "equal work: $k (\"${kind[$k]}\") costs exactly one bind" \
                eval '[ $rc -ne 0 ] && [ $B1 -eq 1 ] && [ $B2 -eq 0 ] && ! has "$OUT" "result:           ok"' ||
                { show; echo "    binds s1=$B1 s2=$B2"; }
done
check "the burn's bind names a DN no entry has" \
        eval 'grep -q "BIND dn=\"cn=mailacct-nobody-[0-9a-f]\{32\},dc=example,dc=com\" method=128" "$T/s1/slapd.log"'
counted nobody 'some-Password'
check "an unknown login is PAM_USER_UNKNOWN" has "$OUT" "pam_authenticate: User not known"

# ---- the account phase ------------------------------------------------------------
counted locked locked-pw
check "a disabled entry: its bind succeeds, the account phase refuses it" \
        eval '[ $rc -ne 0 ] && has "$OUT" "pam_authenticate: Success" && has "$OUT" "refused (disabled)" &&
              [ $B1 -eq 1 ]' || show

# ---- failover -----------------------------------------------------------------------
slapd_stop s1
counted 'EXAMPLE\jdoe' "$JDOE_PW"
check "the first server stopped: the second answers" \
        eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         jdoe@example.com" && [ $B2 -eq 1 ]' || show
counted jdoe wrong
check "... and a wrong password is still one bind, on the second" \
        eval 'has "$OUT" "refused (wrong-password)" && [ $B2 -eq 1 ]' || show
counted nobody wrong
check "... and so is an unknown login" eval 'has "$OUT" "User not known" && [ $B2 -eq 1 ]' || show
slapd_start s1 openldap || exit 1

# a server that accepts connections and never answers (SIGSTOP): StartTLS
slapd_hang s1
t0=$(date +%s.%N)
counted jdoe "$JDOE_PW"
t=$(secs "$t0" "$(date +%s.%N)")
check "the first server hung (StartTLS): the second answers within the timeout (${t}s)" \
        eval '[ $rc -eq 0 ] && [ $B2 -eq 1 ] && below "$t" 6' || show
# and over ldaps://, where the TLS handshake itself hangs
conf "\"ldaps://127.0.0.1:$s1_SPORT\", $U2"
t0=$(date +%s.%N)
counted jdoe "$JDOE_PW"
t=$(secs "$t0" "$(date +%s.%N)")
check "the first server hung (ldaps:// handshake): the second answers within the timeout (${t}s)" \
        eval '[ $rc -eq 0 ] && [ $B2 -eq 1 ] && below "$t" 6' || show
slapd_resume s1
counted jdoe "$JDOE_PW"
check "ldaps:// binds too" eval '[ $rc -eq 0 ] && [ $B1 -eq 1 ]' || show

# ---- what a login costs (a figure, not a check) -----------------------------------
N=20
per_login() { # LOGIN PASSWORD: ms per `mailacct test`, process start included
        local t0 i
        t0=$(date +%s%N)
        for i in $(seq $N); do login "$1" "$2"; done
        echo $((($(date +%s%N) - t0) / N / 1000000))
}
conf "$U1, $U2"
a=$(binds s1)
ms_bind=$(per_login jdoe "$JDOE_PW")
b=$(($(binds s1) - a))
ms_secrets=$(per_login pm "$PM_PW")
ms_unknown=$(per_login nobody "$JDOE_PW")
echo "# per login through libpam (mailacct test, process start included), N=$N, $(nproc) cores:" \
        "ldap-bind ${ms_bind} ms, unknown login ${ms_unknown} ms, secrets file (sha512-crypt) ${ms_secrets} ms;" \
        "$b binds on s1 for $N ldap-bind logins"
check "$N ldap-bind logins cost $N binds" test "$b" -eq $N

# ---- the directory unreachable ------------------------------------------------------
conf "$U1, $U2"
slapd_stop s1
slapd_stop s2
for l in jdoe nobody partner 'EXAMPLE\assistant\jdoe'; do
        login "$l" "$JDOE_PW"
        check "no server answers: $l is PAM_AUTHINFO_UNAVAIL, directory-unavailable" \
                eval '[ $rc -ne 0 ] && has "$OUT" "pam_authenticate: Authentication service cannot retrieve authentication info" &&
                      has "$OUT" "refused (directory-unavailable)"' || show
done
login pm "$PM_PW"
check "... a file mailbox still logs in with its secrets line" eval '[ $rc -eq 0 ]' || show
# a certificate that does not verify is no way in either
slapd_start s1 openldap || exit 1
sed -i "s|tls_ca = .*|tls_ca = \"$T/other-ca.pem\";|" "$C"
login jdoe "$JDOE_PW"
check "a server whose certificate does not verify: directory-unavailable" \
        eval '[ $rc -ne 0 ] && has "$OUT" "refused (directory-unavailable)"' || show
# libldap reads ldap.conf, an ldaprc in the working folder and LDAP*
# variables: none of them may weaken the check
mkdir -p "$T/cwd"
printf 'TLS_REQCERT never\nTLS_CACERT %s\n' "$T/test-ca.pem" >"$T/cwd/ldaprc"
(cd "$T/cwd" && LDAPTLS_REQCERT=never login jdoe "$JDOE_PW")
OUT=$(cat "$T/out")
check "... also with TLS_REQCERT never in ./ldaprc and LDAPTLS_REQCERT=never" \
        eval 'has "$OUT" "refused (directory-unavailable)"' || show
sed -i "/tls_ca = /d" "$C"
(cd "$T/cwd" && LDAPTLS_CACERT=$T/test-ca.pem login jdoe "$JDOE_PW")
OUT=$(cat "$T/out")
check "without tls_ca the system's store decides, not LDAPTLS_CACERT or ./ldaprc's TLS_CACERT" \
        eval 'has "$OUT" "refused (directory-unavailable)"' || show
conf "$U1, $U2"
slapd_start s2 openldap || exit 1

# ---- refused in clear ------------------------------------------------------------------
sed -i 's|^  starttls = true;|  starttls = false;|' "$C"
run -c "$C" check
check "check: ldap-bind with ldap:// and no StartTLS is an error" eval '[ $rc -eq 2 ] && has "$OUT" "in clear"' || show
login jdoe "$JDOE_PW"
check "the module refuses the configuration rather than bind in clear" \
        eval '[ $rc -ne 0 ] && ! has "$OUT" "result:           ok"' || show
# the ldap group gone while the index (stale, still answering) says ldap-bind
sed -i '/^ldap = {/,/^};/d' "$C"
login jdoe "$JDOE_PW"
check "the ldap group gone: config-unavailable, no login" \
        eval '[ $rc -ne 0 ] && has "$OUT" "refused (config-unavailable)"' || show
conf "$U1, $U2"

# ---- real Dovecot ---------------------------------------------------------------------------
if [ -n "$DOVECOT" ]; then
        conf "$U1, $U2"
        MA_CONF=$C
        ma_pam_services "imap pop3"
        ma_dovecot_start
        # dovecot_login PROTO LOGIN PASSWORD: ok or the server's refusal
        dovecot_login() {
                MS_PROTO=$1 MS_USER=$2 MS_PASS=$3 MS_IMAP=$MA_IMAP_PORT MS_POP3=$MA_POP3_PORT /usr/bin/python3 - <<'PY'
import imaplib, os, poplib
u, p = os.environ["MS_USER"], os.environ["MS_PASS"]
try:
    if os.environ["MS_PROTO"] == "imap":
        m = imaplib.IMAP4("127.0.0.1", int(os.environ["MS_IMAP"]), timeout=20)
        m.authenticate("PLAIN", lambda _: b"\0" + u.encode() + b"\0" + p.encode())
        m.select("INBOX")
        m.logout()
    else:
        m = poplib.POP3("127.0.0.1", int(os.environ["MS_POP3"]), timeout=20)
        m.user(u)
        m.pass_(p)
        m.stat()
        m.quit()
    print("ok")
except Exception as e:
    print("refused:", e)
PY
        }
        for l in jdoe 'EXAMPLE\jdoe' 'EXAMPLE/jdoe' jdoe@example.com john@example.org JDOE@EXAMPLE.ORG john.doe; do
                for proto in imap pop3; do
                        r=$(dovecot_login $proto "$l" "$JDOE_PW")
                        check "Dovecot $proto: $l with jdoe's password opens jdoe@example.com" \
                                eval '[ "$r" = ok ] && tail -n 5 "$MA_DOVECOT_LOG" | grep -q "Login: user=<jdoe@example.com>"' ||
                                { echo "    $r"; tail -n 5 "$MA_DOVECOT_LOG" | sed 's/^/    log| /'; }
                done
        done
        r=$(dovecot_login imap 'EXAMPLE\assistant\jdoe' assistant-pw)
        check "Dovecot imap: the delegate form with the assistant's password opens jdoe@example.com" \
                eval '[ "$r" = ok ] && tail -n 5 "$MA_DOVECOT_LOG" | grep -q "Login: user=<jdoe@example.com>"' ||
                { echo "    $r"; tail -n 5 "$MA_DOVECOT_LOG" | sed 's/^/    log| /'; }
        a=$(binds s1)
        r=$(dovecot_login imap jdoe not-jdoes-password)
        check "Dovecot imap: a wrong password is refused, wrong-password in the log, one bind" \
                eval '[ "$r" != ok ] && grep -q "wrong-password login \"jdoe\"" "$MA_SYSLOG" &&
                      [ $(($(binds s1) - a)) -eq 1 ]' || echo "    $r"
        r=$(dovecot_login imap locked locked-pw)
        check "Dovecot imap: a disabled entry is refused" eval '[ "$r" != ok ]' || echo "    $r"
        slapd_stop s1
        r=$(dovecot_login imap 'EXAMPLE\jdoe' "$JDOE_PW")
        check "Dovecot imap: the first server stopped, the second answers" eval '[ "$r" = ok ]' || echo "    $r"
        slapd_stop s2
        r=$(dovecot_login imap jdoe "$JDOE_PW")
        check "Dovecot imap: no server, no login; directory-unavailable in the log" \
                eval '[ "$r" != ok ] && grep -q "directory-unavailable login \"jdoe\"" "$MA_SYSLOG"' || echo "    $r"
        slapd_start s1 openldap && slapd_start s2 openldap || exit 1
        ma_dovecot_stop
fi

# ---- no password left in the memory of a login's process ---------------------------------
SHIM=$BUILD/tests/hardening/stop_at_exit.so
if [ -f "$SHIM" ] && ! nm -D "$MAILACCT" 2>/dev/null | grep -q __asan_init; then
        # mem_copies LOGIN PASSWORD: copies of PASSWORD in the memory of a
        # `mailacct test` of LOGIN, stopped at its exit
        mem_copies() {
                local out
                out=$(/usr/bin/python3 "$top/tests/lib/memsearch.py" "$SHIM" "$2" stdin \
                        "$MAILACCT" -c "$C" test --service imap --pam-dir "$T/pam.d" -- "$1")
                out=${out#copies=}
                echo "${out%% *}"
        }
        # mem_check WHAT URIS LOGIN PASSWORD
        mem_check() {
                conf "$2"
                copies=$(mem_copies "$3" "$4" 2>"$T/found")
                check "the password is nowhere in the memory of a login's process at its exit: $1 ($copies copies)" \
                        test "$copies" = 0 || sed 's/^/    /' "$T/found"
        }
        mem_check "ldap-bind over ldaps://" "\"ldaps://127.0.0.1:$s1_SPORT\"" jdoe "$JDOE_PW"
        mem_check "ldap-bind over StartTLS" "$U1" jdoe "$JDOE_PW"
        mem_check "ldap-bind over ldapi://" "\"ldapi://$(printf %s "$s1_SOCK" | sed 's|/|%2F|g')\"" jdoe "$JDOE_PW"
        mem_check "a wrong password over StartTLS" "$U1" jdoe "$JDOE_PW-x"
        mem_check "an unknown login (the burn's bind)" "$U1" nobody "$JDOE_PW"
        mem_check "a file mailbox (secrets file)" "$U1" pm "$PM_PW"
        conf "$U1, $U2"
fi

# ---- memcheck: the Sockbuf layers under and above TLS ------------------------------------
if command -v valgrind >/dev/null && ! nm -D "$MAILACCT" 2>/dev/null | grep -q __asan_init; then
        for u in "$U1" "\"ldaps://127.0.0.1:$s1_SPORT\""; do
                conf "$u"
                printf '%s\n' "$JDOE_PW" | valgrind -q --error-exitcode=99 --track-origins=yes "$MAILACCT" -c "$C" \
                        test --service imap --pam-dir "$T/pam.d" -- jdoe >"$T/out" 2>"$T/vg"
                rc=$?
                check "valgrind memcheck: a login over $u, no error" test $rc -eq 0 -a ! -s "$T/vg" ||
                        sed 's/^/    /' "$T/vg" | head -30
        done
        conf "$U1, $U2"
fi

# ---- the password in no log line ---------------------------------------------------------
if grep -rqF -- "$JDOE_PW" "$T/out" "$T/err" "$T"/s1/slapd.log "$T"/s2/slapd.log ${MA_SYSLOG:+"$MA_SYSLOG"} \
        ${DOVECOT:+"$MA_DOVECOT_LOG"}; then
        not_ok "jdoe's password appears in an output or a log"
else
        ok "jdoe's password appears in no output, no server log${MA_SYSLOG:+, no line of the module}"
fi
finish
