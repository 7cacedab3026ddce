#!/bin/sh
# Fetches the mail servers that Debian 12 cannot install beside Dovecot
# (cyrus-imapd, cyrus-pop3d, courier-imap, courier-pop conflict with
# dovecot-imapd/-pop3d) and unpacks them, without installing anything, into
# $BUILD/servers/root; the suites run them from there inside a mount
# namespace. Cached: the .debs stay in $BUILD/servers/debs, and nothing is
# fetched again while the root matches the list below.
#
#   tests/servers/fetch.sh     (BUILD set; root, for apt-get download)
# Prints the root's path. Exit 0, or 1 when a package cannot be fetched.
set -u
: "${BUILD:?BUILD not set (run through make check)}"
PKGS="cyrus-common cyrus-imapd cyrus-pop3d courier-base courier-imap courier-pop libcourier-unicode4"
OUT=$BUILD/servers
ROOT=$OUT/root
STAMP=$ROOT/.fetched

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PKGS" ]; then
        echo "$ROOT"
        exit 0
fi
mkdir -p "$OUT/debs" || exit 1
# apt-get download drops privileges to _apt, which must be able to write here
fetch() {
        (cd "$OUT/debs" && apt-get download -q $PKGS) >"$OUT/fetch.log" 2>&1
}
if ! fetch; then
        # a fresh machine may not have read its package lists yet
        apt-get update -q >>"$OUT/fetch.log" 2>&1
        fetch || {
                echo "FAIL: apt-get download $PKGS failed:" >&2
                tail -n 5 "$OUT/fetch.log" >&2
                exit 1
        }
fi
rm -rf "$ROOT.new"
mkdir -p "$ROOT.new"
for p in $PKGS; do
        deb=$(ls -t "$OUT/debs/${p}_"*.deb 2>/dev/null | head -n 1)
        [ -n "$deb" ] || { echo "FAIL: no .deb for $p in $OUT/debs" >&2; exit 1; }
        dpkg-deb -x "$deb" "$ROOT.new" || exit 1
done
echo "$PKGS" >"$ROOT.new/.fetched"
rm -rf "$ROOT"
mv "$ROOT.new" "$ROOT"
echo "$ROOT"
