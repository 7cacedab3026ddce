#!/usr/bin/python3
"""The cases of tests/servers/courier.sh: Courier IMAP/POP3, authpam through
pam_mailacct, homes from getpwnam() through libnss_mailacct.

Environment (set by courier.sh): MS_IMAP_PORT, MS_POP3_PORT, MS_PASSWORDS,
MS_SYSLOG (authdaemond's PAM lines land there), MS_COURIER_LOG (imaplogin's and
pop3login's own lines: LOGIN, LOGIN FAILED, with the name as typed).
"""
import os
import sys

from mailclients import (IMAP_CLIENTS, POP3_CLIENTS, PW, Log, case, check, curl_imap, curl_imap_login, curl_pop3,
                         expect_fail, expect_ok, finish, imaplib_login, imaplib_plain, poplib_plain, poplib_user,
                         raw_literal, raw_quoted)

syslog = Log(os.environ["MS_SYSLOG"])
courier = Log(os.environ["MS_COURIER_LOG"])
LOGS = [syslog, courier]
JDOE = "jdoe@example.com"
S1, S2 = "user@site1.org.com", "user@site2.org.com"
ALL = IMAP_CLIENTS + POP3_CLIENTS


def service(client):
    return "pop3" if client in POP3_CLIENTS else "imap"


def ok(client, login, password, canonical):
    q = login.replace('"', '\\"')
    expect_ok(client, login, password, canonical, LOGS,
              [(syslog, f'pam_mailacct({service(client)}:account): ok login "{q}": account {canonical} may use')])


def refused(client, login, password, *needles):
    expect_fail(client, login, password, [(syslog, n) for n in needles], LOGS)


def atom_ok(client, login):
    # imaplib sends the name as an IMAP atom, and Courier's parser takes no
    # '\' or '"' in an atom (Dovecot does): quoted strings and literals do
    return client is not imaplib_login or not any(c in login for c in '\\"')


case("every form, the three-part one too, reads jdoe@example.com's Maildir, through every client")
FORMS = ["jdoe", "JDOE", "john.doe", "EXAMPLE\\jdoe", "EXAMPLE/jdoe", "example\\JDOE", JDOE, "john@example.com",
         "jdoe@example.org", "JDoe@Example.ORG"]
for login in FORMS:
    for client in ALL:
        if atom_ok(client, login):
            ok(client, login, PW[JDOE], JDOE)
for client in ALL:
    if atom_ok(client, "EXAMPLE\\assistant\\jdoe"):
        ok(client, "EXAMPLE\\assistant\\jdoe", PW["assistant@example.com"], JDOE)

case("imaplib's atom: Courier refuses '\\' in an unquoted name before any authentication")
refused(imaplib_login, "EXAMPLE\\jdoe", PW[JDOE])
check("EXAMPLE\\jdoe" not in syslog.text(), "an atom with '\\' reached PAM")

case("seed Q198143, KB932605")
for client in [curl_imap, raw_quoted, raw_literal, poplib_user, curl_pop3]:
    ok(client, "SITE1\\user", PW[S1], S1)
    ok(client, "SITE2/user", PW[S2], S2)
    ok(client, S2, PW[S2], S2)
for client in [raw_quoted, raw_literal, imaplib_plain, poplib_user]:
    ok(client, "we*ird", PW["we*ird@example.com"], "we*ird@example.com")
    ok(client, "100%", PW["we*ird@example.com"], "we*ird@example.com")
    ok(client, 'EXAMPLE\\o"neil', PW['o"neil@example.com'], 'o"neil@example.com')
for client in [curl_imap, poplib_plain]:
    ok(client, "sales", PW["sales@example.com"], "sales@example.com")

# (Courier pauses 5 s after every failed login: one client per case)
case("names no single mailbox: authpam's getpwnam() finds none, so PAM is never asked and no reason is logged")
for client, login, password in [(raw_quoted, "user", PW[S1]),
                                (poplib_user, "EXAMPLE\\sales\\jdoe", PW["sales@example.com"])]:
    expect_fail(client, login, password, [(courier, f"LOGIN FAILED, user={login},")], LOGS,
                [(syslog, "pam_mailacct(")])

case("passwords and account checks: pam_mailacct's reason codes")
refused(curl_imap, "EXAMPLE\\jdoe", "not-the-password", 'wrong-password login "EXAMPLE\\jdoe": jdoe@example.com')
refused(raw_literal, "EXAMPLE\\assistant\\jdoe", PW[JDOE],
        'wrong-password login "EXAMPLE\\assistant\\jdoe": jdoe@example.com (password of assistant@example.com')
refused(curl_pop3, "former", PW["former@example.com"], 'pam_mailacct(pop3:account): disabled login "former"')
refused(poplib_user, "imaponly@example.com", PW["imaponly@example.com"],
        'service-denied login "imaponly@example.com": imaponly@example.com may not use service "pop3"')
for client in [curl_imap, curl_imap_login, raw_quoted]:
    ok(client, "imaponly@example.com", PW["imaponly@example.com"], "imaponly@example.com")

case("no password in the log")
text = ""
for path in [os.environ["MS_SYSLOG"], os.environ["MS_COURIER_LOG"]]:
    with open(path, encoding="utf-8", errors="replace") as f:
        text += f.read()
for address, password in PW.items():
    check(password not in text, f"the log holds the password of {address}")

sys.exit(finish("courier"))
