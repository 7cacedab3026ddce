/* SPDX-License-Identifier: MIT */
/* The builder (build.h) and the memory backing of a directory it makes. */
#include "build.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir_priv.h"
#include "hashmap.h"
#include "ixformat.h"
#include "resolve.h"
#include "strutil.h"

/* The longest value the index holds (its IX_STR_MAX less the NUL): refused
 * here, where the finding can name the entry, not when the index is written. */
#define VALUE_MAX 4095
/* The most values a mailbox's list holds in the index (its IX_LIST_MAX). */
#define LIST_MAX 256
/* and of its delegates (the reader's bound) */
#define DELEGATES_MAX (1u << 20)

/* ---- strings: one arena per directory ---------------------------------------- */

/* Every string a built directory holds lives in large chunks of its own,
 * freed together: a million mailboxes are some fifteen million short
 * strings, and a malloc'd block each costs its header and rounding (half
 * the builder's memory, measured), while a chunk of 1 MiB costs nothing
 * per string and goes back to the system when the directory does. */
#define ARENA_CHUNK (1u << 20)

struct mailacct_arena {
        struct mailacct_arena *next;
        size_t len, cap;
        char data[];
};

static char *arena_alloc(struct mailacct_arena **a, size_t n)
{
        struct mailacct_arena *k = *a;

        if (!k || k->cap - k->len < n) {
                size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK - sizeof(*k);
                struct mailacct_arena *nk = malloc(sizeof(*nk) + cap);
                if (!nk)
                        return NULL;
                nk->len = 0;
                nk->cap = cap;
                /* a large string gets a chunk of its own, behind the current
                 * one, whose room stays in use */
                if (k && cap != ARENA_CHUNK - sizeof(*k)) {
                        nk->next = k->next;
                        k->next = nk;
                } else {
                        nk->next = k;
                        *a = nk;
                }
                k = nk;
        }
        k->len += n;
        return k->data + k->len - n;
}

static void arena_free(struct mailacct_arena *a)
{
        while (a) {
                struct mailacct_arena *next = a->next;
                free(a);
                a = next;
        }
}

/* room for n pointers, aligned for them */
static char **arena_array(struct mailacct_arena **a, size_t n)
{
        struct mailacct_arena *k = *a;
        size_t pad = k ? (size_t)(-(uintptr_t)(k->data + k->len) & (sizeof(char *) - 1)) : 0;
        char *p;

        if (k && k->cap - k->len >= pad + n * sizeof(char *))
                k->len += pad;
        p = arena_alloc(a, n * sizeof(char *) + sizeof(char *));
        if (!p)
                return NULL;
        /* a fresh chunk's data is aligned; an old one was padded above */
        p += -(uintptr_t)p & (sizeof(char *) - 1);
        return (char **)p;
}

static char *arena_strndup(struct mailacct_arena **a, const char *s, size_t n)
{
        char *c = arena_alloc(a, n + 1);

        if (c) {
                memcpy(c, s, n);
                c[n] = '\0';
        }
        return c;
}

static char *arena_strdup(struct mailacct_arena **a, const char *s)
{
        return arena_strndup(a, s, strlen(s));
}

/* ---- string lists --------------------------------------------------------- */

/* The arrays only: the strings are the arena's. */
void mailacct_strv_free(struct mailacct_strv *v)
{
        if (!v->room)
                free(v->v);
        free(v->line);
        memset(v, 0, sizeof(*v));
}

/* The line array exists only once a value has a line (a file's entry): a
 * directory's lists have none. */
int mailacct_strv_add(struct mailacct_arena **a, struct mailacct_strv *v, const char *s, int line)
{
        if (v->room && v->n == v->room) {
                /* the arena's array is full: from here on, malloc's */
                char **nv = malloc((v->n + 1) * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                memcpy(nv, v->v, v->n * sizeof(*nv));
                v->v = nv;
                v->room = 0;
        } else if (!v->room) {
                char **nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                v->v = nv;
        }
        if (line || v->line) {
                int *nl = realloc(v->line, (v->n + 1) * sizeof(*nl));
                if (!nl)
                        return -ENOMEM;
                if (!v->line)
                        memset(nl, 0, v->n * sizeof(*nl));
                v->line = nl;
                nl[v->n] = line;
        }
        v->v[v->n] = arena_strdup(a, s);
        if (!v->v[v->n])
                return -ENOMEM;
        v->n++;
        return 0;
}

const struct mailacct_strv mailacct_no_values;

static int strv_line(const struct mailacct_strv *v, size_t k)
{
        return v->line ? v->line[k] : 0;
}

/* ---- the memory backing --------------------------------------------------- */

static void defaults_free(struct mailacct_defaults *df)
{
        df->home = df->shell = NULL; /* the arena's */
}

static void tables_free(struct mem_dir *m)
{
        mailacct_hashmap_free(m->domain_names);
        mailacct_hashmap_free(m->nt_domains);
        mailacct_hashmap_free(m->by_address);
        mailacct_hashmap_free(m->by_bare);
        mailacct_hashmap_free(m->by_nt);
        mailacct_hashmap_free(m->by_uid);
        mailacct_hashmap_free(m->contact_alias);
        mailacct_hashmap_free(m->contact_address);
        mailacct_hashmap_free(m->mail_domains);
        m->domain_names = m->nt_domains = m->by_address = m->by_bare = m->by_nt = m->by_uid = NULL;
        m->contact_alias = m->contact_address = m->mail_domains = NULL;
}

/* What is the mailbox's own (its strings are the arena's). */
static void mailbox_free(struct mailacct_mailbox *mb)
{
        mailacct_strv_free(&mb->aliases);
        mailacct_strv_free(&mb->addresses);
        if (mb->more) {
                mailacct_strv_free(&mb->more->services);
                mailacct_strv_free(&mb->more->delegates);
                mailacct_strv_free(&mb->more->delegate_dns);
                free(mb->more->delegate_ids);
                free(mb->more);
        }
        memset(mb, 0, sizeof(*mb));
}

static void contact_free(struct mailacct_contact *c)
{
        memset(c, 0, sizeof(*c)); /* its strings are the arena's */
}

static void mem_free(struct mem_dir *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n_domains; i++) {
                mailacct_strv_free(&m->domains[i].aliases);
                defaults_free(&m->domains[i].defaults);
        }
        for (size_t i = 0; i < m->n_mailboxes; i++)
                mailbox_free(&m->mailboxes[i]);
        for (size_t i = 0; i < m->n_contacts; i++)
                contact_free(&m->contacts[i]);
        free(m->domains);
        free(m->mailboxes);
        free(m->contacts);
        defaults_free(&m->defaults);
        mailacct_strv_free(&m->files);
        tables_free(m);
        arena_free(m->arena);
        free(m);
}

static const struct mem_dir *mem(const struct mailacct_dir *d)
{
        return d->impl;
}

const struct mailacct_hashmap *mailacct_mem_table(const struct mem_dir *m, enum mailacct_table t)
{
        switch (t) {
        case MAILACCT_T_DOMAIN:
                return m->domain_names;
        case MAILACCT_T_NTDOMAIN:
                return m->nt_domains;
        case MAILACCT_T_ADDRESS:
                return m->by_address;
        case MAILACCT_T_BARE:
                return m->by_bare;
        case MAILACCT_T_NT:
                return m->by_nt;
        case MAILACCT_T_UID:
                return m->by_uid;
        case MAILACCT_T_CONTACT_ALIAS:
                return m->contact_alias;
        case MAILACCT_T_CONTACT_ADDRESS:
                return m->contact_address;
        case MAILACCT_T_MAILDOMAIN:
                return m->mail_domains;
        default:
                return NULL;
        }
}

static long mem_get(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max)
{
        const struct mailacct_hashmap *h = mailacct_mem_table(mem(d), t);

        return h ? (long)mailacct_hashmap_get(h, key, out, max) : 0;
}

static int mem_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v)
{
        const struct mailacct_mailbox *m = &mem(d)->mailboxes[id];

        *v = (struct mailacct_mbox_view){
                .address = m->address,
                .local = m->local,
                .nt_domain = m->nt_domain,
                .nt_account = m->nt_account,
                .name = m->name,
                .home = m->home,
                .shell = m->shell,
                .origin_file = m->file,
                .origin_line = m->line,
                .domain = m->domain,
                .uid = m->uid,
                .gid = m->gid,
                .has_uid = m->has_uid,
                .has_gid = m->has_gid,
                .enabled = m->enabled,
                .has_services = m->has_services,
                .n_aliases = (uint32_t)m->aliases.n,
                .n_addresses = (uint32_t)m->addresses.n,
                .n_services = (uint32_t)MAILACCT_MB_SERVICES(m)->n,
                .n_delegates = (uint32_t)MAILACCT_MB_DELEGATES(m)->n,
        };
        return 0;
}

static void defaults_view(const struct mailacct_defaults *df, struct mailacct_domain_view *v)
{
        v->home = df->home;
        v->shell = df->shell;
        v->uid = df->uid;
        v->gid = df->gid;
        v->has_uid = df->has_uid;
        v->has_gid = df->has_gid;
}

static int mem_domain(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v)
{
        const struct mailacct_domain *dom = &mem(d)->domains[id];

        memset(v, 0, sizeof(*v));
        defaults_view(&dom->defaults, v);
        v->name = dom->name;
        v->netbios = dom->netbios;
        v->n_aliases = (uint32_t)dom->aliases.n;
        v->origin_file = dom->file;
        v->origin_line = dom->line;
        return 0;
}

static int mem_contact(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v)
{
        const struct mailacct_contact *c = &mem(d)->contacts[id];

        *v = (struct mailacct_contact_view){
                .alias = c->alias,
                .address = c->address,
                .dn = c->dn,
                .origin_file = c->file,
                .origin_line = c->line,
        };
        return 0;
}

static int mem_defaults(const struct mailacct_dir *d, struct mailacct_domain_view *v)
{
        memset(v, 0, sizeof(*v));
        defaults_view(&mem(d)->defaults, v);
        return 0;
}

static int mem_list(const struct mailacct_dir *d, uint32_t id, enum mailacct_list k, uint32_t i, const char **s,
                    int *line)
{
        const struct mailacct_mailbox *m = &mem(d)->mailboxes[id];
        const struct mailacct_strv *v = k == MAILACCT_LIST_ALIASES     ? &m->aliases
                                        : k == MAILACCT_LIST_ADDRESSES ? &m->addresses
                                                                       : MAILACCT_MB_SERVICES(m);

        if (i >= v->n)
                return -ENOENT;
        *s = v->v[i];
        *line = v->line ? v->line[i] : 0;
        return 0;
}

static int mem_delegate(const struct mailacct_dir *d, uint32_t id, uint32_t i, uint32_t *principal)
{
        const struct mailacct_mailbox *m = &mem(d)->mailboxes[id];

        if (i >= MAILACCT_MB_DELEGATES(m)->n)
                return -ENOENT;
        *principal = MAILACCT_MB_DELEGATE_IDS(m) ? MAILACCT_MB_DELEGATE_IDS(m)[i] : MAILACCT_NONE;
        return 0;
}

static int mem_names(const struct mailacct_dir *d, uint32_t id, const char **dn, const char **upn)
{
        const struct mailacct_mailbox *m = &mem(d)->mailboxes[id];

        *dn = m->dn;
        *upn = m->upn;
        return 0;
}

static int mem_domain_alias(const struct mailacct_dir *d, uint32_t id, uint32_t i, const char **s)
{
        const struct mailacct_domain *dom = &mem(d)->domains[id];

        if (i >= dom->aliases.n)
                return -ENOENT;
        *s = dom->aliases.v[i];
        return 0;
}

static void mem_release(struct mailacct_dir *d)
{
        mem_free(d->impl);
        free(d);
}

static const struct mailacct_dir_ops mem_ops = {
        .get = mem_get,
        .mailbox = mem_mailbox,
        .domain = mem_domain,
        .contact = mem_contact,
        .defaults = mem_defaults,
        .list = mem_list,
        .delegate = mem_delegate,
        .names = mem_names,
        .domain_alias = mem_domain_alias,
        .release = mem_release,
};

const struct mem_dir *mailacct_dir_mem(const struct mailacct_dir *d)
{
        return d && d->ops == &mem_ops ? d->impl : NULL;
}

/* ---- the builder ---------------------------------------------------------- */

struct mailacct_builder {
        struct mailacct_diags *diags;
        const char *file; /* for findings about the whole directory */
        struct mailacct_dir *d;
        struct mem_dir *m;
        size_t left_out;
        bool any_leave_out, any_delegate_dns;
        void (*on_leave_out)(void *ctx, uint32_t tag);
        void *leave_out_ctx;
        enum mailacct_clash domain_policy; /* domains come from the file */
};

/* The interned copy of an origin's file name: one per file, however many
 * entries name it. */
static const char *intern(struct mailacct_builder *b, const char *file)
{
        struct mailacct_strv *f = &b->m->files;

        if (!file)
                return NULL;
        for (size_t i = f->n; i-- > 0;)
                if (strcmp(f->v[i], file) == 0)
                        return f->v[i];
        return mailacct_strv_add(&b->m->arena, f, file, 0) < 0 ? NULL : f->v[f->n - 1];
}

/* A finding about an entry: an error for the file, a warning that the
 * entry (or the value) is left out for a directory entry, at its origin. */
__attribute__((format(printf, 5, 6))) static void finding(struct mailacct_builder *b, enum mailacct_clash policy,
                                                          const struct mailacct_origin *o, int line, const char *fmt,
                                                          ...)
{
        char *text;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                abort();
        va_end(ap);
        if (policy == MAILACCT_CLASH_LEAVE_OUT)
                mailacct_diag_add(b->diags, MAILACCT_WARNING, o->dn ? o->dn : o->file, o->dn ? 0 : line, "left out: %s",
                                  text);
        else
                mailacct_diag_add(b->diags, MAILACCT_ERROR, o->file, line, "%s", text);
        free(text);
}

struct mailacct_builder *mailacct_builder_new(struct mailacct_diags *diags, const char *file)
{
        struct mailacct_builder *b = calloc(1, sizeof(*b));

        if (!b)
                return NULL;
        b->diags = diags;
        b->file = file;
        b->d = calloc(1, sizeof(*b->d));
        b->m = calloc(1, sizeof(*b->m));
        if (!b->d || !b->m)
                goto fail;
        b->d->ops = &mem_ops;
        b->d->impl = b->m;
        b->d->s.default_domain = MAILACCT_NONE;
        b->d->s.enumerate = true;
        b->m->domain_names = mailacct_hashmap_new(16);
        b->m->mail_domains = mailacct_hashmap_new(16);
        if (!b->m->domain_names || !b->m->mail_domains)
                goto fail;
        return b;
fail:
        mailacct_builder_free(b);
        return NULL;
}

void mailacct_builder_free(struct mailacct_builder *b)
{
        if (!b)
                return;
        mem_free(b->m);
        free(b->d);
        free(b);
}

size_t mailacct_builder_domains(const struct mailacct_builder *b)
{
        return b->m->n_domains;
}

size_t mailacct_builder_left_out(const struct mailacct_builder *b)
{
        return b->left_out;
}

void mailacct_builder_on_leave_out(struct mailacct_builder *b, void (*fn)(void *ctx, uint32_t tag), void *ctx)
{
        b->on_leave_out = fn;
        b->leave_out_ctx = ctx;
}

/* One more directory entry left out: counted, and told to its source. */
static void left_out(struct mailacct_builder *b, uint32_t tag)
{
        b->left_out++;
        if (b->on_leave_out)
                b->on_leave_out(b->leave_out_ctx, tag);
}

const char *mailacct_builder_netbios(const struct mailacct_builder *b, const char *domain)
{
        uint32_t id = mailacct_dir_find_mail_domain(b->d, domain);

        return id == MAILACCT_NONE ? NULL : b->m->domains[id].netbios;
}

static int dup_opt(struct mem_dir *m, const char *s, char **out)
{
        *out = NULL;
        if (!s)
                return 0;
        *out = arena_strdup(&m->arena, s);
        return *out ? 0 : -ENOMEM;
}

/* home's escapes are %d %n %u %%; it must be absolute */
static const char *bad_home(const char *home)
{
        if (home[0] != '/')
                return "must be an absolute path";
        for (const char *p = strchr(home, '%'); p; p = strchr(p + 2, '%'))
                if (!p[1] || !strchr("dnu%", p[1]))
                        return "unknown %-escape (use %d domain, %n local part, %u address, %% %)";
        return NULL;
}

static int set_defaults(struct mailacct_builder *b, struct mailacct_defaults *df,
                        const struct mailacct_defaults_spec *s, const struct mailacct_origin *o)
{
        const char *why;

        df->has_uid = s->has_uid;
        df->has_gid = s->has_gid;
        df->uid = s->uid;
        df->gid = s->gid;
        if (s->home && (why = bad_home(s->home))) {
                if (strncmp(why, "must", 4) == 0)
                        finding(b, MAILACCT_CLASH_ERROR, o, s->home_line, "home \"%s\" %s", s->home, why);
                else
                        finding(b, MAILACCT_CLASH_ERROR, o, s->home_line, "home \"%s\": %s", s->home, why);
        }
        if (dup_opt(b->m, s->home, &df->home) < 0 || dup_opt(b->m, s->shell, &df->shell) < 0)
                return -ENOMEM;
        return 0;
}

int mailacct_builder_settings(struct mailacct_builder *b, const struct mailacct_settings_spec *s)
{
        struct mailacct_settings *st = &b->d->s;
        struct mem_dir *m = b->m;

        st->bare_alias = s->bare_alias;
        st->case_sensitive = s->case_sensitive;
        st->canonical = s->canonical;
        st->enumerate = !s->no_enumerate;
        st->passwords = s->passwords;
        defaults_free(&m->defaults);
        memset(&m->defaults, 0, sizeof(m->defaults));
        if (dup_opt(m, s->default_domain, &m->default_domain) < 0 || dup_opt(m, s->secrets, &m->secrets) < 0)
                return -ENOMEM;
        st->secrets = m->secrets;
        m->default_domain_file = intern(b, s->default_domain_origin.file);
        m->default_domain_line = s->default_domain_origin.line;
        return set_defaults(b, &m->defaults, &s->defaults, &s->default_domain_origin);
}

typedef const char *(*validator)(const char *s);

/* Values must be logins of the right form: the same parser as at login time,
 * so that nothing is written that no one could ever type. */
static const char *valid_alias(const char *s)
{
        struct mailacct_login l;
        const char *why;

        if (mailacct_login_parse(s, &l, &why) < 0)
                return why;
        return l.form == MAILACCT_FORM_BARE ? NULL : "must be a bare name (no '@', '\\' or '/')";
}

static const char *valid_address(const char *s)
{
        struct mailacct_login l;
        const char *why;

        if (mailacct_login_parse(s, &l, &why) < 0)
                return why;
        return l.form == MAILACCT_FORM_ADDRESS ? NULL : "must be an address local@domain";
}

static const char *valid_any_login(const char *s)
{
        struct mailacct_login l;
        const char *why;

        if (mailacct_login_parse(s, &l, &why) < 0)
                return why;
        return l.form == MAILACCT_FORM_DELEGATE ? "a delegate is one account, not a three-part login" : NULL;
}

/* Copies the values that pass check into v; each one that does not is a
 * finding named after its key (or, for a directory entry, leaves the entry
 * out when the value is essential: see the callers). Returns how many were
 * refused, or -ENOMEM. */
static int take_values(struct mailacct_builder *b, enum mailacct_clash policy, const struct mailacct_origin *o,
                       const char *key, const struct mailacct_values *in, struct mailacct_strv *v, validator check,
                       size_t max)
{
        int bad = 0;

        /* the index holds no longer list: refused here, naming the entry */
        if (in->n > max) {
                finding(b, policy, o, in->lines ? in->lines[0] : o->line, "%s: %zu values, more than %zu", key, in->n,
                        max);
                return 1;
        }
        /* one array for the list, in the arena, when it starts empty */
        if (!v->v && in->n) {
                v->v = arena_array(&b->m->arena, in->n);
                if (!v->v)
                        return -ENOMEM;
                v->room = (uint32_t)in->n;
        }
        for (size_t i = 0; i < in->n; i++) {
                int line = in->lines ? in->lines[i] : o->line;
                const char *why = check ? check(in->v[i]) : strlen(in->v[i]) > VALUE_MAX ? "too long" : NULL;
                if (why) {
                        finding(b, policy, o, line, "%s \"%s\": %s", key, in->v[i], why);
                        bad++;
                        continue;
                }
                if (mailacct_strv_add(&b->m->arena, v, in->v[i], in->lines ? line : 0) < 0)
                        return -ENOMEM;
        }
        return bad;
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
        void *nv;
        size_t nc;

        if (n < *cap)
                return true;
        nc = *cap ? *cap * 2 : 16;
        nv = realloc(*v, nc * size);
        if (!nv)
                return false;
        memset((char *)nv + *cap * size, 0, (nc - *cap) * size);
        *v = nv;
        *cap = nc;
        return true;
}

int mailacct_builder_domain(struct mailacct_builder *b, const struct mailacct_domain_spec *s)
{
        const struct mailacct_origin *o = &s->origin;
        struct mem_dir *m = b->m;
        struct mailacct_domain *dom;
        const char *names[2];
        const char *why;
        uint32_t id;
        int r;

        if (!s->name) {
                finding(b, MAILACCT_CLASH_ERROR, o, o->line, "domain without a name");
                return 0;
        }
        if ((why = valid_alias(s->name))) {
                finding(b, MAILACCT_CLASH_ERROR, o, o->line, "domain name \"%s\": %s", s->name, why);
                return 0;
        }
        if (!grow((void **)&m->domains, &m->cap_domains, m->n_domains, sizeof(*m->domains)))
                return -ENOMEM;
        id = (uint32_t)m->n_domains;
        dom = &m->domains[id];
        dom->file = intern(b, o->file);
        dom->line = o->line;
        if (dup_opt(m, s->name, &dom->name) < 0 || dup_opt(m, s->netbios, &dom->netbios) < 0)
                return -ENOMEM;
        m->n_domains++;
        b->d->s.n_domains = m->n_domains;
        if (s->netbios && (why = valid_alias(s->netbios)))
                finding(b, MAILACCT_CLASH_ERROR, o, s->netbios_line ? s->netbios_line : o->line, "netbios \"%s\": %s",
                        s->netbios, why);
        r = take_values(b, MAILACCT_CLASH_ERROR, o, "aliases", &s->aliases, &dom->aliases, valid_alias, LIST_MAX);
        if (r < 0 || set_defaults(b, &dom->defaults, &s->defaults, o) < 0)
                return -ENOMEM;
        /* the domain tables exist as domains come in: the mailboxes that
         * follow name their domain, and rule 1 must hold for them */
        names[0] = dom->name;
        names[1] = dom->netbios;
        for (size_t k = 0; k < 2 + dom->aliases.n; k++) {
                const char *n = k < 2 ? names[k] : dom->aliases.v[k - 2];
                char key[MAILACCT_LOGIN_MAX + 8];
                uint32_t other;

                if (!n || snprintf(key, sizeof(key), "%s", n) >= (int)sizeof(key))
                        continue;
                mailacct_fold(key);
                if (mailacct_hashmap_get(m->domain_names, key, &other, 1)) {
                        mailacct_diag_add(b->diags, MAILACCT_ERROR, o->file, o->line,
                                          "domain name \"%s\" is used twice (also domain %s, line %d)", n,
                                          m->domains[other].name, m->domains[other].line);
                        continue;
                }
                if (mailacct_hashmap_add(m->domain_names, key, id) < 0)
                        return -ENOMEM;
                /* k == 1 is the NetBIOS name: not a mail domain (rule 1) */
                if (k != 1 && mailacct_hashmap_add(m->mail_domains, key, id) < 0)
                        return -ENOMEM;
        }
        return 0;
}

bool mailacct_builder_hosts(const struct mailacct_builder *b, const char *domain)
{
        return mailacct_dir_find_mail_domain(b->d, domain) != MAILACCT_NONE;
}

static int refuse_mailbox(struct mailacct_builder *b, enum mailacct_clash policy, struct mailacct_mailbox *mb,
                          const struct mailacct_origin *o)
{
        mailbox_free(mb);
        if (policy == MAILACCT_CLASH_LEAVE_OUT)
                left_out(b, o->tag);
        return 0;
}

static int set_nt_account(struct mailacct_builder *b, enum mailacct_clash policy, const struct mailacct_mailbox_spec *s,
                          struct mailacct_mailbox *mb)
{
        const char *why = NULL;
        struct mailacct_login l;

        if (!s->nt_account)
                return 0;
        if (mailacct_login_parse(s->nt_account, &l, &why) < 0 ||
            (l.form != MAILACCT_FORM_BARE && l.form != MAILACCT_FORM_NTACCOUNT)) {
                finding(b, policy, &s->origin, s->nt_line ? s->nt_line : s->origin.line, "nt_account \"%s\": %s",
                        s->nt_account, why ? why : "must be \"account\" or \"DOMAIN\\\\account\"");
                return 1;
        }
        if (l.form == MAILACCT_FORM_NTACCOUNT && !(mb->nt_domain = arena_strdup(&b->m->arena, l.domain)))
                return -ENOMEM;
        mb->nt_account = arena_strdup(&b->m->arena, l.account);
        return mb->nt_account ? 0 : -ENOMEM;
}

int mailacct_builder_mailbox(struct mailacct_builder *b, const struct mailacct_mailbox_spec *s,
                             enum mailacct_clash policy)
{
        const struct mailacct_origin *o = &s->origin;
        int aline = s->address_line ? s->address_line : o->line;
        struct mem_dir *m = b->m;
        struct mailacct_mailbox *mb;
        const char *why, *at;
        int bad = 0, r;

        if (!s->address) {
                finding(b, policy, o, o->line, "mailbox without an address");
                return refuse_mailbox(b, policy, &(struct mailacct_mailbox){0}, o);
        }
        if ((why = valid_address(s->address))) {
                finding(b, policy, o, aline, "address \"%s\": %s", s->address, why);
                return refuse_mailbox(b, policy, &(struct mailacct_mailbox){0}, o);
        }
        at = strrchr(s->address, '@');
        if (!grow((void **)&m->mailboxes, &m->cap_mailboxes, m->n_mailboxes, sizeof(*m->mailboxes)))
                return -ENOMEM;
        mb = &m->mailboxes[m->n_mailboxes];
        memset(mb, 0, sizeof(*mb));
        /* a NetBIOS name is not a mail domain (rule 1) */
        mb->domain = mailacct_dir_find_mail_domain(b->d, at + 1);
        if (mb->domain == MAILACCT_NONE) {
                finding(b, policy, o, aline, "address \"%s\": domain \"%s\" is not in domains%s", s->address, at + 1,
                        mailacct_dir_find_domain(b->d, at + 1) != MAILACCT_NONE ? " (it is a NetBIOS name)" : "");
                return refuse_mailbox(b, policy, mb, o);
        }
        mb->file = intern(b, o->file);
        mb->line = o->line;
        mb->enabled = s->enabled;
        mb->has_services = s->has_services;
        mb->has_uid = s->has_uid;
        mb->has_gid = s->has_gid;
        mb->uid = s->uid;
        mb->gid = s->gid;
        mb->leave_out = policy == MAILACCT_CLASH_LEAVE_OUT;
        mb->tag = o->tag;
        if (dup_opt(m, s->address, &mb->address) < 0 ||
            !(mb->local = arena_strndup(&m->arena, s->address, (size_t)(at - s->address))) ||
            dup_opt(m, s->name, &mb->name) < 0 || dup_opt(m, s->home, &mb->home) < 0 ||
            dup_opt(m, s->shell, &mb->shell) < 0 || dup_opt(m, s->dn, &mb->dn) < 0 || dup_opt(m, s->upn, &mb->upn) < 0)
                goto nomem;
        /* a directory entry with a value the rules refuse is left out whole:
         * half a mailbox would answer some logins and not others */
        if ((r = take_values(b, policy, o, "aliases", &s->aliases, &mb->aliases, valid_alias, LIST_MAX)) < 0)
                goto nomem;
        bad += r;
        if ((r = take_values(b, policy, o, "addresses", &s->addresses, &mb->addresses, valid_address, LIST_MAX)) < 0)
                goto nomem;
        bad += r;
        /* the rarer lists, apart (dir_priv.h) */
        if (s->delegates.n || s->services.n || s->delegate_dns.n) {
                mb->more = calloc(1, sizeof(*mb->more));
                if (!mb->more)
                        goto nomem;
                if ((r = take_values(b, policy, o, "delegates", &s->delegates, &mb->more->delegates, valid_any_login,
                                     DELEGATES_MAX)) < 0)
                        goto nomem;
                bad += r;
                if ((r = take_values(b, policy, o, "services", &s->services, &mb->more->services, valid_alias,
                                     LIST_MAX)) < 0)
                        goto nomem;
                bad += r;
                if ((r = take_values(b, policy, o, "delegate DNs", &s->delegate_dns, &mb->more->delegate_dns, NULL,
                                     DELEGATES_MAX)) < 0)
                        goto nomem;
                bad += r;
        }
        if ((r = set_nt_account(b, policy, s, mb)) < 0)
                goto nomem;
        bad += r;
        for (size_t k = 0; k < mb->addresses.n; k++) {
                const char *dom = strrchr(mb->addresses.v[k], '@') + 1;
                if (mailacct_dir_find_mail_domain(b->d, dom) != MAILACCT_NONE)
                        continue;
                if (mailacct_dir_find_domain(b->d, dom) != MAILACCT_NONE) {
                        finding(b, policy, o, strv_line(&mb->addresses, k),
                                "addresses \"%s\": \"%s\" is a NetBIOS name, not a mail domain", mb->addresses.v[k],
                                dom);
                        bad++;
                }
        }
        if (mb->home && (why = bad_home(mb->home))) {
                if (strncmp(why, "must", 4) == 0)
                        finding(b, policy, o, s->home_line ? s->home_line : o->line, "home \"%s\" %s", mb->home, why);
                else
                        finding(b, policy, o, s->home_line ? s->home_line : o->line, "home \"%s\": %s", mb->home, why);
                bad++;
        }
        if (mb->name && strpbrk(mb->name, ":\n")) {
                finding(b, policy, o, s->name_line ? s->name_line : o->line,
                        "name \"%s\" must not contain ':' or a newline", mb->name);
                bad++;
        }
        {
                const char *const longs[] = {mb->name, mb->home, mb->shell, mb->dn, mb->upn};
                const char *const what[] = {"name", "home", "shell", "dn", "userPrincipalName"};
                for (size_t k = 0; k < 5; k++)
                        if (longs[k] && strlen(longs[k]) > VALUE_MAX) {
                                finding(b, policy, o, o->line, "%s: %zu bytes, more than %d", what[k], strlen(longs[k]),
                                        VALUE_MAX);
                                bad++;
                        }
        }
        if (bad && policy == MAILACCT_CLASH_LEAVE_OUT)
                return refuse_mailbox(b, policy, mb, o);
        b->any_leave_out |= mb->leave_out;
        b->any_delegate_dns |= mb->more && mb->more->delegate_dns.n > 0;
        m->n_mailboxes++;
        b->d->s.n_mailboxes = m->n_mailboxes;
        return 0;
nomem:
        mailbox_free(mb);
        return -ENOMEM;
}

int mailacct_builder_contact(struct mailacct_builder *b, const struct mailacct_contact_spec *s,
                             enum mailacct_clash policy)
{
        const struct mailacct_origin *o = &s->origin;
        struct mem_dir *m = b->m;
        struct mailacct_contact *c;
        const char *why;

        if (!s->alias) {
                finding(b, policy, o, o->line, "contact without an alias");
                if (policy == MAILACCT_CLASH_LEAVE_OUT)
                        left_out(b, o->tag);
                return 0;
        }
        if ((why = valid_alias(s->alias)) || (s->address && (why = valid_address(s->address)))) {
                finding(b, policy, o, o->line, "contact \"%s\": %s", s->alias, why);
                if (policy == MAILACCT_CLASH_LEAVE_OUT)
                        left_out(b, o->tag);
                return 0;
        }
        if (!grow((void **)&m->contacts, &m->cap_contacts, m->n_contacts, sizeof(*m->contacts)))
                return -ENOMEM;
        c = &m->contacts[m->n_contacts];
        c->file = intern(b, o->file);
        c->line = o->line;
        c->leave_out = policy == MAILACCT_CLASH_LEAVE_OUT;
        c->tag = o->tag;
        if (dup_opt(m, s->alias, &c->alias) < 0 || dup_opt(m, s->address, &c->address) < 0 ||
            dup_opt(m, o->dn, &c->dn) < 0) {
                contact_free(c);
                return -ENOMEM;
        }
        m->n_contacts++;
        b->d->s.n_contacts = m->n_contacts;
        return 0;
}

/* ---- finishing: tables, collisions, delegates ------------------------------ */

static const char *split_at(const char *address, char *local, size_t len)
{
        const char *at = strrchr(address, '@');

        if (!at || (size_t)(at - address) >= len)
                return NULL;
        memcpy(local, address, (size_t)(at - address));
        local[at - address] = '\0';
        return at + 1;
}

/* local@domain with the domain normalised to its hosted name, so that
 * jdoe@example.org and jdoe@example.com are one key when one is an alias. */
static int key_address(const struct mailacct_dir *d, const char *local, const char *domain, char *buf, size_t len)
{
        uint32_t id = mailacct_dir_find_domain(d, domain);
        const struct mem_dir *m = mem(d);

        return mailacct_dir_key_address(d, local, id == MAILACCT_NONE ? domain : m->domains[id].name, buf, len);
}

/* The NT table's key of a mailbox with an NT account (and the NT domain,
 * noted in nt_domains when no hosted domain has it). 1 with key, 0 without. */
static int nt_key(struct mailacct_builder *b, const struct mailacct_mailbox *mb, char *key, size_t len,
                  bool note_foreign)
{
        const struct mem_dir *m = b->m;
        uint32_t ntdom = mb->domain;

        if (!mb->nt_account)
                return 0;
        if (mb->nt_domain) {
                ntdom = mailacct_dir_find_domain(b->d, mb->nt_domain);
                if (ntdom == MAILACCT_NONE && note_foreign) {
                        char fk[MAILACCT_LOGIN_MAX + 1];
                        if (snprintf(fk, sizeof(fk), "%s", mb->nt_domain) < (int)sizeof(fk)) {
                                mailacct_fold(fk);
                                if (mailacct_hashmap_add(b->m->nt_domains, fk, 0) < 0)
                                        return -ENOMEM;
                        }
                }
        }
        return mailacct_dir_key_nt(b->d, ntdom == MAILACCT_NONE ? NULL : m->domains[ntdom].name, mb->nt_domain,
                                   mb->nt_account, key, len) == 0;
}

/* The canonical name as a key: the NetBIOS part always folds, the account
 * part as local parts do. 1 with key, 0 when the name cannot be formed. */
static int canonical_key(struct mailacct_builder *b, uint32_t i, char *key, char *shown, size_t len)
{
        char *sep;

        if (mailacct_dir_canonical(b->d, i, shown, len) < 0)
                return 0;
        memcpy(key, shown, len);
        sep = strchr(key, '\\');
        if (sep) {
                *sep = '\0';
                mailacct_fold(key);
                *sep = '\\';
        }
        if (!b->d->s.case_sensitive)
                mailacct_fold(key);
        return 1;
}

#define KEY_MAX (2 * MAILACCT_LOGIN_MAX + 16)

/* Calls fn for every key that must name one mailbox alone: its addresses
 * (kind 'A'), its NT account ('N'), its canonical name when that is not the
 * address ('C'). Each key is prefixed by its kind. */
static int unique_keys(struct mailacct_builder *b, uint32_t i,
                       int (*fn)(struct mailacct_builder *b, uint32_t i, const char *key, const char *shown, int line,
                                 void *ctx),
                       void *ctx)
{
        const struct mailacct_mailbox *mb = &b->m->mailboxes[i];
        char key[KEY_MAX + 1], shown[KEY_MAX], local[MAILACCT_LOGIN_MAX + 1];
        int r;

        key[0] = 'A';
        if (key_address(b->d, mb->local, b->m->domains[mb->domain].name, key + 1, KEY_MAX) == 0 &&
            (r = fn(b, i, key, mb->address, mb->line, ctx)) != 0)
                return r;
        for (size_t k = 0; k < mb->addresses.n; k++) {
                const char *dom = split_at(mb->addresses.v[k], local, sizeof(local));
                if (!dom || key_address(b->d, local, dom, key + 1, KEY_MAX) < 0)
                        continue;
                if ((r = fn(b, i, key, mb->addresses.v[k], strv_line(&mb->addresses, k), ctx)) != 0)
                        return r;
        }
        key[0] = 'N';
        r = nt_key(b, mb, key + 1, KEY_MAX, false);
        if (r < 0)
                return r;
        if (r == 1 && (r = fn(b, i, key, mb->nt_account, mb->line, ctx)) != 0)
                return r;
        if (b->d->s.canonical != MAILACCT_CANON_ADDRESS) {
                key[0] = 'C';
                if (canonical_key(b, i, key + 1, shown, KEY_MAX) && (r = fn(b, i, key, shown, mb->line, ctx)) != 0)
                        return r;
        }
        return 0;
}

static int claim(struct mailacct_builder *b, uint32_t i, const char *key, const char *shown, int line, void *ctx)
{
        (void)b;
        (void)i;
        (void)shown;
        (void)line;
        return mailacct_hashmap_add(ctx, key, i);
}

static const char *kind_name(char k)
{
        return k == 'A' ? "address" : k == 'N' ? "NT account" : "canonical name";
}

/* A directory entry loses every clash: to a file entry, which wins, and to
 * another directory entry (both are left out: neither can be told right). */
static int judge(struct mailacct_builder *b, uint32_t i, const char *key, const char *shown, int line, void *ctx)
{
        struct mailacct_mailbox *mb = &b->m->mailboxes[i];
        uint32_t ids[8];
        size_t n = mailacct_hashmap_get(ctx, key, ids, 8);
        struct mailacct_origin o = {mb->file, mb->line, mb->dn};

        (void)line;
        if (!mb->leave_out || mb->leave_out == 2)
                return 0;
        for (size_t k = 0; k < n && k < 8; k++) {
                const struct mailacct_mailbox *other = &b->m->mailboxes[ids[k]];
                if (ids[k] == i)
                        continue;
                if (!other->leave_out) {
                        finding(b, MAILACCT_CLASH_LEAVE_OUT, &o, 0,
                                "%s \"%s\" of %s is also mailbox %s of %s:%d; the "
                                "file wins",
                                kind_name(key[0]), shown, mb->address, other->address, other->file ? other->file : "?",
                                other->line);
                        mb->leave_out = 2;
                        return 0;
                }
                finding(b, MAILACCT_CLASH_LEAVE_OUT, &o, 0, "%s \"%s\" of %s is claimed by %s too (%s)",
                        kind_name(key[0]), shown, mb->address, other->dn ? other->dn : other->address, other->address);
                mb->leave_out = 2;
                return 0;
        }
        return 0;
}

/* Directory entries that clash are taken out before any table is built, so
 * that every id names a mailbox that stays. Only builds with directory
 * entries pay for the extra map. */
static int drop_clashes(struct mailacct_builder *b)
{
        struct mem_dir *m = b->m;
        struct mailacct_hashmap *claims;
        size_t w = 0;
        int r = 0;

        if (!b->any_leave_out)
                return 0;
        claims = mailacct_hashmap_new(m->n_mailboxes * 3);
        m->nt_domains = m->nt_domains ? m->nt_domains : mailacct_hashmap_new(4);
        if (!claims || !m->nt_domains) {
                mailacct_hashmap_free(claims);
                return -ENOMEM;
        }
        b->d->s.n_mailboxes = m->n_mailboxes; /* canonical_key() reads views */
        for (uint32_t i = 0; r == 0 && i < m->n_mailboxes; i++)
                r = unique_keys(b, i, claim, claims);
        for (uint32_t i = 0; r == 0 && i < m->n_mailboxes; i++)
                r = unique_keys(b, i, judge, claims);
        mailacct_hashmap_free(claims);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_mailboxes; i++) {
                if (m->mailboxes[i].leave_out == 2) {
                        uint32_t tag = m->mailboxes[i].tag;
                        mailbox_free(&m->mailboxes[i]);
                        left_out(b, tag);
                        continue;
                }
                if (w != i)
                        m->mailboxes[w] = m->mailboxes[i];
                w++;
        }
        m->n_mailboxes = w;
        b->d->s.n_mailboxes = w;
        return 0;
}

/* How a finding at mailbox i names mailbox o's place (diag.h). */
static const char *place_of(const struct mem_dir *m, uint32_t i, uint32_t o, char *buf, size_t len)
{
        return mailacct_diag_place(buf, len, m->mailboxes[i].file, m->mailboxes[o].file, m->mailboxes[o].line);
}

/* A file entry that claims a key an earlier one has: the error of today's
 * loader, "duplicate address", at the later entry. */
static int add_unique(struct mailacct_builder *b, struct mailacct_hashmap *h, const char *key, uint32_t i,
                      const char *what, const char *shown, int line)
{
        const struct mem_dir *m = b->m;
        uint32_t other;
        char at[1200];
        int r = mailacct_hashmap_add_unique(h, key, i, &other);

        if (r == 0)
                mailacct_diag_add(b->diags, MAILACCT_ERROR, m->mailboxes[i].file, line,
                                  "duplicate %s \"%s\": also mailbox %s (%s)", what, shown, m->mailboxes[other].address,
                                  place_of(m, i, other, at, sizeof(at)));
        return r < 0 ? r : 0;
}

static int index_mailbox(struct mailacct_builder *b, uint32_t i)
{
        struct mem_dir *m = b->m;
        struct mailacct_mailbox *mb = &m->mailboxes[i];
        char key[KEY_MAX], local[MAILACCT_LOGIN_MAX + 1];
        uid_t uid;
        gid_t gid;
        int r;

        if (key_address(b->d, mb->local, m->domains[mb->domain].name, key, sizeof(key)) < 0)
                return 0;
        r = add_unique(b, m->by_address, key, i, "address", mb->address, mb->line);
        for (size_t k = 0; r == 0 && k < mb->addresses.n; k++) {
                const char *dom = split_at(mb->addresses.v[k], local, sizeof(local));
                if (!dom || key_address(b->d, local, dom, key, sizeof(key)) < 0)
                        continue;
                r = add_unique(b, m->by_address, key, i, "address", mb->addresses.v[k], strv_line(&mb->addresses, k));
        }
        /* the bare-alias set: every alias plus the primary local part */
        for (size_t k = 0; r == 0 && k <= mb->aliases.n; k++) {
                const char *a = k < mb->aliases.n ? mb->aliases.v[k] : mb->local;
                if (mailacct_dir_key_local(b->d, a, key, sizeof(key)) < 0)
                        continue;
                r = mailacct_hashmap_add(m->by_bare, key, i);
        }
        if (r == 0) {
                r = nt_key(b, mb, key, sizeof(key), true);
                if (r == 1)
                        r = add_unique(b, m->by_nt, key, i, "NT account", mb->nt_account, mb->line);
        }
        /* The uid table answers "one" or "many" (IX_UID_KEEP ids, as the
         * index keeps them): past that, a uid every mailbox shares (vmail)
         * would only lengthen one run of the map, walked on every add. */
        if (r == 0 && mailacct_dir_ids(b->d, i, &uid, &gid) == 0) {
                snprintf(key, sizeof(key), "%lu", (unsigned long)uid);
                if (mailacct_hashmap_get(m->by_uid, key, NULL, 0) < IX_UID_KEEP)
                        r = mailacct_hashmap_add(m->by_uid, key, i);
        }
        return r;
}

static int index_contacts(struct mailacct_builder *b)
{
        struct mem_dir *m = b->m;
        char key[KEY_MAX], local[MAILACCT_LOGIN_MAX + 1];

        for (uint32_t i = 0; i < m->n_contacts; i++) {
                const char *dom;
                if (mailacct_dir_key_local(b->d, m->contacts[i].alias, key, sizeof(key)) == 0 &&
                    mailacct_hashmap_add(m->contact_alias, key, i) < 0)
                        return -ENOMEM;
                dom = m->contacts[i].address ? split_at(m->contacts[i].address, local, sizeof(local)) : NULL;
                if (dom && key_address(b->d, local, dom, key, sizeof(key)) == 0 &&
                    mailacct_hashmap_add(m->contact_address, key, i) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* DN as the delegate table keys it: folded (a server spells one DN the
 * same way in an entry and in a link to it, give or take case). */
static bool dn_key(const char *dn, char *key, size_t len)
{
        if (snprintf(key, len, "%s", dn) >= (int)len)
                return false;
        mailacct_fold(key);
        return true;
}

/* A directory's delegates named by DN (msExchDelegateListLink) become
 * delegates named by the address of the mailbox with that DN, which the
 * resolver then finds as it finds the file's. Only the DNs that are named
 * are held in a map, however large the directory. */
static int resolve_delegate_dns(struct mailacct_builder *b)
{
        struct mem_dir *m = b->m;
        struct mailacct_hashmap *wanted;
        uint32_t *target = NULL;
        size_t n = 0, n_wanted = 0;
        char key[VALUE_MAX + 1];
        int r = -ENOMEM;

        if (!b->any_delegate_dns)
                return 0;
        for (size_t i = 0; i < m->n_mailboxes; i++)
                n += m->mailboxes[i].more ? m->mailboxes[i].more->delegate_dns.n : 0;
        wanted = mailacct_hashmap_new(n);
        target = malloc((n + 1) * sizeof(*target));
        if (!wanted || !target)
                goto out;
        for (size_t i = 0; i < m->n_mailboxes; i++)
                for (size_t k = 0; m->mailboxes[i].more && k < m->mailboxes[i].more->delegate_dns.n; k++) {
                        uint32_t id;
                        if (!dn_key(m->mailboxes[i].more->delegate_dns.v[k], key, sizeof(key)) ||
                            mailacct_hashmap_get(wanted, key, &id, 1))
                                continue;
                        target[n_wanted] = MAILACCT_NONE;
                        if (mailacct_hashmap_add(wanted, key, (uint32_t)n_wanted++) < 0)
                                goto out;
                }
        for (size_t i = 0; i < m->n_mailboxes; i++) {
                uint32_t k;
                if (m->mailboxes[i].dn && dn_key(m->mailboxes[i].dn, key, sizeof(key)) &&
                    mailacct_hashmap_get(wanted, key, &k, 1) && target[k] == MAILACCT_NONE)
                        target[k] = (uint32_t)i;
        }
        for (size_t i = 0; i < m->n_mailboxes; i++) {
                struct mailacct_mailbox *mb = &m->mailboxes[i];
                struct mailacct_mailbox_more *more = mb->more;
                for (size_t k = 0; more && k < more->delegate_dns.n; k++) {
                        uint32_t w;
                        if (dn_key(more->delegate_dns.v[k], key, sizeof(key)) &&
                            mailacct_hashmap_get(wanted, key, &w, 1) && target[w] != MAILACCT_NONE) {
                                if (mailacct_strv_add(&m->arena, &more->delegates, m->mailboxes[target[w]].address, 0) <
                                    0)
                                        goto out;
                                continue;
                        }
                        mailacct_diag_add(b->diags, MAILACCT_WARNING, mb->dn ? mb->dn : mb->file, mb->dn ? 0 : mb->line,
                                          "delegate %s of %s is no mailbox of the directory; ignored",
                                          more->delegate_dns.v[k], mb->address);
                }
                if (more)
                        mailacct_strv_free(&more->delegate_dns);
        }
        r = 0;
out:
        mailacct_hashmap_free(wanted);
        free(target);
        return r;
}

static int resolve_delegates(struct mailacct_builder *b)
{
        struct mem_dir *m = b->m;
        struct mailacct_result *res = malloc(sizeof(*res));

        if (!res)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_mailboxes; i++) {
                struct mailacct_mailbox *mb = &m->mailboxes[i];
                struct mailacct_mailbox_more *more = mb->more;
                struct mailacct_origin o = {mb->file, mb->line, mb->dn};
                if (!more || more->delegates.n == 0)
                        continue;
                more->delegate_ids = calloc(more->delegates.n, sizeof(*more->delegate_ids));
                if (!more->delegate_ids) {
                        free(res);
                        return -ENOMEM;
                }
                for (size_t k = 0; k < more->delegates.n; k++) {
                        more->delegate_ids[k] = MAILACCT_NONE;
                        if (mailacct_resolve(b->d, more->delegates.v[k], res) == 0 &&
                            res->form != MAILACCT_FORM_DELEGATE) {
                                more->delegate_ids[k] = res->mailbox;
                                continue;
                        }
                        /* a directory entry keeps its mailbox, not the delegate */
                        if (mb->leave_out)
                                mailacct_diag_add(b->diags, MAILACCT_WARNING, mb->dn ? mb->dn : mb->file,
                                                  mb->dn ? 0 : mb->line,
                                                  "delegate \"%s\" of %s resolves to no mailbox (%s: %s); ignored",
                                                  more->delegates.v[k], mb->address, mailacct_reason_name(res->reason),
                                                  res->message);
                        else
                                finding(b, MAILACCT_CLASH_ERROR, &o, strv_line(&more->delegates, k),
                                        "delegate \"%s\" of %s resolves to no mailbox: %s: %s", more->delegates.v[k],
                                        mb->address, mailacct_reason_name(res->reason), res->message);
                }
        }
        free(res);
        return 0;
}

/* Two mailboxes must never share a canonical name: it is the name PAM hands
 * back and NSS answers for. Addresses are unique already; "local" and
 * "netbios" can collide (jdoe@a and jdoe@b; EXAMPLE\jdoe as one mailbox's
 * NT account and another's local part). */
static int check_canonical_collisions(struct mailacct_builder *b)
{
        struct mem_dir *m = b->m;
        struct mailacct_hashmap *seen;
        char key[KEY_MAX], shown[KEY_MAX];
        int r = 0;

        if (b->d->s.canonical == MAILACCT_CANON_ADDRESS)
                return 0;
        seen = mailacct_hashmap_new(m->n_mailboxes);
        if (!seen)
                return -ENOMEM;
        for (uint32_t i = 0; r == 0 && i < m->n_mailboxes; i++) {
                uint32_t other;
                char at[1200];
                if (!canonical_key(b, i, key, shown, sizeof(key)))
                        continue;
                if (!mailacct_hashmap_get(seen, key, &other, 1)) {
                        r = mailacct_hashmap_add(seen, key, i);
                        continue;
                }
                if (b->d->s.canonical == MAILACCT_CANON_LOCAL)
                        mailacct_diag_add(b->diags, MAILACCT_ERROR, m->mailboxes[i].file, m->mailboxes[i].line,
                                          "canonical = \"local\" but %s and %s (%s) share the local part \"%s\"",
                                          m->mailboxes[i].address, m->mailboxes[other].address,
                                          place_of(m, i, other, at, sizeof(at)), m->mailboxes[i].local);
                else
                        mailacct_diag_add(b->diags, MAILACCT_ERROR, m->mailboxes[i].file, m->mailboxes[i].line,
                                          "canonical = \"netbios\" but %s and %s (%s) both become \"%s\"",
                                          m->mailboxes[i].address, m->mailboxes[other].address,
                                          place_of(m, i, other, at, sizeof(at)), shown);
        }
        mailacct_hashmap_free(seen);
        return r;
}

/* The hosted domain that name sits inside, for "mail1.example.com" -> "example.com"
 * (seed Q230373: a host name typed where the mail domain belongs). */
static const char *hosted_parent(const struct mailacct_builder *b, const char *name)
{
        for (const char *p = strchr(name, '.'); p; p = strchr(p + 1, '.')) {
                uint32_t id = mailacct_dir_find_mail_domain(b->d, p + 1);
                if (id != MAILACCT_NONE)
                        return b->m->domains[id].name;
        }
        return NULL;
}

static void check_default_domain(struct mailacct_builder *b)
{
        struct mem_dir *m = b->m;
        const char *parent, *file = m->default_domain_file ? m->default_domain_file : b->file;

        if (!m->default_domain) {
                if (m->n_domains == 1)
                        b->d->s.default_domain = 0;
                return;
        }
        b->d->s.default_domain = mailacct_dir_find_domain(b->d, m->default_domain);
        if (b->d->s.default_domain != MAILACCT_NONE)
                return;
        parent = hosted_parent(b, m->default_domain);
        if (parent)
                mailacct_diag_add(b->diags, MAILACCT_ERROR, file, m->default_domain_line,
                                  "default_domain \"%s\" is not hosted; it looks like a host name inside hosted domain "
                                  "\"%s\": set default_domain = \"%s\"",
                                  m->default_domain, parent, parent);
        else
                mailacct_diag_add(b->diags, MAILACCT_ERROR, file, m->default_domain_line,
                                  "default_domain \"%s\" is not hosted: add it to domains or name a hosted domain",
                                  m->default_domain);
}

int mailacct_builder_finish(struct mailacct_builder *b, struct mailacct_dir **out)
{
        struct mem_dir *m = b->m;
        size_t errors = b->diags->errors, nm, n_addresses, n_aliases;
        int r;

        *out = NULL;
        r = drop_clashes(b);
        if (r == 0)
                r = resolve_delegate_dns(b);
        if (r < 0)
                goto done;
        /* sized for every key up front: a table that grows at a million
         * mailboxes rehashes millions of keys into a fresh, zeroed array */
        nm = n_addresses = n_aliases = m->n_mailboxes;
        for (size_t i = 0; i < nm; i++) {
                n_addresses += m->mailboxes[i].addresses.n;
                n_aliases += m->mailboxes[i].aliases.n;
        }
        mailacct_hashmap_free(m->nt_domains);
        m->nt_domains = mailacct_hashmap_new(4);
        m->by_address = mailacct_hashmap_new(n_addresses);
        m->by_bare = mailacct_hashmap_new(n_aliases);
        m->by_nt = mailacct_hashmap_new(nm);
        m->by_uid = mailacct_hashmap_new(nm);
        m->contact_alias = mailacct_hashmap_new(m->n_contacts);
        m->contact_address = mailacct_hashmap_new(m->n_contacts);
        r = -ENOMEM;
        if (!m->nt_domains || !m->by_address || !m->by_bare || !m->by_nt || !m->by_uid || !m->contact_alias ||
            !m->contact_address)
                goto done;
        check_default_domain(b);
        for (uint32_t i = 0; i < nm; i++) {
                r = index_mailbox(b, i);
                if (r < 0)
                        goto done;
        }
        r = index_contacts(b);
        if (r == 0)
                r = resolve_delegates(b);
        if (r == 0)
                r = check_canonical_collisions(b);
done:
        if (r == 0 && b->diags->errors > errors)
                r = -EINVAL;
        if (r == 0) {
                *out = b->d;
                b->d = NULL;
                b->m = NULL;
        }
        mailacct_builder_free(b);
        return r;
}
