#!/bin/sh
# The SASL plugin exports exactly its entry point: the statically linked
# core (mailacct_*) and every helper stay local (version script,
# visibility). It links neither libsasl2 (everything comes through the
# utils it is handed), nor libcrypt (it never checks a password), nor
# libconfig (the configuration is read by the project's own parser).
set -eu
so="${BUILD:?BUILD not set}/sasl2/libmailacct.so"
[ -f "$so" ] || { echo "FAIL: $so not built"; exit 1; }
want="sasl_canonuser_init"
got=$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort)
if [ "$got" != "$want" ]; then
        echo "FAIL: $so exports:"
        printf '%s\n' "$got" | sed 's/^/    /'
        echo "but only this may leave it: $want"
        exit 1
fi
for lib in libsasl2 libcrypt libconfig; do
        if readelf -d "$so" | grep -q "NEEDED.*$lib"; then
                echo "FAIL: $so links $lib at load time"
                exit 1
        fi
done
echo "PASS: $so exports only: $want"
