#!/bin/sh
# Courier IMAP and POP3 (Debian's courier-imap/courier-pop, unpacked by
# fetch.sh; courier-authlib installed) on loopback: authdaemond with
# authmodulelist="authpam" checks the password through pam_mailacct (PAM
# services "imap" and "pop3"), then takes uid, gid and home from getpwnam()
# of the name as typed, which libnss_mailacct answers with the canonical
# mailbox (passwd: files mailacct). Each canonical mailbox's Maildir holds a
# marker message; every login form, through real clients, must read it.
# The cases: courier.py.
#
# Needs root: its own mount and pid namespaces; /etc gets an overlay that
# adds /etc/courier/authdaemonrc (Debian's courier-authlib ships none), the
# test pam.d and nsswitch.conf are bind-mounted, /run is a tmpfs for
# authdaemond's socket (/run/courier/authdaemon, compiled in).
# KEEP=1 keeps the temporary folder.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"
. tests/lib/servers.sh
AUTHDAEMOND=/usr/lib/courier/courier-authlib/authdaemond

[ "${1:-}" = --inside ] || sv_outside courier "$AUTHDAEMOND"
[ -f /usr/lib/courier-authlib/libauthpam.so.0 ] || { echo "FAIL: courier-authlib's authpam missing"; exit 1; }

sv_setup "$2"
HOMES=$MA_DIR/home
sed "s|home = \"/var/mail/%d/%n\"|home = \"$HOMES/%d/%n\"|" tests/integration/data/mailacct.conf \
        >"$MA_DIR/mailacct-courier.conf"
grep -q "home = \"$HOMES/%d/%n\"" "$MA_DIR/mailacct-courier.conf" || ma_die "the test directory's home template changed"
ma_directory "$MA_DIR/mailacct-courier.conf" tests/integration/data/passwords

# /etc/courier exists only inside: an overlay on /etc, before the binds below
mkdir -p "$MA_DIR/etc-overlay/courier"
cat >"$MA_DIR/etc-overlay/courier/authdaemonrc" <<EOF
authmodulelist="authpam"
daemons=2
authdaemonvar=/run/courier/authdaemon
EOF
mount -t overlay overlay -o "lowerdir=$MA_DIR/etc-overlay:/etc" /etc || ma_die "cannot mount an overlay on /etc"
sv_pam_services "imap pop3"
sv_nss
ma_dev_log
mount -t tmpfs -o mode=0755 tmpfs /run || ma_die "cannot mount a tmpfs on /run"
mkdir -p /run/courier/authdaemon

# ---- the mailboxes: a Maildir with a marker under each canonical home ------------------------
maildir() { # CANONICAL UID
        _local=${1%@*} _dom=${1#*@}
        _m=$HOMES/$_dom/$_local/Maildir
        mkdir -p "$_m/cur" "$_m/new" "$_m/tmp"
        printf 'From: sender@elsewhere.net\r\nTo: %s\r\nSubject: marker for %s\r\n\r\nbody\r\n' "$1" "$1" \
                >"$_m/new/1000000000.M1P1.test"
        chown -R "$2:5000" "$HOMES/$_dom/$_local"
        chmod -R go-rwx "$HOMES/$_dom/$_local"
}
mkdir -p "$HOMES"
chmod 0755 "$HOMES" "$MA_DIR/home"
maildir jdoe@example.com 5001
maildir assistant@example.com 5002
maildir user@site1.org.com 5003
maildir user@site2.org.com 5004
maildir 'we*ird@example.com' 5005
maildir 'o"neil@example.com' 5006
maildir sales@example.com 5007
maildir imaponly@example.com 5008
chmod 0755 "$HOMES"/*
ls -d "$HOMES"/*/* >"$MA_DIR/homes.before"

# ---- Courier --------------------------------------------------------------------------
export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$SV_LIBS"
sv_bg "$MA_DIR/authdaemond.log" "$AUTHDAEMOND"
sv_wait_path /run/courier/authdaemon/socket "$MA_DIR/authdaemond.log"
ma_ports IMAP_PORT POP3_PORT
CB=$SV_ROOT/usr/lib/courier/courier
# as /etc/courier/imapd and pop3d would set them, with PLAIN offered
# without TLS (loopback, test only)
export IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE AUTH=PLAIN AUTH=LOGIN" IMAP_ULIMITD=131072 \
        IMAP_USELOCKS=1 MAILDIRPATH=Maildir POP3AUTH="PLAIN LOGIN"
sv_bg "$MA_DIR/courier.log" "$SV_ROOT/usr/sbin/couriertcpd" -address=127.0.0.1 -nodnslookup \
        -noidentlookup -maxprocs=20 "$IMAP_PORT" "$CB/imaplogin" "$SV_ROOT/usr/bin/imapd" Maildir
sv_bg "$MA_DIR/courier.log" "$SV_ROOT/usr/sbin/couriertcpd" -address=127.0.0.1 -nodnslookup \
        -noidentlookup -maxprocs=20 "$POP3_PORT" "$CB/courierpop3login" "$CB/courierpop3d" Maildir
sv_wait_port "$IMAP_PORT" "$MA_DIR/courier.log"
sv_wait_port "$POP3_PORT" "$MA_DIR/courier.log"
echo "courier: imap 127.0.0.1:$IMAP_PORT, pop3 127.0.0.1:$POP3_PORT, folder $MA_DIR"

MS_IMAP_PORT=$IMAP_PORT MS_POP3_PORT=$POP3_PORT MS_PASSWORDS=tests/integration/data/passwords \
        MS_SYSLOG=$MA_SYSLOG MS_COURIER_LOG=$MA_DIR/courier.log PYTHONPATH=tests/lib /usr/bin/python3 tests/servers/courier.py
rc=$?
# no home made for a login as typed
ls -d "$HOMES"/*/* >"$MA_DIR/homes.after"
cmp -s "$MA_DIR/homes.before" "$MA_DIR/homes.after" || {
        echo "FAIL: homes changed: $(diff "$MA_DIR/homes.before" "$MA_DIR/homes.after")"
        rc=1
}
if [ $rc -ne 0 ]; then
        echo "--- last lines of the syslog (authdaemond, pam_mailacct)"
        tail -n 20 "$MA_SYSLOG"
        echo "--- last lines of Courier's log"
        tail -n 20 "$MA_DIR/courier.log"
fi
exit $rc
