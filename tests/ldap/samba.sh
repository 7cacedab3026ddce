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
#   - check --online names DirSync as the method the DC offers;
#   - the same answers as the equivalent file, and PAM = NSS = resolve.
SUITE=ldap-samba
. "$(dirname "$0")/lib.sh"
for p in samba samba-tool nsenter unshare ip; do
        command -v "$p" >/dev/null || { echo "$SUITE: $p missing (apt-get install samba-ad-dc samba-ad-provision iproute2)"; exit 77; }
done
if nm -D "$MAILACCT" 2>/dev/null | grep -q __asan_init; then
        echo "$SUITE: skipped under ASan (its time is Samba's; the plain build runs it)"
        exit 77
fi
ldap_setup
ADMIN_PW='Adm1n-Samba-Pw-7'
S=$T/samba
mkdir -p "$S"
samba_pid=

samba_stop() {
        [ -n "$samba_pid" ] || return 0
        kill "$samba_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$samba_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$samba_pid" 2>/dev/null
        wait "$samba_pid" 2>/dev/null
        samba_pid=
}
trap 'samba_stop; ldap_cleanup' EXIT

# TLS with the test's CA: a certificate for 127.0.0.1; Samba wants its key 0600
cp "$T/test-server.key" "$S/key.pem"
chmod 0600 "$S/key.pem"
t0=$(date +%s.%N)
samba-tool domain provision --use-rfc2307 --dns-backend=NONE --server-role=dc --realm=EXAMPLE.COM \
        --domain=EXAMPLE --adminpass="$ADMIN_PW" --targetdir="$S" \
        --option="interfaces=lo" --option="bind interfaces only=yes" >"$S/provision.log" 2>&1 ||
        { tail -20 "$S/provision.log"; exit 1; }
# only the LDAP server, its logs and sockets in the folder, our certificate
sed -i -e "s|server services = .*|server services = ldap|" -e "s|log file = .*|log file = $S/log.%m|" \
        -e "/\[global\]/a\\	pid directory = $S\n\tntp signd socket directory = $S/ntp\n\twinbindd socket directory = $S/wb\n\ttls enabled = yes\n\ttls keyfile = $S/key.pem\n\ttls certfile = $T/test-server.pem\n\ttls cafile = $T/test-ca.pem" \
        "$S/etc/smb.conf"
unshare --net sh -c "ip link set lo up && exec samba -i -s '$S/etc/smb.conf'" >"$S/samba.out" 2>&1 &
samba_pid=$!
NS="nsenter --net=/proc/$samba_pid/ns/net"
adm() { LDAPTLS_CACERT=$T/test-ca.pem $NS "$@" -x -H ldaps://127.0.0.1 -D "Administrator@example.com" -w "$ADMIN_PW"; }
for i in $(seq 100); do
        adm ldapsearch -s base -b "" >/dev/null 2>&1 && break
        kill -0 "$samba_pid" 2>/dev/null || { cat "$S/samba.out"; exit 1; }
        sleep 0.1
done
echo "samba: provisioned and answering in $(secs "$t0" "$(date +%s.%N)") s"

upw() { printf '"%s"' "$1" | iconv -f UTF-8 -t UTF-16LE | base64 -w0; }
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
printf '%s\n' "$ADMIN_PW" >"$T/admin.pw"
chmod 0600 "$T/admin.pw"
cat >"$C" <<EOF
index = "mailacct.idx";
default_domain = "example.com";
defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; };
domains = ( { name = "example.com"; aliases = [ "example.org" ]; } );
ldap = {
  uri = [ "ldaps://127.0.0.1" ];
  base = "DC=example,DC=com";
  schema = "ad";
  bind_dn = "CN=Administrator,CN=Users,DC=example,DC=com";
  bind_password_file = "$T/admin.pw";
  tls_ca = "$T/test-ca.pem";
  timeout = 5;
};
EOF
chmod 0644 "$C"
nsrun() { $NS "$MAILACCT" "$@" >"$T/out" 2>"$T/err"; rc=$?; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }

nsrun -c "$C" sync
check "sync from the Samba DC: exit 0; the DC offers DirSync" \
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
check "a rename is a change (objectGUID), a delete a removal" \
        test "$OUT" = "sync: full (dirsync offered, not implemented), 3 seen, 0 added, 1 changed, 1 removed, 0 left out" || show
run -c "$C" explain bbuilder
check "the renamed entry's new DN" has "$OUT" "origin:     CN=Robert Builder,CN=Users,DC=example,DC=com" || show
$NS "$MAILACCT" -c "$C" check --online >"$T/out" 2>&1
rc=$?
OUT=$(cat "$T/out")
check "check --online: ldaps, the bind, DirSync, the counts" \
        eval '[ $rc -le 1 ] && has "$OUT" "TLS: ldaps; bind: simple as CN=Administrator,CN=Users,DC=example,DC=com; incremental: dirsync" &&
              has "$OUT" "base DC=example,DC=com: 3 entries match the mailboxes'"'"' filter, 0 the contacts'"'"'"' || show
samba_stop
finish
