#!/bin/sh
# `mailacct passwd` and `mailacct test`: the secrets file is replaced
# atomically with its owner, mode, comments and other lines kept; `test` runs
# a login through a PAM stack (the service files of tests/pam/test_pam are
# rebuilt here in a temporary folder) and prints each step and PAM_USER.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"
M=$BUILD/mailacct
T=$(mktemp -d /tmp/mailacct-cli.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0 checks=0

ok() {
        checks=$((checks + 1))
        if [ "$1" -ne 0 ]; then
                fails=$((fails + 1))
                echo "FAIL: $2"
        fi
}

cp tests/integration/data/mailacct.conf "$T/mailacct.conf"
C=$T/mailacct.conf
S=$T/mailacct.secrets

# --- passwd ------------------------------------------------------------------

echo 'first-pw' | "$M" -c "$C" passwd jdoe@example.com >/dev/null
ok $? "passwd creates the secrets file"
[ "$(stat -c %a "$S")" = 600 ]
ok $? "a new secrets file is 0600 (got $(stat -c %a "$S" 2>/dev/null))"
grep -q '^jdoe@example.com:\$y\$' "$S"
ok $? "yescrypt by default"

printf '# admin comment\n\nuser@site1.org.com:$6$abc$def\n' >>"$S"
ino=$(stat -c %i "$S")
printf 'second-pw\n' | "$M" -c "$C" passwd JDOE@Example.COM >/dev/null
ok $? "passwd replaces an existing line (address folded)"
[ "$(grep -c '^jdoe@example.com:' "$S")" = 1 ]
ok $? "one line per address after a change"
[ "$(sed -n 1p "$S" | cut -d: -f1)" = jdoe@example.com ]
ok $? "the changed line keeps its place"
grep -qx '# admin comment' "$S" && grep -qx 'user@site1.org.com:$6$abc$def' "$S" && [ "$(sed -n 3p "$S")" = "" ]
ok $? "comments, blank lines and other entries are kept"
[ "$(stat -c %i "$S")" != "$ino" ]
ok $? "the file was replaced by rename, not rewritten in place"
[ -z "$(find "$T" -name 'mailacct.secrets.*')" ]
ok $? "no temporary file left behind"

printf 'x\n' | "$M" -c "$C" passwd --scheme sha512 assistant@example.com >/dev/null &&
        grep -q '^assistant@example.com:\$6\$' "$S"
ok $? "--scheme sha512"
printf 'x\n' | "$M" -c "$C" passwd --scheme bcrypt sales@example.com >/dev/null &&
        grep -q '^sales@example.com:\$2b\$' "$S"
ok $? "--scheme bcrypt"
printf 'x\n' | "$M" -c "$C" passwd --scheme md5 sales@example.com >/dev/null 2>&1
[ $? -eq 64 ]
ok $? "an unknown scheme is a usage error"

chmod 0640 "$S"
chown 0:65534 "$S" 2>/dev/null || chown "$(id -u):$(id -g)" "$S"
owner=$(stat -c %u:%g "$S")
printf 'third-pw\n' | "$M" -c "$C" passwd jdoe@example.com >/dev/null
[ "$(stat -c %a "$S")" = 640 ] && [ "$(stat -c %u:%g "$S")" = "$owner" ]
ok $? "mode and owner are kept ($(stat -c '%a %u:%g' "$S"), want 640 $owner)"

cp "$S" "$T/keep"
out=$(printf 'via-alias\n' | "$M" -c "$C" passwd 'EXAMPLE\jdoe')
[ $? -eq 0 ] && echo "$out" | grep -q 'password of jdoe@example.com set' &&
        [ "$(grep -c '^jdoe@example.com:' "$S")" = 1 ] && ! grep -q '^EXAMPLE' "$S"
ok $? "a login of the mailbox sets the mailbox's line: $out"
mv "$T/keep" "$S"
err=$(printf 'x\n' | "$M" -c "$C" passwd 'EXAMPLE\assistant\jdoe' 2>&1 >/dev/null)
[ $? -eq 1 ] && echo "$err" | grep -q 'names two accounts'
ok $? "the three-part form is refused: $err"
err=$(printf 'x\n' | "$M" -c "$C" passwd user 2>&1 >/dev/null)
[ $? -eq 1 ] && echo "$err" | grep -q 'ambiguous'
ok $? "an ambiguous alias is refused: $err"
err=$(printf 'x\n' | "$M" -c "$C" passwd partner@elsewhere.net 2>&1 >/dev/null)
[ $? -eq 1 ] && echo "$err" | grep -q 'not a mailbox of the configuration'
ok $? "a contact is refused: $err"
before=$(cat "$S")
printf '' | "$M" -c "$C" passwd jdoe@example.com >/dev/null 2>&1
[ $? -ne 0 ] && [ "$(cat "$S")" = "$before" ]
ok $? "no password on stdin changes nothing"
printf '\n' | "$M" -c "$C" passwd jdoe@example.com >/dev/null 2>&1
[ $? -ne 0 ] && [ "$(cat "$S")" = "$before" ]
ok $? "an empty password is refused"

cp "$S" "$T/keep"
printf 'garbage line without colon\n' >>"$S"
err=$(printf 'x\n' | "$M" -c "$C" passwd jdoe@example.com 2>&1 >/dev/null)
[ $? -ne 0 ] && echo "$err" | grep -q 'malformed line; fix it first'
ok $? "a malformed secrets file is not rewritten: $err"
mv "$T/keep" "$S"

# a password with every quoting character survives the round trip
printf '%s\n' 'a*b%c"d\e f' | "$M" -c "$C" passwd we*ird@example.com >/dev/null
ok $? "passwd with * % \" \\ and a space"

# --- test (PAM) -------------------------------------------------------------
chmod 0600 "$S"
printf 'jdoe-pw\n' | "$M" -c "$C" passwd jdoe@example.com >/dev/null
printf 'assistant-pw\n' | "$M" -c "$C" passwd assistant@example.com >/dev/null
mkdir "$T/pam.d"
for svc in dovecot imap pop3; do
        printf 'auth required %s/pam_mailacct.so config=%s\naccount required %s/pam_mailacct.so config=%s\n' \
                "$BUILD" "$C" "$BUILD" "$C" >"$T/pam.d/$svc"
done

out=$(printf 'jdoe-pw\n' | "$M" test --pam-dir "$T/pam.d" --service imap 'EXAMPLE\jdoe')
ok $? "mailacct test: a good login exits 0: $out"
echo "$out" | grep -q '^pam_authenticate: *Success' && echo "$out" | grep -q '^pam_acct_mgmt: *Success' &&
        echo "$out" | grep -q '^PAM_USER: *jdoe@example.com (changed by the stack)'
ok $? "mailacct test prints each step and the canonical PAM_USER: $out"

out=$(printf 'assistant-pw\n' | "$M" test --pam-dir "$T/pam.d" --service pop3 'EXAMPLE\assistant\jdoe')
echo "$out" | grep -q '^PAM_USER: *jdoe@example.com'
ok $? "mailacct test, delegate form: $out"

out=$(printf 'jdoe-pw\n' | "$M" test --pam-dir "$T/pam.d" --service imap user)
[ $? -eq 1 ] && echo "$out" | grep -q 'pam_authenticate: *User not known' && ! echo "$out" | grep -q pam_acct_mgmt &&
        echo "$out" | grep -qx 'result: *refused (ambiguous)'
ok $? "mailacct test: an ambiguous login fails before the account phase, with its reason: $out"

out=$(printf 'wrong\n' | "$M" test --pam-dir "$T/pam.d" --service imap jdoe)
[ $? -eq 1 ] && echo "$out" | grep -q 'pam_authenticate: *Authentication failure' &&
        echo "$out" | grep -qx 'result: *refused (wrong-password)'
ok $? "mailacct test: a wrong password, and the module's reason code: $out"
out=$(printf 'jdoe-pw\n' | "$M" test --pam-dir "$T/pam.d" --service imap partner)
[ $? -eq 1 ] && echo "$out" | grep -qx 'result: *refused (contact)'
ok $? "mailacct test: a contact: $out"

out=$(printf 'jdoe-pw\n' | "$M" test --pam-dir "$T/pam.d" --service dovecot jdoe)
[ $? -eq 1 ] && echo "$out" | grep -q 'pam_acct_mgmt: *Permission denied' &&
        echo "$out" | grep -qx 'result: *refused (service-denied)'
ok $? "mailacct test: the account phase refuses a service jdoe lacks: $out"
# a stack without pam_mailacct leaves no reason: the PAM error stands in
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$T/pam.d/deny"
out=$(printf 'x\n' | "$M" test --pam-dir "$T/pam.d" --service deny jdoe)
[ $? -eq 1 ] && echo "$out" | grep -qx 'result: *refused (Authentication failure)'
ok $? "mailacct test: a stack without the module: $out"
out=$(printf 'jdoe-pw\n' | "$M" test jdoe --service imap --pam-dir "$T/pam.d")
[ $? -eq 0 ]
ok $? "mailacct test: options after the login: $out"
"$M" test --help >"$T/help" 2>&1 && grep -q 'Usage: mailacct \[-c FILE\] test' "$T/help" && grep -q 'default imap' "$T/help"
ok $? "mailacct test --help: $(cat "$T/help")"

"$M" test >/dev/null 2>&1
[ $? -eq 64 ]
ok $? "mailacct test without a login is a usage error"

# the system stack (/etc/pam.d), default service dovecot, in a private mount namespace
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
        out=$(printf 'jdoe-pw\n' | unshare --mount --propagation private sh -c \
                'mount --bind "$1/pam.d" /etc/pam.d && exec "$2" test --service imap "EXAMPLE/jdoe"' sh "$T" "$M")
        echo "$out" | grep -q '^PAM_USER: *jdoe@example.com' && echo "$out" | grep -q '^service: *imap$'
        ok $? "mailacct test through /etc/pam.d: $out"
        out=$(printf 'jdoe-pw\n' | unshare --mount --propagation private sh -c \
                'mount --bind "$1/pam.d" /etc/pam.d && exec "$2" test jdoe' sh "$T" "$M")
        echo "$out" | grep -q '^service: *imap$' && echo "$out" | grep -qx 'result: *ok'
        ok $? "mailacct test: the default service is imap, the one the README sets up: $out"
else
        echo "note: /etc/pam.d cases skipped (need root for a mount namespace)"
fi

echo "$([ $fails -eq 0 ] && echo PASS || echo FAIL): $checks checks, $fails failed"
[ $fails -eq 0 ]
