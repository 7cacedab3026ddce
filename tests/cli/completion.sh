#!/bin/bash
# The bash completion (completion/mailacct.bash) in a bash of its own:
# COMP_WORDS as bash sets them, COMPREPLY checked for each case.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=/dev/null
. "$TOP/completion/mailacct.bash" || { echo "FAIL: the completion does not load"; exit 1; }
complete -p mailacct >/dev/null || { echo "FAIL: no completion registered for mailacct"; exit 1; }
checks=0 fails=0

# expect "WORDS" "WANTED..." : completes the last word of WORDS
expect() {
        local line=$1 want=$2 got
        read -r -a COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _mailacct
        got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
        checks=$((checks + 1))
        if [ "$got" != "$want " ] && ! { [ -z "$want" ] && [ -z "$got" ]; }; then
                fails=$((fails + 1))
                echo "FAIL: '$line': got '$got', want '$want'"
        fi
}

expect "mailacct " "check compile explain help import list passwd resolve show sync test"
expect "mailacct re" "resolve"
expect "mailacct -c /etc/mailacct.conf ch" "check"
expect "mailacct --" "--config --help --version"
expect "mailacct list --" "--config --contacts --domain --help --json"
expect "mailacct resolve --e" "--explain"
expect "mailacct -c x.conf check --j" "--json"
expect "mailacct check --o" "--online"
expect "mailacct sync --f" "--force --full"
expect "mailacct passwd --scheme y" "yescrypt"
expect "mailacct compile --if" "--if-exists"
expect "mailacct help sh" "show"
expect "mailacct import " "csv dovecot-passwd ldif passwd"
expect "mailacct import --dry-run d" "dovecot-passwd"
expect "mailacct resolve jdoe" ""
mkdir -p /tmp/mailacct-compl.$$ && touch /tmp/mailacct-compl.$$/a.conf
expect "mailacct check -c /tmp/mailacct-compl.$$/a" "/tmp/mailacct-compl.$$/a.conf"
rm -rf /tmp/mailacct-compl.$$
# every command and option the program's --help lists is completed
: "${BUILD:?BUILD not set (run through make check)}"
for cmd in $("$BUILD/mailacct" --help 2>/dev/null | sed -n 's/^  \([a-z]\+\) .*/\1/p'); do
        expect "mailacct $cmd" "$cmd"
        for opt in $("$BUILD/mailacct" "$cmd" --help | grep -o -- '--[a-z-]\+' | sort -u); do
                read -r -a COMP_WORDS <<<"mailacct $cmd $opt"
                COMP_CWORD=2
                COMPREPLY=()
                _mailacct
                checks=$((checks + 1))
                printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$opt" ||
                        { fails=$((fails + 1)); echo "FAIL: mailacct $cmd $opt: not completed"; }
        done
done
echo "completion: $checks checks, $fails failed"
[ $fails -eq 0 ]
