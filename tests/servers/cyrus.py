#!/usr/bin/python3
"""The cases of tests/servers/cyrus.sh: Cyrus IMAP/POP3 with the SASL plugin.

Environment (set by cyrus.sh): MS_IMAP_PORT, MS_POP3_PORT, MS_PASSWORDS,
MS_SYSLOG (Cyrus, saslauthd, pam_mailacct and the plugin log there), MS_LMTP
(lmtpd's socket), MS_MBOXLIST (ctl_mboxlist -d, as a command line).
"""
import json
import os
import shlex
import subprocess
import sys

from mailclients import (IMAP_CLIENTS, POP3_CLIENTS, PW, Log, case, check, curl_imap, curl_pop3, expect_fail,
                         expect_ok, finish, imaplib_login, imaplib_plain, lmtp_deliver, poplib_plain, poplib_user,
                         raw_literal, raw_quoted)

syslog = Log(os.environ["MS_SYSLOG"])
LOGS = [syslog]
JDOE = "jdoe@example.com"
S1, S2 = "user@site1.org.com", "user@site2.org.com"
ALL = IMAP_CLIENTS + POP3_CLIENTS


def plugin_ok(login, canonical):
    # Cyrus lower-cases a name before SASL sees it (username_tolower)
    return (syslog, f'mailacct: ok login "{login.lower()}": {canonical}')


def ok(client, login, password, canonical):
    expect_ok(client, login, password, canonical, LOGS, [plugin_ok(login, canonical)])


def refused(client, login, password, *needles):
    expect_fail(client, login, password, [(syslog, n) for n in needles], LOGS)


case("mail delivered over LMTP to each canonical mailbox")
for c in [JDOE, S1, S2, "sales@example.com", "imaponly@example.com"]:
    delivered, reply = lmtp_deliver(os.environ["MS_LMTP"], c, c)
    check(delivered, f"LMTP delivery to {c}: {reply}")

case("every form but DOMAIN/account and the three-part one reads jdoe@example.com's mail, through every client")
for login in ["jdoe", "JDOE", "john.doe", "EXAMPLE\\jdoe", "example\\JDOE", JDOE, "john@example.com",
              "jdoe@example.org", "JDoe@Example.ORG"]:
    for client in ALL:
        # (POP3 USER: below)
        if client is not poplib_user or "." not in login.split("@")[0]:
            ok(client, login, PW[JDOE], JDOE)

case("Cyrus's POP3 USER refuses a '.' before '@' when '.' separates folders (unixhierarchysep: no)")
refused(poplib_user, "john.doe", PW[JDOE], "badlogin: localhost [127.0.0.1] plaintext (john.doe) invalid user")

case("seed Q198143: SITE1\\user and user@site2.org.com reach their own mailboxes; bare user is ambiguous")
for client in [curl_imap, imaplib_login, raw_literal, poplib_user, curl_pop3]:
    ok(client, "SITE1\\user", PW[S1], S1)
    ok(client, "SITE2\\user", PW[S2], S2)
    ok(client, S2, PW[S2], S2)
    refused(client, "user", PW[S1],
            'mailacct: ambiguous login "user": user@site1.org.com, user@site2.org.com; log in as SITE1\\user or '
            'user@site1.org.com, or as SITE2\\user or user@site2.org.com')

case("Cyrus refuses DOMAIN/account before SASL ('/' is not allowed in a Cyrus user name)")
for client in [imaplib_login, raw_quoted, poplib_user]:
    refused(client, "EXAMPLE/jdoe", PW[JDOE], "invalid user")
for client in [imaplib_plain, curl_imap, curl_pop3]:
    refused(client, "EXAMPLE/jdoe", PW[JDOE], "bad userid authenticated")

case("KB932605 in Cyrus: '*' is not allowed in a Cyrus user name; '%' stands for '@' under virtdomains")
for client in [raw_quoted, raw_literal]:
    refused(client, "we*ird", PW["we*ird@example.com"], "badlogin: localhost [127.0.0.1] plaintext (we*ird) invalid user")
    refused(client, "100%", PW["we*ird@example.com"], 'mailacct: invalid-login login "100@"')
refused(imaplib_plain, "we*ird", PW["we*ird@example.com"], "bad userid authenticated")

case("the three-part form is refused with its reason: SASL checks one name")
for client in [curl_imap, imaplib_login, raw_literal, poplib_user, poplib_plain]:
    refused(client, "EXAMPLE\\assistant\\jdoe", PW["assistant@example.com"],
            'mailacct: delegate-unsupported login "example\\assistant\\jdoe"')

case("contacts, unknown names, domains not hosted: the plugin's reason codes")
for client in [curl_imap, raw_quoted, poplib_user]:
    ok(client, "sales", PW["sales@example.com"], "sales@example.com")
    refused(client, "partner", "anything", 'mailacct: contact login "partner"')
    refused(client, "nobody", "whatever", 'mailacct: not-found login "nobody"')
    refused(client, "jdoe@mail.example.com", PW[JDOE],
            'mailacct: domain-not-hosted login "jdoe@mail.example.com": domain "mail.example.com" is not hosted here')
    refused(client, "OTHER\\jdoe", PW[JDOE], 'mailacct: domain-not-hosted login "other\\jdoe"')

case("passwords and account checks stay in pam_mailacct (through saslauthd), with the canonical name")
for client in [curl_imap, raw_literal, poplib_user, curl_pop3]:
    refused(client, "EXAMPLE\\jdoe", "not-the-password", 'pam_mailacct(', 'wrong-password login "jdoe@example.com"')
    refused(client, "former", PW["former@example.com"], 'disabled login "former@example.com"')
# Cyrus's POP3 PAM service is "pop": the protocol table maps it to pop3
for client in POP3_CLIENTS:
    refused(client, "imaponly@example.com", PW["imaponly@example.com"],
            'service-denied login "imaponly@example.com": imaponly@example.com may not use service "pop"')
for client in [curl_imap, raw_quoted]:
    ok(client, "imaponly@example.com", PW["imaponly@example.com"], "imaponly@example.com")
for client in [poplib_user, curl_pop3]:
    expect_ok(client, "EXAMPLE\\jdoe", PW[JDOE], JDOE, LOGS,
              [(syslog, 'pam_mailacct(pop:account): ok login "jdoe@example.com": account jdoe@example.com may use '
                        'pop')])

case("hostile names: refused, and the server still answers")
for client in [raw_literal, poplib_user]:
    refused(client, "j" * 400 + "@example.com", PW[JDOE])
    refused(client, "jdoe\x7f", PW[JDOE])
ok(raw_literal, "jdoe", PW[JDOE], JDOE)

case("ctl_mboxlist: one mailbox per person, none for a login as typed")
out = subprocess.run(shlex.split(os.environ["MS_MBOXLIST"]), capture_output=True, text=True)
check(out.returncode == 0, f"ctl_mboxlist: exit {out.returncode}: {out.stderr}")
try:
    names = set(json.loads(out.stdout or "{}").keys())
except ValueError as e:
    names = set()
    check(False, f"ctl_mboxlist -d: not JSON ({e}): {out.stdout[:300]!r}")
want = {"example.com!user.jdoe", "site1.org.com!user.user", "site2.org.com!user.user", "example.com!user.sales",
        "example.com!user.imaponly"}
check(names == want, f"ctl_mboxlist lists {sorted(names)}, expected {sorted(want)}")
# one spool folder each (see defaultpartition in cyrus.sh)
ids = [v.get("uniqueid") for v in json.loads(out.stdout or "{}").values()]
check(len(set(ids)) == len(ids), f"two mailboxes share a uniqueid: {ids}")
print("    " + "\n    ".join(sorted(names)), flush=True)

case("no password in the log")
with open(os.environ["MS_SYSLOG"], encoding="utf-8", errors="replace") as f:
    text = f.read()
for address, password in PW.items():
    check(password not in text, f"the log holds the password of {address}")

sys.exit(finish("cyrus"))
