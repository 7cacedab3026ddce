#!/usr/bin/python3
"""The cases of tests/servers/postfix.sh: Postfix SMTP AUTH through Cyrus SASL
with the plugin, and through Dovecot SASL.

Environment (set by postfix.sh): MS_CYRUS_PORT, MS_DOVECOT_PORT,
MS_PASSWORDS, MS_SYSLOG (Postfix, saslauthd, pam_mailacct log there).
"""
import os
import re
import sys

from mailclients import (PW, SMTP_CLIENTS, Log, case, check, curl_smtp, expect_fail, expect_ok, finish, smtplib_login,
                         smtplib_plain)

syslog = Log(os.environ["MS_SYSLOG"])
LOGS = [syslog]
JDOE = "jdoe@example.com"
S1, S2 = "user@site1.org.com", "user@site2.org.com"
WAYS = {"cyrus": os.environ["MS_CYRUS_PORT"], "dovecot": os.environ["MS_DOVECOT_PORT"]}


def via(way):
    os.environ["MS_SMTP_PORT"] = WAYS[way]


def ok(way, client, login, password, canonical):
    via(way)
    expect_ok(client, login, password, canonical, LOGS,
              [(syslog, f"postfix-{way}/smtpd"), (syslog, f"sasl_username={canonical}\n")])


def refused(way, client, login, password, *needles):
    via(way)
    expect_fail(client, login, password, [(syslog, n) for n in needles], LOGS)


FORMS = ["jdoe", "JDOE", "john.doe", "EXAMPLE\\jdoe", "EXAMPLE/jdoe", "example\\JDOE", JDOE, "john@example.com",
         "jdoe@example.org", "JDoe@Example.ORG"]

for way in WAYS:
    case(f"{way} SASL: every form's session is jdoe@example.com's, through every client")
    for login in FORMS:
        for client in SMTP_CLIENTS:
            ok(way, client, login, PW[JDOE], JDOE)
    case(f"{way} SASL: seed Q198143")
    for client in [smtplib_plain, curl_smtp]:
        ok(way, client, "SITE1\\user", PW[S1], S1)
        ok(way, client, "SITE2/user", PW[S2], S2)
        ok(way, client, S2, PW[S2], S2)
    case(f"{way} SASL: KB932605, '*' '%' '\"' are plain characters")
    for client in [smtplib_plain, smtplib_login]:
        ok(way, client, "we*ird", PW["we*ird@example.com"], "we*ird@example.com")
        ok(way, client, "100%", PW["we*ird@example.com"], "we*ird@example.com")
        ok(way, client, 'EXAMPLE\\o"neil', PW['o"neil@example.com'], 'o"neil@example.com')

AMBIGUOUS = ('ambiguous login "user": user@site1.org.com, user@site2.org.com; log in as SITE1\\user or '
             'user@site1.org.com, or as SITE2\\user or user@site2.org.com')

case("cyrus SASL: the plugin refuses what names no single mailbox, with its reason, before any password")
for client in SMTP_CLIENTS:
    refused("cyrus", client, "user", PW[S1], "SASL authentication failure: mailacct: " + AMBIGUOUS)
    refused("cyrus", client, "EXAMPLE\\assistant\\jdoe", PW["assistant@example.com"],
            'SASL authentication failure: mailacct: delegate-unsupported login "EXAMPLE\\assistant\\jdoe"')
for client in [smtplib_plain, curl_smtp]:
    refused("cyrus", client, "partner", "anything", 'mailacct: contact login "partner"')
    refused("cyrus", client, "jdoe@mail.example.com", PW[JDOE], 'mailacct: domain-not-hosted login "jdoe@mail.example.com"')
    refused("cyrus", client, "nobody", "whatever", 'mailacct: not-found login "nobody"')
    refused("cyrus", client, "j" * 400, "whatever", "mailacct: invalid-login login \"jjjj")

case("dovecot SASL: the three-part form works (Dovecot adopts PAM_USER); refusals carry pam_mailacct's reason")
for client in SMTP_CLIENTS:
    ok("dovecot", client, "EXAMPLE\\assistant\\jdoe", PW["assistant@example.com"], JDOE)
    refused("dovecot", client, "user", PW[S1], "pam_mailacct(smtp:auth): " + AMBIGUOUS)
refused("dovecot", smtplib_plain, "EXAMPLE\\assistant\\jdoe", PW[JDOE],
        'wrong-password login "EXAMPLE\\assistant\\jdoe": jdoe@example.com (password of assistant@example.com')

case("both: the password and the account checks are pam_mailacct's, for the canonical name; smtp is a protocol")
for way in WAYS:
    for client in [smtplib_plain, curl_smtp]:
        refused(way, client, "EXAMPLE\\jdoe", "not-the-password", "pam_mailacct(smtp:auth): wrong-password login")
        refused(way, client, "former", PW["former@example.com"], 'pam_mailacct(smtp:account): disabled login')
        refused(way, client, "imaponly@example.com", PW["imaponly@example.com"],
                'service-denied login "imaponly@example.com": imaponly@example.com may not use service "smtp"')
# (the cyrus way shows the canonical name to PAM; Dovecot passes it as typed)
via("cyrus")
expect_fail(smtplib_plain, "EXAMPLE\\jdoe", "not-the-password",
            [(syslog, 'pam_mailacct(smtp:auth): wrong-password login "jdoe@example.com"')], LOGS)

case("every session's sasl_username is a canonical name (a failure line names the login as typed)")
with open(os.environ["MS_SYSLOG"], encoding="utf-8", errors="replace") as f:
    text = f.read()
names = set(re.findall(r"client=[^,]*, sasl_method=[A-Z]+, sasl_username=(.*)$", text, re.M))
check(names == {JDOE, S1, S2, "we*ird@example.com", 'o"neil@example.com'}, f"sasl_username values: {sorted(names)}")
for address, password in PW.items():
    check(password not in text, f"the log holds the password of {address}")

sys.exit(finish("postfix"))
