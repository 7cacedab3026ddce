/* SPDX-License-Identifier: MIT */
/* The directory payload of a compiled index: writing a built directory's
 * records, and the index backing of a directory (dir_priv.h) that reads
 * them back, every record checked before a byte of it is believed. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir_priv.h"
#include "hashmap.h"
#include "ixfile.h"
#include "strutil.h"

/* ---- writer ---------------------------------------------------------------- */

struct dir_writer {
        struct ix_writer *w;
        const struct mailacct_dir *d;
        const struct mem_dir *m;
        const struct mailacct_index_meta *meta;
        uint8_t *inline_strings; /* per mailbox: its strings go in its block */
        const uint8_t *deleted;  /* a delta's: per mailbox, a tombstone (NULL: none) */
};

static void write_defaults(struct ix_writer *w, const struct mailacct_defaults *df, uint32_t *uid, uint32_t *gid,
                           uint32_t *flags, uint32_t *home, uint32_t *shell)
{
        *uid = df->uid;
        *gid = df->gid;
        *flags = (df->has_uid ? F_HAS_UID : 0) | (df->has_gid ? F_HAS_GID : 0);
        *home = ix_pool_str(w, df->home);
        *shell = ix_pool_str(w, df->shell);
}

static size_t str_size(const char *s)
{
        return s ? strlen(s) + 1 : 0;
}

/* What a mailbox's block must hold: the record and the strings an answer
 * reads. */
static size_t block_need(const struct mailacct_mailbox *m)
{
        size_t n = sizeof(struct ix_mailbox) + str_size(m->address) + str_size(m->local) + str_size(m->nt_domain) +
                   str_size(m->nt_account) + str_size(m->name) + str_size(m->home) + str_size(m->shell);

        const struct mailacct_strv *services = MAILACCT_MB_SERVICES(m);

        for (size_t k = 0; k < services->n; k++)
                n += str_size(services->v[k]);
        return n + MAILACCT_MB_DELEGATES(m)->n * sizeof(uint32_t);
}

/* The block size that holds 99 in 100 mailboxes whole, in cache lines: a
 * few long ones must not make every block long. */
static uint32_t block_stride(const struct mem_dir *m)
{
        size_t count[IX_BLOCK_MAX / 64 + 1] = {0}, want = m->n_mailboxes - m->n_mailboxes / 100, seen = 0;
        uint32_t stride;

        for (size_t i = 0; i < m->n_mailboxes; i++) {
                size_t need = (block_need(&m->mailboxes[i]) + 63) / 64;
                count[need < IX_BLOCK_MAX / 64 ? need : IX_BLOCK_MAX / 64]++;
        }
        for (stride = 0; stride < IX_BLOCK_MAX / 64; stride++) {
                seen += count[stride];
                if (seen >= want)
                        break;
        }
        stride *= 64;
        return stride < IX_BLOCK_MIN ? IX_BLOCK_MIN : stride > IX_BLOCK_MAX ? IX_BLOCK_MAX : stride;
}

static void too_long(struct ix_writer *w, const char *s)
{
        if (s && strlen(s) >= IX_STR_MAX && !w->too_long)
                w->too_long = s;
}

/* Places a mailbox's answer strings, in record order, at the end of the
 * pool (block == NULL) or in its block, whose pool offset is *block.
 * Services and delegates stay contiguous: the checksum reads them as one
 * span. */
static void put_mailbox_strings(struct ix_writer *w, const struct mailacct_mailbox *m, struct ix_mailbox *r,
                                const uint32_t *block)
{
        const char *const str[] = {m->address, m->local, m->nt_domain, m->nt_account, m->name, m->home, m->shell};
        uint32_t *const field[] = {&r->address, &r->local, &r->nt_domain, &r->nt_account,
                                   &r->name,    &r->home,  &r->shell};
        uint32_t at = block ? *block + (uint32_t)sizeof(*r) : 0;

#define PUT(data, n)                                                                            \
        (block ? (memcpy(w->pool.p + at, (data), (n)), at += (uint32_t)(n), at - (uint32_t)(n)) \
               : (uint32_t)ix_buf_add(&w->pool, (data), (n)))
        for (size_t k = 0; k < 7; k++) {
                too_long(w, str[k]);
                *field[k] = str[k] ? PUT(str[k], strlen(str[k]) + 1) : 0;
        }
        r->lists = block ? at : (uint32_t)w->pool.len;
        const struct mailacct_strv *services = MAILACCT_MB_SERVICES(m);
        const uint32_t *ids = MAILACCT_MB_DELEGATE_IDS(m);

        for (size_t k = 0; k < services->n; k++) {
                too_long(w, services->v[k]);
                (void)PUT(services->v[k], strlen(services->v[k]) + 1);
        }
        for (size_t k = 0; k < MAILACCT_MB_DELEGATES(m)->n; k++) {
                uint32_t id = ids ? ids[k] : MAILACCT_NONE;
                (void)PUT(&id, sizeof(id));
        }
#undef PUT
}

/* The aliases and secondary addresses, the DN and the UPN: read only by
 * listings, kept out of the block. */
static void put_extras(struct ix_writer *w, const struct mailacct_mailbox *m, struct ix_mailbox *r)
{
        r->dn = ix_pool_str(w, m->dn);
        r->upn = ix_pool_str(w, m->upn);
        r->extras = (uint32_t)w->pool.len;
        for (size_t k = 0; k < m->aliases.n; k++)
                (void)ix_pool_str(w, m->aliases.v[k]);
        for (size_t k = 0; k < m->addresses.n; k++)
                (void)ix_pool_str(w, m->addresses.v[k]);
        r->n_aliases = (uint32_t)m->aliases.n;
        r->n_addresses = (uint32_t)m->addresses.n;
}

/* 1 + the stamp naming file, 0 for none */
static uint32_t file_ref(const struct mailacct_index_meta *meta, const char *file)
{
        for (size_t i = 0; file && i < meta->n_stamps && i < IX_STAMPS_MAX; i++)
                if (meta->stamps[i].path && strcmp(meta->stamps[i].path, file) == 0)
                        return (uint32_t)i + 1;
        return 0;
}

static void write_records(struct dir_writer *dw)
{
        struct ix_writer *w = dw->w;
        const struct mem_dir *m = dw->m;

        for (size_t i = 0; i < m->n_domains; i++) {
                const struct mailacct_domain *dom = &m->domains[i];
                struct ix_domain r = {0};
                r.name = ix_pool_str(w, dom->name);
                r.netbios = ix_pool_str(w, dom->netbios);
                write_defaults(w, &dom->defaults, &r.uid, &r.gid, &r.flags, &r.home, &r.shell);
                r.aliases = (uint32_t)w->pool.len;
                for (size_t k = 0; k < dom->aliases.n; k++)
                        (void)ix_pool_str(w, dom->aliases.v[k]);
                r.n_aliases = (uint32_t)dom->aliases.n;
                r.file = file_ref(dw->meta, dom->file);
                r.line = (uint32_t)dom->line;
                ix_buf_add(&w->domains, &r, sizeof(r));
        }
        w->h.mailbox_stride = block_stride(m);
        dw->inline_strings = calloc(m->n_mailboxes + 1, 1);
        if (!dw->inline_strings) {
                w->pool.oom = 1;
                return;
        }
        for (size_t i = 0; i < m->n_mailboxes; i++) {
                const struct mailacct_mailbox *mb = &m->mailboxes[i];
                struct ix_mailbox r = {0};
                r.domain = mb->domain;
                r.uid = mb->uid;
                r.gid = mb->gid;
                r.flags = (mb->has_uid ? F_HAS_UID : 0) | (mb->has_gid ? F_HAS_GID : 0) |
                          (mb->enabled ? F_ENABLED : 0) | (mb->has_services ? F_HAS_SERVICES : 0) |
                          (dw->deleted && dw->deleted[i] ? F_DELETED : 0);
                r.n_services = (uint32_t)MAILACCT_MB_SERVICES(mb)->n;
                r.n_delegates = (uint32_t)MAILACCT_MB_DELEGATES(mb)->n;
                r.file = file_ref(dw->meta, mb->file);
                r.line = (uint32_t)mb->line;
                put_extras(w, mb, &r);
                /* strings that fit go in the block, laid out by seal_records */
                if (block_need(mb) <= w->h.mailbox_stride)
                        dw->inline_strings[i] = 1;
                else
                        put_mailbox_strings(w, mb, &r, NULL);
                ix_buf_add(&w->mailboxes, &r, sizeof(r));
        }
        for (size_t i = 0; i < m->n_contacts; i++) {
                struct ix_contact r = {0};
                r.alias = ix_pool_str(w, m->contacts[i].alias);
                r.address = ix_pool_str(w, m->contacts[i].address);
                r.dn = ix_pool_str(w, m->contacts[i].dn);
                r.file = file_ref(dw->meta, m->contacts[i].file);
                r.line = (uint32_t)m->contacts[i].line;
                ix_buf_add(&w->contacts, &r, sizeof(r));
        }
}

static size_t strings_len(const char *pool, uint32_t off, uint32_t n)
{
        size_t total = 0;

        for (uint32_t k = 0; k < n; k++) {
                size_t l = strlen(pool + off) + 1;
                total += l;
                off += (uint32_t)l;
        }
        return total;
}

/* The checksum of a mailbox's extras; the record's own covers it. */
static uint32_t extras_check(const uint8_t key[16], const char *pool, const struct ix_mailbox *r, size_t xlen)
{
        uint32_t x[] = {r->dn, r->upn};

        return ix_record_check(key, pool, r, sizeof(uint32_t), x, 2, pool + r->extras, xlen);
}

/* Checksums need the final pool, so they are computed after every string is in. */
static void seal_records(struct dir_writer *dw)
{
        struct ix_writer *w = dw->w;
        const struct mem_dir *m = dw->m;
        const char *pool = (const char *)w->pool.p;

        for (size_t i = 0; i < m->n_domains; i++) {
                struct ix_domain *r = (struct ix_domain *)w->domains.p + i;
                uint32_t s[] = {r->name, r->netbios, r->home, r->shell};
                r->check = ix_record_check(w->key, pool, r, sizeof(*r), s, 4, pool + r->aliases,
                                           strings_len(pool, r->aliases, r->n_aliases));
        }
        /* the blocks close the pool: every other string is in by now */
        while (w->pool.len % 64)
                ix_buf_add(&w->pool, NULL, 1);
        w->h.mailboxes_off = w->pool.len; /* relative to the pool until laid out */
        ix_buf_add(&w->pool, NULL, m->n_mailboxes * (size_t)w->h.mailbox_stride);
        if (w->pool.oom || w->pool.len > UINT32_MAX)
                return;
        pool = (const char *)w->pool.p;
        for (size_t i = 0; i < m->n_mailboxes; i++) {
                struct ix_mailbox *r = (struct ix_mailbox *)w->mailboxes.p + i;
                uint32_t block = (uint32_t)(w->h.mailboxes_off + i * w->h.mailbox_stride);
                /* a spilled writer gives back what it has written and read */
                if (i % 65536 == 65535)
                        ix_writer_trim(w);
                if (dw->inline_strings[i])
                        put_mailbox_strings(w, &m->mailboxes[i], r, &block);
                uint32_t s[] = {r->address, r->local, r->nt_domain, r->nt_account, r->name, r->home, r->shell};
                r->extras_check =
                        extras_check(w->key, pool, r, strings_len(pool, r->extras, r->n_aliases + r->n_addresses));
                /* services and delegates are contiguous: one span covers both */
                r->check =
                        ix_record_check(w->key, pool, r, sizeof(*r), s, 7, pool + r->lists,
                                        strings_len(pool, r->lists, r->n_services) + r->n_delegates * sizeof(uint32_t));
                memcpy(w->pool.p + block, r, sizeof(*r));
        }
        for (size_t i = 0; i < m->n_contacts; i++) {
                struct ix_contact *r = (struct ix_contact *)w->contacts.p + i;
                uint32_t s[] = {r->alias, r->address, r->dn};
                r->check = ix_record_check(w->key, pool, r, sizeof(*r), s, 3, NULL, 0);
        }
}

/* From this many mailboxes on, the writer's large sections go to unlinked
 * files beside the index (ixfile.h): the same bytes, page cache instead of
 * the writer's heap. */
#define SPILL_MAILBOXES 50000

static int write_index(const struct mailacct_dir *d, const struct mailacct_index_meta *meta, const char *path,
                       mode_t mode, bool consume, char *err, size_t errlen);

int mailacct_index_write(const struct mailacct_dir *d, const struct mailacct_index_meta *meta, const char *path,
                         mode_t mode, char *err, size_t errlen)
{
        return write_index(d, meta, path, mode, false, err, errlen);
}

int mailacct_index_write_consume(struct mailacct_dir *d, const struct mailacct_index_meta *meta, const char *path,
                                 mode_t mode, char *err, size_t errlen)
{
        return write_index(d, meta, path, mode, true, err, errlen);
}

static int write_index(const struct mailacct_dir *d, const struct mailacct_index_meta *meta, const char *path,
                       mode_t mode, bool consume, char *err, size_t errlen)
{
        const struct mem_dir *m = mailacct_dir_mem(d);
        struct dir_writer dw = {.d = d, .m = m, .meta = meta};
        const struct mailacct_hashmap *tables[_MAILACCT_T_MAX];
        struct ix_writer *w;
        int r;

        if (!m) {
                snprintf(err, errlen, "the directory was not built from a source");
                return -EINVAL;
        }
        /* (no alias@domain table: the resolver filters the bare one) */
        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                tables[t] = mailacct_mem_table(m, (enum mailacct_table)t);
        w = ix_writer_new(err, errlen);
        if (!w)
                return -ENOMEM;
        dw.w = w;
        if (m->n_mailboxes >= SPILL_MAILBOXES) {
                char *copy = strdup(path);
                r = copy ? ix_writer_spill(w, dirname(copy), err, errlen) : -ENOMEM;
                free(copy);
                if (r < 0)
                        goto out;
        }
        ix_writer_meta(w, meta);
        write_records(&dw);
        ix_writer_trim(w);
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                /* the caller frees the directory next: each of its lookup
                 * tables goes as the index's is written (the domain tables
                 * stay: they are small, and the header's checks read them) */
                struct mem_dir *mm = (struct mem_dir *)m;
                struct mailacct_hashmap **own[_MAILACCT_T_MAX] = {
                        [MAILACCT_T_NTDOMAIN] = &mm->nt_domains,
                        [MAILACCT_T_ADDRESS] = &mm->by_address,
                        [MAILACCT_T_BARE] = &mm->by_bare,
                        [MAILACCT_T_NT] = &mm->by_nt,
                        [MAILACCT_T_UID] = &mm->by_uid,
                        [MAILACCT_T_CONTACT_ALIAS] = &mm->contact_alias,
                        [MAILACCT_T_CONTACT_ADDRESS] = &mm->contact_address,
                };
                struct mailacct_hashmap **mine = consume ? own[t] : NULL;

                r = ix_write_table(w, (enum mailacct_table)t, tables[t], mine ? *mine : NULL);
                if (mine) {
                        mailacct_hashmap_free(*mine);
                        *mine = NULL;
                }
                if (r < 0) {
                        snprintf(err, errlen, "out of memory");
                        goto out;
                }
                ix_writer_trim(w);
        }
        w->h.kind = IX_KIND_DIRECTORY;
        w->h.bare_alias = d->s.bare_alias;
        w->h.case_sensitive = d->s.case_sensitive;
        w->h.canonical = d->s.canonical;
        w->h.default_domain = d->s.default_domain;
        write_defaults(w, &m->defaults, &w->h.def_uid, &w->h.def_gid, &w->h.def_flags, &w->h.def_home, &w->h.def_shell);
        w->h.secrets = ix_pool_str(w, m->secrets);
        w->h.n_domains = (uint32_t)m->n_domains;
        w->h.n_mailboxes = (uint32_t)m->n_mailboxes;
        w->h.n_contacts = (uint32_t)m->n_contacts;
        /* a setting kept in a flag: the header's layout stays version 5's */
        if (!d->s.enumerate)
                w->h.flags |= IX_F_NO_ENUMERATE;
        if (d->s.passwords == MAILACCT_PASSWORDS_LDAP_BIND)
                w->h.flags |= IX_F_LDAP_BIND;
        seal_records(&dw);
        r = ix_emit(w, path, mode, (uid_t)-1, (gid_t)-1, err, errlen);
out:
        free(dw.inline_strings);
        ix_writer_free(w);
        return r;
}

/* A delta's filter of the keys of its tables (ixformat.h), in the pool:
 * IX_FILTER_BITS bits a key, counted as the tables' pairs (a key of
 * several values counts as several: a little more room, never less). */
static int write_filter(struct ix_writer *w, struct mailacct_hashmap *const *tables)
{
        size_t pairs = 0, pos;
        uint64_t blocks;
        uint8_t *filter;
        const char *key;
        uint32_t value;

        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                pairs += tables[t] ? mailacct_hashmap_size(tables[t]) : 0;
        blocks = ((uint64_t)pairs * IX_FILTER_BITS + IX_FILTER_BLOCK * 8 - 1) / (IX_FILTER_BLOCK * 8);
        if (blocks == 0)
                blocks = 1;
        if (blocks > UINT32_MAX / IX_FILTER_BLOCK)
                return -ENOMEM;
        filter = calloc(blocks, IX_FILTER_BLOCK);
        if (!filter)
                return -ENOMEM;
        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                for (pos = 0; tables[t] && mailacct_hashmap_next(tables[t], &pos, &key, &value);)
                        ix_filter_add(filter, (uint32_t)blocks, (enum mailacct_table)t,
                                      mailacct_siphash13(w->key, key, strlen(key)));
        while (w->pool.len % IX_FILTER_BLOCK)
                ix_buf_add(&w->pool, NULL, 1);
        w->h.filter_off = (uint32_t)ix_buf_add(&w->pool, filter, (size_t)blocks * IX_FILTER_BLOCK);
        w->h.filter_blocks = (uint32_t)blocks;
        w->h.filter_check = ix_filter_check(w->key, filter, (uint32_t)blocks);
        free(filter);
        return w->pool.oom ? -ENOMEM : 0;
}

/* A delta (lib/ixdelta.c): the records of sub (its mailboxes only, the
 * tombstones marked in deleted), the tables given, the header's settings
 * and delta fields from proto, and ids (sub's mailboxes' ids in the pair)
 * in the pool. */
int ix_dir_write_delta(const struct mem_dir *sub, const uint8_t *deleted, struct mailacct_hashmap *const *tables,
                       const struct ix_header *proto, const uint32_t *ids, const struct mailacct_index_meta *meta,
                       const char *path, char *err, size_t errlen)
{
        struct dir_writer dw = {.m = sub, .meta = meta, .deleted = deleted};
        struct ix_writer *w;
        uint32_t ids_off;
        int r = 0;

        w = ix_writer_new(err, errlen);
        if (!w)
                return -ENOMEM;
        dw.w = w;
        w->empty_keys = true;
        /* the base's hash key: a lookup hashes once for both files (the
         * key is the writer's choice either way: one writer writes both) */
        memcpy(w->key, proto->sipkey, sizeof(w->key));
        ix_writer_meta(w, meta);
        /* the ids first: the blocks must close the pool (seal_records) */
        while (w->pool.len % 4)
                ix_buf_add(&w->pool, NULL, 1);
        ids_off = (uint32_t)ix_buf_add(&w->pool, ids, sub->n_mailboxes * sizeof(uint32_t));
        r = write_filter(w, tables);
        if (r < 0) {
                snprintf(err, errlen, "out of memory");
                goto out;
        }
        write_records(&dw);
        for (int t = 0; r == 0 && t < _MAILACCT_T_MAX; t++)
                r = ix_write_table(w, (enum mailacct_table)t, tables[t], NULL);
        if (r < 0) {
                snprintf(err, errlen, "out of memory");
                goto out;
        }
        w->h.kind = IX_KIND_DELTA;
        w->h.bare_alias = proto->bare_alias;
        w->h.case_sensitive = proto->case_sensitive;
        w->h.canonical = proto->canonical;
        w->h.default_domain = MAILACCT_NONE;
        w->h.flags |= proto->flags & (IX_F_NO_ENUMERATE | IX_F_LDAP_BIND);
        w->h.n_domains = 0;
        w->h.n_mailboxes = (uint32_t)sub->n_mailboxes;
        w->h.n_contacts = 0;
        w->h.base_built_ns = proto->base_built_ns;
        w->h.base_check = proto->base_check;
        w->h.total_mailboxes = proto->total_mailboxes;
        w->h.base_mailboxes = proto->base_mailboxes;
        w->h.ids_off = ids_off;
        w->h.ids_check = ix_ids_check(w->key, ids, sub->n_mailboxes);
        seal_records(&dw);
        r = ix_emit(w, path, 0644, (uid_t)-1, (gid_t)-1, err, errlen);
out:
        free(dw.inline_strings);
        ix_writer_free(w);
        return r;
}

/* ---- reader: the index backing of a directory ------------------------------ */

static const struct mailacct_index *ixof(const struct mailacct_dir *d)
{
        return d->impl;
}

/* One lookup reads the same mailbox and domain records several times (the
 * rules, then the canonical name, home, ids...). Each thread remembers the
 * last record it verified, keyed by the opening of the index it came from:
 * a mapping never changes under us (writers rename a new file in), and a new
 * opening never shares a generation with an old one. */
static __thread struct {
        uint64_t gen;
        uint32_t id;
        struct mailacct_mbox_view v;
} memo_mailbox;
/* Domains are few and every lookup reads one (often two): a few of them are
 * remembered, by id, so that a directory of several domains does not verify
 * a domain record on every lookup. */
#define MEMO_DOMAINS 16
static __thread struct {
        uint64_t gen;
        uint32_t id;
        struct mailacct_domain_view v;
} memo_domain[MEMO_DOMAINS];

static const char *file_of(const struct mailacct_index *ix, uint32_t ref)
{
        struct mailacct_stamp s;

        return ref && mailacct_index_stamp(ix, ref - 1, &s) == 0 ? s.path : NULL;
}

/* Reads and verifies mailbox id; *lists_len (if asked) is the length of its
 * services, after which its delegate ids follow. */
static int mailbox_rec(const struct mailacct_index *ix, uint32_t id, struct ix_mailbox *r, size_t *services_len)
{
        uint32_t s[7];
        size_t svc_len = 0;

        if (id >= ix->h->n_mailboxes)
                return -EBADMSG;
        memcpy(r, ix->base + ix->h->mailboxes_off + (size_t)id * ix->h->mailbox_stride, sizeof(*r));
        s[0] = r->address, s[1] = r->local, s[2] = r->nt_domain, s[3] = r->nt_account;
        s[4] = r->name, s[5] = r->home, s[6] = r->shell;
        if (r->n_services > IX_LIST_MAX || r->n_delegates > (1u << 20) || r->n_aliases > IX_LIST_MAX ||
            r->n_addresses > IX_LIST_MAX)
                return -EBADMSG;
        if (r->n_services && ix_pool_strings(ix, r->lists, r->n_services, &svc_len) < 0)
                return -EBADMSG;
        if (services_len)
                *services_len = svc_len;
        return ix_verify(ix, r, sizeof(*r), s, 7, r->lists, svc_len + (size_t)r->n_delegates * sizeof(uint32_t));
}

int ixd_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v)
{
        const struct mailacct_index *ix = ixof(d);
        struct ix_mailbox r;

        if (memo_mailbox.gen == ix->gen && memo_mailbox.id == id) {
                *v = memo_mailbox.v;
                return 0;
        }
        if (mailbox_rec(ix, id, &r, NULL) < 0)
                return -EBADMSG;
        /* a tombstone is a delta's alone: in a base it is damage */
        if (r.flags & F_DELETED)
                return ix->h->kind == IX_KIND_DELTA ? -ENOENT : -EBADMSG;
        /* a delta holds no domains: the pair checks against its base's */
        if ((ix->h->kind != IX_KIND_DELTA && r.domain >= ix->h->n_domains) || !r.address || !r.local)
                return -EBADMSG;
        /* mailbox_rec() bounded and summed every string: no second look */
        memset(v, 0, sizeof(*v));
        v->address = ix->pool + r.address;
        v->local = ix->pool + r.local;
        v->nt_domain = r.nt_domain ? ix->pool + r.nt_domain : NULL;
        v->nt_account = r.nt_account ? ix->pool + r.nt_account : NULL;
        v->name = r.name ? ix->pool + r.name : NULL;
        v->home = r.home ? ix->pool + r.home : NULL;
        v->shell = r.shell ? ix->pool + r.shell : NULL;
        /* the writer never leaves these empty: an empty name is no one's */
        if (!*v->address || !*v->local)
                return -EBADMSG;
        /* the DN and UPN are extras, read by ixd_names() alone */
        v->origin_file = file_of(ix, r.file);
        v->origin_line = (int)r.line;
        v->domain = r.domain;
        v->uid = r.uid;
        v->gid = r.gid;
        v->has_uid = r.flags & F_HAS_UID;
        v->has_gid = r.flags & F_HAS_GID;
        v->enabled = r.flags & F_ENABLED;
        v->has_services = r.flags & F_HAS_SERVICES;
        v->n_aliases = r.n_aliases;
        v->n_addresses = r.n_addresses;
        v->n_services = r.n_services;
        v->n_delegates = r.n_delegates;
        memo_mailbox.gen = ix->gen;
        memo_mailbox.id = id;
        memo_mailbox.v = *v;
        return 0;
}

/* The extras of a verified record: bounded and summed, or -EBADMSG. */
static int extras_of(const struct mailacct_index *ix, const struct ix_mailbox *r, size_t *len)
{
        const char *s;

        if (ix_pool_get(ix, r->dn, &s) < 0 || ix_pool_get(ix, r->upn, &s) < 0)
                return -EBADMSG;
        *len = 0;
        if (r->n_aliases + r->n_addresses && ix_pool_strings(ix, r->extras, r->n_aliases + r->n_addresses, len) < 0)
                return -EBADMSG;
        return extras_check(ix->h->sipkey, ix->pool, r, *len) == r->extras_check ? 0 : -EBADMSG;
}

static int ixd_names(const struct mailacct_dir *d, uint32_t id, const char **dn, const char **upn)
{
        const struct mailacct_index *ix = ixof(d);
        struct ix_mailbox r;
        size_t len;

        if (mailbox_rec(ix, id, &r, NULL) < 0 || extras_of(ix, &r, &len) < 0)
                return -EBADMSG;
        *dn = r.dn ? ix->pool + r.dn : NULL;
        *upn = r.upn ? ix->pool + r.upn : NULL;
        return 0;
}

static int ixd_list(const struct mailacct_dir *d, uint32_t id, enum mailacct_list k, uint32_t i, const char **s,
                    int *line)
{
        const struct mailacct_index *ix = ixof(d);
        struct ix_mailbox r;
        size_t len;
        uint32_t off, n;

        *line = 0;
        if (mailbox_rec(ix, id, &r, &len) < 0)
                return -EBADMSG;
        if (k == MAILACCT_LIST_SERVICES) {
                off = r.lists;
                n = r.n_services;
        } else {
                if (extras_of(ix, &r, &len) < 0)
                        return -EBADMSG;
                off = r.extras;
                n = k == MAILACCT_LIST_ALIASES ? r.n_aliases : r.n_addresses;
                if (k == MAILACCT_LIST_ADDRESSES)
                        for (uint32_t j = 0; j < r.n_aliases; j++)
                                off += (uint32_t)strlen(ix->pool + off) + 1;
        }
        if (i >= n)
                return -ENOENT;
        /* bounded and summed above */
        for (uint32_t j = 0; j < i; j++)
                off += (uint32_t)strlen(ix->pool + off) + 1;
        *s = ix->pool + off;
        return 0;
}

static int ixd_delegate(const struct mailacct_dir *d, uint32_t id, uint32_t i, uint32_t *principal)
{
        const struct mailacct_index *ix = ixof(d);
        struct ix_mailbox r;
        size_t svc_len;

        if (mailbox_rec(ix, id, &r, &svc_len) < 0)
                return -EBADMSG;
        if (i >= r.n_delegates)
                return -ENOENT;
        memcpy(principal, ix->pool + r.lists + svc_len + i * sizeof(uint32_t), sizeof(*principal));
        return 0;
}

static int domain_rec(const struct mailacct_index *ix, uint32_t id, struct ix_domain *r)
{
        uint32_t s[4];
        size_t len = 0;

        if (id >= ix->h->n_domains)
                return -EBADMSG;
        memcpy(r, ix->base + ix->h->domains_off + (size_t)id * sizeof(*r), sizeof(*r));
        s[0] = r->name, s[1] = r->netbios, s[2] = r->home, s[3] = r->shell;
        if (!r->name || r->n_aliases > IX_LIST_MAX ||
            (r->n_aliases && ix_pool_strings(ix, r->aliases, r->n_aliases, &len) < 0))
                return -EBADMSG;
        return ix_verify(ix, r, sizeof(*r), s, 4, r->aliases, len);
}

int ixd_domain(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v)
{
        const struct mailacct_index *ix = ixof(d);
        typeof(memo_domain[0]) *memo = &memo_domain[id % MEMO_DOMAINS];
        struct ix_domain r;

        if (memo->gen == ix->gen && memo->id == id) {
                *v = memo->v;
                return 0;
        }
        if (domain_rec(ix, id, &r) < 0)
                return -EBADMSG;
        memset(v, 0, sizeof(*v));
        v->name = ix->pool + r.name;
        if (!*v->name)
                return -EBADMSG;
        v->netbios = r.netbios ? ix->pool + r.netbios : NULL;
        v->home = r.home ? ix->pool + r.home : NULL;
        v->shell = r.shell ? ix->pool + r.shell : NULL;
        v->uid = r.uid;
        v->gid = r.gid;
        v->has_uid = r.flags & F_HAS_UID;
        v->has_gid = r.flags & F_HAS_GID;
        v->n_aliases = r.n_aliases;
        v->origin_file = file_of(ix, r.file);
        v->origin_line = (int)r.line;
        memo->gen = ix->gen;
        memo->id = id;
        memo->v = *v;
        return 0;
}

int ixd_domain_alias(const struct mailacct_dir *d, uint32_t id, uint32_t i, const char **s)
{
        const struct mailacct_index *ix = ixof(d);
        struct ix_domain r;
        uint32_t off;

        if (domain_rec(ix, id, &r) < 0)
                return -EBADMSG;
        if (i >= r.n_aliases)
                return -ENOENT;
        off = r.aliases;
        for (uint32_t j = 0; j < i; j++)
                off += (uint32_t)strlen(ix->pool + off) + 1;
        *s = ix->pool + off;
        return 0;
}

int ixd_contact(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v)
{
        const struct mailacct_index *ix = ixof(d);
        struct ix_contact r;
        uint32_t s[3];

        if (id >= ix->h->n_contacts)
                return -EBADMSG;
        memcpy(&r, ix->base + ix->h->contacts_off + (size_t)id * sizeof(r), sizeof(r));
        s[0] = r.alias, s[1] = r.address, s[2] = r.dn;
        if (!r.alias || ix_verify(ix, &r, sizeof(r), s, 3, 0, 0) < 0)
                return -EBADMSG;
        memset(v, 0, sizeof(*v));
        v->alias = ix->pool + r.alias;
        v->address = r.address ? ix->pool + r.address : NULL;
        v->dn = r.dn ? ix->pool + r.dn : NULL;
        v->origin_file = file_of(ix, r.file);
        v->origin_line = (int)r.line;
        return 0;
}

int ixd_defaults(const struct mailacct_dir *d, struct mailacct_domain_view *v)
{
        const struct mailacct_index *ix = ixof(d);
        const struct ix_header *h = ix->h;

        /* the header's strings were bounded and summed at open */
        memset(v, 0, sizeof(*v));
        v->home = h->def_home ? ix->pool + h->def_home : NULL;
        v->shell = h->def_shell ? ix->pool + h->def_shell : NULL;
        v->uid = h->def_uid;
        v->gid = h->def_gid;
        v->has_uid = h->def_flags & F_HAS_UID;
        v->has_gid = h->def_flags & F_HAS_GID;
        return 0;
}

static long ixd_get(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max)
{
        return ix_get(ixof(d), t, key, out, max);
}

void ixd_prefetch(const struct mailacct_dir *d, enum mailacct_table t, const char *key)
{
        ix_prefetch(ixof(d), t, key);
}

static void ixd_release(struct mailacct_dir *d)
{
        mailacct_index_close(d->impl);
        free(d);
}

static const struct mailacct_dir_ops index_ops = {
        .get = ixd_get,
        .prefetch = ixd_prefetch,
        .mailbox = ixd_mailbox,
        .domain = ixd_domain,
        .contact = ixd_contact,
        .defaults = ixd_defaults,
        .list = ixd_list,
        .delegate = ixd_delegate,
        .names = ixd_names,
        .domain_alias = ixd_domain_alias,
        .release = ixd_release,
};

int mailacct_index_open(const char *path, struct mailacct_index **out, char *why, size_t len)
{
        return ix_open(path, IX_KIND_DIRECTORY, out, NULL, why, len);
}

int mailacct_dir_from_index(struct mailacct_index *ix, struct mailacct_dir **out)
{
        const struct ix_header *h = ix->h;
        struct mailacct_dir *d;

        *out = NULL;
        if (h->bare_alias > MAILACCT_BARE_UNIQUE || h->canonical > MAILACCT_CANON_NETBIOS ||
            (h->default_domain != MAILACCT_NONE && h->default_domain >= h->n_domains))
                return -EBADMSG;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->ops = &index_ops;
        d->impl = ix;
        d->s.bare_alias = (enum mailacct_bare_policy)h->bare_alias;
        d->s.case_sensitive = h->case_sensitive != 0;
        d->s.canonical = (enum mailacct_canonical)h->canonical;
        d->s.default_domain = h->default_domain;
        d->s.secrets = h->secrets ? ix->pool + h->secrets : NULL;
        d->s.n_domains = h->n_domains;
        d->s.n_mailboxes = h->n_mailboxes;
        d->s.n_contacts = h->n_contacts;
        d->s.enumerate = !(h->flags & IX_F_NO_ENUMERATE);
        d->s.passwords = h->flags & IX_F_LDAP_BIND ? MAILACCT_PASSWORDS_LDAP_BIND : MAILACCT_PASSWORDS_SECRETS;
        d->s.from_index = true;
        *out = d;
        return 0;
}

int mailacct_dir_open_index(const char *path, struct mailacct_dir **out, char *why, size_t len)
{
        struct mailacct_index *ix;
        int r;

        *out = NULL;
        r = mailacct_index_open(path, &ix, why, len);
        if (r < 0)
                return r;
        r = mailacct_dir_from_index(ix, out);
        if (r < 0) {
                snprintf(why, len, "%s: damaged settings in its header", path);
                mailacct_index_close(ix);
        }
        return r;
}

const struct mailacct_index *mailacct_dir_index(const struct mailacct_dir *d)
{
        return d && d->ops == &index_ops ? d->impl : NULL;
}
