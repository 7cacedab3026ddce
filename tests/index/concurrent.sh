#!/bin/bash
# Atomic replacement under concurrent readers: `mailacct compile` runs again
# and again while a long-running reader (4 threads through the NSS module)
# and short-lived `mailacct resolve` processes look logins up. Every answer
# must be right, none unavailable, and the long-running reader must let go of
# every replaced index. Then `compile` is killed with SIGKILL at random points:
# the index in place stays whole and current.
set -u
BUILD=${BUILD:-$PWD/build}
TMP=$(mktemp -d /tmp/mailacct-conc.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
fail=0 pass=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

python3 bench/gen-directory.py 3000 "$TMP" >/dev/null || { echo "cannot generate"; exit 1; }
CONF=$TMP/mailacct.conf
M="$BUILD/mailacct -c $CONF"
$M compile >/dev/null || { echo "compile failed"; exit 1; }
# expected answers from the configuration path (no index beside it)
mkdir "$TMP/plain" && grep -v '^index' "$CONF" >"$TMP/plain/mailacct.conf"
{ head -300 "$TMP/hits"; head -60 "$TMP/misses"; } >"$TMP/logins"
while IFS= read -r l; do
        c=$("$BUILD/mailacct" -c "$TMP/plain/mailacct.conf" resolve -- "$l" 2>/dev/null) || c=-
        printf '%s\t%s\n' "$l" "$c"
done <"$TMP/logins" >"$TMP/expected"
[ "$(grep -vc $'\t-$' "$TMP/expected")" -ge 300 ] && ok "expected answers: 300 hits" || bad "expected answers"

MAILACCT_CONF=$CONF "$BUILD/tests/index-reader" "$BUILD/libnss_mailacct.so.2" "$TMP/expected" 8 >"$TMP/reader.out" 2>&1 &
reader=$!
( end=$((SECONDS + 8)); n=0; w=0
  while [ $SECONDS -lt $end ]; do
        l=$(shuf -n 1 "$TMP/expected")
        got=$($M resolve -- "${l%%$'\t'*}" 2>/dev/null) || got=-
        [ "$got" = "${l#*$'\t'}" ] || { w=$((w + 1)); echo "resolve ${l%%$'\t'*}: $got" >&2; }
        n=$((n + 1))
  done
  echo "$n $w" >"$TMP/cli.out" ) &
compiles=0
end=$((SECONDS + 7))
while [ $SECONDS -lt $end ]; do
        $M compile >/dev/null || bad "compile failed during reads"
        compiles=$((compiles + 1))
done
wait $reader; rc=$?
wait
cat "$TMP/reader.out"
[ $rc -eq 0 ] && ok "long-running reader across $compiles compiles" || bad "long-running reader (rc $rc)"
read -r n w <"$TMP/cli.out"
[ "$w" -eq 0 ] && [ "$n" -gt 10 ] && ok "$n resolve processes during compiles, 0 wrong" || bad "$w of $n resolve processes wrong"

# SIGKILL during compile: the index in place is the old one, whole and current
for i in $(seq 1 12); do
        $M compile >/dev/null &
        p=$!
        sleep "0.0$((RANDOM % 9))"
        kill -9 $p 2>/dev/null
        wait $p 2>/dev/null
done
rm -f "$TMP"/mailacct.idx.tmp.*
out=$($M explain "$(head -1 "$TMP/logins")" | grep '^source:')
[ "$out" = "source:     compiled index" ] && ok "index intact after 12 killed compiles" || bad "index after kills: $out"
bad_ans=0
while IFS=$'\t' read -r l c; do
        got=$($M resolve -- "$l" 2>/dev/null) || got=-
        [ "$got" = "$c" ] || bad_ans=$((bad_ans + 1))
done < <(head -40 "$TMP/expected")
[ $bad_ans -eq 0 ] && ok "answers unchanged after killed compiles" || bad "$bad_ans answers changed"

echo "index-concurrency: $pass passed, $fail failed"
[ $fail -eq 0 ]
