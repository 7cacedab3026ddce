/* SPDX-License-Identifier: MIT */
#include "lint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashmap.h"
#include "password.h"
#include "resolve.h"
#include "secrets.h"
#include "strutil.h"

#define MAX_SHOWN 16
#define KEY_MAX   (2 * MAILACCT_LOGIN_MAX + 16)

/* Where a finding about mailbox i goes: its file and line, or its DN. */
static void where(const struct mailacct_dir *d, uint32_t i, const char *file, const char **f, int *line)
{
        struct mailacct_mbox_view v;
        const char *dn = NULL, *upn;

        *f = file;
        *line = 0;
        if (mailacct_dir_mailbox(d, i, &v) < 0)
                return;
        if (mailacct_dir_names(d, i, &dn, &upn) == 0 && dn) {
                *f = dn;
                return;
        }
        *f = v.origin_file ? v.origin_file : file;
        *line = v.origin_line;
}

__attribute__((format(printf, 5, 6))) static void warn(const struct mailacct_dir *d, uint32_t i, const char *file,
                                                       struct mailacct_diags *diags, const char *fmt, ...)
{
        const char *f;
        char *text;
        va_list ap;
        int line;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                abort();
        va_end(ap);
        where(d, i, file, &f, &line);
        mailacct_diag_add(diags, MAILACCT_WARNING, f, line, "%s", text);
        free(text);
}

/* How a finding made at here (a file, or a DN) names mailbox id's place
 * (diag.h). */
static const char *place(const struct mailacct_dir *d, uint32_t id, const char *here, const char *file, char *buf,
                         size_t len)
{
        const char *f;
        int line;

        where(d, id, file, &f, &line);
        return mailacct_diag_place(buf, len, here, f, line);
}

/* The file (or DN) a finding about mailbox i is made at. */
static const char *here_of(const struct mailacct_dir *d, uint32_t i, const char *file)
{
        const char *f;
        int line;

        where(d, i, file, &f, &line);
        return f;
}

static const char *address(const struct mailacct_dir *d, uint32_t id)
{
        const char *a = mailacct_dir_address(d, id);

        return a ? a : "?";
}

static uint32_t domain_of(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_mbox_view v;

        return mailacct_dir_mailbox(d, id, &v) == 0 ? v.domain : MAILACCT_NONE;
}

/* The forms that still reach mailbox m alone, given the alias it shares. */
static void reaching_forms(const struct mailacct_dir *d, uint32_t m, const char *alias, char *buf, size_t len)
{
        struct mailacct_domain_view dv;
        struct mailacct_result *r = malloc(sizeof(*r));
        char login[2 * MAILACCT_LOGIN_MAX + 2];
        const char *nb = NULL;
        size_t o = 0;

        buf[0] = '\0';
        if (!r)
                return;
        if (mailacct_dir_domain(d, domain_of(d, m), &dv) == 0)
                nb = dv.netbios;
        if (mailacct_resolve(d, alias, r) == 0 && r->mailbox == m)
                o += (size_t)snprintf(buf + o, len - o, "%s, ", alias);
        if (nb && o < len) {
                snprintf(login, sizeof(login), "%s\\%s", nb, alias);
                if (mailacct_resolve(d, login, r) == 0 && r->mailbox == m)
                        o += (size_t)snprintf(buf + o, len - o, "%s, ", login);
        }
        if (o < len)
                snprintf(buf + o, len - o, "%s", address(d, m));
        free(r);
}

/* The mailboxes whose bare-alias set holds a, in id order. */
static size_t holders(const struct mailacct_dir *d, const char *a, uint32_t *ids, size_t max)
{
        char key[KEY_MAX];
        long n;

        if (mailacct_dir_key_local(d, a, key, sizeof(key)) < 0)
                return 0;
        n = mailacct_dir_get(d, MAILACCT_T_BARE, key, ids, max);
        if (n < 0)
                return 0;
        for (size_t i = 1; i < (size_t)n && i < max; i++)
                for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
                        uint32_t t = ids[j];
                        ids[j] = ids[j - 1];
                        ids[j - 1] = t;
                }
        return (size_t)n;
}

/* Calls fn for each name of mailbox i's bare-alias set (its aliases and
 * the local part of its address), each once. */
static void each_alias(const struct mailacct_dir *d, uint32_t i,
                       void (*fn)(const struct mailacct_dir *d, uint32_t i, const char *a, const char *file,
                                  struct mailacct_diags *diags),
                       const char *file, struct mailacct_diags *diags)
{
        struct mailacct_mbox_view v;
        const char *a, *b;

        if (mailacct_dir_mailbox(d, i, &v) < 0)
                return;
        for (uint32_t k = 0; k <= v.n_aliases; k++) {
                bool seen = false;
                if (k < v.n_aliases) {
                        if (mailacct_dir_list(d, i, MAILACCT_LIST_ALIASES, k, &a, NULL) < 0)
                                continue;
                } else
                        a = v.local;
                /* the primary local part may repeat an alias: once is enough */
                for (uint32_t e = 0; e < k && !seen; e++)
                        seen = e < v.n_aliases && mailacct_dir_list(d, i, MAILACCT_LIST_ALIASES, e, &b, NULL) == 0 &&
                               mailacct_streq_fold(a, b);
                if (!seen)
                        fn(d, i, a, file, diags);
        }
}

/* seed Q198143: an alias of mailboxes in different domains is ambiguous as
 * a bare login; one finding per alias, at its first mailbox */
static void shared_across(const struct mailacct_dir *d, uint32_t i, const char *a, const char *file,
                          struct mailacct_diags *diags)
{
        uint32_t ids[MAX_SHOWN];
        size_t n = holders(d, a, ids, MAX_SHOWN), shown = n < MAX_SHOWN ? n : MAX_SHOWN;
        bool other_domain = false, first = true;
        char text[4096];

        for (size_t j = 0; j < shown; j++) {
                other_domain |= domain_of(d, ids[j]) != domain_of(d, i);
                first &= ids[j] >= i;
        }
        if (!other_domain || !first)
                return;
        snprintf(text, sizeof(text), "alias \"%s\" is shared by %zu mailboxes in different domains (seed Q198143);", a,
                 n);
        for (size_t j = 0; j < shown; j++) {
                char forms[1024];
                size_t o = strlen(text);
                char at[1200];
                reaching_forms(d, ids[j], a, forms, sizeof(forms));
                snprintf(text + o, sizeof(text) - o, "%s %s (%s) is reached by %s", j ? ";" : "", address(d, ids[j]),
                         place(d, ids[j], here_of(d, i, file), file, at, sizeof(at)), forms);
        }
        warn(d, i, file, diags, "%s", text);
}

/* An alias two mailboxes of one domain share: alias@domain, DOMAIN\alias
 * and the bare alias are ambiguous for both; only their addresses (and NT
 * accounts) reach them. */
static void shared_within(const struct mailacct_dir *d, uint32_t i, const char *a, const char *file,
                          struct mailacct_diags *diags)
{
        uint32_t ids[256], dom = domain_of(d, i), first = MAILACCT_NONE;
        size_t n = holders(d, a, ids, 256), same = 0;
        struct mailacct_domain_view dv;
        char list[1024] = "";

        for (size_t j = 0; j < n && j < 256; j++) {
                if (domain_of(d, ids[j]) != dom)
                        continue;
                if (first == MAILACCT_NONE)
                        first = ids[j];
                if (same++ < 8) {
                        char at[1200];
                        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s (%s)", same > 1 ? ", " : "",
                                 address(d, ids[j]), place(d, ids[j], here_of(d, i, file), file, at, sizeof(at)));
                }
        }
        if (same < 2 || first != i || mailacct_dir_domain(d, dom, &dv) < 0)
                return;
        warn(d, i, file, diags,
             "alias \"%s\" is shared by %zu mailboxes of %s: %s; \"%s\", %s@%s%s%s%s are ambiguous, only their "
             "addresses reach them: give each its own alias",
             a, same, dv.name, list, a, a, dv.name, dv.netbios ? " and " : "", dv.netbios ? dv.netbios : "",
             dv.netbios ? "\\..." : "");
}

static void shared_aliases(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        size_t n = mailacct_dir_settings(d)->n_mailboxes;

        for (uint32_t i = 0; i < n; i++) {
                each_alias(d, i, shared_across, file, diags);
                each_alias(d, i, shared_within, file, diags);
        }
}

static void shadowed_contacts(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        size_t n = mailacct_dir_settings(d)->n_contacts;
        char key[KEY_MAX];

        for (uint32_t i = 0; i < n; i++) {
                struct mailacct_contact_view c;
                uint32_t id;
                const char *here;
                char at[1200];
                if (mailacct_dir_contact(d, i, &c) < 0 || mailacct_dir_key_local(d, c.alias, key, sizeof(key)) < 0 ||
                    mailacct_dir_get(d, MAILACCT_T_BARE, key, &id, 1) < 1)
                        continue;
                here = c.dn ? c.dn : c.origin_file ? c.origin_file : file;
                mailacct_diag_add(diags, MAILACCT_WARNING, here, c.dn ? 0 : c.origin_line,
                                  "contact alias \"%s\" is also an alias of mailbox %s (%s): the mailbox wins "
                                  "every login (seed Q198704); rename one of them",
                                  c.alias, address(d, id), place(d, id, here, file, at, sizeof(at)));
        }
}

static void nt_equals_alias(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        size_t nm = mailacct_dir_settings(d)->n_mailboxes;

        for (uint32_t i = 0; i < nm; i++) {
                struct mailacct_mbox_view m;
                struct mailacct_domain_view dv;
                uint32_t ids[256], dom;
                size_t n, shown = 0;

                if (mailacct_dir_mailbox(d, i, &m) < 0 || !m.nt_account)
                        continue;
                dom = m.nt_domain ? mailacct_dir_find_domain(d, m.nt_domain) : m.domain;
                if (dom == MAILACCT_NONE || mailacct_dir_domain(d, dom, &dv) < 0)
                        continue;
                /* the mailboxes of that domain with the alias, as the resolver
                 * finds them: the bare-alias table filtered by domain */
                n = holders(d, m.nt_account, ids, 256);
                for (size_t j = 0; j < n && j < 256 && shown < MAX_SHOWN; j++) {
                        if (ids[j] == i || domain_of(d, ids[j]) != dom)
                                continue;
                        char at[1200];
                        shown++;
                        warn(d, i, file, diags,
                             "NT account \"%s\" of %s is also an alias of %s (%s): %s\\%s opens %s, not %s",
                             m.nt_account, m.address, address(d, ids[j]),
                             place(d, ids[j], here_of(d, i, file), file, at, sizeof(at)),
                             /* the form an administrator can type, not a placeholder */
                             dv.netbios ? dv.netbios : dv.name, m.nt_account, m.address, address(d, ids[j]));
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
                const char *addr, *hash;
                if (mailacct_secrets_entry(s, i, &addr, &hash) < 0 || !mailacct_password_usable(hash))
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

/* passwords = "ldap-bind": a mailbox with a DN needs no secrets line */
static bool checked_by_bind(const struct mailacct_dir *d, uint32_t m)
{
        const char *dn = NULL, *upn = NULL;

        return mailacct_dir_settings(d)->passwords == MAILACCT_PASSWORDS_LDAP_BIND &&
               mailacct_dir_names(d, m, &dn, &upn) == 0 && dn && *dn;
}

/* A directory mailbox's synced hash (by its DN), or NULL. */
static const char *synced_hash(const struct mailacct_dir *d, uint32_t i, const struct mailacct_secrets *synced)
{
        const char *dn = NULL, *upn = NULL;

        if (!synced || mailacct_dir_names(d, i, &dn, &upn) < 0 || !dn)
                return NULL;
        return mailacct_secrets_get(synced, dn);
}

/* The burn of a failure is the slower of the two places' slowest: when
 * they differ, the users of the cheaper place answer sooner. */
static void mixed_places(const struct mailacct_secrets *file, const char *path, const struct mailacct_secrets *synced,
                         const char *synced_path, struct mailacct_diags *diags)
{
        const char *a = mailacct_secrets_any(file), *b = mailacct_secrets_any(synced);
        char sa[64], sb[64];

        if (!mailacct_password_usable(a) || !mailacct_password_usable(b))
                return;
        mailacct_password_setting(a, sa, sizeof(sa));
        mailacct_password_setting(b, sb, sizeof(sb));
        if (strcmp(sa, sb) != 0)
                mailacct_diag_add(diags, MAILACCT_WARNING, synced_path, 0,
                                  "the hashes synced from the directory (slowest %s) and the secrets file %s (slowest "
                                  "%s) cost differently: unknown users cost as much as the slower, so users of the "
                                  "cheaper can be told apart by time",
                                  sb, path, sa);
}

static void secrets_findings(const struct mailacct_dir *d, const char *file, const struct mailacct_secrets *synced,
                             const char *synced_path, struct mailacct_diags *diags)
{
        const char *path = mailacct_dir_settings(d)->secrets;
        size_t nm = mailacct_dir_settings(d)->n_mailboxes;
        struct mailacct_hashmap *primaries;
        struct mailacct_secrets *s = NULL;
        char why[512];
        int r;

        if (!path) {
                /* no secrets file: the directory's hashes are the only ones */
                for (uint32_t i = 0; synced && i < nm; i++)
                        if (!synced_hash(d, i, synced))
                                warn(d, i, file, diags,
                                     "mailbox %s has no password: no secrets file, and no {CRYPT} hash synced from "
                                     "the directory (%s): it cannot log in",
                                     address(d, i), synced_path);
                return;
        }
        /* the same test pam_mailacct makes: a file it refuses fails every
         * login; parsed here, whatever its index says */
        r = mailacct_secrets_load_file(path, &s, why, sizeof(why));
        if (r == -EPERM) {
                /* why starts with the path, which the finding names already */
                size_t skip = strlen(path) + 2;
                mailacct_diag_add(diags, MAILACCT_ERROR, path, 0, "%s; pam_mailacct refuses every login",
                                  strncmp(why, path, skip - 2) == 0 ? why + skip : why);
                return;
        }
        if (r == -EACCES && geteuid() != 0) {
                /* the modules run as root: what this user cannot read says
                 * nothing about the file, only about this run */
                mailacct_diag_add(diags, MAILACCT_WARNING, path, 0,
                                  "cannot read the secrets file: permission denied; its passwords were not checked "
                                  "(run as root)");
                return;
        }
        if (r < 0) {
                /* PAM fails closed on such a file: that is an error, not a nit */
                mailacct_diag_add(diags, r == -EINVAL ? MAILACCT_ERROR : MAILACCT_WARNING, NULL, 0, "secrets: %s", why);
                return;
        }
        for (uint32_t i = 0; i < nm; i++)
                if (!mailacct_secrets_get(s, address(d, i)) && !synced_hash(d, i, synced) && !checked_by_bind(d, i))
                        warn(d, i, file, diags,
                             "mailbox %s has no entry in the secrets file %s: it cannot log in (set one with: "
                             "mailacct passwd %s)",
                             address(d, i), path, address(d, i));
        /* pam_mailacct looks a password up by the primary address, folded */
        primaries = mailacct_hashmap_new(nm);
        for (uint32_t i = 0; primaries && i < nm; i++) {
                char *key = mailacct_strdup_fold(address(d, i));
                if (!key || mailacct_hashmap_add(primaries, key, i) < 0) {
                        free(key);
                        mailacct_hashmap_free(primaries);
                        primaries = NULL;
                        break;
                }
                free(key);
        }
        for (size_t i = 0; i < mailacct_secrets_count(s); i++) {
                const char *addr, *hash;
                char setting[64], *key;

                if (mailacct_secrets_entry(s, i, &addr, &hash) < 0)
                        continue;
                /* only the line that counts (the last for its address) */
                if (mailacct_secrets_get(s, addr) != hash)
                        continue;
                if (!mailacct_password_usable(hash)) {
                        mailacct_password_setting(hash, setting, sizeof(setting));
                        mailacct_diag_add(diags, MAILACCT_ERROR, path, mailacct_secrets_line(s, i),
                                          "the hash of %s (%s...) is not one this system's crypt(3) can verify: "
                                          "every login of %s fails; set it again with mailacct passwd %s",
                                          addr, setting, addr, addr);
                }
                key = primaries ? mailacct_strdup_fold(addr) : NULL;
                if (key && !mailacct_hashmap_get(primaries, key, NULL, 0))
                        mailacct_diag_add(diags, MAILACCT_WARNING, path, mailacct_secrets_line(s, i),
                                          "%s is no mailbox's primary address: the line is never used (left "
                                          "behind when a mailbox was removed?)",
                                          addr);
                free(key);
        }
        mailacct_hashmap_free(primaries);
        mixed_settings(s, diags, path);
        if (synced)
                mixed_places(s, path, synced, synced_path, diags);
        mailacct_secrets_free(s);
}

static void missing_ids(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        size_t nm = mailacct_dir_settings(d)->n_mailboxes;

        for (uint32_t i = 0; i < nm; i++) {
                uid_t u;
                gid_t g;
                char name[MAILACCT_LOGIN_MAX + 1], home[4096];
                const char *shell = mailacct_dir_shell(d, i);

                if (mailacct_dir_ids(d, i, &u, &g) < 0)
                        warn(d, i, file, diags,
                             "mailbox %s has no uid or gid (set defaults.uid and defaults.gid): NSS cannot give it "
                             "a passwd entry",
                             address(d, i));
                else if (u == 0)
                        /* PAM would let it in, NSS never gives root's uid to a mail login:
                         * Dovecot's passwd userdb then fails the login */
                        warn(d, i, file, diags,
                             "mailbox %s has uid 0: NSS gives it no passwd entry (a mail login never becomes "
                             "root); give it its own uid",
                             address(d, i));
                if (mailacct_dir_canonical(d, i, name, sizeof(name)) == 0 &&
                    mailacct_dir_home(d, i, home, sizeof(home)) == 0 &&
                    (strpbrk(name, ":\n") || strpbrk(home, ":\n") || (shell && strpbrk(shell, ":\n"))))
                        warn(d, i, file, diags,
                             "mailbox %s: its canonical name, home or shell holds ':' or a newline, which a passwd "
                             "line cannot: NSS gives it no entry",
                             address(d, i));
        }
}

void mailacct_lint_passwords(const struct mailacct_dir *d, const char *file, const struct mailacct_secrets *synced,
                             const char *synced_path, struct mailacct_diags *diags)
{
        shared_aliases(d, file, diags);
        shadowed_contacts(d, file, diags);
        nt_equals_alias(d, file, diags);
        missing_ids(d, file, diags);
        secrets_findings(d, file, synced, synced_path, diags);
}

void mailacct_lint(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        mailacct_lint_passwords(d, file, NULL, NULL, diags);
}
