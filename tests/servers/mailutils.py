#!/usr/bin/python3
"""The cases of tests/servers/mailutils.sh: GNU Mailutils imap4d, getpwnam()
through libnss_mailacct first, then PAM with the name it returned.

Environment (set by mailutils.sh): MS_IMAP_PORT, MS_PASSWORDS, MS_SYSLOG
(imap4d and pam_mailacct log there).
"""
import os
import sys

from mailclients import (IMAP_CLIENTS, PW, Log, case, check, curl_imap, expect_fail, expect_ok, finish, imaplib_login,
                         raw_literal, raw_quoted)

syslog = Log(os.environ["MS_SYSLOG"])
LOGS = [syslog]
JDOE = "jdoe@example.com"
S1, S2 = "user@site1.org.com", "user@site2.org.com"


def ok(client, login, password, canonical):
    # PAM sees the canonical name already; imap4d names the session by it
    expect_ok(client, login, password, canonical, LOGS,
              [(syslog, f'pam_mailacct(imap:auth): ok login "{canonical}": {canonical}'),
               (syslog, f"user `{canonical}' logged in (source: system)")])


def refused(client, login, password, needles, nonneedles=()):
    expect_fail(client, login, password, [(syslog, n) for n in needles], LOGS, [(syslog, n) for n in nonneedles])


# imap4d offers no SASL mechanism here (gsasl off, see mailutils.sh): curl
# falls back to the LOGIN command, and AUTHENTICATE is not tried
CLIENTS = [c for c in IMAP_CLIENTS if c.__name__ not in ("imaplib_plain", "curl_imap_login")]

case("every form but the three-part one reads jdoe@example.com's mailbox, through every client")
for login in ["jdoe", "JDOE", "john.doe", "EXAMPLE\\jdoe", "EXAMPLE/jdoe", "example\\JDOE", JDOE, "john@example.com",
              "jdoe@example.org", "JDoe@Example.ORG"]:
    for client in CLIENTS:
        ok(client, login, PW[JDOE], JDOE)

case("seed Q198143, KB932605")
for client in [curl_imap, raw_quoted, raw_literal]:
    ok(client, "SITE1\\user", PW[S1], S1)
    ok(client, "SITE2/user", PW[S2], S2)
    ok(client, "we*ird", PW["we*ird@example.com"], "we*ird@example.com")
    ok(client, "100%", PW["we*ird@example.com"], "we*ird@example.com")
    ok(client, "sales", PW["sales@example.com"], "sales@example.com")

case("the three-part form: PAM checks the password of the mailbox getpwnam() returned, not the account's")
for client in [raw_quoted, raw_literal]:
    refused(client, "EXAMPLE\\assistant\\jdoe", PW["assistant@example.com"],
            ['pam_mailacct(imap:auth): wrong-password login "jdoe@example.com": jdoe@example.com',
             "login failed: EXAMPLE\\assistant\\jdoe"])
    # ...so the owner's own password opens the owner's mailbox
    ok(client, "EXAMPLE\\assistant\\jdoe", PW[JDOE], JDOE)

case("names no single mailbox: refused by the lookup; PAM is never asked, no reason code is logged")
# (imap4d pauses 5 s after an unknown user: one client per case)
for client, login in [(raw_literal, "user"), (imaplib_login, "partner"), (curl_imap, "jdoe@mail.example.com"),
                      (raw_quoted, "we*")]:
    refused(client, login, PW[S1], [f"user `{login}' nonexistent"], ["pam_mailacct("])

case("passwords and account checks: pam_mailacct's reason codes, for the canonical name")
for client in [curl_imap, raw_quoted]:
    refused(client, "EXAMPLE\\jdoe", "not-the-password", ['wrong-password login "jdoe@example.com"'])
    refused(client, "former", PW["former@example.com"], ['pam_mailacct(imap:account): disabled login "former@example.com"'])
    ok(client, "imaponly@example.com", PW["imaponly@example.com"], "imaponly@example.com")

case("no password in the log")
with open(os.environ["MS_SYSLOG"], encoding="utf-8", errors="replace") as f:
    text = f.read()
for address, password in PW.items():
    check(password not in text, f"the log holds the password of {address}")

sys.exit(finish("mailutils"))
