#!/bin/sh
# `make demo`: the bundled example directory (config/mailacct.conf.example)
# behind a private Dovecot on loopback, every login form sent through curl,
# and a table of where each one landed. Needs root for the Dovecot part (a
# mount namespace puts a demo pam.d over /etc/pam.d); without root it shows
# `mailacct check` and `mailacct explain` only. Leaves nothing running and
# removes its temporary folder (KEEP=1 keeps it).
set -u
cd "$(dirname "$0")/.." || exit 1
: "${BUILD:?BUILD not set (run through make demo)}"
M=$BUILD/mailacct
EXAMPLE=config/mailacct.conf.example

# Demo passwords, one per mailbox of the example: "demo-" + the local part.
demo_password() {
        printf 'demo-%s' "${1%@*}"
}

if [ "${1:-}" != --inside ]; then
        T=$(mktemp -d /tmp/mailacct-demo.XXXXXX) || exit 1
        trap '[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf --one-file-system "$T"' EXIT
        cp "$EXAMPLE" "$T/mailacct.conf"
        # every mailbox of the example gets its demo password, as an admin would
        addresses=$(sed -n 's/^ *{ *address = "\([^"]*\)".*/\1/p' "$EXAMPLE")
        for a in $addresses; do
                demo_password "$a" | "$M" -c "$T/mailacct.conf" passwd "$a" >/dev/null || exit 1
        done
        echo "== mailacct check (the example directory, secrets generated in $T)"
        "$M" -c "$T/mailacct.conf" check
        echo
        echo "== mailacct explain: three logins that Exchange got wrong"
        # stderr repeats each refusal's reason, which explain already prints
        "$M" -c "$T/mailacct.conf" explain 'EXAMPLE\assistant\jdoe' user 'jdoe@mail.example.com' 2>/dev/null
        if [ "$(id -u)" -ne 0 ]; then
                echo "== not root: the Dovecot part of the demo needs root (a private mount namespace"
                echo "   puts the demo PAM services over /etc/pam.d without changing the system)."
                echo "   Run 'sudo make demo' to see every login form go through Dovecot and pam_mailacct."
                exit 0
        fi
        for c in dovecot curl unshare; do
                command -v $c >/dev/null 2>&1 || {
                        echo "== $c is missing: apt-get install dovecot-imapd dovecot-pop3d curl"
                        exit 1
                }
        done
        unshare --mount --pid --fork --mount-proc --propagation private /bin/sh "$0" --inside "$T"
        exit $?
fi

. tests/lib/dovecot.sh
ma_setup "$2"
# The example config as shipped, next to the secrets generated above.
MA_CONF=$MA_DIR/mailacct.conf
ma_pam_services "imap pop3"
ma_dev_log
ma_dovecot_start
echo
echo "== Dovecot $(dovecot --version | cut -d' ' -f1) on 127.0.0.1 (imap $MA_IMAP_PORT, pop3 $MA_POP3_PORT); passdb = pam, PAM"
echo "   services imap and pop3 = pam_mailacct.so config=<demo folder>/mailacct.conf; curl logs in with each form:"
echo

bad=0 n=0
row() {
        printf '%-5s %-26s %-22s %-26s %s\n' "$1" "$2" "$3" "$4" "$5"
}
row PROTO "LOGIN TYPED" "PASSWORD OF" "SESSION USER" "MAILBOX PATH / RESULT"
row ----- -------------------------- ---------------------- -------------------------- ----------------------

# try PROTO LOGIN PASSWORD-OF EXPECT: EXPECT is the canonical mailbox, or
# "!reason-code" for a login that must be refused with that reason.
try() {
        proto=$1 login=$2 pwof=$3 expect=$4
        port=$MA_IMAP_PORT
        [ "$proto" = pop3 ] && port=$MA_POP3_PORT
        dlog=$(wc -c <"$MA_DOVECOT_LOG") slog=$(wc -c <"$MA_SYSLOG")
        curl -s --max-time 10 -u "$login:$(demo_password "$pwof")" "$proto://127.0.0.1:$port/" >/dev/null 2>&1
        rc=$?
        # the module's last decision for this login, and Dovecot's session user
        quoted=$(printf '%s' "$login" | sed 's/"/\\"/g')
        i=0
        while :; do
                decision=$(tail -c +$((slog + 1)) "$MA_SYSLOG" | grep -F "login \"$quoted\"" | grep -v ' ok login' |
                        tail -n 1 | sed 's/.*pam_mailacct([^)]*): \([a-z-]*\) .*/\1/')
                user=$(tail -c +$((dlog + 1)) "$MA_DOVECOT_LOG" | sed -n 's/.*Login: user=<\(.*\)>, method=.*/\1/p' | tail -n 1)
                [ -n "$decision" ] || [ -n "$user" ] || [ $i -ge 300 ] || { i=$((i + 1)); sleep 0.01; continue; }
                break
        done
        n=$((n + 1))
        if [ $rc -eq 0 ] && [ -n "$user" ]; then
                if [ -d "$MA_DIR/mail/$user/Maildir" ]; then path="mail/$user/"; else path="(no mail directory!)"; fi
                result="$path"
                [ "$user" = "$expect" ] && [ -d "$MA_DIR/mail/$user/Maildir" ] || { result="$result  UNEXPECTED (want $expect)"; bad=$((bad + 1)); }
        else
                user=-
                result="refused: ${decision:-?}"
                [ "!$decision" = "$expect" ] || { result="$result  UNEXPECTED (want $expect)"; bad=$((bad + 1)); }
        fi
        row "$proto" "$login" "$pwof" "$user" "$result"
}

J=jdoe@example.com
for l in jdoe JDOE john.doe 'EXAMPLE\jdoe' EXAMPLE/jdoe jdoe@example.com john@example.com jdoe@example.org; do
        try imap "$l" $J $J
done
try pop3 'EXAMPLE\jdoe' $J $J
try imap 'EXAMPLE\assistant\jdoe' assistant@example.com $J
try imap 'EXAMPLE\assistant\jdoe' $J '!wrong-password'
try imap 'EXAMPLE\sales\jdoe' sales@example.com '!not-delegated'
try imap 'SITE1\user' user@site1.org.com user@site1.org.com
try imap user@site2.org.com user@site2.org.com user@site2.org.com
try imap user user@site1.org.com '!ambiguous'
try imap sales sales@example.com sales@example.com
try imap partner sales@example.com '!contact'
try imap 'we*ird' 'we*ird@example.com' 'we*ird@example.com'
try imap '100%' 'we*ird@example.com' 'we*ird@example.com'
try imap 'we*' 'we*ird@example.com' '!not-found'
try imap jdoe@mail.example.com $J '!domain-not-hosted'
try imap imaponly imaponly@example.com imaponly@example.com
try pop3 imaponly imaponly@example.com '!service-denied'
try imap former former@example.com '!disabled'

echo
echo "== the module's log for the refused logins (pam_syslog, authpriv):"
grep -v -e ' ok login' -e ' ok: ' "$MA_SYSLOG" | sed 's/^<[0-9]*>[A-Z][a-z]* [ 0-9]* [0-9:]* //' | sort -u | sed 's/^/   /'
echo
ma_stop
if [ $bad -eq 0 ]; then
        echo "== all $n logins landed as expected; Dovecot stopped."
else
        echo "== $bad of $n logins did NOT land as expected; Dovecot stopped."
fi
[ $bad -eq 0 ]
