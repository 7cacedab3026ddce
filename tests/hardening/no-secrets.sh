#!/bin/bash
# No test password, and no password hash, in any log any suite left: what
# each suite printed (tests/run-suites keeps it), the module's syslog lines
# (tests/pam/test_pam, the Dovecot suites, the hardening suites) and
# Dovecot's own logs, all in $MAILACCT_TEST_LOGS. Runs after the suites
# whose logs it reads (the last of tests/fuzz/fuzz.mk's).
# Passwords: tests/integration/data/passwords, the table of
# tests/pam/test_pam.c, those tests/pam/cli.sh pipes into `mailacct`, and
# the ones the hardening suites type (right and wrong). Shorter than 6
# characters ('x') they would match anything and are left out.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:?BUILD not set (run through make check)}"
LOGS=${MAILACCT_TEST_LOGS:-$BUILD/test-logs}
[ -d "$LOGS" ] || { echo "SKIP: no logs in $LOGS (run through make check)"; exit 77; }
TMP=$(mktemp -d /tmp/mailacct-no-secrets.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP/passwords" <<'EOF'
import re, sys
pws = set()
for line in open("tests/integration/data/passwords"):
    if line.strip() and not line.startswith("#"):
        pws.add(line.rstrip("\n").split("\t", 1)[1])
# { "address", "password" } in tests/pam/test_pam.c, C escapes undone
src = open("tests/pam/test_pam.c").read()
table = src[src.index("passwords[] = {"):]
table = table[:table.index("};")]
for m in re.finditer(r'\{\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"\s*\}', table):
    pws.add(re.sub(r'\\(.)', r'\1', m.group(2)))
# printf 'PW\n' | "$M" ... and echo 'PW' | "$M" ... in tests/pam/cli.sh
for line in open("tests/pam/cli.sh"):
    m = re.search(r"""(?:printf|echo)\s+(?:'%s\\n'\s+)?'([^']*)'\s*\|\s*"\$M\"""", line)
    if m:
        pws.add(m.group(1).removesuffix("\\n"))
# typed by the hardening suites (right and wrong: a mistyped password is
# often someone's password elsewhere)
for f in ["tests/hardening/files.sh", "tests/hardening/hashwork.sh", "tests/hardening/valgrind.sh",
          "tests/hardening/index-damage.sh", "tests/hardening/security.sh"]:
    pws.update(re.findall(r"\b[a-z]+-Secret[0-9]?\b", open(f).read()))
pws.update("hz-kill-%d-Secret" % i for i in range(1, 25))
# the directory suites' bind, admin and user passwords (tests/ldap/)
import glob
for f in glob.glob("tests/ldap/*.sh"):
    text = open(f).read()
    pws.update(re.findall(r"""\b(?:[A-Z_]*PW|ROOTPW)=['"]([^'"$]+)['"]""", text))
    pws.update(re.findall(r"""\bupw '([^']+)'""", text))
    pws.update(re.findall(r"""printf '([^'%\\]+)\\n' >"\$T/[a-z]+\.pw\"""", text))
with open(sys.argv[1], "w") as out:
    for p in sorted(pws):
        if len(p) >= 6:
            out.write(p + "\n")
EOF
n_pw=$(wc -l <"$TMP/passwords")

# every file but this suite's own output, which is being written
find "$LOGS" -type f ! -name 'suite-tests_hardening_no-secrets.sh.out' | sort >"$TMP/files"
n_files=$(wc -l <"$TMP/files")
n_module=$(xargs -d '\n' grep -l -a 'pam_mailacct(' <"$TMP/files" 2>/dev/null | wc -l)
echo "no-secrets: $n_pw passwords, $n_files log files ($n_module with the module's syslog lines), $(du -sh "$LOGS" | cut -f1)"
fail=0
[ "$n_files" -gt 0 ] || { echo "FAIL: no log files in $LOGS"; fail=1; }
if [ "$(id -u)" -eq 0 ] && [ "$n_module" -eq 0 ]; then
        echo "FAIL: no log holds a line of the module: the logs were not kept"
        fail=1
fi
i=0
while IFS= read -r pw; do
        i=$((i + 1))
        hits=$(xargs -d '\n' grep -l -a -F -e "$pw" <"$TMP/files" 2>/dev/null)
        if [ -n "$hits" ]; then
                # the password itself is not repeated here: this output is a log too
                echo "FAIL: test password #$i (${#pw} characters, starts '${pw:0:2}') is in:"
                printf '%s\n' "$hits" | sed 's/^/    /'
                fail=1
        fi
done <"$TMP/passwords"
# a crypt(3) hash: yescrypt, gost-yescrypt, scrypt, sha512, sha256, bcrypt, md5
hits=$(xargs -d '\n' grep -l -a -E '\$(y|gy|7|6|5|2[abxy]|1)\$[./A-Za-z0-9=$]{20,}' <"$TMP/files" 2>/dev/null)
if [ -n "$hits" ]; then
        echo "FAIL: a password hash in:"
        printf '%s\n' "$hits" | sed 's/^/    /'
        fail=1
fi
[ $fail -eq 0 ] && echo "no-secrets: none of them in any log"
exit $fail
