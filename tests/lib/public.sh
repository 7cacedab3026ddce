# Sourced by suites whose processes drop privileges (setpriv to nobody).
#
# A checkout may sit in a folder others cannot enter (Debian's 0700 home
# folders, mktemp -d): a process running as nobody can then neither run a
# program from $BUILD nor load a module from it. Such processes get copies
# from a temporary folder others can traverse, never the checkout itself.
#
#   tl_public DIR   copies the built programs and modules into DIR (made
#                   0755, with every folder above it left as it is) and sets
#                   TL_PUB=DIR. DIR's parent must be traversable by others
#                   (a folder of /tmp made 0755 is).
tl_public() {
        TL_PUB=$1
        mkdir -p "$TL_PUB" || return 1
        chmod 0755 "$TL_PUB"
        for _f in mailacct pam_mailacct.so libnss_mailacct.so.2 tests/hardening/pam_probe \
                tests/hardening/nss_driver sasl2/libmailacct.so; do
                [ -e "$BUILD/$_f" ] || continue
                cp "$BUILD/$_f" "$TL_PUB/" || return 1
                chmod 0755 "$TL_PUB/${_f##*/}"
        done
}
