#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench-sync`: a full `mailacct sync` of N entries from Debian's slapd on
loopback (not part of make check; root, as the tests).

For each N in $BENCH_SYNC_N (default "100000 1000000"): an AD-shaped
directory of N mailboxes (bench/gen-ldap.py, schema tests/ldap/ad.schema)
loaded with slapadd into a slapd of the benchmark's own (both cached in
$BENCH_DATA/ldap-N), served over ldaps:// with a test CA on 127.0.0.1, and
`mailacct sync` run twice: the first sync (no store yet: everything added)
and a second one (nothing changed). Per run: wall time, peak RSS of the
mailacct process (ru_maxrss of the child), its CPU time, entries per second,
and slapd's CPU over the same wall time (its share of the 2 cores' time and
of one core). The index's and the store's sizes. Targets (issue 13): 1,000,000
entries in at most 60 s and 1 GiB.

Environment: BUILD (absolute, with mailacct), BENCH_SYNC_N, BENCH_DATA,
BENCH_PAGE_SIZE (1000).
"""

import os
import resource
import shutil
import subprocess
import sys
import time

from peers import machine

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
MAILACCT = os.path.join(BUILD, "mailacct")
DATA = os.environ.get("BENCH_DATA", os.path.join(ROOT, "build", "bench-data"))
PAGE = int(os.environ.get("BENCH_PAGE_SIZE", "1000"))
LIB = os.path.join(ROOT, "tests", "ldap", "lib.sh")
TICK = os.sysconf("SC_CLK_TCK")


def sh(script, **env):
    """Runs a bash snippet with tests/ldap/lib.sh sourced."""
    e = dict(os.environ, **{k: str(v) for k, v in env.items()})
    return subprocess.run(["bash", "-c", "SUITE=bench-sync; . %s; %s" % (LIB, script)], env=e, check=True,
                          stdout=subprocess.PIPE, text=True).stdout


def cpu_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def prepare(n):
    d = os.path.join(DATA, "ldap-%d" % n)
    ready = os.path.join(d, "ready")
    if os.path.exists(ready):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "s1", "db"))
    os.chmod(d, 0o755)
    ldif = os.path.join(d, "entries.ldif")
    t0 = time.time()
    subprocess.run([sys.executable, os.path.join(HERE, "gen-ldap.py"), str(n), ldif], check=True)
    t1 = time.time()
    # the suites' helpers: certificates, slapd.conf (AD schema, no size
    # limit, room for the database), the base entries
    sh('T=%s; ldap_certs "$T" test; printf "%%s\\n" "$SVC_PW" >"$T/bind.pw"; chmod 0600 "$T/bind.pw"; '
       'slapd_conf s1 ad; base_ldif ad | slapadd -q -f "$T/s1/slapd.conf"' % d,
       SLAPD_SIZELIMIT="unlimited", SLAPD_MAXSIZE=str(16 << 30))
    subprocess.run(["slapadd", "-q", "-f", os.path.join(d, "s1", "slapd.conf"), "-l", ldif], check=True)
    t2 = time.time()
    os.unlink(ldif)
    print("  ldap-%d: generated in %.0f s, slapadd in %.0f s" % (n, t1 - t0, t2 - t1), flush=True)
    open(ready, "w").close()
    return d


def config(d, port):
    site = os.path.join(d, "site")
    shutil.rmtree(site, ignore_errors=True)
    os.makedirs(site)
    domains = ", ".join('{ name = "%s.example"; aliases = [ "%s.example.org" ]; }' % (x, x)
                        for x in ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"])
    conf = os.path.join(site, "mailacct.conf")
    with open(conf, "w") as f:
        f.write('index = "mailacct.idx";\n')
        f.write('default_domain = "alpha.example";\n')
        f.write('defaults = { uid = 5000; gid = 5000; home = "/var/mail/%%d/%%n"; };\n')
        f.write('domains = ( { name = "example.com"; netbios = "EXAMPLE"; }, %s );\n' % domains)
        f.write('ldap = {\n  uri = [ "ldaps://127.0.0.1:%d" ];\n  base = "dc=example,dc=com";\n' % port)
        f.write('  schema = "ad";\n  bind_dn = "cn=mailacct,ou=services,dc=example,dc=com";\n')
        f.write('  bind_password_file = "%s/bind.pw";\n  tls_ca = "%s/test-ca.pem";\n' % (d, d))
        f.write('  page_size = %d;\n  timeout = 30;\n};\n' % PAGE)
    os.chmod(conf, 0o644)
    return conf, site


def run_sync(conf, slapd_pid):
    s0, t0 = cpu_of(slapd_pid), time.time()
    p = subprocess.Popen([MAILACCT, "-c", conf, "sync"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.time() - t0
    out, err = p.stdout.read(), p.stderr.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("mailacct sync failed (%d): %s %s" % (p.returncode, out, err[-2000:]))
    return {"wall": wall, "rss_mib": ru.ru_maxrss / 1024, "cpu": ru.ru_utime + ru.ru_stime,
            "slapd_cpu": cpu_of(slapd_pid) - s0, "summary": out.strip()}


def main():
    if os.geteuid() != 0:
        sys.exit("bench-sync: needs root (slapd and mailacct run as the tests run them)")
    ns = [int(x) for x in os.environ.get("BENCH_SYNC_N", "100000 1000000").split()]
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    print("bench-sync: %s, %.0f GiB; page_size %d; %s" % (machine(), mem, PAGE, MAILACCT), flush=True)
    rows = []
    for n in ns:
        d = prepare(n)
        port = int(sh("free_port").strip())
        slapd = subprocess.Popen(["slapd", "-f", os.path.join(d, "s1", "slapd.conf"), "-h",
                                  "ldaps://127.0.0.1:%d/" % port, "-d", "0"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if subprocess.run(["ldapsearch", "-x", "-H", "ldaps://127.0.0.1:%d" % port, "-s", "base", "-b", ""],
                                  env=dict(os.environ, LDAPTLS_CACERT=os.path.join(d, "test-ca.pem")),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
                    break
                time.sleep(0.1)
            conf, site = config(d, port)
            subprocess.run(["sync"])
            for label in ("first sync", "nothing changed"):
                r = run_sync(conf, slapd.pid)
                r.update(n=n, label=label, idx=os.path.getsize(os.path.join(site, "mailacct.idx")),
                         store=os.path.getsize(os.path.join(site, "mailacct.idx.ldap")))
                rows.append(r)
                print("  N=%d %s: %.1f s, %.0f MiB, %s" % (n, label, r["wall"], r["rss_mib"], r["summary"]),
                      flush=True)
        finally:
            slapd.terminate()
            slapd.wait()
    print()
    print("| N | run | wall | peak RSS (mailacct) | entries/s | mailacct CPU | slapd CPU (share of 2 cores) | index | store |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        share = r["slapd_cpu"] / (2 * r["wall"]) * 100
        print("| %s | %s | %.1f s | %.0f MiB | %s | %.1f s | %.1f s (%.0f%%) | %.0f MiB | %.0f MiB |" % (
            format(r["n"], ","), r["label"], r["wall"], r["rss_mib"], format(int(r["n"] / r["wall"]), ","),
            r["cpu"], r["slapd_cpu"], share, r["idx"] / (1 << 20), r["store"] / (1 << 20)))
    big = [r for r in rows if r["n"] >= 1000000 and r["label"] == "first sync"]
    for r in big:
        print("\ntarget at %s: wall %.1f s (<= 60 s: %s), peak RSS %.0f MiB (<= 1024 MiB: %s)" % (
            format(r["n"], ","), r["wall"], "met" if r["wall"] <= 60 else "NOT met", r["rss_mib"],
            "met" if r["rss_mib"] <= 1024 else "NOT met"))


main()
