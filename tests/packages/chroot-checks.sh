# The checks of tests/packages/chroot.sh, sourced by it inside its mount and
# PID namespaces once the chroot is mounted at $CH. $RUN/debs holds the three
# .debs; $MA is the multiarch triplet they were built for.
checks=0 fails=0
# ok STATUS MESSAGE [OUTPUT]: STATUS 0 passes; a failure shows OUTPUT
ok() {
        checks=$((checks + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok: $2"
        else
                fails=$((fails + 1))
                echo "FAIL: $2"
                [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/    /'
        fi
        return 0
}
# commands in the chroot get a clean environment: nothing of the caller's
# ($MAILACCT_CONF, the locale, make's variables) leaks in
in_ch() {
        chroot "$CH" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
}
# what the packages must leave alone
etc_sums() { (cd "$CH/etc" && find nsswitch.conf pam.d -type f | sort | xargs sha256sum); }
# dpkg -L PACKAGE lists every FILE, and each is in the chroot
listed() {
        pkg=$1
        shift
        list=$(in_ch dpkg -L "$pkg" 2>&1)
        for f in "$@"; do
                printf '%s\n' "$list" | grep -qx "$f" && [ -e "$CH$f" ]
                ok $? "dpkg -L $pkg: $f" "$list"
        done
}
# getent LOGIN through the chroot's nsswitch.conf; prints the entry, and to
# fd 3 whether libconfig was loaded into the process (LD_DEBUG=files)
getent_ld() {
        in_ch env LD_DEBUG=files getent passwd "$1" 2>"$RUN/ld.log"
        st=$?
        if grep -q 'file=libconfig\.so' "$RUN/ld.log"; then echo libconfig >&3; else echo none >&3; fi
        return $st
}
# pamtester SERVICE LOGIN PASSWORD: authenticate, then the account phase
pam_login() { printf '%s\n' "$3" | in_ch pamtester "$1" "$2" authenticate acct_mgmt 2>&1; }

DEB_PAM=$(basename "$RUN"/debs/libpam-mailacct_*.deb)
DEB_NSS=$(basename "$RUN"/debs/libnss-mailacct_*.deb)
DEB_CLI=$(basename "$RUN"/debs/mailacct_*.deb)
JDOE='jdoe@example.com:x:5001:5000:John Doe:/srv/vmail/jdoe@example.com:/usr/sbin/nologin'
PW='jdoe-Pa55 word'
IDX=/var/lib/mailacct/mailacct.idx
# libconfig is no dependency: the configuration is read by the project's own
# parser (the packages must not pull libconfig9 in, nor the modules load it)
LIBCONFIG=libconfig9

# --- install -----------------------------------------------------------------
echo "== install"
cp -L /etc/resolv.conf "$CH/etc/resolv.conf" 2>/dev/null # a first run downloads the dependencies
mkdir -p "$CH/tmp/debs" && cp "$RUN"/debs/*.deb "$CH/tmp/debs/" || exit 1
before=$(etc_sums)
in_ch dpkg -s "$LIBCONFIG" >/dev/null 2>&1
ok $(($? == 0)) "$LIBCONFIG is not in the chroot before the install"
out=$(in_ch apt-get install -y -q --no-install-recommends \
        "/tmp/debs/$DEB_CLI" "/tmp/debs/$DEB_PAM" "/tmp/debs/$DEB_NSS" 2>&1)
ok $? "apt-get install of $DEB_CLI $DEB_PAM $DEB_NSS with their dependencies" "$out"
in_ch dpkg -s "$LIBCONFIG" >/dev/null 2>&1
ok $(($? == 0)) "$LIBCONFIG was not installed with them: nothing needs it"
for p in mailacct libpam-mailacct libnss-mailacct; do
        dep=$(in_ch dpkg-query -W -f='${Depends}' $p)
        ! printf '%s\n' "$dep" | grep -q libconfig
        ok $? "$p does not depend on libconfig" "$dep"
done
[ "$(etc_sums)" = "$before" ]
ok $? "the packages left /etc/nsswitch.conf and /etc/pam.d as they were"
[ ! -e "$CH/etc/mailacct.conf" ]
ok $? "the packages created no /etc/mailacct.conf"

listed libpam-mailacct "/lib/$MA/security/pam_mailacct.so" /usr/share/man/man8/pam_mailacct.8.gz \
        /usr/share/doc/libpam-mailacct/examples/pam.d-dovecot.example
listed libnss-mailacct "/lib/$MA/libnss_mailacct.so.2" /usr/share/man/man8/libnss_mailacct.8.gz
listed mailacct /usr/sbin/mailacct /usr/share/man/man8/mailacct.8.gz /usr/share/man/man5/mailacct.conf.5.gz \
        /usr/share/bash-completion/completions/mailacct /usr/share/doc/mailacct/examples/mailacct.conf.example \
        /usr/share/doc/mailacct/examples/dovecot-mailacct.conf.example \
        /lib/systemd/system/mailacct-compile.path /lib/systemd/system/mailacct-compile.service \
        /lib/systemd/system/mailacct-sync.service /lib/systemd/system/mailacct-sync.timer \
        /lib/systemd/system/mailacct-sync-watch.service /var/lib/mailacct
st=$(stat -c '%a %U:%G' "$CH/var/lib/mailacct")
[ "$st" = "755 root:root" ]
ok $? "/var/lib/mailacct is 0755 root:root" "$st"
# the installed units as systemd reads them (no systemd in a minbase chroot:
# the host's systemd-analyze, with ExecStart= pointed into the chroot)
if command -v systemd-analyze >/dev/null; then
        mkdir -p "$RUN/units" || exit 1
        for u in "$CH"/lib/systemd/system/mailacct-*; do
                sed "s|/usr/sbin/mailacct|$CH/usr/sbin/mailacct|" "$u" >"$RUN/units/${u##*/}" || exit 1
        done
        out=$(systemd-analyze verify --man=no "$RUN"/units/* 2>&1)
        [ $? -eq 0 ] && [ -z "$out" ]
        ok $? "systemd-analyze verify of the installed units: no complaint" "$out"
else
        echo "note: systemd-analyze missing here: the units' syntax is not verified"
fi
enabled=$(find "$CH/etc/systemd" -name 'mailacct-*' 2>/dev/null)
[ -z "$enabled" ]
ok $? "mailacct-compile.path, mailacct-sync.timer and mailacct-sync-watch.service are installed, not enabled" "$enabled"

# --- the administrator's part: configuration, secrets, nsswitch, PAM ---------
echo "== a directory, nsswitch.conf and a PAM service (by hand, as the README says)"
sed 's|^secrets = .*|secrets = "/etc/mailacct.secrets";|' \
        "$CH/usr/share/doc/mailacct/examples/mailacct.conf.example" >"$CH/etc/mailacct.conf" &&
        chmod 0644 "$CH/etc/mailacct.conf" || exit 1
out=$(printf '%s\n' "$PW" | in_ch mailacct passwd jdoe@example.com 2>&1)
ok $? "mailacct passwd jdoe@example.com" "$out"
sed -i 's/^passwd:.*/passwd:         files mailacct/' "$CH/etc/nsswitch.conf" || exit 1
cat >"$CH/etc/pam.d/imap" <<'EOF' || exit 1
auth     required  pam_mailacct.so config=/etc/mailacct.conf
account  required  pam_mailacct.so config=/etc/mailacct.conf
EOF

# --- logins through the installed modules ------------------------------------
echo "== from the configuration (no index yet)"
[ ! -e "$CH$IDX" ]
ok $? "no index before mailacct compile"
out=$(getent_ld 'EXAMPLE\jdoe' 3>"$RUN/ld")
ok $? "getent passwd 'EXAMPLE\\jdoe' through libnss_mailacct" "$out"
[ "$out" = "$JDOE" ]
ok $? "getent prints the canonical entry" "$out"
[ "$(cat "$RUN/ld")" = none ]
ok $? "the NSS module parsed the configuration with its own parser: no libconfig loaded" "$(cat "$RUN/ld.log")"
out=$(pam_login imap 'EXAMPLE\jdoe' "$PW")
ok $? "pamtester imap 'EXAMPLE\\jdoe' authenticate acct_mgmt with its password" "$out"
out=$(pam_login imap 'EXAMPLE\jdoe' wrong-password)
ok $(($? == 0)) "pamtester refuses a wrong password" "$out"

echo "== from the compiled index"
out=$(in_ch mailacct compile 2>&1)
ok $? "mailacct compile" "$out"
[ -f "$CH$IDX" ]
ok $? "mailacct compile wrote $IDX"
for login in 'EXAMPLE\jdoe' jdoe JDoe@Example.ORG; do
        out=$(getent_ld "$login" 3>"$RUN/ld")
        [ "$out" = "$JDOE" ]
        ok $? "getent passwd '$login' prints the canonical entry" "$out"
        [ "$(cat "$RUN/ld")" = none ]
        ok $? "... from the index, no libconfig loaded" "$(grep libconfig "$RUN/ld.log")"
done
out=$(pam_login imap 'EXAMPLE\jdoe' "$PW")
ok $? "pamtester imap 'EXAMPLE\\jdoe' authenticate acct_mgmt, from the index" "$out"
out=$(pam_login imap john@example.com "$PW")
ok $? "pamtester imap john@example.com (a secondary address)" "$out"

# --- an upgrade (the same .debs again: preinst upgrade, postinst configure) ---
echo "== upgrade"
ino=$(stat -c %i "$CH$IDX")
out=$(in_ch dpkg -i "/tmp/debs/$DEB_CLI" "/tmp/debs/$DEB_PAM" "/tmp/debs/$DEB_NSS" 2>&1)
ok $? "dpkg -i over the installed packages" "$out"
[ "$(stat -c %i "$CH$IDX" 2>/dev/null)" != "$ino" ]
ok $? "the postinst compiled the existing index again (a new file was renamed into place)"
cp "$CH/etc/mailacct.conf" "$RUN/mailacct.conf.good" || exit 1
echo 'defaults = ' >>"$CH/etc/mailacct.conf"
out=$(in_ch dpkg -i "/tmp/debs/$DEB_CLI" 2>&1)
ok $? "an upgrade with a broken /etc/mailacct.conf does not fail" "$out"
printf '%s\n' "$out" | grep -q 'mailacct: warning:'
ok $? "... and the postinst warns" "$out"
cp "$RUN/mailacct.conf.good" "$CH/etc/mailacct.conf" || exit 1
out=$(in_ch mailacct compile 2>&1)
ok $? "mailacct compile once the configuration is fixed" "$out"
out=$(pam_login imap 'EXAMPLE\jdoe' "$PW")
ok $? "pamtester after the upgrade" "$out"

# --- remove, then purge ------------------------------------------------------
echo "== remove and purge"
out=$(in_ch apt-get remove -y -q libpam-mailacct libnss-mailacct mailacct 2>&1)
ok $? "apt-get remove libpam-mailacct libnss-mailacct mailacct" "$out"
left=$(find "$CH/lib" "$CH/usr/lib" "$CH/usr/sbin" -name '*mailacct*' 2>/dev/null)
[ -z "$left" ]
ok $? "remove left no module, command or unit behind" "$left"
out=$(in_ch getent passwd 'EXAMPLE\jdoe')
ok $(($? != 2)) "getent passwd 'EXAMPLE\\jdoe' finds nothing once the module is gone" "$out"
in_ch getent passwd root >/dev/null
ok $? "getent passwd root still answers (nsswitch.conf names a module that is gone)"
[ -f "$CH$IDX" ]
ok $? "remove keeps the compiled index (data until purge)"
out=$(in_ch dpkg --purge libpam-mailacct libnss-mailacct mailacct 2>&1)
ok $? "dpkg --purge libpam-mailacct libnss-mailacct mailacct" "$out"
[ ! -e "$CH/var/lib/mailacct" ]
ok $? "purge removed /var/lib/mailacct" "$(ls -la "$CH/var/lib/mailacct" 2>&1)"
[ -f "$CH/etc/mailacct.conf" ] && [ -f "$CH/etc/mailacct.secrets" ]
ok $? "purge left the administrator's /etc/mailacct.conf and secrets alone"
in_ch dpkg -s mailacct >/dev/null 2>&1
ok $(($? == 0)) "dpkg knows mailacct no more"

# nothing a maintainer script started may still run in the chroot
stray=""
for p in "$CH"/proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$CH" ] && stray="$stray $(cat "$p/comm" 2>/dev/null)(${p##*/})"
done
[ -z "$stray" ]
ok $? "no process left running in the chroot" "$stray"

echo "chroot: $checks checks, $fails failed"
[ $fails -eq 0 ]
