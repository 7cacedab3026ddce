#!/usr/bin/python3
"""Real mail clients against the private Dovecot of tests/integration/dovecot.sh.

Each login goes through a real client (curl, Python imaplib/poplib, or a raw
socket speaking IMAP with quoted strings or literals). A login that must work
is checked three ways: the client is in, Dovecot's log says
`Login: user=<CANONICAL>`, and the mail directory that appears is the
canonical mailbox's. A login that must fail is checked for the refusal and
for pam_mailacct's log line with its reason code.

Environment (set by dovecot.sh): MA_DIR, MA_IMAP_PORT, MA_POP3_PORT,
MA_DOVECOT_LOG, MA_SYSLOG, MA_PASSWORDS.
"""
import base64
import imaplib
import os
import poplib
import shutil
import socket
import subprocess
import sys
import time

DIR = os.environ["MA_DIR"]
IMAP_PORT = int(os.environ["MA_IMAP_PORT"])
POP3_PORT = int(os.environ["MA_POP3_PORT"])
DOVECOT_LOG = os.environ["MA_DOVECOT_LOG"]
SYSLOG = os.environ["MA_SYSLOG"]
HOST = "127.0.0.1"
TIMEOUT = 10

PW = {}
with open(os.environ["MA_PASSWORDS"], encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\n")
        if line and not line.startswith("#"):
            address, password = line.split("\t", 1)
            PW[address] = password

failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL:", what, flush=True)


# ---- logs -----------------------------------------------------------------


class Log:
    """The part of a log file written since mark()."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path)

    def text(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode("utf-8", "replace")

    def wait(self, needle, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            t = self.text()
            if needle in t:
                return t
            if time.monotonic() > end:
                return None
            time.sleep(0.01)


dovecot = Log(DOVECOT_LOG)
syslog = Log(SYSLOG)


# ---- clients --------------------------------------------------------------
# Each returns (True, "") when logged in and the mailbox was opened, else
# (False, what the server said).


def curl(url, user, password, *extra):
    # -u splits at the first ':'; no test login holds one
    p = subprocess.run(
        ["curl", "-sS", "--max-time", str(TIMEOUT), "-u", f"{user}:{password}", *extra, url],
        capture_output=True,
        text=True,
    )
    return p.returncode == 0, f"curl exit {p.returncode}: {p.stderr.strip()}"


def curl_imap(user, password):
    """curl's default: SASL AUTHENTICATE PLAIN, then LIST."""
    return curl(f"imap://{HOST}:{IMAP_PORT}/", user, password)


def curl_imap_login(user, password):
    """curl with SASL AUTHENTICATE LOGIN. (curl 7.88 sends the IMAP LOGIN
    command only to servers without SASL; AUTH=+LOGIN came in 8.2. The LOGIN
    command is covered by imaplib and the raw clients.)"""
    return curl(f"imap://{HOST}:{IMAP_PORT}/", user, password, "--login-options", "AUTH=LOGIN")


def curl_pop3(user, password):
    """curl POP3: SASL AUTH PLAIN, then LIST."""
    return curl(f"pop3://{HOST}:{POP3_PORT}/", user, password)


def imaplib_login(user, password):
    """imaplib sends the user name as an atom; names with '"' go pre-quoted."""
    m = imaplib.IMAP4(HOST, IMAP_PORT, timeout=TIMEOUT)
    try:
        if '"' in user or "(" in user or " " in user:
            user = '"' + user.replace("\\", "\\\\").replace('"', '\\"') + '"'
        m.login(user, password)
        m.select("INBOX")
        m.logout()
        return True, ""
    except imaplib.IMAP4.error as e:
        return False, str(e)
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def imaplib_plain(user, password):
    m = imaplib.IMAP4(HOST, IMAP_PORT, timeout=TIMEOUT)
    try:
        m.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + password.encode())
        m.select("INBOX")
        m.logout()
        return True, ""
    except imaplib.IMAP4.error as e:
        return False, str(e)
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def poplib_user(user, password):
    """POP3 USER / PASS, sent as typed."""
    p = poplib.POP3(HOST, POP3_PORT, timeout=TIMEOUT)
    try:
        p.user(user)
        p.pass_(password)
        p.stat()
        p.quit()
        return True, ""
    except poplib.error_proto as e:
        return False, str(e)
    finally:
        try:
            p.close()
        except OSError:
            pass


def imap_quote(b):
    return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def raw_imap(user, password, literal):
    """LOGIN over a plain socket, with quoted strings or synchronising
    literals (RFC 3501), the two ways to send '*', '%', '"' and '\\'."""
    u, p = user.encode(), password.encode()
    s = socket.create_connection((HOST, IMAP_PORT), TIMEOUT)
    f = s.makefile("rb")
    try:
        if not f.readline().startswith(b"* OK"):
            return False, "no greeting"
        if literal:
            s.sendall(b"a1 LOGIN {%d}\r\n" % len(u))
            if not f.readline().startswith(b"+"):
                return False, "no continuation for the user name"
            s.sendall(u + b" {%d}\r\n" % len(p))
            if not f.readline().startswith(b"+"):
                return False, "no continuation for the password"
            s.sendall(p + b"\r\n")
        else:
            s.sendall(b"a1 LOGIN " + imap_quote(u) + b" " + imap_quote(p) + b"\r\n")
        tagged = b""
        while not tagged.startswith(b"a1 "):
            tagged = f.readline()
            if not tagged:
                return False, "connection closed"
        if not tagged.startswith(b"a1 OK"):
            return False, tagged.decode(errors="replace").strip()
        s.sendall(b"a2 SELECT INBOX\r\n")
        line = b""
        while not line.startswith(b"a2 "):
            line = f.readline()
            if not line:
                return False, "closed after login"
        s.sendall(b"a3 LOGOUT\r\n")
        return line.startswith(b"a2 OK"), line.decode(errors="replace").strip()
    finally:
        f.close()
        s.close()


def raw_quoted(user, password):
    return raw_imap(user, password, False)


def raw_literal(user, password):
    return raw_imap(user, password, True)


IMAP_CLIENTS = [curl_imap, curl_imap_login, imaplib_login, imaplib_plain, raw_quoted, raw_literal]
POP3_CLIENTS = [curl_pop3, poplib_user]
ALL_CLIENTS = IMAP_CLIENTS + POP3_CLIENTS


# ---- expectations ---------------------------------------------------------

mailboxes_opened = set()


def maildir(canonical):
    return os.path.join(DIR, "mail", canonical)


def expect_ok(client, login, password, canonical):
    what = f"{client.__name__} {login!r} -> {canonical}"
    # the mail directory must appear because of this login
    shutil.rmtree(maildir(canonical), ignore_errors=True)
    dovecot.mark()
    syslog.mark()
    ok, detail = client(login, password)
    check(ok, f"{what}: refused ({detail}); module log: {syslog.text().strip()}")
    if not ok:
        return
    t = dovecot.wait(f"Login: user=<{canonical}>")
    check(t is not None, f"{what}: no 'Login: user=<{canonical}>' in Dovecot's log; got: {dovecot.text().strip()}")
    check(os.path.isdir(os.path.join(maildir(canonical), "Maildir")), f"{what}: {maildir(canonical)}/Maildir missing")
    typed = f'login "{login_in_log(login)}"'
    check(syslog.wait(f"ok {typed}: {canonical}") is not None,
          f"{what}: no 'ok {typed}: {canonical}' in the module's log: {syslog.text().strip()}")
    mailboxes_opened.add(canonical)


def expect_fail(client, login, password, log_needle):
    what = f"{client.__name__} {login!r} must fail with {log_needle!r}"
    dovecot.mark()
    syslog.mark()
    ok, detail = client(login, password)
    check(not ok, f"{what}: it logged in")
    t = syslog.wait(log_needle)
    check(t is not None, f"{what}: module log lacks it; got: {syslog.text().strip()}")
    check("Login: user=<" not in dovecot.text(), f"{what}: Dovecot logged a login: {dovecot.text().strip()}")


def login_in_log(login):
    return login.replace('"', '\\"')


def case(title):
    print(f"--- {title}", flush=True)


# ---- the cases of issue 3 ---------------------------------------------------

JDOE = "jdoe@example.com"
jdoe_pw = PW[JDOE]

case("every form of jdoe opens jdoe@example.com's one mailbox, through every client")
for login in ["jdoe", "JDOE", "john.doe", "EXAMPLE\\jdoe", "EXAMPLE/jdoe", JDOE, "john@example.com",
              "jdoe@example.org"]:
    for client in ALL_CLIENTS:
        expect_ok(client, login, jdoe_pw, JDOE)

case("seed Q198143: SITE1\\user and user@site2.org.com open their own mailboxes; bare user is ambiguous")
for client in [curl_imap, raw_quoted, raw_literal, poplib_user, curl_pop3]:
    expect_ok(client, "SITE1\\user", PW["user@site1.org.com"], "user@site1.org.com")
    expect_ok(client, "user@site2.org.com", PW["user@site2.org.com"], "user@site2.org.com")
    expect_ok(client, "SITE2\\user", PW["user@site2.org.com"], "user@site2.org.com")
ambiguity = ('ambiguous login "user": user@site1.org.com, user@site2.org.com; log in as SITE1\\user or '
             'user@site1.org.com, or as SITE2\\user or user@site2.org.com')
for client in [curl_imap, imaplib_login, poplib_user]:
    expect_fail(client, "user", PW["user@site1.org.com"], ambiguity)

case("seed Q198704: EXAMPLE\\assistant\\jdoe opens jdoe's mailbox with the assistant's password only")
for client in [curl_imap, curl_imap_login, imaplib_login, raw_quoted, raw_literal, poplib_user, curl_pop3]:
    expect_ok(client, "EXAMPLE\\assistant\\jdoe", PW["assistant@example.com"], JDOE)
for client in [curl_imap, raw_literal, poplib_user]:
    expect_fail(client, "EXAMPLE\\assistant\\jdoe", jdoe_pw,
                'wrong-password login "EXAMPLE\\assistant\\jdoe": jdoe@example.com (password of '
                'assistant@example.com, opening jdoe@example.com)')
    expect_fail(client, "EXAMPLE\\sales\\jdoe", PW["sales@example.com"],
                'not-delegated login "EXAMPLE\\sales\\jdoe": EXAMPLE\\sales (sales@example.com) may not open '
                'jdoe@example.com')

case("contacts: a mailbox wins over a contact with its alias; a contact-only alias fails")
for client in [curl_imap, poplib_user]:
    expect_ok(client, "sales", PW["sales@example.com"], "sales@example.com")
    expect_fail(client, "partner", "anything", 'contact login "partner": "partner" is the contact partner')
    expect_fail(client, "partner@elsewhere.net", "anything", 'contact login "partner@elsewhere.net"')

case("KB932605: '*', '%', '\"' and '\\' in names and passwords, quoted and as literals")
WEIRD, ONEIL = "we*ird@example.com", 'o"neil@example.com'
for client in [raw_quoted, raw_literal, curl_imap_login, curl_imap, imaplib_login, imaplib_plain, poplib_user,
               curl_pop3]:
    expect_ok(client, "we*ird", PW[WEIRD], WEIRD)
    expect_ok(client, "EXAMPLE\\we*ird", PW[WEIRD], WEIRD)
    expect_ok(client, "100%", PW[WEIRD], WEIRD)
    expect_ok(client, 'o"neil', PW[ONEIL], ONEIL)
    expect_ok(client, 'EXAMPLE\\o"neil', PW[ONEIL], ONEIL)
for client in [raw_quoted, raw_literal, poplib_user]:
    expect_fail(client, "we*", PW[WEIRD], 'not-found login "we*"')
    expect_fail(client, "%", PW[WEIRD], 'not-found login "%"')
    expect_fail(client, "we%", PW[WEIRD], 'not-found login "we%"')

case("seed Q230373: a domain not hosted here is named in the log")
for client in [curl_imap, raw_quoted, poplib_user]:
    expect_fail(client, "jdoe@mail.example.com", jdoe_pw,
                'domain-not-hosted login "jdoe@mail.example.com": domain "mail.example.com" is not hosted here')
    expect_fail(client, "jdoe@elsewhere.net", jdoe_pw, 'domain-not-hosted login "jdoe@elsewhere.net"')

case("account phase: a disabled mailbox, and per-protocol access (POP3 refused, IMAP allowed)")
for client in [curl_imap, raw_quoted, poplib_user, curl_pop3]:
    expect_fail(client, "former", PW["former@example.com"],
                'disabled login "former": former@example.com is disabled')
for client in POP3_CLIENTS:
    expect_fail(client, "imaponly@example.com", PW["imaponly@example.com"],
                'service-denied login "imaponly@example.com": imaponly@example.com may not use service "pop3"')
for client in IMAP_CLIENTS:
    expect_ok(client, "imaponly@example.com", PW["imaponly@example.com"], "imaponly@example.com")
for client in [curl_imap, poplib_user]:
    expect_fail(client, "EXAMPLE\\former\\boss", PW["former@example.com"], 'principal-disabled login')

case("wrong passwords and unknown users")
for client in [curl_imap, raw_literal, poplib_user]:
    expect_fail(client, "jdoe", "not-the-password", 'wrong-password login "jdoe": jdoe@example.com')
    expect_fail(client, "nobody", "whatever", 'not-found login "nobody"')

case("a password over crypt(3)'s 512 bytes is a wrong password, not 'unavailable' (the security issue)")
LONG_PW = "p" * 600
for client in [imaplib_plain, raw_literal, poplib_user]:
    dovecot.mark()
    syslog.mark()
    ok, detail = client("jdoe", LONG_PW)
    check(not ok, f"{client.__name__}: a 600-byte password logged in")
    check(syslog.wait('wrong-password login "jdoe"') is not None,
          f"{client.__name__}: no wrong-password line for a 600-byte password: {syslog.text().strip()}")
    module_lines = syslog.text()
    check("bad-hash" not in module_lines and "<83>" not in module_lines,
          f"{client.__name__}: an error-level line for a 600-byte password: {module_lines.strip()}")
    check("UNAVAILABLE" not in detail and "Temporary" not in detail,
          f"{client.__name__}: the server answered 'temporarily unavailable': {detail}")
    ok, detail = client("no-such-user", LONG_PW)
    check(not ok and "UNAVAILABLE" not in detail and "Temporary" not in detail,
          f"{client.__name__}: unknown user with a 600-byte password: {detail}")

case("one mailbox directory per canonical identity, none for a login as typed")
present = set(os.listdir(os.path.join(DIR, "mail")))
check(present == mailboxes_opened, f"mail directories {sorted(present)} != mailboxes opened {sorted(mailboxes_opened)}")

case("no password in any log")
with open(SYSLOG, encoding="utf-8", errors="replace") as f:
    module_log = f.read()
with open(DOVECOT_LOG, encoding="utf-8", errors="replace") as f:
    server_log = f.read()
for address, password in PW.items():
    check(password not in module_log, f"the module's log holds the password of {address}")
    check(password not in server_log, f"Dovecot's log holds the password of {address}")

print(f"{'PASS' if not failures else 'FAIL'}: {checks} checks, {len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
