#!/bin/bash
# `mailacct sync` against Debian's slapd with schema = "openldap" (issue 13):
# inetOrgPerson with mail (exactly one), mailLocalAddress, uid, posixAccount,
# ppolicy's pwdAccountLockedTime. A private slapd on 127.0.0.1 with a test
# CA; every case runs the real command and checks its exit status, its
# summary line and what the modules and the command then answer.
#
#   - binds: over StartTLS and ldaps:// (simple, as the service DN), over
#     ldapi:// (SASL EXTERNAL); refused in clear; a certificate that does
#     not verify, a wrong password, a base that does not exist: exit 2;
#   - add, modify, rename (entryUUID: a change, not a removal) and delete
#     between syncs, with the summary's counts and --dry-run's list;
#   - entries left out with a warning naming the DN: two mail values, a
#     domain not hosted, a control character, two entries claiming one
#     address (both), an entry claiming the file's mailbox (the file wins);
#   - the removal limit: a base that returns nothing changes nothing (4),
#     --dry-run says so too, --force writes;
#   - compile without a pull (server stopped) after an edit of the file's
#     policies keeps every directory mailbox; check's offline report and
#     check --online; the account phase (a locked entry is disabled);
#   - the agreement of PAM, NSS and resolve over the synced index, and the
#     same answers as the equivalent hand-written file;
#   - the bind password left nowhere in the process's memory.
SUITE=ldap-openldap
. "$(dirname "$0")/lib.sh"
ldap_setup

slapd_start s1 openldap || exit 1

people() {
        cat <<EOF
dn: uid=jdoe,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: inetLocalMailRecipient
uid: jdoe
uid: john.doe
cn: John Doe
sn: Doe
displayName: John Doe
mail: jdoe@example.com
mailLocalAddress: john@example.org
uidNumber: 5001
gidNumber: 5000
homeDirectory: /var/mail/jdoe

dn: uid=asmith,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: asmith
cn: Alice Smith
sn: Smith
mail: asmith@example.com

dn: uid=assistant,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: assistant
cn: Assistant
sn: Assistant
mail: assistant@example.com

dn: uid=locked,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: locked
cn: Locked Out
sn: Out
mail: locked@example.com

dn: uid=user1,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: user
cn: User One
sn: One
mail: user@example.com

dn: uid=user2,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: user
cn: User Two
sn: Two
mail: user@other.com

EOF
}
people | ldif s1 || exit 1
# ppolicy's lock is an operational attribute: the relax control sets it
ldapmodify -x -D "$ROOTDN" -w "$ROOTPW" -H "ldap://127.0.0.1:$s1_PORT" -e relax >/dev/null <<EOF
dn: uid=locked,ou=people,dc=example,dc=com
changetype: modify
add: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
EOF

# conf FILE URI [ldap settings...]: the site's file: domains and policies,
# a mailbox of its own, the ldap group
conf() {
        local f=$1 uri=$2
        shift 2
        {
                echo 'index = "mailacct.idx";'
                echo 'default_domain = "example.com";'
                echo 'defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; shell = "/usr/sbin/nologin"; };'
                echo 'domains = ( { name = "example.com"; netbios = "EXAMPLE"; aliases = [ "example.org" ]; },'
                echo '            { name = "other.com"; netbios = "OTHER"; } );'
                echo 'mailboxes = ( { address = "postmaster@example.com"; aliases = [ "pm" ]; uid = 4999; } );'
                echo 'ldap = {'
                echo "  uri = [ $uri ];"
                echo '  schema = "openldap";'
                echo "  tls_ca = \"$T/test-ca.pem\";"
                echo '  timeout = 3;'
                for s in "$@"; do echo "  $s"; done
                echo '};'
        } >"$f"
        chmod 0644 "$f"
}
D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
IDX=$D/mailacct.idx
BIND="bind_dn = \"$SVC_DN\"; bind_password_file = \"$T/bind.pw\";"
BASE='base = "dc=example,dc=com";'
conf "$C" "\"ldap://127.0.0.1:$s1_PORT\"" "$BASE" "$BIND" "starttls = true;"

# ---- refused before any connection ------------------------------------------
conf "$D/clear.conf" "\"ldap://127.0.0.1:$s1_PORT\"" "$BASE" "$BIND"
run -c "$D/clear.conf" sync
check "a bind over ldap:// without StartTLS is refused (exit 2, file:line)" \
        eval '[ $rc -eq 2 ] && has "$ERR" "clear.conf:8: error: ldap: uri" && has "$ERR" "in clear"' || show
run -c "$D/clear.conf" check
check "check names the same error" eval '[ $rc -eq 2 ] && has "$OUT" "in clear"' || show
chmod 0644 "$T/bind.pw"
run -c "$C" sync
check "a bind password others may read is refused (exit 2)" \
        eval '[ $rc -eq 2 ] && has "$ERR" "bind_password_file $T/bind.pw" && has "$ERR" "others"' || show
chmod 0600 "$T/bind.pw"
check "nothing was written" test ! -e "$IDX" -a ! -e "$IDX.ldap"

# ---- the first sync -----------------------------------------------------------
rm -rf "$D.empty" && mkdir "$D.empty"
sed 's|^index = .*|index = "'"$D.empty"'/new/mailacct.idx";|' "$C" >"$D/dry.conf"
chmod 0644 "$D/dry.conf"
run -c "$D/dry.conf" sync --dry-run
check "a dry run before any sync: the entries it would add, and not a file made (not even the index's folder)" \
        eval '[ $rc -eq 0 ] && has "$OUT" "add uid=jdoe,ou=people,dc=example,dc=com" &&
              has "$OUT" "6 seen, 6 added" && [ -z "$(ls -A "$D.empty")" ]' || show
run -c "$C" sync
check "first sync: exit 0" test "$rc" -eq 0 || show
check "first sync: the summary line" \
        test "$OUT" = "sync: full (first sync), 6 seen, 6 added, 0 changed, 0 removed, 0 left out" || show
check "the index and the store are written, the store root's alone" \
        eval '[ -f "$IDX" ] && [ "$(stat -c %a "$IDX.ldap")" = 600 ] && [ "$(stat -c %U "$IDX.ldap")" = root ]'
run -c "$C" resolve jdoe 'EXAMPLE\jdoe' john.doe john@example.org JDoe@Example.COM asmith pm 'EXAMPLE\assistant'
check "every login form resolves from the synced directory" \
        test "$OUT" = "$(printf '%s\n' jdoe@example.com jdoe@example.com jdoe@example.com jdoe@example.com \
                jdoe@example.com asmith@example.com postmaster@example.com assistant@example.com)" || show
run -c "$C" resolve user
check "an alias two entries share: the default domain's (prefer-default-domain)" test "$OUT" = "user@example.com" || show
run -c "$C" explain john.doe
check "explain: from the compiled index, origin the DN" \
        eval 'has "$OUT" "source:     compiled index" && has "$OUT" "origin:     uid=jdoe,ou=people,dc=example,dc=com"' ||
        show

# the account phase: a locked entry is disabled, the others pass
mkdir -p "$T/pam.d"
cat >"$T/pam.d/imap" <<EOF
auth required $BUILD/pam_mailacct.so resolve_only config=$C
account required $BUILD/pam_mailacct.so config=$C
EOF
run -c "$C" test --service imap --pam-dir "$T/pam.d" locked
check "a locked entry (pwdAccountLockedTime) is refused in the account phase" \
        eval '[ $rc -ne 0 ] && has "$OUT" "pam_acct_mgmt:" && ! has "$OUT" "result:           ok"' || show
run -c "$C" test --service imap --pam-dir "$T/pam.d" 'EXAMPLE\jdoe'
check "PAM: EXAMPLE\\jdoe passes, PAM_USER the mailbox" \
        eval '[ $rc -eq 0 ] && has "$OUT" "PAM_USER:         jdoe@example.com"' || show

# ---- the equivalent hand-written file answers alike; PAM = NSS = resolve ----
E=$T/equiv
mkdir -p "$E"
{
        sed -n '/^index/p;/^default_domain/p;/^defaults/p;/^domains/,/"other.com"/p' "$C"
        cat <<'EOF'
mailboxes = (
  { address = "postmaster@example.com"; aliases = [ "pm" ]; uid = 4999; },
  { address = "jdoe@example.com"; aliases = [ "jdoe", "john.doe" ]; addresses = [ "john@example.org" ];
    name = "John Doe"; uid = 5001; gid = 5000; home = "/var/mail/jdoe"; },
  { address = "asmith@example.com"; aliases = [ "asmith" ]; name = "Alice Smith"; },
  { address = "assistant@example.com"; aliases = [ "assistant" ]; name = "Assistant"; },
  { address = "locked@example.com"; aliases = [ "locked" ]; name = "Locked Out"; enabled = false; },
  { address = "user@example.com"; aliases = [ "user" ]; name = "User One"; },
  { address = "user@other.com"; aliases = [ "user" ]; name = "User Two"; }
);
EOF
} >"$E/mailacct.conf"
chmod 0644 "$E/mailacct.conf"
logins=(jdoe john.doe JDOE 'EXAMPLE\jdoe' 'example.com\john.doe' 'EXAMPLE/jdoe' john@example.org jdoe@example.org
        asmith 'EXAMPLE\asmith' assistant 'EXAMPLE\assistant\jdoe' locked user user@other.com 'OTHER\user' pm
        postmaster 'EXAMPLE\pm' nobody 'OTHER\jdoe' jdoe@other.test '' 'a*b')
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

# ---- changes between syncs ------------------------------------------------------
ldif s1 ldapmodify <<EOF
dn: uid=asmith,ou=people,dc=example,dc=com
changetype: modify
replace: displayName
displayName: Alice B. Smith

dn: uid=jdoe,ou=people,dc=example,dc=com
changetype: modify
add: mailLocalAddress
mailLocalAddress: jd@example.com
EOF
ldif s1 ldapmodrdn <<EOF
uid=assistant,ou=people,dc=example,dc=com
uid=helper
EOF
ldif s1 ldapdelete <<EOF
uid=user2,ou=people,dc=example,dc=com
EOF
ldif s1 <<EOF
dn: uid=newbie,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: newbie
cn: Newbie
sn: Newbie
mail: newbie@example.com
EOF
run -c "$C" sync --dry-run
check "dry run: lists the changes, writes nothing" \
        eval 'has "$OUT" "add uid=newbie,ou=people,dc=example,dc=com" &&
              has "$OUT" "change uid=asmith,ou=people,dc=example,dc=com" &&
              has "$OUT" "change uid=helper,ou=people,dc=example,dc=com" &&
              has "$OUT" "remove uid=user2,ou=people,dc=example,dc=com" &&
              has "$ERR" "dry run: nothing written" && [ $rc -eq 0 ]' || show
run -c "$C" resolve newbie
check "after the dry run the index is as it was" test "$rc" -eq 1 || show
run -c "$C" sync
check "add, modify x2, rename (entryUUID: a change), delete: the counts" \
        test "$OUT" = "sync: full (none offered), 6 seen, 1 added, 3 changed, 1 removed, 0 left out" || show
run -c "$C" resolve newbie jd@example.com user
check "the changes answer" test "$OUT" = "$(printf '%s\n' newbie@example.com jdoe@example.com user@example.com)" || show
run -c "$C" explain assistant
check "a renamed entry: same mailbox, new DN" has "$OUT" "origin:     uid=helper,ou=people,dc=example,dc=com" || show
run -c "$C" sync
check "a sync with nothing new: all zero" \
        test "$OUT" = "sync: full (none offered), 6 seen, 0 added, 0 changed, 0 removed, 0 left out" || show

# ---- entries the rules cannot accept ------------------------------------------------
ldif s1 <<EOF
dn: uid=twomail,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: twomail
cn: Two
sn: Mail
mail: two1@example.com
mail: two2@example.com

dn: uid=foreign,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: foreign
cn: Foreign
sn: Foreign
mail: foreign@example.net

dn: uid=ctrl,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: ctrl
cn: Ctrl
sn: Ctrl
mail: ctrl@example.com
displayName:: QmFkAU5hbWU=

dn: uid=twin1,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: twin1
cn: Twin
sn: One
mail: twin@example.com

dn: uid=twin2,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
uid: twin2
cn: Twin
sn: Two
mail: twin2@example.com
mailLocalAddress: twin@example.com

dn: uid=impostor,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: impostor
cn: Impostor
sn: Impostor
mail: postmaster@example.com
EOF
run -c "$C" sync
check "malformed and clashing entries left out, the rest synced: exit 0" \
        test "$OUT" = "sync: full (none offered), 12 seen, 0 added, 0 changed, 0 removed, 6 left out" || show
for w in "uid=twomail,ou=people,dc=example,dc=com: warning: left out: mail has 2 values" \
        "uid=foreign,ou=people,dc=example,dc=com: warning: left out: address \"foreign@example.net\": domain" \
        "uid=ctrl,ou=people,dc=example,dc=com: warning: left out: a value of displayName holds a control character" \
        "uid=twin1,ou=people,dc=example,dc=com: warning: left out: address \"twin@example.com\"" \
        "uid=twin2,ou=people,dc=example,dc=com: warning: left out: address \"twin@example.com\"" \
        "uid=impostor,ou=people,dc=example,dc=com: warning: left out: address \"postmaster@example.com\"" \
        "the file wins" "claimed by uid=twin2,ou=people,dc=example,dc=com"; do
        check "warned: $w" has "$ERR" "$w" || show
done
run -c "$C" resolve twin twin2 postmaster
check "both twins out, the file's postmaster stays the file's" \
        eval '[ "$OUT" = "postmaster@example.com" ] && has "$ERR" "twin: not-found"' || show
run -c "$C" check
check "check reports the entries left out and the last sync, offline" \
        eval 'has "$OUT" "uid=foreign,ou=people,dc=example,dc=com: warning: left out" &&
              has "$OUT" "last successful sync" && has "$OUT" "from ldap://127.0.0.1:$s1_PORT" &&
              has "$OUT" "index $IDX written"' || show

# ---- the removal limit ---------------------------------------------------------------
cp "$IDX" "$T/idx.before"
conf "$C" "\"ldap://127.0.0.1:$s1_PORT\"" 'base = "ou=services,dc=example,dc=com";' "$BIND" "starttls = true;"
run -c "$C" sync
check "a base that returns nothing: refused (exit 4), the index unchanged" \
        eval '[ $rc -eq 4 ] && has "$ERR" "refused: 6 of the 6 mailboxes of the last sync would go" &&
              has "$OUT" "0 seen, 0 added, 0 changed, 6 removed" && cmp -s "$IDX" "$T/idx.before"' || show
run -c "$C" sync --dry-run
check "--dry-run says the same (exit 4)" test "$rc" -eq 4 || show
conf "$C" "\"ldap://127.0.0.1:$s1_PORT\"" 'base = "ou=nowhere,dc=example,dc=com";' "$BIND" "starttls = true;"
run -c "$C" sync
check "a base that does not exist: exit 2, naming the server and the result" \
        eval '[ $rc -eq 2 ] && has "$ERR" "ldap://127.0.0.1:$s1_PORT: base ou=nowhere,dc=example,dc=com does not exist: No such object (32)"' ||
        show
conf "$C" "\"ldap://127.0.0.1:$s1_PORT\"" "$BASE" "$BIND" "starttls = true;" 'filter = "(uid=jdoe)";' 'max_removal = 100;'
run -c "$C" sync --dry-run
check "max_removal = 100: a filter that keeps one entry goes through" \
        eval '[ $rc -eq 0 ] && has "$OUT" "1 seen, 0 added, 0 changed, 5 removed"' || show
conf "$C" "\"ldap://127.0.0.1:$s1_PORT\"" "$BASE" "$BIND" "starttls = true;" 'filter = "(uid=jdoe)";'
run -c "$C" sync --force
check "--force writes what the limit refused" \
        eval '[ $rc -eq 0 ] && has "$OUT" "5 removed"' || show
run -c "$C" resolve asmith
check "and the index holds what the directory gave" test "$rc" -eq 1 || show
conf "$C" "\"ldap://127.0.0.1:$s1_PORT\"" "$BASE" "$BIND" "starttls = true;"
run -c "$C" sync --force
check "back to the whole directory" eval '[ $rc -eq 0 ] && has "$OUT" "5 added"' || show

# ---- the server's failures are the configuration's: exit 2 ------------------------------
printf 'Not-the-Svc-Pw-4x\n' >"$T/bad.pw"
chmod 0600 "$T/bad.pw"
conf "$D/badpw.conf" "\"ldap://127.0.0.1:$s1_PORT\"" "$BASE" "bind_dn = \"$SVC_DN\";" \
        "bind_password_file = \"$T/bad.pw\";" "starttls = true;"
sed -i 's|^index = .*|index = "badpw.idx";|' "$D/badpw.conf"
run -c "$D/badpw.conf" sync
check "invalid credentials: exit 2, naming the server and the result" \
        eval '[ $rc -eq 2 ] && has "$ERR" "ldap://127.0.0.1:$s1_PORT: bind as $SVC_DN: Invalid credentials (49)"' || show
conf "$D/ca.conf" "\"ldaps://127.0.0.1:$s1_SPORT\"" "$BASE" "$BIND"
sed -i "s|test-ca.pem|other-ca.pem|; s|^index = .*|index = \"ca.idx\";|" "$D/ca.conf"
run -c "$D/ca.conf" sync
check "ldaps://: a certificate that does not verify: exit 2" \
        eval '[ $rc -eq 2 ] && has "$ERR" "ldaps://127.0.0.1:$s1_SPORT: TLS handshake failed" && has "$ERR" "other-ca.pem"' ||
        show
conf "$D/ca.conf" "\"ldap://127.0.0.1:$s1_PORT\"" "$BASE" "$BIND" "starttls = true;"
sed -i "s|test-ca.pem|other-ca.pem|; s|^index = .*|index = \"ca.idx\";|" "$D/ca.conf"
run -c "$D/ca.conf" sync
check "StartTLS: a certificate that does not verify: exit 2" \
        eval '[ $rc -eq 2 ] && has "$ERR" "StartTLS handshake failed"' || show
check "none of them wrote anything" eval '[ ! -e "$D/badpw.idx" ] && [ ! -e "$D/ca.idx.ldap" ]'

# ---- ldaps:// and ldapi:// -------------------------------------------------------------
conf "$D/ldaps.conf" "\"ldaps://127.0.0.1:$s1_SPORT\"" "$BASE" "$BIND"
sed -i 's|^index = .*|index = "ldaps.idx";|' "$D/ldaps.conf"
run -c "$D/ldaps.conf" sync
check "ldaps://: synced" eval '[ $rc -eq 0 ] && has "$OUT" "12 seen, 6 added"' || show
SOCK=$(printf %s "$s1_SOCK" | sed 's|/|%2F|g')
conf "$D/ldapi.conf" "\"ldapi://$SOCK\"" "$BASE"
sed -i 's|^index = .*|index = "ldapi.idx";|' "$D/ldapi.conf"
run -c "$D/ldapi.conf" sync
check "ldapi:// with SASL EXTERNAL (no bind_dn): synced" eval '[ $rc -eq 0 ] && has "$OUT" "12 seen, 6 added"' || show
run -c "$D/ldapi.conf" check --online
check "check --online: the connection, TLS, bind, base and counts" \
        eval '[ $rc -le 1 ] && has "$OUT" "TLS: none (ldapi://); bind: SASL EXTERNAL" &&
              has "$OUT" "base dc=example,dc=com: 12 entries match the mailboxes'"'"' filter"' || show
run -c "$C" check --online
check "check --online over StartTLS, simple bind" \
        eval '[ $rc -le 1 ] && has "$OUT" "TLS: StartTLS; bind: simple as $SVC_DN"' || show

# ---- compile rebuilds from the file and the store, without the server -----------------
slapd_stop s1
sed -i 's|^default_domain = .*|default_domain = "example.com"; canonical = "local";|' "$C"
sed -i 's|aliases = \[ "example.org" \]|aliases = [ "example.org", "example.net" ]|' "$C"
run -c "$C" compile
check "compile after an edit of the file's domains and policies: no pull needed" test "$rc" -eq 0 || show
run -c "$C" resolve jdoe jdoe@example.net foreign@example.net 'EXAMPLE\helper'
check "the directory's mailboxes stay; a new domain alias lets a left-out entry in; the new policy rules" \
        test "$OUT" = "$(printf "%s\n" jdoe jdoe foreign assistant)" || show
run -c "$C" sync
check "no server reachable: exit 3, nothing changed" \
        eval '[ $rc -eq 3 ] && has "$ERR" "ldap://127.0.0.1:$s1_PORT: connect: Can'"'"'t contact LDAP server" &&
              has "$ERR" "nothing changed"' || show
run -c "$C" check --online
check "check --online: exit 3 when no server answers" test "$rc" -eq 3 || show

# ---- no password left in memory ----------------------------------------------------------
slapd_start s1 openldap || exit 1
SHIM=$BUILD/tests/hardening/stop_at_exit.so
if [ -f "$SHIM" ] && ! nm -D "$MAILACCT" 2>/dev/null | grep -q __asan_init; then
        out=$(/usr/bin/python3 "$top/tests/lib/memsearch.py" "$SHIM" "$SVC_PW" nostdin "$MAILACCT" -c "$D/ldaps.conf" sync)
        copies=${out#copies=}
        copies=${copies%% *}
        check "the bind password is nowhere in the memory of a sync over ldaps:// at its exit ($copies copies)" \
                test "$copies" = 0
fi
slapd_stop s1
finish
