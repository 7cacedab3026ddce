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
rebuilt), the summary and delta lines. After the full sync and after the
1, 100 and 9,900 runs, the NSS module's steady cost of a hit and a miss
(bench/nss_lookup.c: median ns per lookup over 2,000 names drawn from the
whole directory, in one process) with the delta as it stands.

Environment: BUILD (absolute), BENCH_INCR_N, BENCH_DATA.
"""

import os
import platform
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
MAILACCT = os.path.join(BUILD, "mailacct")
MODULE = os.path.join(BUILD, "libnss_mailacct.so.2")
LOOKUP = os.path.join(BUILD, "bench", "nss_lookup")
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
        f.write('defaults = { uid = 5000; gid = 5000; home = "/var/mail/%%d/%%n"; };\n')
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


def lookups(conf, n):
    rnd = random.Random(7)
    hits, misses = os.path.join(DATA, "incr-hits"), os.path.join(DATA, "incr-misses")
    with open(hits, "w") as f:
        for _ in range(2000):
            f.write("nick%d\n" % rnd.randrange(n))
    with open(misses, "w") as f:
        for i in range(2000):
            f.write("nobody%d@alpha.example\n" % i)
    out = subprocess.run([LOOKUP, "steady", MODULE, conf, hits, misses], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    return dict(kv.split("=") for kv in out.split())


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%d cores %s, kernel %s" % (os.cpu_count(), model, platform.release())


def main():
    if os.geteuid() != 0:
        sys.exit("bench-incremental: needs root (slapd and mailacct run as the tests run them)")
    if not os.path.exists(LOOKUP) or os.path.getmtime(LOOKUP) < os.path.getmtime(os.path.join(HERE, "nss_lookup.c")):
        os.makedirs(os.path.dirname(LOOKUP), exist_ok=True)
        subprocess.run(["cc", "-std=gnu11", "-O2", "-D_GNU_SOURCE", "-o", LOOKUP, os.path.join(HERE, "nss_lookup.c"),
                        "-ldl"], check=True)
    ns = [int(x) for x in os.environ.get("BENCH_INCR_N", "100000").split()]
    print("bench-incremental: %s; %s" % (machine(), MAILACCT), flush=True)
    for n in ns:
        d = prepare(n)
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
            looks.append(("none", lookups(conf, n)))
            rnd = random.Random(n)
            for k, tag in ((1, "a"), (100, "b"), (10000, "c"), (9900, "d")):
                ids = rnd.sample(range(n), min(k, n))
                # values of this run's own: the cached directory keeps the last run's
                modify(d, port, ids, "%s%d-%d-" % (tag, k, int(t_run)))
                wall, written, summary = run_sync(conf, site)
                rows.append(("%s changes" % format(k, ","), wall, written, summary))
                if k != 10000:
                    looks.append(("after %s changes" % format(k, ","), lookups(conf, n)))
                print("  N=%d %s: %.2f s, %d bytes written: %s" % (n, rows[-1][0], wall, written, summary), flush=True)
        finally:
            slapd.terminate()
            slapd.wait()
        print("\nN = %s\n" % format(n, ","))
        print("| run | wall | bytes written | what the sync said |")
        print("|---|---|---|---|")
        for label, wall, written, summary in rows:
            print("| %s | %.2f s | %s | %s |" % (label, wall, format(written, ","), summary))
        print("\n| delta | hit ns | miss ns |")
        print("|---|---|---|")
        for label, r in looks:
            print("| %s | %s | %s |" % (label, r.get("hit_ns"), r.get("miss_ns")))


main()
