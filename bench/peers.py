# SPDX-License-Identifier: MIT
"""What the benchmarks share about the peer NSS modules: the machine line,
where a module lives, libnss-cache's files in nsscache's format and the
check that the module reads them through its index, and the command prefix
that runs a peer in its own mount namespace (peer-ns.sh). Used by
run-bench.py (`make bench`) and ldap-incremental.py (`make bench-incremental`)."""

import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def say(*a):
    print(*a, flush=True)


def find_lib(soname):
    """The file the dynamic linker would load for soname."""
    triplet = os.uname().machine + "-linux-gnu"
    for d in ("/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"):
        p = os.path.join(d, soname)
        if os.path.exists(p):
            return p
    return None


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gov = "n/a"
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") as f:
            gov = f.read().strip()
    except OSError:
        pass
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else "?"
    return "nproc %d, %s, kernel %s, %s, cpufreq governor %s" % (os.cpu_count(), model, os.uname().release,
                                                                 libc, gov)


def nsscache_index(entries, path):
    """The index format of libnss-cache (nss_cache.c _nss_cache_bsearch2),
    as nsscache's files cache writes it: one line per key, sorted by strcmp
    order, "KEY\\0OFFSET\\0" padded with NULs to one width, then "\\n"; OFFSET
    is the byte offset of the entry's line in passwd.cache."""
    entries.sort()
    width = max(len(k) for k, _ in entries) + max(len(o) for _, o in entries)
    with open(path + ".tmp", "wb") as f:
        f.write(b"".join(k + b"\0" + o + b"\0" + b"\0" * (width - len(k) - len(o)) + b"\n" for k, o in entries))
    os.rename(path + ".tmp", path)


def nsscache_files(passwd, out):
    """libnss-cache's passwd files in the folder out: passwd.cache (a hard
    link of passwd: the very same bytes) and its indexes .ixname and .ixuid,
    written after it because the module refuses an index older than
    passwd.cache."""
    cache = os.path.join(out, "passwd.cache")
    if os.path.lexists(cache):
        os.unlink(cache)
    os.link(passwd, cache)
    by_name, by_uid = [], []
    offset = 0
    with open(passwd, "rb") as f:
        for line in f:
            fields = line.split(b":", 3)
            pos = b"%d" % offset
            by_name.append((fields[0], pos))
            by_uid.append((fields[2], pos))
            offset += len(line)
    nsscache_index(by_name, cache + ".ixname")
    nsscache_index(by_uid, cache + ".ixuid")


def in_namespace(peer, peerdir):
    """The command prefix that runs a command in a private mount namespace
    with peer's files (peer-ns.sh: files, extrausers, cache, db, or none)."""
    return ["unshare", "--mount", os.path.join(HERE, "peer-ns.sh"), peer, peerdir]


def parse_kv(text):
    kv = {}
    for word in text.split():
        if "=" in word:
            k, v = word.split("=", 1)
            kv[k] = v
    return kv


def run_cmd(cmd, env=None, timeout=900):
    return subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def verify_nsscache_index(bench, prefix, lib, hit, miss, uid):
    """libnss-cache answers correctly without its index too (it falls back
    to a linear scan when the index is missing or older than passwd.cache):
    only the system calls tell. With the index it seeks to the entry's
    offset in passwd.cache; the scan never seeks."""
    if not shutil.which("strace"):
        say("  libnss-cache: index use not verified (apt-get install -y strace to verify it)")
        return True
    r = run_cmd(prefix + ["strace", "-qq", "-e", "trace=openat,lseek", bench, "check", lib, "cache", hit, miss, uid])
    opened = "passwd.cache.ixname" in r.stderr and "passwd.cache.ixuid" in r.stderr
    seeks = sum(1 for line in r.stderr.splitlines() if line.startswith("lseek(") and "SEEK_SET" in line)
    ok = r.returncode == 0 and opened and seeks >= 2
    say("  libnss-cache: index %s (strace: ixname and ixuid opened: %s, seeks into passwd.cache: %d)"
        % ("used" if ok else "NOT used", "yes" if opened else "no", seeks))
    return ok
