# Shared by the suites of tests/hardening (sourced, from the repository
# root, with BUILD set by tests/run-suites).
#
#   hz_init NAME      a temporary folder $T (removed at exit), $LOGS (kept:
#                     $MAILACCT_TEST_LOGS, else $BUILD/test-logs), counters
#   $TL_PUB           copies of the built programs and modules that any
#                     user can reach (tests/lib/public.sh)
#   hz_directory DIR  DIR/mailacct.conf (tests/integration/data/mailacct.conf
#                     with its compiled index DIR/mailacct.idx), its secrets
#                     (the test passwords, cheap sha512-crypt unless
#                     HZ_SCHEME=yescrypt), DIR/pam.d/{imap,pop3,other}
#   ok / bad WHAT     one check passed / failed
#   hz_done           summary line; the suite's exit status
#   hz_asan           true in the ASan build; sets $HZ_PRELOAD for foreign
#                     programs (getent) that load the ASan-built module
: "${BUILD:?BUILD not set (run through make check)}"
HZ_PY=/usr/bin/python3
HZ_PASSWORDS=tests/integration/data/passwords
HZ_PROBE=$BUILD/tests/hardening/pam_probe
HZ_IXTOOL=$BUILD/tests/hardening/ixtool
M=$BUILD/mailacct

hz_init() {
        HZ_NAME=$1
        T=$(mktemp -d "/tmp/mailacct-$HZ_NAME.XXXXXX") || exit 1
        chmod 0755 "$T" # traversable by the unprivileged users some checks run as
        trap 'hz_cleanup' EXIT
        trap 'exit 1' INT TERM HUP
        # the module and the probe as an unprivileged process can reach them
        . tests/lib/public.sh
        tl_public "$T/pub" || exit 1
        LOGS=${MAILACCT_TEST_LOGS:-$BUILD/test-logs}
        mkdir -p "$LOGS"
        HZ_PASS=0 HZ_FAIL=0
}

hz_cleanup() {
        # background helpers of this suite only, by their ids
        for _p in $(jobs -p); do kill "$_p" 2>/dev/null; done
        wait 2>/dev/null
        rm -rf "$T"
}

ok() {
        HZ_PASS=$((HZ_PASS + 1))
        [ -n "${HZ_VERBOSE:-}" ] && echo "ok: $*"
        return 0
}

bad() {
        HZ_FAIL=$((HZ_FAIL + 1))
        echo "FAIL: $*"
}

# check COND-EXIT WHAT: ok when COND-EXIT is 0
check() {
        if [ "$1" -eq 0 ]; then ok "$2"; else bad "$2"; fi
}

hz_done() {
        echo "$HZ_NAME: $HZ_PASS checks passed, $HZ_FAIL failed"
        [ "$HZ_FAIL" -eq 0 ]
}

hz_asan() {
        case $BUILD in
        */asan) ;;
        *) return 1 ;;
        esac
        HZ_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
        return 0
}

# hz_hash PASSWORD: a sha512-crypt hash at the lowest cost crypt(3) allows
# (valgrind runs a thousand logins); production hashes (yescrypt) are made
# with `mailacct passwd` where the cost matters.
hz_hash() {
        "$HZ_PY" -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], "$6$rounds=1000$" + crypt.mksalt(crypt.METHOD_SHA512)[3:11] + "$"))' "$1"
}

# hz_password ADDRESS: the test password of ADDRESS
hz_password() {
        awk -F '\t' -v a="$1" '$1 == a { print $2; exit }' "$HZ_PASSWORDS"
}

hz_directory() {
        _d=$1
        mkdir -p "$_d/pam.d"
        chmod 0755 "$_d"
        { echo 'index = "mailacct.idx";'; cat tests/integration/data/mailacct.conf; } >"$_d/mailacct.conf"
        chmod 0644 "$_d/mailacct.conf"
        : >"$_d/mailacct.secrets"
        chmod 0600 "$_d/mailacct.secrets"
        while IFS='	' read -r _a _pw; do
                case $_a in '' | '#'*) continue ;; esac
                printf '%s:%s\n' "$_a" "$(hz_hash "$_pw")" >>"$_d/mailacct.secrets"
        done <"$HZ_PASSWORDS"
        for _svc in imap pop3; do
                printf 'auth     required %s/pam_mailacct.so config=%s\naccount  required %s/pam_mailacct.so config=%s\n' \
                        "$TL_PUB" "$_d/mailacct.conf" "$TL_PUB" "$_d/mailacct.conf" >"$_d/pam.d/$_svc"
        done
        printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$_d/pam.d/other"
        chmod 0644 "$_d"/pam.d/*
        "$M" -c "$_d/mailacct.conf" compile >/dev/null || { echo "FAIL: compile $_d"; exit 1; }
}

# hz_nsswitch LINE: /etc/nsswitch.conf says "passwd: LINE" in this mount
# namespace (the caller runs inside `unshare --mount`); rewritten in place,
# bind-mounted once.
hz_nsswitch() {
        printf 'passwd: %s\ngroup: files\nshadow: files\nhosts: files\n' "$1" >"$T/nsswitch.conf"
        if [ -z "${HZ_NSS_BOUND:-}" ]; then
                mount --make-rprivate / && mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf ||
                        { echo "FAIL: cannot bind a test nsswitch.conf"; exit 1; }
                HZ_NSS_BOUND=1
        fi
}

# hz_getent ARGS...: getent with the module from $BUILD (and the ASan
# runtime first when the module needs it)
hz_getent() {
        if [ -n "${HZ_PRELOAD:-}" ]; then
                LD_PRELOAD=$HZ_PRELOAD ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH=$BUILD getent "$@"
        else
                LD_LIBRARY_PATH=$BUILD getent "$@"
        fi
}
