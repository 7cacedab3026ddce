#!/bin/sh
# Name-service caches: with a real nscd running (Debian's, in a private mount
# namespace with its own socket folder and configuration, so that nothing of
# the host talks to it), `mailacct compile` and `check` say that it may keep
# answering from before the change and give the command that flushes it;
# with none running they say nothing of it. Needs root and nscd (77 if not).
set -u
: "${BUILD:?BUILD not set (run through make check)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
        echo "skip: needs root for unshare --mount"
        exit 77
fi
command -v nscd >/dev/null || { echo "FAIL: nscd missing (apt-get install nscd)"; exit 1; }

if [ -z "${CACHES_INNER:-}" ]; then
        T=$(mktemp -d /tmp/mailacct-caches.XXXXXX) || exit 1
        chmod 0755 "$T"
        CACHES_INNER=1 T=$T unshare --mount --propagation private "$0"
        rc=$?
        rm -rf "$T"
        exit $rc
fi

checks=0 fails=0
check() {
        checks=$((checks + 1))
        if ! eval "$2"; then
                fails=$((fails + 1))
                echo "FAIL: $1"
        fi
}

cp "$TOP/tests/data/clean.conf" "$TOP/tests/data/clean.secrets" "$T"/
chmod 0644 "$T/clean.conf"
chmod 0600 "$T/clean.secrets"
printf 'index = "%s/clean.idx";\n' "$T" >>"$T/clean.conf"
M="$BUILD/mailacct -c $T/clean.conf"

# no cache yet (unless the host runs one: then this case says nothing)
if ! grep -qsx -e nscd -e unscd -e sssd_nss /proc/[0-9]*/comm; then
        $M check >/dev/null 2>"$T/err"
        check "check without a cache says nothing of caches: $(cat "$T/err")" '! grep -q "is running" "$T/err"'
fi

mkdir -p "$T/run"
mount -t tmpfs -o mode=0755 tmpfs /run/nscd 2>/dev/null || { mkdir -p /run/nscd && mount -t tmpfs tmpfs /run/nscd; } ||
        { echo "FAIL: cannot mount a private /run/nscd"; exit 1; }
cat >"$T/nscd.conf" <<'CONF'
        logfile                 /dev/null
        server-user             root
        enable-cache            passwd          yes
        persistent              passwd          no
        shared                  passwd          no
        enable-cache            group           no
        enable-cache            hosts           no
        enable-cache            services        no
        enable-cache            netgroup        no
CONF
nscd -f "$T/nscd.conf" || { echo "FAIL: nscd did not start"; exit 1; }
# ours, by the pid file in our /run/nscd: never a host's nscd
stop() {
        pid=$(cat /run/nscd/nscd.pid 2>/dev/null)
        [ -n "$pid" ] && kill "$pid" 2>/dev/null
        i=0
        while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
trap stop EXIT
i=0
while [ ! -s /run/nscd/nscd.pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -s /run/nscd/nscd.pid ] || { echo "FAIL: nscd wrote no pid file"; exit 1; }

$M compile >"$T/out" 2>"$T/err"
rc=$?
check "compile succeeds with nscd running: exit $rc, $(cat "$T/err")" '[ $rc -eq 0 ] && grep -q "clean.idx" "$T/out"'
check "compile names nscd and its flush command: $(cat "$T/err")" \
        'grep -q "nscd is running" "$T/err" && grep -q "nscd -i passwd" "$T/err"'
$M check >"$T/out" 2>"$T/err"
rc=$?
check "check exits 0 with nscd running (a note, not a warning): exit $rc" '[ $rc -eq 0 ]'
check "check names nscd and its flush command on stderr: $(cat "$T/err")" 'grep -q "nscd -i passwd" "$T/err"'
check "check's stdout is the findings only" '! grep -q nscd "$T/out"'
$M check --json >"$T/out" 2>"$T/err"
check "check --json lists the cache: $(cat "$T/out")" \
        'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if {\"name\": \"nscd\", \"flush\": \"nscd -i passwd\"} in d[\"caches\"] else 1)" "$T/out"'

echo "caches: $checks checks, $fails failed"
[ $fails -eq 0 ]
