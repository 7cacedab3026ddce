#!/bin/sh
# The module through real glibc NSS: a private mount namespace gets a test
# nsswitch.conf ("passwd: files mailacct") bind-mounted over /etc's, the
# module comes from $BUILD through LD_LIBRARY_PATH and the directory from
# $MAILACCT_CONF. Nothing outside the namespace changes. Needs root (77 if not).
set -u
BUILD=${BUILD:-$PWD/build}
TOP=$PWD

if [ "$(id -u)" != 0 ]; then
        echo "skip: needs root for unshare --mount"
        exit 77
fi
for tool in unshare getent id mount; do
        command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }
done
[ -f "$BUILD/libnss_mailacct.so.2" ] || { echo "FAIL: $BUILD/libnss_mailacct.so.2 not built"; exit 1; }

if [ -z "${NSS_GLIBC_INNER:-}" ]; then
        TMP=$(mktemp -d /tmp/nss-glibc.XXXXXX) || exit 1
        chmod 755 "$TMP"
        export TMP NSS_GLIBC_INNER=1 BUILD
        unshare --mount "$0"
        rc=$?
        rm -rf "$TMP"
        exit $rc
fi

# ---- inside the namespace ---------------------------------------------------
# The data and the module are read from copies in $TMP: the checkout may be
# in a folder others cannot enter, and some checks run as nobody.
DATA=$TMP/data
mkdir -p "$DATA" && cp "$TOP"/tests/nss/data/* "$DATA"/ && chmod 0644 "$DATA"/* || exit 1
CONF=$DATA/mailacct.conf
. "$TOP/tests/lib/public.sh"
tl_public "$TMP/pub" || exit 1
mount --make-rprivate / || exit 1
cat >"$TMP/nsswitch.conf" <<'EOF'
passwd:         files mailacct
group:          files
shadow:         files
hosts:          files
EOF
mount --bind "$TMP/nsswitch.conf" /etc/nsswitch.conf || exit 1

# An ASan-built module needs the ASan runtime first in the process; getent
# and id are not built with it. Leak checks of foreign programs are off (the
# dlopen harness checks the module's own).
# (make asan builds into build/asan; the module's own NEEDED list is asked.)
if readelf -d "$BUILD/libnss_mailacct.so.2" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
        LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
        [ -f "$LD_PRELOAD" ] || { echo "skip: libasan.so not found for the ASan build"; exit 77; }
        export LD_PRELOAD ASAN_OPTIONS=detect_leaks=0
fi
export LD_LIBRARY_PATH=$BUILD MAILACCT_CONF=$CONF

checks=0 fails=0
fail() {
        fails=$((fails + 1))
        echo "FAIL: $*"
}
# expect_line WHAT EXPECTED COMMAND...: COMMAND's whole output is EXPECTED
expect_line() {
        what=$1 want=$2
        shift 2
        checks=$((checks + 1))
        got=$("$@" 2>&1)
        [ "$got" = "$want" ] || fail "$what: got \"$got\", want \"$want\""
}
# expect_absent WHAT COMMAND...: COMMAND prints nothing and exits 2 (not found)
expect_absent() {
        what=$1
        shift
        checks=$((checks + 1))
        got=$("$@" 2>&1)
        rc=$?
        [ $rc -eq 2 ] && [ -z "$got" ] || fail "$what: exit $rc, output \"$got\", want exit 2 and nothing"
}

JDOE='jdoe@example.com:x:5001:5000:John Doe:/var/mail/example.com/jdoe:/usr/sbin/nologin'
ROOT=$(grep '^root:' /etc/passwd)

# every login form, one canonical line (the same name the PAM module puts in PAM_USER)
for login in 'jdoe' 'JDOE' 'john.doe' 'EXAMPLE\jdoe' 'example\JDoe' 'EXAMPLE/jdoe' 'example.com\jdoe' \
        'EXAMPLE\jdoe\jdoe' 'EXAMPLE\assistant\jdoe' 'EXAMPLE/assistant/jdoe@example.com' \
        'jdoe@example.com' 'JDoe@EXAMPLE.com' 'john@example.com' 'jdoe@example.org' 'john.doe@Example.Org'; do
        expect_line "getent passwd '$login'" "$JDOE" getent passwd "$login"
done
expect_line "getent passwd 'EXAMPLE\\MaryM'" \
        'mary.major@example.com:x:5010:5000:Mary Major:/srv/mail/mary:/bin/false' getent passwd 'EXAMPLE\MaryM'
expect_line "getent passwd 'we*ird'" \
        'we*ird@example.com:x:5005:5000:Wildcard Test:/var/mail/example.com/we*ird:/usr/sbin/nologin' \
        getent passwd 'we*ird'
expect_line "getent passwd sales (mailbox beats contact)" \
        'sales@example.com:x:5000:5000:Sales Desk:/var/mail/example.com/sales:/usr/sbin/nologin' getent passwd sales

# misses
for login in user partner nobody-here 'jdoe@elsewhere.net' 'EXAMPLE\sales\jdoe' noids 'j*' '%'; do
        expect_absent "getent passwd '$login'" getent passwd "$login"
done

# by uid: one mailbox's uid answers; the shared vmail uid is left to other sources
expect_line "getent passwd 5001" "$JDOE" getent passwd 5001
if ! grep -q '^[^:]*:[^:]*:5000:' /etc/passwd; then
        expect_absent "getent passwd 5000 (shared uid)" getent passwd 5000
fi
expect_line "getent passwd 0 (files)" "$ROOT" getent passwd 0
expect_line "getent passwd root (files first)" "$ROOT" getent passwd root

# enumeration: files, then every mailbox once under its canonical name
all=$(getent passwd)
checks=$((checks + 1))
n_root=$(printf '%s\n' "$all" | grep -c '^root:')
[ "$n_root" -eq 1 ] || fail "enumeration: root listed $n_root times"
for name in jdoe@example.com assistant@example.com mary.major@example.com user@site1.org.com \
        user@site2.org.com 'we\*ird@example.com' sales@example.com support@example.com former@example.com \
        longname@example.com; do
        checks=$((checks + 1))
        n=$(printf '%s\n' "$all" | grep -c "^$name:")
        [ "$n" -eq 1 ] || fail "enumeration: $name listed $n times"
done
checks=$((checks + 1))
n_mail=$(printf '%s\n' "$all" | grep -c '@')
[ "$n_mail" -eq 10 ] || fail "enumeration: $n_mail mailbox lines, want 10"
checks=$((checks + 1))
printf '%s\n' "$all" | grep -q -e '^partner' -e '^noids' -e 'reseller' && fail "enumeration lists a contact or a mailbox without ids"
checks=$((checks + 1))
[ "$(printf '%s\n' "$all" | grep -c -F "$JDOE")" -eq 1 ] || fail "enumeration: jdoe's line differs from getent passwd jdoe"

# enumerate = false: getent passwd lists the files only; lookups still answer,
# from the configuration and from its compiled index alike
sed 's/^canonical = /enumerate = false;\ncanonical = /' "$CONF" >"$DATA/noenum.conf"
grep -q '^enumerate = false;' "$DATA/noenum.conf" || fail "noenum.conf: no canonical line to put enumerate before"
for from in configuration index; do
        if [ $from = index ]; then
                printf 'index = "%s";\n' "$DATA/noenum.idx" >>"$DATA/noenum.conf"
                "$BUILD/mailacct" -c "$DATA/noenum.conf" compile >/dev/null || fail "compile noenum.conf"
        fi
        checks=$((checks + 1))
        n=$(MAILACCT_CONF="$DATA/noenum.conf" getent passwd | grep -c -e '^root:' -e '@')
        [ "$n" -eq 1 ] || fail "enumerate = false ($from): $n lines of root and mailboxes, want root only"
        expect_line "enumerate = false ($from): getent passwd 'EXAMPLE\\jdoe'" "$JDOE" \
                env MAILACCT_CONF="$DATA/noenum.conf" getent passwd 'EXAMPLE\jdoe'
        expect_line "enumerate = false ($from): getent passwd 5001" "$JDOE" \
                env MAILACCT_CONF="$DATA/noenum.conf" getent passwd 5001
done

# id(1): the login form in, the canonical name out
expect_line "id -un 'EXAMPLE\\jdoe'" "jdoe@example.com" id -un 'EXAMPLE\jdoe'
expect_line "id -u 'EXAMPLE\\assistant\\jdoe'" "5001" id -u 'EXAMPLE\assistant\jdoe'
checks=$((checks + 1))
got=$(id 'EXAMPLE\jdoe' 2>&1)
case "$got" in
"uid=5001(jdoe@example.com) gid=5000"*) ;;
*) fail "id 'EXAMPLE\\jdoe': \"$got\"" ;;
esac

# a broken or missing configuration: the module is UNAVAIL, files still answer
for bad in "$DATA/broken.conf" "$DATA/invalid.conf" "$TMP/missing.conf"; do
        expect_line "root with $(basename "$bad")" "$ROOT" env MAILACCT_CONF="$bad" getent passwd root
        checks=$((checks + 1))
        out=$(MAILACCT_CONF="$bad" getent passwd jdoe)
        [ -z "$out" ] || fail "jdoe with $(basename "$bad"): \"$out\""
        checks=$((checks + 1))
        n=$(MAILACCT_CONF="$bad" getent passwd | grep -c -e '^root:' -e '@')
        [ "$n" -eq 1 ] || fail "enumeration with $(basename "$bad"): $n lines of root and mailboxes, want root only"
done

# canonical = "netbios": the canonical line is DOMAIN\account
expect_line "netbios: getent passwd jdoe@example.com" \
        'EXAMPLE\jdoe:x:5001:5000:John Doe:/var/mail/example.com/jdoe:/usr/sbin/nologin' \
        env MAILACCT_CONF="$DATA/netbios.conf" getent passwd jdoe@example.com

# /etc/mailacct.conf by default, and $MAILACCT_CONF ignored by setuid programs
# (secure_getenv). An overlay puts the file into this namespace's /etc and the
# module into the trusted library folder a setuid program loads from.
checks=$((checks + 1))
libdir=/usr/lib/$(${CC:-cc} -print-multiarch 2>/dev/null)
mkdir -p "$TMP/etc.u" "$TMP/etc.w" "$TMP/lib.u" "$TMP/lib.w"
if [ -n "${LD_PRELOAD:-}" ]; then
        echo "note: default-path and setuid checks skipped under ASan"
elif [ -d "$libdir" ] && mount -t overlay overlay -o "lowerdir=/etc,upperdir=$TMP/etc.u,workdir=$TMP/etc.w" /etc 2>/dev/null &&
        mount -t overlay overlay -o "lowerdir=$libdir,upperdir=$TMP/lib.u,workdir=$TMP/lib.w" "$libdir" 2>/dev/null; then
        cp "$TMP/nsswitch.conf" /etc/nsswitch.conf
        cp "$DATA/netbios.conf" /etc/mailacct.conf
        chmod 644 /etc/mailacct.conf
        cp "$BUILD/libnss_mailacct.so.2" "$libdir/"
        expect_line "default /etc/mailacct.conf" \
                'EXAMPLE\jdoe:x:5001:5000:John Doe:/var/mail/example.com/jdoe:/usr/sbin/nologin' \
                env -u MAILACCT_CONF -u LD_LIBRARY_PATH getent passwd jdoe
        cp "$(command -v getent)" "$TMP/getent-setuid"
        chmod 4755 "$TMP/getent-setuid"
        if command -v setpriv >/dev/null && [ "$(stat -c %a "$TMP/getent-setuid")" = 4755 ]; then
                expect_line "setuid program ignores MAILACCT_CONF" \
                        'EXAMPLE\jdoe:x:5001:5000:John Doe:/var/mail/example.com/jdoe:/usr/sbin/nologin' \
                        setpriv --reuid=65534 --regid=65534 --clear-groups \
                        env MAILACCT_CONF="$CONF" "$TMP/getent-setuid" passwd jdoe
                expect_line "the same unprivileged program honours MAILACCT_CONF" "$JDOE" \
                        setpriv --reuid=65534 --regid=65534 --clear-groups \
                        env MAILACCT_CONF="$CONF" LD_LIBRARY_PATH="$TL_PUB" getent passwd jdoe
        fi
else
        echo "note: overlayfs unavailable: default-path and setuid checks skipped"
fi

echo "nss-glibc: $checks checks, $fails failed"
[ $fails -eq 0 ]
