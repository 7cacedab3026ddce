#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench`: mailacct's NSS module against the peer NSS modules.

For each N in $BENCH_N: a synthetic directory of N mailboxes
(gen-directory.py, cached in $BENCH_DATA/nN), the same entries for
libnss_files, libnss_extrausers, libnss-cache and libnss_db, each peer in its
own private mount namespace (peer-ns.sh), and one table: first lookup in a
fresh process, resident memory it added, steady hit / miss / by-uid cost,
and each row's ratio to mailacct (the compiled index when `mailacct compile`
exists, else the configuration path). See bench/README.md.

Environment: BUILD (absolute build directory, with nss_bench, mailacct and,
when built, libnss_mailacct.so.2), BENCH_N, BENCH_DATA, BENCH_FIRST_RUNS (21),
BENCH_STEADY_RUNS (5), BENCH_BUDGET_MS (300 per kind of lookup and process),
BENCH_MAX (200000 lookups per kind and process), BENCH_ROW_BUDGET_S (30: a
row whose fresh processes are slow stops after this, with at least 3 first
runs and 1 steady run).
"""

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time

from peers import find_lib, in_namespace, machine, nsscache_files, parse_kv, run_cmd, say, \
    verify_nsscache_index

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Bump when the peers' files are built differently: cached ones are rebuilt.
PEER_FORMAT = "1"

# row label, NSS service name, soname, Debian package
PEERS = [
    ("libnss_files", "files", "libnss_files.so.2", "libc6"),
    ("libnss_extrausers", "extrausers", "libnss_extrausers.so.2", "libnss-extrausers"),
    ("libnss-cache", "cache", "libnss_cache.so.2", "libnss-cache"),
    ("libnss_db", "db", "libnss_db.so.2", "libnss-db"),
]
COLUMNS = ["first_us", "rss_kib", "hit_ns", "miss_ns", "uid_ns"]


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("run-bench: %s must be a number" % name)


FIRST_RUNS = env_int("BENCH_FIRST_RUNS", 21)
STEADY_RUNS = env_int("BENCH_STEADY_RUNS", 5)
BUDGET_MS = env_int("BENCH_BUDGET_MS", 300)
MAX_LOOKUPS = env_int("BENCH_MAX", 200000)
ROW_BUDGET_S = env_int("BENCH_ROW_BUDGET_S", 30)


def file_hash(*paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def read_stamp(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def write_stamp(path, value):
    with open(path, "w") as f:
        f.write(value + "\n")


def ensure_data(n, base):
    """The generated directory for n, regenerated only when the generator changed."""
    d = os.path.join(base, "n%d" % n)
    stamp = "gen=%s n=%d" % (file_hash(os.path.join(HERE, "gen-directory.py")), n)
    if read_stamp(os.path.join(d, "stamp")) != stamp:
        shutil.rmtree(d, ignore_errors=True)
        t = time.monotonic()
        subprocess.run([sys.executable, os.path.join(HERE, "gen-directory.py"), str(n), d], check=True)
        write_stamp(os.path.join(d, "stamp"), stamp)
        say("  generated %s in %.1f s" % (d, time.monotonic() - t))
    # The configuration path: the same file (a hard link: same inode, same
    # bytes) in a folder where the relative `index` names no file.
    cp = os.path.join(d, "config-path")
    os.makedirs(cp, exist_ok=True)
    link = os.path.join(cp, "mailacct.conf")
    if not os.path.exists(link) or not os.path.samefile(link, os.path.join(d, "mailacct.conf")):
        if os.path.lexists(link):
            os.unlink(link)
        os.link(os.path.join(d, "mailacct.conf"), link)
    return d


def ensure_peers(data, available):
    """Each peer's files, built once per generated directory."""
    p = os.path.join(data, "peers")
    stamp = "%s format=%s" % (read_stamp(os.path.join(data, "stamp")), PEER_FORMAT)
    if read_stamp(os.path.join(p, "stamp")) == stamp:
        return p
    t = time.monotonic()
    shutil.rmtree(p, ignore_errors=True)
    for sub in ("extrausers", "cache", "db", "etc"):
        os.makedirs(os.path.join(p, sub))
    passwd = os.path.join(data, "passwd")
    # Hard links: every peer reads the very same bytes.
    os.link(passwd, os.path.join(p, "passwd"))
    os.link(passwd, os.path.join(p, "extrausers", "passwd"))
    nsscache_files(passwd, os.path.join(p, "cache"))

    if "db" in available and shutil.which("makedb"):
        # Exactly what Debian's /var/lib/misc/Makefile (libnss-db) feeds
        # makedb for passwd: ".NAME", "=UID" and "0N" keys to each line.
        db = os.path.join(p, "db", "passwd.db")
        awk = subprocess.Popen(["awk", "BEGIN { FS=\":\"; OFS=\":\"; cnt=0 } /^[ \\t]*$/ { next } "
                                "/^[ \\t]*#/ { next } { printf \"0%u \", cnt++; print } "
                                "/^[^#]/ { printf \".%s \", $1; print; printf \"=%s \", $3; print }", passwd],
                               stdout=subprocess.PIPE)
        subprocess.run(["makedb", "--quiet", "-o", db + ".tmp", "-"], stdin=awk.stdout, check=True)
        awk.stdout.close()
        if awk.wait() != 0:
            sys.exit("run-bench: awk failed")
        os.rename(db + ".tmp", db)
    write_stamp(os.path.join(p, "stamp"), stamp)
    say("  built the peers' files in %s in %.1f s" % (p, time.monotonic() - t))
    return p


def first_lines(path, count):
    out = []
    with open(path) as f:
        for line in f:
            out.append(line.strip())
            if len(out) >= count:
                break
    return out


class Row:
    def __init__(self, label):
        self.label = label
        self.values = None  # dict of COLUMNS when measured
        self.note = "n/a"
        self.runs = ""


def measure(row, *args, **kwargs):
    try:
        measure_row(row, *args, **kwargs)
    except subprocess.TimeoutExpired as e:
        row.values = None
        row.note = "timed out after %d s" % e.timeout
        say("  %s: %s" % (row.label, row.note))


def measure_row(row, bench, prefix, env, lib, name, data, must_map=None):
    """check, then first runs, then steady runs of one module. must_map: a
    file the module must keep mapped after its lookups (mailacct's index),
    else the row would time something other than what its label says."""
    hits = first_lines(os.path.join(data, "hits"), 1000)
    miss = first_lines(os.path.join(data, "misses"), 1)[0]
    uid = first_lines(os.path.join(data, "uids"), 1)[0]

    r = run_cmd(prefix + [bench, "check", lib, name, hits[0], miss, uid], env)
    say("  check %s (%s):" % (row.label, lib))
    for line in (r.stdout + r.stderr).splitlines():
        say("  " + line)
    if r.returncode != 0:
        row.note = "setup check FAILED"
        return
    if name == "cache" and not verify_nsscache_index(bench, prefix, lib, hits[0], miss, uid):
        row.note = "setup check FAILED: libnss-cache did not use its index"
        return
    if must_map and "mapped: " + os.path.realpath(must_map) not in r.stdout:
        row.note = "n/a: the module did not map %s (it does not read the index yet)" % os.path.basename(must_map)
        say("  %s: %s" % (row.label, row.note))
        return

    firsts, rss = [], []
    start = time.monotonic()
    for i in range(FIRST_RUNS):
        key = hits[(i * 7919 + 17) % len(hits)]
        r = run_cmd(prefix + [bench, "first", lib, name, key], env)
        kv = parse_kv(r.stdout)
        if r.returncode != 0 or "first_ns" not in kv:
            row.note = "first lookup FAILED (%s)" % (kv.get("status") or r.stderr.strip()[:60])
            say("  %s: %s %s" % (row.label, r.stdout.strip(), r.stderr.strip()))
            return
        firsts.append(int(kv["first_ns"]) / 1000.0)
        rss.append(int(kv["rss_kib"]))
        if time.monotonic() - start > ROW_BUDGET_S and len(firsts) >= 3:
            break

    steady = {"hit_ns": [], "miss_ns": [], "uid_ns": []}
    lookups = 0
    start = time.monotonic()
    for i in range(STEADY_RUNS):
        r = run_cmd(prefix + [bench, "steady", lib, name, os.path.join(data, "hits"),
                              os.path.join(data, "misses"), os.path.join(data, "uids"), str(BUDGET_MS),
                              str(MAX_LOOKUPS), str(i * 15485863 + 7)], env)
        kv = parse_kv(r.stdout)
        if r.returncode != 0 or "hit_ns" not in kv:
            row.note = "steady lookups FAILED"
            say("  %s: %s %s" % (row.label, r.stdout.strip(), r.stderr.strip()))
            return
        for k in steady:
            steady[k].append(float(kv[k]))
        lookups += int(kv["hit_n"]) + int(kv["miss_n"]) + int(kv["uid_n"])
        if time.monotonic() - start > ROW_BUDGET_S:
            break
    row.values = {"first_us": statistics.median(firsts), "rss_kib": statistics.median(rss)}
    for k, v in steady.items():
        row.values[k] = statistics.median(v)
    row.runs = "%d/%d/%s" % (len(firsts), len(steady["hit_ns"]), human_count(lookups))


def human_count(v):
    if v >= 1000000:
        return "%.1fM" % (v / 1e6)
    if v >= 1000:
        return "%.0fk" % (v / 1e3)
    return str(v)


def fmt(v):
    if v is None:
        return "n/a"
    if v < 10:
        return "%.2f" % v
    if v < 100:
        return "%.1f" % v
    return "{:,.0f}".format(v)


def fmt_ratio(v, ref):
    if v is None or ref is None or ref <= 0:
        return "-"
    r = v / ref
    if r <= 0:
        return "0"
    if r < 0.1:
        # a peer far cheaper than the reference: "1/300" reads better than 0.00
        return "1/" + "{:,.0f}".format(1 / r)
    if r < 10:
        return "%.2f" % r
    return "{:,.0f}".format(r)


def print_table(n, meta, rows, ref):
    say("")
    say("N = %s mailboxes (%s)" % ("{:,}".format(n), meta))
    head = ["module", "first µs", "RSS KiB", "hit ns", "miss ns", "uid ns", "first×", "RSS×", "hit×", "miss×",
            "uid×", "runs"]
    measured = []
    for row in rows:
        if row.values is not None:
            cells = [row.label] + [fmt(row.values[c]) for c in COLUMNS]
            cells += [fmt_ratio(row.values[c], ref.values[c] if ref else None) for c in COLUMNS]
            measured.append(cells + [row.runs])
    widths = [max(len(t[i]) for t in [head] + measured) for i in range(len(head))]
    widths[0] = max(len(r.label) for r in rows)
    say("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(head)))
    for row in rows:
        if row.values is None:
            say("%s  %s" % (row.label.ljust(widths[0]), row.note))
            continue
        cells = measured.pop(0)
        say("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)))
    if ref:
        say("×: the row's value divided by %s's (how many times slower, or bigger; 1/k: k times less)."
            % ref.label)


def measure_baseline(build, bench, data):
    """An older build of mailacct (BENCH_BASELINE: its build folder), timed
    in the same run as this one: its own `mailacct compile` of the same
    configuration (a hard link in a folder of its own, so that the relative
    index names its own file), then the same rows' measurements."""
    row = Row("mailacct (index), baseline %s" % os.path.basename(os.path.dirname(os.path.abspath(build))))
    d = os.path.join(data, "baseline")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "mailacct.conf")
    if not os.path.exists(conf) or not os.path.samefile(conf, os.path.join(data, "mailacct.conf")):
        if os.path.lexists(conf):
            os.unlink(conf)
        os.link(os.path.join(data, "mailacct.conf"), conf)
    r = run_cmd([os.path.join(build, "mailacct"), "-c", conf, "compile"])
    if r.returncode != 0:
        row.note = "baseline compile FAILED"
        say("  baseline compile failed: %s" % r.stderr.strip()[:300])
        return row
    os.sync()
    measure(row, bench, [], dict(os.environ, MAILACCT_CONF=conf), os.path.join(build, "libnss_mailacct.so.2"),
            "mailacct", data, must_map=os.path.join(d, "mailacct.idx"))
    return row


def main():
    if os.geteuid() != 0:
        sys.exit("make bench needs root: each peer module reads its files from fixed paths (/etc/passwd, "
                 "/var/lib/extrausers, /etc/passwd.cache, /var/lib/misc), which the benchmark bind-mounts in "
                 "private mount namespaces (unshare --mount). Run it as root; nothing of the host is changed.")
    build = os.environ.get("BUILD")
    if not build or not os.path.isabs(build):
        sys.exit("run-bench: BUILD must be the absolute build directory (make bench sets it)")
    bench = os.path.join(build, "nss_bench")
    if not os.access(bench, os.X_OK):
        sys.exit("run-bench: %s missing: run `make bench`" % bench)
    for tool, pkg in (("unshare", "util-linux"), ("mount", "mount"), ("awk", "mawk")):
        if not shutil.which(tool):
            sys.exit("run-bench: %s is missing: apt-get install -y %s" % (tool, pkg))
    sizes = [int(x) for x in os.environ.get("BENCH_N", "1000 100000 1000000").split()]
    baseline = os.environ.get("BENCH_BASELINE")
    if baseline and not os.path.exists(os.path.join(baseline, "libnss_mailacct.so.2")):
        sys.exit("run-bench: BENCH_BASELINE=%s holds no libnss_mailacct.so.2 (bench/baseline.sh REV builds one)"
                 % baseline)
    base = os.environ.get("BENCH_DATA") or os.path.join(ROOT, "build", "bench-data")
    total = time.monotonic()

    say("machine: " + machine())
    available = {}
    for label, name, soname, pkg in PEERS:
        lib = find_lib(soname)
        if lib is None or (name == "db" and not shutil.which("makedb")):
            say("peer %s: not installed; to include it: apt-get install -y %s" % (label, pkg))
        else:
            available[name] = lib
    nss = os.path.join(build, "libnss_mailacct.so.2")
    mailacct = os.path.join(build, "mailacct")
    if not os.path.exists(nss):
        say("mailacct: %s not built yet: its rows are n/a" % nss)
    can_compile = False
    if os.access(mailacct, os.X_OK):
        r = run_cmd([mailacct, "--help"])
        can_compile = any(l.strip().startswith("compile") for l in r.stdout.splitlines())
    if not can_compile:
        say("mailacct: no `mailacct compile` in %s yet: the index row is n/a" % mailacct)
    say("settings: first lookup = median of %d fresh processes; steady = median over %d processes of the median "
        "batch, each kind of lookup for %d ms or %d lookups per process (a slow row stops after %d s: runs column "
        "= first runs/steady processes/lookups)" % (FIRST_RUNS, STEADY_RUNS, BUDGET_MS, MAX_LOOKUPS, ROW_BUDGET_S))

    for n in sizes:
        say("")
        say("== N = %d" % n)
        data = ensure_data(n, base)
        peers = ensure_peers(data, available)
        meta = dict(line.strip().split("=", 1) for line in open(os.path.join(data, "meta")) if "=" in line)
        rows = []

        index_row, config_row = Row("mailacct (index)"), Row("mailacct (configuration path)")
        conf = os.path.join(data, "mailacct.conf")
        idx = os.path.join(data, "mailacct.idx")
        # the peers' files were just written: their writeback must not
        # compete with the compile or the lookups (seen: PAM logins 12 ms
        # instead of 40 us right after a 1,000,000-mailbox set-up)
        os.sync()
        if can_compile:
            t = time.monotonic()
            r = run_cmd([mailacct, "-c", conf, "compile"])
            dt = time.monotonic() - t
            if r.returncode == 0 and os.path.exists(idx):
                say("  mailacct compile: %.2f s (%s, %s bytes)" % (dt, idx, "{:,}".format(os.path.getsize(idx))))
                os.sync()
                if os.path.exists(nss):
                    measure(index_row, bench, [], dict(os.environ, MAILACCT_CONF=conf), nss, "mailacct", data,
                            must_map=idx)
            else:
                index_row.note = "mailacct compile FAILED"
                say("  mailacct compile failed (exit %d): %s" % (r.returncode, r.stderr.strip()[:300]))
        if os.path.exists(nss):
            measure(config_row, bench, [], dict(os.environ, MAILACCT_CONF=os.path.join(data, "config-path",
                                                                                       "mailacct.conf")),
                    nss, "mailacct", data)
        rows += [index_row, config_row]
        if baseline:
            rows.append(measure_baseline(baseline, bench, data))

        for label, name, soname, pkg in PEERS:
            row = Row(label)
            rows.append(row)
            if name not in available:
                row.note = "n/a (apt-get install -y %s)" % pkg
                continue
            prefix = in_namespace(name, peers)
            measure(row, bench, prefix, None, available[name], name, data)

        # PAM resolution excluding the hash: the real module, resolve_only, through libpam
        pam_bench = os.path.join(build, "pam_resolve")
        pam_module = os.path.join(build, "pam_mailacct.so")
        if os.access(pam_bench, os.X_OK) and os.path.exists(pam_module) and os.path.exists(idx):
            r = run_cmd([pam_bench, pam_module, conf, os.path.join(data, "hits"), os.path.join(data, "misses"),
                         str(BUDGET_MS)])
            kv = parse_kv(r.stdout)
            if r.returncode == 0 and "pam_hit_ns" in kv:
                say("  PAM resolution through libpam (pam_start + pam_authenticate resolve_only + pam_end, index): "
                    "hit %s ns, miss %s ns per login" % (fmt(float(kv["pam_hit_ns"])), fmt(float(kv["pam_miss_ns"]))))
                say("  PAM resolution, the module's own work (pam_sm_authenticate resolve_only called directly): "
                    "hit %s ns, miss %s ns per login"
                    % (fmt(float(kv["module_hit_ns"])), fmt(float(kv["module_miss_ns"]))))
            else:
                say("  PAM resolution: FAILED: %s %s" % (r.stdout.strip()[:200], r.stderr.strip()[:200]))
        ref = index_row if index_row.values else (config_row if config_row.values else None)
        print_table(n, "%s domains, %s contacts; data %s" % (meta.get("domains"), meta.get("contacts"), data),
                    rows, ref)
    say("")
    say("make bench: %.0f s" % (time.monotonic() - total))


if __name__ == "__main__":
    main()
