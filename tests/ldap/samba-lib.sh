# Sourced by the Samba AD DC suites (samba.sh, krb5-stack.sh) after lib.sh:
# a DC provisioned by the test in $T/samba (realm EXAMPLE.COM, NetBIOS
# EXAMPLE, RFC 2307 on), run in a network namespace of its own (its ports
# never touch the host's) and reached with nsenter, with the test's CA for
# TLS (Samba refuses simple binds without it).
#
#   samba_need                  skip (77) without the packages, or under ASan
#   samba_start SERVICES        provision and start ("ldap", "ldap, kdc");
#                               sets S, samba_pid, NS (the nsenter prefix)
#   adm TOOL [ARGS]             an ldap tool as Administrator over ldaps://
#   samba_conf FILE HOME DOMAINS [LINE...]
#                               a configuration syncing from the DC as
#                               Administrator over ldaps:// (schema ad, base
#                               DC=example,DC=com, index mailacct.idx beside
#                               it), LINEs added to its ldap group
#   nsrun ARGS                  mailacct in the DC's namespace: rc, OUT, ERR
#   upw PASSWORD                unicodePwd's value (base64)
#   samba_run                   start it again (after samba_stop)
#   samba_stop                  (also on EXIT, with ldap_cleanup)
ADMIN_PW='Adm1n-Samba-Pw-7'
samba_pid=

samba_need() {
        local p
        for p in samba samba-tool nsenter unshare ip; do
                command -v "$p" >/dev/null ||
                        { echo "$SUITE: $p missing (apt-get install samba-ad-dc samba-ad-provision iproute2)"; exit 77; }
        done
        if nm -D "$MAILACCT" 2>/dev/null | grep -q __asan_init; then
                echo "$SUITE: skipped under ASan (its time is Samba's; the plain build runs it)"
                exit 77
        fi
}

samba_stop() {
        [ -n "$samba_pid" ] || return 0
        kill "$samba_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$samba_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$samba_pid" 2>/dev/null
        wait "$samba_pid" 2>/dev/null
        samba_pid=
}

samba_start() {
        local services=$1 t0
        S=$T/samba
        mkdir -p "$S"
        trap 'samba_stop; ldap_cleanup' EXIT
        # TLS with the test's CA: a certificate for 127.0.0.1; Samba wants its key 0600
        cp "$T/test-server.key" "$S/key.pem"
        chmod 0600 "$S/key.pem"
        t0=$(date +%s.%N)
        samba-tool domain provision --use-rfc2307 --dns-backend=NONE --server-role=dc --realm=EXAMPLE.COM \
                --domain=EXAMPLE --adminpass="$ADMIN_PW" --targetdir="$S" \
                --option="interfaces=lo" --option="bind interfaces only=yes" >"$S/provision.log" 2>&1 ||
                { tail -20 "$S/provision.log"; exit 1; }
        # only the services asked for, their logs and sockets in the folder,
        # our certificate
        sed -i -e "s|server services = .*|server services = $services|" -e "s|log file = .*|log file = $S/log.%m|" \
                -e "/\[global\]/a\\	pid directory = $S\n\tntp signd socket directory = $S/ntp\n\twinbindd socket directory = $S/wb\n\ttls enabled = yes\n\ttls keyfile = $S/key.pem\n\ttls certfile = $T/test-server.pem\n\ttls cafile = $T/test-ca.pem" \
                "$S/etc/smb.conf"
        samba_run
        echo "samba: provisioned and answering in $(secs "$t0" "$(date +%s.%N)") s"
}

# samba_run: the DC provisioned in $S, (re)started in a new network namespace
samba_run() {
        unshare --net sh -c "ip link set lo up && exec samba -i -s '$S/etc/smb.conf'" >>"$S/samba.out" 2>&1 &
        samba_pid=$!
        NS="nsenter --net=/proc/$samba_pid/ns/net"
        for _ in $(seq 300); do
                adm ldapsearch -s base -b "" >/dev/null 2>&1 && return 0
                kill -0 "$samba_pid" 2>/dev/null || { cat "$S/samba.out"; exit 1; }
                sleep 0.1
        done
        echo "samba: not answering after 30 s"
        cat "$S/samba.out"
        exit 1
}

adm() { LDAPTLS_CACERT=$T/test-ca.pem $NS "$@" -x -H ldaps://127.0.0.1 -D "Administrator@example.com" -w "$ADMIN_PW"; }
upw() { printf '"%s"' "$1" | iconv -f UTF-8 -t UTF-16LE | base64 -w0; }

samba_conf() {
        local f=$1 home=$2 domains=$3 l
        shift 3
        if [ ! -f "$T/admin.pw" ]; then
                printf '%s\n' "$ADMIN_PW" >"$T/admin.pw"
                chmod 0600 "$T/admin.pw"
        fi
        {
                echo 'index = "mailacct.idx";'
                echo 'default_domain = "example.com";'
                echo "defaults = { uid = 5000; gid = 5000; home = \"$home\"; };"
                echo "domains = ( $domains );"
                echo 'ldap = {'
                echo '  uri = [ "ldaps://127.0.0.1" ];'
                echo '  base = "DC=example,DC=com";'
                echo '  schema = "ad";'
                echo '  bind_dn = "CN=Administrator,CN=Users,DC=example,DC=com";'
                echo "  bind_password_file = \"$T/admin.pw\";"
                echo "  tls_ca = \"$T/test-ca.pem\";"
                echo '  timeout = 5;'
                for l in "$@"; do echo "  $l"; done
                echo '};'
        } >"$f"
        chmod 0644 "$f"
}

nsrun() { $NS "$MAILACCT" "$@" >"$T/out" 2>"$T/err"; rc=$?; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }
