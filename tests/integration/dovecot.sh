#!/bin/sh
# Integration suite: a private Dovecot on loopback (IMAP and POP3) whose PAM
# services use pam_mailacct.so, and real clients (curl, Python imaplib and
# poplib, raw IMAP with quoted strings and literals), for every case of
# issue 3. One Dovecot instance for the whole suite.
#
# Needs root: it runs in its own mount and pid namespaces (unshare), where a
# test pam.d is bind-mounted over /etc/pam.d and /dev gets a /dev/log of its
# own; nothing outside changes, and everything it starts ends with it.
# KEEP=1 keeps the temporary folder (logs, mail directories) for a look.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"

skip() {
        echo "SKIP: $*"
        exit 77
}

if [ "${1:-}" != --inside ]; then
        [ "$(id -u)" -eq 0 ] || skip "needs root (mount namespace, Dovecot on loopback)"
        for c in dovecot curl unshare; do
                command -v $c >/dev/null 2>&1 || skip "$c missing (apt-get install dovecot-imapd dovecot-pop3d curl)"
        done
        [ -x /usr/lib/dovecot/pop3 ] || skip "dovecot-pop3d missing"
        [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 missing"
        # ASan build: tests/lib/dovecot.sh preloads libasan into Dovecot.
        [ -f "$BUILD/pam_mailacct.so" ] && [ -x "$BUILD/mailacct" ] || { echo "FAIL: build first"; exit 1; }
        T=$(mktemp -d /tmp/mailacct-dovecot.XXXXXX) || exit 1
        unshare --mount --pid --fork --mount-proc --propagation private /bin/sh "$0" --inside "$T"
        rc=$?
        if [ -n "${KEEP:-}" ]; then
                echo "kept $T"
        else
                rm -rf --one-file-system "$T"
        fi
        exit $rc
fi

. tests/lib/dovecot.sh
ma_setup "$2"
ma_directory tests/integration/data/mailacct.conf tests/integration/data/passwords
ma_pam_services "imap pop3"
ma_dev_log
ma_dovecot_start
echo "dovecot: imap 127.0.0.1:$MA_IMAP_PORT, pop3 127.0.0.1:$MA_POP3_PORT, folder $MA_DIR"
MA_DIR=$MA_DIR MA_IMAP_PORT=$MA_IMAP_PORT MA_POP3_PORT=$MA_POP3_PORT MA_DOVECOT_LOG=$MA_DOVECOT_LOG \
        MA_SYSLOG=$MA_SYSLOG MA_PASSWORDS=tests/integration/data/passwords \
        /usr/bin/python3 tests/integration/clients.py
rc=$?
if [ $rc -ne 0 ]; then
        echo "--- last lines of Dovecot's log"
        tail -n 30 "$MA_DOVECOT_LOG"
        echo "--- last lines of the module's log"
        tail -n 30 "$MA_SYSLOG"
fi
exit $rc
