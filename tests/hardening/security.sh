#!/bin/bash
# Security checks through the faces a user meets (the CLI, real libpam with
# the module, real glibc NSS in a private mount namespace):
# 1. files others could change are refused: a configuration or a compiled
#    index writable by the group or others, a secrets file others may read
#    or anyone but its owner may write; a refused index is not trusted even
#    when it claims to stand for the configuration (its checksums are keyed
#    by a key it carries itself), the configuration answers instead;
# 2. logins the parser refuses (over 320 bytes, control characters, invalid
#    UTF-8, white space around, four parts, mixed forms, empty parts) are
#    refused before any lookup: with an index whose every lookup fails, a
#    valid login says "unavailable" and an invalid one "invalid-login";
#    NSS answers NOTFOUND for them without opening anything;
# 3. $MAILACCT_CONF is ignored by a setuid program (the CLI; the NSS module
#    is checked in tests/nss/glibc.sh).
# The exported symbols of both modules: tests/pam/symbols.sh and
# tests/nss/symbols.sh. Needs root for NSS and setuid (else those parts are
# left out).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/hardening/lib.sh

if [ -z "${HZ_INNER:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v getent >/dev/null; then
        HZ_INNER=1 exec unshare --mount "$0" "$@"
fi
hz_init security
NSS=
if [ -n "${HZ_INNER:-}" ]; then
        NSS=1
        hz_asan && [ ! -f "$HZ_PRELOAD" ] && NSS=
        hz_nsswitch "files mailacct"
else
        echo "note: not root: the NSS and setuid parts are left out"
fi
PAMLOG=$LOGS/hardening-security-pam.log
: >"$PAMLOG"
probe() { "$HZ_PROBE" --log "$PAMLOG" "$@" 2>/dev/null; }

D=$T/d
hz_directory "$D"
C=$D/mailacct.conf
PW=$(hz_password jdoe@example.com)
JDOE_LINE=
[ -n "$NSS" ] && JDOE_LINE=$(MAILACCT_CONF=$C hz_getent passwd jdoe)
[ -z "$NSS" ] || [ "${JDOE_LINE%%:*}" = jdoe@example.com ]
check $? "baseline: getent passwd jdoe = $JDOE_LINE"
out=$(probe "$D/pam.d" imap jdoe "$PW")
[ "$out" = "auth=success acct=success user=jdoe@example.com" ]
check $? "baseline: PAM jdoe: $out"

# ---- 1. modes --------------------------------------------------------------
for mode in 0666 0664 0646 0656; do
        chmod "$mode" "$C"
        err=$("$M" -c "$C" resolve jdoe 2>&1 >/dev/null)
        rc=$?
        [ $rc -eq 2 ] && printf '%s' "$err" | grep -q "refused: mode $mode"
        check $? "CLI refuses a configuration of mode $mode (exit $rc): $err"
        out=$(probe "$D/pam.d" imap jdoe "$PW")
        [ "${out%% *}" = auth=authinfo_unavail ] && tail -n 3 "$PAMLOG" | grep -q "mode $mode"
        check $? "PAM refuses a configuration of mode $mode: $out"
        if [ -n "$NSS" ]; then
                out=$(MAILACCT_CONF=$C hz_getent passwd jdoe)
                rc=$?
                [ $rc -eq 2 ] && [ -z "$out" ]
                check $? "NSS answers nothing from a configuration of mode $mode (exit $rc): $out"
        fi
done
chmod 0644 "$C"
# a chmod changes the file's ctime, which the index records: compile again
"$M" -c "$C" compile >/dev/null

S=$D/mailacct.secrets
for mode in 0644 0604 0602 0660 0620 0606; do
        chmod "$mode" "$S"
        out=$(probe "$D/pam.d" imap jdoe "$PW")
        [ "${out%% *}" = auth=authinfo_unavail ] && tail -n 3 "$PAMLOG" | grep -q "refused: mode $mode"
        check $? "PAM refuses a secrets file of mode $mode: $out"
        out=$(probe "$D/pam.d" imap no-such-user "$PW")
        [ "${out%% *}" = auth=authinfo_unavail ]
        check $? "PAM refuses a secrets file of mode $mode for unknown users too: $out"
done
for mode in 0600 0640 0400 0440; do
        chmod "$mode" "$S"
        out=$(probe "$D/pam.d" imap jdoe "$PW")
        [ "$out" = "auth=success acct=success user=jdoe@example.com" ]
        check $? "PAM accepts a secrets file of mode $mode: $out"
done
chmod 0600 "$S"

# A compiled index that others may write, forged to claim the configuration
# as it is now: it would send EXAMPLE\jdoe's logins to the sales mailbox.
sed -e 's/nt_account = "jdoe"; //' \
        -e 's/{ address = "sales@example.com"; aliases = \[ "sales" \];/& nt_account = "jdoe";/' \
        "$C" >"$T/evil.conf"
got=$("$M" -c "$T/evil.conf" resolve 'EXAMPLE\jdoe' 2>&1)
[ "$got" = sales@example.com ]
check $? "the forged directory gives EXAMPLE\\jdoe to sales: $got"
"$M" -c "$T/evil.conf" compile --output "$T/evil.idx" >/dev/null &&
        "$HZ_IXTOOL" forge "$T/evil.idx" "$C"
check $? "forge an index for $C"
cp "$D/mailacct.idx" "$T/good.idx"
for mode in 0644 0666 0664; do
        install -m "$mode" "$T/evil.idx" "$D/mailacct.idx"
        got=$("$M" -c "$C" resolve 'EXAMPLE\jdoe' 2>/dev/null)
        src=$("$M" -c "$C" explain 'EXAMPLE\jdoe' 2>/dev/null | sed -n 's/^source: *//p')
        if [ "$mode" = 0644 ]; then
                # only root may write such a file: then it is the directory
                [ "$got" = sales@example.com ] && [ "$src" = "compiled index" ]
                check $? "control: a root-only forged index is read (EXAMPLE\\jdoe -> $got, $src)"
                continue
        fi
        [ "$got" = jdoe@example.com ] && [ "$src" = configuration ]
        check $? "CLI ignores an index of mode $mode (EXAMPLE\\jdoe -> $got, source: $src)"
        out=$(probe "$D/pam.d" imap 'EXAMPLE\jdoe' "$PW")
        [ "$out" = "auth=success acct=success user=jdoe@example.com" ]
        check $? "PAM ignores an index of mode $mode: $out"
        if [ -n "$NSS" ]; then
                out=$(MAILACCT_CONF=$C hz_getent passwd 'EXAMPLE\jdoe')
                [ "$out" = "$JDOE_LINE" ]
                check $? "NSS ignores an index of mode $mode: $out"
        fi
done
install -m 0644 "$T/good.idx" "$D/mailacct.idx"

# ---- 2. refused before any lookup ------------------------------------------
cp "$D/mailacct.idx" "$T/poisoned.idx"
"$HZ_IXTOOL" poison-slots "$T/poisoned.idx"
install -m 0644 "$T/poisoned.idx" "$D/mailacct.idx"
long320=$(printf 'a%.0s' $(seq 1 320))
long321=${long320}a
VALID=(jdoe 'EXAMPLE\jdoe' 'jdoe@example.com' 'EXAMPLE\assistant\jdoe' filesonly "$long320")
INVALID=("$long321" "${long320}@example.com" $'jd\001oe' $'jdoe\x7f' $'j\xc3' $'j\xc0\xafdoe' $'\xed\xa0\x80' ' jdoe'
        'jdoe ' $'\tjdoe' $'jdoe\xc2\xa0' 'A\B\C\D' 'EXAMPLE\jdoe@example.com' 'EXAMPLE\' '\jdoe' 'a@b@c' '@example.com'
        'jdoe@' 'EXAMPLE\\jdoe')
for l in "${VALID[@]}"; do
        err=$("$M" -c "$C" resolve -- "$l" 2>&1 >/dev/null)
        printf '%s' "$err" | grep -q ': unavailable: '
        check $? "with every lookup failing, '${l:0:40}' is looked up (unavailable): ${err:0:160}"
        out=$(probe "$D/pam.d" imap "$l" "$PW")
        [ "${out%% *}" = auth=authinfo_unavail ]
        check $? "PAM, every lookup failing: '${l:0:40}' -> ${out:0:80}"
done
for l in "${INVALID[@]}"; do
        shown=$(printf '%q' "${l:0:40}")
        err=$("$M" -c "$C" resolve -- "$l" 2>&1 >/dev/null)
        printf '%s' "$err" | grep -q ': invalid-login: '
        check $? "CLI refuses $shown before any lookup: ${err: -120}"
        out=$(probe "$D/pam.d" imap "$l" "$PW")
        [ "${out%% *}" = auth=user_unknown ] && tail -n 2 "$PAMLOG" | grep -q 'invalid-login'
        check $? "PAM refuses $shown before any lookup: ${out:0:40}"
done
if [ -n "$NSS" ]; then
        # An entry in files for each name; the module first, and its NOTFOUND
        # final: files is reached only if the module said UNAVAIL, i.e. if it
        # looked at the (poisoned) directory.
        cp /etc/passwd "$T/passwd"
        for l in filesonly "${INVALID[@]}"; do
                case $l in *:* | *$'\n'* | '') continue ;; esac
                printf '%s:x:4242:4242::/nonexistent:/usr/sbin/nologin\n' "$l" >>"$T/passwd"
        done
        mount --bind "$T/passwd" /etc/passwd || bad "cannot bind a test /etc/passwd"
        # the names files itself finds: only those tell the module's answer
        hz_nsswitch "files"
        FOUND=()
        for l in "${INVALID[@]}"; do
                out=$(getent passwd "$l") && [ "${out%%:*}" = "$l" ] && FOUND+=("$l")
        done
        [ ${#FOUND[@]} -ge 10 ]
        check $? "files alone finds ${#FOUND[@]} of the ${#INVALID[@]} invalid names"
        hz_nsswitch "mailacct [NOTFOUND=return] files"
        out=$(MAILACCT_CONF=$C hz_getent passwd filesonly)
        [ "${out%%:*}" = filesonly ]
        check $? "NSS: a valid name reaches files when every lookup fails (UNAVAIL): $out"
        for l in "${FOUND[@]}"; do
                out=$(MAILACCT_CONF=$C hz_getent passwd "$l")
                rc=$?
                [ $rc -eq 2 ] && [ -z "$out" ]
                check $? "NSS answers NOTFOUND for $(printf '%q' "${l:0:40}") without a lookup (exit $rc)"
        done
        install -m 0644 "$T/good.idx" "$D/mailacct.idx"
        out=$(MAILACCT_CONF=$C hz_getent passwd filesonly)
        [ $? -eq 2 ] && [ -z "$out" ]
        check $? "control: with a sound index, filesonly is NOTFOUND in the module (files not asked): $out"
        out=$(MAILACCT_CONF=$C hz_getent passwd 'EXAMPLE\jdoe')
        [ "$out" = "$JDOE_LINE" ]
        check $? "control: EXAMPLE\\jdoe with the module first: $out"
        umount /etc/passwd
        hz_nsswitch "files mailacct"
fi
install -m 0644 "$T/good.idx" "$D/mailacct.idx"

# ---- 3. $MAILACCT_CONF and setuid ----------------------------------------
if [ -n "${HZ_INNER:-}" ] && ! hz_asan && command -v setpriv >/dev/null && [ ! -e /etc/mailacct.conf ]; then
        cp "$M" "$T/mailacct-setuid" && chmod 4755 "$T/mailacct-setuid"
        cp "$M" "$T/mailacct-plain" && chmod 0755 "$T/mailacct-plain"
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env MAILACCT_CONF="$C" "$T/mailacct-plain" resolve jdoe 2>&1)
        [ "$out" = jdoe@example.com ]
        check $? "an unprivileged program honours MAILACCT_CONF: $out"
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env MAILACCT_CONF="$C" "$T/mailacct-setuid" resolve jdoe 2>&1)
        rc=$?
        [ $rc -eq 2 ] && printf '%s' "$out" | grep -q '/etc/mailacct.conf'
        check $? "a setuid mailacct ignores MAILACCT_CONF (exit $rc): $out"
else
        echo "note: setuid check left out (needs root, setpriv, no ASan, no /etc/mailacct.conf)"
fi
hz_done
