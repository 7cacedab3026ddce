#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench-incremental`: incremental `mailacct sync` (RFC 4533 refreshOnly,
issue 16) of N entries from Debian's slapd with syncprov on loopback, and
what a lookup costs with a delta beside the index (not part of make check;
root, as the tests).

For each N in $BENCH_INCR_N (default "100000"): an OpenLDAP-shaped directory
of N mailboxes (inetOrgPerson: mail, two uid values; cached in
$BENCH_DATA/ldap-incr-N) loaded with slapadd into a slapd with syncprov
(session log 30,000), over ldaps:// with a test CA. Then, in order:

  full       the first sync (no store: a full pull, the cookies taken)
  1, 100     that many entries given one more uid (an alias: one key each)
  10,000     as many: the delta would pass its limit, the index is rebuilt
  9,900      as many again (a delta of about 10,000 keys)

each followed by `mailacct sync`: wall time, the bytes of the files it wrote (the store, the delta, the index when
rebuilt), the summary and delta lines. Then `mailacct sync --watch` runs,
and 5 times an entry gets one more uid: the seconds from the ldapmodify to
`getent passwd` of the new uid answering (glibc NSS, libnss_mailacct, in a
mount namespace with its own nsswitch.conf).

After the full sync (no delta) and after the 1, 100 and 9,900 runs (a delta of
1, 101 and 9,900 keys), the steady cost of a getpwnam hit and miss through
libnss_mailacct.so.2 with the delta as it stands, side by side with Debian's
libnss-cache holding the same N entries (passwd.cache: for each mailbox the
very line mailacct answers, and nsscache's .ixname/.ixuid indexes, built by
peers.py; the module runs in a mount namespace of its own, peer-ns.sh). One
harness for both (bench/nss_bench steady), both in a mount namespace, the same
hit names (primary addresses drawn over the whole directory: the only name
libnss-cache knows) and the same misses, both modules' files read once before
each measurement. BENCH_INCR_ROUNDS (5) rounds alternate mailacct,
libnss-cache, mailacct, ... each round a fresh process per module starting at
the same place in the name files; the table shows the medians and the ratio
mailacct / libnss-cache. The delta's keys are the sync's own count; its file is
checked unchanged (inode, size, mtime) after the measurement and mapped by
the module (nss_bench check).

Environment: BUILD (absolute), BENCH_INCR_N, BENCH_DATA, BENCH_INCR_ROUNDS (5),
BENCH_BUDGET_MS (300 per kind of lookup and process), BENCH_MAX (200000).
"""

import os
import random
import re
import shutil
import subprocess
import sys
import statistics
import time

from peers import find_lib, in_namespace, machine, nsscache_files, parse_kv, run_cmd, say, verify_nsscache_index

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
MAILACCT = os.path.join(BUILD, "mailacct")
MODULE = os.path.join(BUILD, "libnss_mailacct.so.2")
BENCH = os.path.join(BUILD, "nss_bench")
CACHE_LIB = find_lib("libnss_cache.so.2")
ROUNDS = int(os.environ.get("BENCH_INCR_ROUNDS", "5"))
BUDGET_MS = int(os.environ.get("BENCH_BUDGET_MS", "300"))
MAX_LOOKUPS = int(os.environ.get("BENCH_MAX", "200000"))
N_HITS = 20000
DATA = os.environ.get("BENCH_DATA", os.path.join(ROOT, "build", "bench-data"))
LIB = os.path.join(ROOT, "tests", "ldap", "lib.sh")
ROOTDN, ROOTPW = "cn=admin,dc=example,dc=com", "rootsecret-not-a-mail-password"
DOMAINS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


def sh(script, **env):
    e = dict(os.environ, **{k: str(v) for k, v in env.items()})
    return subprocess.run(["bash", "-c", "SUITE=bench-incr; . %s; %s" % (LIB, script)], env=e, check=True,
                          stdout=subprocess.PIPE, text=True).stdout


def slapd_env():
    return dict(SLAPD_SIZELIMIT="unlimited", SLAPD_MAXSIZE=str(8 << 30), SLAPD_SYNCPROV="1",
                SLAPD_SESSIONLOG="30000")


def prepare(n):
    d = os.path.join(DATA, "ldap-incr-%d" % n)
    if os.path.exists(os.path.join(d, "ready")):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "s1", "db"))
    os.chmod(d, 0o755)
    ldif = os.path.join(d, "entries.ldif")
    with open(ldif, "w", buffering=1 << 20) as f:
        for i in range(n):
            dom = DOMAINS[i % 8] + ".example"
            f.write("dn: uid=u%d,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: u%d\n"
                    "uid: nick%d\ncn: User %d\nsn: %d\nmail: user%d@%s\n\n" % (i, i, i, i, i, i, dom))
    sh('T=%s; ldap_certs "$T" test; printf "%%s\\n" "$SVC_PW" >"$T/bind.pw"; chmod 0600 "$T/bind.pw"; '
       'slapd_conf s1 openldap; base_ldif openldap | slapadd -q -f "$T/s1/slapd.conf"' % d, **slapd_env())
    subprocess.run(["slapadd", "-q", "-f", os.path.join(d, "s1", "slapd.conf"), "-l", ldif], check=True)
    os.unlink(ldif)
    open(os.path.join(d, "ready"), "w").close()
    return d


def config(d, port):
    site = os.path.join(d, "site")
    shutil.rmtree(site, ignore_errors=True)
    os.makedirs(site)
    conf = os.path.join(site, "mailacct.conf")
    doms = ", ".join('{ name = "%s.example"; }' % x for x in DOMAINS)
    with open(conf, "w") as f:
        f.write('index = "mailacct.idx";\ndefault_domain = "alpha.example";\n')
        f.write('defaults = { uid = 5000; gid = 5000; home = "/var/mail/%d/%n"; };\n')
        f.write('domains = ( %s );\n' % doms)
        f.write('ldap = {\n  uri = [ "ldaps://127.0.0.1:%d" ];\n  base = "dc=example,dc=com";\n' % port)
        f.write('  schema = "openldap";\n  bind_dn = "cn=mailacct,ou=services,dc=example,dc=com";\n')
        f.write('  bind_password_file = "%s/bind.pw";\n  tls_ca = "%s/test-ca.pem";\n' % (d, d))
        f.write('  timeout = 60;\n};\n')
    os.chmod(conf, 0o644)
    return conf, site


def modify(d, port, ids, tag):
    """One more uid for each entry of ids, as the rootdn, in one ldapmodify."""
    path = os.path.join(d, "mods.ldif")
    with open(path, "w") as f:
        for i in ids:
            f.write("dn: uid=u%d,ou=people,dc=example,dc=com\nchangetype: modify\nadd: uid\nuid: %s%d\n\n"
                    % (i, tag, i))
    subprocess.run(["ldapmodify", "-x", "-c", "-D", ROOTDN, "-w", ROOTPW, "-H", "ldaps://127.0.0.1:%d" % port,
                    "-f", path], env=dict(os.environ, LDAPTLS_CACERT=os.path.join(d, "test-ca.pem")),
                   stdout=subprocess.DEVNULL, check=True)


def run_sync(conf, site):
    t0 = time.time()
    p = subprocess.Popen([MAILACCT, "-c", conf, "sync"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit("mailacct sync failed (%d): %s %s" % (p.returncode, out, err[-2000:]))
    written = 0
    for name in ("mailacct.idx", "mailacct.idx.ldap", "mailacct.idx.delta"):
        path = os.path.join(site, name)
        if os.path.exists(path) and os.stat(path).st_mtime >= t0 - 0.01:
            written += os.path.getsize(path)
    return wall, written, out.strip().replace("\n", "; ")


def mailbox(i):
    return "user%d@%s.example" % (i, DOMAINS[i % 8])


def passwd_line(i):
    """What mailacct answers for mailbox i (the defaults of config())."""
    dom = DOMAINS[i % 8] + ".example"
    return "user%d@%s:x:5000:5000:User %d:/var/mail/%s/user%d:/usr/sbin/nologin" % (i, dom, i, dom, i)


def nsscache_peer(d, n):
    """libnss-cache's files for the same n mailboxes (peer-ns.sh's layout:
    PEERDIR/cache/passwd.cache{,.ixname,.ixuid}): for each one the line
    mailacct answers for it (checked against the module before timing)."""
    peers = os.path.join(d, "peers")
    shutil.rmtree(peers, ignore_errors=True)
    os.makedirs(os.path.join(peers, "cache"))
    passwd = os.path.join(peers, "passwd")
    with open(passwd, "w", buffering=1 << 20) as f:
        for i in range(n):
            f.write(passwd_line(i) + "\n")
    nsscache_files(passwd, os.path.join(peers, "cache"))
    return peers


def name_files(d, n):
    """The same hits (primary addresses, drawn over the whole directory)
    and misses (plausible addresses in a hosted domain) for both modules."""
    rnd = random.Random(7)
    hits, misses = os.path.join(d, "lookup-hits"), os.path.join(d, "lookup-misses")
    drawn = [rnd.randrange(n) for _ in range(N_HITS)]
    with open(hits, "w") as f:
        f.write("".join(mailbox(i) + "\n" for i in drawn))
    with open(misses, "w") as f:
        f.write("".join("nobody%d@alpha.example\n" % i for i in range(N_HITS)))
    return hits, misses, drawn


def warm(paths):
    """Every file both modules read, read once (the same for both)."""
    for p in paths:
        if os.path.exists(p):
            with open(p, "rb") as f:
                while f.read(1 << 20):
                    pass


def delta_stat(site):
    try:
        st = os.stat(os.path.join(site, "mailacct.idx.delta"))
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def checked(cmd, env, label, want):
    """nss_bench check of one module: the hit's answer must be the line want."""
    r = run_cmd(cmd, env)
    lines = (r.stdout + r.stderr).splitlines()
    if r.returncode != 0 or not any(line.strip().endswith("-> " + want) for line in lines):
        sys.exit("bench-incremental: setup check of %s FAILED (want %s):\n%s" % (label, want, "\n".join(lines)))
    return r.stdout


def lookups(conf, site, peers, hits, misses, drawn, delta_keys, changed):
    """Rounds alternating mailacct and libnss-cache, the same names for
    both; the medians, with the delta that was in place."""
    os.sync()  # the sync's writeback must not compete with the lookups
    files = [os.path.join(site, "mailacct.idx"), os.path.join(site, "mailacct.idx.delta")]
    files += [os.path.join(peers, "cache", "passwd.cache" + x) for x in ("", ".ixname", ".ixuid")]
    before = delta_stat(site)
    if (before is None) != (delta_keys == 0):
        sys.exit("bench-incremental: the sync reported %d delta keys but the delta file is %s"
                 % (delta_keys, "absent" if before is None else "there"))
    hit0, miss0 = mailbox(drawn[0]), "nobody0@alpha.example"
    want = passwd_line(drawn[0])
    menv = dict(os.environ, MAILACCT_CONF=conf)
    mpre, cpre = in_namespace("none", peers), in_namespace("cache", peers)
    out = checked(mpre + [BENCH, "check", MODULE, "mailacct", hit0, miss0, "-"], menv, "mailacct", want)
    if before is not None and "mapped: " + os.path.realpath(files[1]) not in out:
        sys.exit("bench-incremental: mailacct did not map its delta %s:\n%s" % (files[1], out))
    checked(cpre + [BENCH, "check", CACHE_LIB, "cache", hit0, miss0, "-"], None, "libnss-cache", want)
    if not verify_nsscache_index(BENCH, cpre, CACHE_LIB, hit0, miss0, "5000"):
        sys.exit("bench-incremental: libnss-cache did not use its index: its figures would be a linear scan's")
    warm(files)
    res = {"mailacct": {"hit_ns": [], "miss_ns": []}, "cache": {"hit_ns": [], "miss_ns": []}}
    for rnd in range(ROUNDS):
        start = str(rnd * 4099 + 7)  # the same place in the name files for both
        for who, cmd, env in (("mailacct", mpre + [BENCH, "steady", MODULE, "mailacct"], menv),
                              ("cache", cpre + [BENCH, "steady", CACHE_LIB, "cache"], None)):
            r = run_cmd(cmd + [hits, misses, "-", str(BUDGET_MS), str(MAX_LOOKUPS), start], env)
            kv = parse_kv(r.stdout)
            if r.returncode != 0 or "hit_ns" not in kv:
                sys.exit("bench-incremental: %s steady lookups FAILED: %s %s" % (who, r.stdout, r.stderr[-1000:]))
            for k in ("hit_ns", "miss_ns"):
                res[who][k].append(float(kv[k]))
    after = delta_stat(site)
    if after != before:
        sys.exit("bench-incremental: the delta changed during the lookups (%s -> %s)" % (before, after))
    share = sum(1 for i in drawn if i in changed) / len(drawn)
    say("    lookups with a delta of %d keys (%s bytes; %.1f %% of the hits changed since the base), per round: "
        "hit ns mailacct %s, libnss-cache %s; miss ns mailacct %s, libnss-cache %s"
        % (delta_keys, format(before[1] if before else 0, ","), 100.0 * share,
           "/".join("%.0f" % x for x in res["mailacct"]["hit_ns"]),
           "/".join("%.0f" % x for x in res["cache"]["hit_ns"]),
           "/".join("%.0f" % x for x in res["mailacct"]["miss_ns"]),
           "/".join("%.0f" % x for x in res["cache"]["miss_ns"])))
    med = {who: {k: statistics.median(v) for k, v in d.items()} for who, d in res.items()}
    return {"keys": delta_keys, "bytes": before[1] if before else 0, "share": share, "med": med}


def delta_keys_of(summary):
    m = re.search(r"delta: (\d+) keys", summary)
    return int(m.group(1)) if m else 0


def ratio(a, b):
    """a / b with three significant digits, and 1/k when a is the cheaper."""
    if b <= 0 or a <= 0:
        return "-"
    r = a / b
    return "%.3g" % r if r >= 1 else "%.3g (1/%.0f)" % (r, 1 / r)


WATCH_ROUNDS = 5


def watch_times(d, port, conf, site, n, stamp):
    """`mailacct sync --watch` running: from an LDAP modify (one more uid for
    one entry, the ldapmodify's own time included) to `getent passwd` of the
    new uid answering, through glibc NSS with libnss_mailacct in a private
    mount namespace (nsswitch.conf bound over /etc's). Seconds, per round."""
    nss = os.path.join(d, "nsswitch.conf")
    with open(nss, "w") as f:
        f.write("passwd: files mailacct\ngroup: files\nshadow: files\nhosts: files\n")
    out, err = os.path.join(site, "watch.out"), os.path.join(site, "watch.err")
    w = subprocess.Popen([MAILACCT, "-c", conf, "sync", "--watch"], stdout=open(out, "w"), stderr=open(err, "w"))
    times = []
    try:
        # its first run done and its persistent searches open
        for _ in range(1200):
            if open(out).read().count("sync:") >= 1:
                break
            if w.poll() is not None:
                sys.exit("mailacct sync --watch ended: %s" % open(err).read()[-2000:])
            time.sleep(0.1)
        time.sleep(1.0)
        rnd = random.Random(n + 7)
        for k in range(WATCH_ROUNDS):
            i = rnd.randrange(n)
            tag = "w%d-%d-" % (k, stamp)
            wait = ("mount --make-rprivate / && mount --bind %s /etc/nsswitch.conf && "
                    "export LD_LIBRARY_PATH=%s MAILACCT_CONF=%s && "
                    "i=0; until getent passwd %s%d >/dev/null; do i=$((i+1)); [ $i -lt 6000 ] || exit 1; "
                    "sleep 0.005; done" % (nss, BUILD, conf, tag, i))
            t0 = time.time()
            modify(d, port, [i], tag)
            r = subprocess.run(["unshare", "--mount", "sh", "-c", wait])
            t = time.time() - t0
            if r.returncode != 0:
                sys.exit("getent passwd %s%d did not answer within 30 s: %s" % (tag, i, open(err).read()[-2000:]))
            times.append(t)
            say("  --watch round %d: %.2f s from the ldapmodify to getent answering" % (k + 1, t))
            time.sleep(0.5)
    finally:
        w.terminate()
        w.wait()
    return times


def main():
    if os.geteuid() != 0:
        sys.exit("bench-incremental: needs root (slapd and mailacct run as the tests run them; libnss-cache reads "
                 "/etc/passwd.cache, bind-mounted in a private mount namespace)")
    if not os.access(BENCH, os.X_OK):
        sys.exit("bench-incremental: %s missing: run `make bench-incremental`" % BENCH)
    if CACHE_LIB is None:
        sys.exit("bench-incremental: libnss_cache.so.2 not found, the lookups are compared with it: "
                 "apt-get install -y libnss-cache")
    ns = [int(x) for x in os.environ.get("BENCH_INCR_N", "100000").split()]
    say("bench-incremental: machine: %s; %s" % (machine(), MAILACCT))
    say("lookups: bench/nss_bench steady for both modules, %d rounds alternating mailacct and libnss-cache, "
        "each kind of lookup for %d ms or %d lookups per process; medians over the rounds"
        % (ROUNDS, BUDGET_MS, MAX_LOOKUPS))
    for n in ns:
        d = prepare(n)
        peers = nsscache_peer(d, n)
        hits, misses, drawn = name_files(d, n)
        port = int(sh("free_port").strip())
        slapd = subprocess.Popen(["slapd", "-f", os.path.join(d, "s1", "slapd.conf"), "-h",
                                  "ldaps://127.0.0.1:%d/" % port, "-d", "0"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        rows, looks = [], []
        try:
            for _ in range(200):
                if subprocess.run(["ldapsearch", "-x", "-H", "ldaps://127.0.0.1:%d" % port, "-s", "base", "-b", ""],
                                  env=dict(os.environ, LDAPTLS_CACERT=os.path.join(d, "test-ca.pem")),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
                    break
                time.sleep(0.1)
            conf, site = config(d, port)
            t_run = time.time()
            wall, written, summary = run_sync(conf, site)
            rows.append(("full (first sync)", wall, written, summary))
            say("  N=%d %s: %.2f s, %d bytes written: %s" % (n, rows[-1][0], wall, written, summary))
            looks.append(("after the full sync", lookups(conf, site, peers, hits, misses, drawn, 0, set())))
            rnd = random.Random(n)
            changed = set()  # mailboxes changed since the base index was written
            for k, tag in ((1, "a"), (100, "b"), (10000, "c"), (9900, "d")):
                ids = rnd.sample(range(n), min(k, n))
                # values of this run's own: the cached directory keeps the last run's
                modify(d, port, ids, "%s%d-%d-" % (tag, k, int(t_run)))
                wall, written, summary = run_sync(conf, site)
                rows.append(("%s changes" % format(k, ","), wall, written, summary))
                say("  N=%d %s: %.2f s, %d bytes written: %s" % (n, rows[-1][0], wall, written, summary))
                keys = delta_keys_of(summary)
                changed = changed | set(ids) if keys else set()
                if k != 10000:
                    looks.append(("after %s change%s" % (format(k, ","), "" if k == 1 else "s"),
                                  lookups(conf, site, peers, hits, misses, drawn, keys, changed)))
            wtimes = watch_times(d, port, conf, site, n, int(t_run))
        finally:
            slapd.terminate()
            slapd.wait()
        say("\nN = %s\n" % format(n, ","))
        say("| run | wall | bytes written | what the sync said |")
        say("|---|---|---|---|")
        for label, wall, written, summary in rows:
            say("| %s | %.2f s | %s | %s |" % (label, wall, format(written, ","), summary))
        say("\n`sync --watch`, N = %s: from an LDAP modify to `getent passwd` answering the new uid: median %.2f s, "
            "max %.2f s over %d rounds (%s)" % (format(n, ","), sorted(wtimes)[len(wtimes) // 2], max(wtimes),
                                                 len(wtimes), ", ".join("%.2f" % t for t in wtimes)))
        say("\nLookups, N = %s mailboxes in both modules; %s" % (format(n, ","), machine()))
        say("(median ns per getpwnam over %d rounds alternating the modules; × = mailacct / libnss-cache; "
            "delta keys: in place while timed, the sync's count; hits in delta: the share of hit names "
            "changed since the base index)\n" % ROUNDS)
        say("| when | delta keys | delta bytes | hits in delta | mailacct hit | libnss-cache hit | hit × "
            "| mailacct miss | libnss-cache miss | miss × |")
        say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, r in looks:
            m, c = r["med"]["mailacct"], r["med"]["cache"]
            say("| %s | %s | %s | %.1f %% | %.0f | %.0f | %s | %.0f | %.0f | %s |"
                % (label, format(r["keys"], ","), format(r["bytes"], ","), 100.0 * r["share"], m["hit_ns"],
                   c["hit_ns"], ratio(m["hit_ns"], c["hit_ns"]), m["miss_ns"], c["miss_ns"],
                   ratio(m["miss_ns"], c["miss_ns"])))


main()
