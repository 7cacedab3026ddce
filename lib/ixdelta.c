/* SPDX-License-Identifier: MIT */
/* The delta index (docs/ARCHITECTURE.md, "Changes without a rewrite"): the
 * changes of a directory beside its base index, written by an incremental
 * sync, and the directory a reader makes of the pair. A lookup asks the
 * delta's table first: a hit, even an empty one, is the answer; a miss goes
 * to the base (a key the delta's filter of its keys rules out goes there
 * without a probe of its table). A mailbox the delta holds (changed,
 * added, or a tombstone) is read from the delta, every other one from the
 * base. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir_priv.h"
#include "hashmap.h"
#include "ixfile.h"

/* ---- the pair, for readers ------------------------------------------------------ */

struct pair {
        struct mailacct_dir *base, *delta; /* both index backings */
        const struct mailacct_index *bix, *dix;
        const uint32_t *ids; /* the delta's records' ids in the pair, ascending */
        uint32_t n_ids, base_n, base_domains;
        bool same_key;      /* one hash serves both tables */
        uint64_t *in_delta; /* a bit per base id the delta holds a record of */
        uint32_t *rank;     /* per word of in_delta: the bits set in the words before it */
        uint8_t *filter;    /* the delta's filter of its keys, checked, copied at open */
        uint32_t filter_blocks;
        bool empty[_MAILACCT_T_MAX]; /* the delta's table holds no key (every slot seen empty at open) */
};

/* The pair's directory: its impl is the base's index, so that the index
 * backing's reads serve it as they are (ixfile.h, ixd_*); the pair itself
 * follows. */
struct pair_dir {
        struct mailacct_dir d;
        struct pair p;
};

static const struct pair *pairof(const struct mailacct_dir *d)
{
        return &((const struct pair_dir *)(const void *)d)->p;
}

/* The delta's record of id: true with *rec. Most ids are the base's and
 * unchanged: a bit says so. A base id the delta holds is found by the
 * bits set before its own (the ids are ascending, the base's first); an
 * added one by binary search. */
static bool in_delta(const struct pair *p, uint32_t id, uint32_t *rec)
{
        uint32_t lo = 0, hi = p->n_ids;

        if (id < p->base_n) {
                uint64_t word = p->in_delta[id / 64];
                if (!(word >> (id % 64) & 1))
                        return false;
                *rec = p->rank[id / 64] + (uint32_t)__builtin_popcountll(word & (((uint64_t)1 << (id % 64)) - 1));
                return true;
        }

        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2, v;
                memcpy(&v, &p->ids[mid], sizeof(v));
                if (v == id) {
                        *rec = mid;
                        return true;
                }
                if (v < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

static long pd_get(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max)
{
        const struct pair *p = pairof(d);
        size_t klen = strlen(key);
        uint64_t h = ix_hash(p->dix, key, klen);
        bool hit;
        long n;

        if ((unsigned)t >= _MAILACCT_T_MAX)
                return -EINVAL;
        /* most keys are not the delta's: its filter says so from one cache
         * line, without a probe of its table */
        if (!p->empty[t] && ix_filter_maybe(p->filter, p->filter_blocks, t, h)) {
                n = ix_find_hashed(p->dix, t, key, klen, h, out, max, &hit);
                if (n < 0 || hit)
                        return n;
        }
        if (!p->same_key)
                return p->base->ops->get(p->base, t, key, out, max);
        n = ix_find_hashed(p->bix, t, key, klen, h, out, max, &hit);
        /* the base's slot fetched the base's record of its first id; the
         * delta's is the one read when the delta holds that mailbox */
        if (n > 0 && max && t != MAILACCT_T_DOMAIN && t != MAILACCT_T_MAILDOMAIN && t != MAILACCT_T_NTDOMAIN &&
            t != MAILACCT_T_CONTACT_ALIAS && t != MAILACCT_T_CONTACT_ADDRESS) {
                uint32_t rec;
                if (in_delta(p, out[0], &rec) && rec < p->dix->h->n_mailboxes) {
                        const uint8_t *b =
                                p->dix->base + p->dix->h->mailboxes_off + (size_t)rec * p->dix->h->mailbox_stride;
                        __builtin_prefetch(b);
                        __builtin_prefetch(b + 64);
                }
        }
        return n;
}

static int pd_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v)
{
        const struct pair *p = pairof(d);
        uint32_t rec;
        int r;

        /* d's impl is the base's index */
        if (!in_delta(p, id, &rec))
                return id < p->base_n ? ixd_mailbox(d, id, v) : -EBADMSG;
        r = ixd_mailbox(p->delta, rec, v);
        if (r == 0 && v->domain >= p->base_domains)
                return -EBADMSG;
        return r;
}

/* A tombstone answers nothing: its lists and names are not there either. */
static int pd_route(const struct pair *p, uint32_t id, const struct mailacct_dir **d, uint32_t *at)
{
        struct mailacct_mbox_view v;
        uint32_t rec;
        int r;

        if (!in_delta(p, id, &rec)) {
                if (id >= p->base_n)
                        return -EBADMSG;
                *d = p->base;
                *at = id;
                return 0;
        }
        r = p->delta->ops->mailbox(p->delta, rec, &v);
        if (r < 0)
                return r;
        *d = p->delta;
        *at = rec;
        return 0;
}

static int pd_list(const struct mailacct_dir *d, uint32_t id, enum mailacct_list k, uint32_t i, const char **s,
                   int *line)
{
        const struct mailacct_dir *x;
        uint32_t at;
        int r = pd_route(pairof(d), id, &x, &at);

        return r < 0 ? r : x->ops->list(x, at, k, i, s, line);
}

static int pd_delegate(const struct mailacct_dir *d, uint32_t id, uint32_t i, uint32_t *principal)
{
        const struct mailacct_dir *x;
        uint32_t at;
        int r = pd_route(pairof(d), id, &x, &at);

        return r < 0 ? r : x->ops->delegate(x, at, i, principal);
}

static int pd_names(const struct mailacct_dir *d, uint32_t id, const char **dn, const char **upn)
{
        const struct mailacct_dir *x;
        uint32_t at;
        int r = pd_route(pairof(d), id, &x, &at);

        return r < 0 ? r : x->ops->names(x, at, dn, upn);
}

static void pair_free(struct pair_dir *pd)
{
        free(pd->p.in_delta);
        free(pd->p.rank);
        free(pd->p.filter);
        free(pd);
}

static void pd_release(struct mailacct_dir *d)
{
        struct pair_dir *pd = (struct pair_dir *)(void *)d;

        mailacct_dir_free(pd->p.base);
        mailacct_dir_free(pd->p.delta);
        pair_free(pd);
}

static const struct mailacct_dir_ops pair_ops = {
        .get = pd_get,
        /* domains, contacts and the defaults never change in a delta (a
         * change of them makes a full build): the base's, read as the
         * index backing reads them (the pair's impl is the base's index) */
        .prefetch = ixd_prefetch,
        .mailbox = pd_mailbox,
        .domain = ixd_domain,
        .contact = ixd_contact,
        .defaults = ixd_defaults,
        .list = pd_list,
        .delegate = pd_delegate,
        .names = pd_names,
        .domain_alias = ixd_domain_alias,
        .release = pd_release,
};

int mailacct_delta_path(const char *index_path, char *buf, size_t len)
{
        return snprintf(buf, len, "%s%s", index_path, MAILACCT_DELTA_SUFFIX) < (int)len ? 0 : -ERANGE;
}

/* The delta's ids: in the pool, summed, ascending, within the pair, and
 * every id past the base's held (an added mailbox is always the delta's). */
static bool ids_ok(const struct mailacct_index *dix)
{
        const struct ix_header *h = dix->h;
        const uint32_t *ids;
        uint32_t prev = 0, past_base = 0;

        if (h->ids_off % 4 || h->ids_off > h->pool_size ||
            (uint64_t)h->n_mailboxes * sizeof(uint32_t) > h->pool_size - h->ids_off)
                return false;
        /* the pool starts 8-aligned: the ids are 4-aligned in the mapping */
        ids = (const uint32_t *)(const void *)(dix->pool + h->ids_off);
        if (ix_ids_check(h->sipkey, ids, h->n_mailboxes) != h->ids_check)
                return false;
        for (uint32_t i = 0; i < h->n_mailboxes; i++) {
                if ((i && ids[i] <= prev) || ids[i] >= h->total_mailboxes)
                        return false;
                prev = ids[i];
                past_base += ids[i] >= h->base_mailboxes;
        }
        return h->total_mailboxes >= h->base_mailboxes && past_base == h->total_mailboxes - h->base_mailboxes;
}

/* The delta's filter: in the pool, at least one block, summed. A filter
 * that lost a bit would send a key the delta holds to the base. */
static bool filter_ok(const struct mailacct_index *dix, const uint8_t *filter)
{
        const struct ix_header *h = dix->h;

        return h->filter_blocks && h->filter_off <= h->pool_size &&
               (uint64_t)h->filter_blocks * IX_FILTER_BLOCK <= h->pool_size - h->filter_off &&
               ix_filter_check(h->sipkey, filter ? filter : (const uint8_t *)dix->pool + h->filter_off,
                               h->filter_blocks) == h->filter_check;
}

int mailacct_delta_open(const char *path, const struct mailacct_index *base, struct mailacct_index **out, char *why,
                        size_t len)
{
        struct mailacct_index *dix;
        int r;

        *out = NULL;
        r = ix_open(path, IX_KIND_DELTA, &dix, NULL, why, len);
        if (r < 0)
                return r;
        /* another base's: the base in place already holds its changes */
        if (dix->h->base_built_ns != base->h->built_ns || dix->h->base_check != base->h->check) {
                snprintf(why, len, "%s: names another base than the index in place (obsolete, ignored)", path);
                mailacct_index_close(dix);
                return -ESTALE;
        }
        if (dix->h->base_mailboxes != base->h->n_mailboxes || !ids_ok(dix) || !filter_ok(dix, NULL)) {
                snprintf(why, len,
                         "%s: damaged (its ids or filter fail a bound or checksum): run 'mailacct sync --full'", path);
                mailacct_index_close(dix);
                return -EBADMSG;
        }
        *out = dix;
        return 0;
}

/* A table of a few slots, all of them empty (all zero, as a reader sees
 * an empty slot): no lookup needs to probe it. Bounded at open. */
static bool table_empty(const struct mailacct_index *dix, enum mailacct_table t)
{
        const struct ix_table *tb = &dix->h->tables[t];
        struct ix_slot s;

        if (tb->nkeys || tb->cap > 64)
                return false;
        for (uint32_t j = 0; j < tb->cap; j++) {
                memcpy(&s, dix->base + tb->slots_off + (size_t)j * sizeof(s), sizeof(s));
                if (s.h32 || s.entry || s.check || s.hint)
                        return false;
        }
        return true;
}

int mailacct_dir_with_delta(struct mailacct_dir *base, struct mailacct_index *delta, struct mailacct_dir **out)
{
        struct mailacct_dir *d = NULL, *dd = NULL;
        struct pair_dir *pd = NULL;
        struct pair *p = NULL;
        int r;

        *out = NULL;
        /* a base mapped from an index: the pair reads it as one */
        if (!mailacct_dir_index(base)) {
                mailacct_index_close(delta);
                return -EINVAL;
        }
        r = mailacct_dir_from_index(delta, &dd);
        if (r < 0) {
                mailacct_index_close(delta);
                return r;
        }
        pd = calloc(1, sizeof(*pd));
        if (pd) {
                d = &pd->d;
                p = &pd->p;
        }
        if (p) {
                p->in_delta = calloc(base->s.n_mailboxes / 64 + 1, sizeof(uint64_t));
                p->rank = calloc(base->s.n_mailboxes / 64 + 1, sizeof(uint32_t));
        }
        /* the filter is read on every lookup: a copy of its own, aligned
         * to cache lines, checked as copied (bounded first) */
        if (p && !filter_ok(delta, NULL))
                r = -EBADMSG;
        else if (p) {
                p->filter_blocks = delta->h->filter_blocks;
                p->filter = aligned_alloc(IX_FILTER_BLOCK, (size_t)p->filter_blocks * IX_FILTER_BLOCK);
                if (p->filter) {
                        memcpy(p->filter, delta->pool + delta->h->filter_off,
                               (size_t)p->filter_blocks * IX_FILTER_BLOCK);
                        if (!filter_ok(delta, p->filter))
                                r = -EBADMSG;
                }
        }
        if (!pd || !p->in_delta || !p->rank || !p->filter || r < 0) {
                if (pd)
                        pair_free(pd);
                mailacct_dir_free(dd);
                return r < 0 ? r : -ENOMEM;
        }
        p->base = base;
        p->delta = dd;
        p->dix = delta;
        p->ids = (const uint32_t *)(const void *)(delta->pool + delta->h->ids_off);
        p->n_ids = delta->h->n_mailboxes;
        p->base_n = (uint32_t)base->s.n_mailboxes;
        p->base_domains = (uint32_t)base->s.n_domains;
        p->bix = mailacct_dir_index(base);
        p->same_key = p->bix && memcmp(p->bix->h->sipkey, delta->h->sipkey, sizeof(delta->h->sipkey)) == 0;
        for (uint32_t i = 0, prev = 0; i < p->n_ids; i++) {
                uint32_t id;
                memcpy(&id, &p->ids[i], sizeof(id));
                /* ascending (mailacct_delta_open() checked): a record's
                 * place is the bits set before its id's */
                if (i && id <= prev) {
                        r = -EBADMSG;
                        break;
                }
                prev = id;
                if (id < p->base_n)
                        p->in_delta[id / 64] |= (uint64_t)1 << (id % 64);
        }
        for (uint32_t w = 1; w <= p->base_n / 64; w++)
                p->rank[w] = p->rank[w - 1] + (uint32_t)__builtin_popcountll(p->in_delta[w - 1]);
        for (int t = 0; r == 0 && t < _MAILACCT_T_MAX; t++)
                p->empty[t] = table_empty(delta, (enum mailacct_table)t);
        if (r < 0) {
                pair_free(pd);
                mailacct_dir_free(dd);
                return r;
        }
        d->ops = &pair_ops;
        d->impl = (void *)p->bix;
        d->s = base->s;
        d->s.n_mailboxes = delta->h->total_mailboxes;
        *out = d;
        return 0;
}

const struct mailacct_index *mailacct_dir_delta(const struct mailacct_dir *d)
{
        return d && d->ops == &pair_ops ? pairof(d)->dix : NULL;
}

/* ---- the writer ---------------------------------------------------------------- */

static bool same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* An index names an origin's file by the stamps it records: a file that no
 * stamp names reads as NULL there, and is no difference. */
static bool same_origin(const char *indexed, const char *built)
{
        return !indexed || same_str(indexed, built);
}

static bool same_domain_view(const struct mailacct_domain_view *a, const struct mailacct_domain_view *b)
{
        return same_str(a->name, b->name) && same_str(a->netbios, b->netbios) && same_str(a->home, b->home) &&
               same_str(a->shell, b->shell) && a->uid == b->uid && a->gid == b->gid && a->has_uid == b->has_uid &&
               a->has_gid == b->has_gid && a->n_aliases == b->n_aliases &&
               same_origin(a->origin_file, b->origin_file) && a->origin_line == b->origin_line;
}

/* What a delta cannot hold: the settings, the domains and the contacts
 * differing between the base and the new directory. NULL when none does,
 * else why a full build is due. */
static const char *needs_full(const struct mailacct_dir *base, const struct mailacct_dir *full)
{
        const struct mailacct_settings *a = &base->s, *b = &full->s;
        struct mailacct_domain_view x, y;

        if (a->bare_alias != b->bare_alias || a->case_sensitive != b->case_sensitive || a->canonical != b->canonical ||
            a->default_domain != b->default_domain || !same_str(a->secrets, b->secrets) ||
            a->enumerate != b->enumerate || a->passwords != b->passwords)
                return "the settings changed";
        if (a->n_domains != b->n_domains)
                return "the domains changed";
        if (a->n_contacts != b->n_contacts)
                return "the contacts changed";
        if (base->ops->defaults(base, &x) < 0 || full->ops->defaults(full, &y) < 0 || !same_domain_view(&x, &y))
                return "the defaults changed";
        for (uint32_t i = 0; i < a->n_domains; i++) {
                if (base->ops->domain(base, i, &x) < 0 || full->ops->domain(full, i, &y) < 0 ||
                    !same_domain_view(&x, &y))
                        return "the domains changed";
                for (uint32_t k = 0; k < x.n_aliases; k++) {
                        const char *s1, *s2;
                        if (base->ops->domain_alias(base, i, k, &s1) < 0 ||
                            full->ops->domain_alias(full, i, k, &s2) < 0 || !same_str(s1, s2))
                                return "the domains changed";
                }
        }
        for (uint32_t i = 0; i < a->n_contacts; i++) {
                struct mailacct_contact_view c1, c2;
                if (base->ops->contact(base, i, &c1) < 0 || full->ops->contact(full, i, &c2) < 0 ||
                    !same_str(c1.alias, c2.alias) || !same_str(c1.address, c2.address) || !same_str(c1.dn, c2.dn) ||
                    !same_origin(c1.origin_file, c2.origin_file) || c1.origin_line != c2.origin_line)
                        return "the contacts changed";
        }
        return NULL;
}

/* Whether base mailbox b and full's mailbox i answer alike, delegates
 * compared as ids of the pair (id_of: full's id to the pair's). -EBADMSG
 * when the base cannot be read. */
static int same_mailbox(const struct mailacct_dir *base, uint32_t b, const struct mailacct_dir *full, uint32_t i,
                        const uint32_t *id_of)
{
        static const enum mailacct_list lists[] = {MAILACCT_LIST_ALIASES, MAILACCT_LIST_ADDRESSES,
                                                   MAILACCT_LIST_SERVICES};
        struct mailacct_mbox_view x, y;
        const char *dn1, *dn2, *upn1, *upn2;

        if (base->ops->mailbox(base, b, &x) < 0 || base->ops->names(base, b, &dn1, &upn1) < 0)
                return -EBADMSG;
        if (full->ops->mailbox(full, i, &y) < 0 || full->ops->names(full, i, &dn2, &upn2) < 0)
                return -EBADMSG;
        if (!same_str(x.address, y.address) || !same_str(x.local, y.local) || !same_str(x.nt_domain, y.nt_domain) ||
            !same_str(x.nt_account, y.nt_account) || !same_str(x.name, y.name) || !same_str(x.home, y.home) ||
            !same_str(x.shell, y.shell) || !same_origin(x.origin_file, y.origin_file) ||
            x.origin_line != y.origin_line || x.domain != y.domain || x.uid != y.uid || x.gid != y.gid ||
            x.has_uid != y.has_uid || x.has_gid != y.has_gid || x.enabled != y.enabled ||
            x.has_services != y.has_services || x.n_aliases != y.n_aliases || x.n_addresses != y.n_addresses ||
            x.n_services != y.n_services || x.n_delegates != y.n_delegates || !same_str(dn1, dn2) ||
            !same_str(upn1, upn2))
                return 0;
        for (size_t l = 0; l < 3; l++) {
                uint32_t count = lists[l] == MAILACCT_LIST_ALIASES     ? x.n_aliases
                                 : lists[l] == MAILACCT_LIST_ADDRESSES ? x.n_addresses
                                                                       : x.n_services;
                for (uint32_t k = 0; k < count; k++) {
                        const char *s1, *s2;
                        int l1, l2;
                        if (base->ops->list(base, b, lists[l], k, &s1, &l1) < 0)
                                return -EBADMSG;
                        if (full->ops->list(full, i, lists[l], k, &s2, &l2) < 0 || !same_str(s1, s2))
                                return 0;
                }
        }
        for (uint32_t k = 0; k < x.n_delegates; k++) {
                uint32_t p1, p2;
                if (base->ops->delegate(base, b, k, &p1) < 0)
                        return -EBADMSG;
                if (full->ops->delegate(full, i, k, &p2) < 0)
                        return 0;
                if (p2 != MAILACCT_NONE)
                        p2 = p2 < full->s.n_mailboxes ? id_of[p2] : MAILACCT_NONE;
                if (p1 != p2)
                        return 0;
        }
        return 1;
}

static bool mailbox_table(enum mailacct_table t)
{
        return t == MAILACCT_T_ADDRESS || t == MAILACCT_T_BARE || t == MAILACCT_T_NT || t == MAILACCT_T_UID;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return x < y ? -1 : x > y;
}

/* A value list as readers answer it, sorted: the order of an ambiguous
 * key's candidates is no part of the answer. */
struct list {
        uint32_t *v;
        size_t n, cap;
};

static int list_fill(struct list *l, long n, uint32_t *src)
{
        if ((size_t)n > l->cap) {
                uint32_t *nv = realloc(l->v, (size_t)n * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                l->v = nv;
                l->cap = (size_t)n;
        }
        if (src && src != l->v)
                memcpy(l->v, src, (size_t)n * sizeof(*src));
        l->n = (size_t)n;
        return 0;
}

struct delta_build {
        const struct mailacct_dir *base, *full;
        const struct mailacct_index *bix;
        const uint32_t *id_of;
        const uint8_t *changed; /* per base id: changed or gone */
        uint32_t base_n;
        struct mailacct_hashmap *out[_MAILACCT_T_MAX];
        struct list a, b;
        size_t keys;
};

/* full's values for key in the pair's ids, sorted; the uid table keeps
 * IX_UID_KEEP as the index writer does */
static int new_list(struct delta_build *x, enum mailacct_table t, const char *key)
{
        long n = mailacct_dir_get(x->full, t, key, NULL, 0);
        int r;

        if (n < 0)
                return (int)n;
        r = list_fill(&x->a, n, NULL);
        if (r < 0)
                return r;
        n = mailacct_dir_get(x->full, t, key, x->a.v, x->a.n);
        if (n < 0)
                return (int)n;
        if (mailbox_table(t))
                for (size_t k = 0; k < x->a.n; k++)
                        x->a.v[k] = x->a.v[k] < x->full->s.n_mailboxes ? x->id_of[x->a.v[k]] : MAILACCT_NONE;
        qsort(x->a.v, x->a.n, sizeof(uint32_t), cmp_u32);
        if (t == MAILACCT_T_UID && x->a.n > IX_UID_KEEP)
                x->a.n = IX_UID_KEEP;
        return 0;
}

static int base_list(struct delta_build *x, enum mailacct_table t, const char *key)
{
        uint32_t first[8];
        long n = ix_get(x->bix, t, key, first, 8);
        int r;

        if (n < 0)
                return (int)n;
        r = list_fill(&x->b, n, NULL);
        if (r < 0)
                return r;
        if (n <= 8)
                memcpy(x->b.v, first, (size_t)n * sizeof(uint32_t));
        else if (ix_get(x->bix, t, key, x->b.v, x->b.n) != n)
                return -EBADMSG;
        qsort(x->b.v, x->b.n, sizeof(uint32_t), cmp_u32);
        return 0;
}

/* One key: when the new answer differs from the base's, the delta holds
 * the whole new list (MAILACCT_NONE alone: the key answers nothing now). */
static int one_key(struct delta_build *x, enum mailacct_table t, const char *key)
{
        int r = new_list(x, t, key);
        bool same;

        if (r == 0)
                r = base_list(x, t, key);
        if (r < 0)
                return r;
        same = x->a.n == x->b.n && memcmp(x->a.v, x->b.v, x->a.n * sizeof(uint32_t)) == 0;
        /* uids: two or more is "many" whichever two are kept */
        if (t == MAILACCT_T_UID && x->a.n >= 2 && x->b.n >= 2)
                same = true;
        if (same)
                return 0;
        if (!x->out[t] && !(x->out[t] = mailacct_hashmap_new(64)))
                return -ENOMEM;
        x->keys++;
        if (x->a.n == 0)
                return mailacct_hashmap_add(x->out[t], key, MAILACCT_NONE) < 0 ? -ENOMEM : 0;
        for (size_t k = 0; k < x->a.n; k++)
                if (mailacct_hashmap_add(x->out[t], key, x->a.v[k]) < 0)
                        return -ENOMEM;
        return 0;
}

/* Whether a mailbox of the pair (by its id there) is one whose record
 * changed, was added or is gone. */
static bool touched(const struct delta_build *x, uint32_t id)
{
        return id >= x->base_n || x->changed[id];
}

/* Every key of either side whose answer may differ, once. In a table of
 * mailboxes that is a key naming a touched mailbox on either side: a key
 * an unchanged mailbox holds alone, or with other unchanged ones, answers
 * as before (its keys are its record's, under the same settings and
 * domains). The others (domains, NT domains, contacts) are small, and
 * compared whole. */
static int diff_tables(struct delta_build *x)
{
        const struct mem_dir *m = mailacct_dir_mem(x->full);
        int r = 0;

        for (int t = 0; r == 0 && t < _MAILACCT_T_MAX; t++) {
                const struct mailacct_hashmap *fm = mailacct_mem_table(m, (enum mailacct_table)t);
                bool mbox = mailbox_table((enum mailacct_table)t);
                struct mailacct_hashmap *seen = mailacct_hashmap_new(mbox ? 64 : fm ? mailacct_hashmap_size(fm) : 16);
                const char *key;
                const void *ids;
                uint32_t value, pos32 = 0, n;
                size_t pos = 0;

                if (t == MAILACCT_T_ALIAS_AT)
                        goto next;
                if (!seen) {
                        r = -ENOMEM;
                        break;
                }
                while (r == 0 && fm && mailacct_hashmap_next(fm, &pos, &key, &value)) {
                        if (mbox && !(value < x->full->s.n_mailboxes && touched(x, x->id_of[value])))
                                continue;
                        if (mailacct_hashmap_get(seen, key, NULL, 0))
                                continue;
                        r = mailacct_hashmap_add(seen, key, 0) < 0 ? -ENOMEM : one_key(x, (enum mailacct_table)t, key);
                }
                while (r == 0) {
                        bool candidate = !mbox;
                        int k = ix_table_next_ids(x->bix, (enum mailacct_table)t, &pos32, &key, &ids, &n);
                        if (k <= 0) {
                                r = k;
                                break;
                        }
                        for (uint32_t i = 0; !candidate && i < n; i++) {
                                uint32_t id;
                                memcpy(&id, (const uint8_t *)ids + (size_t)i * sizeof(id), sizeof(id));
                                candidate = id >= x->base_n || touched(x, id);
                        }
                        if (candidate && !mailacct_hashmap_get(seen, key, NULL, 0))
                                r = one_key(x, (enum mailacct_table)t, key);
                }
        next:
                mailacct_hashmap_free(seen);
        }
        return r;
}

int mailacct_delta_write(const struct mailacct_dir *base, const struct mailacct_dir *full,
                         const struct mailacct_index_meta *meta, const char *path, size_t limit,
                         struct mailacct_delta_stats *st, char *err, size_t errlen)
{
        const struct mailacct_index *bix = mailacct_dir_index(base);
        const struct mem_dir *fm = mailacct_dir_mem(full);
        struct delta_build x = {.base = base, .full = full, .bix = bix};
        struct mailacct_hashmap *by_address = NULL;
        uint32_t *id_of = NULL, *full_of_base = NULL, *ids = NULL;
        uint8_t *changed = NULL, *deleted = NULL;
        struct mailacct_mailbox *recs = NULL;
        struct mailacct_mailbox_more *mores = NULL;
        uint32_t base_n, full_n, next, n_recs = 0;
        struct ix_header proto;
        struct mem_dir sub;
        const char *why;
        int r = -ENOMEM;

        memset(st, 0, sizeof(*st));
        if (!bix || !fm) {
                snprintf(err, errlen, "a delta needs a mapped base and a built directory");
                return -EINVAL;
        }
        why = needs_full(base, full);
        if (why) {
                snprintf(err, errlen, "%s", why);
                return -EXDEV;
        }
        base_n = (uint32_t)base->s.n_mailboxes;
        full_n = (uint32_t)full->s.n_mailboxes;
        id_of = malloc(((size_t)full_n + 1) * sizeof(*id_of));
        full_of_base = malloc(((size_t)base_n + 1) * sizeof(*full_of_base));
        changed = calloc((size_t)base_n + 1, 1);
        by_address = mailacct_hashmap_new(base_n);
        if (!id_of || !full_of_base || !changed || !by_address)
                goto oom;
        /* a mailbox keeps its base id by its primary address, the
         * canonical identity; an added one takes the next id after the
         * base's */
        for (uint32_t b = 0; b < base_n; b++) {
                struct mailacct_mbox_view v;
                if (base->ops->mailbox(base, b, &v) < 0) {
                        snprintf(err, errlen, "the base index is damaged (mailbox %u)", b);
                        r = -EBADMSG;
                        goto out;
                }
                if (mailacct_hashmap_add(by_address, v.address, b) < 0)
                        goto oom;
                full_of_base[b] = MAILACCT_NONE;
        }
        next = base_n;
        for (uint32_t i = 0; i < full_n; i++) {
                struct mailacct_mbox_view v;
                uint32_t b;
                if (full->ops->mailbox(full, i, &v) < 0) {
                        r = -EINVAL;
                        snprintf(err, errlen, "mailbox %u of the new directory unreadable", i);
                        goto out;
                }
                if (mailacct_hashmap_get(by_address, v.address, &b, 1) == 1 && full_of_base[b] == MAILACCT_NONE) {
                        id_of[i] = b;
                        full_of_base[b] = i;
                } else {
                        id_of[i] = next++;
                        st->added++;
                }
        }
        x.id_of = id_of;
        x.changed = changed;
        x.base_n = base_n;
        for (uint32_t b = 0; b < base_n; b++) {
                if (full_of_base[b] == MAILACCT_NONE) {
                        changed[b] = 1;
                        st->removed++;
                        continue;
                }
                r = same_mailbox(base, b, full, full_of_base[b], id_of);
                if (r < 0) {
                        snprintf(err, errlen, "the base index is damaged (mailbox %u)", b);
                        goto out;
                }
                if (r == 0) {
                        changed[b] = 1;
                        st->changed++;
                }
        }
        r = diff_tables(&x);
        if (r < 0) {
                snprintf(err, errlen, r == -ENOMEM ? "out of memory" : "the base index is damaged (a table)");
                goto out;
        }
        st->keys = x.keys;
        if (x.keys > limit) {
                snprintf(err, errlen, "the delta would hold %zu keys, past its limit of %zu", x.keys, limit);
                r = -EXDEV;
                goto out;
        }
        /* the records, in the order of their ids */
        n_recs = st->removed + st->changed + st->added;
        recs = calloc((size_t)n_recs + 1, sizeof(*recs));
        mores = calloc((size_t)n_recs + 1, sizeof(*mores));
        deleted = calloc((size_t)n_recs + 1, 1);
        ids = calloc((size_t)n_recs + 1, sizeof(*ids));
        if (!recs || !mores || !deleted || !ids)
                goto oom;
        {
                uint32_t k = 0;
                uint32_t *order = NULL;
                for (uint32_t b = 0; b < base_n; b++) {
                        if (!changed[b])
                                continue;
                        ids[k] = b;
                        if (full_of_base[b] == MAILACCT_NONE) {
                                /* a tombstone: no string, no list */
                                deleted[k] = 1;
                                recs[k].enabled = false;
                        } else
                                recs[k] = fm->mailboxes[full_of_base[b]];
                        k++;
                }
                order = malloc(((size_t)st->added + 1) * sizeof(*order));
                if (!order)
                        goto oom;
                for (uint32_t i = 0; i < full_n; i++)
                        if (id_of[i] >= base_n)
                                order[id_of[i] - base_n] = i;
                for (uint32_t a = 0; a < st->added; a++, k++) {
                        ids[k] = base_n + a;
                        recs[k] = fm->mailboxes[order[a]];
                }
                free(order);
                /* delegates name mailboxes by the pair's ids */
                for (uint32_t j = 0; j < k; j++) {
                        const struct mailacct_mailbox_more *mo = recs[j].more;
                        if (!mo || !mo->delegate_ids || !mo->delegates.n)
                                continue;
                        mores[j] = *mo;
                        mores[j].delegate_ids = malloc(mo->delegates.n * sizeof(uint32_t));
                        if (!mores[j].delegate_ids)
                                goto oom;
                        for (uint32_t d = 0; d < mo->delegates.n; d++)
                                mores[j].delegate_ids[d] =
                                        mo->delegate_ids[d] < full_n ? id_of[mo->delegate_ids[d]] : MAILACCT_NONE;
                        recs[j].more = &mores[j];
                }
        }
        memset(&sub, 0, sizeof(sub));
        sub.mailboxes = recs;
        sub.n_mailboxes = n_recs;
        memset(&proto, 0, sizeof(proto));
        proto = *bix->h;
        proto.base_built_ns = bix->h->built_ns;
        proto.base_check = bix->h->check;
        proto.total_mailboxes = next;
        proto.base_mailboxes = base_n;
        st->mailboxes = n_recs;
        r = ix_dir_write_delta(&sub, deleted, x.out, &proto, ids, meta, path, err, errlen);
        goto out;
oom:
        snprintf(err, errlen, "out of memory");
        r = -ENOMEM;
out:
        for (uint32_t j = 0; mores && j < n_recs; j++)
                free(mores[j].delegate_ids);
        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                mailacct_hashmap_free(x.out[t]);
        free(x.a.v);
        free(x.b.v);
        free(mores);
        free(recs);
        free(deleted);
        free(ids);
        free(changed);
        free(full_of_base);
        free(id_of);
        mailacct_hashmap_free(by_address);
        return r;
}

size_t mailacct_delta_limit(const struct mailacct_index *base)
{
        size_t keys = 0, one_percent;

        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                keys += base->h->tables[t].nkeys;
        one_percent = keys / 100;
        return one_percent > MAILACCT_DELTA_KEYS ? one_percent : MAILACCT_DELTA_KEYS;
}
