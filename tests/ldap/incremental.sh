#!/bin/bash
# Incremental `mailacct sync` (issue 16): RFC 4533 refreshOnly against
# Debian's slapd with the syncprov overlay, schema = "openldap". Each kind
# of change is seen by an incremental run and answered from base + delta:
# an addition, a modification, a rename (modrdn), a deletion, an alias
# becoming ambiguous; a deletion while no sync ran and slapd restarted (its
# session log gone: a present phase says what is left); a change of the
# configuration (filter, uri) and --full make a full pull; a delta past its
# limit makes a new base and the delta goes; a damaged delta fails closed;
# readers through the NSS module and `mailacct resolve` during delta swaps
# see no wrong and no unavailable answer; `sync --watch` answers each kind
# of change within seconds and survives a restart of slapd; a failover to
# a replica continues from the cookie when the replica is caught up, and is
# a full pull from it when it is behind. With a slapd whose service DN may
# read userPassword: the {CRYPT} hashes in INDEX.secrets stay those a full
# pull would keep across incremental runs (a password changed, an entry
# changed otherwise, renamed, deleted, added; an index rebuilt), checked by
# logins through libpam (`mailacct test`) and the DNs the file holds.
# `sync --json` gives the same summary as one document.
SUITE=ldap-incremental
. "$(dirname "$0")/lib.sh"
ldap_setup
SLAPD_SYNCPROV=1 SLAPD_SESSIONLOG=100 slapd_start s1 openldap || exit 1

person() { # UID MAIL [extra lines...]
        local u=$1 m=$2
        shift 2
        printf 'dn: uid=%s,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nmail: %s\n' \
                "$u" "$u" "$u" "$u" "$m"
        for l in "$@"; do echo "$l"; done
        echo
}
{
        person jdoe jdoe@example.com "uid: john.doe"
        person asmith asmith@example.com
        person stable1 stable1@example.com
        person stable2 stable2@example.com "uid: steady"
        for i in $(seq 1 20); do person "churn$i" "churn$i@example.com"; done
} | ldif s1 || exit 1

conf() { # FILE URI [ldap settings...]
        local f=$1 uri=$2
        shift 2
        {
                echo 'index = "mailacct.idx";'
                echo 'default_domain = "example.com";'
                echo 'defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; shell = "/usr/sbin/nologin"; };'
                echo 'domains = ( { name = "example.com"; netbios = "EXAMPLE"; aliases = [ "example.org" ]; } );'
                echo 'mailboxes = ( { address = "postmaster@example.com"; aliases = [ "pm" ]; uid = 4999; } );'
                echo 'ldap = {'
                echo "  uri = [ $uri ];"
                echo '  schema = "openldap";'
                echo "  tls_ca = \"$T/test-ca.pem\";"
                echo '  timeout = 3;'
                echo "  bind_dn = \"$SVC_DN\"; bind_password_file = \"$T/bind.pw\";"
                echo '  base = "dc=example,dc=com";'
                for s in "$@"; do echo "  $s"; done
                echo '};'
        } >"$f"
        chmod 0644 "$f"
}
D=$T/site
mkdir -p "$D"
C=$D/mailacct.conf
IDX=$D/mailacct.idx
URI="\"ldap://127.0.0.1:$s1_PORT\""
conf "$C" "$URI" "starttls = true;"

# resolve LOGIN: the canonical name, or the reason
resolved() { "$MAILACCT" -c "$C" resolve "$1" 2>&1 | head -1; }

run -c "$C" sync
check "first sync: a full pull that says why" \
        test "$OUT" = "sync: full (first sync), 24 seen, 24 added, 0 changed, 0 removed, 0 left out" || show
run -c "$C" sync
check "second sync: incremental, nothing changed" \
        eval 'has "$OUT" "sync: incremental (rfc4533), 0 received, 0 added, 0 changed, 0 removed, 0 left out" &&
              has "$OUT" "sync: delta: 0 keys"' || show
check "the delta beside the index" test -f "$IDX.delta"
run -c "$C" check
check "check: the index and its delta named, the last sync the incremental one, nothing stale" \
        eval 'has "$OUT" ", its delta " && has "$OUT" "last successful sync" && ! has "$OUT$ERR" stale' || show

# ---- each kind of change, seen by an incremental run ------------------------------
person newbie newbie@example.com "uid: nb" | ldif s1
run -c "$C" sync
check "an addition: incremental, 1 added" \
        has "$OUT" "sync: incremental (rfc4533), 1 received, 1 added, 0 changed, 0 removed, 0 left out" || show
check "the added mailbox answers (its alias too)" \
        eval '[ "$(resolved nb)" = "newbie@example.com" ] && [ "$(resolved EXAMPLE\\newbie)" = "newbie@example.com" ]'

ldif s1 ldapmodify <<EOF
dn: uid=asmith,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: alice
-
replace: cn
cn: Alice Smith
EOF
run -c "$C" sync
check "a modification: incremental, 1 changed" \
        has "$OUT" "sync: incremental (rfc4533), 1 received, 0 added, 1 changed, 0 removed, 0 left out" || show
check "the new alias answers" test "$(resolved alice)" = "asmith@example.com"

ldif s1 ldapmodify <<EOF
dn: uid=jdoe,ou=people,dc=example,dc=com
changetype: modrdn
newrdn: uid=johnd
deleteoldrdn: 1
EOF
run -c "$C" sync
check "a rename (modrdn): incremental, a change of the same entry (entryUUID), not a removal" \
        has "$OUT" "sync: incremental (rfc4533), 1 received, 0 added, 1 changed, 0 removed, 0 left out" || show
check "after the rename: the new uid answers, the entry has its new DN" \
        eval '[ "$(resolved johnd)" = "jdoe@example.com" ] && [ "$(resolved jdoe)" = "jdoe@example.com" ] &&
              "$MAILACCT" -c "$C" show jdoe@example.com | grep -q "uid=johnd,ou=people"'

ldif s1 ldapdelete <<EOF
uid=newbie,ou=people,dc=example,dc=com
EOF
run -c "$C" sync
check "a deletion: incremental, 1 removed" \
        has "$OUT" "sync: incremental (rfc4533), 0 received, 0 added, 0 changed, 1 removed, 0 left out" || show
check "the deleted mailbox and its alias no longer answer" \
        eval 'resolved nb | grep -q not-found && resolved newbie@example.com | grep -q not-found'
run -c "$C" list
check "mailacct list leaves the removed mailbox out" eval '! has "$OUT" newbie@example.com && has "$OUT" stable1@example.com' || show

# the bare alias "shared": one mailbox, then two (ambiguous), then one again
ldif s1 ldapmodify <<EOF
dn: uid=stable1,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: shared
EOF
"$MAILACCT" -c "$C" sync >/dev/null 2>&1
check "an alias of one mailbox answers it" test "$(resolved shared)" = "stable1@example.com"
ldif s1 ldapmodify <<EOF
dn: uid=churn1,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: shared
EOF
run -c "$C" sync
check "an alias becoming ambiguous: incremental, 1 changed" \
        has "$OUT" "sync: incremental (rfc4533), 1 received, 0 added, 1 changed, 0 removed, 0 left out" || show
check "the alias now answers ambiguous, naming both" \
        eval 'r=$("$MAILACCT" -c "$C" resolve shared 2>&1); has "$r" ambiguous && has "$r" stable1@example.com &&
              has "$r" churn1@example.com'
ldif s1 ldapmodify <<EOF
dn: uid=churn1,ou=people,dc=example,dc=com
changetype: modify
delete: uid
uid: shared
EOF
"$MAILACCT" -c "$C" sync >/dev/null 2>&1
check "unique again when the second lets it go" test "$(resolved shared)" = "stable1@example.com"

# ---- the NSS module answers from base + delta ------------------------------------------
if [ -x "$BUILD/tests/index-reader" ]; then
        printf 'alice\tasmith@example.com\njohnd\tjdoe@example.com\nnb\t-\n' >"$T/exp"
        MAILACCT_CONF=$C "$BUILD/tests/index-reader" "$BUILD/libnss_mailacct.so.2" "$T/exp" 1 >"$T/r.out" 2>&1
        check "getpwnam through the NSS module: the delta's answers" test $? -eq 0 || cat "$T/r.out"
fi

# ---- a deletion while no sync ran, and slapd restarted (no session log) ---------------------
ldif s1 ldapdelete <<EOF
uid=churn2,ou=people,dc=example,dc=com
EOF
slapd_stop s1
SLAPD_SYNCPROV=1 SLAPD_SESSIONLOG=100 slapd_start s1 openldap || exit 1
run -c "$C" sync
check "deleted while no sync ran, across a restart of slapd: the next run removes it" \
        eval 'has "$OUT" "sync: incremental (rfc4533)" && has "$OUT" "1 removed"' || show
check "the mailbox deleted meanwhile no longer answers; the others do" \
        eval 'resolved churn2 | grep -q not-found && [ "$(resolved churn3)" = "churn3@example.com" ]'

# ---- what makes a full pull ------------------------------------------------------------
run -c "$C" sync --full
check "--full: a full pull, nothing changed, the delta gone" \
        eval 'has "$OUT" "sync: full (--full), 23 seen, 0 added, 0 changed, 0 removed, 0 left out" &&
              [ ! -e "$IDX.delta" ]' || show
conf "$C" "$URI" "starttls = true;" 'filter = "(objectClass=inetOrgPerson)";'
run -c "$C" sync
check "a changed filter: a full pull" \
        has "$OUT" "sync: full (schema, base, filter or map changed), 23 seen, 0 added, 0 changed, 0 removed" || show
run -c "$C" sync
check "and incremental again after it" has "$OUT" "sync: incremental (rfc4533)" || show
conf "$C" "\"ldaps://127.0.0.1:$s1_SPORT\"" 'filter = "(objectClass=inetOrgPerson)";'
run -c "$C" sync
check "a changed uri: a full pull" has "$OUT" "sync: full (uri changed)" || show

# ---- a delta past its limit: a new base, then the delta removed --------------------------
run -c "$C" sync
ldif s1 ldapmodify <<EOF
dn: uid=churn3,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: c3a
uid: c3b
uid: c3c
EOF
MAILACCT_DELTA_LIMIT=2 "$MAILACCT" -c "$C" sync >"$T/out" 2>"$T/err"
rc=$? OUT=$(cat "$T/out") ERR=$(cat "$T/err")
check "a delta past its limit: the pull stays incremental, the index is rebuilt, the delta removed" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: incremental (rfc4533)" && has "$OUT" "sync: index rebuilt:" &&
              has "$OUT" "past its limit of 2" && [ ! -e "$IDX.delta" ]' || show
check "the rebuilt index answers the change" test "$(resolved c3b)" = "churn3@example.com"

# ---- a damaged delta fails closed ---------------------------------------------------------
ldif s1 ldapmodify <<EOF
dn: uid=churn4,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: c4a
EOF
"$MAILACCT" -c "$C" sync >/dev/null 2>&1
check "a delta again" eval '[ -f "$IDX.delta" ] && [ "$(resolved c4a)" = "churn4@example.com" ]'
cp "$IDX.delta" "$T/delta.good"
# a byte of the changed mailbox's record (its address, in the delta's pool)
at=$(grep -obUa "churn4@example.com" "$IDX.delta" | head -1 | cut -d: -f1)
printf 'X' | dd of="$IDX.delta" bs=1 seek=$((at + 2)) conv=notrunc status=none
run -c "$C" resolve c4a
check "a damaged record in the delta: its lookup answers unavailable, never another mailbox" \
        eval '[ $rc -ne 0 ] && has "$ERR" "c4a: unavailable" && ! has "$OUT" "@example.com"' || show
cp "$T/delta.good" "$IDX.delta"
# the header's key: its checksum fails, the pair is damaged
printf '\x5a\x5a' | dd of="$IDX.delta" bs=1 seek=40 conv=notrunc status=none
run -c "$C" resolve stable1
check "a delta with a damaged header: every lookup fails closed (exit 2), the reason named" \
        eval '[ $rc -eq 2 ] && has "$ERR" "mailacct.idx.delta: damaged"' || show
cp "$T/delta.good" "$IDX.delta"
check "the delta restored: answers again" test "$(resolved c4a)" = "churn4@example.com"

# ---- readers during delta swaps -----------------------------------------------------------
printf 'stable1\tstable1@example.com\nsteady\tstable2@example.com\npm\tpostmaster@example.com\nnosuch\t-\nalice\tasmith@example.com\n' \
        >"$T/expected"
if [ -x "$BUILD/tests/index-reader" ]; then
        MAILACCT_CONF=$C "$BUILD/tests/index-reader" "$BUILD/libnss_mailacct.so.2" "$T/expected" 12 \
                >"$T/reader.out" 2>&1 &
        reader=$!
fi
(
        wrong=0 unavail=0 n=0
        end=$((SECONDS + 11))
        while [ $SECONDS -lt $end ]; do
                out=$("$MAILACCT" -c "$C" resolve stable1 steady pm 2>>"$T/resolve.err")
                case $? in 0) ;; 2) unavail=$((unavail + 1)) ;; *) wrong=$((wrong + 1)) ;; esac
                [ "$(printf '%s\n' "$out" | tr '\n' ' ')" = \
                  "stable1@example.com stable2@example.com postmaster@example.com " ] ||
                        { wrong=$((wrong + 1)); printf '%s\n' "$out" >>"$T/resolve.wrong"; }
                n=$((n + 1))
        done
        echo "$n $wrong $unavail" >"$T/resolve.count"
) &
resolver=$!
swaps=0 end=$((SECONDS + 10))
while [ $SECONDS -lt $end ]; do
        i=$((swaps % 15 + 5))
        ldif s1 ldapmodify <<EOF
dn: uid=churn$i,ou=people,dc=example,dc=com
changetype: modify
replace: cn
cn: churned $swaps
EOF
        "$MAILACCT" -c "$C" sync >>"$T/swaps.out" 2>&1 && swaps=$((swaps + 1))
done
wait $resolver
read -r rn rwrong runavail <"$T/resolve.count"
check "$swaps incremental syncs swapped deltas under $rn resolve runs: 0 wrong, 0 unavailable" \
        eval '[ "$swaps" -ge 5 ] && [ "$rwrong" -eq 0 ] && [ "$runavail" -eq 0 ]' || { echo "    $rn $rwrong $runavail"; tail -5 "$T/swaps.out"; }
if [ -n "${reader:-}" ]; then
        wait $reader
        rc=$?
        check "a reader through the NSS module (4 threads) during the swaps: 0 wrong, 0 unavailable" \
                eval '[ $rc -eq 0 ] && grep -q " 0 wrong, 0 unavailable" "$T/reader.out"' || tail -5 "$T/reader.out"
        tail -1 "$T/reader.out"
fi
check "every swap was incremental" eval '! grep -q "sync: full" "$T/swaps.out" && grep -q "sync: incremental" "$T/swaps.out"'

# ---- sync --watch: refreshAndPersist, each change answered within seconds -------------------
"$MAILACCT" -c "$C" sync --watch >"$T/watch.out" 2>"$T/watch.err" &
watcher=$!
sleep 1.5
person watched watched@example.com "uid: w1" | ldif s1
if took=$(answered_within w1 watched@example.com 5); then
        ok "--watch: an addition answered in $took s"
else
        not_ok "--watch: an addition answered within 5 s"
fi
ldif s1 ldapmodify <<EOF
dn: uid=watched,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: w2
EOF
if took=$(answered_within w2 watched@example.com 5); then
        ok "--watch: a modification answered in $took s"
else
        not_ok "--watch: a modification answered within 5 s"
fi
ldif s1 ldapmodify <<EOF
dn: uid=watched,ou=people,dc=example,dc=com
changetype: modrdn
newrdn: uid=watched2
deleteoldrdn: 0
EOF
sleep 1.5
check "--watch: a rename is seen (the entry's new DN)" \
        eval '"$MAILACCT" -c "$C" show watched@example.com | grep -q "uid=watched2,ou=people"'
ldif s1 ldapmodify <<EOF
dn: uid=churn6,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: steady
EOF
if answered_within steady - 5 >/dev/null && "$MAILACCT" -c "$C" resolve steady 2>&1 | grep -q ambiguous; then
        ok "--watch: an alias becoming ambiguous is seen"
else
        not_ok "--watch: an alias becoming ambiguous is seen"
fi
ldif s1 ldapdelete <<EOF
uid=watched2,ou=people,dc=example,dc=com
EOF
if took=$(answered_within w1 - 5); then
        ok "--watch: a deletion answered in $took s"
else
        not_ok "--watch: a deletion answered within 5 s"
fi
# the directory restarts: the watch reconnects (with backoff) and goes on
slapd_stop s1
sleep 2
SLAPD_SYNCPROV=1 SLAPD_SESSIONLOG=100 slapd_start s1 openldap || exit 1
person afterwards afterwards@example.com "uid: aw" | ldif s1
if took=$(answered_within aw afterwards@example.com 12); then
        ok "--watch survives a restart of the directory: a change after it answered in $took s"
else
        not_ok "--watch survives a restart of the directory"
        tail -5 "$T/watch.err"
fi
check "--watch is still running, and every run after its first was incremental" \
        eval 'kill -0 $watcher && [ "$(grep -c "sync: full" "$T/watch.out")" -le 1 ] &&
              grep -q "sync: incremental" "$T/watch.out"' || { tail "$T/watch.out"; tail "$T/watch.err"; }
kill $watcher
wait $watcher 2>/dev/null

# ---- failover to a replica: it continues from the cookie, unless it is behind -----------------
# s2 holds s1's database as it is now (slapcat | slapadd: the same entries,
# entryUUIDs and contextCSN), as a replica that is caught up would
D2=$T/site2
mkdir -p "$D2" "$T/s2/db"
s2_PORT=$(free_port) s2_SPORT=$(free_port)
C2=$D2/mailacct.conf
conf "$C2" "\"ldap://127.0.0.1:$s1_PORT\", \"ldap://127.0.0.1:$s2_PORT\"" "starttls = true;"
run -c "$C2" sync
check "two servers: the first sync from the first" has "$OUT" "sync: full (first sync)" || show
# (stopped first: syncprov writes its contextCSN to the database on the way out)
slapd_stop s1
SLAPD_SYNCPROV=1 SLAPD_SESSIONLOG=100 slapd_conf s2 openldap
slapcat -f "$T/s1/slapd.conf" 2>/dev/null | slapadd -q -f "$T/s2/slapd.conf" >"$T/s2.slapadd" 2>&1 || cat "$T/s2.slapadd"
SLAPD_SYNCPROV=1 SLAPD_SESSIONLOG=100 slapd_start s2 openldap || exit 1
run -c "$C2" sync
check "the first server down: the replica that is caught up accepts the cookie (incremental)" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: incremental (rfc4533)"' || show
SLAPD_SYNCPROV=1 SLAPD_SESSIONLOG=100 slapd_start s1 openldap || exit 1
person ahead ahead@example.com "uid: ah" | ldif s1
run -c "$C2" sync
check "back on the first server: incremental, the change it has" \
        eval 'has "$OUT" "sync: incremental (rfc4533)" && has "$OUT" " 1 added, 0 changed, 0 removed"' || show
slapd_stop s1
run -c "$C2" sync
check "the first server down again, the replica behind the cookie: a full pull from it, saying why" \
        eval '[ $rc -eq 0 ] && has "$ERR" "refuses the state" && has "$OUT" "sync: full (cookie refused)"' || show
check "the replica's directory answers (without the entry it never had)" \
        eval '"$MAILACCT" -c "$C2" resolve ah 2>&1 | grep -q not-found &&
              [ "$("$MAILACCT" -c "$C2" resolve stable1 2>/dev/null)" = stable1@example.com ]'
run -c "$C2" sync
check "and incremental again from the replica after that" has "$OUT" "sync: incremental (rfc4533)" || show


# ---- {CRYPT} hashes from userPassword, kept right by incremental runs -------------
# A slapd of its own whose service DN may read userPassword (as crypt.sh's):
# an incremental run receives the changed entries alone, and INDEX.secrets
# must end as a full pull would leave it.
SLAPD_PASSWORD_READERS=1 SLAPD_SYNCPROV=1 SLAPD_SESSIONLOG=100 slapd_start s3 openldap || exit 1
hash_of() { /usr/bin/python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[2], sys.argv[1]))' "$1" "$2"; }
for u in pwkeep pwchange pwgone pwmove pwother; do
        person "$u" "$u@example.com" "userPassword: {CRYPT}$(hash_of "\$6\$${u}Salt\$" "$u-Old-Pw1")"
done | ldif s3 || exit 1
D3=$T/site3
mkdir -p "$D3/pam.d"
C3=$D3/mailacct.conf
conf "$C3" "\"ldap://127.0.0.1:$s3_PORT\"" "starttls = true;"
SEC3=$D3/mailacct.idx.secrets
printf 'auth required %s config=%s\naccount required %s config=%s\n' \
        "$BUILD/pam_mailacct.so" "$C3" "$BUILD/pam_mailacct.so" "$C3" >"$D3/pam.d/imap"
# login3 LOGIN PASSWORD [ADDRESS]: through libpam (mailacct test); 0 when it
# opens ADDRESS (LOGIN@example.com)
login3() {
        printf '%s\n' "$2" | "$MAILACCT" -c "$C3" test --service imap --pam-dir "$D3/pam.d" -- "$1" >"$T/out3" 2>&1 &&
                grep -qE "^PAM_USER: +${3:-$1@example.com}( |\$)" "$T/out3"
}
# the DNs INDEX.secrets holds a hash for (its keys, folded)
synced_dns() { strings "$SEC3" | grep -o 'uid=[a-z0-9]*,ou=people,dc=example,dc=com' | sort -u | tr '\n' ' '; }
run -c "$C3" sync
check "passwords: the first sync keeps the five {CRYPT} hashes" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: full (first sync)" && has "$OUT" "sync: passwords: 5 {CRYPT} hashes kept"' ||
        show
check "passwords: every old password logs in" \
        eval '(for u in pwkeep pwchange pwgone pwmove pwother; do login3 $u $u-Old-Pw1 || exit 1; done)'
ldif s3 ldapmodify <<LDIF
dn: uid=pwchange,ou=people,dc=example,dc=com
changetype: modify
replace: userPassword
userPassword: {CRYPT}$(hash_of '$6$pwchangeNew$' pwchange-New-Pw2)

dn: uid=pwother,ou=people,dc=example,dc=com
changetype: modify
replace: cn
cn: Other Name

dn: uid=pwmove,ou=people,dc=example,dc=com
changetype: modrdn
newrdn: uid=pwmoved
deleteoldrdn: 1
LDIF
ldif s3 ldapdelete <<LDIF
uid=pwgone,ou=people,dc=example,dc=com
LDIF
person pwnew pwnew@example.com "userPassword: {CRYPT}$(hash_of '$6$pwnewSalt$' pwnew-New-Pw3)" | ldif s3
run -c "$C3" sync
check "passwords: the changes come by an incremental run; the unchanged entry's hash is carried" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: incremental (rfc4533), 4 received" &&
              has "$OUT" "sync: passwords: 5 {CRYPT} hashes kept" &&
              has "$OUT" "sync: passwords: 1 of the 5 hashes kept from the last sync"' || show
check "passwords: the changed userPassword logs in, the old one does not" \
        eval 'login3 pwchange pwchange-New-Pw2 && ! login3 pwchange pwchange-Old-Pw1'
check "passwords: the entry unchanged still logs in (its hash carried from INDEX.secrets)" login3 pwkeep pwkeep-Old-Pw1
check "passwords: an entry changed otherwise keeps its hash (from the values sent)" login3 pwother pwother-Old-Pw1
check "passwords: the added entry logs in" login3 pwnew pwnew-New-Pw3
check "passwords: the renamed entry logs in under its new name" \
        login3 pwmoved pwmove-Old-Pw1 pwmove@example.com
check "passwords: the deleted entry does not" eval '! login3 pwgone pwgone-Old-Pw1'
want="uid=pwchange,ou=people,dc=example,dc=com uid=pwkeep,ou=people,dc=example,dc=com"
want="$want uid=pwmoved,ou=people,dc=example,dc=com uid=pwnew,ou=people,dc=example,dc=com"
want="$want uid=pwother,ou=people,dc=example,dc=com "
check "passwords: INDEX.secrets holds the DNs that are, not the deleted or renamed-away ones" \
        test "$(synced_dns)" = "$want" || echo "    $(synced_dns)"
check "passwords: INDEX.secrets is still root's and 0600" test "$(stat -c %U:%a "$SEC3")" = root:600
run -c "$C3" check
check "passwords: check counts the synced hashes, and finds no error" \
        eval 'has "$OUT" "5 password hashes synced from the directory in $SEC3" && has "$OUT" ": 0 errors"' || show
# a change that makes a new index in the incremental path keeps them too
ldif s3 ldapmodify <<LDIF
dn: uid=pwchange,ou=people,dc=example,dc=com
changetype: modify
replace: userPassword
userPassword: {CRYPT}$(hash_of '$6$pwchangeThird$' pwchange-Third-Pw4)
LDIF
MAILACCT_DELTA_LIMIT=0 run -c "$C3" sync
check "passwords: an incremental run that rebuilds the index keeps every hash" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: incremental (rfc4533)" && has "$OUT" "sync: index rebuilt" &&
              login3 pwkeep pwkeep-Old-Pw1 && login3 pwnew pwnew-New-Pw3 && login3 pwchange pwchange-Third-Pw4 &&
              ! login3 pwchange pwchange-New-Pw2' || show
before=$(synced_dns)
run -c "$C3" sync --full
check "passwords: a full pull keeps the same DNs the incremental runs left" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: passwords: 5 {CRYPT} hashes kept" && [ "$(synced_dns)" = "$before" ] &&
              login3 pwkeep pwkeep-Old-Pw1 && login3 pwchange pwchange-Third-Pw4' || show
# the hashes the store says were kept are gone: nothing to carry them from
rm -f "$SEC3"
run -c "$C3" sync
check "passwords: INDEX.secrets gone while the store says hashes were kept: a full pull, saying why" \
        eval '[ $rc -eq 0 ] && has "$OUT" "sync: full (synced hashes missing)" && login3 pwkeep pwkeep-Old-Pw1' || show

# ---- sync --json: the summary as one document -----------------------------------------------
# jq-free: python3 reads it and prints the members asked for, a line each
jget() { printf '%s' "$OUT" | python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = d
    for part in k.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    print(json.dumps(v))' "$@"; }
ldif s3 ldapmodify <<LDIF
dn: uid=pwkeep,ou=people,dc=example,dc=com
changetype: modify
add: uid
uid: pwkeep-alias
LDIF
run -c "$C3" sync --json
check "sync --json: one document, an incremental run with its delta and passwords, no summary lines" \
        eval '[ $rc -eq 0 ] && [ "$(jget incremental method reason received changed written delta.mailboxes rebuilt \
                passwords.kept | tr "\n" " ")" = "true \"rfc4533\" null 1 1 true 1 null 5 " ] && ! has "$OUT" "sync:"' ||
        show
ldif s3 ldapdelete <<LDIF
uid=pwnew,ou=people,dc=example,dc=com
LDIF
run -c "$C3" sync --dry-run --json
check "sync --dry-run --json: a full pull that writes nothing, its changes by DN" \
        eval '[ $rc -eq 0 ] && [ "$(jget incremental reason dry_run written removed changes | tr "\n" " ")" = \
                "false \"dry run\" true false 1 [{\"change\": \"remove\", \"dn\": \"uid=pwnew,ou=people,dc=example,dc=com\"}] " ]' ||
        show

finish
