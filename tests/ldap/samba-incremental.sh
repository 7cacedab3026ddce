#!/bin/bash
# Incremental `mailacct sync` against Active Directory (issue 16): a Samba AD
# DC provisioned by the test (samba-lib.sh), which offers DirSync but no RFC
# 4533, so the sync uses uSNChanged: the objects touched since the last
# sync's highestCommittedUSN (tombstones included, under Show Deleted), then
# what of them is in the base and filter now. Each kind of change is seen by
# an incremental run and answered from base + delta, and after each the
# answers equal those of a full pull into another index: an addition, a
# modification, a rename (objectGUID: a change, not a removal), an entry
# leaving the filter (its mail and proxyAddresses taken away), a deletion
# (a tombstone), an address becoming shared by two entries (both left out)
# and unique again; a deletion while the DC was
# stopped; the DC's invocationId changed (as a restore from backup does:
# here set offline with ldbmodify) makes a full pull, so does a bind that
# may not read the tombstones (a deletion would go unseen); `sync --watch` polls
# the DC's root DSE and answers an addition and a deletion within seconds.
SUITE=ldap-samba-incremental
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/samba-lib.sh"
samba_need
command -v ldbmodify >/dev/null || { echo "$SUITE: ldbmodify missing (apt-get install ldb-tools)"; exit 77; }
ldap_setup
samba_start ldap

user() { # CN SAM MAIL [extra lines...]
        local cn=$1 sam=$2 mail=$3
        shift 3
        printf 'dn: CN=%s,CN=Users,DC=example,DC=com\nobjectClass: user\nsAMAccountName: %s\nmail: %s\n' \
                "$cn" "$sam" "$mail"
        printf 'proxyAddresses: SMTP:%s\nuserAccountControl: 66048\nunicodePwd:: %s\n' "$mail" "$(upw 'Mail-Passw0rd-1')"
        for l in "$@"; do echo "$l"; done
        echo
}
{
        user "John Doe" jdoe John.Doe@example.com "proxyAddresses: smtp:jdoe@example.org"
        user "Alice Smith" asmith alice@example.com
        user "Stable One" stable1 stable1@example.com "proxyAddresses: smtp:shared@example.org"
        user "Leaver" leaver leaver@example.com
        user "Doomed" doomed doomed@example.com
        printf 'dn: CN=Partner,CN=Users,DC=example,DC=com\nobjectClass: contact\nmail: partner@elsewhere.net\n\n'
} | adm ldapadd >"$S/add.out" 2>&1 || { cat "$S/add.out"; exit 1; }

D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
conf() { samba_conf "$1" "/var/mail/%d/%n" '{ name = "example.com"; aliases = [ "example.org" ]; }'; }
conf "$C"
# the same directory, pulled whole each time into another index
F=$T/full
mkdir -p "$F"
conf "$F/mailacct.conf"
resolved() { "$MAILACCT" -c "$C" resolve -- "$1" 2>&1 | head -1; }
logins=(jdoe 'EXAMPLE\jdoe' John.Doe@example.com jdoe@example.org asmith alice@example.com 'EXAMPLE\asmith'
        stable1 shared shared@example.org stable2 leaver leaver@example.com doomed doomed@example.com newbie
        newbie@example.com Partner partner@elsewhere.net Administrator nobody)
# same_as_full WHAT: the incremental index answers every login as a full pull does
same_as_full() {
        $NS "$MAILACCT" -c "$F/mailacct.conf" sync --full --force >"$T/full.out" 2>&1 ||
                { cat "$T/full.out"; not_ok "$1: the full pull for comparison"; return; }
        "$MAILACCT" -c "$C" resolve -- "${logins[@]}" >"$T/incr.res" 2>&1
        "$MAILACCT" -c "$F/mailacct.conf" resolve -- "${logins[@]}" >"$T/full.res" 2>&1
        sed -i "s|$F/mailacct.conf|$C|g" "$T/full.res"
        check "$1: base + delta answer as a full pull (${#logins[@]} logins)" cmp -s "$T/incr.res" "$T/full.res" ||
                diff "$T/full.res" "$T/incr.res"
}

nsrun -c "$C" sync
check "first sync: a full pull" has "$OUT" "sync: full (first sync), 6 seen, 6 added" || show
nsrun -c "$C" check --online
check "check --online: the method is usn" has "$OUT" "incremental: usn" || show
nsrun -c "$C" sync
check "second sync: incremental (usn), nothing changed" \
        eval 'has "$OUT" "sync: incremental (usn), 0 received, 0 added, 0 changed, 0 removed, 0 left out" &&
              has "$OUT" "sync: delta: 0 keys"' || show

# ---- each kind of change ---------------------------------------------------------------
user "New Bie" newbie newbie@example.com | adm ldapadd >"$S/mod.out" 2>&1 || cat "$S/mod.out"
nsrun -c "$C" sync
check "an addition: incremental, 1 added" \
        has "$OUT" "sync: incremental (usn), 1 received, 1 added, 0 changed, 0 removed, 0 left out" || show
check "the added mailbox answers by every form" \
        eval '[ "$(resolved newbie)" = newbie@example.com ] && [ "$(resolved EXAMPLE\\newbie)" = newbie@example.com ]'

adm ldapmodify >"$S/mod.out" 2>&1 <<EOF || cat "$S/mod.out"
dn: CN=Alice Smith,CN=Users,DC=example,DC=com
changetype: modify
add: proxyAddresses
proxyAddresses: smtp:alice.smith@example.org
EOF
nsrun -c "$C" sync
check "a modification: incremental, 1 changed" \
        has "$OUT" "sync: incremental (usn), 1 received, 0 added, 1 changed, 0 removed, 0 left out" || show
check "the new address answers" test "$(resolved alice.smith@example.org)" = alice@example.com

adm ldapmodrdn -r "CN=John Doe,CN=Users,DC=example,DC=com" "CN=Johnny Doe" >"$S/mod.out" 2>&1 || cat "$S/mod.out"
nsrun -c "$C" sync
check "a rename: incremental, a change of the same entry (objectGUID), not a removal" \
        has "$OUT" "sync: incremental (usn), 1 received, 0 added, 1 changed, 0 removed, 0 left out" || show
check "after the rename: the entry's new DN" \
        eval '"$MAILACCT" -c "$C" show John.Doe@example.com | grep -q "CN=Johnny Doe,CN=Users"'

adm ldapmodify >"$S/mod.out" 2>&1 <<EOF || cat "$S/mod.out"
dn: CN=Leaver,CN=Users,DC=example,DC=com
changetype: modify
delete: mail
-
delete: proxyAddresses
EOF
nsrun -c "$C" sync
check "an entry leaving the filter (no mail any more): incremental, 1 removed" \
        has "$OUT" "sync: incremental (usn), 0 received, 0 added, 0 changed, 1 removed, 0 left out" || show
check "its addresses no longer answer" eval 'resolved leaver@example.com | grep -q not-found'

adm ldapdelete "CN=Doomed,CN=Users,DC=example,DC=com" >"$S/mod.out" 2>&1 || cat "$S/mod.out"
nsrun -c "$C" sync
check "a deletion (a tombstone, under Show Deleted): incremental, 1 removed" \
        has "$OUT" "sync: incremental (usn), 0 received, 0 added, 0 changed, 1 removed, 0 left out" || show
check "the deleted mailbox no longer answers" eval 'resolved doomed | grep -q not-found'

adm ldapmodify >"$S/mod.out" 2>&1 <<EOF || cat "$S/mod.out"
dn: CN=New Bie,CN=Users,DC=example,DC=com
changetype: modify
add: proxyAddresses
proxyAddresses: smtp:shared@example.org
EOF
nsrun -c "$C" sync
check "an address becoming shared (AD's duplicate proxyAddresses): incremental; both entries left out, each named" \
        eval 'has "$OUT" "sync: incremental (usn), 1 received, 0 added, 0 changed, 2 removed, 2 left out" &&
              has "$ERR" "CN=Stable One,CN=Users,DC=example,DC=com: warning: left out: address \"shared@example.org\"" &&
              has "$ERR" "is claimed by CN=New Bie,CN=Users,DC=example,DC=com too"' || show
check "neither answers now (the other entry's answers changed too: a whole-directory fact)" \
        eval 'resolved shared@example.org | grep -q not-found && resolved stable1 | grep -q not-found'
same_as_full "after the six changes"
adm ldapmodify >"$S/mod.out" 2>&1 <<EOF || cat "$S/mod.out"
dn: CN=New Bie,CN=Users,DC=example,DC=com
changetype: modify
delete: proxyAddresses
proxyAddresses: smtp:shared@example.org
EOF
nsrun -c "$C" sync
check "the duplicate removed: incremental; both entries back" \
        eval 'has "$OUT" "sync: incremental (usn), 1 received, 2 added, 0 changed, 0 removed, 0 left out" &&
              [ "$(resolved shared@example.org)" = stable1@example.com ] && [ "$(resolved newbie)" = newbie@example.com ]' ||
        show

# ---- a deletion while the DC was stopped; the DC comes back -------------------------------
adm ldapdelete "CN=Partner,CN=Users,DC=example,DC=com" >"$S/mod.out" 2>&1 || cat "$S/mod.out"
samba_stop
samba_run
nsrun -c "$C" sync
check "after the DC's restart: still incremental (same invocationId), the deletion seen" \
        has "$OUT" "sync: incremental (usn), 0 received, 0 added, 0 changed, 1 removed, 0 left out" || show
check "the deleted contact no longer answers" eval 'resolved Partner | grep -q not-found'

# ---- the DC's invocationId changes (a restore from backup): a full pull ---------------------
DS=$(adm ldapsearch -o ldif-wrap=no -LLL -s base -b "" dsServiceName | sed -n 's/^dsServiceName: //p')
samba_stop
cat >"$S/inv.ldif" <<EOF
dn: $DS
changetype: modify
replace: invocationId
invocationId: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
EOF
ldbmodify -H "$S/private/sam.ldb" --controls=relax:0 "$S/inv.ldif" >"$S/inv.out" 2>&1
check "the invocationId set offline (ldbmodify)" grep -q "Modified 1 records" "$S/inv.out" || cat "$S/inv.out"
samba_run
nsrun -c "$C" sync
check "a changed invocationId: a full pull that says so" has "$OUT" "sync: full (invocationId changed)" || show
nsrun -c "$C" sync
check "then incremental from the new invocationId" has "$OUT" "sync: incremental (usn), 0 received" || show
same_as_full "after the restart and the full pull"
nsrun -c "$C" sync --json
check "sync --json on AD: incremental, method usn" \
        eval '[ $rc -eq 0 ] && printf "%s" "$OUT" | python3 -c "import json, sys; d = json.load(sys.stdin)
sys.exit(not (d[\"incremental\"] and d[\"method\"] == \"usn\" and d[\"received\"] == 0 and d[\"written\"]))"' || show

# ---- a bind that may not read the tombstones: never incremental ---------------------------------
printf 'dn: CN=svc,CN=Users,DC=example,DC=com\nobjectClass: user\nsAMAccountName: svc\nunicodePwd:: %s\nuserAccountControl: 66048\n' \
        "$(upw 'Svc-Passw0rd-1')" | adm ldapadd >"$S/mod.out" 2>&1 || cat "$S/mod.out"
G=$T/plain
mkdir -p "$G"
conf "$G/mailacct.conf"
printf 'Svc-Passw0rd-1\n' >"$T/svc.pw"
chmod 0600 "$T/svc.pw"
sed -i -e 's|bind_dn = .*|bind_dn = "CN=svc,CN=Users,DC=example,DC=com";|' -e "s|$T/admin.pw|$T/svc.pw|" "$G/mailacct.conf"
nsrun -c "$G/mailacct.conf" sync
nsrun -c "$G/mailacct.conf" sync
check "a bind that cannot see CN=Deleted Objects: a full pull every time, and stderr says why and what to grant" \
        eval 'has "$OUT" "sync: full (deleted objects not readable)" &&
              has "$ERR" "uSNChanged would not see deletions" && has "$ERR" "CN=Deleted Objects,DC=example,DC=com"' || show
nsrun -c "$G/mailacct.conf" check --online
check "check --online warns of it" has "$OUT" "warning: the bind may not read the deleted objects of DC=example,DC=com" ||
        show
nsrun -c "$C" check --online
check "check --online with the Administrator's bind: no such warning" eval '! has "$OUT" "deleted objects"' || show

# ---- sync --watch: the root DSE polled, each change answered within seconds --------------------
$NS "$MAILACCT" -c "$C" sync --watch >"$T/watch.out" 2>"$T/watch.err" &
watcher=$!
sleep 2
user "Watched" watched watched@example.com | adm ldapadd >"$S/mod.out" 2>&1 || cat "$S/mod.out"
if took=$(answered_within watched watched@example.com 10); then
        ok "--watch: an addition answered in $took s"
else
        not_ok "--watch: an addition answered within 10 s"
        tail -5 "$T/watch.out" "$T/watch.err"
fi
adm ldapdelete "CN=Watched,CN=Users,DC=example,DC=com" >"$S/mod.out" 2>&1 || cat "$S/mod.out"
if took=$(answered_within watched - 10); then
        ok "--watch: a deletion answered in $took s"
else
        not_ok "--watch: a deletion answered within 10 s"
        tail -5 "$T/watch.out" "$T/watch.err"
fi
check "--watch: every run after its first incremental (usn)" \
        eval 'kill -0 $watcher && [ "$(grep -c "sync: full" "$T/watch.out")" -eq 0 ] &&
              grep -q "sync: incremental (usn)" "$T/watch.out"' || { tail "$T/watch.out"; tail "$T/watch.err"; }
kill $watcher
wait $watcher 2>/dev/null
finish
