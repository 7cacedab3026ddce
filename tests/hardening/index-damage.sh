#!/bin/bash
# A damaged compiled index through every face: the CLI (`mailacct
# resolve`), the PAM module (real libpam, the right password) and the NSS
# module (getent through real glibc NSS in a private mount namespace).
# The index is cut at many offsets (in every section) and has single bits
# flipped at random places in every section; the secrets index likewise.
# Each answer must be the undamaged one, or a refusal that says the data
# are unavailable: never another mailbox, never a crash.
#   CLI: the same canonical name, or exit 1 with reason "unavailable"
#   PAM: success with the same PAM_USER, or AUTHINFO_UNAVAIL / USER_UNKNOWN
#        (a damaged secrets index may also say AUTH_ERR: no usable hash)
#   NSS: the same passwd line, or nothing
# Needs root for the NSS part (mount namespace); without it that part is
# left out. HZ_FLIPS / HZ_CUTS change how many damaged copies are tried.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/hardening/lib.sh

if [ -z "${HZ_INNER:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v getent >/dev/null; then
        HZ_INNER=1 exec unshare --mount "$0" "$@"
fi
hz_init index-damage
for b in "$HZ_PROBE" "$HZ_IXTOOL" "$M" "$BUILD/pam_mailacct.so"; do
        [ -x "$b" ] || [ -f "$b" ] || { echo "FAIL: $b not built"; exit 1; }
done
NSS=
if [ -n "${HZ_INNER:-}" ]; then
        NSS=1
        hz_asan && [ ! -f "$HZ_PRELOAD" ] && NSS=
        hz_nsswitch "files mailacct"
else
        echo "note: not root: the NSS part (getent in a mount namespace) is left out"
fi
if hz_asan; then
        : "${HZ_FLIPS:=24}" "${HZ_CUTS:=12}"
fi
FLIPS=${HZ_FLIPS:-40}
CUTS=${HZ_CUTS:-16}
PAMLOG=$LOGS/hardening-index-damage-pam.log
: >"$PAMLOG"

D=$T/d
hz_directory "$D"
C=$D/mailacct.conf
export MAILACCT_CONF=$C
cp "$D/mailacct.idx" "$T/good.idx"
cp "$D/mailacct.secrets.idx" "$T/good-secrets.idx"

# login, password of its principal (or a wrong one for logins that must fail)
LOGINS=(jdoe 'EXAMPLE\jdoe' 'EXAMPLE/jdoe' 'jdoe@example.org' 'john@example.com' 'EXAMPLE\assistant\jdoe'
        'SITE1\user' 'user@site2.org.com' 'we*ird' 'o"neil' 'EXAMPLE\former\boss' sales user partner no-such-user
        'jdoe@elsewhere.net' 'EXAMPLE\sales\jdoe' 'OTHER\jdoe')
principal_pw() {
        case $1 in
        'EXAMPLE\assistant\jdoe') hz_password assistant@example.com ;;
        'EXAMPLE\former\boss') hz_password former@example.com ;;
        *)
                a=$("$M" -c "$T/plain.conf" resolve -- "$1" 2>/dev/null) || { echo wrong-password; return; }
                hz_password "$a"
                ;;
        esac
}

# The undamaged answers, from the configuration alone (an index path that
# does not exist: the loader parses the file).
{ echo 'index = "none.idx";'; sed 1d "$C"; } >"$T/plain.conf"
sed 's|^secrets = "mailacct.secrets";|secrets = "'"$D"'/mailacct.secrets";|' -i "$T/plain.conf"
declare -A WANT_CLI WANT_NSS WANT_PAM PW
for l in "${LOGINS[@]}"; do
        WANT_CLI[$l]=$("$M" -c "$T/plain.conf" resolve -- "$l" 2>/dev/null) || WANT_CLI[$l]=-
        PW[$l]=$(principal_pw "$l")
        out=$("$HZ_PROBE" "$D/pam.d" imap "$l" "${PW[$l]}")
        WANT_PAM[$l]=$out
        if [ -n "$NSS" ]; then
                WANT_NSS[$l]=$(hz_getent passwd "$l") || WANT_NSS[$l]=-
        fi
done
# the baseline itself: the index is used, and it agrees with the configuration
src=$("$M" explain jdoe | sed -n 's/^source: *//p')
[ "$src" = "compiled index" ]
check $? "the undamaged index is the one answering (source: $src)"
n_ok=0
for l in "${LOGINS[@]}"; do
        [ "${WANT_CLI[$l]}" != - ] && n_ok=$((n_ok + 1))
        case ${WANT_PAM[$l]} in
        "auth=success "*) [ "${WANT_CLI[$l]}" != - ] && [ "${WANT_PAM[$l]##*user=}" = "${WANT_CLI[$l]}" ] ;;
        *) [ "${WANT_CLI[$l]}" = - ] ;;
        esac
        check $? "baseline: PAM and the CLI agree on '$l': ${WANT_PAM[$l]} / ${WANT_CLI[$l]}"
        if [ -n "$NSS" ]; then
                [ "${WANT_NSS[$l]%%:*}" = "${WANT_CLI[$l]}" ] || { [ "${WANT_NSS[$l]}" = - ] && [ "${WANT_CLI[$l]}" = - ]; }
                check $? "baseline: NSS and the CLI agree on '$l': ${WANT_NSS[$l]} / ${WANT_CLI[$l]}"
        fi
done
[ $n_ok -ge 8 ]
check $? "baseline: $n_ok of ${#LOGINS[@]} logins resolve"

# one damaged copy in place: every face, every login
same=0 refused=0 variants=0
try_variant() {
        what=$1 kind=$2
        variants=$((variants + 1))
        for l in "${LOGINS[@]}"; do
                if [ "$kind" = dir ]; then
                        out=$("$M" resolve -- "$l" 2>"$T/err")
                        rc=$?
                        if [ $rc -eq 0 ] && [ "$out" = "${WANT_CLI[$l]}" ]; then
                                same=$((same + 1))
                        elif [ $rc -eq 1 ] && [ -z "$out" ] &&
                                { [ "${WANT_CLI[$l]}" = - ] || grep -q ': unavailable: ' "$T/err"; }; then
                                refused=$((refused + 1))
                        else
                                bad "CLI, $what: '$l' -> exit $rc \"$out\" $(head -c 200 "$T/err"), want \"${WANT_CLI[$l]}\""
                                continue
                        fi
                        ok "CLI $what $l"
                        if [ -n "$NSS" ]; then
                                out=$(hz_getent passwd "$l")
                                rc=$?
                                if { [ $rc -eq 0 ] && [ "$out" = "${WANT_NSS[$l]}" ]; } || { [ $rc -eq 2 ] && [ -z "$out" ]; }; then
                                        ok "NSS $what $l"
                                else
                                        bad "NSS, $what: getent passwd '$l' -> exit $rc \"$out\", want \"${WANT_NSS[$l]}\" or nothing"
                                fi
                        fi
                fi
                out=$("$HZ_PROBE" --log "$PAMLOG" "$D/pam.d" imap "$l" "${PW[$l]}" 2>/dev/null)
                rc=$?
                want=${WANT_PAM[$l]}
                case $out in
                "$want") ok "PAM $what $l" ;;
                "auth=authinfo_unavail "* | "auth=user_unknown "*) ok "PAM $what $l" ;;
                "auth=auth_err "*)
                        if [ "$kind" = secrets ]; then ok "PAM $what $l"; else
                                bad "PAM, $what: '$l' -> $out, want $want or a refusal"; fi ;;
                "auth=success "*)
                        # the right user, and an account phase that may refuse
                        if [ "${want%% *}" = auth=success ] && [ "${out##*user=}" = "${want##*user=}" ]; then
                                ok "PAM $what $l"
                        else
                                bad "PAM, $what: '$l' -> $out, want $want or a refusal"
                        fi ;;
                *) bad "PAM, $what: '$l' -> exit $rc: $out, want $want or a refusal" ;;
                esac
        done
}

# damage.py FILE SEED MODE ARG: cut at ARG bytes, or flip one bit at offset ARG
damage() {
        "$HZ_PY" - "$@" <<'EOF'
import sys
path, mode, arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(path, "rb").read())
if mode == "cut":
    data = data[:arg]
else:
    data[arg] ^= 1 << (arg * 7 % 8)
open(path + ".new", "wb").write(bytes(data))
EOF
        chmod 0644 "$1.new"
        mv "$1.new" "$1"
}

# offsets FILE COUNT: "section offset" lines, the edges of each section and
# COUNT points inside it (seeded: a failure repeats)
offsets() {
        "$HZ_IXTOOL" info "$1" | "$HZ_PY" -c '
import random, sys
rnd = random.Random(4242)
for line in sys.stdin:
    sec, off, length = line.split()
    off, length = int(off), int(length)
    if length <= 0:
        continue
    pts = [off, off + length - 1] + [off + rnd.randrange(length) for _ in range(int(sys.argv[1]))]
    for p in pts:
        print(sec, p)
' "$2"
}
size=$(stat -c %s "$T/good.idx")
cuts="0 1 7 8 $((size / 2)) $((size - 8)) $((size - 1))"
RANDOM=4242
for c in $(seq 1 "$CUTS"); do cuts="$cuts $((RANDOM % size))"; done
for c in $cuts; do
        cp "$T/good.idx" "$D/mailacct.idx.work"
        damage "$D/mailacct.idx.work" cut "$c"
        chmod 0644 "$D/mailacct.idx.work" && mv "$D/mailacct.idx.work" "$D/mailacct.idx"
        try_variant "index cut at $c of $size" dir
done
n_sec=$("$HZ_IXTOOL" info "$T/good.idx" | awk '$3 > 0' | wc -l)
while read -r sec off; do
        cp "$T/good.idx" "$D/mailacct.idx.work"
        damage "$D/mailacct.idx.work" flip "$off"
        mv "$D/mailacct.idx.work" "$D/mailacct.idx"
        try_variant "index bit flipped at $off ($sec)" dir
done < <(offsets "$T/good.idx" $((FLIPS / n_sec)))
cp "$T/good.idx" "$D/mailacct.idx"

# the secrets index: PAM only (the other faces never read it)
ssize=$(stat -c %s "$T/good-secrets.idx")
for c in 0 8 $((ssize / 2)) $((ssize - 1)); do
        cp -p "$T/good-secrets.idx" "$D/mailacct.secrets.idx.work"
        "$HZ_PY" -c 'import sys; p=sys.argv[1]; d=open(p,"rb").read()[:int(sys.argv[2])]; open(p,"wb").write(d)' \
                "$D/mailacct.secrets.idx.work" "$c"
        mv "$D/mailacct.secrets.idx.work" "$D/mailacct.secrets.idx"
        try_variant "secrets index cut at $c" secrets
done
while read -r sec off; do
        cp -p "$T/good-secrets.idx" "$D/mailacct.secrets.idx.work"
        "$HZ_PY" -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); d=bytearray(open(p,"rb").read()); d[o]^=1<<(o*7%8); open(p,"wb").write(d)' \
                "$D/mailacct.secrets.idx.work" "$off"
        mv "$D/mailacct.secrets.idx.work" "$D/mailacct.secrets.idx"
        try_variant "secrets index bit flipped at $off ($sec)" secrets
done < <(offsets "$T/good-secrets.idx" 2)

echo "index-damage: $variants damaged copies x ${#LOGINS[@]} logins; CLI: $same answers as before, $refused refused"
# never a password in what the module logged
grep -q 'pam_mailacct' "$PAMLOG" 2>/dev/null || echo "note: no module log captured (no private /dev/log)"
hz_done
