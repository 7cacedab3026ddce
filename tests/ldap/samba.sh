#!/bin/bash
# `mailacct sync` against a real Active Directory: a Samba AD DC provisioned
# by the test in a temporary folder (RFC 2307 on), run in a network
# namespace of its own (its ports never touch the host's) and reached with
# nsenter. Samba's base schema has proxyAddresses, mail, userPrincipalName,
# sAMAccountName, userAccountControl, RFC 2307 and crossRef, but none of
# Exchange's attributes: aliases fall back to sAMAccountName, contacts to
# mail and cn. Samba refuses simple binds without TLS: ldaps:// with the
# test's CA.
#
#   - the NT account from the directory's crossRef (the file names no
#     netbios for example.com);
#   - proxyAddresses, UPN as a login, disabled accounts (refused in PAM's
#     account phase), RFC 2307 ids, a contact;
#   - a rename is a change (objectGUID), a delete a removal;
#   - check --online names uSNChanged (usn) as the incremental method
#     (samba-incremental.sh tests it);
#   - the same answers as the equivalent file, and PAM = NSS = resolve;
#   - passwords = "ldap-bind" (issue 14): PAM logins checked by a bind to
#     the DC as each entry's DN, over ldaps:// and StartTLS: every form its
#     base schema gives (sAMAccountName, NetBIOS, proxyAddresses, UPN), the
#     DN the sync learnt after a rename, a wrong password, an unknown login,
#     a disabled account, the DC stopped (directory-unavailable).
SUITE=ldap-samba
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/samba-lib.sh"
samba_need
ldap_setup
samba_start ldap

PW=$(upw 'Mail-Passw0rd-1')
adm ldapadd >"$S/add.out" 2>&1 <<EOF || { cat "$S/add.out"; exit 1; }
dn: CN=John Doe,CN=Users,DC=example,DC=com
objectClass: user
sAMAccountName: jdoe
userPrincipalName: jdoe@example.com
displayName: John Doe
mail: John.Doe@example.com
proxyAddresses: SMTP:John.Doe@example.com
proxyAddresses: smtp:jdoe@example.org
proxyAddresses: X500:/o=Example/cn=jdoe
uidNumber: 10001
gidNumber: 10000
unixHomeDirectory: /home/jdoe
loginShell: /bin/bash
unicodePwd:: $PW
userAccountControl: 512

dn: CN=Bob Builder,CN=Users,DC=example,DC=com
objectClass: user
sAMAccountName: bbuilder
userPrincipalName: robert@example.org
mail: bob@example.com
unicodePwd:: $PW
userAccountControl: 66048

dn: CN=Gone Away,CN=Users,DC=example,DC=com
objectClass: user
sAMAccountName: gone
proxyAddresses: SMTP:gone@example.com

dn: CN=Partner,CN=Users,DC=example,DC=com
objectClass: contact
mail: partner@elsewhere.net

dn: CN=No Mail,CN=Users,DC=example,DC=com
objectClass: user
sAMAccountName: nomail
EOF

D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
IDX=$D/mailacct.idx
samba_conf "$C" "/var/mail/%d/%n" '{ name = "example.com"; aliases = [ "example.org" ]; }'

nsrun -c "$C" sync
check "sync from the Samba DC: exit 0, a full pull" \
        test "$OUT" = "sync: full (first sync), 4 seen, 4 added, 0 changed, 0 removed, 0 left out" || show
run -c "$C" resolve 'EXAMPLE\jdoe' jdoe John.Doe@example.com jdoe@example.org
check "the NT account's NetBIOS name from the directory's crossRef; sAMAccountName the alias" \
        test "$(echo "$OUT" | sort -u)" = John.Doe@example.com -a "$(echo "$OUT" | wc -l)" -eq 4 || show
run -c "$C" resolve robert@example.org 'EXAMPLE\bbuilder' bbuilder
check "userPrincipalName in a hosted domain is a login" \
        test "$OUT" = "$(printf '%s\n' bob@example.com bob@example.com bob@example.com)" || show
run -c "$C" resolve Partner nomail
check "a contact by mail and cn; an account without mail is no mailbox" \
        eval 'has "$ERR" "Partner: contact" && has "$ERR" "nomail: not-found"' || show
run -c "$C" explain jdoe
check "explain names the entry's DN" has "$OUT" "origin:     CN=John Doe,CN=Users,DC=example,DC=com" || show
mkdir -p "$T/pam.d"
cat >"$T/pam.d/imap" <<EOF
auth required $BUILD/pam_mailacct.so resolve_only config=$C
account required $BUILD/pam_mailacct.so config=$C
EOF
run -c "$C" test --service imap --pam-dir "$T/pam.d" gone
check "an account Samba created disabled (userAccountControl 0x2): refused in the account phase" \
        eval '[ $rc -ne 0 ] && has "$OUT" "pam_acct_mgmt:"' || show
run -c "$C" test --service imap --pam-dir "$T/pam.d" 'EXAMPLE\jdoe'
check "an enabled account passes" has "$OUT" "PAM_USER:         John.Doe@example.com" || show

# the same directory by hand; PAM = NSS = resolve
E=$T/equiv
mkdir -p "$E"
# (the crossRef's NetBIOS name names the NT accounts' domain, not a hosted
# one: the file's domain keeps no netbios, as the synced one)
sed -n '1,4p' "$C" >"$E/mailacct.conf"
cat >>"$E/mailacct.conf" <<'EOF'
mailboxes = (
  { address = "John.Doe@example.com"; aliases = [ "jdoe" ]; addresses = [ "jdoe@example.org" ];
    nt_account = "EXAMPLE\\jdoe"; name = "John Doe"; uid = 10001; gid = 10000; home = "/home/jdoe";
    shell = "/bin/bash"; },
  { address = "bob@example.com"; aliases = [ "bbuilder" ]; addresses = [ "robert@example.org" ];
    nt_account = "EXAMPLE\\bbuilder"; },
  { address = "gone@example.com"; aliases = [ "gone" ]; nt_account = "EXAMPLE\\gone"; enabled = false; }
);
contacts = ( { alias = "Partner"; address = "partner@elsewhere.net"; } );
EOF
chmod 0644 "$E/mailacct.conf"
logins=(jdoe 'EXAMPLE\jdoe' John.Doe@example.com jdoe@example.org robert@example.org bob bbuilder 'EXAMPLE\bbuilder'
        gone 'EXAMPLE\gone' Partner partner@elsewhere.net nomail Administrator 'EXAMPLE\Administrator')
"$MAILACCT" -c "$C" resolve -- "${logins[@]}" >"$T/synced.out" 2>"$T/synced.err"
"$MAILACCT" -c "$E/mailacct.conf" resolve -- "${logins[@]}" >"$T/equiv.out" 2>"$T/equiv.err"
sed -i "s|$E/mailacct.conf|CONF|g" "$T/equiv.err"
sed -i "s|$C|CONF|g" "$T/synced.err"
check "the synced directory answers as the equivalent file does (${#logins[@]} logins)" \
        eval 'cmp -s "$T/equiv.out" "$T/synced.out" && cmp -s "$T/equiv.err" "$T/synced.err"' ||
        { diff "$T/equiv.out" "$T/synced.out"; diff "$T/equiv.err" "$T/synced.err"; }
if [ -x "$BUILD/tests/agree" ]; then
        "$BUILD/tests/agree" --synced "$C" "$IDX" "$E/mailacct.conf" >"$T/agree.out" 2>&1
        rc=$?
        check "agreement: PAM_USER = pw_name = mailacct resolve over the index synced from Samba" test $rc -eq 0 ||
                tail -20 "$T/agree.out"
fi

# rename and delete between syncs: objectGUID names the entry across a rename
adm ldapmodrdn -r "CN=Bob Builder,CN=Users,DC=example,DC=com" "CN=Robert Builder" >"$S/mod.out" 2>&1 ||
        cat "$S/mod.out"
adm ldapdelete "CN=Partner,CN=Users,DC=example,DC=com" >>"$S/mod.out" 2>&1 || cat "$S/mod.out"
nsrun -c "$C" sync
check "a rename is a change (objectGUID), a delete a removal (incremental: uSNChanged)" \
        has "$OUT" "sync: incremental (usn), 1 received, 0 added, 1 changed, 1 removed, 0 left out" || show
run -c "$C" explain bbuilder
check "the renamed entry's new DN" has "$OUT" "origin:     CN=Robert Builder,CN=Users,DC=example,DC=com" || show
$NS "$MAILACCT" -c "$C" check --online >"$T/out" 2>&1
rc=$?
OUT=$(cat "$T/out")
check "check --online: ldaps, the bind, uSNChanged, the counts" \
        eval '[ $rc -le 1 ] && has "$OUT" "TLS: ldaps; bind: simple as CN=Administrator,CN=Users,DC=example,DC=com; incremental: usn" &&
              has "$OUT" "base DC=example,DC=com: 3 entries match the mailboxes'"'"' filter, 0 the contacts'"'"'"' || show
# ---- passwords = "ldap-bind": the DC checks the passwords ------------------------------------
sed -i '1i passwords = "ldap-bind";' "$C"
nsrun -c "$C" sync
check "ldap-bind: sync (the index records passwords)" test $rc -eq 0 || show
cat >"$T/pam.d/imapbind" <<EOF
auth required $BUILD/pam_mailacct.so config=$C
account required $BUILD/pam_mailacct.so config=$C
EOF
# nslogin LOGIN PASSWORD: through libpam, in the DC's network namespace
nslogin() {
        printf '%s\n' "$2" | $NS "$MAILACCT" -c "$C" test --service imapbind --pam-dir "$T/pam.d" -- "$1" \
                >"$T/out" 2>"$T/err"
        rc=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}
for l in jdoe JDOE 'EXAMPLE\jdoe' 'EXAMPLE/jdoe' John.Doe@example.com jdoe@example.org jdoe@example.com; do
        nslogin "$l" 'Mail-Passw0rd-1'
        check "ldap-bind on Samba (ldaps://): $l opens John.Doe@example.com" \
                eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         John.Doe@example.com"' || show
done
nslogin robert@example.org 'Mail-Passw0rd-1'
check "ldap-bind: the renamed entry binds as its new DN (robert@example.org, the UPN)" \
        eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         bob@example.com"' || show
nslogin jdoe 'Not-The-Passw0rd'
check "ldap-bind: a wrong password is PAM_AUTH_ERR, wrong-password" \
        eval '[ $rc -ne 0 ] && has "$OUT" "pam_authenticate: Authentication failure" &&
              has "$OUT" "refused (wrong-password)"' || show
nslogin jdoe ''
check "ldap-bind: an empty password is refused" eval '[ $rc -ne 0 ] && has "$OUT" "refused (wrong-password)"' || show
nslogin nobody 'Mail-Passw0rd-1'
check "ldap-bind: an unknown login is PAM_USER_UNKNOWN after its bind" \
        eval '[ $rc -ne 0 ] && has "$OUT" "pam_authenticate: User not known"' || show
nslogin gone 'Mail-Passw0rd-1'
check "ldap-bind: a disabled account is refused" eval '[ $rc -ne 0 ] && ! has "$OUT" "result:           ok"' || show
# StartTLS on the DC's ldap:// port
sed -i -e 's|uri = \[ "ldaps://127.0.0.1" \];|uri = [ "ldap://127.0.0.1" ]; starttls = true;|' "$C"
nslogin 'EXAMPLE\jdoe' 'Mail-Passw0rd-1'
check "ldap-bind on Samba over StartTLS" eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         John.Doe@example.com"' ||
        show
samba_stop
# the DC's namespace is gone with it: an empty one of our own, where nothing listens
unshare --net sh -c 'ip link set lo up && exec sleep 30' &
down=$!
sleep 0.2
NS="nsenter --net=/proc/$down/ns/net"
nslogin 'EXAMPLE\jdoe' 'Mail-Passw0rd-1'
check "ldap-bind: the DC stopped: PAM_AUTHINFO_UNAVAIL, directory-unavailable" \
        eval '[ $rc -ne 0 ] && has "$OUT" "refused (directory-unavailable)"' || show
kill $down 2>/dev/null
wait $down 2>/dev/null
finish
