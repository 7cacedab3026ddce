#!/bin/sh
# The packages `make deb` built are lintian-clean (-i --pedantic): no error
# and no warning. The only overrides allowed are for tags about uploads to the
# Debian archive, each with a comment above it saying why.
set -u
: "${BUILD:?BUILD not set (run through make check-packages)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
command -v lintian >/dev/null || { echo "skip: lintian missing (apt-get install lintian)"; exit 77; }
# tags that concern an upload to the archive, not the packages' contents
UPLOAD_TAGS="initial-upload-closes-no-bugs"
fails=0

for f in "$TOP"/debian/*lintian-overrides; do
        [ -f "$f" ] || continue
        # "TAG" or "PACKAGE: TAG" or "PACKAGE TYPE: TAG", then the context
        awk '/^[ \t]*(#|$)/ { c = /#/; next }
             { if (!c) print "no comment above: " $0; c = 0 }' "$f" | sed "s|^|FAIL: $f: |" | grep . && fails=1
        for tag in $(sed -e '/^[ \t]*#/d' -e 's/^[^:]*: *//' -e 's/ .*//' "$f"); do
                case " $UPLOAD_TAGS " in
                *" $tag "*) ;;
                *) echo "FAIL: $f overrides $tag, which is not about an archive upload"; fails=1 ;;
                esac
        done
done

changes=$(ls "$BUILD"/deb/*.changes 2>/dev/null | head -n 1)
[ -n "$changes" ] || { echo "FAIL: no .changes in $BUILD/deb (make deb)"; exit 1; }
out=$(lintian -i --pedantic --display-info --fail-on error,warning "$changes" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ] || printf '%s\n' "$out" | grep -q '^[EW]: '; then
        echo "FAIL: lintian found errors or warnings in $changes (exit $rc)"
        fails=1
fi
[ $fails -eq 0 ] && echo "PASS: lintian -i --pedantic on $(basename "$changes"): no error, no warning"
[ $fails -eq 0 ]
