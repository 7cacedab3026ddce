#!/bin/sh
# `make install DESTDIR=...` puts every piece where Debian looks for it
# (multiarch paths for the modules), and `make uninstall` takes them away.
set -u
: "${BUILD:?BUILD not set (run through make check)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/mailacct-install.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
MA=$(${CC:-cc} -print-multiarch)
checks=0 fails=0

make -s -C "$TOP" BUILD="$BUILD" DESTDIR="$T/root" install >"$T/log" 2>&1 ||
        { echo "FAIL: make install: $(cat "$T/log")"; exit 1; }
for f in usr/sbin/mailacct "lib/$MA/security/pam_mailacct.so" "lib/$MA/libnss_mailacct.so.2" \
        usr/share/man/man8/mailacct.8 usr/share/man/man8/pam_mailacct.8 usr/share/man/man8/libnss_mailacct.8 \
        usr/share/man/man5/mailacct.conf.5 usr/share/bash-completion/completions/mailacct \
        usr/share/doc/mailacct/examples/mailacct.conf.example \
        usr/lib/systemd/system/mailacct-compile.path usr/lib/systemd/system/mailacct-compile.service; do
        checks=$((checks + 1))
        [ -f "$T/root/$f" ] || { fails=$((fails + 1)); echo "FAIL: make install did not install /$f"; }
done
checks=$((checks + 1))
[ "$(stat -c %a "$T/root/usr/sbin/mailacct")" = 755 ] ||
        { fails=$((fails + 1)); echo "FAIL: /usr/sbin/mailacct is not 0755"; }

make -s -C "$TOP" BUILD="$BUILD" DESTDIR="$T/root" uninstall >"$T/log" 2>&1 ||
        { echo "FAIL: make uninstall: $(cat "$T/log")"; exit 1; }
left=$(find "$T/root" -type f)
checks=$((checks + 1))
[ -z "$left" ] || { fails=$((fails + 1)); echo "FAIL: make uninstall left: $left"; }

echo "install: $checks checks, $fails failed"
[ $fails -eq 0 ]
