#!/bin/bash
# Passwords from the directory (issue 14, item 1): a private slapd whose
# service DN may read userPassword, holding {CRYPT} hashes (yescrypt at a
# cost of its own, sha512-crypt), {SSHA} and clear-text values, an entry
# with several values and one with a locked ("!") hash. Then:
#
#   - the sync's summary counts and names what it kept and what not, with a
#     warning naming the DN it refused; INDEX.secrets is root's and 0600,
#     and no hash is in the store, the index or the sync's output;
#   - logins through real libpam (the hardening suites' pam_probe) in every
#     form: address, alias, NETBIOS\alias, a secondary address, the
#     delegate form, with no secrets file at all; the first {CRYPT} value
#     of several counts, the second does not; {SSHA} and clear text do not
#     log in;
#   - a line of the secrets file overrides the directory's hash for that
#     address, and only for it;
#   - a synced file the trust rules refuse fails closed (authinfo_unavail),
#     and `mailacct check` says so; check's report of the synced hashes;
#   - equal work, counted with the crypt_r() shim: an unknown user, a file
#     mailbox without a password and an {SSHA}-only entry cost one
#     verification at the synced yescrypt's cost, as a wrong password does,
#     with and without a secrets file of cheaper hashes;
#   - the same logins through a real Dovecot (IMAP and POP3), in its own
#     mount and pid namespaces.
SUITE=ldap-crypt
if [ "${1:-}" != --inside ]; then
        [ "$(id -u)" -eq 0 ] || { echo "$SUITE: needs root"; exit 77; }
        command -v unshare >/dev/null || { echo "$SUITE: unshare missing"; exit 77; }
        exec unshare --mount --pid --fork --mount-proc --propagation private /bin/bash "$0" --inside
fi
. "$(dirname "$0")/lib.sh"
SLAPD_PASSWORD_READERS=1
ldap_setup
PROBE=$BUILD/tests/hardening/pam_probe
SHIM=$BUILD/tests/hardening/crypt_count.so
[ -x "$PROBE" ] && [ -f "$SHIM" ] || { echo "$SUITE: $PROBE or $SHIM not built (make tests)"; exit 1; }
PY=/usr/bin/python3

slapd_start s1 openldap || exit 1

hash_of() { # SALT-PREFIX PASSWORD
        "$PY" -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[2], sys.argv[1]))' "$1" "$2"
}
# yescrypt at a cost neither mailacct's default nor its dummy has: a burn
# at this cost can only come from the synced hashes
Y='$y$jAT$'
JDOE_PW='jdoe-Dir-Pw1' ASMITH_PW='asmith-Dir-Pw2' ASSIST_PW='assist-Dir-Pw3'
MULTI1='multi-First-Pw' MULTI2='multi-Second-Pw' SSHA_PW='ssha-Dir-Pw' CLEAR_PW='clear-Dir-Pw'
H_JDOE=$(hash_of "${Y}jdoeSaltjdoeSalt" "$JDOE_PW")
H_ASSIST=$(hash_of "${Y}assistSaltassist" "$ASSIST_PW")
H_ASMITH=$(hash_of '$6$asmithSalt$' "$ASMITH_PW")
H_MULTI1=$(hash_of '$6$multiSalt1$' "$MULTI1")
H_MULTI2=$(hash_of '$6$multiSalt2$' "$MULTI2")
H_SSHA=$(/usr/sbin/slappasswd -h '{SSHA}' -s "$SSHA_PW")
H_SSHA2=$(/usr/sbin/slappasswd -h '{SSHA}' -s other)

ldif s1 <<EOF || exit 1
dn: uid=jdoe,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
uid: jdoe
cn: John Doe
sn: Doe
mail: jdoe@example.com
mailLocalAddress: john@example.org
seeAlso: uid=assistant,ou=people,dc=example,dc=com
userPassword: {CRYPT}$H_JDOE

dn: uid=asmith,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: asmith
cn: Alice Smith
sn: Smith
mail: asmith@example.com
userPassword: {crypt}$H_ASMITH

dn: uid=assistant,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: assistant
cn: Assistant
sn: Assistant
mail: assistant@example.com
userPassword: {CRYPT}$H_ASSIST

dn: uid=sshaonly,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: sshaonly
cn: Ssha
sn: Only
mail: sshaonly@example.com
userPassword: $H_SSHA

dn: uid=clear,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: clear
cn: Clear
sn: Text
mail: clear@example.com
userPassword: $CLEAR_PW

dn: uid=lockedhash,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: lockedhash
cn: Locked
sn: Hash
mail: lockedhash@example.com
userPassword: {CRYPT}!$H_ASMITH

dn: uid=nopw,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: nopw
cn: No
sn: Password
mail: nopw@example.com

EOF

# several values: ppolicy's overlay refuses them over the protocol, slapadd
# (offline, as an administrator loads a directory) takes them
slapd_stop s1
/usr/sbin/slapadd -q -f "$T/s1/slapd.conf" >"$T/multi.out" 2>&1 <<EOF || { cat "$T/multi.out"; exit 1; }
dn: uid=multi,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: multi
cn: Multi
sn: Multi
mail: multi@example.com
userPassword: $H_SSHA2
userPassword: {CRYPT}$H_MULTI1
userPassword: {CRYPT}$H_MULTI2
EOF
slapd_start s1 openldap || exit 1

D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
IDX=$D/mailacct.idx
SEC=$IDX.secrets
# conf [top-level settings...]: no secrets file unless given
conf() {
        {
                echo 'index = "mailacct.idx";'
                echo 'default_domain = "example.com";'
                echo 'defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; shell = "/usr/sbin/nologin"; };'
                echo 'domains = ( { name = "example.com"; netbios = "EXAMPLE"; aliases = [ "example.org" ]; } );'
                echo 'mailboxes = ( { address = "postmaster@example.com"; aliases = [ "pm" ]; } );'
                for s in "$@"; do echo "$s"; done
                echo 'ldap = {'
                echo "  uri = [ \"ldap://127.0.0.1:$s1_PORT\" ];"
                echo '  base = "dc=example,dc=com";'
                echo '  schema = "openldap";'
                echo "  bind_dn = \"$SVC_DN\"; bind_password_file = \"$T/bind.pw\";"
                echo "  starttls = true; tls_ca = \"$T/test-ca.pem\"; timeout = 5;"
                echo '  map = { delegates = "seeAlso"; };'
                echo '};'
        } >"$C"
        chmod 0644 "$C"
}
conf

mkdir -p "$T/pam.d"
printf 'auth required %s config=%s\naccount required %s config=%s\n' \
        "$BUILD/pam_mailacct.so" "$C" "$BUILD/pam_mailacct.so" "$C" >"$T/pam.d/imap"
# login PASSWORD -> "auth=... acct=... user=..."
login() { "$PROBE" "$T/pam.d" imap "$1" "$2" 2>&1; }
# expect WHAT LOGIN PASSWORD AUTH [USER]
expect() {
        local out want="auth=$4"
        out=$(login "$2" "$3")
        [ -n "${5:-}" ] && want="$want acct=success user=$5"
        case $out in "$want"*) ok "$1: $out" ;; *) not_ok "$1: got '$out', want '$want...'" ;; esac
}

# ---- the sync -------------------------------------------------------------------
run -c "$C" sync
check "sync: exit 0" test "$rc" -eq 0 || show
want='sync: passwords: 4 {CRYPT} hashes kept, 1 entry with several values (the first {CRYPT} kept), 1 {CRYPT} value refused (see the warnings), 2 entries without a {CRYPT} value; other schemes, not synced: {SSHA} 2, no scheme 1'
check "summary counts and names the schemes" has "$OUT" "$want" || show
check "the refused {CRYPT} value is a warning naming its DN" \
        has "$ERR" "uid=lockedhash,ou=people,dc=example,dc=com: warning: userPassword not synced: its {CRYPT} value is not a hash" || show
check "INDEX.secrets is root's, 0600" test "$(stat -c '%U %a' "$SEC")" = "root 600"
leak=0
for h in "$H_JDOE" "$H_ASMITH" "$H_ASSIST" "$H_MULTI1" "${H_SSHA#\{SSHA\}}" "$CLEAR_PW"; do
        for f in "$IDX" "$IDX.ldap" "$T/out" "$T/err"; do
                grep -qaF -- "$h" "$f" && { leak=1; echo "    a hash or password is in $f"; }
        done
done
check "no hash or password in the store, the index or the output" test $leak -eq 0
grep -qaF -- "${H_JDOE##*\$}" "$SEC"
check "the kept hashes are in INDEX.secrets" test $? -eq 0
check "the sync warns that the kept hashes mix costs" \
        has "$ERR" "warning: the directory's {CRYPT} hashes mix schemes or costs (\$y\$jAT\$, \$6\$)" || show

# ---- logins through real libpam, no secrets file -------------------------------
expect "address" jdoe@example.com "$JDOE_PW" success jdoe@example.com
expect "alias" jdoe "$JDOE_PW" success jdoe@example.com
expect "NETBIOS\\alias" 'EXAMPLE\jdoe' "$JDOE_PW" success jdoe@example.com
expect "secondary address" john@example.org "$JDOE_PW" success jdoe@example.com
expect "delegate form: the assistant's synced password opens jdoe" 'EXAMPLE\assistant\jdoe' "$ASSIST_PW" success \
        jdoe@example.com
expect "delegate form: jdoe's password is not the assistant's" 'EXAMPLE\assistant\jdoe' "$JDOE_PW" auth_err
expect "sha512-crypt ({crypt}, lower case)" asmith "$ASMITH_PW" success asmith@example.com
expect "wrong password" jdoe wrong-Pw auth_err
expect "several values: the first {CRYPT} one" multi "$MULTI1" success multi@example.com
expect "several values: not the second" multi "$MULTI2" auth_err
expect "{SSHA} only: not guessed" sshaonly "$SSHA_PW" auth_err
expect "clear text: not taken" clear "$CLEAR_PW" auth_err
expect "a locked {CRYPT}! hash: refused" lockedhash "$ASMITH_PW" auth_err
expect "the file's mailbox has no password anywhere" pm "$JDOE_PW" auth_err
expect "unknown user" nobody "$JDOE_PW" user_unknown

run -c "$C" check
check "check: the synced hashes reported" has "$OUT" "4 password hashes synced from the directory in $SEC (slowest setting $Y)" || show
check "check: sshaonly has no password (no secrets file, no synced hash)" \
        has "$OUT" "mailbox sshaonly@example.com has no password: no secrets file, and no {CRYPT} hash synced" || show
check "check: jdoe needs no line" eval '! has "$OUT" "mailbox jdoe@example.com has no"' || show
run -c "$C" show jdoe
check "show: jdoe's password is the synced yescrypt" has "$OUT" "password:   yes (yescrypt, synced from the directory)" || show
run -c "$C" show sshaonly
check "show: sshaonly has none" has "$OUT" "password:   no (the configuration names no secrets file and no hash was synced for it)" || show

# ---- equal work: the crypt_r() calls of each outcome ----------------------------
# the shim loads before an ASan-built probe's runtime (as in hashwork.sh)
asan_opts=
case $BUILD in */asan) asan_opts=verify_asan_link_order=0:detect_leaks=0 ;; esac
# work LOGIN PASSWORD -> "CALLS COSTS CALIBRATIONS"
work() {
        : >"$T/crypt.log"
        CRYPT_COUNT_LOG=$T/crypt.log LD_PRELOAD=$SHIM ASAN_OPTIONS=$asan_opts "$PROBE" "$T/pam.d" imap "$1" "$2" \
                >/dev/null 2>&1
        echo "$(grep -c '^crypt_r ' "$T/crypt.log") $(sed -n 's/^crypt_r //p' "$T/crypt.log" | sort -u | tr '\n' ' ')$(grep -c '^crypt_r-calibration ' "$T/crypt.log")"
}
equal_work() { # LABEL CALIBRATIONS
        local w ref
        ref=$(work jdoe wrong-Pw)
        check "$1: a wrong password for synced yescrypt jdoe: one crypt_r at $Y ($ref)" \
                test "$ref" = "1 $Y $2"
        for c in "nobody|$JDOE_PW|unknown user" "EXAMPLE\\nobody\\jdoe|$JDOE_PW|invalid delegate" \
                "pm|$JDOE_PW|file mailbox without a password" "sshaonly|$SSHA_PW|{SSHA}-only entry" \
                "jdoe|$JDOE_PW|right password"; do
                IFS='|' read -r l pw what <<<"$c"
                w=$(work "$l" "$pw")
                check "$1: $what: the same work ($w)" test "$w" = "$ref"
        done
}
equal_work "synced only" 0

# ---- a secrets file overrides the directory for its addresses -------------------
FILE_PW='jdoe-File-Pw9'
conf 'secrets = "mailacct.secrets";'
: >"$D/mailacct.secrets"
chmod 0600 "$D/mailacct.secrets"
printf '%s\n' "$FILE_PW" | "$MAILACCT" -c "$C" passwd jdoe@example.com >/dev/null 2>"$T/err"
check "mailacct passwd jdoe (a yescrypt line at libxcrypt's default cost)" grep -q '^jdoe@example.com:\$y\$j9T\$' "$D/mailacct.secrets" || cat "$T/err"
"$MAILACCT" -c "$C" compile >/dev/null 2>"$T/err" || cat "$T/err"
check "compile leaves INDEX.secrets as the sync wrote it" test "$(stat -c '%U %a' "$SEC")" = "root 600"
expect "override: the file's password" jdoe "$FILE_PW" success jdoe@example.com
run -c "$C" show jdoe
check "show: jdoe's password is the file's line" eval 'has "$OUT" "password:   yes (yescrypt)" && ! has "$OUT" synced' || show
run -c "$C" show asmith
check "show: asmith's the directory's" has "$OUT" "password:   yes (sha512, synced from the directory)" || show
expect "override: not the directory's" jdoe "$JDOE_PW" auth_err
expect "override: the delegate form with the file's password" 'EXAMPLE\jdoe' "$FILE_PW" success jdoe@example.com
expect "override: others keep the directory's" asmith "$ASMITH_PW" success asmith@example.com
expect "override: the assistant opens jdoe with its own" 'EXAMPLE\assistant\jdoe' "$ASSIST_PW" success jdoe@example.com
# the file's slowest ($y$j9T$) and the directory's ($y$jAT$) timed once a process
ref=$(work nobody "$JDOE_PW")
check "override: an unknown user burns at the slower place's cost, $Y ($ref)" test "$ref" = "1 $Y 2"
w=$(work asmith wrong-Pw)
check "override: the pair is timed in every outcome alike ($w)" test "${w##* }" = 2
run -c "$C" check
check "check warns that the two places cost differently" has "$OUT" "cost differently" || show
rm -f "$D/mailacct.secrets" "$D/mailacct.secrets.idx"
conf
"$MAILACCT" -c "$C" compile >/dev/null 2>"$T/err" || cat "$T/err"
expect "no secrets file again: the directory's password" jdoe "$JDOE_PW" success jdoe@example.com

# ---- trust: a synced file others may read is refused, fail closed ---------------
chmod 0644 "$SEC"
expect "INDEX.secrets readable by others: fails closed" jdoe "$JDOE_PW" authinfo_unavail
"$PROBE" --log "$T/probe.log" "$T/pam.d" imap jdoe "$JDOE_PW" >/dev/null 2>&1
check "the module's log names the synced file and why" \
        grep -q "secrets-unavailable login \"jdoe\": $SEC: refused: .*others" "$T/probe.log" || cat "$T/probe.log"
run -c "$C" check
check "check: an error naming the file" eval '[ $rc -eq 2 ] && has "$OUT" "$SEC" && has "$OUT" "refuses every login"' || show
chmod 0600 "$SEC"
chown nobody "$SEC"
expect "INDEX.secrets owned by nobody: fails closed" jdoe "$JDOE_PW" authinfo_unavail
chown root "$SEC"
expect "root's again: logs in" jdoe "$JDOE_PW" success jdoe@example.com

# ---- a sync that keeps no hash removes the file ---------------------------------
ldif s1 ldapmodify <<EOF
dn: uid=jdoe,ou=people,dc=example,dc=com
changetype: modify
replace: userPassword
userPassword: {CRYPT}$H_MULTI2
EOF
run -c "$C" sync
expect "a changed directory hash is used after the next sync" jdoe "$MULTI2" success jdoe@example.com
run -c "$C" sync --dry-run
check "--dry-run counts too" has "$OUT" "sync: passwords: 4 {CRYPT} hashes kept" || show

# ---- a bind that may not read userPassword: the synced hashes go ----------------
sed -i '/bind_dn = /d' "$C"
run -c "$C" sync
check "an anonymous bind reads no hash: the summary says the kept ones go" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: passwords: no userPassword value readable" && [ ! -e "$SEC" ]' || show
expect "no synced hash, no secrets file: fails closed" jdoe "$MULTI2" authinfo_unavail
conf
run -c "$C" sync
check "the service DN's bind: kept again" eval '[ $rc -eq 0 ] && [ -e "$SEC" ]' || show

# ---- real Dovecot: every form over IMAP, and POP3 --------------------------------
if ! command -v dovecot >/dev/null || [ ! -x /usr/lib/dovecot/pop3 ]; then
        echo "note: Dovecot missing: its logins left out (apt-get install dovecot-imapd dovecot-pop3d)"
        finish
        exit
fi
(
        . "$top/tests/lib/dovecot.sh"
        mkdir -p "$T/dovecot"
        ma_setup "$T/dovecot"
        MA_CONF=$C
        ma_pam_services "imap pop3"
        ma_dovecot_start >/dev/null
        trap ma_stop EXIT
        MA_IMAP_PORT=$MA_IMAP_PORT MA_POP3_PORT=$MA_POP3_PORT "$PY" - <<EOF
import imaplib, os, poplib, sys
cases = [
    ("address", "jdoe@example.com", "$MULTI2", True),
    ("alias", "jdoe", "$MULTI2", True),
    ("NETBIOS\\\\alias", "EXAMPLE\\\\jdoe", "$MULTI2", True),
    ("secondary address", "john@example.org", "$MULTI2", True),
    ("delegate form", "EXAMPLE\\\\assistant\\\\jdoe", "$ASSIST_PW", True),
    ("sha512-crypt", "asmith", "$ASMITH_PW", True),
    ("wrong password", "jdoe", "wrong-Pw", False),
    ("{SSHA} only", "sshaonly", "$SSHA_PW", False),
    ("unknown user", "nobody", "$MULTI2", False),
]
bad = 0
for what, user, pw, want in cases:
    try:
        c = imaplib.IMAP4("127.0.0.1", int(os.environ["MA_IMAP_PORT"]), timeout=10)
        try:
            c.login(user, pw)
            c.select("INBOX")
            got = True
            c.logout()
        except imaplib.IMAP4.error:
            got = False
    except OSError as e:
        got = None
    print(("ok" if got == want else "FAIL"), "imap", what, user, "->", got, flush=True)
    bad += got != want
try:
    p = poplib.POP3("127.0.0.1", int(os.environ["MA_POP3_PORT"]), timeout=10)
    p.user("EXAMPLE\\\\assistant\\\\jdoe")
    p.pass_("$ASSIST_PW")
    p.stat()
    p.quit()
    print("ok pop3 delegate form", flush=True)
except Exception as e:
    print("FAIL pop3 delegate form:", e, flush=True)
    bad += 1
sys.exit(1 if bad else 0)
EOF
        rc=$?
        # the canonical mailbox is the session's: five IMAP forms, the POP3 delegate form
        n=$(grep -c 'imap-login: Info: Login: user=<jdoe@example.com>' "$MA_DOVECOT_LOG")
        [ "$n" -eq 5 ] || { echo "FAIL dovecot: $n IMAP sessions of jdoe@example.com, want 5"; rc=1; }
        grep -q 'pop3-login: Info: Login: user=<jdoe@example.com>' "$MA_DOVECOT_LOG" ||
                { echo "FAIL dovecot: the POP3 delegate form did not open jdoe@example.com"; rc=1; }
        cp "$MA_DOVECOT_LOG" "${MAILACCT_TEST_LOGS:-$T}/ldap-crypt-dovecot.log" 2>/dev/null
        exit $rc
) >"$T/dovecot.out" 2>&1
drc=$?
sed 's/^/    /' "$T/dovecot.out"
check "Dovecot: every form over IMAP and the delegate form over POP3 ($(grep -c '^ok' "$T/dovecot.out") logins as expected)" \
        test $drc -eq 0
finish
