#!/bin/bash
# The configuration and the secrets file missing, empty, half-written, not
# a file, unreadable (to an unprivileged caller) or replaced while a process
# uses them; `mailacct passwd` killed with SIGKILL while it rewrites the
# secrets file. Expected everywhere:
#   CLI  exits 2 naming the file and the cause
#   PAM  fails closed: AUTHINFO_UNAVAIL with the cause in the log (never
#        success; an empty secrets file leaves every login without password)
#   NSS  answers UNAVAIL, so that `files` still answers: with
#        "passwd: mailacct [NOTFOUND=return] files", root is found only if
#        the module said UNAVAIL rather than NOTFOUND
#   a long-running process (PAM, NSS) follows a replaced file within about
#        a second, refusing while it is unusable, never answering wrongly
#   passwd killed at any point leaves the old file or the new one, whole.
# Needs root for the NSS, setpriv and namespace parts (else left out).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/hardening/lib.sh

if [ -z "${HZ_INNER:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v getent >/dev/null; then
        HZ_INNER=1 exec unshare --mount "$0" "$@"
fi
hz_init files
NSS= ROOT=
if [ -n "${HZ_INNER:-}" ]; then
        ROOT=1 NSS=1
        hz_asan && [ ! -f "$HZ_PRELOAD" ] && NSS=
        hz_nsswitch "files mailacct"
        command -v setpriv >/dev/null || ROOT=
else
        echo "note: not root: NSS, unprivileged-caller and some replacement checks are left out"
fi
PAMLOG=$LOGS/hardening-files-pam.log
: >"$PAMLOG"
ROOT_LINE=$(grep '^root:' /etc/passwd)
PW=$(hz_password jdoe@example.com)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

hz_directory "$T/pristine"
fresh() { # a copy of the pristine directory, its paths as its own
        rm -rf "$T/s"
        cp -a "$T/pristine" "$T/s"
        sed -i "s|$T/pristine|$T/s|g" "$T/s/pam.d/imap" "$T/s/pam.d/pop3"
        "$M" -c "$T/s/mailacct.conf" compile >/dev/null
        D=$T/s C=$T/s/mailacct.conf S=$T/s/mailacct.secrets
}
# probe [nobody] LOGIN PASSWORD: one PAM login (as nobody when asked); the
# module's log lines of this login are in $T/case.log, and kept in $PAMLOG
probe() {
        : >"$T/case.log"
        chmod 0666 "$T/case.log"
        if [ "$1" = nobody ]; then
                shift
                "${NOBODY[@]}" "$TL_PUB/pam_probe" --log "$T/case.log" "$D/pam.d" imap "$1" "$2" 2>/dev/null
        else
                "$HZ_PROBE" --log "$T/case.log" "$D/pam.d" imap "$1" "$2" 2>/dev/null
        fi
        cat "$T/case.log" >>"$PAMLOG"
}
# logged WORDS: the last login's log holds WORDS (or no log could be kept)
logged() {
        [ -s "$T/case.log" ] || { echo "note: no module log for this login (no namespace for a /dev/log)"; return 0; }
        grep -q "$1" "$T/case.log"
}
getent_as() { # nobody|root ARGS...
        _who=$1
        shift
        if [ "$_who" = nobody ]; then
                "${NOBODY[@]}" env MAILACCT_CONF="$C" LD_LIBRARY_PATH="$TL_PUB" ${HZ_PRELOAD:+LD_PRELOAD=$HZ_PRELOAD} \
                        ASAN_OPTIONS=detect_leaks=0 getent "$@"
        else
                MAILACCT_CONF=$C hz_getent "$@"
        fi
}
# nss_unavail WHO WHAT: the module says UNAVAIL, files answers
nss_unavail() {
        [ -n "$NSS" ] || return 0
        out=$(getent_as "$1" passwd root)
        [ "$out" = "$ROOT_LINE" ]
        check $? "NSS, $2: files still answers root: $out"
        out=$(getent_as "$1" passwd jdoe)
        rc=$?
        [ $rc -eq 2 ] && [ -z "$out" ]
        check $? "NSS, $2: no answer for jdoe (exit $rc): $out"
        hz_nsswitch "mailacct [NOTFOUND=return] files"
        out=$(getent_as "$1" passwd root)
        [ "$out" = "$ROOT_LINE" ]
        check $? "NSS, $2: the module says UNAVAIL, not NOTFOUND (root found after it): $out"
        hz_nsswitch "files mailacct"
}

# control: a sound directory, the module says NOTFOUND for root
fresh
if [ -n "$NSS" ]; then
        hz_nsswitch "mailacct [NOTFOUND=return] files"
        out=$(getent_as root passwd root)
        [ -z "$out" ]
        check $? "control: with a sound directory the module's NOTFOUND ends the lookup: $out"
        hz_nsswitch "files mailacct"
        out=$(getent_as root passwd jdoe)
        [ "${out%%:*}" = jdoe@example.com ]
        check $? "control: getent passwd jdoe: $out"
fi
out=$(probe jdoe "$PW")
[ "$out" = "auth=success acct=success user=jdoe@example.com" ]
check $? "control: PAM jdoe: $out"

# ---- the configuration ------------------------------------------------------
# state | how the CLI names it | who reads
config_states=(
        "missing|cannot read: No such file or directory|root"
        "empty|no domains|root"
        "half-written|syntax error|root"
        "cut-at-a-line|error|root"
        "binary|error|root"
        "directory|not a regular file|root"
        "unreadable|cannot read: Permission denied|nobody"
)
for st in "${config_states[@]}"; do
        IFS='|' read -r state why who <<<"$st"
        [ "$who" = nobody ] && [ -z "$ROOT" ] && continue
        fresh
        size=$(stat -c %s "$C")
        case $state in
        missing) rm "$C" ;;
        empty) : >"$C" ;;
        half-written) head -c $((size / 2)) "$T/pristine/mailacct.conf" >"$C" ;;
        cut-at-a-line) head -n 30 "$T/pristine/mailacct.conf" >"$C" ;;
        binary) head -c 4096 /dev/urandom >"$C" ;;
        directory) rm "$C" && mkdir "$C" ;;
        unreadable) chmod 0600 "$C" ;;
        esac
        if [ "$who" = nobody ]; then
                err=$("${NOBODY[@]}" "$M" -c "$C" resolve jdoe 2>&1 >/dev/null)
        else
                err=$("$M" -c "$C" resolve jdoe 2>&1 >/dev/null)
        fi
        rc=$?
        [ $rc -eq 2 ] && printf '%s' "$err" | grep -q "$C" && printf '%s' "$err" | grep -q "$why"
        check $? "CLI, configuration $state: exit $rc, \"$why\" named: $(printf '%s' "$err" | head -1)"
        out=$(probe $([ "$who" = nobody ] && echo nobody) jdoe "$PW")
        [ "${out%% *}" = auth=authinfo_unavail ] && logged 'config-unavailable' && logged "$why"
        check $? "PAM, configuration $state: $out; log: $(tail -n 1 "$T/case.log" | cut -c1-200)"
        out=$(probe $([ "$who" = nobody ] && echo nobody) no-such-user "$PW")
        [ "${out%% *}" = auth=authinfo_unavail ]
        check $? "PAM, configuration $state, unknown user: $out"
        nss_unavail "$who" "configuration $state"
done

# ---- the secrets file -------------------------------------------------------
# state | PAM answer for jdoe | what the log names
secrets_states=(
        "missing|authinfo_unavail|No such file"
        "empty|auth_err|no-password"
        "cut-in-an-address|authinfo_unavail|malformed line"
        "cut-in-a-hash|auth_err|wrong-password"
        "directory|authinfo_unavail|secrets-unavailable"
        "symlink|authinfo_unavail|secrets-unavailable"
        "unreadable|authinfo_unavail|Permission denied"
)
for st in "${secrets_states[@]}"; do
        IFS='|' read -r state want why <<<"$st"
        who=root
        [ "$state" = unreadable ] && { [ -n "$ROOT" ] || continue; who=nobody; }
        fresh
        jline=$(grep -n '^jdoe@example.com:' "$S" | cut -d: -f1)
        case $state in
        missing) rm "$S" ;;
        empty) : >"$S" ;;
        cut-in-an-address) head -n $((jline - 1)) "$T/pristine/mailacct.secrets" >"$S" && printf 'jdoe@exa' >>"$S" ;;
        cut-in-a-hash) head -n $((jline - 1)) "$T/pristine/mailacct.secrets" >"$S" &&
                grep '^jdoe@example.com:' "$T/pristine/mailacct.secrets" | head -c 40 >>"$S" ;;
        directory) rm "$S" && mkdir -m 0700 "$S" ;;
        symlink) mv "$S" "$S.real" && ln -s "$S.real" "$S" ;;
        unreadable) ;; # 0600 root: nobody may not read it
        esac
        out=$(probe $([ "$who" = nobody ] && echo nobody) jdoe "$PW")
        [ "${out%% *}" = "auth=$want" ] && logged "$why"
        check $? "PAM, secrets $state: $out (want $want); log: $(tail -n 1 "$T/case.log" | cut -c1-200)"
        out=$(probe $([ "$who" = nobody ] && echo nobody) no-such-user "$PW")
        case ${out%% *} in auth=success) false ;; *) true ;; esac
        check $? "PAM, secrets $state, unknown user fails: $out"
        if [ "$who" = root ]; then
                err=$("$M" -c "$C" check 2>&1)
                rc=$?
                [ $rc -ne 0 ] && printf '%s' "$err" | grep -q "mailacct.secrets"
                check $? "CLI check names the secrets file ($state, exit $rc)"
        fi
        # NSS never reads the secrets file
        if [ -n "$NSS" ]; then
                out=$(getent_as "$who" passwd jdoe)
                [ "${out%%:*}" = jdoe@example.com ]
                check $? "NSS, secrets $state: getent passwd jdoe still answers: $out"
        fi
done

# ---- replaced while in use --------------------------------------------------
fresh
cp "$C" "$T/good.conf"
head -c $(($(stat -c %s "$C") / 2)) "$C" >"$T/half.conf"
sed 's/uid = 5001;/uid = 6001;/' "$C" >"$T/moved.conf"
cp "$S" "$T/good.secrets"
sed "s|^jdoe@example.com:.*|jdoe@example.com:$(hz_hash other-Secret9)|" "$S" >"$T/other.secrets"
chmod 0644 "$T"/*.conf
chmod 0600 "$T"/*.secrets
swap() { cp -p "$1" "$2.new" && mv "$2.new" "$2"; } # rename over, as editors and mailacct do
inplace_half() { cat "$T/half.conf" >"$C"; }       # a writer that rewrites in place, half done
inplace_full() { cat "$T/good.conf" >"$C"; }

"$HZ_PROBE" --log "$PAMLOG" --watch 12 "$D/pam.d" imap jdoe "$PW" >"$T/pam.watch" 2>&1 &
pam_watch=$!
if [ -n "$NSS" ]; then
        MAILACCT_CONF=$C "$BUILD/tests/hardening/nss_driver" watch "$BUILD/libnss_mailacct.so.2" jdoe 12 \
                >"$T/nss.watch" 2>&1 &
        nss_watch=$!
fi
# each state lasts longer than the one second a module waits before it looks again
sleep 1; swap "$T/half.conf" "$C"       # 1: renamed over by a half-written file
sleep 2; swap "$T/good.conf" "$C"       # 3: a good one again
sleep 2; inplace_half                   # 5: rewritten in place, half done
sleep 2; inplace_full                   # 7: finished
sleep 2; swap "$T/other.secrets" "$S"   # 9: jdoe's password changed
sleep 1.5; swap "$T/moved.conf" "$C"    # 10.5: jdoe's uid changed (NSS)
wait $pam_watch
[ -n "$NSS" ] && wait $nss_watch
sed 's/^/    pam: /' "$T/pam.watch"
bad_lines=$(grep -v -e 'auth=success acct=success user=jdoe@example.com$' -e 'auth=authinfo_unavail acct=not_run user=jdoe$' \
        -e 'auth=auth_err acct=not_run user=jdoe$' -e 'done after' "$T/pam.watch")
[ -z "$bad_lines" ]
check $? "PAM while files are replaced: only the right user, a refusal or a wrong password: $bad_lines"
seq=$(awk '$2 != "done" { sub(/ acct=.*/, "", $2); print $2 }' "$T/pam.watch" | tr '\n' ' ')
case $seq in
"auth=success auth=authinfo_unavail auth=success auth=authinfo_unavail auth=success auth=auth_err ") ok "PAM sequence" ;;
*) bad "PAM while files are replaced: sequence $seq" ;;
esac
echo "    (PAM saw the changes at $(awk '$2 != "done" { printf "%s ", $1 }' "$T/pam.watch")s; made at 1 3 5 7 9)"
if [ -n "$NSS" ]; then
        sed 's/^/    nss: /' "$T/nss.watch"
        bad_lines=$(grep -v -e 'SUCCESS jdoe@example.com:5001$' -e 'SUCCESS jdoe@example.com:6001$' -e ' UNAVAIL$' \
                -e 'done after' "$T/nss.watch")
        [ -z "$bad_lines" ]
        check $? "NSS while the configuration is replaced: only jdoe or UNAVAIL: $bad_lines"
        seq=$(awk '$2 != "done" { print $2 == "SUCCESS" ? $3 : $2 }' "$T/nss.watch" | tr '\n' ' ')
        [ "$seq" = "jdoe@example.com:5001 UNAVAIL jdoe@example.com:5001 UNAVAIL jdoe@example.com:5001 jdoe@example.com:6001 " ]
        check $? "NSS sequence: $seq"
fi

# ---- passwd killed while it writes -------------------------------------------
fresh
"$HZ_PY" - "$S" <<'EOF'
import sys
# a large file, so that the kills land in the writing as well as the hashing
with open(sys.argv[1], "a") as f:
    for i in range(20000):
        f.write("filler%05d@example.com:$6$rounds=1000$abcdefgh$%s\n" % (i, "x" * 86))
EOF
"$M" -c "$C" compile >/dev/null
lines=$(wc -l <"$S")
current=$PW
RANDOM=77
kills=0 new_won=0
for i in $(seq 1 24); do
        new="hz-kill-$i-Secret"
        "$M" -c "$C" passwd --scheme sha512 jdoe@example.com <<<"$new" >/dev/null 2>&1 &
        p=$!
        sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
        kill -9 $p 2>/dev/null && kills=$((kills + 1))
        wait $p 2>/dev/null
        # whole: every line ADDRESS:HASH, as many as before, one for jdoe, mode kept
        "$HZ_PY" - "$S" "$lines" <<'EOF'
import os, re, stat, sys
path, want = sys.argv[1], int(sys.argv[2])
lines = open(path).read().split("\n")
assert lines[-1] == "", "no final newline"
lines = lines[:-1]
assert len(lines) == want, "%d lines, not %d" % (len(lines), want)
assert all(re.fullmatch(r"[^:# ]+:[^: ]+", l) or l == "" or l.startswith("#") for l in lines), "a malformed line"
assert sum(l.startswith("jdoe@example.com:") for l in lines) == 1, "not one line for jdoe"
assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "mode changed"
EOF
        check $? "after kill $i: the secrets file is whole"
        got=$(probe jdoe "$new")
        if [ "$got" = "auth=success acct=success user=jdoe@example.com" ]; then
                current=$new new_won=$((new_won + 1))
                ok "kill $i: the new password"
        else
                got=$(probe jdoe "$current")
                [ "$got" = "auth=success acct=success user=jdoe@example.com" ]
                check $? "after kill $i: the old password still works (or the new one): $got"
        fi
done
temps=$(ls "$D" | grep -c -v -e '^mailacct\.conf$' -e '^mailacct\.idx$' -e '^mailacct\.secrets$' \
        -e '^mailacct\.secrets\.idx$' -e '^pam\.d$')
echo "passwd: $kills of 24 runs killed; $new_won left the new password, the rest the old;" \
        "$temps temporary files left behind (mode $(stat -c %a "$D"/mailacct.secrets.?????? 2>/dev/null | sort -u | tr '\n' ' '))"
hz_done
