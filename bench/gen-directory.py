#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a synthetic mail directory of N mailboxes for the benchmarks.

    bench/gen-directory.py N OUTDIR

OUTDIR/mailacct.conf   the directory in mailacct's schema (mailacct.conf(5))
OUTDIR/passwd          the same mailboxes as passwd lines for the peer NSS
                       modules: pw_name is the primary address (the canonical
                       name), uid/gid/gecos/home/shell as mailacct answers them
OUTDIR/hits, misses    login names that exist / do not exist, shuffled
OUTDIR/uids            uids of mailboxes, shuffled
OUTDIR/meta            counts, for the report

The mailboxes are spread over 8 domains, each with a NetBIOS name and one
domain alias. Every mailbox has one or two aliases, an NT account, a secondary
address and its own uid; a few aliases are shared by two mailboxes of
different (non-default) domains, so that bare-alias ambiguity exists as it
does in real directories; a few mailboxes have delegates; a few contacts.
Deterministic: the same N gives the same files.
"""

import os
import random
import sys

DOMAINS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
FIRST = ("james mary john patricia robert jennifer michael linda william elizabeth david barbara richard susan "
         "joseph jessica thomas sarah charles karen christopher lisa daniel nancy matthew betty anthony margaret "
         "mark sandra donald ashley steven kimberly paul emily andrew donna joshua michelle kenneth carol kevin "
         "amanda brian dorothy george melissa timothy deborah ronald stephanie edward rebecca jason sharon "
         "jeffrey laura ryan cynthia").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson "
        "anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis "
        "robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall "
        "rivera campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins "
        "reyes stewart morris").split()
UID_BASE = 100000
GID = 5000
HOME = "/var/mail/%d/%n"
SHELL = "/usr/sbin/nologin"
SAMPLE = 100000  # at most this many lookup keys of each kind


def domain_name(k):
    return DOMAINS[k] + ".example"


def mailbox(i):
    """Names of mailbox i; i % 8 is its domain."""
    first = FIRST[i % len(FIRST)]
    last = LAST[(i // len(FIRST) + i * 7) % len(LAST)]
    return first, last, "%s.%s%d" % (first, last, i), domain_name(i % len(DOMAINS))


def write_conf(n, path):
    out = []
    w = out.append
    w("# Synthetic directory of %d mailboxes written by bench/gen-directory.py.\n" % n)
    w('default_domain = "%s";\n' % domain_name(0))
    w('bare_alias = "prefer-default-domain";\n')
    w('canonical = "address";\n')
    # Relative: the index sits next to this file; a link of this file in
    # another folder therefore has no index (the configuration path).
    w('index = "mailacct.idx";\n')
    w('defaults = { uid = 5000; gid = %d; home = "%s"; shell = "%s"; };\n' % (GID, HOME, SHELL))
    w("domains = (\n")
    w(",\n".join('  { name = "%s"; netbios = "%s"; aliases = [ "%s.example.org" ]; }'
                 % (domain_name(k), d.upper(), d) for k, d in enumerate(DOMAINS)))
    w("\n);\nmailboxes = (\n")
    with open(path, "w") as f:
        f.write("".join(out))
        chunk = []
        for i in range(n):
            first, last, local, dom = mailbox(i)
            aliases = '"%s%s%d"' % (first[0], last, i)
            if i % 2:
                aliases += ', "%s%d"' % (first, i)
            # Two mailboxes of different non-default domains share one alias.
            if i % 1000 in (1, 2):
                aliases += ', "desk%d"' % (i // 1000)
            extra = ""
            if i % 1000 == 3:
                # The Exchange form DOMAIN\\account of the mailbox before (another
                # domain) may open this one: EXAMPLE\\assistant\\jdoe.
                p_first, p_last, _, _ = mailbox(i - 1)
                extra = ' delegates = [ "%s\\\\%s.%s%d" ];' % (DOMAINS[(i - 1) % len(DOMAINS)].upper(), p_last,
                                                              p_first[0], i - 1)
            chunk.append('  { address = "%s@%s"; aliases = [ %s ]; addresses = [ "%s.%s%d@%s" ]; '
                         'nt_account = "%s.%s%d"; name = "%s %s"; uid = %d;%s }'
                         % (local, dom, aliases, first[0], last, i, dom, last, first[0], i,
                            first.capitalize(), last.capitalize(), UID_BASE + i, extra))
            if len(chunk) >= 10000:
                f.write(",\n".join(chunk))
                f.write(",\n" if i + 1 < n else "")
                chunk = []
        if chunk:
            f.write(",\n".join(chunk))
        f.write("\n);\ncontacts = (\n")
        contacts = ['  { alias = "partner%d"; address = "partner%d@elsewhere.example.net"; }' % (c, c)
                    for c in range(max(1, n // 1000))]
        f.write(",\n".join(contacts))
        f.write("\n);\n")


def write_passwd(n, path):
    with open(path, "w") as f:
        chunk = []
        for i in range(n):
            first, last, local, dom = mailbox(i)
            home = HOME.replace("%d", dom).replace("%n", local)
            chunk.append("%s@%s:x:%d:%d:%s %s:%s:%s\n" % (local, dom, UID_BASE + i, GID, first.capitalize(),
                                                            last.capitalize(), home, SHELL))
            if len(chunk) >= 10000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def write_keys(n, outdir):
    rnd = random.Random(n)
    picks = rnd.sample(range(n), min(n, SAMPLE))
    with open(os.path.join(outdir, "hits"), "w") as f:
        f.write("".join("%s@%s\n" % (mailbox(i)[2], mailbox(i)[3]) for i in picks))
    with open(os.path.join(outdir, "uids"), "w") as f:
        f.write("".join("%d\n" % (UID_BASE + i) for i in rnd.sample(range(n), min(n, SAMPLE))))
    # Misses look like the hits (hosted domain, plausible local part) but
    # name no mailbox: every module must search, none can reject by syntax.
    with open(os.path.join(outdir, "misses"), "w") as f:
        f.write("".join("%s.%s%d@%s\n" % (FIRST[i % len(FIRST)], LAST[i % len(LAST)], n + i,
                                          domain_name(i % len(DOMAINS)))
                        for i in rnd.sample(range(10 * max(n, SAMPLE)), min(n, SAMPLE))))


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit("usage: gen-directory.py N OUTDIR")
    n, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    write_conf(n, os.path.join(outdir, "mailacct.conf"))
    write_passwd(n, os.path.join(outdir, "passwd"))
    write_keys(n, outdir)
    with open(os.path.join(outdir, "meta"), "w") as f:
        f.write("mailboxes=%d\ndomains=%d\ncontacts=%d\n" % (n, len(DOMAINS), max(1, n // 1000)))


if __name__ == "__main__":
    main()
