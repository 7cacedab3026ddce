#!/bin/sh
# The SASL plugin inside the real libsasl2 (tests/sasl/test_sasl.c): every
# case from the configuration, then from its compiled index (which must be
# what answered), a dlopen check; no secrets file exists, so none is needed.
# Needs libsasl2's PLAIN mechanism (libsasl2-modules).
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"
DRIVER=$BUILD/tests/sasl/test_sasl
[ -x "$DRIVER" ] && [ -f "$BUILD/sasl2/libmailacct.so" ] && [ -x "$BUILD/mailacct" ] || {
        echo "FAIL: build first"
        exit 1
}
ls /usr/lib/*/sasl2/libplain.so >/dev/null 2>&1 || {
        echo "SKIP: libsasl2's PLAIN mechanism missing (apt-get install libsasl2-modules)"
        exit 77
}
T=$(mktemp -d /tmp/mailacct-sasl.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
# the index beside the configuration: `index` before the first group
{
        echo 'index = "mailacct.idx";'
        cat tests/integration/data/mailacct.conf
} >"$T/mailacct.conf"
[ -e "$T/mailacct.secrets" ] && exit 2
# ASan: a program of ours, built with it: nothing to preload
rc=0
echo "--- from the configuration"
"$DRIVER" "$T/mailacct.conf" || rc=1
echo "--- from the compiled index"
# (compile writes a secrets index too: both are gone before the driver runs)
(umask 077 && : >"$T/mailacct.secrets")
"$BUILD/mailacct" -c "$T/mailacct.conf" compile >/dev/null || { echo "FAIL: mailacct compile"; exit 1; }
rm -f "$T/mailacct.secrets" "$T/mailacct.secrets.idx"
"$DRIVER" "$T/mailacct.conf" --index "$T/mailacct.idx" || rc=1
exit $rc
