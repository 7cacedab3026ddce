/* SPDX-License-Identifier: MIT */
/* The Cyrus SASL canon_user plugin (libmailacct.so in the sasl2 folder):
 * a face over the same core as pam_mailacct and libnss_mailacct. It turns
 * the name a client sent into the canonical mailbox name before the
 * password is checked and before the server uses the name, so that Cyrus
 * IMAP/POP3 and Postfix open one mailbox for every login form.
 *
 * It only canonicalises. It never reads the secrets: the password and the
 * account checks stay in saslauthd -a pam + pam_mailacct. Selected by the
 * application's `canon_user_plugin: mailacct`; the configuration comes from
 * the SASL option `mailacct_config`. See sasl_mailacct(8). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "cache.h"
#include "diag.h"
#include "file.h"
#include "login.h"
#include "resolve.h"
#include "strutil.h"

#define EXPORT __attribute__((visibility("default")))

#define PLUGIN_NAME "mailacct"

/* Every outcome, with its SASL code and log level, in one table: what the
 * log says and what the application hears cannot drift apart. */
enum outcome {
        OUT_OK = 0,
        OUT_UNRESOLVED,  /* the resolver's reason names it in the log */
        OUT_DELEGATE,    /* DOMAIN\account\mailbox: see canon_server() */
        OUT_UNAVAILABLE, /* configuration or index unusable: fail closed */
        OUT_NO_MEMORY,
        OUT_TOO_LONG, /* the canonical name does not fit the caller's buffer */
        _OUT_MAX,
};

static const struct {
        const char *name; /* NULL: the resolver's reason code */
        int code;
        int level;
} outcomes[_OUT_MAX] = {
        [OUT_OK] = {"ok", SASL_OK, SASL_LOG_NOTE},
        [OUT_UNRESOLVED] = {NULL, SASL_NOUSER, SASL_LOG_FAIL},
        [OUT_DELEGATE] = {"delegate-unsupported", SASL_NOUSER, SASL_LOG_FAIL},
        /* a temporary failure to the client (Postfix: 454, not 535) */
        [OUT_UNAVAILABLE] = {"config-unavailable", SASL_UNAVAIL, SASL_LOG_ERR},
        [OUT_NO_MEMORY] = {"no-memory", SASL_NOMEM, SASL_LOG_ERR},
        [OUT_TOO_LONG] = {"too-long", SASL_BUFOVER, SASL_LOG_ERR},
};

/* One line per decision through the application's log callback (Cyrus
 * imapd: syslog; Postfix: its maillog; else libsasl's syslog at its
 * log_level), and the same text as the connection's error detail, which
 * Cyrus adds to its own "badlogin" line. The login (login_len bytes, NUL
 * bytes included) is quoted; details never hold a line break. */
__attribute__((format(printf, 6, 7))) static void say(const sasl_utils_t *u, int level, const char *code,
                                                      const char *login, size_t login_len, const char *fmt, ...)
{
        char detail[1536], quoted[MAILACCT_LOGIN_MAX * 4 + 8], line[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        for (char *p = detail; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        if (login) {
                mailacct_quote_login(login, login_len, quoted, sizeof(quoted));
                snprintf(line, sizeof(line), PLUGIN_NAME ": %s login \"%s\": %s", code, quoted, detail);
        } else
                snprintf(line, sizeof(line), PLUGIN_NAME ": %s: %s", code, detail);
        /* libsasl formats with its own printf: only "%s" is passed through */
        if (u->log)
                u->log(u->conn, level, "%s", line);
        if (level <= SASL_LOG_FAIL && u->seterror)
                u->seterror(u->conn, SASL_NOLOG, "%s", line);
}

__attribute__((format(printf, 4, 5))) static int decide(const sasl_utils_t *u, enum outcome o, const char *login,
                                                        const char *fmt, ...)
{
        char detail[1536];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        say(u, outcomes[o].level, outcomes[o].name ? outcomes[o].name : "internal-error", login,
            login ? strlen(login) : 0, "%s", detail);
        return outcomes[o].code;
}

/* A login that names no single mailbox: the resolver's reason is the code
 * in the log and its message (candidates, the forms that work) the detail. */
static int unresolved(const sasl_utils_t *u, enum mailacct_reason reason, const char *login, size_t len,
                      const char *message)
{
        say(u, outcomes[OUT_UNRESOLVED].level, mailacct_reason_name(reason), login, len, "%s", message);
        return outcomes[OUT_UNRESOLVED].code;
}

static const char *config_path(const sasl_utils_t *u)
{
        const char *v = NULL;
        unsigned len = 0;

        /* Cyrus imapd looks this up as sasl_mailacct_config in imapd.conf;
         * a SASL application file (Postfix's smtpd.conf) as mailacct_config */
        if (u->getopt && u->getopt(u->getopt_context, PLUGIN_NAME, "mailacct_config", &v, &len) == SASL_OK && v && *v)
                return v;
        return MAILACCT_CONF_DEFAULT;
}

/* Why the configuration cannot be used: the note of an index that failed
 * closed, else the first error of the file (`mailacct check` lists all). */
static int unavailable(const sasl_utils_t *u, const char *conf, const char *login)
{
        struct mailacct_snapshot *failed = mailacct_snapshot_failed(conf);
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        const struct mailacct_diag *e = NULL;
        int r;

        if (failed && failed->error == -EIO && failed->status.note[0]) {
                r = decide(u, OUT_UNAVAILABLE, login, "%s", failed->status.note);
                mailacct_snapshot_put(failed);
                return r;
        }
        mailacct_snapshot_put(failed);
        mailacct_diags_init(&diags);
        r = mailacct_file_load(conf, &d, &diags, NULL);
        mailacct_dir_free(d);
        for (size_t i = 0; i < diags.n && !e; i++)
                if (diags.v[i].severity == MAILACCT_ERROR)
                        e = &diags.v[i];
        if (e && e->line > 0)
                r = decide(u, OUT_UNAVAILABLE, login, "%s:%d: %s", e->file ? e->file : conf, e->line, e->text);
        else if (e)
                r = decide(u, OUT_UNAVAILABLE, login, "%s: %s", e->file ? e->file : conf, e->text);
        else
                r = decide(u, OUT_UNAVAILABLE, login, "%s: %s", conf,
                           r < 0 ? strerror(-r) : "changed while it was read");
        mailacct_diags_clear(&diags);
        return r;
}

/* The login resolved to its canonical name, copied into out. login is a
 * NUL-terminated copy; the caller checked its length. */
static int canonicalise(const sasl_utils_t *u, const char *login, char *out, unsigned out_max, unsigned *out_len)
{
        const char *conf = config_path(u);
        struct mailacct_snapshot *s;
        struct mailacct_login l;
        struct mailacct_result res;
        const char *why = NULL;
        size_t n;
        int r;

        /* a malformed name is refused before any file is opened */
        if (mailacct_login_parse(login, &l, &why) < 0)
                return unresolved(u, MAILACCT_INVALID_LOGIN, login, strlen(login), why);
        /* The three-part form authenticates one account and opens another
         * mailbox. SASL hands a mechanism one name to check the password
         * of and to open (PLAIN without an authzid canonicalises both in a
         * single call), so the mailbox cannot be told apart from the one
         * whose password counts: refused, never half-served. */
        if (l.form == MAILACCT_FORM_DELEGATE)
                return decide(u, OUT_DELEGATE, login,
                              "DOMAIN\\account\\mailbox opens a mailbox with another account's password, which "
                              "SASL cannot tell apart; log in as the mailbox itself (Dovecot serves this form)");
        r = mailacct_snapshot_get(conf, &s);
        if (r == -ENOMEM)
                return decide(u, OUT_NO_MEMORY, login, "out of memory");
        if (r < 0)
                return unavailable(u, conf, login);
        if (s->status.note[0] && mailacct_snapshot_note_due(s))
                say(u, SASL_LOG_WARN, s->status.from_index ? "index-stale" : "index-unused", NULL, 0,
                    "%s; %s (run 'mailacct compile')", s->status.note,
                    s->status.from_index ? "the stale index answers" : "answering from the configuration itself");
        r = mailacct_resolve_login(s->dir, &l, 0, &res);
        mailacct_snapshot_put(s);
        if (r < 0) {
                /* a damaged index is the directory's fault, not the user's */
                if (res.reason == MAILACCT_UNAVAILABLE)
                        return decide(u, OUT_UNAVAILABLE, login, "%s", res.message);
                return unresolved(u, res.reason, login, strlen(login), res.message);
        }
        n = strlen(res.canonical);
        if (n == 0)
                return decide(u, OUT_UNAVAILABLE, login, "no canonical name for the mailbox");
        if (n >= out_max)
                return decide(u, OUT_TOO_LONG, login, "%s is longer than the %u bytes the application allows",
                              res.canonical, out_max);
        memcpy(out, res.canonical, n + 1);
        *out_len = (unsigned)n;
        return decide(u, OUT_OK, login, "%s", res.canonical);
}

static int canon_server(void *glob, sasl_server_params_t *params, const char *user, unsigned len, unsigned flags,
                        char *out, unsigned out_max, unsigned *out_len)
{
        /* in and out may be the same buffer: the login is copied first */
        char login[MAILACCT_LOGIN_MAX + 1];
        const sasl_utils_t *u;

        (void)glob;
        (void)flags; /* the authentication and the authorisation name alike */
        if (!params || !params->utils || !user || !out || !out_len || !out_max)
                return SASL_BADPARAM;
        u = params->utils;
        if (!len)
                len = (unsigned)strlen(user);
        /* Hostile names are refused here, before the parser: longer than
         * any login, or holding a NUL the C string would hide. */
        if (len > MAILACCT_LOGIN_MAX || memchr(user, '\0', len))
                return unresolved(u, MAILACCT_INVALID_LOGIN, user, len,
                                  len > MAILACCT_LOGIN_MAX ? "longer than 320 bytes" : "holds a NUL byte");
        memcpy(login, user, len);
        login[len] = '\0';
        return canonicalise(u, login, out, out_max, out_len);
}

/* The client side names itself and needs no directory: the name is passed
 * on as given (libsasl would call a missing function here). */
static int canon_client(void *glob, sasl_client_params_t *params, const char *user, unsigned len, unsigned flags,
                        char *out, unsigned out_max, unsigned *out_len)
{
        (void)glob;
        (void)params;
        (void)flags;
        if (!user || !out || !out_len)
                return SASL_BADPARAM;
        if (!len)
                len = (unsigned)strlen(user);
        if (len >= out_max)
                return SASL_BUFOVER;
        memmove(out, user, len);
        out[len] = '\0';
        *out_len = len;
        return SASL_OK;
}

static sasl_canonuser_plug_t plugin = {
        .name = (char *)PLUGIN_NAME,
        .canon_user_server = canon_server,
        .canon_user_client = canon_client,
};

int sasl_canonuser_init(const sasl_utils_t *utils, int max_version, int *out_version, sasl_canonuser_plug_t **plug,
                        const char *plugname) EXPORT;

int sasl_canonuser_init(const sasl_utils_t *utils, int max_version, int *out_version, sasl_canonuser_plug_t **plug,
                        const char *plugname)
{
        (void)utils;
        (void)plugname;
        if (!out_version || !plug)
                return SASL_BADPARAM;
        if (max_version < SASL_CANONUSER_PLUG_VERSION)
                return SASL_BADVERS;
        *out_version = SASL_CANONUSER_PLUG_VERSION;
        *plug = &plugin;
        return SASL_OK;
}
