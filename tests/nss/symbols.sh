#!/bin/sh
# The module exports exactly the five glibc NSS entry points: no core helper,
# no parser symbol, nothing a program could bind to by accident.
set -u
so="${BUILD:-build}/libnss_mailacct.so.2"
[ -f "$so" ] || { echo "FAIL: $so not built"; exit 1; }
command -v nm >/dev/null || { echo "skip: nm (binutils) missing"; exit 77; }

want="_nss_mailacct_endpwent
_nss_mailacct_getpwent_r
_nss_mailacct_getpwnam_r
_nss_mailacct_getpwuid_r
_nss_mailacct_setpwent"
got=$(nm -D --defined-only "$so" | awk '{ print $NF }' | sort)
fail=0
if [ "$got" != "$want" ]; then
        echo "FAIL: exported symbols differ from the five entry points:"
        printf '%s\n' "$got" | sed 's/^/  /'
        fail=1
fi
# each one a function (T), not data
if nm -D --defined-only "$so" | awk '$2 != "T"' | grep -q .; then
        echo "FAIL: an exported symbol is not a text symbol"
        fail=1
fi
soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libnss_mailacct.so.2 ] || { echo "FAIL: SONAME \"$soname\""; fail=1; }
# the module never verifies a password: no libcrypt, no crypt_r
if objdump -p "$so" | grep -q 'NEEDED.*libcrypt'; then
        echo "FAIL: linked against libcrypt"
        fail=1
fi
if nm -D "$so" | grep -q 'crypt'; then
        echo "FAIL: refers to a crypt function"
        fail=1
fi
# the module parses a configuration file itself (source/file/cfparse.c):
# no libconfig, neither linked nor loaded with dlopen
if objdump -p "$so" | grep -q 'NEEDED.*libconfig' || nm -D "$so" | grep -qw 'dlopen' ||
        grep -qa 'libconfig\.so' "$so"; then
        echo "FAIL: uses libconfig (linked, or dlopen)"
        fail=1
fi
# BIND_NOW and RELRO, as -z now -z relro ask
readelf -d "$so" | grep -q 'BIND_NOW' || { echo "FAIL: not linked -z now"; fail=1; }
objdump -p "$so" | grep -q 'RELRO' || { echo "FAIL: no RELRO segment"; fail=1; }
[ $fail -eq 0 ] && echo "symbols: exactly the five entry points, SONAME libnss_mailacct.so.2, no libcrypt"
exit $fail
