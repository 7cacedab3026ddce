#!/bin/bash
# Files the modules trust (the security issue, findings 1 and 2): only a
# regular file owned by root (or, for an unprivileged process, by itself),
# not writable by its group or others, in folders up to "/" owned likewise
# and not writable by others unless sticky. Tried as the attacker would:
# user nobody plants an index in a sticky world-writable folder, owns the
# configuration, owns the secrets file, owns an @included file. Root's PAM,
# NSS and `mailacct` must not believe any of it, and `mailacct check` must
# name each file, its owner and mode. Needs root (setpriv to nobody; 77 if
# not).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/hardening/lib.sh

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
        echo "skip: needs root and setpriv"
        exit 77
fi
if [ -z "${HZ_INNER:-}" ] && command -v unshare >/dev/null && command -v getent >/dev/null; then
        HZ_INNER=1 exec unshare --mount "$0" "$@"
fi
hz_init trust
NSS=
if [ -n "${HZ_INNER:-}" ]; then
        NSS=1
        hz_asan && [ ! -f "$HZ_PRELOAD" ] && NSS=
        hz_nsswitch "files mailacct"
fi
cp "$HZ_IXTOOL" "$TL_PUB/" && chmod 0755 "$TL_PUB/ixtool"
PAMLOG=$LOGS/hardening-trust-pam.log
: >"$PAMLOG"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
probe() { "$HZ_PROBE" --log "$T/case.log" "$@" 2>/dev/null; cat "$T/case.log" >>"$PAMLOG"; }
PW=$(hz_password jdoe@example.com)
EVIL=nobodys-Password

D=$T/d
hz_directory "$D"
C=$D/mailacct.conf
# a sticky, world-writable folder, as /tmp is; the index is to live there
STICKY=$T/sticky
mkdir -m 1777 "$STICKY"
sed -i "s|^index = .*|index = \"$STICKY/mailacct.idx\";|" "$C"
rm -f "$D/mailacct.idx"
"$M" -c "$C" compile >/dev/null
check $? "root compiles into the sticky folder"
[ "$(stat -c %U "$STICKY/mailacct.idx")" = root ]
check $? "the index there is root's"
out=$(probe "$D/pam.d" imap jdoe "$PW")
[ "$out" = "auth=success acct=success user=jdoe@example.com" ]
check $? "baseline: PAM jdoe with jdoe's password: $out"
rm -f "$STICKY/mailacct.idx"

# ---- finding 1: nobody plants an index of its own -----------------------------
# nobody's own directory: the same mailboxes, nobody's secrets file
mkdir -m 0755 "$STICKY/evil"
sed -e "s|^secrets = .*|secrets = \"$STICKY/evil/secrets\";|" -e "s|^index = .*|index = \"x.idx\";|" "$C" \
        >"$STICKY/evil/mailacct.conf"
printf 'jdoe@example.com:%s\n' "$(hz_hash "$EVIL")" >"$STICKY/evil/secrets"
chmod 0600 "$STICKY/evil/secrets"
chmod 0644 "$STICKY/evil/mailacct.conf"
chown -R 65534:65534 "$STICKY/evil"
# (compiled under a name of its own, then renamed into the free name: root's
# lock file beside the index is root's, and the sticky bit keeps it so)
"${NOBODY[@]}" "$TL_PUB/mailacct" -c "$STICKY/evil/mailacct.conf" compile --output "$STICKY/evil/x.idx" \
        >"$T/evil.out" 2>&1 &&
        "${NOBODY[@]}" "$TL_PUB/ixtool" forge "$STICKY/evil/x.idx" "$C" &&
        "${NOBODY[@]}" mv "$STICKY/evil/x.idx" "$STICKY/mailacct.idx"
check $? "nobody compiles and seals an index claiming root's configuration: $(cat "$T/evil.out")"
[ "$(stat -c %U "$STICKY/mailacct.idx")" = nobody ]
check $? "the planted index is nobody's"
out=$(probe "$D/pam.d" imap jdoe "$EVIL")
[ "${out%% *}" = auth=auth_err ]
check $? "PAM refuses nobody's password for jdoe: $out"
out=$(probe "$D/pam.d" imap jdoe "$PW")
[ "$out" = "auth=success acct=success user=jdoe@example.com" ]
check $? "PAM takes jdoe's own password (the configuration answers): $out"
grep -q "index-unused: $STICKY/mailacct.idx: refused: owned by nobody" "$T/case.log" ||
        [ ! -s "$T/case.log" ]
check $? "PAM logs why the index is not used: $(grep index-unused "$T/case.log" | tail -1)"
src=$("$M" -c "$C" explain jdoe 2>/dev/null | sed -n 's/^source: *//p')
[ "$src" = configuration ]
check $? "explain: source is the configuration, not the planted index ($src)"
out=$("$M" -c "$C" check 2>&1)
rc=$?
[ $rc -eq 2 ] && printf '%s\n' "$out" | grep -qF "$STICKY/mailacct.idx: error: refused: owned by nobody (mode 0644)"
check $? "check names the planted index and its owner (exit $rc): $(printf '%s' "$out" | grep idx | head -1)"
if [ -n "$NSS" ]; then
        out=$(MAILACCT_CONF=$C hz_getent passwd 'EXAMPLE\jdoe')
        [ "${out%%:*}" = jdoe@example.com ]
        check $? "NSS answers from the configuration, not the planted index: $out"
fi
rm -rf "$STICKY/mailacct.idx" "$STICKY/evil"

# ---- finding 2: nobody owns the configuration or the secrets -------------------------
EV=$T/ev
mkdir -m 0755 "$EV"
printf 'jdoe@example.com:%s\n' "$(hz_hash "$EVIL")" >"$EV/secrets"
chown 65534:65534 "$EV/secrets"
chmod 0600 "$EV/secrets"
cp "$C" "$C.orig"
sed -i "s|^secrets = .*|secrets = \"$EV/secrets\";|" "$C"
chown 65534:65534 "$C"
chmod 0644 "$C"
out=$(probe "$D/pam.d" imap jdoe "$EVIL")
[ "${out%% *}" = auth=authinfo_unavail ] && grep -qF "$C: refused: owned by nobody" "$T/case.log"
check $? "PAM refuses a configuration owned by nobody: $out"
out=$("$M" -c "$C" test --pam-dir "$D/pam.d" --service imap jdoe <<<"$EVIL" 2>&1)
rc=$?
[ $rc -ne 0 ] && ! printf '%s' "$out" | grep -q "result: *ok"
check $? "mailacct test refuses it too (exit $rc)"
out=$("$M" -c "$C" check 2>&1)
rc=$?
[ $rc -eq 2 ] && printf '%s\n' "$out" | grep -qF "$C: error: refused: owned by nobody (mode 0644)"
check $? "check: the configuration's owner is an error (exit $rc): $(printf '%s' "$out" | head -1)"
out=$("$M" -c "$C" resolve jdoe 2>&1)
rc=$?
[ $rc -eq 2 ]
check $? "resolve refuses it (exit $rc)"
if [ -n "$NSS" ]; then
        out=$(MAILACCT_CONF=$C hz_getent passwd jdoe)
        [ $? -eq 2 ] && [ -z "$out" ]
        check $? "NSS answers nothing from a configuration owned by nobody: $out"
fi
# the configuration root's again, the secrets file nobody's
chown 0:0 "$C"
out=$(probe "$D/pam.d" imap jdoe "$EVIL")
[ "${out%% *}" = auth=authinfo_unavail ] && grep -qF "$EV/secrets: refused: owned by nobody" "$T/case.log"
check $? "PAM refuses a secrets file owned by nobody: $out"
out=$("$M" -c "$C" check 2>&1)
[ $? -eq 2 ] && printf '%s\n' "$out" | grep -qF "$EV/secrets: error: refused: owned by nobody"
check $? "check: the secrets file's owner is an error: $(printf '%s' "$out" | grep secrets | head -1)"
cp "$C.orig" "$C"
chmod 0644 "$C"

# ---- an @included file, a folder, a link -------------------------------------------------
printf '@include "extra.conf"\n' >>"$C"
printf '# nothing but a comment\n' >"$D/extra.conf"
chmod 0644 "$D/extra.conf"
"$M" -c "$C" resolve jdoe >/dev/null 2>&1
check $? "a root-owned @included file is read"
chown 65534:65534 "$D/extra.conf"
out=$("$M" -c "$C" resolve jdoe 2>&1)
[ $? -eq 2 ] && printf '%s' "$out" | grep -qF "$D/extra.conf: error: refused: owned by nobody"
check $? "an @included file owned by nobody is refused: $(printf '%s' "$out" | head -1)"
out=$(probe "$D/pam.d" imap jdoe "$PW")
[ "${out%% *}" = auth=authinfo_unavail ]
check $? "PAM refuses it too: $out"
cp "$C.orig" "$C"
chmod 0644 "$C"
rm -f "$D/extra.conf"

chmod 0775 "$D"
out=$("$M" -c "$C" resolve jdoe 2>&1)
[ $? -eq 2 ] && printf '%s' "$out" | grep -q "folder $D (mode 0775)"
check $? "a group-writable folder above the configuration is refused: $(printf '%s' "$out" | head -1)"
chmod 0755 "$D"
ln -s "$C" "$T/link.conf"
out=$("$M" -c "$T/link.conf" resolve jdoe 2>&1)
[ $? -eq 2 ] && printf '%s' "$out" | grep -q "symbolic link"
check $? "a configuration given as a symbolic link is refused: $(printf '%s' "$out" | head -1)"

# compile refuses to write where readers would refuse to read
mkdir -m 0777 "$T/open"
sed -i "s|^index = .*|index = \"$T/open/mailacct.idx\";|" "$C"
out=$("$M" -c "$C" compile 2>&1)
rc=$?
[ $rc -eq 2 ] && [ ! -e "$T/open/mailacct.idx" ] && printf '%s' "$out" | grep -q "folder $T/open (mode 0777)"
check $? "compile refuses a folder others may write (exit $rc): $out"
hz_done
