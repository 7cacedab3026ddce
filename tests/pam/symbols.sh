#!/bin/sh
# pam_mailacct.so exports exactly the PAM entry points: the statically linked
# core (mailacct_*) and every helper stay local (version script, visibility).
set -eu
so="${BUILD:?BUILD not set}/pam_mailacct.so"
[ -f "$so" ] || { echo "FAIL: $so not built"; exit 1; }
want="pam_sm_acct_mgmt
pam_sm_authenticate
pam_sm_chauthtok
pam_sm_setcred"
got=$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort)
if [ "$got" != "$want" ]; then
        echo "FAIL: $so exports:"
        printf '%s\n' "$got" | sed 's/^/    /'
        echo "but only these may leave it:"
        printf '%s\n' "$want" | sed 's/^/    /'
        exit 1
fi
# -Wl,--no-undefined: everything it needs is named in its own NEEDED list
for lib in libpam.so libcrypt.so; do
        readelf -d "$so" | grep -q "NEEDED.*$lib" || { echo "FAIL: $so does not link $lib"; exit 1; }
done
# ...and no libconfig, neither linked nor loaded with dlopen: the module
# and the command parse a configuration file themselves (source/file/cfparse.c)
for f in "$so" "${BUILD}/mailacct"; do
        if readelf -d "$f" | grep -q "NEEDED.*libconfig" || nm -D "$f" | grep -qw dlopen ||
                grep -qa 'libconfig\.so' "$f"; then
                echo "FAIL: $f uses libconfig (linked, or dlopen)"
                exit 1
        fi
done
echo "PASS: $so exports only:" $want
