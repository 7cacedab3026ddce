#!/usr/bin/python3
"""Copies of a secret left in a process's memory at its exit.

Usage: memsearch.py SHIM SECRET stdin|nostdin COMMAND...

Runs COMMAND with the LD_PRELOAD shim stop_at_exit.so (it stops the process
as it exits), the secret and a newline on its standard input (stdin) or
nothing (nostdin); once stopped, reads every readable mapping through
/proc/PID/mem and counts the secret. Root reads a process whether it is
dumpable or not: the test is that no copy is left. Prints
"copies=N exit=STATUS" ("copies=never-stopped" when it did not stop within
60 s); each copy found is shown on stderr with its mapping and what
surrounds it. Used by tests/hardening/memory.sh and the directory suites.
"""
import os
import re
import signal
import subprocess
import sys
import time

shim, secret, mode, cmd = sys.argv[1], sys.argv[2].encode(), sys.argv[3], sys.argv[4:]
env = dict(os.environ, LD_PRELOAD=shim, STOP_AT_EXIT="1")
p = subprocess.Popen(cmd, stdin=subprocess.PIPE if mode == "stdin" else subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
if mode == "stdin":
    p.stdin.write(secret + b"\n")
    p.stdin.close()
state, deadline = "", time.time() + 60
while time.time() < deadline:
    with open(f"/proc/{p.pid}/stat") as f:
        state = f.read().rsplit(")", 1)[1].split()[0]
    if state in ("T", "t", "Z"):
        break
    time.sleep(0.01)
if state not in ("T", "t"):
    p.kill()
    p.wait()
    print(f"copies=never-stopped exit={p.returncode}")
    sys.exit(0)
copies = 0
with open(f"/proc/{p.pid}/maps") as maps, open(f"/proc/{p.pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        lo, hi, perm = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        if "r" not in perm or "[vvar]" in line or "[vsyscall]" in line:
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except OSError:
            continue
        copies += data.count(secret)
        if secret in data:
            i = data.index(secret)
            sys.stderr.write("FOUND in %s at +%x: %r\n" % (line.strip(), i, data[max(0, i - 64):i + 48]))
os.kill(p.pid, signal.SIGCONT)
p.wait()
print(f"copies={copies} exit={p.returncode}")
