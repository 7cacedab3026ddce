#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a synthetic Active Directory of N mailboxes as LDIF, for the sync
benchmark (bench/ldap-sync.sh), in the shape of tests/ldap/ad.schema.

    bench/gen-ldap.py N OUT.ldif

Every entry: proxyAddresses with an SMTP: primary and two smtp: secondary
addresses (one in a domain alias), an X500: value, mail, userPrincipalName
(a login address), mailNickname, sAMAccountName, displayName,
userAccountControl (1 in 50 disabled), RFC 2307 ids and home; 1 in 20 has
protocolSettings, 1 in 100 a delegate. Eight mail domains. The suffix, its
OUs and the service account are the benchmark's (tests/ldap/lib.sh).
Deterministic: the same N gives the same file.
"""

import base64
import sys

DOMAINS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
FIRST = ("james mary john patricia robert jennifer michael linda william elizabeth david barbara richard susan "
         "joseph jessica thomas sarah charles karen").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez "
        "wilson anderson thomas taylor moore jackson martin").split()
IMAP_OFF = base64.b64encode("IMAP4§0§1§4§0§0§0§0§0".encode()).decode()


def dn(i):
    return "CN=%s %s %d,OU=Users,dc=example,dc=com" % (FIRST[i % 20].title(), LAST[(i // 20) % 20].title(), i)


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", buffering=1 << 20) as f:
        w = f.write
        w("dn: OU=Users,dc=example,dc=com\nobjectClass: organizationalUnit\nou: Users\n\n")
        for i in range(n):
            first, last = FIRST[i % 20], LAST[(i // 20) % 20]
            dom = DOMAINS[i % 8] + ".example"
            nick = "%s.%s%d" % (first, last, i)
            w("dn: %s\n" % dn(i))
            w("objectClass: user\nobjectCategory: person\n")
            w("cn: %s %s %d\nsn: %s\n" % (first.title(), last.title(), i, last.title()))
            w("displayName: %s %s\n" % (first.title(), last.title()))
            w("sAMAccountName: u%d\n" % i)
            w("userPrincipalName: u%d@example.com\n" % i)
            w("mailNickname: %s\n" % nick)
            w("mail: %s@%s\n" % (nick, dom))
            w("proxyAddresses: SMTP:%s@%s\n" % (nick, dom))
            w("proxyAddresses: smtp:%s%d@%s\n" % (first[0], i, dom))
            w("proxyAddresses: smtp:%s@%s.example.org\n" % (nick, DOMAINS[i % 8]))
            w("proxyAddresses: X500:/o=Bench/ou=Users/cn=%s\n" % nick)
            w("userAccountControl: %d\n" % (514 if i % 50 == 49 else 512))
            w("uidNumber: %d\ngidNumber: 5000\n" % (100000 + i))
            w("unixHomeDirectory: /var/mail/%s/%s\nloginShell: /usr/sbin/nologin\n" % (dom, nick))
            if i % 20 == 7:
                w("protocolSettings:: %s\n" % IMAP_OFF)
            if i % 100 == 3 and i > 0:
                w("msExchDelegateListLink: %s\n" % dn(i - 1))
            w("\n")


main()
