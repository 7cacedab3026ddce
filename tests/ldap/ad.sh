#!/bin/bash
# `mailacct sync` with schema = "ad" against Debian's slapd carrying an AD
# shaped schema of the tests' own (tests/ldap/ad.schema: AD's attributes
# with the matching rules its filters need, and Exchange's, which Samba's
# base schema lacks). Two servers holding the same directory:
#
#   - proxyAddresses (SMTP: primary, smtp: others, X500: ignored),
#     userPrincipalName as a login when hosted, mailNickname else
#     sAMAccountName, the NT account in the AD domain the DN names (the
#     file's netbios; a nested domain without one: its DNS name, warned
#     once), userAccountControl 0x2 refused in PAM's account phase,
#     protocolSettings (IMAP4 off: imap refused, pop3 allowed),
#     msExchDelegateListLink (the three-part delegate form), contacts by
#     targetAddress; the same answers as the equivalent hand-written file
#     and the agreement of PAM, NSS and resolve;
#   - failover: the first server stopped (refused), then hung (SIGSTOP: the
#     timeout sends the sync on), both stopped (3); a server that answers
#     with part of the directory (its size limit): exit 2, nothing written;
#   - the incremental method the root DSE offers named in the summary.
SUITE=ldap-ad
. "$(dirname "$0")/lib.sh"
ldap_setup

ad_ldif() {
        cat <<'EOF'
dn: ou=Users,dc=example,dc=com
objectClass: organizationalUnit
ou: Users

dn: CN=John Doe,ou=Users,dc=example,dc=com
objectClass: user
objectCategory: person
cn: John Doe
sn: Doe
displayName: John Doe
sAMAccountName: jdoe
userPrincipalName: jdoe@example.com
mailNickname: jdoe
proxyAddresses: SMTP:John.Doe@example.com
proxyAddresses: smtp:jdoe@example.org
proxyAddresses: smtp:jd@example.com
proxyAddresses: X500:/o=Example/ou=First Administrative Group/cn=Recipients/cn=jdoe
mail: John.Doe@example.com
userAccountControl: 512
uidNumber: 10001
gidNumber: 10000
unixHomeDirectory: /home/jdoe
loginShell: /bin/bash
msExchDelegateListLink: CN=Assistant,ou=Users,dc=example,dc=com

dn: CN=Assistant,ou=Users,dc=example,dc=com
objectClass: user
objectCategory: person
cn: Assistant
sn: Assistant
sAMAccountName: assistant
userPrincipalName: assistant@example.com
proxyAddresses: SMTP:assistant@example.com
userAccountControl: 512

dn: CN=Bob Builder,ou=Users,dc=example,dc=com
objectClass: user
objectCategory: person
cn: Bob Builder
sn: Builder
sAMAccountName: bbuilder
userPrincipalName: robert@example.org
mail: bob@example.com
userAccountControl: 66048

dn: CN=Gone Away,ou=Users,dc=example,dc=com
objectClass: user
objectCategory: person
cn: Gone Away
sn: Away
sAMAccountName: gone
proxyAddresses: SMTP:gone@example.com
userAccountControl: 514

dn: CN=Pop Only,ou=Users,dc=example,dc=com
objectClass: user
objectCategory: person
cn: Pop Only
sn: Only
sAMAccountName: poponly
proxyAddresses: SMTP:poponly@example.com
protocolSettings:: SU1BUDTCpzDCpzHCpzTCpzDCpzDCpzDCpzDCpzA=
protocolSettings:: UE9QM8KnMcKnMcKnNMKnMMKnMMKnMMKnMMKnMA==

dn: dc=corp,dc=example,dc=com
objectClass: dcObject
objectClass: organizationalUnit
dc: corp
ou: corp

dn: CN=Carl Corp,dc=corp,dc=example,dc=com
objectClass: user
objectCategory: person
cn: Carl Corp
sn: Corp
sAMAccountName: carl
proxyAddresses: SMTP:carl@example.com

dn: CN=Partner,ou=Users,dc=example,dc=com
objectClass: contact
objectCategory: person
cn: Partner
sn: Partner
mailNickname: partner
targetAddress: SMTP:partner@elsewhere.net

dn: CN=Not Mail Enabled,ou=Users,dc=example,dc=com
objectClass: user
objectCategory: person
cn: Not Mail Enabled
sn: Enabled
sAMAccountName: nomail

EOF
}

SLAPD_SYNCPROV=1 slapd_start s1 ad || exit 1
slapd_start s2 ad || exit 1
ad_ldif | ldif s1 || exit 1
ad_ldif | ldif s2 || exit 1

D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
IDX=$D/mailacct.idx
conf() {
        local f=$1 uris=$2 more=${3:-}
        cat >"$f" <<EOF
index = "mailacct.idx";
default_domain = "example.com";
defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; };
domains = ( { name = "example.com"; netbios = "EXAMPLE"; aliases = [ "example.org" ]; } );
ldap = {
  uri = [ $uris ];
  base = "dc=example,dc=com";
  schema = "ad";
  bind_dn = "$SVC_DN";
  bind_password_file = "$T/bind.pw";
  tls_ca = "$T/test-ca.pem";
  timeout = 2;
  $more
};
EOF
        chmod 0644 "$f"
}
S1="\"ldaps://127.0.0.1:$s1_SPORT\""
S2="\"ldaps://127.0.0.1:$s2_SPORT\""
conf "$C" "$S1, $S2"

run -c "$C" sync
check "first sync from the first server; the root DSE offers RFC 4533 (syncprov)" \
        test "$OUT" = "sync: full (first sync), 7 seen, 7 added, 0 changed, 0 removed, 0 left out" || show
check "a nested AD domain without a NetBIOS name: warned once, its DNS name serves" \
        has "$ERR" "warning: no NetBIOS name for AD domain corp.example.com" || show
run -c "$C" resolve John.Doe@example.com jdoe@example.org jd@example.com jdoe 'EXAMPLE\jdoe' 'EXAMPLE/jdoe' \
        'example.com\jdoe'
check "proxyAddresses: the SMTP: primary and the smtp: others; mailNickname and the NT account" \
        test "$(echo "$OUT" | sort -u)" = "John.Doe@example.com" -a "$(echo "$OUT" | wc -l)" -eq 7 || show
run -c "$C" resolve robert@example.org bbuilder 'EXAMPLE\bbuilder' bob
check "userPrincipalName in a hosted domain is a login; sAMAccountName the alias when no mailNickname" \
        test "$OUT" = "$(printf '%s\n' bob@example.com bob@example.com bob@example.com bob@example.com)" || show
run -c "$C" resolve 'corp.example.com\carl' carl 'EXAMPLE\carl'
check "the NT account is the DN's AD domain's, not the mail domain's (the alias still serves)" \
        test "$OUT" = "$(printf '%s\n' carl@example.com carl@example.com carl@example.com)" || show
run -c "$C" explain 'corp.example.com\carl'
check "explain names the DN" has "$OUT" "origin:     cn=Carl Corp,dc=corp,dc=example,dc=com" || show
run -c "$C" resolve 'EXAMPLE\assistant\jdoe' 'EXAMPLE\bbuilder\jdoe'
check "msExchDelegateListLink: the delegate opens the mailbox, another account may not" \
        eval '[ "$OUT" = John.Doe@example.com ] && has "$ERR" "not-delegated"' || show
run -c "$C" resolve partner
check "a contact from targetAddress never logs in" has "$ERR" "partner: contact" || show
run -c "$C" resolve nomail
check "an entry the filter does not find is no mailbox" has "$ERR" "nomail: not-found" || show

mkdir -p "$T/pam.d"
for svc in imap pop3; do
        cat >"$T/pam.d/$svc" <<EOF
auth required $BUILD/pam_mailacct.so resolve_only config=$C
account required $BUILD/pam_mailacct.so config=$C
EOF
done
run -c "$C" test --service imap --pam-dir "$T/pam.d" gone
check "userAccountControl 0x2: refused in the account phase" eval '[ $rc -ne 0 ] && has "$OUT" "pam_acct_mgmt:"' || show
run -c "$C" test --service imap --pam-dir "$T/pam.d" poponly
check "protocolSettings IMAP4 off: imap refused" eval '[ $rc -ne 0 ] && has "$OUT" "pam_acct_mgmt:"' || show
run -c "$C" test --service pop3 --pam-dir "$T/pam.d" poponly
check "protocolSettings POP3 on: pop3 allowed" eval '[ $rc -eq 0 ]' || show
run -c "$C" test --service imap --pam-dir "$T/pam.d" 'EXAMPLE\assistant\jdoe'
check "PAM: the delegate form lands on the mailbox" has "$OUT" "PAM_USER:         John.Doe@example.com" || show

# the same directory written by hand answers alike; PAM = NSS = resolve
E=$T/equiv
mkdir -p "$E"
sed -n '1,4p' "$C" >"$E/mailacct.conf"
cat >>"$E/mailacct.conf" <<'EOF'
mailboxes = (
  { address = "John.Doe@example.com"; aliases = [ "jdoe" ]; addresses = [ "jdoe@example.org", "jd@example.com" ];
    nt_account = "EXAMPLE\\jdoe"; name = "John Doe"; uid = 10001; gid = 10000; home = "/home/jdoe";
    shell = "/bin/bash"; delegates = [ "assistant@example.com" ]; },
  { address = "assistant@example.com"; aliases = [ "assistant" ]; nt_account = "EXAMPLE\\assistant"; },
  { address = "bob@example.com"; aliases = [ "bbuilder" ]; addresses = [ "robert@example.org" ];
    nt_account = "EXAMPLE\\bbuilder"; },
  { address = "gone@example.com"; aliases = [ "gone" ]; nt_account = "EXAMPLE\\gone"; enabled = false; },
  { address = "poponly@example.com"; aliases = [ "poponly" ]; nt_account = "EXAMPLE\\poponly";
    services = [ "pop3", "smtp", "sieve" ]; },
  { address = "carl@example.com"; aliases = [ "carl" ]; nt_account = "corp.example.com\\carl"; }
);
contacts = ( { alias = "partner"; address = "partner@elsewhere.net"; } );
EOF
chmod 0644 "$E/mailacct.conf"
logins=(jdoe JDOE 'EXAMPLE\jdoe' John.Doe@example.com jdoe@example.org jd@example.com jdoe@example.com
        'EXAMPLE\assistant\jdoe' 'EXAMPLE\assistant\John.Doe@example.com' 'EXAMPLE\bbuilder\jdoe' assistant
        robert@example.org bob bbuilder 'EXAMPLE\bbuilder' gone poponly carl 'corp.example.com\carl'
        'CORP.EXAMPLE.COM/carl' 'EXAMPLE\carl' partner partner@elsewhere.net nomail 'NOWHERE\x')
"$MAILACCT" -c "$E/mailacct.conf" resolve -- "${logins[@]}" >"$T/equiv.out" 2>"$T/equiv.err"
"$MAILACCT" -c "$C" resolve -- "${logins[@]}" >"$T/synced.out" 2>"$T/synced.err"
sed -i "s|$E/mailacct.conf|CONF|g" "$T/equiv.err"
sed -i "s|$C|CONF|g" "$T/synced.err"
check "the synced directory answers as the equivalent file does (${#logins[@]} logins)" \
        eval 'cmp -s "$T/equiv.out" "$T/synced.out" && cmp -s "$T/equiv.err" "$T/synced.err"' ||
        { diff "$T/equiv.out" "$T/synced.out"; diff "$T/equiv.err" "$T/synced.err"; }
if [ -x "$BUILD/tests/agree" ]; then
        "$BUILD/tests/agree" --synced "$C" "$IDX" "$E/mailacct.conf" >"$T/agree.out" 2>&1
        rc=$?
        check "agreement: PAM_USER = pw_name = mailacct resolve over the synced index" test $rc -eq 0 ||
                tail -20 "$T/agree.out"
        tail -1 "$T/agree.out"
fi

# ---- failover ---------------------------------------------------------------------
slapd_stop s1
run -c "$C" sync
check "first server stopped: the second syncs (exit 0), the first named unreachable" \
        eval '[ $rc -eq 0 ] && has "$OUT" "7 seen, 0 added" && has "$ERR" "ldaps://127.0.0.1:$s1_SPORT: connect"' ||
        show
# a refused connection is no timeout: with timeout = 10, far less than 10 s
sed -e 's|^index = .*|index = "t10.idx";|' -e 's|timeout = 2;|timeout = 10;|' "$C" >"$D/t10.conf"
chmod 0644 "$D/t10.conf"
t0=$(date +%s.%N)
run -c "$D/t10.conf" sync
elapsed=$(secs "$t0" "$(date +%s.%N)")
check "  a refused connection costs no timeout ($elapsed s with timeout = 10)" \
        eval '[ $rc -eq 0 ] && below "$elapsed" 6' || show
run -c "$C" check
check "check: the last sync came from the second server" has "$OUT" "from ldaps://127.0.0.1:$s2_SPORT" || show
SLAPD_SYNCPROV=1 slapd_start s1 ad || exit 1
slapd_hang s1
t0=$(date +%s.%N)
run -c "$C" sync
t1=$(date +%s.%N)
slapd_resume s1
elapsed=$(secs "$t0" "$t1")
check "first server hung: its timeout (2 s) sends the sync to the second ($elapsed s)" \
        eval '[ $rc -eq 0 ] && has "$ERR" "ldaps://127.0.0.1:$s1_SPORT" && ! below "$elapsed" 1.9 && below "$elapsed" 8' ||
        show
slapd_stop s1
slapd_stop s2
cp "$IDX" "$T/idx.before"
run -c "$C" sync
check "both stopped: exit 3, each named, nothing changed" \
        eval '[ $rc -eq 3 ] && has "$ERR" "$s1_SPORT: connect" && has "$ERR" "$s2_SPORT: connect" &&
              has "$ERR" "nothing changed" && cmp -s "$IDX" "$T/idx.before"' || show
run -c "$C" resolve jdoe
check "the index still answers" test "$OUT" = John.Doe@example.com || show

# ---- a server that sends part of the directory -------------------------------------------
SLAPD_SIZELIMIT=3 slapd_start s3 ad || exit 1
ad_ldif | ldif s3 || exit 1
conf "$D/part.conf" "\"ldaps://127.0.0.1:$s3_SPORT\""
sed -i 's|^index = .*|index = "part.idx";|' "$D/part.conf"
run -c "$D/part.conf" sync
check "a size limit cut the answer short: exit 2, nothing written" \
        eval '[ $rc -eq 2 ] && has "$ERR" "Size limit exceeded (4): the server sent part of the directory only" &&
              [ ! -e "$D/part.idx" ] && [ ! -e "$D/part.idx.ldap" ]' || show
slapd_stop s3
finish
