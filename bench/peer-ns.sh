#!/bin/sh
# SPDX-License-Identifier: MIT
# Run by `unshare --mount` (see run-bench.py): puts one peer NSS module's
# files where the module reads them, inside this private mount namespace
# only, then runs the command. Nothing of the host changes: the mounts
# vanish with the namespace.
#
#   unshare --mount bench/peer-ns.sh PEER PEERDIR COMMAND [ARGS...]
#
# PEERDIR holds the files run-bench.py built for the peer:
#   files       PEERDIR/passwd            over /etc/passwd
#   extrausers  PEERDIR/extrausers/       over /var/lib/extrausers (reads passwd there)
#   cache       PEERDIR/cache/passwd.cache{,.ixname,.ixuid}
#                                         as /etc/passwd.cache{,.ixname,.ixuid}
#   db          PEERDIR/db/               over /var/lib/misc (reads passwd.db there,
#                                         path seen with strace)
set -eu

peer=$1
dir=$2
shift 2

# No mount of ours may propagate back to the host's namespace.
mount --make-rprivate /

case $peer in
files)
        mount --bind "$dir/passwd" /etc/passwd
        ;;
extrausers)
        mount --bind "$dir/extrausers" /var/lib/extrausers
        ;;
cache)
        # /etc/passwd.cache does not exist on the host and a bind mount needs
        # a target: /etc becomes a private tmpfs copy of itself in which the
        # three files are bound (tmpfs, not overlayfs, so that opening them
        # costs what it costs in /etc).
        etc="$dir/etc"
        mkdir -p "$etc"
        mount -t tmpfs -o mode=0755 mailacct-bench-etc "$etc"
        cp -a /etc/. "$etc/"
        mount --bind "$etc" /etc
        for f in passwd.cache passwd.cache.ixname passwd.cache.ixuid; do
                : >"/etc/$f"
                mount --bind "$dir/cache/$f" "/etc/$f"
        done
        ;;
db)
        mount --bind "$dir/db" /var/lib/misc
        ;;
none) ;;
*)
        echo "peer-ns.sh: unknown peer $peer" >&2
        exit 2
        ;;
esac

exec "$@"
