#!/bin/sh
# make deb: builds the Debian packages (debian/) with dpkg-buildpackage from a
# copy of the source tree in $BUILD/deb/src, and copies the .debs, .ddebs,
# .changes and .buildinfo to $BUILD/deb. A copy, because dpkg-buildpackage
# cleans the tree it builds in and leaves its results in the folder above it:
# neither build/ nor the folder that holds the clone is touched.
set -u
: "${BUILD:?BUILD not set (run through make deb)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$BUILD/deb

for t in dpkg-buildpackage dpkg-parsechangelog dh; do
        command -v $t >/dev/null ||
                { echo "FAIL: make deb: $t missing (apt-get install dpkg-dev debhelper)"; exit 1; }
done
# debian/changelog's upstream version is the one the Makefile builds
ver=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version) || exit 1
mkver=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
[ "${ver%-*}" = "$mkver" ] ||
        { echo "FAIL: make deb: debian/changelog is at $ver, the Makefile's VERSION is $mkver"; exit 1; }

SRC=$OUT/src/mailacct-$mkver
rm -rf "$OUT"
mkdir -p "$SRC" || exit 1
# the working tree as it is, uncommitted edits included
tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$SRC" -xf - ||
        { echo "FAIL: make deb: could not copy the tree to $SRC"; exit 1; }
# a package build takes none of the calling make's variables (BUILD, SAN,
# OPT of `make asan` ...) through MAKEFLAGS
unset MAKEFLAGS MFLAGS MAKELEVEL
echo "make deb: dpkg-buildpackage -us -uc -b in $SRC (log: $OUT/build.log)"
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b -j2) >"$OUT/build.log" 2>&1; then
        tail -n 30 "$OUT/build.log"
        echo "FAIL: make deb: dpkg-buildpackage failed (whole log: $OUT/build.log)"
        exit 1
fi
for f in "$OUT"/src/*.deb "$OUT"/src/*.ddeb "$OUT"/src/*.changes "$OUT"/src/*.buildinfo; do
        [ -e "$f" ] && { cp "$f" "$OUT/" || exit 1; }
done
ls "$OUT"/*.deb >/dev/null 2>&1 || { echo "FAIL: make deb: no .deb in $OUT/src"; exit 1; }
(cd "$OUT" && ls -1 *.deb *.changes)
touch "$OUT/stamp"
