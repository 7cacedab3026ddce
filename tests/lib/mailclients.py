"""Real mail clients for the server suites (tests/servers/*.py).

Each client logs in the way a real one does (curl; Python's imaplib, poplib
and smtplib; raw sockets for IMAP LOGIN with quoted strings and literals) and
returns (ok, detail, text): ok when the login worked and the mailbox could be
read, detail what the server said, text the first message's header as the
server showed it (for the marker every suite delivers to each canonical
mailbox first: a login that opens another mailbox does not see it).

Environment: MS_HOST (default 127.0.0.1), MS_IMAP_PORT, MS_POP3_PORT,
MS_SMTP_PORT, MS_PASSWORDS (tests/integration/data/passwords).
"""
import base64
import imaplib
import os
import poplib
import smtplib
import socket
import subprocess
import time

HOST = os.environ.get("MS_HOST", "127.0.0.1")
TIMEOUT = 10


def port(name):
    return int(os.environ[name])


PW = {}
with open(os.environ["MS_PASSWORDS"], encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\n")
        if line and not line.startswith("#"):
            address, password = line.split("\t", 1)
            PW[address] = password


# ---- checks and logs ---------------------------------------------------------

failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return ok


def case(title):
    print(f"--- {title}", flush=True)


def finish(name):
    print(f"{'PASS' if not failures else 'FAIL'}: {name}: {checks} checks, {len(failures)} failed", flush=True)
    return 1 if failures else 0


class Log:
    """The part of a log file written since mark()."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def text(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait(self, needle, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            t = self.text()
            if needle in t:
                return t
            if time.monotonic() > end:
                return None
            time.sleep(0.01)


# ---- marker messages -------------------------------------------------------------


def marker(canonical):
    """The Subject of the message each suite delivers to canonical's mailbox."""
    return f"marker for {canonical}"


def message(canonical):
    return (f"From: sender@elsewhere.net\r\nTo: {canonical}\r\nSubject: {marker(canonical)}\r\n"
            f"Message-ID: <{abs(hash(canonical))}@test>\r\n\r\nbody\r\n")


def lmtp_deliver(sock_path, rcpt, canonical):
    """LMTP delivery over a Unix socket (Cyrus lmtpd): RCPT TO as given."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(sock_path)
    f = s.makefile("rb")

    def reply():
        lines = []
        while True:
            line = f.readline()
            if not line:
                raise OSError("LMTP: connection closed")
            lines.append(line.decode(errors="replace").rstrip())
            if line[3:4] != b"-":
                return lines

    def cmd(c):
        s.sendall(c.encode() + b"\r\n")
        return reply()

    try:
        reply()
        cmd("LHLO test")
        cmd("MAIL FROM:<sender@elsewhere.net>")
        r = cmd(f"RCPT TO:<{rcpt}>")
        if not r[-1].startswith("250"):
            return False, r[-1]
        r = cmd("DATA")
        if not r[-1].startswith("354"):
            return False, r[-1]
        s.sendall(message(canonical).encode() + b".\r\n")
        r = reply()
        cmd("QUIT")
        return r[-1].startswith("250"), r[-1]
    finally:
        f.close()
        s.close()


# ---- IMAP ---------------------------------------------------------------------------------


def curl(url, user, password, *extra):
    # -u splits at the first ':'; no test login holds one
    p = subprocess.run(
        ["curl", "-sS", "--max-time", str(TIMEOUT), "-u", f"{user}:{password}", *extra, url],
        capture_output=True,
        text=True,
        errors="replace",
    )
    return p.returncode == 0, f"curl exit {p.returncode}: {p.stderr.strip()}", p.stdout


def curl_imap(user, password):
    """curl's default: SASL AUTHENTICATE PLAIN, then the first message."""
    return curl(f"imap://{HOST}:{port('MS_IMAP_PORT')}/INBOX;MAILINDEX=1;SECTION=HEADER", user, password)


def curl_imap_login(user, password):
    """curl with SASL AUTHENTICATE LOGIN (curl 7.88 sends the IMAP LOGIN
    command only to servers without SASL; that command is covered by
    imaplib and the raw clients)."""
    return curl(f"imap://{HOST}:{port('MS_IMAP_PORT')}/INBOX;MAILINDEX=1;SECTION=HEADER", user, password,
                "--login-options", "AUTH=LOGIN")


def _imaplib_read(m):
    typ, _ = m.select("INBOX", readonly=True)
    if typ != "OK":
        return False, "SELECT INBOX failed", ""
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER])")
    text = b"".join(x[1] for x in data if isinstance(x, tuple)).decode(errors="replace") if typ == "OK" else ""
    return True, "", text


def _imaplib(user, password, plain):
    try:
        m = imaplib.IMAP4(HOST, port("MS_IMAP_PORT"), timeout=TIMEOUT)
    except OSError as e:
        return False, str(e), ""
    try:
        if plain:
            m.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + password.encode())
        else:
            # imaplib sends the name as an atom; names with '"' go pre-quoted
            if '"' in user or "(" in user or " " in user:
                user = '"' + user.replace("\\", "\\\\").replace('"', '\\"') + '"'
            m.login(user, password)
        ok, detail, text = _imaplib_read(m)
        m.logout()
        return ok, detail, text
    except (imaplib.IMAP4.error, OSError) as e:
        return False, str(e), ""
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def imaplib_login(user, password):
    """The IMAP LOGIN command (imaplib)."""
    return _imaplib(user, password, False)


def imaplib_plain(user, password):
    """AUTHENTICATE PLAIN (imaplib)."""
    return _imaplib(user, password, True)


def imap_quote(b):
    return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def raw_imap(user, password, literal):
    """LOGIN over a plain socket, with quoted strings or synchronising
    literals (RFC 3501), the two ways to send '*', '%', '"' and '\\'."""
    u, p = user.encode(), password.encode()
    try:
        s = socket.create_connection((HOST, port("MS_IMAP_PORT")), TIMEOUT)
    except OSError as e:
        return False, str(e), ""
    f = s.makefile("rb")

    def tagged(tag):
        text = b""
        while True:
            line = f.readline()
            if not line:
                return None, text
            if line.startswith(tag + b" "):
                return line, text
            text += line

    try:
        if not f.readline().startswith(b"* OK"):
            return False, "no greeting", ""
        if literal:
            s.sendall(b"a1 LOGIN {%d}\r\n" % len(u))
            if not f.readline().startswith(b"+"):
                return False, "no continuation for the user name", ""
            s.sendall(u + b" {%d}\r\n" % len(p))
            if not f.readline().startswith(b"+"):
                return False, "no continuation for the password", ""
            s.sendall(p + b"\r\n")
        else:
            s.sendall(b"a1 LOGIN " + imap_quote(u) + b" " + imap_quote(p) + b"\r\n")
        line, _ = tagged(b"a1")
        if not line or not line.startswith(b"a1 OK"):
            return False, (line or b"connection closed").decode(errors="replace").strip(), ""
        s.sendall(b"a2 EXAMINE INBOX\r\n")
        line, _ = tagged(b"a2")
        if not line or not line.startswith(b"a2 OK"):
            return False, (line or b"closed after login").decode(errors="replace").strip(), ""
        s.sendall(b"a3 FETCH 1 (BODY.PEEK[HEADER])\r\n")
        line, text = tagged(b"a3")
        s.sendall(b"a4 LOGOUT\r\n")
        return True, "", text.decode(errors="replace")
    except OSError as e:
        return False, str(e), ""
    finally:
        f.close()
        s.close()


def raw_quoted(user, password):
    return raw_imap(user, password, False)


def raw_literal(user, password):
    return raw_imap(user, password, True)


# ---- POP3 ---------------------------------------------------------------------------------


def curl_pop3(user, password):
    """curl POP3: SASL AUTH PLAIN, then RETR 1."""
    return curl(f"pop3://{HOST}:{port('MS_POP3_PORT')}/1", user, password)


def poplib_user(user, password):
    """POP3 USER / PASS, sent as typed, then TOP 1 0."""
    try:
        p = poplib.POP3(HOST, port("MS_POP3_PORT"), timeout=TIMEOUT)
    except OSError as e:
        return False, str(e), ""
    try:
        p.user(user)
        p.pass_(password)
        count, _ = p.stat()
        text = b"\r\n".join(p.top(1, 0)[1]).decode(errors="replace") if count else ""
        p.quit()
        return True, "", text
    except (poplib.error_proto, OSError) as e:
        return False, str(e), ""
    finally:
        try:
            p.close()
        except OSError:
            pass


def poplib_plain(user, password):
    """POP3 AUTH PLAIN with the initial response (RFC 5034)."""
    try:
        p = poplib.POP3(HOST, port("MS_POP3_PORT"), timeout=TIMEOUT)
    except OSError as e:
        return False, str(e), ""
    try:
        ir = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        p._shortcmd(f"AUTH PLAIN {ir}")
        count, _ = p.stat()
        text = b"\r\n".join(p.top(1, 0)[1]).decode(errors="replace") if count else ""
        p.quit()
        return True, "", text
    except (poplib.error_proto, OSError) as e:
        return False, str(e), ""
    finally:
        try:
            p.close()
        except OSError:
            pass


# ---- SMTP ---------------------------------------------------------------------------------


def _smtp(user, password, mech):
    """AUTH, then MAIL FROM and RCPT TO (Postfix names the session's
    sasl_username when it opens the queue file), then RSET: nothing is sent."""
    try:
        s = smtplib.SMTP(HOST, port("MS_SMTP_PORT"), timeout=TIMEOUT)
    except OSError as e:
        return False, str(e), ""
    try:
        s.ehlo("client.test")
        s.user, s.password = user, password
        code, resp = s.auth(mech, getattr(s, "auth_" + mech.lower()))
        if code != 235:
            return False, f"{code} {resp.decode(errors='replace')}", ""
        s.mail("sender@example.com")
        s.rcpt("someone@elsewhere.net")
        s.rset()
        s.quit()
        return True, f"{code} {resp.decode(errors='replace')}", ""
    except (smtplib.SMTPException, OSError) as e:
        return False, str(e), ""
    finally:
        try:
            s.close()
        except OSError:
            pass


def smtplib_plain(user, password):
    """SMTP AUTH PLAIN (smtplib)."""
    return _smtp(user, password, "PLAIN")


def smtplib_login(user, password):
    """SMTP AUTH LOGIN (smtplib)."""
    return _smtp(user, password, "LOGIN")


def curl_smtp(user, password):
    """curl SMTP: AUTH (PLAIN), then a message to a remote recipient (the
    test's Postfix discards it)."""
    p = subprocess.run(
        ["curl", "-sS", "--max-time", str(TIMEOUT), "-u", f"{user}:{password}", "--mail-from", "sender@example.com",
         "--mail-rcpt", "someone@elsewhere.net", "-T", "-", f"smtp://{HOST}:{port('MS_SMTP_PORT')}/client.test"],
        input="Subject: x\r\n\r\nx\r\n",
        capture_output=True,
        text=True,
        errors="replace",
    )
    return p.returncode == 0, f"curl exit {p.returncode}: {p.stderr.strip()}", ""


IMAP_CLIENTS = [curl_imap, curl_imap_login, imaplib_login, imaplib_plain, raw_quoted, raw_literal]
POP3_CLIENTS = [curl_pop3, poplib_user, poplib_plain]
SMTP_CLIENTS = [smtplib_plain, smtplib_login, curl_smtp]


# ---- expectations ---------------------------------------------------------------------


def expect_ok(client, login, password, canonical, logs=(), needles=()):
    """The login works and reads canonical's marker; every (log, needle)
    pair appears in that log."""
    what = f"{client.__name__} {login!r} -> {canonical}"
    for log in logs:
        log.mark()
    ok, detail, text = client(login, password)
    if not check(ok, f"{what}: refused ({detail}); logs: " + " | ".join(l.text().strip()[-600:] for l in logs)):
        return False
    if client not in SMTP_CLIENTS:
        check(marker(canonical) in text, f"{what}: the first message is not {canonical}'s marker: {text[:300]!r}")
    for log, needle in needles:
        check(log.wait(needle) is not None, f"{what}: {os.path.basename(log.path)} lacks {needle!r}: "
              f"{log.text().strip()[-1500:]}")
    return True


def expect_fail(client, login, password, needles=(), logs=(), nonneedles=()):
    """The login is refused, and each (log, needle) pair appears."""
    what = f"{client.__name__} {login!r} must fail"
    for log in logs:
        log.mark()
    ok, detail, _ = client(login, password)
    check(not ok, f"{what}: it logged in")
    for log, needle in needles:
        check(log.wait(needle) is not None, f"{what}: {os.path.basename(log.path)} lacks {needle!r}: "
              f"{log.text().strip()[-1500:]}")
    for log, needle in nonneedles:
        check(needle not in log.text(), f"{what}: {os.path.basename(log.path)} has {needle!r}")
    return detail
