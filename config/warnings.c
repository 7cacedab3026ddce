/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "hashmap.h"
#include "password.h"
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

/* The settings (scheme and cost) the file holds, as "$y$j9T$, $6$": users of
 * a cheaper one answer a wrong password sooner than unknown users do. */
static void mixed_settings(const struct mailacct_secrets *s, struct mailacct_diags *diags, const char *path)
{
        char list[512] = "", one[64];
        size_t n = mailacct_secrets_settings(s);

        if (n < 2)
                return;
        for (size_t i = 0, shown = 0; i < mailacct_secrets_count(s) && shown < 8; i++) {
                const char *address, *hash;
                if (mailacct_secrets_entry(s, i, &address, &hash) < 0 || !mailacct_password_usable(hash))
                        continue;
                mailacct_password_setting(hash, one, sizeof(one));
                if (strstr(list, one))
                        continue;
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", shown++ ? ", " : "", one);
        }
        mailacct_diag_add(diags, MAILACCT_WARNING, path, 0,
                          "the file mixes %zu hash schemes or costs (%s): unknown users cost as much as the slowest, "
                          "so users with cheaper hashes can be told apart by time: re-set them with mailacct passwd",
                          n, list);
}

static void secrets_findings(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        struct mailacct_hashmap *primaries;
        struct mailacct_secrets *s = NULL;
        char why[512];
        int r;

        if (!d->secrets)
                return;
        /* the same test pam_mailacct makes: a file it refuses fails every
         * login; parsed here, whatever its index says */
        r = mailacct_secrets_load_file(d->secrets, &s, why, sizeof(why));
        if (r == -EPERM) {
                /* why starts with the path, which the finding names already */
                size_t skip = strlen(d->secrets) + 2;
                mailacct_diag_add(diags, MAILACCT_ERROR, d->secrets, 0, "%s; pam_mailacct refuses every login",
                                  strncmp(why, d->secrets, skip - 2) == 0 ? why + skip : why);
                return;
        }
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
        /* pam_mailacct looks a password up by the primary address, folded */
        primaries = mailacct_hashmap_new(d->n_mailboxes);
        for (size_t i = 0; primaries && i < d->n_mailboxes; i++) {
                char *key = mailacct_strdup_fold(d->mailboxes[i].address);
                if (!key || mailacct_hashmap_add(primaries, key, (uint32_t)i) < 0) {
                        free(key);
                        mailacct_hashmap_free(primaries);
                        primaries = NULL;
                        break;
                }
                free(key);
        }
        for (size_t i = 0; i < mailacct_secrets_count(s); i++) {
                const char *address, *hash;
                char setting[64], *key;

                if (mailacct_secrets_entry(s, i, &address, &hash) < 0)
                        continue;
                /* only the line that counts (the last for its address) */
                if (mailacct_secrets_get(s, address) != hash)
                        continue;
                if (!mailacct_password_usable(hash)) {
                        mailacct_password_setting(hash, setting, sizeof(setting));
                        mailacct_diag_add(diags, MAILACCT_ERROR, d->secrets, mailacct_secrets_line(s, i),
                                          "the hash of %s (%s...) is not one this system's crypt(3) can verify: "
                                          "every login of %s fails; set it again with mailacct passwd %s",
                                          address, setting, address, address);
                }
                key = primaries ? mailacct_strdup_fold(address) : NULL;
                if (key && !mailacct_hashmap_get(primaries, key, NULL, 0))
                        mailacct_diag_add(diags, MAILACCT_WARNING, d->secrets, mailacct_secrets_line(s, i),
                                          "%s is no mailbox's primary address: the line is never used (left "
                                          "behind when a mailbox was removed?)",
                                          address);
                free(key);
        }
        mailacct_hashmap_free(primaries);
        mixed_settings(s, diags, d->secrets);
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
