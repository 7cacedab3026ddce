#!/bin/sh
# The packages `make deb` built, installed into a Debian chroot made with
# debootstrap (variant minbase, its mirror taken from apt's own sources): the
# NSS module answers getent, the PAM module authenticates through pamtester,
# both before and after `mailacct compile`; the files are at the multiarch
# paths; nothing in /etc is edited by the packages; an upgrade recompiles the
# index and survives a broken configuration; remove leaves no module, purge
# removes /var/lib/mailacct.
#
# The pristine chroot is made once and kept in $BUILD/packages/$SUITE (the
# downloaded dependencies in $BUILD/packages/apt-archives); each run works on
# an overlay of it that is thrown away. rm -rf build/packages makes a fresh one
# (its package lists age with the mirror). Every mount (the overlay, /proc, the
# archive cache) is made inside a private mount and PID namespace: it vanishes
# with the namespace even if this script is killed, so no `rm -rf build` can
# ever walk into the host's /proc or /dev, and no process outlives the test.
set -u
: "${BUILD:?BUILD not set (run through make check-packages)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=${MAILACCT_CHROOT_SUITE:-bookworm}
CACHE=$BUILD/packages
PRISTINE=$CACHE/$SUITE
ARCHIVES=$CACHE/apt-archives
RUN=$CACHE/run

# --- inside the namespaces: mounts, then the checks --------------------------
if [ "${1:-}" = --inside ]; then
        CH=$RUN/root
        mounted=""
        # unmount in reverse order; lazily if something still holds a mount
        cleanup() {
                for m in $mounted; do umount "$m" 2>/dev/null || umount -l "$m"; done
        }
        trap cleanup EXIT
        trap 'exit 130' INT TERM
        mkdir -p "$RUN/upper" "$RUN/work" "$CH" "$ARCHIVES/partial" || exit 1
        mount -t overlay overlay -o "lowerdir=$PRISTINE,upperdir=$RUN/upper,workdir=$RUN/work" "$CH" ||
                { echo "FAIL: overlay mount of $PRISTINE"; exit 1; }
        mounted="$CH"
        mount -t proc proc "$CH/proc" || { echo "FAIL: mount /proc in the chroot"; exit 1; }
        mounted="$CH/proc $mounted"
        # dependencies downloaded once (libconfig9 ...) stay for the next run
        mount --bind "$ARCHIVES" "$CH/var/cache/apt/archives" || { echo "FAIL: bind $ARCHIVES"; exit 1; }
        mounted="$CH/var/cache/apt/archives $mounted"
        . "$TOP/tests/packages/chroot-checks.sh"
        exit $?
fi

# --- outside: prerequisites, the pristine chroot, the namespaces -------------
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (debootstrap, chroot, mounts)"; exit 77; }
for t in debootstrap unshare chroot dpkg-architecture; do
        command -v $t >/dev/null ||
                { echo "skip: $t missing (apt-get install debootstrap util-linux dpkg-dev)"; exit 77; }
done
for p in mailacct libpam-mailacct libnss-mailacct; do
        ls "$BUILD"/deb/${p}_*.deb >/dev/null 2>&1 || { echo "FAIL: no $p .deb in $BUILD/deb (make deb)"; exit 1; }
done

# The first deb line of apt's sources for $1: one-line (sources.list, *.list)
# or deb822 (*.sources) format.
mirror() {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -f "$f" ] || continue
                # deb [options] URI SUITE COMPONENT...
                awk -v s="$1" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                             if ($(i + 1) == s) { print $i; exit } }' "$f"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
                        { t = u = su = ""; en = "yes"
                          for (n = 1; n <= NF; n++) {
                                  if ($n ~ /^#/) continue
                                  k = tolower($n); sub(/:.*/, "", k); v = $n; sub(/^[^:]*:[ \t]*/, "", v)
                                  if (k == "types") t = " " v " "; else if (k == "uris") u = v
                                  else if (k == "suites") su = " " v " "; else if (k == "enabled") en = tolower(v) }
                          if (t ~ / deb / && su ~ (" " s " ") && en != "no") { split(u, a, /[ \t]+/); print a[1]; exit } }' "$f"
        done | head -n 1
}

if [ ! -d "$PRISTINE" ]; then
        MIRROR=$(mirror "$SUITE")
        [ -n "$MIRROR" ] || { echo "FAIL: no 'deb ... $SUITE' entry in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"; exit 1; }
        echo "making the $SUITE chroot (once) from $MIRROR into $PRISTINE"
        rm -rf "$PRISTINE.new"
        mkdir -p "$CACHE" || exit 1
        # debootstrap mounts /proc and /sys in the target while it works: in a
        # namespace of its own, an interrupted run leaves no mount behind.
        # pamtester is the test's tool; libconfig9 is absent on purpose: the
        # packages must not need it.
        if ! unshare --mount --propagation private \
                debootstrap --variant=minbase --include=pamtester "$SUITE" "$PRISTINE.new" "$MIRROR" \
                >"$CACHE/debootstrap.log" 2>&1; then
                tail -n 20 "$CACHE/debootstrap.log"
                echo "FAIL: debootstrap $SUITE from $MIRROR (log: $CACHE/debootstrap.log)"
                exit 1
        fi
        # package lists for apt-get install of the .debs' dependencies
        if ! chroot "$PRISTINE.new" apt-get update -q >>"$CACHE/debootstrap.log" 2>&1; then
                tail -n 20 "$CACHE/debootstrap.log"
                echo "FAIL: apt-get update in the new chroot (log: $CACHE/debootstrap.log)"
                exit 1
        fi
        # no maintainer script starts a service in the chroot
        printf '#!/bin/sh\nexit 101\n' >"$PRISTINE.new/usr/sbin/policy-rc.d" &&
                chmod 0755 "$PRISTINE.new/usr/sbin/policy-rc.d" || exit 1
        rm -f "$PRISTINE.new"/var/cache/apt/archives/*.deb
        mv "$PRISTINE.new" "$PRISTINE" || exit 1
fi

rm -rf "$RUN"
mkdir -p "$RUN/debs" || exit 1
for p in mailacct libpam-mailacct libnss-mailacct; do
        cp "$BUILD"/deb/${p}_*.deb "$RUN/debs/" || exit 1
done
export TOP BUILD SUITE CACHE PRISTINE ARCHIVES RUN
export MA="$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
unshare --mount --pid --fork --propagation private "$0" --inside
rc=$?
rm -rf "$RUN"
exit $rc
