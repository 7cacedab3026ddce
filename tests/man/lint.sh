#!/bin/sh
# The man pages are lint-clean and complete: every man/*.[0-9] passes
# `mandoc -T lint` and `groff -man -ww -z` without a word; every command that
# `mailacct --help` lists has an entry (.SS or .TP) under COMMANDS in
# man/mailacct.8; every top-level key the loader accepts (load_root()'s
# keys[] in source/file/load.c) has one under TOP-LEVEL SETTINGS in
# man/mailacct.conf.5; every decision of pam_mailacct/codes.c has one under
# REASON CODES in man/pam_mailacct.8. The names are read
# from the program and the sources, so a new command, key or code without
# its documentation fails here. Exit 0 pass, 1 fail, 77 skip (no mandoc).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
M=$BUILD/mailacct

if ! command -v mandoc >/dev/null 2>&1; then
        echo "man: mandoc is missing (apt-get install mandoc): skipped"
        exit 77
fi

checks=0 failed=0

pass() {
        checks=$((checks + 1))
}

fail() {
        checks=$((checks + 1))
        failed=$((failed + 1))
        echo "man: FAIL: $1"
        [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'
        return 0
}

# has_entry PAGE SECTION NAME: NAME is the first word of a .SS heading, or
# of the tag line after a .TP or .TQ, in the section .SH SECTION of PAGE
# (font macros, \f escapes, quotes and \- taken off).
has_entry() {
        awk -v section="$2" -v name="$3" '
        function first(line,   w, a) {
                w = line
                gsub(/\\-/, "-", w)
                gsub(/\\f[BIRP]/, "", w)
                gsub(/"/, "", w)
                sub(/^\.[A-Z]+[ \t]+/, "", w)
                split(w, a, /[ \t]+/)
                return a[1]
        }
        /^\.SH[ \t]/ {
                h = $0
                sub(/^\.SH[ \t]+/, "", h)
                gsub(/"/, "", h)
                in_section = (h == section)
        }
        in_section && tag && first($0) == name { found = 1 }
        in_section && /^\.SS[ \t]/ && first($0) == name { found = 1 }
        { tag = ($0 ~ /^\.(TP|TQ)([ \t]|$)/) }
        END { exit !found }' "$1"
}

pages=$(ls man/*.[0-9] 2>/dev/null)
[ -n "$pages" ] || fail "no man/*.[0-9] pages"

# 1. lint-clean: mandoc's lint (style included) and groff's warnings
for p in $pages; do
        out=$(mandoc -T lint "$p" 2>&1)
        if [ -n "$out" ]; then
                fail "$p: mandoc -T lint" "$out"
        else
                pass
        fi
        if command -v groff >/dev/null 2>&1; then
                out=$( (groff -man -ww -z "$p" && groff -man -Tutf8 -ww -z "$p") 2>&1)
                if [ -n "$out" ]; then
                        fail "$p: groff -man -ww -z" "$out"
                else
                        pass
                fi
        fi
done
command -v groff >/dev/null 2>&1 || echo "man: groff is missing: its checks are skipped"

# 2. every command of `mailacct --help` has its entry in mailacct(8)
if [ ! -x "$M" ]; then
        fail "$M is missing (make, or set BUILD)"
else
        cmds=$("$M" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
        [ -n "$cmds" ] || fail "$M --help lists no command"
        for c in $cmds; do
                if has_entry man/mailacct.8 COMMANDS "$c"; then
                        pass
                else
                        fail "man/mailacct.8: command \"$c\" (mailacct --help) has no .SS or .TP entry under COMMANDS"
                fi
        done
fi

# 3. every top-level key of the loader has its entry in mailacct.conf(5)
keys=$(sed -n '/^static int load_root(/,/^}/p' source/file/load.c |
        sed -n '/keys\[\] *=/,/NULL *}/p' | grep -o '"[A-Za-z_0-9]*"' | tr -d '"')
[ -n "$keys" ] || fail "source/file/load.c: no keys[] found in load_root()"
for k in $keys; do
        if has_entry man/mailacct.conf.5 "TOP-LEVEL SETTINGS" "$k"; then
                pass
        else
                fail "man/mailacct.conf.5: top-level key \"$k\" (source/file/load.c) has no .TP entry under TOP-LEVEL SETTINGS"
        fi
done

# 4. every decision of the PAM module has its entry in pam_mailacct(8)
codes=$(grep -o '\] = {"[a-z0-9-]*"' pam_mailacct/codes.c | sed 's/.*{"//; s/"$//')
[ -n "$codes" ] || fail "pam_mailacct/codes.c: no decision names found"
for d in $codes; do
        if has_entry man/pam_mailacct.8 "REASON CODES" "$d"; then
                pass
        else
                fail "man/pam_mailacct.8: decision \"$d\" (pam_mailacct/codes.c) has no .TP entry under REASON CODES"
        fi
done

echo "man: $checks checks, $failed failed"
[ "$failed" -eq 0 ]
