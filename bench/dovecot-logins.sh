#!/bin/sh
# Logins per second through a private Dovecot on loopback: passdb = PAM with
# pam_mailacct, against Dovecot's own passwd-file passdb holding the same
# yescrypt hashes; and the latency of an unknown login against a wrong
# password (medians), through PAM alone and through Dovecot.
#
#   BUILD=$PWD/build bench/dovecot-logins.sh [N]      (root; after `make`)
#
# Not a test: it prints figures and asserts nothing. Runs in its own mount
# and pid namespaces like tests/integration/dovecot.sh and leaves nothing.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${BUILD:?BUILD not set, e.g. BUILD=\$PWD/build}"
N=${1:-200}

if [ "${2:-}" != --inside ]; then
        [ "$(id -u)" -eq 0 ] || { echo "needs root (mount namespace, Dovecot on loopback)"; exit 77; }
        T=$(mktemp -d /tmp/mailacct-bench.XXXXXX) || exit 1
        unshare --mount --pid --fork --mount-proc --propagation private /bin/sh "$0" "$N" --inside "$T"
        rc=$?
        rm -rf --one-file-system "$T"
        exit $rc
fi

. tests/lib/dovecot.sh
ma_setup "$3"
ma_directory tests/integration/data/mailacct.conf tests/integration/data/passwords
ma_pam_services "imap pop3"
ma_dev_log
PW=jdoe-Secret1

# The driver: N logins (IMAP LOGIN, then LOGOUT) from C parallel clients.
cat >"$MA_DIR/drive.py" <<'EOF'
import socket, statistics, sys, threading, time
port, n, conc, user, pw = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
lat, bad, lock = [], [0], threading.Lock()
def one():
    t0 = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), 30)
    f = s.makefile("rb")
    f.readline()
    s.sendall(("a LOGIN %s %s\r\n" % (q(user), q(pw))).encode())
    line = b" "
    while line and not line.startswith(b"a "):
        line = f.readline()
    ok = line.startswith(b"a OK")
    if ok:
        s.sendall(b"b LOGOUT\r\n")
        while line and not line.startswith(b"b "):
            line = f.readline()
    f.close(); s.close()
    with lock:
        lat.append(time.perf_counter() - t0)
        if not ok: bad[0] += 1
def worker(k):
    for _ in range(k): one()
for _ in range(5):  # warm up: auth workers started, files in the page cache
    one()
lat.clear(); bad[0] = 0
t0 = time.perf_counter()
ts = [threading.Thread(target=worker, args=(n // conc,)) for _ in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
el = time.perf_counter() - t0
done = (n // conc) * conc
print("%6.1f logins/s  median %6.1f ms  (N=%d, %d clients, %d refused)" %
      (done / el, statistics.median(lat) * 1000, done, conc, bad[0]))
EOF

drive() { /usr/bin/python3 "$MA_DIR/drive.py" "$MA_IMAP_PORT" "$@"; }

echo "== Dovecot $(dovecot --version | cut -d' ' -f1), $(nproc) CPUs, yescrypt (libxcrypt default cost), N=$N per line"
echo "-- passdb = pam, pam_mailacct.so (service imap)"
ma_dovecot_start
printf '   %-34s' "jdoe@example.com, 1 client:";   drive "$N" 1 jdoe@example.com "$PW"
printf '   %-34s' "EXAMPLE\\jdoe, 1 client:";      drive "$N" 1 'EXAMPLE\jdoe' "$PW"
printf '   %-34s' "jdoe@example.com, 4 clients:";  drive "$N" 4 jdoe@example.com "$PW"
ma_dovecot_stop

echo "-- passdb = passwd-file, the same yescrypt hashes ({CRYPT}), canonical names only"
sed -n 's/^\([^#:][^:]*\):\(.*\)$/\1:{CRYPT}\2/p' "$MA_DIR/etc/mailacct.secrets" >"$MA_DIR/passwd-file"
# read by Dovecot's auth process, which runs as the dovecot user (PAM runs in root auth workers)
chgrp dovecot "$MA_DIR/passwd-file"
chmod 0640 "$MA_DIR/passwd-file"
ma_dovecot_start "passdb {
  driver = passwd-file
  args = scheme=CRYPT username_format=%u $MA_DIR/passwd-file
}"
printf '   %-34s' "jdoe@example.com, 1 client:";   drive "$N" 1 jdoe@example.com "$PW"
printf '   %-34s' "jdoe@example.com, 4 clients:";  drive "$N" 4 jdoe@example.com "$PW"
ma_dovecot_stop

# Failures through Dovecot are released in batches (auth failure timer,
# up to 0.5 s), which hides anything the module does; so the latency of
# unknown against wrong is measured at the PAM level too, with the same
# stack Dovecot runs: `mailacct test` (one process per login: pam_start,
# config, secrets, resolve, crypt, acct_mgmt, pam_end).
echo "-- failure latency, PAM alone (mailacct test --pam-dir, one process per login), medians"
cat >"$MA_DIR/pamlat.py" <<'EOF'
import statistics, subprocess, sys, time
m, pamdir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cases = [("wrong password (jdoe)", "jdoe", "wrong"),
         ("unknown user (nobody)", "nobody", "wrong"),
         ("ambiguous (user)", "user", "wrong"),
         ("domain not hosted", "jdoe@elsewhere.net", "wrong"),
         ("good password (jdoe)", "jdoe", "jdoe-Secret1")]
t = {c[0]: [] for c in cases}
# interleaved, so that drift (frequency, cache) falls on every case alike
for _ in range(n):
    for what, login, pw in cases:
        t0 = time.perf_counter()
        subprocess.run([m, "test", "--pam-dir", pamdir, "--service", "imap", login], input=pw + "\n",
                       capture_output=True, text=True)
        t[what].append(time.perf_counter() - t0)
for what, _, _ in cases:
    print("   %-34s %6.2f ms  (N=%d)" % (what + ":", statistics.median(t[what]) * 1000, n))
EOF
/usr/bin/python3 "$MA_DIR/pamlat.py" "$BUILD/mailacct" "$MA_DIR/pam.d" "$N"

echo "-- failure latency through Dovecot (pam_mailacct; includes the failure batching), medians"
ma_dovecot_start
printf '   %-34s' "wrong password (jdoe), 1 client:"; drive $((N / 4)) 1 jdoe wrong
printf '   %-34s' "unknown user (nobody), 1 client:"; drive $((N / 4)) 1 nobody wrong
ma_dovecot_stop
