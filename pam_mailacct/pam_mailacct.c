/* SPDX-License-Identifier: MIT */
/* pam_mailacct: PAM entry points and argument parsing. The rules live in
 * lib/ (resolve.c, account.c) and source/; this file only asks them,
 * talks to the application and turns the answers into PAM codes (codes.c)
 * and log lines (log.c). See pam_mailacct(8). */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "account.h"
#include "bind.h"
#include "cache.h"
#include "directory.h"
#include "file.h"
#include "pam_mailacct.h"
#include "resolve.h"
#include "secrets.h"
#include "source.h"

#define EXPORT __attribute__((visibility("default")))

/* What authenticate learnt, for acct_mgmt on the same handle: the directory
 * already parsed and who the login named. Dovecot calls acct_mgmt with the
 * canonical name we set; an application that ignores PAM_USER changes calls
 * it with the login as typed. Both must find this. */
#define STATE_KEY "pam_mailacct_state"

struct state {
        struct mailacct_snapshot *snap; /* holds the directory open */
        char *login;                    /* as typed */
        char *canonical;
        /* resolve_only: the principal's name handed to the next module in
         * PAM_USER; acct_mgmt sets the canonical mailbox once it has
         * checked the account. NULL otherwise. */
        char *principal_name;
        uint32_t mailbox;
        uint32_t principal;
};

static void state_free(struct state *s)
{
        if (!s)
                return;
        mailacct_snapshot_put(s->snap);
        free(s->login);
        free(s->canonical);
        free(s->principal_name);
        free(s);
}

static void state_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
        (void)pamh;
        (void)error_status;
        state_free(data);
}

/* ---- options --------------------------------------------------------- */

static void set_conf_opt(pam_handle_t *pamh, struct mailacct_pam_opts *o, const char *name, const char *value,
                         const char *arg)
{
        static const struct {
                const char *name;
                size_t offset;
        } flags[] = {
                {"resolve_only", offsetof(struct mailacct_pam_opts, resolve_only)},
                {"nocanon", offsetof(struct mailacct_pam_opts, nocanon)},
                {"use_first_pass", offsetof(struct mailacct_pam_opts, use_first_pass)},
                {"try_first_pass", offsetof(struct mailacct_pam_opts, try_first_pass)},
                {"debug", offsetof(struct mailacct_pam_opts, debug)},
                {"quiet", offsetof(struct mailacct_pam_opts, quiet)},
        };

        if (strcmp(name, "principal") == 0) {
                static const char *const forms[] = {"address", "local", "netbios", "upn", "mailbox"};
                for (size_t i = 0; value && i < sizeof(forms) / sizeof(forms[0]); i++)
                        if (strcmp(value, forms[i]) == 0) {
                                o->principal = (enum mailacct_principal_form)i;
                                return;
                        }
                mailacct_pam_log(pamh, o, LOG_ERR, "bad-option", NULL,
                                 "\"%s\": principal= takes address, local, netbios, upn or mailbox; address is used",
                                 arg);
                return;
        }
        if (strcmp(name, "config") == 0 || strcmp(name, "protocol") == 0) {
                const char **to = name[0] == 'c' ? &o->config : &o->protocol;
                if (value && *value)
                        *to = value;
                else
                        mailacct_pam_log(pamh, o, LOG_ERR, "bad-option", NULL, "\"%s\" needs a %s; ignored", arg,
                                         name[0] == 'c' ? "path" : "protocol name");
                return;
        }
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
                if (strcmp(name, flags[i].name) != 0)
                        continue;
                if (value)
                        mailacct_pam_log(pamh, o, LOG_ERR, "bad-option", NULL, "\"%s\" takes no value; ignored", arg);
                else
                        *(bool *)((char *)o + flags[i].offset) = true;
                return;
        }
        mailacct_pam_log(pamh, o, LOG_ERR, "bad-option", NULL, "unknown option \"%s\" ignored", arg);
}

static void parse_args(pam_handle_t *pamh, int argc, const char **argv, struct mailacct_pam_opts *o)
{
        memset(o, 0, sizeof(*o));
        o->config = MAILACCT_CONF_DEFAULT;
        /* debug first, so that it also covers complaints about the others */
        for (int i = 0; i < argc; i++)
                if (argv[i] && strcmp(argv[i], "debug") == 0)
                        o->debug = true;
        for (int i = 0; i < argc; i++) {
                const char *eq;
                char name[32];

                if (!argv[i])
                        continue;
                eq = strchr(argv[i], '=');
                if ((eq ? (size_t)(eq - argv[i]) : strlen(argv[i])) >= sizeof(name)) {
                        mailacct_pam_log(pamh, o, LOG_ERR, "bad-option", NULL, "unknown option \"%s\" ignored",
                                         argv[i]);
                        continue;
                }
                snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - argv[i]) : (int)strlen(argv[i]), argv[i]);
                set_conf_opt(pamh, o, name, eq ? eq + 1 : NULL, argv[i]);
        }
        if (o->use_first_pass && o->try_first_pass)
                o->try_first_pass = false; /* the stricter one wins, as in pam_unix */
        mailacct_pam_log(pamh, o, LOG_DEBUG, "options", NULL, "config=%s%s%s%s%s%s%s%s", o->config,
                         o->protocol ? " protocol=" : "", o->protocol ? o->protocol : "",
                         o->resolve_only ? " resolve_only" : "", o->nocanon ? " nocanon" : "",
                         o->use_first_pass ? " use_first_pass" : "", o->try_first_pass ? " try_first_pass" : "",
                         o->quiet ? " quiet" : "");
}

/* ---- decisions -------------------------------------------------------- */

/* The reason code of the last decision, for the application too: PAM's
 * environment of the handle (mailacct test prints it; a mail server that
 * wants it reads it with pam_getenv). Never the login or a password. */
static void note_reason(pam_handle_t *pamh, const char *code)
{
        char env[64];

        snprintf(env, sizeof(env), "MAILACCT_REASON=%s", code);
        (void)pam_putenv(pamh, env);
}

/* Logs one decision and returns its PAM code. */
__attribute__((format(printf, 5, 6))) static int decide(pam_handle_t *pamh, const struct mailacct_pam_opts *o,
                                                        enum mailacct_pam_decision d, const char *login,
                                                        const char *fmt, ...)
{
        char detail[1536];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        mailacct_pam_log(pamh, o, mailacct_pam_priority(d), mailacct_pam_decision_name(d), login, "%s", detail);
        note_reason(pamh, mailacct_pam_decision_name(d));
        return mailacct_pam_code(d);
}

static const char *address_of(const struct mailacct_dir *d, uint32_t id)
{
        const char *a = mailacct_dir_address(d, id);

        return a ? a : "(damaged index)";
}

/* A login that names no single mailbox: the resolver's reason is the code
 * in the log and its message the detail (it names candidates and the forms
 * that work). Under quiet the message may quote the login, so only the
 * candidates are given. */
static int unresolved(pam_handle_t *pamh, const struct mailacct_pam_opts *o, const struct mailacct_dir *d,
                      const struct mailacct_result *r, const char *login)
{
        const char *code = mailacct_reason_name(r->reason);
        /* a damaged index is the administrator's emergency, not a user's typo */
        int prio = r->reason == MAILACCT_UNAVAILABLE ? LOG_ERR : LOG_NOTICE;
        char cand[1024] = "";
        size_t n = 0;

        if (o->quiet) {
                for (size_t i = 0; i < r->n_candidates && n < sizeof(cand); i++)
                        n += (size_t)snprintf(cand + n, sizeof(cand) - n, "%s%s", i ? ", " : "",
                                              address_of(d, r->candidates[i]));
                mailacct_pam_log(pamh, o, prio, code, NULL, "%s", n ? cand : "no mailbox");
        } else
                mailacct_pam_log(pamh, o, prio, code, login, "%s", r->message);
        note_reason(pamh, code);
        return mailacct_pam_reason_code(r->reason);
}

/* The directory from the process-wide cache: the compiled index when it is
 * current, else the parsed configuration, opened again only when a file
 * changes. An auth worker answers thousands of logins on one parse. */
static enum mailacct_pam_decision load_dir(pam_handle_t *pamh, const struct mailacct_pam_opts *o, const char *login,
                                           struct mailacct_snapshot **out, int *ret)
{
        struct mailacct_snapshot *failed;
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        int r;

        r = mailacct_snapshot_get(o->config, out);
        if (r == 0) {
                /* an index not used, or answering though stale: once a
                 * minute, not once per login */
                if ((*out)->status.note[0] && mailacct_snapshot_note_due(*out))
                        mailacct_pam_log(pamh, o, LOG_WARNING,
                                         (*out)->status.from_index ? "index-stale" : "index-unused", NULL,
                                         "%s; %s (run 'mailacct compile')", (*out)->status.note,
                                         (*out)->status.from_index ? "the stale index answers"
                                                                   : "answering from the configuration itself");
                return MAILACCT_PAM_OK;
        }
        if (r == -ENOMEM) {
                *ret = decide(pamh, o, MAILACCT_PAM_NO_MEMORY, login, "out of memory");
                return MAILACCT_PAM_NO_MEMORY;
        }
        /* failed closed on the index: its note says why */
        failed = mailacct_snapshot_failed(o->config);
        if (failed && failed->error == -EIO && failed->status.note[0]) {
                *ret = decide(pamh, o, MAILACCT_PAM_CONFIG_UNAVAILABLE, login, "%s", failed->status.note);
                mailacct_snapshot_put(failed);
                return MAILACCT_PAM_CONFIG_UNAVAILABLE;
        }
        mailacct_snapshot_put(failed);
        /* unusable: read it once more for the first error, the one to fix
         * (`mailacct check` lists all) */
        mailacct_diags_init(&diags);
        r = mailacct_file_load(o->config, &d, &diags, NULL);
        mailacct_dir_free(d);
        {
                const struct mailacct_diag *e = NULL;
                enum mailacct_pam_decision dec = MAILACCT_PAM_CONFIG_UNAVAILABLE;

                for (size_t i = 0; i < diags.n && !e; i++)
                        if (diags.v[i].severity == MAILACCT_ERROR)
                                e = &diags.v[i];
                if (e && e->line > 0)
                        *ret = decide(pamh, o, dec, login, "%s:%d: %s", e->file ? e->file : o->config, e->line,
                                      e->text);
                else if (e)
                        *ret = decide(pamh, o, dec, login, "%s: %s", e->file ? e->file : o->config, e->text);
                else
                        *ret = decide(pamh, o, dec, login, "%s: %s", o->config,
                                      r < 0 ? strerror(-r) : "changed while it was read");
        }
        mailacct_diags_clear(&diags);
        return MAILACCT_PAM_CONFIG_UNAVAILABLE;
}

/* ---- authentication --------------------------------------------------- */

/* passwords = "ldap-bind": where the servers are, read from the
 * configuration at each authentication (a moved server applies at once),
 * within the readers' parse limit. */
static int load_bind(pam_handle_t *pamh, const struct mailacct_pam_opts *o, const char *login,
                     struct mailacct_ldap_conf **out)
{
        struct mailacct_diags diags;
        const struct mailacct_diag *e = NULL;
        int r, ret;

        mailacct_diags_init(&diags);
        r = mailacct_file_read_ldap(o->config, MAILACCT_PARSE_LIMIT, out, &diags);
        if (r == 0) {
                mailacct_diags_clear(&diags);
                return PAM_SUCCESS;
        }
        for (size_t i = 0; i < diags.n && !e; i++)
                if (diags.v[i].severity == MAILACCT_ERROR)
                        e = &diags.v[i];
        if (r == -ENOMEM)
                ret = decide(pamh, o, MAILACCT_PAM_NO_MEMORY, login, "out of memory");
        else if (e && e->line > 0)
                ret = decide(pamh, o, MAILACCT_PAM_CONFIG_UNAVAILABLE, login,
                             "passwords = \"ldap-bind\", but the ldap group cannot be read: %s:%d: %s",
                             e->file ? e->file : o->config, e->line, e->text);
        else if (e)
                ret = decide(pamh, o, MAILACCT_PAM_CONFIG_UNAVAILABLE, login,
                             "passwords = \"ldap-bind\", but the ldap group cannot be read: %s: %s",
                             e->file ? e->file : o->config, e->text);
        else
                ret = decide(pamh, o, MAILACCT_PAM_CONFIG_UNAVAILABLE, login,
                             "passwords = \"ldap-bind\", but the ldap group cannot be read: %s: %s", o->config,
                             strerror(-r));
        mailacct_diags_clear(&diags);
        return ret;
}

/* One password through the account library: the principal's hash, or the
 * same work for a login that names no one (lib/account.c). */
static enum mailacct_pam_decision verify(const struct mailacct_dir *dir, const struct mailacct_result *r,
                                         const struct mailacct_verifier *v, const char *password)
{
        switch (mailacct_authenticate_resolved(dir, r, password, v)) {
        case MAILACCT_AUTH_OK:
                return MAILACCT_PAM_OK;
        case MAILACCT_AUTH_UNRESOLVED:
                return MAILACCT_PAM_UNRESOLVED;
        case MAILACCT_AUTH_WRONG_PASSWORD:
                return MAILACCT_PAM_WRONG_PASSWORD;
        case MAILACCT_AUTH_NO_PASSWORD:
                return MAILACCT_PAM_NO_PASSWORD;
        case MAILACCT_AUTH_BAD_HASH:
                return MAILACCT_PAM_BAD_HASH;
        case MAILACCT_AUTH_UNAVAILABLE:
                return MAILACCT_PAM_DIRECTORY_UNAVAILABLE;
        default:
                return MAILACCT_PAM_NO_MEMORY;
        }
}

/* Asks the application for the password; sets PAM_AUTHTOK so that modules
 * stacked after this one can use_first_pass. */
static int ask_password(pam_handle_t *pamh, char **out)
{
        char *resp = NULL;
        int ret;

        *out = NULL;
        ret = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "Password: ");
        if (ret != PAM_SUCCESS || !resp) {
                if (resp) {
                        explicit_bzero(resp, strlen(resp));
                        free(resp);
                }
                return ret == PAM_SUCCESS ? PAM_CONV_ERR : ret;
        }
        ret = pam_set_item(pamh, PAM_AUTHTOK, resp);
        if (ret != PAM_SUCCESS) {
                explicit_bzero(resp, strlen(resp));
                free(resp);
                return ret;
        }
        *out = resp;
        return PAM_SUCCESS;
}

static void drop_password(char **p)
{
        if (*p) {
                explicit_bzero(*p, strlen(*p));
                free(*p);
                *p = NULL;
        }
}

static bool worth_asking_again(enum mailacct_pam_decision d)
{
        return d == MAILACCT_PAM_WRONG_PASSWORD || d == MAILACCT_PAM_NO_PASSWORD || d == MAILACCT_PAM_UNRESOLVED;
}

/* unavailable: why the directory could not check it (the bind's note), or NULL */
static int check_password(pam_handle_t *pamh, const struct mailacct_pam_opts *o, const struct mailacct_dir *dir,
                          const struct mailacct_verifier *v, const struct mailacct_result *r, const char *login,
                          bool synced, const char *unavailable)
{
        const char *principal = r->reason == MAILACCT_OK ? address_of(dir, r->principal) : NULL;
        const char *secrets = mailacct_dir_settings(dir)->secrets;
        enum mailacct_pam_decision d = MAILACCT_PAM_UNRESOLVED;
        const void *first = NULL;
        char *typed = NULL;
        bool tried = false;
        int ret;

        if (o->use_first_pass || o->try_first_pass) {
                if (pam_get_item(pamh, PAM_AUTHTOK, &first) != PAM_SUCCESS)
                        first = NULL;
                if (first) {
                        d = verify(dir, r, v, first);
                        tried = true;
                } else if (o->use_first_pass)
                        return decide(pamh, o, MAILACCT_PAM_NO_AUTHTOK, login,
                                      "use_first_pass, but no earlier module obtained a password");
        }
        if (!tried || (o->try_first_pass && worth_asking_again(d))) {
                ret = ask_password(pamh, &typed);
                if (ret == PAM_CONV_AGAIN)
                        return PAM_INCOMPLETE; /* the application will call again */
                if (ret != PAM_SUCCESS)
                        return decide(pamh, o, ret == PAM_BUF_ERR ? MAILACCT_PAM_NO_MEMORY : MAILACCT_PAM_CONV_FAILED,
                                      login, "no password from the application: %s", pam_strerror(pamh, ret));
                d = verify(dir, r, v, typed);
                drop_password(&typed);
        }

        switch (d) {
        case MAILACCT_PAM_OK:
                return PAM_SUCCESS; /* the caller logs the success with the canonical name */
        case MAILACCT_PAM_UNRESOLVED:
                return unresolved(pamh, o, dir, r, login);
        case MAILACCT_PAM_WRONG_PASSWORD:
                if (r->principal != r->mailbox)
                        return decide(pamh, o, d, login, "%s (password of %s, opening %s)", r->canonical, principal,
                                      address_of(dir, r->mailbox));
                return decide(pamh, o, d, login, "%s", r->canonical);
        case MAILACCT_PAM_NO_PASSWORD:
                if (!secrets)
                        return decide(pamh, o, d, login,
                                      mailacct_dir_settings(dir)->passwords == MAILACCT_PASSWORDS_LDAP_BIND
                                              ? "%s has no DN to bind as (a mailbox of the file), and the "
                                                "configuration names no secrets file for it"
                                              : "%s has no password hash synced from the directory (no {CRYPT} "
                                                "userPassword the sync may read) and there is no secrets file",
                                      principal);
                return decide(pamh, o, d, login,
                              "%s has no line in the secrets file %s%s; set one with `mailacct passwd %s`", principal,
                              secrets, synced ? " and no hash synced from the directory" : "", principal);
        case MAILACCT_PAM_BAD_HASH:
                return decide(pamh, o, d, login,
                              "the hash of %s (its line in %s, or synced) is not one crypt(3) can read", principal,
                              secrets ? secrets : "no secrets file");
        case MAILACCT_PAM_DIRECTORY_UNAVAILABLE:
                /* never success, and the same answer whoever the login names */
                return decide(pamh, o, d, login, "no directory server answered the password bind: %s",
                              unavailable && *unavailable ? unavailable : "(no reason given)");
        default:
                return decide(pamh, o, d, login, "password check failed for %s", r->canonical);
        }
}

/* The principal as the module after a resolve_only one knows it (the
 * principal= option); the address wherever the form has nothing to say. */
static int principal_name(const struct mailacct_dir *d, uint32_t p, enum mailacct_principal_form form, char *buf,
                          size_t len)
{
        struct mailacct_mbox_view v;
        struct mailacct_domain_view dv;
        const char *dn = NULL, *upn = NULL;
        int n = -1;

        if (mailacct_dir_mailbox(d, p, &v) < 0)
                return -EBADMSG;
        switch (form) {
        case MAILACCT_PRINCIPAL_LOCAL:
                n = snprintf(buf, len, "%s", v.local);
                break;
        case MAILACCT_PRINCIPAL_NETBIOS:
                if (v.nt_account && v.nt_domain)
                        n = snprintf(buf, len, "%s\\%s", v.nt_domain, v.nt_account);
                else if (v.nt_account && mailacct_dir_domain(d, v.domain, &dv) == 0 && dv.netbios)
                        n = snprintf(buf, len, "%s\\%s", dv.netbios, v.nt_account);
                break;
        case MAILACCT_PRINCIPAL_UPN:
                /* the raw value, hosted domain or not: it is the KDC's name */
                if (mailacct_dir_names(d, p, &dn, &upn) == 0 && upn)
                        n = snprintf(buf, len, "%s", upn);
                break;
        case MAILACCT_PRINCIPAL_ADDRESS:
        case MAILACCT_PRINCIPAL_MAILBOX:
                break;
        }
        if (n < 0)
                n = snprintf(buf, len, "%s", v.address);
        return n >= 0 && (size_t)n < len ? 0 : -ERANGE;
}

/* Success: hand the canonical name back through PAM_USER (resolve_only: the
 * principal's name, for the module that checks its password) and keep what
 * we learnt for acct_mgmt. */
static int accept_login(pam_handle_t *pamh, const struct mailacct_pam_opts *o, struct mailacct_snapshot **snap,
                        const struct mailacct_result *r, const char *login)
{
        char pname[MAILACCT_LOGIN_MAX + 1];
        const char *user = r->canonical;
        struct state *s;
        int ret;

        /* principal=mailbox: the canonical mailbox at once, as ever */
        bool hand_over = o->resolve_only && o->principal != MAILACCT_PRINCIPAL_MAILBOX;

        if (hand_over) {
                if (principal_name((*snap)->dir, r->principal, o->principal, pname, sizeof(pname)) < 0)
                        return decide(pamh, o, MAILACCT_PAM_CONFIG_UNAVAILABLE, login,
                                      "the principal's entry cannot be read (a damaged index?)");
                user = pname;
        }
        if (!o->nocanon && strcmp(login, user) != 0) {
                /* login is our own copy: pam_set_item frees PAM's */
                ret = pam_set_item(pamh, PAM_USER, user);
                if (ret != PAM_SUCCESS)
                        return decide(pamh, o, MAILACCT_PAM_NO_MEMORY, login, "cannot set PAM_USER to %s: %s", user,
                                      pam_strerror(pamh, ret));
        }
        if (hand_over)
                decide(pamh, o, MAILACCT_PAM_OK, login,
                       "%s (%s, rule %s) resolve_only: PAM_USER is the principal \"%s\" until the account phase",
                       r->canonical, mailacct_form_name(r->form), r->rule, o->nocanon ? login : user);
        else if (r->principal != r->mailbox)
                decide(pamh, o, MAILACCT_PAM_OK, login, "%s (%s, rule %s; password of %s)%s", r->canonical,
                       mailacct_form_name(r->form), r->rule, address_of((*snap)->dir, r->principal),
                       o->resolve_only ? " resolve_only" : "");
        else
                decide(pamh, o, MAILACCT_PAM_OK, login, "%s (%s, rule %s)%s", r->canonical, mailacct_form_name(r->form),
                       r->rule, o->resolve_only ? " resolve_only" : "");
        mailacct_pam_log(pamh, o, LOG_DEBUG, "why", login, "%s", r->why);

        s = calloc(1, sizeof(*s));
        if (s) {
                s->login = strdup(login);
                s->canonical = strdup(r->canonical);
                s->mailbox = r->mailbox;
                s->principal = r->principal;
                if (hand_over)
                        s->principal_name = strdup(o->nocanon ? login : user);
        }
        if (!s || !s->login || !s->canonical || (hand_over && !s->principal_name)) {
                /* resolve_only cannot hand over without its state: refuse
                 * rather than leave the principal's name as the session's */
                if (hand_over) {
                        state_free(s);
                        return decide(pamh, o, MAILACCT_PAM_NO_MEMORY, login, "out of memory");
                }
                state_free(s);
                return PAM_SUCCESS; /* acct_mgmt resolves PAM_USER again */
        }
        s->snap = *snap;
        *snap = NULL;
        if (pam_set_data(pamh, STATE_KEY, s, state_cleanup) != PAM_SUCCESS) {
                state_free(s);
                if (hand_over)
                        return decide(pamh, o, MAILACCT_PAM_NO_MEMORY, login, "cannot keep the login for acct_mgmt");
        }
        return PAM_SUCCESS;
}

EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        struct mailacct_pam_opts o;
        struct mailacct_snapshot *snap = NULL;
        const struct mailacct_dir *dir;
        struct mailacct_secrets *sec = NULL, *synced = NULL;
        struct mailacct_hash_places places;
        struct mailacct_verifier verifier, secrets_v;
        struct mailacct_ldap_conf *lc = NULL;
        struct mailacct_bind *bind = NULL;
        struct mailacct_result *r = NULL;
        const char *item = NULL;
        char *login = NULL;
        int ret;

        (void)flags;
        parse_args(pamh, argc, argv, &o);
        ret = pam_get_user(pamh, &item, NULL);
        if (ret != PAM_SUCCESS || !item || !*item) {
                if (ret == PAM_CONV_AGAIN)
                        return PAM_INCOMPLETE;
                mailacct_pam_log(pamh, &o, LOG_ERR, "no-user", NULL, "no login name: %s",
                                 ret == PAM_SUCCESS ? "empty" : pam_strerror(pamh, ret));
                return ret == PAM_SUCCESS ? PAM_USER_UNKNOWN : ret;
        }
        /* pam_set_item(PAM_USER) frees item: work on a copy */
        login = strdup(item);
        r = malloc(sizeof(*r));
        if (!login || !r) {
                ret = decide(pamh, &o, MAILACCT_PAM_NO_MEMORY, NULL, "out of memory");
                goto out;
        }
        if (load_dir(pamh, &o, login, &snap, &ret) != MAILACCT_PAM_OK)
                goto out;
        dir = snap->dir;
        if (!o.resolve_only) {
                const char *secrets = mailacct_dir_settings(dir)->secrets;
                bool ldap_bind = mailacct_dir_settings(dir)->passwords == MAILACCT_PASSWORDS_LDAP_BIND;
                char err[1024];
                int k = 0;

                if (ldap_bind) {
                        if ((ret = load_bind(pamh, &o, login, &lc)) != PAM_SUCCESS)
                                goto out;
                } else if (snap->status.ldap) {
                        /* the hashes a sync kept from the directory, beside
                         * its index: none is fine, one the trust rules
                         * refuse is not */
                        k = mailacct_secrets_open_synced(snap->status.index_path, &synced, err, sizeof(err));
                        if (k == -ENOENT)
                                k = 0;
                }
                if (k == 0 && !secrets && !synced && !ldap_bind) {
                        ret = decide(pamh, &o, MAILACCT_PAM_SECRETS_UNAVAILABLE, login,
                                     snap->status.ldap ? "%s names no secrets file (secrets = \"...\";) and the sync "
                                                         "kept no password hash from the directory"
                                                       : "%s names no secrets file (secrets = \"...\";)",
                                     o.config);
                        goto out;
                }
                /* ldap-bind: the secrets file is for the file's mailboxes,
                 * which have no DN; a site may have none */
                if (k == 0 && secrets)
                        k = mailacct_secrets_load(secrets, true, &sec, err, sizeof(err));
                if (k < 0) {
                        ret = decide(pamh, &o, k == -ENOMEM ? MAILACCT_PAM_NO_MEMORY : MAILACCT_PAM_SECRETS_UNAVAILABLE,
                                     login, "%s", err);
                        goto out;
                }
                if (sec)
                        mailacct_secrets_verifier(sec, &secrets_v);
                if (ldap_bind) {
                        if (mailacct_bind_new(lc, sec ? &secrets_v : NULL, &bind) < 0) {
                                ret = decide(pamh, &o, MAILACCT_PAM_NO_MEMORY, login, "out of memory");
                                goto out;
                        }
                        mailacct_bind_verifier(bind, &verifier);
                } else if (synced)
                        mailacct_passwords_verifier(&places, sec, synced, &verifier);
                else
                        verifier = secrets_v;
        }
        mailacct_resolve(dir, login, r);
        if (o.resolve_only)
                ret = r->reason == MAILACCT_OK ? PAM_SUCCESS : unresolved(pamh, &o, dir, r, login);
        else
                ret = check_password(pamh, &o, dir, &verifier, r, login, synced != NULL,
                                     bind ? mailacct_bind_note(bind) : NULL);
        if (ret == PAM_SUCCESS)
                ret = accept_login(pamh, &o, &snap, r, login);
out:
        mailacct_bind_free(bind);
        mailacct_ldap_conf_clear(lc);
        free(lc);
        mailacct_secrets_free(sec);
        mailacct_secrets_free(synced);
        mailacct_snapshot_put(snap);
        free(r);
        free(login);
        return ret;
}

EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        (void)pamh;
        (void)flags;
        (void)argc;
        (void)argv;
        return PAM_SUCCESS;
}

/* ---- account ---------------------------------------------------------- */

EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        struct mailacct_pam_opts o;
        struct mailacct_snapshot *own = NULL;
        const struct mailacct_dir *dir;
        struct mailacct_result *r = NULL;
        const void *user = NULL, *service = NULL, *data = NULL;
        const struct state *s = NULL;
        const char *login, *svc;
        uint32_t mailbox, principal;
        int ret;

        (void)flags;
        parse_args(pamh, argc, argv, &o);
        if (pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS || !user || !*(const char *)user) {
                mailacct_pam_log(pamh, &o, LOG_ERR, "no-user", NULL, "acct_mgmt without PAM_USER");
                return PAM_USER_UNKNOWN;
        }
        if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS)
                service = NULL;
        login = user;
        if (pam_get_data(pamh, STATE_KEY, &data) == PAM_SUCCESS && data)
                s = data;
        if (s) {
                /* What authenticate judged is what this phase judges: a
                 * PAM_USER changed in between may name the same mailbox
                 * (boss, BOSS@example.com, the canonical name), never
                 * another one, nor drop the principal that authenticated
                 * (EXAMPLE\former\boss, then "boss": former is still the
                 * one to check). */
                /* resolve_only: the name it gave the next module, or any
                 * name of that principal, is expected here */
                if (strcmp(login, s->canonical) != 0 && strcmp(login, s->login) != 0 &&
                    !(s->principal_name && strcmp(login, s->principal_name) == 0)) {
                        r = malloc(sizeof(*r));
                        if (!r) {
                                ret = decide(pamh, &o, MAILACCT_PAM_NO_MEMORY, NULL, "out of memory");
                                goto out;
                        }
                        if (mailacct_resolve(s->snap->dir, login, r) < 0 ||
                            (r->mailbox != s->mailbox && !(s->principal_name && r->mailbox == s->principal))) {
                                ret = decide(pamh, &o, MAILACCT_PAM_USER_CHANGED, login,
                                             "PAM_USER changed after authentication from \"%s\" (%s) to a name "
                                             "that %s",
                                             s->login, s->canonical,
                                             r->reason == MAILACCT_OK ? "opens another mailbox" : "opens no mailbox");
                                goto out;
                        }
                }
                dir = s->snap->dir;
                mailbox = s->mailbox;
                principal = s->principal;
                login = s->login;
        } else {
                if (load_dir(pamh, &o, login, &own, &ret) != MAILACCT_PAM_OK)
                        return ret;
                r = malloc(sizeof(*r));
                if (!r) {
                        ret = decide(pamh, &o, MAILACCT_PAM_NO_MEMORY, NULL, "out of memory");
                        goto out;
                }
                if (mailacct_resolve(own->dir, login, r) < 0) {
                        ret = unresolved(pamh, &o, own->dir, r, login);
                        goto out;
                }
                dir = own->dir;
                mailbox = r->mailbox;
                principal = r->principal;
        }
        svc = o.protocol ? o.protocol : (const char *)service;
        switch (mailacct_account(dir, mailbox, principal, svc)) {
        case MAILACCT_ACCT_OK:
                /* resolve_only: the principal's module is done; now the
                 * server is to open the mailbox */
                if (s && s->principal_name && !o.nocanon && strcmp((const char *)user, s->canonical) != 0 &&
                    pam_set_item(pamh, PAM_USER, s->canonical) != PAM_SUCCESS) {
                        ret = decide(pamh, &o, MAILACCT_PAM_NO_MEMORY, login, "cannot set PAM_USER to %s",
                                     s->canonical);
                        break;
                }
                ret = decide(pamh, &o, MAILACCT_PAM_OK, login, "account %s may use %s", address_of(dir, mailbox),
                             svc ? svc : "(no service)");
                break;
        case MAILACCT_ACCT_PRINCIPAL_DISABLED:
                ret = decide(pamh, &o, MAILACCT_PAM_PRINCIPAL_DISABLED, login, "%s opens %s, but %s is disabled",
                             address_of(dir, principal), address_of(dir, mailbox), address_of(dir, principal));
                break;
        case MAILACCT_ACCT_DISABLED:
                ret = decide(pamh, &o, MAILACCT_PAM_DISABLED, login, "%s is disabled (enabled = false)",
                             address_of(dir, mailbox));
                break;
        case MAILACCT_ACCT_SERVICE_DENIED:
                ret = decide(pamh, &o, MAILACCT_PAM_SERVICE_DENIED, login,
                             "%s may not use service \"%s\" (services lists the ones allowed)",
                             address_of(dir, mailbox), svc ? svc : "(none)");
                break;
        default:
                ret = decide(pamh, &o, MAILACCT_PAM_CONFIG_UNAVAILABLE, login,
                             "the compiled index is damaged; run 'mailacct compile'");
                break;
        }
out:
        free(r);
        mailacct_snapshot_put(own);
        return ret;
}

/* ---- password change ------------------------------------------------- */

EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        struct mailacct_pam_opts o;
        const void *user = NULL;

        parse_args(pamh, argc, argv, &o);
        /* both passes (PAM_PRELIM_CHECK, PAM_UPDATE_AUTHTOK) get the same answer */
        if (pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS)
                user = NULL;
        return decide(pamh, &o, MAILACCT_PAM_CHAUTHTOK, user,
                      "password changes go through `mailacct passwd ADDRESS`, not PAM%s",
                      flags & PAM_PRELIM_CHECK ? " (preliminary check)" : "");
}
