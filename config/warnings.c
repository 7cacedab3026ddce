/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "hashmap.h"
#include "resolve.h"
#include "secrets.h"
#include "strutil.h"

#define MAX_SHOWN 16

/* The forms that still reach mailbox m alone, given the alias it shares. */
static void reaching_forms(const struct mailacct_dir *d, uint32_t m, const char *alias, char *buf, size_t len)
{
        const struct mailacct_mailbox *mb = &d->mailboxes[m];
        const char *nb = d->domains[mb->domain].netbios;
        struct mailacct_result *r = malloc(sizeof(*r));
        char login[2 * MAILACCT_LOGIN_MAX + 2];
        size_t o = 0;

        buf[0] = '\0';
        if (!r)
                return;
        if (mailacct_resolve(d, alias, r) == 0 && r->mailbox == m)
                o += (size_t)snprintf(buf + o, len - o, "%s, ", alias);
        if (nb && o < len) {
                snprintf(login, sizeof(login), "%s\\%s", nb, alias);
                if (mailacct_resolve(d, login, r) == 0 && r->mailbox == m)
                        o += (size_t)snprintf(buf + o, len - o, "%s, ", login);
        }
        if (o < len)
                snprintf(buf + o, len - o, "%s", mb->address);
        free(r);
}

static void shared_aliases(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        char key[MAILACCT_LOGIN_MAX + 1];

        for (uint32_t i = 0; i < d->n_mailboxes; i++) {
                const struct mailacct_mailbox *m = &d->mailboxes[i];
                for (size_t k = 0; k <= m->aliases.n; k++) {
                        const char *a = k < m->aliases.n ? m->aliases.v[k] : m->local;
                        uint32_t ids[MAX_SHOWN];
                        size_t n, shown;
                        bool other_domain = false, first = true;
                        char text[4096];

                        if (mailacct_dir_key_local(d, a, key, sizeof(key)) < 0)
                                continue;
                        n = mailacct_hashmap_get(d->by_bare, key, ids, MAX_SHOWN);
                        shown = n < MAX_SHOWN ? n : MAX_SHOWN;
                        for (size_t j = 0; j < shown; j++) {
                                other_domain |= d->mailboxes[ids[j]].domain != m->domain;
                                first &= ids[j] >= i;
                        }
                        /* one finding per alias, reported at its first mailbox */
                        /* the primary local part may repeat an alias: once is enough */
                        for (size_t e = 0; e < k && first; e++)
                                first = !mailacct_streq_fold(m->aliases.v[e], a);
                        if (!other_domain || !first)
                                continue;
                        snprintf(text, sizeof(text),
                                 "alias \"%s\" is shared by %zu mailboxes in different domains "
                                 "(seed Q198143);",
                                 a, n);
                        for (size_t j = 0; j < shown; j++) {
                                char forms[1024];
                                size_t o = strlen(text);
                                reaching_forms(d, ids[j], a, forms, sizeof(forms));
                                snprintf(text + o, sizeof(text) - o, "%s %s (line %d) is reached by %s", j ? ";" : "",
                                         d->mailboxes[ids[j]].address, d->mailboxes[ids[j]].line, forms);
                        }
                        mailacct_diag_add(diags, MAILACCT_WARNING, file, m->line, "%s", text);
                }
        }
}

static void shadowed_contacts(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        char key[MAILACCT_LOGIN_MAX + 1];

        for (size_t i = 0; i < d->n_contacts; i++) {
                const struct mailacct_contact *c = &d->contacts[i];
                uint32_t id;
                if (mailacct_dir_key_local(d, c->alias, key, sizeof(key)) < 0 ||
                    !mailacct_hashmap_get(d->by_bare, key, &id, 1))
                        continue;
                mailacct_diag_add(diags, MAILACCT_WARNING, file, c->line,
                                  "contact alias \"%s\" is also an alias of mailbox %s (line %d): the mailbox wins "
                                  "every login (seed Q198704); rename one of them",
                                  c->alias, d->mailboxes[id].address, d->mailboxes[id].line);
        }
}

static void nt_equals_alias(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        for (uint32_t i = 0; i < d->n_mailboxes; i++) {
                const struct mailacct_mailbox *m = &d->mailboxes[i];
                char key[2 * MAILACCT_LOGIN_MAX + 2];
                uint32_t dom = m->nt_domain ? mailacct_dir_find_domain(d, m->nt_domain) : m->domain;
                uint32_t ids[256];
                size_t n, shown = 0;

                if (!m->nt_account || dom == MAILACCT_NONE || mailacct_dir_key_local(d, m->nt_account, key, 400) < 0)
                        continue;
                /* the mailboxes of that domain with the alias, as the resolver
                 * finds them: the bare-alias table filtered by domain */
                n = mailacct_hashmap_get(d->by_bare, key, ids, sizeof(ids) / sizeof(ids[0]));
                for (size_t j = 0; j < n && j < sizeof(ids) / sizeof(ids[0]) && shown < MAX_SHOWN; j++) {
                        if (ids[j] == i || d->mailboxes[ids[j]].domain != dom)
                                continue;
                        shown++;
                        mailacct_diag_add(diags, MAILACCT_WARNING, file, m->line,
                                          "NT account \"%s\" of %s is also an alias of %s (line %d): "
                                          "%s\\%s opens %s, not %s",
                                          m->nt_account, m->address, d->mailboxes[ids[j]].address,
                                          d->mailboxes[ids[j]].line,
                                          /* the form an administrator can type, not a placeholder */
                                          d->domains[dom].netbios ? d->domains[dom].netbios : d->domains[dom].name,
                                          m->nt_account, m->address, d->mailboxes[ids[j]].address);
                }
        }
}

static void secrets_findings(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        struct mailacct_secrets *s = NULL;
        char why[512];
        struct stat st;
        int r;

        if (!d->secrets)
                return;
        if (stat(d->secrets, &st) == 0 && mailacct_secrets_check_mode(&st, why, sizeof(why)) < 0)
                mailacct_diag_add(diags, MAILACCT_WARNING, d->secrets, 0, "%s; pam_mailacct refuses to use it", why);
        r = mailacct_secrets_load(d->secrets, false, &s, why, sizeof(why));
        if (r < 0) {
                /* PAM fails closed on such a file: that is an error, not a nit */
                mailacct_diag_add(diags, r == -EINVAL ? MAILACCT_ERROR : MAILACCT_WARNING, NULL, 0, "secrets: %s", why);
                return;
        }
        for (size_t i = 0; i < d->n_mailboxes; i++)
                if (!mailacct_secrets_get(s, d->mailboxes[i].address))
                        mailacct_diag_add(diags, MAILACCT_WARNING, file, d->mailboxes[i].line,
                                          "mailbox %s has no entry in the secrets file %s: it cannot log in "
                                          "(set one with: mailacct passwd %s)",
                                          d->mailboxes[i].address, d->secrets, d->mailboxes[i].address);
        mailacct_secrets_free(s);
}

static void missing_ids(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        for (uint32_t i = 0; i < d->n_mailboxes; i++) {
                uid_t u;
                gid_t g;
                char name[MAILACCT_LOGIN_MAX + 1], home[4096];
                const char *shell = mailacct_dir_shell(d, i);

                if (mailacct_dir_ids(d, i, &u, &g) < 0)
                        mailacct_diag_add(diags, MAILACCT_WARNING, file, d->mailboxes[i].line,
                                          "mailbox %s has no uid or gid (set defaults.uid and defaults.gid): NSS "
                                          "cannot give it a passwd entry",
                                          d->mailboxes[i].address);
                else if (u == 0)
                        /* PAM would let it in, NSS never gives root's uid to a mail login:
                         * Dovecot's passwd userdb then fails the login */
                        mailacct_diag_add(diags, MAILACCT_WARNING, file, d->mailboxes[i].line,
                                          "mailbox %s has uid 0: NSS gives it no passwd entry (a mail login never "
                                          "becomes root); give it its own uid",
                                          d->mailboxes[i].address);
                if (mailacct_dir_canonical(d, i, name, sizeof(name)) == 0 &&
                    mailacct_dir_home(d, i, home, sizeof(home)) == 0 &&
                    (strpbrk(name, ":\n") || strpbrk(home, ":\n") || (shell && strpbrk(shell, ":\n"))))
                        mailacct_diag_add(diags, MAILACCT_WARNING, file, d->mailboxes[i].line,
                                          "mailbox %s: its canonical name, home or shell holds ':' or a newline, "
                                          "which a passwd line cannot: NSS gives it no entry",
                                          d->mailboxes[i].address);
        }
}

void mailacct_config_warnings(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        shared_aliases(d, file, diags);
        shadowed_contacts(d, file, diags);
        nt_equals_alias(d, file, diags);
        missing_ids(d, file, diags);
        secrets_findings(d, file, diags);
}
