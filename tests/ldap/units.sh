#!/bin/bash
# The NSS module and the SASL plugin link no LDAP library (the command does,
# for the sync, and the PAM module, for passwords = "ldap-bind"), and the sync's
# systemd units: `make install` puts mailacct-sync.service, .timer and
# mailacct-sync-watch.service into the unit folder (not enabled: no symbolic link under
# timers.target.wants), the service runs the installed command, and both
# pass `systemd-analyze verify` (when systemd is there), with the service
# pointed at the built command.
SUITE=ldap-units
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/mailacct-$SUITE.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$top" || exit 1
UNITDIR=/lib/systemd/system
if ! nm -D "$MAILACCT" 2>/dev/null | grep -q __asan_init; then
        make -s install DESTDIR="$T/root" PREFIX=/usr SYSTEMDUNITDIR=$UNITDIR BUILD="$BUILD" >"$T/install.log" 2>&1
        rc=$?
        check "make install" test $rc -eq 0 || tail "$T/install.log"
        check "the units are installed, the timer not enabled" \
                eval '[ -f "$T/root$UNITDIR/mailacct-sync.service" ] && [ -f "$T/root$UNITDIR/mailacct-sync.timer" ] &&
                      [ -z "$(find "$T/root" -path "*wants*" -name "mailacct*")" ]'
        check "the service runs the installed command" \
                grep -qx 'ExecStart=/usr/sbin/mailacct -c /etc/mailacct.conf sync' "$T/root$UNITDIR/mailacct-sync.service"
        check "the watch service is installed, runs sync --watch, restarts on failure, not enabled" \
                eval 'grep -qx "ExecStart=/usr/sbin/mailacct -c /etc/mailacct.conf sync --watch" \
                        "$T/root$UNITDIR/mailacct-sync-watch.service" &&
                      grep -qx "Restart=on-failure" "$T/root$UNITDIR/mailacct-sync-watch.service"'
        make -s uninstall DESTDIR="$T/root" PREFIX=/usr SYSTEMDUNITDIR=$UNITDIR BUILD="$BUILD" >/dev/null 2>&1
        check "make uninstall removes them" test ! -e "$T/root$UNITDIR/mailacct-sync.service" -a \
                ! -e "$T/root$UNITDIR/mailacct-sync.timer" -a ! -e "$T/root$UNITDIR/mailacct-sync-watch.service"
fi
# NSS runs in every process of the machine: it never talks LDAP, nor does
# the SASL plugin (names only). The PAM module links libldap for the
# password bind (passwords = "ldap-bind"): it runs in the mail server's auth
# process only, loaded once (-z nodelete); a dlopen would call a dozen
# libldap functions through prototypes the compiler no longer checks
# (docs/ARCHITECTURE.md, "Passwords by an LDAP bind").
for so in libnss_mailacct.so.2 sasl2/libmailacct.so; do
        check "$so does not link libldap or liblber" eval '! objdump -p "$BUILD/$so" | grep -q "NEEDED.*\(libldap\|liblber\)"'
done
check "the command links libldap" eval 'objdump -p "$MAILACCT" | grep -q "NEEDED.*libldap"'
check "pam_mailacct.so links libldap (the password bind)" \
        eval 'objdump -p "$BUILD/pam_mailacct.so" | grep -q "NEEDED.*libldap"'
if command -v systemd-analyze >/dev/null; then
        sed "s|/usr/sbin/mailacct|$MAILACCT|g" systemd/mailacct-sync.service >"$T/mailacct-sync.service"
        sed "s|/usr/sbin/mailacct|$MAILACCT|g" systemd/mailacct-sync-watch.service >"$T/mailacct-sync-watch.service"
        cp systemd/mailacct-sync.timer "$T/"
        systemd-analyze verify --man=no "$T/mailacct-sync.service" "$T/mailacct-sync.timer" \
                "$T/mailacct-sync-watch.service" >"$T/verify.log" 2>&1
        rc=$?
        check "systemd-analyze verify: the three units" test $rc -eq 0 -a ! -s "$T/verify.log" || cat "$T/verify.log"
else
        echo "# systemd-analyze not installed: the units' syntax is not verified"
fi
finish
