/* SPDX-License-Identifier: MIT */
/* mailacct show: one mailbox as the modules see it. The logins listed are
 * not derived from the entry by a second copy of the rules: each plausible
 * form is put to the resolver, and its answer is what is shown. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "declare.h"
#include "resolve.h"
#include "secrets.h"
#include "strutil.h"

#define MAX_FORMS 256

struct forms {
        char *v[MAX_FORMS];
        size_t n;
};

static void add(struct forms *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct forms *f, const char *fmt, ...)
{
        char buf[MAILACCT_LOGIN_MAX + 2];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf) || f->n == MAX_FORMS)
                return;
        for (size_t i = 0; i < f->n; i++)
                if (mailacct_streq_fold(f->v[i], buf))
                        return;
        f->v[f->n] = strdup(buf);
        if (f->v[f->n])
                f->n++;
}

static void forms_free(struct forms *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->v[i]);
        f->n = 0;
}

/* Every name of a domain that may follow "@": its DNS name and aliases. */
static void at_domain(struct forms *f, const struct mailacct_dir *d, uint32_t dom, const char *local)
{
        struct mailacct_domain_view dv;
        const char *alias;

        if (dom == MAILACCT_NONE || mailacct_dir_domain(d, dom, &dv) < 0)
                return;
        add(f, "%s@%s", local, dv.name);
        for (uint32_t i = 0; i < dv.n_aliases; i++)
                if (mailacct_dir_domain_alias(d, dom, i, &alias) == 0)
                        add(f, "%s@%s", local, alias);
}

/* An address's local part with every name of its hosted domain. */
static void address_forms(struct forms *f, const struct mailacct_dir *d, const char *address)
{
        const char *at = strrchr(address, '@');
        char local[MAILACCT_LOGIN_MAX + 1];

        if (!at || (size_t)(at - address) >= sizeof(local))
                return;
        memcpy(local, address, (size_t)(at - address));
        local[at - address] = '\0';
        add(f, "%s", address);
        at_domain(f, d, mailacct_dir_find_mail_domain(d, at + 1), local);
}

/* The two-part forms of a name in the mailbox's domain: NetBIOS and DNS. */
static void nt_forms(struct forms *f, const struct mailacct_domain_view *dv, const char *name)
{
        if (dv->netbios)
                add(f, "%s\\%s", dv->netbios, name);
        add(f, "%s\\%s", dv->name, name);
}

static void candidate_forms(struct forms *f, const struct mailacct_dir *d, uint32_t m,
                            const struct mailacct_mbox_view *v)
{
        struct mailacct_domain_view dv;
        const char *s, *dn = NULL, *upn = NULL;
        int line;

        address_forms(f, d, v->address);
        for (uint32_t i = 0; mailacct_dir_list(d, m, MAILACCT_LIST_ADDRESSES, i, &s, &line) == 0; i++)
                address_forms(f, d, s);
        if (mailacct_dir_domain(d, v->domain, &dv) < 0)
                return;
        if (v->nt_account) {
                if (v->nt_domain)
                        add(f, "%s\\%s", v->nt_domain, v->nt_account);
                nt_forms(f, &dv, v->nt_account);
        }
        for (uint32_t i = 0; mailacct_dir_list(d, m, MAILACCT_LIST_ALIASES, i, &s, &line) == 0; i++) {
                add(f, "%s", s);
                nt_forms(f, &dv, s);
                at_domain(f, d, v->domain, s);
        }
        if (mailacct_dir_names(d, m, &dn, &upn) == 0 && upn)
                add(f, "%s", upn);
}

/* The three-part forms: each delegate's own two-part login, then this
 * mailbox as typed alone. */
static void delegate_forms(struct forms *f, const struct mailacct_dir *d, uint32_t m, const struct forms *own)
{
        struct mailacct_mbox_view v, pv;
        uint32_t principal;

        if (mailacct_dir_mailbox(d, m, &v) < 0)
                return;
        for (uint32_t i = 0; i < v.n_delegates; i++) {
                struct mailacct_domain_view dv;
                const char *acct, *alias = NULL;
                int line;
                if (mailacct_dir_delegate(d, m, i, &principal) < 0 || principal == MAILACCT_NONE ||
                    mailacct_dir_mailbox(d, principal, &pv) < 0 || mailacct_dir_domain(d, pv.domain, &dv) < 0)
                        continue;
                if (mailacct_dir_list(d, principal, MAILACCT_LIST_ALIASES, 0, &acct, &line) < 0)
                        acct = NULL;
                if (pv.nt_account)
                        acct = pv.nt_account;
                if (!acct)
                        continue;
                /* the mailbox part: its first bare form, else its address */
                for (size_t k = 0; k < own->n && !alias; k++)
                        if (!strpbrk(own->v[k], "@\\/"))
                                alias = own->v[k];
                add(f, "%s\\%s\\%s", dv.netbios ? dv.netbios : dv.name, acct, alias ? alias : v.address);
        }
}

static const char *scheme_of(const char *hash)
{
        return strncmp(hash, "$y$", 3) == 0    ? "yescrypt"
               : strncmp(hash, "$6$", 3) == 0  ? "sha512"
               : strncmp(hash, "$2b$", 4) == 0 ? "bcrypt"
               : strncmp(hash, "$2y$", 4) == 0 ? "bcrypt"
               : strncmp(hash, "{", 1) == 0    ? "directory"
                                               : "other";
}

/* The hash a sync kept for a directory mailbox (by its DN), as the module
 * would find it: "yes", "no", or "unknown" with why. */
static const char *synced_state(const char *conf, const char *dn, char *why, size_t len, const char **scheme)
{
        struct mailacct_secrets *s;
        char ipath[4096];
        const char *hash;
        int r;

        if (!dn || mailacct_writer_target(conf, ipath, sizeof(ipath)) < 0)
                return "no";
        r = mailacct_secrets_open_synced(ipath, &s, why, len);
        if (r == -ENOENT) {
                why[0] = '\0';
                return "no";
        }
        if (r < 0)
                return "unknown";
        hash = mailacct_secrets_get(s, dn);
        if (hash) {
                *scheme = scheme_of(hash);
                snprintf(why, len, "synced from the directory");
        }
        mailacct_secrets_free(s);
        return hash ? "yes" : "no";
}

/* Whether the mailbox has a password: its line in the secrets file, else
 * (a directory mailbox) the hash a sync kept; "unknown" with the reason
 * when this user cannot read one. */
static const char *password_state(const char *conf, const struct mailacct_dir *d, const char *address, const char *dn,
                                  char *why, size_t len, const char **scheme)
{
        const char *path = mailacct_dir_settings(d)->secrets, *hash, *state;
        struct mailacct_secrets *s;
        int r;

        *scheme = NULL;
        why[0] = '\0';
        if (!path) {
                state = synced_state(conf, dn, why, len, scheme);
                if (strcmp(state, "no") == 0 && !why[0])
                        snprintf(why, len, "the configuration names no secrets file%s",
                                 dn ? " and no hash was synced for it" : "");
                return state;
        }
        r = mailacct_secrets_load_file(path, &s, why, len);
        if (r < 0) {
                if (r == -EACCES && geteuid() != 0)
                        snprintf(why, len, "cannot read %s: run as root", path);
                return "unknown";
        }
        hash = mailacct_secrets_get(s, address);
        if (hash)
                *scheme = scheme_of(hash);
        mailacct_secrets_free(s);
        /* the file's line overrides the directory's hash */
        return hash ? "yes" : synced_state(conf, dn, why, len, scheme);
}

static void print_list(const struct mailacct_dir *d, uint32_t m, enum mailacct_list k, const char *label,
                       const char *none)
{
        const char *s;
        int line;

        printf("%-12s", label);
        for (uint32_t i = 0; mailacct_dir_list(d, m, k, i, &s, &line) == 0; i++)
                printf("%s%s", i ? ", " : "", s);
        if (mailacct_dir_list(d, m, k, 0, &s, &line) != 0)
                printf("%s", none);
        printf("\n");
}

static void json_list(struct cli_json *j, const struct mailacct_dir *d, uint32_t m, enum mailacct_list k,
                      const char *key)
{
        const char *s;
        int line;

        cli_json_array(j, key);
        for (uint32_t i = 0; mailacct_dir_list(d, m, k, i, &s, &line) == 0; i++)
                cli_json_str(j, NULL, s);
        cli_json_end(j);
}

int cmd_show(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                CLI_LONG_COMMON,
                CLI_LONG_JSON,
                {},
        };
        struct mailacct_source_status st;
        struct mailacct_result *r = NULL, *t = NULL;
        struct mailacct_mbox_view v;
        struct mailacct_domain_view dv;
        struct mailacct_pwent pw;
        struct forms own = {0}, all = {0};
        const char *dn = NULL, *upn = NULL, *pstate, *scheme;
        char pwhy[512];
        struct mailacct_dir *d;
        struct cli_json j;
        uint32_t m;
        int o, status = EXIT_OK;
        bool have_pw;

        while ((o = getopt_long(argc, argv, CLI_SHORT(""), opts, NULL)) != -1)
                if ((status = cli_option(c, o)) != CLI_GO_ON)
                        return status;
        status = EXIT_OK;
        if (argc - optind != 1)
                return cli_usage_error(c, argc == optind ? "no login given" : "one login at a time");
        d = cli_open(c, &st);
        if (!d) {
                mailacct_source_status_free(&st);
                return EXIT_CONFIG;
        }
        r = malloc(sizeof(*r));
        t = malloc(sizeof(*t));
        if (!r || !t) {
                status = EXIT_SOFTWARE;
                goto out;
        }
        if (mailacct_resolve(d, argv[optind], r) < 0) {
                fprintf(stderr, "mailacct: %s: %s: %s\n", argv[optind], mailacct_reason_name(r->reason), r->message);
                status = EXIT_FAILED;
                goto out;
        }
        m = r->mailbox;
        if (mailacct_dir_mailbox(d, m, &v) < 0 || mailacct_dir_domain(d, v.domain, &dv) < 0) {
                fprintf(stderr, "mailacct: show: %s: the index is damaged\n", argv[optind]);
                status = EXIT_CONFIG;
                goto out;
        }
        (void)mailacct_dir_names(d, m, &dn, &upn);
        candidate_forms(&own, d, m, &v);
        for (size_t i = 0; i < own.n; i++)
                add(&all, "%s", own.v[i]);
        delegate_forms(&all, d, m, &own);
        if (mailacct_dir_settings(d)->passwords == MAILACCT_PASSWORDS_LDAP_BIND && dn) {
                /* the directory checks it: no secrets line to look for */
                pstate = "ldap-bind";
                scheme = NULL;
                snprintf(pwhy, sizeof(pwhy), "a bind as %s", dn);
        } else
                pstate = password_state(c->config, d, v.address, dn, pwhy, sizeof(pwhy), &scheme);
        have_pw = mailacct_dir_passwd(d, m, &pw) == 0;

        if (c->json) {
                cli_json_start(&j, stdout);
                cli_json_object(&j, NULL);
                cli_json_str(&j, "mailbox", v.address);
                cli_json_str(&j, "canonical", r->canonical);
                cli_json_str(&j, "name", v.name);
                cli_json_object(&j, "domain");
                cli_json_str(&j, "name", dv.name);
                cli_json_str(&j, "netbios", dv.netbios);
                cli_json_end(&j);
                cli_json_bool(&j, "enabled", v.enabled);
                cli_json_object(&j, "origin");
                if (dn)
                        cli_json_str(&j, "dn", dn);
                else if (v.origin_file) {
                        cli_json_str(&j, "file", v.origin_file);
                        cli_json_int(&j, "line", v.origin_line);
                }
                cli_json_end(&j);
                json_list(&j, d, m, MAILACCT_LIST_ADDRESSES, "secondary_addresses");
                json_list(&j, d, m, MAILACCT_LIST_ALIASES, "aliases");
                cli_json_str(&j, "nt_domain", v.nt_domain);
                cli_json_str(&j, "nt_account", v.nt_account);
                cli_json_str(&j, "upn", upn);
                if (v.has_services)
                        json_list(&j, d, m, MAILACCT_LIST_SERVICES, "services");
                else
                        cli_json_str(&j, "services", NULL);
                cli_json_array(&j, "delegates");
                for (uint32_t i = 0; i < v.n_delegates; i++) {
                        uint32_t p;
                        const char *a;
                        if (mailacct_dir_delegate(d, m, i, &p) == 0 && p != MAILACCT_NONE &&
                            (a = mailacct_dir_address(d, p)) != NULL)
                                cli_json_str(&j, NULL, a);
                }
                cli_json_end(&j);
                cli_json_str(&j, "password", pstate);
                cli_json_str(&j, "scheme", scheme);
                cli_json_str(&j, "password_note", pwhy[0] ? pwhy : NULL);
                if (have_pw) {
                        cli_json_object(&j, "passwd");
                        cli_json_str(&j, "name", pw.name);
                        cli_json_int(&j, "uid", pw.uid);
                        cli_json_int(&j, "gid", pw.gid);
                        cli_json_str(&j, "gecos", pw.gecos);
                        cli_json_str(&j, "home", pw.home);
                        cli_json_str(&j, "shell", pw.shell);
                        cli_json_end(&j);
                } else
                        cli_json_str(&j, "passwd", NULL);
                cli_json_array(&j, "logins");
        } else {
                printf("%-12s%s\n", "mailbox:", v.address);
                printf("%-12s%s\n", "canonical:", r->canonical);
                printf("%-12s%s\n", "name:", v.name ? v.name : "-");
                printf("%-12s%s%s%s%s\n", "domain:", dv.name, dv.netbios ? " (NetBIOS " : "",
                       dv.netbios ? dv.netbios : "", dv.netbios ? ")" : "");
                printf("%-12s%s\n", "enabled:", v.enabled ? "yes" : "no");
                if (dn)
                        printf("%-12s%s\n", "origin:", dn);
                else if (v.origin_file)
                        printf("%-12s%s:%d\n", "origin:", v.origin_file, v.origin_line);
                print_list(d, m, MAILACCT_LIST_ADDRESSES, "secondary:", "-");
                print_list(d, m, MAILACCT_LIST_ALIASES, "aliases:", "-");
                if (v.nt_account)
                        printf("%-12s%s\\%s\n", "nt account:",
                               v.nt_domain  ? v.nt_domain
                               : dv.netbios ? dv.netbios
                                            : dv.name,
                               v.nt_account);
                if (upn)
                        printf("%-12s%s\n", "upn:", upn);
                if (v.has_services)
                        print_list(d, m, MAILACCT_LIST_SERVICES, "services:", "none");
                else
                        printf("%-12s%s\n", "services:", "all");
                printf("%-12s", "delegates:");
                if (v.n_delegates == 0)
                        printf("-");
                for (uint32_t i = 0; i < v.n_delegates; i++) {
                        uint32_t p;
                        const char *a = NULL;
                        if (mailacct_dir_delegate(d, m, i, &p) == 0 && p != MAILACCT_NONE)
                                a = mailacct_dir_address(d, p);
                        printf("%s%s", i ? ", " : "", a ? a : "?");
                }
                printf("\n");
                printf("%-12s%s%s%s%s%s%s\n", "password:", pstate, scheme || pwhy[0] ? " (" : "", scheme ? scheme : "",
                       scheme && pwhy[0] ? ", " : "", pwhy, scheme || pwhy[0] ? ")" : "");
                if (have_pw)
                        printf("%-12s%s:x:%lu:%lu:%s:%s:%s\n", "passwd:", pw.name, (unsigned long)pw.uid,
                               (unsigned long)pw.gid, pw.gecos ? pw.gecos : "", pw.home, pw.shell ? pw.shell : "");
                printf("logins:\n");
        }
        for (size_t i = 0; i < all.n; i++) {
                bool ok = mailacct_resolve(d, all.v[i], t) == 0;
                bool mine = ok && t->mailbox == m;
                const char *what = mine ? "opens it" : ok ? "opens another mailbox" : mailacct_reason_name(t->reason);
                if (c->json) {
                        cli_json_object(&j, NULL);
                        cli_json_str(&j, "login", all.v[i]);
                        cli_json_str(&j, "result", ok ? "ok" : mailacct_reason_name(t->reason));
                        cli_json_str(&j, "mailbox", ok ? mailacct_dir_address(d, t->mailbox) : NULL);
                        cli_json_str(&j, "principal", ok ? mailacct_dir_address(d, t->principal) : NULL);
                        cli_json_end(&j);
                } else if (ok && !mine)
                        printf("  %-40s opens %s\n", all.v[i], mailacct_dir_address(d, t->mailbox));
                else if (ok && t->principal != m)
                        printf("  %-40s %s (password of %s)\n", all.v[i], what, mailacct_dir_address(d, t->principal));
                else
                        printf("  %-40s %s\n", all.v[i], what);
        }
        if (c->json) {
                cli_json_end(&j);
                cli_json_end(&j);
        }
out:
        forms_free(&own);
        forms_free(&all);
        free(r);
        free(t);
        mailacct_dir_free(d);
        mailacct_source_status_free(&st);
        return status;
}
