/* SPDX-License-Identifier: MIT */
#include "directory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "index.h"
#include "resolve.h"
#include "strutil.h"

#define DEFAULT_HOME  "/var/mail/%d/%n"
#define DEFAULT_SHELL "/usr/sbin/nologin"

/* Marks NT domains that no hosted domain names, so that "OTHERDOM\jdoe" keys
 * can never collide with the DNS-name keys of hosted domains. */
#define FOREIGN_NT_PREFIX "\001"

struct mailacct_dir *mailacct_dir_new(void)
{
        struct mailacct_dir *d = calloc(1, sizeof(*d));

        if (d)
                d->default_domain_id = MAILACCT_NONE;
        return d;
}

void mailacct_strv_free(struct mailacct_strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->v[i]);
        free(v->v);
        free(v->line);
        memset(v, 0, sizeof(*v));
}

int mailacct_strv_add(struct mailacct_strv *v, const char *s, int line)
{
        char **nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
        int *nl;

        if (!nv)
                return -ENOMEM;
        v->v = nv;
        nl = realloc(v->line, (v->n + 1) * sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        v->line = nl;
        v->v[v->n] = strdup(s);
        if (!v->v[v->n])
                return -ENOMEM;
        v->line[v->n++] = line;
        return 0;
}

static void defaults_free(struct mailacct_defaults *df)
{
        free(df->home);
        free(df->shell);
}

static void tables_free(struct mailacct_dir *d)
{
        mailacct_hashmap_free(d->domain_names);
        mailacct_hashmap_free(d->nt_domains);
        mailacct_hashmap_free(d->by_address);
        mailacct_hashmap_free(d->by_bare);
        mailacct_hashmap_free(d->by_nt);
        mailacct_hashmap_free(d->by_uid);
        mailacct_hashmap_free(d->contact_alias);
        mailacct_hashmap_free(d->contact_address);
        mailacct_hashmap_free(d->mail_domains);
}

void mailacct_dir_free(struct mailacct_dir *d)
{
        if (!d)
                return;
        /* a directory mapped from an index owns no entries, only counts */
        if (d->ix)
                d->n_domains = d->n_mailboxes = d->n_contacts = 0;
        for (size_t i = 0; i < d->n_domains; i++) {
                struct mailacct_domain *dom = &d->domains[i];
                free(dom->name);
                free(dom->netbios);
                mailacct_strv_free(&dom->aliases);
                defaults_free(&dom->defaults);
        }
        for (size_t i = 0; i < d->n_mailboxes; i++) {
                struct mailacct_mailbox *m = &d->mailboxes[i];
                free(m->address);
                free(m->local);
                mailacct_strv_free(&m->aliases);
                mailacct_strv_free(&m->addresses);
                free(m->nt_domain);
                free(m->nt_account);
                free(m->name);
                free(m->home);
                free(m->shell);
                mailacct_strv_free(&m->services);
                mailacct_strv_free(&m->delegates);
                free(m->delegate_ids);
        }
        for (size_t i = 0; i < d->n_contacts; i++) {
                free(d->contacts[i].alias);
                free(d->contacts[i].address);
        }
        free(d->domains);
        free(d->mailboxes);
        free(d->contacts);
        free(d->default_domain);
        free(d->secrets);
        free(d->index);
        defaults_free(&d->defaults);
        tables_free(d);
        mailacct_index_close(d->ix);
        free(d);
}

const char *mailacct_bare_policy_name(enum mailacct_bare_policy p)
{
        switch (p) {
        case MAILACCT_BARE_DEFAULT_DOMAIN:
                return "default-domain";
        case MAILACCT_BARE_UNIQUE:
                return "unique";
        default:
                return "prefer-default-domain";
        }
}

const char *mailacct_canonical_name(enum mailacct_canonical c)
{
        switch (c) {
        case MAILACCT_CANON_LOCAL:
                return "local";
        case MAILACCT_CANON_NETBIOS:
                return "netbios";
        default:
                return "address";
        }
}

/* a, b and c joined into buf; -ERANGE when they do not fit. Called for
 * every key of every mailbox at load: memcpy, not snprintf. */
static int copy_out(char *buf, size_t len, const char *a, const char *b, const char *c)
{
        const char *parts[3] = {a, b, c};
        size_t o = 0;

        for (int i = 0; i < 3; i++) {
                size_t n = parts[i] ? strlen(parts[i]) : 0;
                if (o + n >= len)
                        return -ERANGE;
                if (n) /* memcpy from NULL is undefined even for 0 bytes */
                        memcpy(buf + o, parts[i], n);
                o += n;
        }
        buf[o] = '\0';
        return 0;
}

int mailacct_dir_key_local(const struct mailacct_dir *d, const char *local, char *buf, size_t len)
{
        if (copy_out(buf, len, local, NULL, NULL) < 0)
                return -ERANGE;
        if (!d->case_sensitive)
                mailacct_fold(buf);
        return 0;
}

int mailacct_dir_key_address(const struct mailacct_dir *d, const char *local, const char *domain, char *buf, size_t len)
{
        char *at;

        if (mailacct_dir_key_local(d, local, buf, len) < 0)
                return -ERANGE;
        at = buf + strlen(buf);
        if (copy_out(at, len - (size_t)(at - buf), "@", domain, NULL) < 0)
                return -ERANGE;
        mailacct_fold(at);
        return 0;
}

/* local@domain with the domain normalised to its hosted name, so that
 * jdoe@example.org and jdoe@example.com are one key when one is an alias. */
static int key_address(const struct mailacct_dir *d, const char *local, const char *domain, char *buf, size_t len)
{
        uint32_t id = mailacct_dir_find_domain(d, domain);

        return mailacct_dir_key_address(d, local, id == MAILACCT_NONE ? domain : d->domains[id].name, buf, len);
}

int mailacct_dir_key_nt(const struct mailacct_dir *d, const char *hosted, const char *foreign, const char *account,
                        char *buf, size_t len)
{
        size_t n;
        int r;

        if (hosted)
                r = copy_out(buf, len, hosted, "\\", NULL);
        else
                r = copy_out(buf, len, FOREIGN_NT_PREFIX, foreign, "\\");
        if (r < 0)
                return r;
        mailacct_fold(buf);
        n = strlen(buf);
        return mailacct_dir_key_local(d, account, buf + n, len - n);
}

int mailacct_dir_lookup_domain(const struct mailacct_dir *d, enum mailacct_table t, const char *name, uint32_t *id)
{
        char key[MAILACCT_LOGIN_MAX + 8];
        long n;

        *id = MAILACCT_NONE;
        if (copy_out(key, sizeof(key), name, NULL, NULL) < 0)
                return 0;
        mailacct_fold(key);
        n = mailacct_dir_get(d, t, key, id, 1);
        if (n < 0)
                return (int)n;
        if (n != 1)
                *id = MAILACCT_NONE;
        return n == 1;
}

static uint32_t find_in(const struct mailacct_dir *d, enum mailacct_table t, const char *name)
{
        uint32_t id;

        mailacct_dir_lookup_domain(d, t, name, &id);
        return id;
}

uint32_t mailacct_dir_find_domain(const struct mailacct_dir *d, const char *name)
{
        return find_in(d, MAILACCT_T_DOMAIN, name);
}

/* domain_names also holds NetBIOS names, for rule 2; a mail domain is a DNS
 * name or a domain alias only */
uint32_t mailacct_dir_find_mail_domain(const struct mailacct_dir *d, const char *name)
{
        return find_in(d, MAILACCT_T_MAILDOMAIN, name);
}

static const struct mailacct_hashmap *table_of(const struct mailacct_dir *d, enum mailacct_table t)
{
        switch (t) {
        case MAILACCT_T_DOMAIN:
                return d->domain_names;
        case MAILACCT_T_NTDOMAIN:
                return d->nt_domains;
        case MAILACCT_T_ADDRESS:
                return d->by_address;
        case MAILACCT_T_BARE:
                return d->by_bare;
        case MAILACCT_T_NT:
                return d->by_nt;
        case MAILACCT_T_UID:
                return d->by_uid;
        case MAILACCT_T_CONTACT_ALIAS:
                return d->contact_alias;
        case MAILACCT_T_CONTACT_ADDRESS:
                return d->contact_address;
        case MAILACCT_T_MAILDOMAIN:
                return d->mail_domains;
        default:
                return NULL;
        }
}

void mailacct_dir_prefetch(const struct mailacct_dir *d, enum mailacct_table t, const char *key)
{
        if (d->ix)
                mailacct_index_prefetch(d->ix, t, key);
}

long mailacct_dir_get(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max)
{
        const struct mailacct_hashmap *m;

        if (d->ix)
                return mailacct_index_get(d->ix, t, key, out, max);
        m = table_of(d, t);
        return m ? (long)mailacct_hashmap_get(m, key, out, max) : 0;
}

int mailacct_dir_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v)
{
        const struct mailacct_mailbox *m;

        if (id >= d->n_mailboxes)
                return -EBADMSG;
        if (d->ix)
                return mailacct_index_mailbox(d->ix, id, v);
        m = &d->mailboxes[id];
        *v = (struct mailacct_mbox_view){
                .address = m->address,
                .local = m->local,
                .nt_domain = m->nt_domain,
                .nt_account = m->nt_account,
                .name = m->name,
                .home = m->home,
                .shell = m->shell,
                .domain = m->domain,
                .uid = m->uid,
                .gid = m->gid,
                .has_uid = m->has_uid,
                .has_gid = m->has_gid,
                .enabled = m->enabled,
                .has_services = m->has_services,
        };
        return 0;
}

const char *mailacct_dir_address(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_mbox_view v;

        return mailacct_dir_mailbox(d, id, &v) < 0 ? NULL : v.address;
}

const char *mailacct_dir_display_name(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_mbox_view v;

        return mailacct_dir_mailbox(d, id, &v) < 0 ? NULL : v.name;
}

bool mailacct_dir_enabled(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_mbox_view v;

        return mailacct_dir_mailbox(d, id, &v) == 0 && v.enabled;
}

static void defaults_view(const struct mailacct_defaults *df, const char *name, const char *netbios,
                          struct mailacct_domain_view *v)
{
        *v = (struct mailacct_domain_view){
                .name = name,
                .netbios = netbios,
                .home = df->home,
                .shell = df->shell,
                .uid = df->uid,
                .gid = df->gid,
                .has_uid = df->has_uid,
                .has_gid = df->has_gid,
        };
}

int mailacct_dir_domain(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v)
{
        if (id >= d->n_domains)
                return -EBADMSG;
        if (d->ix)
                return mailacct_index_domain(d->ix, id, v);
        defaults_view(&d->domains[id].defaults, d->domains[id].name, d->domains[id].netbios, v);
        return 0;
}

int mailacct_dir_contact(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v)
{
        if (id >= d->n_contacts)
                return -EBADMSG;
        if (d->ix)
                return mailacct_index_contact(d->ix, id, v);
        v->alias = d->contacts[id].alias;
        v->address = d->contacts[id].address;
        return 0;
}

static int global_defaults(const struct mailacct_dir *d, struct mailacct_domain_view *v)
{
        if (d->ix)
                return mailacct_index_defaults(d->ix, v);
        defaults_view(&d->defaults, NULL, NULL, v);
        return 0;
}

static const char *split_at(const char *address, char *local, size_t len)
{
        const char *at = strrchr(address, '@');

        if (!at || (size_t)(at - address) >= len)
                return NULL;
        memcpy(local, address, (size_t)(at - address));
        local[at - address] = '\0';
        return at + 1;
}

static int add_unique(struct mailacct_dir *d, struct mailacct_hashmap *m, const char *key, uint32_t mbox,
                      const char *what, const char *shown, const char *file, int line, struct mailacct_diags *diags)
{
        uint32_t other;

        if (mailacct_hashmap_get(m, key, &other, 1) && other != mbox) {
                mailacct_diag_add(diags, MAILACCT_ERROR, file, line, "duplicate %s \"%s\": also mailbox %s (line %d)",
                                  what, shown, d->mailboxes[other].address, d->mailboxes[other].line);
                return 0;
        }
        return mailacct_hashmap_add(m, key, mbox);
}

static int index_domains(struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        for (size_t i = 0; i < d->n_domains; i++) {
                struct mailacct_domain *dom = &d->domains[i];
                const char *names[2] = {dom->name, dom->netbios};

                for (size_t k = 0; k < 2 + dom->aliases.n; k++) {
                        const char *n = k < 2 ? names[k] : dom->aliases.v[k - 2];
                        char key[MAILACCT_LOGIN_MAX + 8];
                        uint32_t other;

                        if (!n || copy_out(key, sizeof(key), n, NULL, NULL) < 0)
                                continue;
                        mailacct_fold(key);
                        if (mailacct_hashmap_get(d->domain_names, key, &other, 1)) {
                                mailacct_diag_add(diags, MAILACCT_ERROR, file, dom->line,
                                                  "domain name \"%s\" is used twice (also domain %s, line %d)", n,
                                                  d->domains[other].name, d->domains[other].line);
                                continue;
                        }
                        if (mailacct_hashmap_add(d->domain_names, key, (uint32_t)i) < 0)
                                return -ENOMEM;
                        /* k == 1 is the NetBIOS name: not a mail domain (rule 1) */
                        if (k != 1 && mailacct_hashmap_add(d->mail_domains, key, (uint32_t)i) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* The hosted domain that name sits inside, for "mail1.example.com" -> "example.com"
 * (seed Q230373: a host name typed where the mail domain belongs). */
static const char *hosted_parent(const struct mailacct_dir *d, const char *name)
{
        for (const char *p = strchr(name, '.'); p; p = strchr(p + 1, '.')) {
                uint32_t id = mailacct_dir_find_mail_domain(d, p + 1);
                if (id != MAILACCT_NONE)
                        return d->domains[id].name;
        }
        return NULL;
}

static void check_default_domain(struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        const char *parent;

        if (!d->default_domain) {
                if (d->n_domains == 1)
                        d->default_domain_id = 0;
                return;
        }
        d->default_domain_id = mailacct_dir_find_domain(d, d->default_domain);
        if (d->default_domain_id != MAILACCT_NONE)
                return;
        parent = hosted_parent(d, d->default_domain);
        if (parent)
                mailacct_diag_add(diags, MAILACCT_ERROR, file, d->default_domain_line,
                                  "default_domain \"%s\" is not hosted; it looks like a host name inside hosted domain "
                                  "\"%s\": set default_domain = \"%s\"",
                                  d->default_domain, parent, parent);
        else
                mailacct_diag_add(diags, MAILACCT_ERROR, file, d->default_domain_line,
                                  "default_domain \"%s\" is not hosted: add it to domains or name a hosted domain",
                                  d->default_domain);
}

static int index_mailbox(struct mailacct_dir *d, uint32_t i, const char *file, struct mailacct_diags *diags)
{
        struct mailacct_mailbox *m = &d->mailboxes[i];
        char key[2 * MAILACCT_LOGIN_MAX + 16], local[MAILACCT_LOGIN_MAX + 1];
        const char *dom;
        uid_t uid;
        gid_t gid;
        int r;

        if (key_address(d, m->local, d->domains[m->domain].name, key, sizeof(key)) < 0)
                return 0;
        r = add_unique(d, d->by_address, key, i, "address", m->address, file, m->line, diags);
        for (size_t k = 0; r == 0 && k < m->addresses.n; k++) {
                dom = split_at(m->addresses.v[k], local, sizeof(local));
                if (!dom || key_address(d, local, dom, key, sizeof(key)) < 0)
                        continue;
                r = add_unique(d, d->by_address, key, i, "address", m->addresses.v[k], file, m->addresses.line[k],
                               diags);
        }
        /* the bare-alias set: every alias plus the primary local part */
        for (size_t k = 0; r == 0 && k <= m->aliases.n; k++) {
                const char *a = k < m->aliases.n ? m->aliases.v[k] : m->local;
                if (mailacct_dir_key_local(d, a, key, sizeof(key)) < 0)
                        continue;
                r = mailacct_hashmap_add(d->by_bare, key, i);
        }
        if (r == 0 && m->nt_account) {
                uint32_t ntdom = m->domain;
                if (m->nt_domain) {
                        ntdom = mailacct_dir_find_domain(d, m->nt_domain);
                        if (ntdom == MAILACCT_NONE) {
                                char fk[MAILACCT_LOGIN_MAX + 1];
                                if (copy_out(fk, sizeof(fk), m->nt_domain, NULL, NULL) == 0) {
                                        mailacct_fold(fk);
                                        r = mailacct_hashmap_add(d->nt_domains, fk, 0);
                                }
                        }
                }
                if (r == 0 && mailacct_dir_key_nt(d, ntdom == MAILACCT_NONE ? NULL : d->domains[ntdom].name,
                                                  m->nt_domain, m->nt_account, key, sizeof(key)) == 0)
                        r = add_unique(d, d->by_nt, key, i, "NT account", m->nt_account, file, m->line, diags);
        }
        if (r == 0 && mailacct_dir_ids(d, i, &uid, &gid) == 0) {
                snprintf(key, sizeof(key), "%lu", (unsigned long)uid);
                r = mailacct_hashmap_add(d->by_uid, key, i);
        }
        return r;
}

static int index_contacts(struct mailacct_dir *d)
{
        char key[MAILACCT_LOGIN_MAX * 2 + 16], local[MAILACCT_LOGIN_MAX + 1];

        for (uint32_t i = 0; i < d->n_contacts; i++) {
                const char *dom;
                if (mailacct_dir_key_local(d, d->contacts[i].alias, key, sizeof(key)) == 0 &&
                    mailacct_hashmap_add(d->contact_alias, key, i) < 0)
                        return -ENOMEM;
                dom = d->contacts[i].address ? split_at(d->contacts[i].address, local, sizeof(local)) : NULL;
                if (dom && key_address(d, local, dom, key, sizeof(key)) == 0 &&
                    mailacct_hashmap_add(d->contact_address, key, i) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int resolve_delegates(struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        struct mailacct_result *res = malloc(sizeof(*res));

        if (!res)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_mailboxes; i++) {
                struct mailacct_mailbox *m = &d->mailboxes[i];
                if (m->delegates.n == 0)
                        continue;
                m->delegate_ids = calloc(m->delegates.n, sizeof(*m->delegate_ids));
                if (!m->delegate_ids) {
                        free(res);
                        return -ENOMEM;
                }
                for (size_t k = 0; k < m->delegates.n; k++) {
                        m->delegate_ids[k] = MAILACCT_NONE;
                        if (mailacct_resolve(d, m->delegates.v[k], res) == 0 && res->form != MAILACCT_FORM_DELEGATE)
                                m->delegate_ids[k] = res->mailbox;
                        else
                                mailacct_diag_add(diags, MAILACCT_ERROR, file, m->delegates.line[k],
                                                  "delegate \"%s\" of %s resolves to no mailbox: %s: %s",
                                                  m->delegates.v[k], m->address, mailacct_reason_name(res->reason),
                                                  res->message);
                }
        }
        free(res);
        return 0;
}

/* Two mailboxes must never share a canonical name: it is the name PAM hands
 * back and NSS answers for. Addresses are unique already; "local" and
 * "netbios" can collide (jdoe@a and jdoe@b; EXAMPLE\jdoe as one mailbox's
 * NT account and another's local part). */
static int check_canonical_collisions(struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        struct mailacct_hashmap *seen;
        char key[2 * MAILACCT_LOGIN_MAX + 2], shown[sizeof(key)];
        int r = 0;

        if (d->canonical == MAILACCT_CANON_ADDRESS)
                return 0;
        seen = mailacct_hashmap_new(d->n_mailboxes);
        if (!seen)
                return -ENOMEM;
        for (uint32_t i = 0; r == 0 && i < d->n_mailboxes; i++) {
                char *sep;
                uint32_t other;
                if (mailacct_dir_canonical(d, i, shown, sizeof(shown)) < 0)
                        continue;
                memcpy(key, shown, sizeof(key));
                /* the NetBIOS part always folds, the account part as local parts do */
                sep = strchr(key, '\\');
                if (sep) {
                        *sep = '\0';
                        mailacct_fold(key);
                        *sep = '\\';
                }
                if (!d->case_sensitive)
                        mailacct_fold(key);
                if (!mailacct_hashmap_get(seen, key, &other, 1)) {
                        r = mailacct_hashmap_add(seen, key, i);
                        continue;
                }
                if (d->canonical == MAILACCT_CANON_LOCAL)
                        mailacct_diag_add(diags, MAILACCT_ERROR, file, d->mailboxes[i].line,
                                          "canonical = \"local\" but %s and %s (line %d) share the local part \"%s\"",
                                          d->mailboxes[i].address, d->mailboxes[other].address,
                                          d->mailboxes[other].line, d->mailboxes[i].local);
                else
                        mailacct_diag_add(diags, MAILACCT_ERROR, file, d->mailboxes[i].line,
                                          "canonical = \"netbios\" but %s and %s (line %d) both become \"%s\"",
                                          d->mailboxes[i].address, d->mailboxes[other].address,
                                          d->mailboxes[other].line, shown);
        }
        mailacct_hashmap_free(seen);
        return r;
}

int mailacct_dir_finalize(struct mailacct_dir *d, const char *file, struct mailacct_diags *diags)
{
        size_t errors = diags->errors, nm = d->n_mailboxes, n_addresses = nm, n_aliases = nm;
        int r;

        /* sized for every key up front: a table that grows at a million
         * mailboxes rehashes millions of keys into a fresh, zeroed array */
        for (size_t i = 0; i < nm; i++) {
                n_addresses += d->mailboxes[i].addresses.n;
                n_aliases += d->mailboxes[i].aliases.n;
        }
        tables_free(d);
        d->domain_names = mailacct_hashmap_new(d->n_domains * 3);
        d->nt_domains = mailacct_hashmap_new(4);
        d->by_address = mailacct_hashmap_new(n_addresses);
        d->by_bare = mailacct_hashmap_new(n_aliases);
        d->by_nt = mailacct_hashmap_new(nm);
        d->by_uid = mailacct_hashmap_new(nm);
        d->contact_alias = mailacct_hashmap_new(d->n_contacts);
        d->contact_address = mailacct_hashmap_new(d->n_contacts);
        d->mail_domains = mailacct_hashmap_new(d->n_domains * 2);
        if (!d->mail_domains || !d->domain_names || !d->nt_domains || !d->by_address || !d->by_bare || !d->by_nt ||
            !d->by_uid || !d->contact_alias || !d->contact_address)
                return -ENOMEM;

        r = index_domains(d, file, diags);
        if (r < 0)
                return r;
        check_default_domain(d, file, diags);
        for (uint32_t i = 0; i < nm; i++) {
                r = index_mailbox(d, i, file, diags);
                if (r < 0)
                        return r;
        }
        r = index_contacts(d);
        if (r == 0)
                r = resolve_delegates(d, file, diags);
        if (r == 0)
                r = check_canonical_collisions(d, file, diags);
        if (r < 0)
                return r;
        d->finalized = true;
        return diags->errors > errors ? -EINVAL : 0;
}

/* A mailbox's own value, else its domain's default, else the global one.
 * Read once per answer: the canonical name, home, shell and ids of one
 * passwd entry all come from the same three views. */
struct effective {
        struct mailacct_mbox_view m;
        struct mailacct_domain_view dom, all;
};

static int effective(const struct mailacct_dir *d, uint32_t mbox, struct effective *e)
{
        if (mailacct_dir_mailbox(d, mbox, &e->m) < 0 || mailacct_dir_domain(d, e->m.domain, &e->dom) < 0 ||
            global_defaults(d, &e->all) < 0)
                return -EBADMSG;
        return 0;
}

static int canonical_of(const struct mailacct_dir *d, const struct effective *e, char *buf, size_t len)
{
        const struct mailacct_mbox_view *m = &e->m;

        switch (d->canonical) {
        case MAILACCT_CANON_LOCAL:
                return copy_out(buf, len, m->local, NULL, NULL);
        case MAILACCT_CANON_NETBIOS:
                if (m->nt_account && m->nt_domain) {
                        /* an NT domain that is a hosted domain (written as its DNS name,
                         * or in another case) is spelled as that domain's NetBIOS name,
                         * so that one mailbox has one canonical spelling */
                        struct mailacct_domain_view nt;
                        uint32_t id;
                        if (mailacct_dir_lookup_domain(d, MAILACCT_T_DOMAIN, m->nt_domain, &id) < 0)
                                return -EBADMSG; /* a damaged index names no one */
                        if (id == MAILACCT_NONE)
                                return copy_out(buf, len, m->nt_domain, "\\", m->nt_account);
                        if (mailacct_dir_domain(d, id, &nt) < 0)
                                return -EBADMSG;
                        if (nt.netbios)
                                return copy_out(buf, len, nt.netbios, "\\", m->nt_account);
                        return copy_out(buf, len, m->address, NULL, NULL);
                }
                if (e->dom.netbios)
                        return copy_out(buf, len, e->dom.netbios, "\\", m->nt_account ? m->nt_account : m->local);
                return copy_out(buf, len, m->address, NULL, NULL);
        default:
                return copy_out(buf, len, m->address, NULL, NULL);
        }
}

static int home_of(const struct effective *e, char *buf, size_t len)
{
        const char *t = e->m.home ? e->m.home : e->dom.home ? e->dom.home : e->all.home;
        size_t o = 0;

        if (!t)
                t = DEFAULT_HOME;
        /* literal runs are copied whole: every getpwnam() formats a home */
        while (*t) {
                const char *pct = strchrnul(t, '%'), *sub = NULL;
                size_t n = (size_t)(pct - t);
                if (n) {
                        if (o + n >= len)
                                return -ERANGE;
                        memcpy(buf + o, t, n);
                        o += n;
                        t = pct;
                        continue;
                }
                switch (t[1]) {
                case 'd':
                        sub = e->dom.name;
                        break;
                case 'n':
                        sub = e->m.local;
                        break;
                case 'u':
                        sub = e->m.address;
                        break;
                case '%':
                        sub = "%";
                        break;
                }
                /* an unknown escape, or a '%' at the end, stands for itself */
                if (!sub) {
                        sub = "%";
                        t += 1;
                } else
                        t += 2;
                n = strlen(sub);
                if (o + n >= len)
                        return -ERANGE;
                memcpy(buf + o, sub, n);
                o += n;
        }
        if (o >= len)
                return -ERANGE;
        buf[o] = '\0';
        return 0;
}

static const char *shell_of(const struct effective *e)
{
        return e->m.shell ? e->m.shell : e->dom.shell ? e->dom.shell : e->all.shell ? e->all.shell : DEFAULT_SHELL;
}

static int ids_of(const struct effective *e, uid_t *uid, gid_t *gid)
{
        if (e->m.has_uid)
                *uid = e->m.uid;
        else if (e->dom.has_uid)
                *uid = e->dom.uid;
        else if (e->all.has_uid)
                *uid = e->all.uid;
        else
                return -ENODATA;
        if (e->m.has_gid)
                *gid = e->m.gid;
        else if (e->dom.has_gid)
                *gid = e->dom.gid;
        else if (e->all.has_gid)
                *gid = e->all.gid;
        else
                return -ENODATA;
        return 0;
}

int mailacct_dir_canonical(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return -EBADMSG;
        return canonical_of(d, &e, buf, len);
}

int mailacct_dir_home(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return -EBADMSG;
        return home_of(&e, buf, len);
}

const char *mailacct_dir_shell(const struct mailacct_dir *d, uint32_t mbox)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return NULL;
        return shell_of(&e);
}

int mailacct_dir_ids(const struct mailacct_dir *d, uint32_t mbox, uid_t *uid, gid_t *gid)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return -EBADMSG;
        return ids_of(&e, uid, gid);
}

int mailacct_dir_passwd(const struct mailacct_dir *d, uint32_t mbox, struct mailacct_pwent *pw)
{
        struct effective e;
        int r;

        if (mbox >= d->n_mailboxes)
                return -ENOENT;
        if (effective(d, mbox, &e) < 0)
                return -EBADMSG;
        r = ids_of(&e, &pw->uid, &pw->gid);
        if (r == 0)
                r = canonical_of(d, &e, pw->name, sizeof(pw->name));
        if (r == 0)
                r = home_of(&e, pw->home, sizeof(pw->home));
        if (r < 0)
                return r;
        pw->gecos = e.m.name;
        pw->shell = shell_of(&e);
        return 0;
}

bool mailacct_dir_allows_service(const struct mailacct_dir *d, uint32_t mbox, const char *service)
{
        const struct mailacct_mailbox *m;

        if (mbox >= d->n_mailboxes)
                return false;
        if (d->ix)
                return mailacct_index_allows_service(d->ix, mbox, service);
        m = &d->mailboxes[mbox];
        if (!m->has_services)
                return true;
        if (!service)
                return false;
        for (size_t i = 0; i < m->services.n; i++)
                if (mailacct_streq_fold(m->services.v[i], service))
                        return true;
        return false;
}

bool mailacct_dir_is_delegate(const struct mailacct_dir *d, uint32_t mbox, uint32_t principal)
{
        const struct mailacct_mailbox *m;

        if (mbox >= d->n_mailboxes)
                return false;
        if (d->ix)
                return mailacct_index_is_delegate(d->ix, mbox, principal) == 1;
        if (mbox == principal)
                return true;
        m = &d->mailboxes[mbox];
        for (size_t i = 0; m->delegate_ids && i < m->delegates.n; i++)
                if (m->delegate_ids[i] == principal)
                        return true;
        return false;
}

uint32_t mailacct_dir_find_uid(const struct mailacct_dir *d, uid_t uid)
{
        char key[24], *p = key + sizeof(key) - 1;
        unsigned long v = uid;
        uint32_t id;

        /* the table's keys are decimal uids, formatted by hand: this runs
         * for every getpwuid() and snprintf() costs more than the lookup */
        *p = '\0';
        do
                *--p = (char)('0' + v % 10);
        while (v /= 10);
        return mailacct_dir_get(d, MAILACCT_T_UID, p, &id, 1) == 1 ? id : MAILACCT_NONE;
}
