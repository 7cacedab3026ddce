# Sourced by the directory suites (tests/ldap/*.sh): a private slapd (Debian's)
# per directory, on 127.0.0.1 only, in a temporary folder, with a test CA;
# every server a suite starts is stopped by ldap_cleanup (the suites trap
# EXIT). Nothing under /etc is read or written but Debian's schema files.
#
#   ldap_setup                      T (the suite's folder), the CA, $MAILACCT
#   ldap_certs DIR NAME             a CA (DIR/NAME-ca.pem) and a server
#                                   certificate for 127.0.0.1 and localhost
#   slapd_start NAME SCHEMA         SCHEMA openldap or ad; sets NAME_PORT (ldap://),
#                                   NAME_SPORT (ldaps://), NAME_SOCK (ldapi://);
#                                   SLAPD_DEBUG=stats logs every operation to
#                                   T/NAME/slapd.log, SLAPD_NO_PPOLICY=1 leaves
#                                   ppolicy's overlay out
#   slapd_stop NAME, slapd_kill_stop NAME (SIGSTOP: a server that hangs),
#   slapd_cont NAME
#   ldif NAME [ldapadd|ldapmodify|ldapdelete|ldapmodrdn] < LDIF   as the rootdn
#
# Suites print "ok N - what" / "not ok N - what" and end with a count.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$top/build}
MAILACCT=$BUILD/mailacct
SLAPD=${SLAPD:-/usr/sbin/slapd}
SCHEMA_DIR=/etc/ldap/schema
ROOTDN="cn=admin,dc=example,dc=com"
ROOTPW="rootsecret-not-a-mail-password"
SVC_DN="cn=mailacct,ou=services,dc=example,dc=com"
SVC_PW="svc-bind-Pw-9f3"

passed=0 failed=0 n=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check WHAT COMMAND...: ok when COMMAND succeeds
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; return 1; fi; }
finish() {
        echo "$SUITE: $passed passed, $failed failed"
        [ "$failed" -eq 0 ]
}

ldap_need() {
        local p
        for p in "$SLAPD" /usr/bin/ldapadd /usr/bin/ldapsearch /usr/bin/openssl; do
                [ -x "$p" ] || { echo "$SUITE: $p missing (apt-get install slapd ldap-utils openssl)"; exit 77; }
        done
        [ -x "$MAILACCT" ] || { echo "$SUITE: $MAILACCT not built"; exit 1; }
        [ "$(id -u)" -eq 0 ] || { echo "$SUITE: needs root (files owned by root, as the readers trust)"; exit 77; }
}

SERVERS=""
ldap_cleanup() {
        local s pid
        for s in $SERVERS; do
                pid=$(cat "$T/$s/slapd.pid" 2>/dev/null) || continue
                kill -CONT "$pid" 2>/dev/null
                kill "$pid" 2>/dev/null
        done
        for s in $SERVERS; do
                pid=$(cat "$T/$s/slapd.pid" 2>/dev/null) || continue
                for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -9 "$pid" 2>/dev/null
        done
        [ -n "${KEEP:-}" ] && { echo "kept $T"; return; }
        rm -rf "$T"
}

ldap_setup() {
        ldap_need
        T=$(mktemp -d "${TMPDIR:-/tmp}/mailacct-$SUITE.XXXXXX")
        chmod 0755 "$T"
        trap ldap_cleanup EXIT
        trap 'exit 130' INT TERM
        ldap_certs "$T" test
        ldap_certs "$T" other # a CA that signed nothing the servers show
        # the bind password, as an administrator keeps it
        printf '%s\n' "$SVC_PW" >"$T/bind.pw"
        chmod 0600 "$T/bind.pw"
}

ldap_certs() {
        local d=$1 name=$2
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mailacct $name CA" \
                -keyout "$d/$name-ca.key" -out "$d/$name-ca.pem" >/dev/null 2>&1 || return 1
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/$name-server.key" \
                -out "$d/$name-server.csr" >/dev/null 2>&1 || return 1
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/$name-ext.cnf"
        openssl x509 -req -in "$d/$name-server.csr" -CA "$d/$name-ca.pem" -CAkey "$d/$name-ca.key" \
                -CAcreateserial -days 2 -extfile "$d/$name-ext.cnf" -out "$d/$name-server.pem" >/dev/null 2>&1
        chmod 0644 "$d/$name-server.key"
}

# A port nothing listens on (a second server may take it meanwhile: the
# caller's start fails then, loudly).
free_port() {
        local p
        while :; do
                p=$((20000 + RANDOM % 30000))
                ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return; }
        done
}

slapd_conf() {
        local name=$1 schema=$2 d=$T/$1
        {
                echo "include $SCHEMA_DIR/core.schema"
                echo "include $SCHEMA_DIR/cosine.schema"
                echo "include $SCHEMA_DIR/nis.schema"
                echo "include $SCHEMA_DIR/inetorgperson.schema"
                echo "include $SCHEMA_DIR/misc.schema"
                [ "$schema" = ad ] && echo "include $top/tests/ldap/ad.schema"
                echo "pidfile $d/slapd.pid"
                echo "argsfile $d/slapd.args"
                echo "modulepath /usr/lib/ldap"
                echo "moduleload back_mdb"
                echo "moduleload ppolicy"
                [ -n "${SLAPD_SYNCPROV:-}" ] && echo "moduleload syncprov"
                echo "TLSCACertificateFile $T/test-ca.pem"
                echo "TLSCertificateFile $T/test-server.pem"
                echo "TLSCertificateKeyFile $T/test-server.key"
                echo "sizelimit ${SLAPD_SIZELIMIT:-500}"
                echo "database mdb"
                echo "maxsize ${SLAPD_MAXSIZE:-268435456}"
                echo "suffix \"dc=example,dc=com\""
                echo "rootdn \"$ROOTDN\""
                echo "rootpw $ROOTPW"
                echo "directory $d/db"
                echo "index objectClass eq"
                [ -n "${SLAPD_SYNCPROV:-}" ] && echo "index entryCSN,entryUUID eq"
                # SLAPD_PASSWORD_READERS: the service DN may read the hashes
                # (tests/ldap/crypt.sh: the sync keeps {CRYPT} ones)
                if [ -n "${SLAPD_PASSWORD_READERS:-}" ]; then
                        echo "access to attrs=userPassword by self write by dn.exact=\"$SVC_DN\" read by anonymous auth by * none"
                else
                        echo "access to attrs=userPassword by self write by anonymous auth by * none"
                fi
                echo "access to dn.subtree=\"ou=hidden,dc=example,dc=com\" by * none"
                echo "access to * by dn.exact=\"$SVC_DN\" read by * read"
                # SLAPD_NO_PPOLICY: the lock attribute is there, nothing enforces it
                [ -z "${SLAPD_NO_PPOLICY:-}" ] && echo "overlay ppolicy"
                [ -n "${SLAPD_SYNCPROV:-}" ] && echo "overlay syncprov"
                # the changes kept in memory for RFC 4533 deletions (none: a
                # present phase tells them)
                [ -n "${SLAPD_SESSIONLOG:-}" ] && echo "syncprov-sessionlog $SLAPD_SESSIONLOG"
        } >"$d/slapd.conf"
}

slapd_start() {
        local name=$1 schema=$2 d=$T/$1 port sport i try pid fixed
        mkdir -p "$d/db"
        case " $SERVERS " in *" $name "*) ;; *) SERVERS="$SERVERS $name" ;; esac
        [ -f "$d/slapd.conf" ] || slapd_conf "$name" "$schema"
        if [ ! -f "$d/db/data.mdb" ]; then
                base_ldif "$schema" | "${SLAPADD:-/usr/sbin/slapadd}" -q -f "$d/slapd.conf" >"$d/slapadd.log" 2>&1 ||
                        { cat "$d/slapadd.log"; return 1; }
        fi
        # a restart keeps the ports the suite's configurations name; a first
        # start takes free ones, and others if someone took them meanwhile
        fixed=$(eval echo "\${${name}_PORT:-}")
        for try in 1 2 3; do
                port=$(eval echo "\${${name}_PORT:-}")
                [ -n "$port" ] || port=$(free_port)
                sport=$(eval echo "\${${name}_SPORT:-}")
                [ -n "$sport" ] || sport=$(free_port)
                eval "${name}_PORT=$port ${name}_SPORT=$sport ${name}_SOCK=$d/ldapi"
                # -d none: in the foreground, errors only (a port in use, say)
                "$SLAPD" -f "$d/slapd.conf" \
                        -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$sport/ ldapi://$(printf %s "$d/ldapi" | sed 's|/|%2F|g')" \
                        -d "${SLAPD_DEBUG:-none}" >"$d/slapd.log" 2>&1 &
                pid=$!
                for i in $(seq 200); do
                        ldapsearch -x -H "ldap://127.0.0.1:$port" -s base -b "" >/dev/null 2>&1 && return 0
                        kill -0 "$pid" 2>/dev/null || break
                        sleep 0.05
                done
                kill "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                [ -n "$fixed" ] && break
                grep -q "Address already in use" "$d/slapd.log" || break
                unset "${name}_PORT" "${name}_SPORT"
        done
        echo "slapd $name did not start:"
        cat "$d/slapd.log"
        return 1
}

slapd_stop() {
        local pid i
        pid=$(cat "$T/$1/slapd.pid" 2>/dev/null) || return 0
        kill -CONT "$pid" 2>/dev/null
        kill "$pid" 2>/dev/null
        for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        # the listening sockets are gone when the process is
        wait "$pid" 2>/dev/null
        rm -f "$T/$1/slapd.pid"
}

slapd_hang() { kill -STOP "$(cat "$T/$1/slapd.pid")"; }
slapd_resume() { kill -CONT "$(cat "$T/$1/slapd.pid")"; }

# The suffix, the service account mailacct binds as, ou=people.
base_ldif() {
        cat <<EOF
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=services,dc=example,dc=com
objectClass: organizationalUnit
ou: services

dn: $SVC_DN
objectClass: person
objectClass: simpleSecurityObject
cn: mailacct
sn: mailacct
userPassword: $SVC_PW

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=hidden,dc=example,dc=com
objectClass: organizationalUnit
ou: hidden

EOF
}

# ldif NAME [TOOL] < LDIF: changes as the rootdn
ldif() {
        local name=$1 tool=${2:-ldapadd}
        "$tool" -x -D "$ROOTDN" -w "$ROOTPW" -H "ldap://127.0.0.1:$(eval echo "\$${name}_PORT")" \
                >"$T/$name/ldif.out" 2>&1 || { cat "$T/$name/ldif.out"; return 1; }
}

# run ARGS...: mailacct with stdout in $OUT, stderr in $ERR, status in $rc
run() {
        "$MAILACCT" "$@" >"$T/out" 2>"$T/err"
        rc=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}
has() { printf '%s\n' "$1" | grep -qF -- "$2"; }
# seconds between two `date +%s.%N`, and whether a number is below another
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
show() { echo "    rc=$rc"; printf '%s\n' "$OUT" | sed 's/^/    out| /'; printf '%s\n' "$ERR" | sed 's/^/    err| /'; }
# answered_within LOGIN WANT LIMIT: LOGIN resolves to WANT ("-": to nothing)
# by the configuration $C within LIMIT seconds (`sync --watch`); prints the
# seconds it took
answered_within() {
        local login=$1 want=$2 limit=$3 t0 got
        t0=$(date +%s.%N)
        while :; do
                got=$("$MAILACCT" -c "$C" resolve -- "$login" 2>/dev/null | head -1)
                [ -n "$got" ] || got=-
                if [ "$got" = "$want" ]; then
                        secs "$t0" "$(date +%s.%N)"
                        return 0
                fi
                below "$(secs "$t0" "$(date +%s.%N)")" "$limit" || return 1
                sleep 0.05
        done
}
