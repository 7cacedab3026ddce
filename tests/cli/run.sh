#!/bin/bash
# CLI tests: runs $BUILD/mailacct against the directories in tests/data and
# checks stdout, stderr and the exit status of every command. The expected
# answers come from DESIGN.md and the issue, not from the program's output.
# Ends with "cli: N passed, N failed"; exits 1 when anything failed.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
MAILACCT=$BUILD/mailacct
[ -x "$MAILACCT" ] || { echo "cli: $MAILACCT not built" >&2; exit 1; }

# A private copy of the data: git does not keep modes, and the tool refuses a
# configuration that others may write and warns about readable secrets.
T=$(mktemp -d "${TMPDIR:-/tmp}/mailacct-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
# others (the unprivileged checks below) must reach the files in it
chmod 0755 "$T"
cp "$top"/tests/data/* "$T"/
chmod 0644 "$T"/*.conf
chmod 0600 "$T"/*.secrets
D=$T

passed=0 failed=0 name="" bad=""
OUT=$T/.out ERR=$T/.err

# run ARGS...: runs mailacct with the given environment (unset MAILACCT_CONF
# unless the test sets it through env).
run() {
        "$@" >"$OUT" 2>"$ERR"
        rc=$?
}
m() { run env -u MAILACCT_CONF "$MAILACCT" "$@"; }

begin() { name=$1; bad=""; }
no() { bad="$bad
    $*"; }
end() {
        if [ -z "$bad" ]; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1))
                echo "FAIL: $name:$bad"
                echo "    --- stdout:"; sed 's/^/    | /' "$OUT"
                echo "    --- stderr:"; sed 's/^/    | /' "$ERR"
        fi
}

rc_is() { [ "$rc" -eq "$1" ] || no "exit status $rc, expected $1"; }
out_is() { [ "$(cat "$OUT")" = "$1" ] || no "stdout is not: $1"; }
err_is() { [ "$(cat "$ERR")" = "$1" ] || no "stderr is not: $1"; }
out_empty() { [ ! -s "$OUT" ] || no "stdout is not empty"; }
err_empty() { [ ! -s "$ERR" ] || no "stderr is not empty"; }
out_has() { grep -qF -- "$1" "$OUT" || no "stdout lacks: $1"; }
err_has() { grep -qF -- "$1" "$ERR" || no "stderr lacks: $1"; }
out_lacks() { ! grep -qF -- "$1" "$OUT" || no "stdout has: $1"; }
err_lacks() { ! grep -qF -- "$1" "$ERR" || no "stderr has: $1"; }
err_lines() { [ "$(wc -l <"$ERR")" -eq "$1" ] || no "stderr has $(wc -l <"$ERR") lines, expected $1"; }
# every stdout line but the last (the summary) is FILE:LINE: sev: text or FILE: sev: text
check_format() {
        local body
        body=$(sed '$d' "$OUT")
        [ -n "$body" ] || { no "check printed no finding"; return; }
        if printf '%s\n' "$body" | grep -qvE '^[^: ]+(:[0-9]+)?: (error|warning): .+'; then
                no "a finding is not 'FILE:LINE: error|warning: text'"
        fi
}

# ---------------------------------------------------------------- usage
begin "--help"; m --help
rc_is 0; out_has "Usage: mailacct"; out_has "resolve"; out_has "check"; out_has "MAILACCT_CONF"; err_empty; end
begin "-h"; m -h
rc_is 0; out_has "Usage: mailacct"; err_empty; end
begin "help command"; m help
rc_is 0; out_has "Usage: mailacct"; end
begin "--version"; m --version
rc_is 0; err_empty
grep -qE '^mailacct [0-9]+\.[0-9]+' "$OUT" || no "no 'mailacct VERSION' line"; end
begin "-V"; m -V
rc_is 0; grep -qE '^mailacct [0-9]' "$OUT" || no "no version"; end
begin "no command is a usage error"; m -c "$D/seeds.conf"
rc_is 64; out_empty; err_has "no command"; end
begin "unknown command is a usage error"; m -c "$D/seeds.conf" frobnicate
rc_is 64; out_empty; err_has "frobnicate"; end
begin "unknown option is a usage error"; m --bogus resolve jdoe
rc_is 64; out_empty; end
begin "-c without a file is a usage error"; m -c
rc_is 64; out_empty; end
begin "resolve without a login is a usage error"; m -c "$D/seeds.conf" resolve
rc_is 64; out_empty; err_has "Usage"; end
begin "resolve with an unknown option is a usage error"; m -c "$D/seeds.conf" resolve --bogus jdoe
rc_is 64; out_empty; end
begin "check takes no argument"; m -c "$D/seeds.conf" check extra
rc_is 64; out_empty; end
begin "usage is checked before the configuration"; m -c "$D/missing.conf" resolve
rc_is 64; end

# ---------------------------------------------------------------- resolve: every form
begin "resolve: every form of one mailbox"
m -c "$D/seeds.conf" resolve jdoe 'EXAMPLE\jdoe' 'EXAMPLE/jdoe' jdoe@example.com john@example.com \
        jdoe@EXAMPLE.ORG 'EXAMPLE\assistant\jdoe' 'example.com\john.doe' JDoe
rc_is 0; err_empty
out_is "$(for i in $(seq 9); do echo jdoe@example.com; done)"; end
begin "resolve: one line per login, in order"
m -c "$D/seeds.conf" resolve assistant 'EXAMPLE\bigboss' sales
rc_is 0; err_empty; out_is "assistant@example.com
boss@example.com
sales@example.com"; end

# ---------------------------------------------------------------- resolve: every reason
begin "resolve: a failure goes to stderr, the rest still resolves"
m -c "$D/seeds.conf" resolve jdoe nobody sales
rc_is 1; out_is "jdoe@example.com
sales@example.com"; err_lines 1
grep -qE '^mailacct: nobody: not-found: .*nobody' "$ERR" || no "not 'mailacct: LOGIN: REASON: message'"; end
begin "reason invalid-login: empty"; m -c "$D/seeds.conf" resolve ''
rc_is 1; out_empty; err_has "mailacct: : invalid-login: empty"; end
begin "reason invalid-login: white space"; m -c "$D/seeds.conf" resolve 'jdoe '
rc_is 1; out_empty; err_has "mailacct: jdoe : invalid-login: "; err_has "white space"; end
begin "reason invalid-login: mixed forms"; m -c "$D/seeds.conf" resolve 'EXAMPLE\jdoe@example.com'
rc_is 1; out_empty; err_has "invalid-login: mixed"; end
begin "reason invalid-login: control character"; m -c "$D/seeds.conf" resolve "$(printf 'jd\001oe')"
rc_is 1; out_empty; err_has "invalid-login: control"; end
begin "reason invalid-login: 321 bytes"; m -c "$D/seeds.conf" resolve "$(printf 'a%.0s' $(seq 321))"
rc_is 1; err_has "invalid-login: longer than 320"; end
begin "320 bytes is a login"; m -c "$D/seeds.conf" resolve "$(printf 'a%.0s' $(seq 320))"
rc_is 1; err_has ": not-found: "; end
begin "reason domain-not-hosted (Q230373)"; m -c "$D/seeds.conf" resolve jdoe@mail1.example.com
rc_is 1; out_empty
err_has "mailacct: jdoe@mail1.example.com: domain-not-hosted: "; err_has "jdoe@example.com"; end
begin "reason domain-not-hosted: NetBIOS name after '@'"; m -c "$D/seeds.conf" resolve jdoe@EXAMPLE
rc_is 1; err_has "domain-not-hosted"; err_has 'EXAMPLE\jdoe'; end
begin "reason not-found"; m -c "$D/seeds.conf" resolve 'EXAMPLE\ghost'
rc_is 1; err_has 'mailacct: EXAMPLE\ghost: not-found: '; err_has "ghost"; err_has "example.com"; end
begin "reason ambiguous (Q198143)"; m -c "$D/seeds.conf" resolve user
rc_is 1; out_empty; err_lines 1
err_has "mailacct: user: ambiguous: "; err_has "user@site1.org.com"; err_has "user@site2.org.com"
err_has 'SITE1\user'; err_has 'SITE2\user'; end
begin "Q198143: the unique forms resolve"; m -c "$D/seeds.conf" resolve 'SITE1\user' user@site2.org.com 'SITE2/user'
rc_is 0; out_is "user@site1.org.com
user@site2.org.com
user@site2.org.com"; end
begin "reason contact (Q198704)"; m -c "$D/seeds.conf" resolve partner
rc_is 1; out_empty; err_has "mailacct: partner: contact: "; err_has "partner@elsewhere.net"; end
begin "reason not-delegated"; m -c "$D/seeds.conf" resolve 'EXAMPLE\intern\jdoe'
rc_is 1; out_empty; err_has 'mailacct: EXAMPLE\intern\jdoe: not-delegated: '; err_has "intern@example.com"
err_has "jdoe@example.com"; end
begin "KB932605: '*' and '%' are plain characters"; m -c "$D/seeds.conf" resolve 'we*ird' '100%' 'we*ird@example.com'
rc_is 0; out_is "we*ird@example.com
we*ird@example.com
we*ird@example.com"; end
begin "KB932605: 'we*' matches nothing"; m -c "$D/seeds.conf" resolve 'we*' '*' '%'
rc_is 1; out_empty; err_lines 3; err_has "mailacct: we*: not-found"; err_has "mailacct: *: not-found"
err_has "mailacct: %: not-found"; end

# ---------------------------------------------------------------- explain
begin "explain: the three-part form"; m -c "$D/seeds.conf" explain 'EXAMPLE\assistant\jdoe'
rc_is 0; err_empty
out_has 'login:      EXAMPLE\assistant\jdoe'; out_has 'form:       DOMAIN\account\mailbox (rule 3)'
out_has "domain:     example.com"; out_has "candidates: jdoe@example.com"
out_has "mailbox:    jdoe@example.com"; out_has "principal:  assistant@example.com"
out_has "canonical:  jdoe@example.com"; out_has "why:"; out_has "delegate"; end
begin "resolve --explain: ambiguous"; m -c "$D/seeds.conf" resolve --explain user
rc_is 1; out_has "form:       bare alias (rule 4)"; out_has "policy:     bare_alias = prefer-default-domain"
out_has "candidates: user@site1.org.com, user@site2.org.com"; out_has "result:     ambiguous"
out_has 'SITE1\user'; err_has "mailacct: user: ambiguous"; end
begin "explain: the address form and several logins"; m -c "$D/seeds.conf" explain john@example.org 'EXAMPLE\bigboss'
rc_is 0; out_has "form:       address (rule 1)"; out_has "form:       DOMAIN\\account (rule 2)"
out_has "principal:  boss@example.com"; out_has "NT account"; end
begin "explain: a contact"; m -c "$D/seeds.conf" explain partner
rc_is 1; out_has "result:     contact"; out_has "candidates: none"; end

# ---------------------------------------------------------------- check
begin "check: clean directory exits 0"; m -c "$D/clean.conf" check
rc_is 0; err_empty; out_has "ok: 1 domains, 1 mailboxes"; end
begin "check: warnings only exit 1"; m -c "$D/warnings.conf" check
rc_is 1; err_empty; check_format
out_has "$D/warnings.conf:10: warning: alias \"user\" is shared"
out_has 'user@site1.org.com (line 10) is reached by user, SITE1\user, user@site1.org.com'
out_has 'user@site2.org.com (line 11) is reached by SITE2\user, user@site2.org.com'
out_has "$D/warnings.conf:17: warning: contact alias \"sales\""
out_has "$D/warnings.conf:12: warning: NT account \"jsmith\""
out_has "$D/warnings.conf:14: warning: mailbox sales@site1.org.com has no entry in the secrets file"
out_has "0 errors, 4 warnings"; end
# a finding that names another entry says which file that entry is in when it
# is not the finding's own (an include)
mkdir -p "$T/inc"
cat >"$T/inc/main.conf" <<'EOF'
index = "inc.idx";
default_domain = "example.com";
defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; };
domains = ( { name = "example.com"; } );
@include "more.conf"
contacts = ( { alias = "x"; address = "x@else.org"; } );
EOF
cat >"$T/inc/more.conf" <<'EOF'
mailboxes = ( { address = "a@example.com"; aliases = [ "x" ]; },
              { address = "b@example.com"; aliases = [ "y" ]; }, { address = "c@example.com"; aliases = [ "y" ]; } );
EOF
chmod 0644 "$T/inc/"*.conf
begin "check: a finding names the other entry's file when it is an include's"; m -c "$T/inc/main.conf" check
out_has "main.conf:6: warning: contact alias \"x\" is also an alias of mailbox a@example.com (more.conf:1)"
out_has "more.conf:2: warning: alias \"y\" is shared by 2 mailboxes of example.com: b@example.com (line 2), c@example.com (line 2)"
end
# a secrets file others may read: pam_mailacct refuses every login, so it is
# an error, not a warning (the security issue)
chmod 0644 "$D/warnings.secrets"
begin "check: a secrets file others may read is an error"; m -c "$D/warnings.conf" check
rc_is 2; check_format; out_has "$D/warnings.secrets: error: refused: mode 0644"; out_has "others read password hashes"
out_has "1 errors, 3 warnings"; end
chmod 0600 "$D/warnings.secrets"
begin "check: errors exit 2 with file and line"; m -c "$D/errors.conf" check
rc_is 2; err_empty; check_format
out_has "$D/errors.conf:2: error: default_domain \"mail1.example.com\""
out_has 'set default_domain = "example.com"'
out_has "$D/errors.conf:3: error: unknown key \"colour\""
out_has "$D/errors.conf:4: error: \"case_sensitive\" must be true or false"
out_has "$D/errors.conf:8: error: delegate \"EXAMPLE\\nobody\""
out_has "$D/errors.conf:9: error: duplicate address \"JDOE@example.com\""
out_has "$D/errors.conf:10: error: \"uid\" = 4294967296 is out of range"
out_has "$D/errors.conf:11: error: home \"/var/mail/%x\""
out_has "7 errors, 0 warnings"; end
begin "check: syntax error exits 2"; m -c "$D/broken.conf" check
rc_is 2; out_has "$D/broken.conf:4: error: "; check_format; end
begin "check: warnings beside the Q198143 alias in the seeds"; m -c "$D/seeds.conf" check
rc_is 1; check_format; out_has "$D/seeds.conf:23: warning: alias \"user\""; out_has "0 errors, 1 warnings"; end
begin "check: missing file exits 2"; m -c "$D/missing.conf" check
rc_is 2; out_has "$D/missing.conf: error: cannot read"; end

# the findings of the administrator's day (issue 11), on copies of clean.conf
ck=$T/ck
mkdir -m 0755 "$ck"
ck_reset() {
        rm -f "$ck"/*
        cp "$D/clean.conf" "$D/clean.secrets" "$ck"/
        chmod 0644 "$ck/clean.conf"
        chmod 0600 "$ck/clean.secrets"
}
ck_reset
sed -i 's|^mailboxes = (|mailboxes = (\n  { address = "bob@example.net"; aliases = [ "ann" ]; },|' "$ck/clean.conf"
grep '^ann@' "$D/clean.secrets" | sed 's/^ann@/bob@/' >>"$ck/clean.secrets"
begin "check: an alias two mailboxes of one domain share is a warning"; m -c "$ck/clean.conf" check
rc_is 1; check_format; out_has 'alias "ann" is shared by 2 mailboxes of example.net'
out_has "0 errors, 1 warnings"; end
ck_reset
printf 'gone@example.net:$6$abc$def\n' >>"$ck/clean.secrets"
begin "check: a secrets line naming no mailbox is a warning"; m -c "$ck/clean.conf" check
rc_is 1; out_has "$ck/clean.secrets:3: warning: gone@example.net is no mailbox's primary address"; end
ck_reset
sed -i 's|^ann@example.net:.*|ann@example.net:$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$YWJj|' "$ck/clean.secrets"
begin "check: a hash this system's libcrypt cannot verify is an error"; m -c "$ck/clean.conf" check
rc_is 2; out_has "$ck/clean.secrets:2: error: the hash of ann@example.net"; out_has "crypt(3) can verify"
out_has "mailacct passwd ann@example.net"; end
ck_reset
mv "$ck/clean.secrets" "$ck/real.secrets"
ln -s "$ck/real.secrets" "$ck/clean.secrets"
begin "check: a symbolic link for the secrets file is an error"; m -c "$ck/clean.conf" check
rc_is 2; out_has "$ck/clean.secrets: error: refused: a symbolic link"; out_has "refuses every login"; end
ck_reset
if [ "$(id -u)" -eq 0 ]; then
        begin "check as a user who cannot read the secrets file: says so plainly"
        . "$top/tests/lib/public.sh"
        tl_public "$T/pub2"
        run setpriv --reuid=65534 --regid=65534 --clear-groups env -u MAILACCT_CONF "$TL_PUB/mailacct" \
                -c "$ck/clean.conf" check
        rc_is 1; out_has "$ck/clean.secrets: warning: cannot read the secrets file: permission denied"
        out_has "(run as root)"; out_has "0 errors, 1 warnings"; end
fi

# ---------------------------------------------------------------- unusable configurations
begin "resolve: syntax error exits 2, nothing on stdout"; m -c "$D/broken.conf" resolve jdoe
rc_is 2; out_empty; err_has "$D/broken.conf:4: error: "; err_has "unusable"; end
begin "resolve: errors exit 2, nothing on stdout"; m -c "$D/errors.conf" resolve jdoe
rc_is 2; out_empty; err_has "$D/errors.conf:3: error: unknown key"; end
begin "resolve: missing file exits 2"; m -c "$D/missing.conf" resolve jdoe
rc_is 2; out_empty; err_has "cannot read"; end
begin "resolve: a folder exits 2"; m -c "$D" resolve jdoe
rc_is 2; out_empty; end
cp "$D/seeds.conf" "$D/writable.conf"; chmod 0666 "$D/writable.conf"
begin "resolve: a configuration others may write is refused"; m -c "$D/writable.conf" resolve jdoe
rc_is 2; out_empty; err_has "0666"; end
cp "$D/seeds.conf" "$D/unreadable.conf"; chmod 0000 "$D/unreadable.conf"
if [ "$(id -u)" -ne 0 ]; then
        begin "resolve: unreadable file exits 2"; m -c "$D/unreadable.conf" resolve jdoe
        rc_is 2; out_empty; err_has "Permission denied"; end
else
        begin "resolve: unreadable file exits 2 (as nobody)"
        # nobody runs a copy: the checkout may be in a folder others cannot enter
        . "$top/tests/lib/public.sh"
        tl_public "$T/pub"
        run setpriv --reuid=65534 --regid=65534 --clear-groups env -u MAILACCT_CONF "$TL_PUB/mailacct" \
                -c "$D/unreadable.conf" resolve jdoe
        if [ "$rc" -eq 127 ] || grep -q "setpriv" "$ERR"; then
                no "setpriv failed"
        else
                rc_is 2; out_empty; err_has "Permission denied"
        fi
        end
fi
begin "resolve: warnings do not make a configuration unusable"; m -c "$D/warnings.conf" resolve user 'SITE2\user'
rc_is 0; err_empty; out_is "user@site1.org.com
user@site2.org.com"; end

# ---------------------------------------------------------------- -c, $MAILACCT_CONF, default
begin "\$MAILACCT_CONF names the configuration"
run env MAILACCT_CONF="$D/seeds.conf" "$MAILACCT" resolve jdoe
rc_is 0; out_is "jdoe@example.com"; end
begin "-c wins over \$MAILACCT_CONF"
run env MAILACCT_CONF="$D/broken.conf" "$MAILACCT" -c "$D/clean.conf" resolve ann
rc_is 0; out_is "ann@example.net"; end
begin "--config wins over \$MAILACCT_CONF"
run env MAILACCT_CONF="$D/clean.conf" "$MAILACCT" --config "$D/seeds.conf" resolve jdoe
rc_is 0; out_is "jdoe@example.com"; end
begin "check reads \$MAILACCT_CONF too"
run env MAILACCT_CONF="$D/errors.conf" "$MAILACCT" check
rc_is 2; out_has "$D/errors.conf:3: error"; end
if [ ! -e /etc/mailacct.conf ]; then
        begin "without -c or \$MAILACCT_CONF: /etc/mailacct.conf"
        m resolve jdoe
        rc_is 2; out_empty; err_has "/etc/mailacct.conf"; end
        begin "an empty \$MAILACCT_CONF means the default"
        run env MAILACCT_CONF= "$MAILACCT" resolve jdoe
        rc_is 2; err_has "/etc/mailacct.conf"; end
else
        echo "note: /etc/mailacct.conf exists; the default-path tests are skipped"
fi

# ---------------------------------------------------------------- directories not seen before
begin "unique + case_sensitive + canonical local: answers"
m -c "$D/unique.conf" resolve al Al 'CORP\alice' 'CORP\Alice' Alice@CORP.EXAMPLE 'CORP\shared' 'lab.test\shared'
rc_is 0; err_empty; out_is "Alice
carol
Alice
Alice
Alice
bob
carol"; end
begin "unique: the same alias in two domains is ambiguous, default domain or not"
m -c "$D/unique.conf" resolve shared
rc_is 1; out_empty; err_has "ambiguous"; err_has "bob@corp.test"; err_has "carol@lab.test"; err_has 'CORP\shared'; end
begin "case_sensitive: other case is another name"; m -c "$D/unique.conf" resolve AL alice alice@corp.test
rc_is 1; out_empty; err_lines 3; err_has "mailacct: AL: not-found"; err_has "mailacct: alice: not-found"
err_has "mailacct: alice@corp.test: not-found"; end
begin "unique: not-delegated with case-sensitive names"; m -c "$D/unique.conf" resolve 'CORP\alice\Al'
rc_is 1; err_has "not-delegated"; end
begin "netbios + default-domain: answers"
m -c "$D/netbios.conf" resolve dave dave@hq.test 'HQ\d.smith' 'HQ\dave' erin 'BRANCH\frank' 'legacy\fj' \
        gina@nonb.test 'nonb.test\gina' hal9000@branch.test
rc_is 0; err_empty; out_is 'HQ\d.smith
HQ\d.smith
HQ\d.smith
HQ\d.smith
HQ\erin
LEGACY\fj
LEGACY\fj
gina@nonb.test
gina@nonb.test
BRANCH\hal'; end
begin "default-domain: an alias outside the default domain is not found, and says where it is"
m -c "$D/netbios.conf" resolve frank gina
rc_is 1; out_empty; err_has "mailacct: frank: not-found"; err_has "frank@branch.test"
err_has "mailacct: gina: not-found"; err_has "gina@nonb.test"; end
begin "default-domain: a mailbox elsewhere is not hidden behind a contact of its alias"
m -c "$D/netbios.conf" resolve hal9000
rc_is 1; err_has "mailacct: hal9000: not-found"; err_has "hal@branch.test"; err_lacks "contact"; end
begin "contact address"; m -c "$D/netbios.conf" resolve hal@space.test
rc_is 1; err_has "mailacct: hal@space.test: contact:"; end
begin "check of the netbios directory: one warning"; m -c "$D/netbios.conf" check
rc_is 1; check_format; out_has "$D/netbios.conf:20: warning: contact alias \"hal9000\""; out_has "0 errors, 1 warnings"; end

# ---------------------------------------------------------------- options after the command, --help
begin "-c after the command"; m check -c "$D/clean.conf"
rc_is 0; out_has "$D/clean.conf: ok"; end
begin "--config=FILE after the operands"; m resolve jdoe --config="$D/seeds.conf"
rc_is 0; out_is "jdoe@example.com"; end
begin "-c after the command wins over one before it"; m -c "$D/broken.conf" resolve -c "$D/seeds.conf" jdoe
rc_is 0; out_is "jdoe@example.com"; end
begin "-- ends the options: a login that starts with '-'"; m -c "$D/seeds.conf" resolve -- -jdoe
rc_is 1; err_has "mailacct: -jdoe: "; end
for cmd in resolve explain show list check compile passwd test; do
        begin "$cmd --help"; m "$cmd" --help
        rc_is 0; err_empty; out_has "Usage: mailacct [-c FILE] $cmd "; out_has "--config"
        [ "$(grep -c '^Usage:' "$OUT")" -eq 1 ] || no "not one usage line"; end
        begin "help $cmd"; m help "$cmd"
        rc_is 0; out_has "Usage: mailacct [-c FILE] $cmd "; end
        begin "$cmd with an unknown option"; m "$cmd" --bogus
        rc_is 64; out_empty; err_has "Usage: mailacct [-c FILE] $cmd "; err_has "mailacct $cmd --help"; end
done
begin "help --help"; m help --help
rc_is 0; out_has "Usage: mailacct"; end
begin "help of an unknown command"; m help frobnicate
rc_is 64; out_empty; err_has "frobnicate"; end
begin "compile's usage names --if-exists"; m compile --help
out_has "Usage: mailacct [-c FILE] compile [--output PATH] [--if-exists]"; end
begin "explain --help is explain's own"; m explain --help
rc_is 0; out_lacks "[--explain]"; end
begin "the top help lists every command"; m --help
for cmd in resolve explain show list check compile passwd test; do out_has "  $cmd "; done
out_has "70 internal error"; end

# ---------------------------------------------------------------- --json
# json FILE EXPR: EXPR is a Python expression over the document d; fails
# when the output is no JSON or the expression is false
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$OUT" "$1" ||
        no "json: $1"; }
begin "resolve --json"; m -c "$D/seeds.conf" resolve --json jdoe 'EXAMPLE\assistant\jdoe' user
rc_is 1; err_empty
json 'len(d) == 3 and [x["result"] for x in d] == ["ok", "ok", "ambiguous"]'
json 'd[1]["canonical"] == "jdoe@example.com" and d[1]["principal"] == "assistant@example.com"'
json 'd[2]["canonical"] is None and "user@site1.org.com" in d[2]["message"]'; end
begin "explain --json"; m -c "$D/seeds.conf" explain --json 'EXAMPLE/jdoe'
rc_is 0
json 'd[0]["form"] == "DOMAIN\\account" and d[0]["rule"] == "2" and d[0]["domain"] == "example.com"'
json 'd[0]["origin"]["line"] == 17 and d[0]["origin"]["file"].endswith("seeds.conf")'
json 'd[0]["policy"]["bare_alias"] == "prefer-default-domain" and d[0]["source"] == "configuration"'; end
begin "check --json: the findings of the text form"; m -c "$D/warnings.conf" check --json
rc_is 1; err_empty
json 'd["errors"] == 0 and d["warnings"] == 4 and len(d["findings"]) == 4'
json 'all(f["severity"] == "warning" for f in d["findings"])'
json 'any(f["line"] == 10 and "alias \"user\" is shared" in f["message"] for f in d["findings"])'
json 'isinstance(d["caches"], list)'; end
begin "check --json: errors"; m -c "$D/errors.conf" check --json
rc_is 2; json 'd["errors"] == 7 and "mailboxes" not in d'; end
begin "check --json: clean"; m -c "$D/clean.conf" check --json
rc_is 0; json 'd["errors"] == 0 and d["findings"] == [] and d["mailboxes"] == 1 and d["domains"] == 1'; end
begin "--json escapes what it prints"; m -c "$D/seeds.conf" resolve --json "$(printf 'a"b\\c\001')" "$(printf '\377x')"
rc_is 1; json 'd[0]["login"] == "a\"b\\c\x01" and d[1]["login"] == "\ufffdx"'; end

# ---------------------------------------------------------------- list, show
begin "list: every mailbox, one line each"; m -c "$D/seeds.conf" list
rc_is 0; err_empty; [ "$(wc -l <"$OUT")" -eq 8 ] || no "not 8 lines"
out_has "$(printf 'jdoe@example.com\t5001\tenabled\tJohn Doe')"; out_has "$(printf 'sales@example.com\t5008\tenabled\t')"
out_lacks "partner"; end
begin "list --domain by NetBIOS name, alias or DNS name"
for dom in SITE1 site1.org.com; do
        m -c "$D/seeds.conf" list --domain "$dom"
        rc_is 0; out_is "$(printf 'user@site1.org.com\t5005\tenabled\t')"
done
m -c "$D/seeds.conf" list -d example.org
rc_is 0; [ "$(wc -l <"$OUT")" -eq 6 ] || no "example.org: not 6 mailboxes"; out_lacks "site"; end
begin "list --domain of a domain not hosted"; m -c "$D/seeds.conf" list --domain nowhere.test
rc_is 1; out_empty; err_has "nowhere.test"; end
begin "list --contacts"; m -c "$D/seeds.conf" list --contacts
rc_is 0; out_is "$(printf 'partner\tpartner@elsewhere.net')"; end
begin "list --json"; m -c "$D/seeds.conf" list --json
rc_is 0; json 'len(d) == 8 and d[0] == {"address": "jdoe@example.com", "uid": 5001, "gid": 5000, "enabled": True, "name": "John Doe"}'; end
begin "show: every login that reaches the mailbox, checked by the resolver"
m -c "$D/seeds.conf" show 'example.com\john.doe'
rc_is 0; out_has "mailbox:    jdoe@example.com"; out_has "origin:     $D/seeds.conf:17"
out_has 'nt account: EXAMPLE\jdoe'; out_has "services:   imap, pop3"; out_has "delegates:  assistant@example.com"
out_has "password:   yes (sha512)"; out_has "passwd:     jdoe@example.com:x:5001:5000:John Doe:/var/mail/example.com/jdoe:/usr/sbin/nologin"
for form in jdoe@example.com jdoe@example.org john@example.org 'EXAMPLE\jdoe' jdoe john.doe; do
        grep -qE "^  $(printf '%s' "$form" | sed 's/[\\.]/\\&/g') +opens it$" "$OUT" || no "no '$form opens it'"
done
grep -qE '^  EXAMPLE\\assistant\\jdoe +opens it \(password of assistant@example.com\)$' "$OUT" ||
        no "the delegate form"; end
begin "show: an alias another domain shares is shown with its reason"
m -c "$D/seeds.conf" show user@site1.org.com
rc_is 0; grep -qE '^  user +ambiguous$' "$OUT" || no "user: ambiguous"
grep -qE '^  SITE1\\user +opens it$' "$OUT" || no 'SITE1\user'; out_has "services:   all"; end
begin "show --json"; m -c "$D/seeds.conf" show --json we*ird
rc_is 0; json 'd["mailbox"] == "we*ird@example.com" and d["aliases"] == ["we*ird", "100%"] and d["password"] == "yes"'
json '{"login": "100%", "result": "ok", "mailbox": "we*ird@example.com", "principal": "we*ird@example.com"} in d["logins"]'
json 'd["services"] is None and d["passwd"]["uid"] == 5007'; end
begin "show: a login that resolves to nothing"; m -c "$D/seeds.conf" show partner
rc_is 1; out_empty; err_has "mailacct: partner: contact: "; end
begin "show: a mailbox without a password"; m -c "$D/warnings.conf" show sales@site1.org.com
rc_is 0; out_has "password:   no"; end

begin "explain names a stale index once, with why"
st=$T/stale
mkdir -m 0755 "$st"
cp "$D/clean.conf" "$D/clean.secrets" "$st"/
chmod 0644 "$st/clean.conf"; chmod 0600 "$st/clean.secrets"
printf 'index = "%s/clean.idx";\n' "$st" >>"$st/clean.conf"
m -c "$st/clean.conf" compile
sleep 1.1; printf '# edited\n' >>"$st/clean.conf"
m -c "$st/clean.conf" explain ann
rc_is 0; out_has "index:      $st/clean.idx (stale: compiled "; out_has "$st/clean.conf changed since)"
[ "$(grep -c "$st/clean.idx" "$OUT")" -eq 1 ] || no "the index path is named more than once"; end

# ---------------------------------------------------------------- enumerate
sed 's/^case_sensitive = false;/case_sensitive = false;\nenumerate = false;/' "$D/seeds.conf" >"$D/noenum.conf"
chmod 0644 "$D/noenum.conf"
begin "enumerate = false is a setting"; m -c "$D/noenum.conf" check
rc_is 1; out_lacks ": error: "; out_has "0 errors, 1 warnings"; end
begin "enumerate must be a boolean"
sed 's/^enumerate = false;/enumerate = "no";/' "$D/noenum.conf" >"$D/badenum.conf"; chmod 0644 "$D/badenum.conf"
m -c "$D/badenum.conf" check
rc_is 2; out_has "$D/badenum.conf:6: error: \"enumerate\" must be true or false"; end

# ---------------------------------------------------------------- passwords (issue 14)
pw_conf() { # NAME LINES...: seeds.conf with the lines after case_sensitive
        local f=$D/$1.conf; shift
        awk -v add="$(printf '%s\n' "$@")" '{ print } /^case_sensitive = false;/ { printf "%s", add }' \
                "$D/seeds.conf" >"$f"
        chmod 0644 "$f"
}
pw_conf pwsecrets 'passwords = "secrets";'
begin "passwords = \"secrets\" is the default, said aloud"; m -c "$D/pwsecrets.conf" check
out_lacks ": error: "; end
pw_conf pwbad 'passwords = "kerberos";'
begin "passwords takes secrets or ldap-bind (file:line)"; m -c "$D/pwbad.conf" check
rc_is 2; out_has "$D/pwbad.conf:6: error: passwords = \"kerberos\": expected \"secrets\" or \"ldap-bind\""; end
pw_conf pwnodir 'passwords = "ldap-bind";'
begin "ldap-bind without an ldap group"; m -c "$D/pwnodir.conf" check
rc_is 2; out_has "$D/pwnodir.conf:6: error: passwords = \"ldap-bind\" needs the directory"; end
pw_conf pwclear 'passwords = "ldap-bind";' \
        'ldap = { uri = [ "ldaps://dc1.example.com", "ldap://dc2.example.com", "ldapi:///" ]; base = "dc=example,dc=com"; schema = "ad"; };'
begin "ldap-bind refuses a uri in clear, names it"; m -c "$D/pwclear.conf" check
rc_is 2; out_has "$D/pwclear.conf:6: error: passwords = \"ldap-bind\" with uri \"ldap://dc2.example.com\" would send"
out_lacks "ldaps://dc1.example.com\" would"; out_lacks "ldapi:///\" would"; end
pw_conf pwtls 'passwords = "ldap-bind";' \
        'ldap = { uri = [ "ldap://dc2.example.com" ]; starttls = true; base = "dc=example,dc=com"; schema = "ad"; };'
begin "ldap-bind over StartTLS is accepted"; m -c "$D/pwtls.conf" check
out_lacks "in clear"; out_lacks "passwords ="; end

# ---------------------------------------------------------------- the bundled example
# copied like the data: a checkout made under umask 002 has it group-writable,
# which the tool rightly refuses
ex=$T/mailacct.conf.example
if cp "$top/config/mailacct.conf.example" "$ex" 2>/dev/null; then
        chmod 0644 "$ex"
        begin "example: every form of jdoe"
        m -c "$ex" resolve jdoe 'EXAMPLE\jdoe' 'EXAMPLE/jdoe' jdoe@example.com jdoe@example.org \
                'EXAMPLE\assistant\jdoe'
        rc_is 0; err_empty; out_is "$(for i in 1 2 3 4 5 6; do echo jdoe@example.com; done)"; end
        begin "example: check finds no error"; m -c "$ex" check
        [ "$rc" -le 1 ] || no "exit status $rc"; out_lacks ": error: "; end

        # `index` wherever it stands at the top level of the example: before
        # its first line (a comment holding "(" and "{"), between groups and
        # lists, at the end. An insertion that lands inside a group or list
        # is refused by the loader ("unknown key"); every other place must
        # compile to the file it names, and readers must then use it.
        begin "example: the index setting works wherever it stands"
        lines=$(wc -l <"$ex") placed=0
        for at in $(seq 0 "$lines"); do
                mv=$T/moved
                rm -rf "$mv"
                mkdir -m 0755 "$mv"
                { head -n "$at" "$ex"; echo 'index = "moved.idx";'; tail -n +"$((at + 1))" "$ex"; } >"$mv/ex.conf"
                chmod 0644 "$mv/ex.conf"
                install -m 0600 /dev/null "$mv/mailacct.secrets.example"
                env -u MAILACCT_CONF "$MAILACCT" -c "$mv/ex.conf" check >/dev/null 2>&1
                [ $? -le 1 ] || continue # inside a group or list: not a top-level setting
                placed=$((placed + 1))
                if ! env -u MAILACCT_CONF "$MAILACCT" -c "$mv/ex.conf" compile >/dev/null 2>"$ERR"; then
                        no "line $at: compile failed: $(cat "$ERR")"
                        continue
                fi
                [ -f "$mv/moved.idx" ] || no "line $at: no index at moved.idx"
                src=$(env -u MAILACCT_CONF "$MAILACCT" -c "$mv/ex.conf" explain jdoe 2>/dev/null | sed -n 's/^source: *//p')
                [ "$src" = "compiled index" ] || no "line $at: readers do not use it (source: $src)"
        done
        [ "$placed" -ge 10 ] || no "only $placed top-level places tried"
        end
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
