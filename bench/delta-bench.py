#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench-delta`: what a lookup through the NSS module costs with a
delta index beside the index, without a directory server (issue 16's
target: a hit with a 10,000-key delta no more than 10% slower than with
none).

A synthetic directory of N mailboxes (bench/gen-directory.py, cached in
$BENCH_DATA/delta-N) is compiled; then, for each delta size K in
$BENCH_DELTA_K (default "100 9900"), a second configuration gives K random
mailboxes one more alias (one key each, in the bare-alias table: what an
incremental sync of K added uid values writes) and $BUILD/bench/delta_gen
writes the delta that turns the index into it. The rounds then alternate
(none, K1, K2, ... again, $BENCH_DELTA_ROUNDS times): each round puts that
delta beside the index (or none) and runs bench/nss_lookup.c in a fresh
process over 2,000 hits and 2,000 misses. Two kinds of hit: a bare alias
(the table the delta holds keys of; the names are not the delta's, as most
lookups are not) and a primary address; misses are absent addresses in
the default domain. The table shows the medians over the rounds.

Root (the delta's configuration is bound over the index's in a mount
namespace of its own, nothing of the host changes).

Environment: BUILD (absolute), BENCH_DELTA_N, BENCH_DELTA_K,
BENCH_DELTA_ROUNDS, BENCH_DATA.
"""

import os
import random
import re
import shutil
import statistics
import subprocess
import sys

from peers import machine

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
MAILACCT = os.path.join(BUILD, "mailacct")
MODULE = os.path.join(BUILD, "libnss_mailacct.so.2")
LOOKUP = os.path.join(BUILD, "bench", "nss_lookup")
DELTA_GEN = os.path.join(BUILD, "bench", "delta_gen")
DATA = os.environ.get("BENCH_DATA", os.path.join(ROOT, "build", "bench-data"))
LINE = re.compile(r'^  \{ address = "([^"]+)"; aliases = \[ "([^"]+)"')


def prepare(n):
    d = os.path.join(DATA, "delta-%d" % n)
    gen = os.path.join(HERE, "gen-directory.py")
    ready = os.path.join(d, "ready")
    if os.path.exists(ready) and os.path.getmtime(ready) >= os.path.getmtime(gen):
        return d
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    subprocess.run([sys.executable, gen, str(n), d], check=True, stdout=subprocess.DEVNULL)
    open(ready, "w").close()
    return d


def mailbox_lines(conf):
    with open(conf) as f:
        lines = f.readlines()
    return lines, [i for i, line in enumerate(lines) if LINE.match(line)]


def names(d, lines, mb, n):
    rnd = random.Random(7)
    bare, addr, miss = [os.path.join(d, x) for x in ("b-hits", "a-hits", "a-misses")]
    picks = rnd.sample(mb, min(2000, len(mb)))
    with open(bare, "w") as f:
        f.write("".join(LINE.match(lines[i]).group(2) + "\n" for i in picks))
    with open(addr, "w") as f:
        f.write("".join(LINE.match(lines[i]).group(1) + "\n" for i in picks))
    with open(miss, "w") as f:
        f.write("".join("nobody%d@alpha.example\n" % i for i in range(2000)))
    return bare, addr, miss


def make_delta(d, lines, mb, k, idx):
    """The delta of k mailboxes with one more alias each, as idx.delta-K."""
    out = os.path.join(d, "delta-k%d" % k)
    if os.path.exists(out):
        return out
    rnd = random.Random(k)
    changed = list(lines)
    for i in rnd.sample(mb, k):
        changed[i] = changed[i].replace('aliases = [ "', 'aliases = [ "xk%dn%d", "' % (k, i), 1)
    site = os.path.join(d, "site-k%d" % k)
    os.makedirs(site, exist_ok=True)
    conf = os.path.join(site, "mailacct.conf")
    with open(conf, "w") as f:
        f.writelines(changed)
    # the records name the file they come from: the changed file is read at
    # the path of the index's own (bound over it in a mount namespace of
    # its own: the index's file stays as its stamps say)
    res = subprocess.run(["unshare", "--mount", "sh", "-c", 'mount --make-rprivate / && mount --bind "$1" "$2" && '
                          'exec "$3" "$4" "$2"', "sh", conf, os.path.join(d, "mailacct.conf"), DELTA_GEN, idx],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    print("  delta of %d changed mailboxes: %s, %d bytes" % (k, res, os.path.getsize(idx + ".delta")), flush=True)
    os.rename(idx + ".delta", out)
    shutil.rmtree(site)
    return out


def main():
    n = int(os.environ.get("BENCH_DELTA_N", "100000"))
    ks = [int(x) for x in os.environ.get("BENCH_DELTA_K", "100 9900").split()]
    rounds = int(os.environ.get("BENCH_DELTA_ROUNDS", "7"))
    print("bench-delta: %s; %s; N=%d" % (machine(), MODULE, n), flush=True)
    d = prepare(n)
    conf = os.path.join(d, "mailacct.conf")
    idx = os.path.join(d, "mailacct.idx")
    if os.path.exists(idx + ".delta"):
        os.unlink(idx + ".delta")
    subprocess.run([MAILACCT, "-c", conf, "compile"], check=True, stdout=subprocess.DEVNULL)
    for name in os.listdir(d):
        if name.startswith("delta-k"):
            os.unlink(os.path.join(d, name))
    lines, mb = mailbox_lines(conf)
    bare, addr, miss = names(d, lines, mb, n)
    deltas = {0: None}
    for k in ks:
        deltas[k] = make_delta(d, lines, mb, k, idx)
    res = {k: {"bare": [], "addr": [], "miss": []} for k in deltas}
    for r in range(rounds):
        for k, path in deltas.items():
            if os.path.exists(idx + ".delta"):
                os.unlink(idx + ".delta")
            if path:
                shutil.copyfile(path, idx + ".delta")
            for kind, hits in (("bare", bare), ("addr", addr)):
                out = subprocess.run([LOOKUP, "steady", MODULE, conf, hits, miss], stdout=subprocess.PIPE, text=True,
                                     check=True).stdout
                v = dict(kv.split("=") for kv in out.split())
                res[k][kind].append(int(v["hit_ns"]))
                if kind == "bare":
                    res[k]["miss"].append(int(v["miss_ns"]))
        print("  round %d: %s" % (r + 1, "; ".join("%d: %d/%d/%d" % (k, res[k]["bare"][-1], res[k]["addr"][-1],
                                                                       res[k]["miss"][-1]) for k in deltas)),
              flush=True)
    if os.path.exists(idx + ".delta"):
        os.unlink(idx + ".delta")
    base = {kind: statistics.median(res[0][kind]) for kind in ("bare", "addr", "miss")}
    print("\nN = %s, medians of %d alternating rounds\n" % (format(n, ","), rounds))
    print("| delta | hit ns (bare alias) | hit ns (address) | miss ns |")
    print("|---|---|---|---|")
    for k in deltas:
        cells = []
        for kind in ("bare", "addr", "miss"):
            m = statistics.median(res[k][kind])
            cells.append("%.0f" % m if k == 0 else "%.0f (%+.1f%%)" % (m, 100.0 * (m - base[kind]) / base[kind]))
        print("| %s | %s |" % ("none" if k == 0 else "%s changes" % format(k, ","), " | ".join(cells)))


main()
