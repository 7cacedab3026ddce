/* SPDX-License-Identifier: MIT */
/*
 * The compiled index: one file that a process maps and answers from without
 * parsing anything, so that the first lookup in a fresh process costs a few
 * page faults instead of parsing a million-line configuration.
 *
 * Layout (native byte order; the header records it): header | string pool,
 * ending in the mailbox blocks | domain records | contact records | table
 * entries | table slots. A mailbox block is its record followed by its own
 * strings, so that the record and what an answer reads of it share a page
 * (one cache and TLB miss, not two); the few mailboxes whose strings do not
 * fit the block keep them in the pool before the blocks.
 *
 * Each table is open addressing over 16-byte slots {h32, entry, check,
 * hint}; each entry is {check, key length, count, key, NUL, pad, ids}.
 * Records, entries and slots carry a checksum seeded by the index's key, so
 * a flipped byte is seen as damage (-EBADMSG) instead of being read as
 * another mailbox.
 */
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "directory.h"
#include "hashmap.h"
#include "strutil.h"
#include "trust.h"

#define IX_MAGIC "MAILACIX"
/* 2: the header's checksum covers the strings it points to; slots start at
 * a scaled hash (1 masked it). 3: records and entries are summed by
 * check_mix, not SipHash; mailbox blocks. 4: 16-byte slots with a hint. */
#define IX_VERSION        4
#define IX_ENDIAN         0x01020304u
#define IX_STR_MAX        4096 /* longest string a record may hold */
#define IX_UID_KEEP       2    /* a uid table entry only needs to say "one" or "many" */
#define IX_KIND_DIRECTORY 1
#define IX_KIND_SECRETS   2
#define IX_BLOCK_MIN      128
#define IX_BLOCK_MAX      1024

struct ix_table {
        uint64_t slots_off;
        uint32_t cap;
        uint32_t nkeys;
};

struct ix_header {
        char magic[8];
        uint32_t version, endian;
        uint32_t kind;     /* IX_KIND_* */
        uint32_t any_hash; /* secrets index: a real hash, for dummy work */
        uint32_t secrets;  /* directory index: the configuration's secrets path */
        uint64_t file_size;
        uint8_t sipkey[16];
        struct mailacct_index_source src;
        uint32_t bare_alias, case_sensitive, canonical, default_domain;
        uint32_t def_uid, def_gid, def_flags, def_home, def_shell;
        uint32_t n_domains, n_mailboxes, n_contacts;
        uint32_t mailbox_stride; /* bytes from one mailbox block to the next */
        uint64_t pool_off, pool_size;
        uint64_t domains_off, mailboxes_off, contacts_off;
        uint64_t entries_off, entries_size;
        struct ix_table tables[_MAILACCT_T_MAX];
        uint64_t check; /* siphash of everything above */
};

enum { F_HAS_UID = 1, F_HAS_GID = 2, F_ENABLED = 4, F_HAS_SERVICES = 8 };

struct ix_domain {
        uint32_t check;
        uint32_t name, netbios, home, shell, uid, gid, flags;
};

struct ix_mailbox {
        uint32_t check;
        uint32_t address, local, nt_domain, nt_account, name, home, shell;
        uint32_t domain, uid, gid, flags;
        uint32_t services, n_services;   /* pool: n NUL-terminated strings in a row */
        uint32_t delegates, n_delegates; /* pool: n uint32 ids */
};

struct ix_contact {
        uint32_t check;
        uint32_t alias, address;
};

/* hint: the first id of the entry, for tables of mailboxes (else
 * MAILACCT_NONE). Only a prefetch address: the entry's ids are the answer,
 * so the hint is outside the slot's checksum and a damaged one costs a
 * useless prefetch, nothing else. */
struct ix_slot {
        uint32_t h32, entry, check, hint;
};

struct mailacct_index {
        const uint8_t *base;
        size_t size;
        const struct ix_header *h;
        const char *pool;
        uint64_t gen; /* unique per open, for the per-thread memo below */
        _Atomic uint32_t lookups;
};

/* Lookups after which a process counts as busy (an auth worker, getent
 * passwd, a benchmark) and the kernel may map the index in large pieces. */
#define IX_BUSY 256

/* One lookup reads the same mailbox and domain records several times (the
 * rules, then the canonical name, home, ids...). Each thread remembers the
 * last record it verified, keyed by the opening of the index it came from:
 * a mapping never changes under us (writers rename a new file in), and a new
 * opening never shares a generation with an old one. */
static _Atomic uint64_t generations;
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

void mailacct_index_source_of(const struct stat *st, struct mailacct_index_source *src)
{
        memset(src, 0, sizeof(*src));
        src->dev = st->st_dev;
        src->ino = st->st_ino;
        src->size = (uint64_t)st->st_size;
        src->mtime_sec = (uint64_t)st->st_mtim.tv_sec;
        src->mtime_nsec = (uint64_t)st->st_mtim.tv_nsec;
}

/* ---- writer -------------------------------------------------------------- */

struct buf {
        uint8_t *p;
        size_t len, cap;
        int oom;
};

static size_t buf_add(struct buf *b, const void *data, size_t n)
{
        size_t at = b->len;

        if (b->len + n > b->cap) {
                size_t nc = b->cap ? b->cap : 1 << 16;
                uint8_t *np;
                while (nc < b->len + n)
                        nc *= 2;
                np = realloc(b->p, nc);
                if (!np) {
                        b->oom = 1;
                        return at;
                }
                b->p = np;
                b->cap = nc;
        }
        if (data)
                memcpy(b->p + b->len, data, n);
        else
                memset(b->p + b->len, 0, n);
        b->len += n;
        return at;
}

static void buf_align(struct buf *b)
{
        while (b->len % 8)
                buf_add(b, NULL, 1);
}

struct writer {
        const struct mailacct_dir *d;
        uint8_t key[16];
        struct buf pool, domains, mailboxes, contacts, entries, slots;
        struct ix_header h;
        uint8_t *inline_strings; /* per mailbox: its strings go in its block */
        const char *too_long;    /* a string readers would refuse (IX_STR_MAX) */
};

static uint32_t pool_str(struct writer *w, const char *s)
{
        if (!s)
                return 0;
        /* readers refuse a longer string as damage: refuse to write it */
        if (strlen(s) >= IX_STR_MAX && !w->too_long)
                w->too_long = s;
        return (uint32_t)buf_add(&w->pool, s, strlen(s) + 1);
}

/* The header's checksum also covers the strings that only the header points
 * to (the global home and shell, the secrets path, the dummy hash): records
 * sum their own strings, these have no record to do it. */
static uint64_t header_check(const struct ix_header *h, const char *pool)
{
        const uint32_t strs[] = {h->def_home, h->def_shell, h->secrets, h->any_hash};
        struct mailacct_siphash s;

        mailacct_siphash13_init(&s, h->sipkey);
        mailacct_siphash13_update(&s, h, offsetof(struct ix_header, check));
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
                const char *str = strs[i] ? pool + strs[i] : "";
                mailacct_siphash13_update(&s, str, strlen(str) + 1);
        }
        return mailacct_siphash13_final(&s);
}

/* Record and entry checksums are verified on every lookup, so they are a
 * multiply-xor mix (MurmurHash64A's step) seeded from the index's key, not
 * SipHash: they are there to see damage, a flipped bit or a torn page, and
 * one who can write the index can rewrite its checksums whatever they are.
 * SipHash stays where an attacker chooses the input: the keys' hashes. */
#define CHECK_M 0xc6a4a7935bd1e995ULL

static uint64_t check_mix(uint64_t h, const void *data, size_t len)
{
        const uint8_t *p = data;
        uint64_t k;

        h ^= len * CHECK_M;
        for (; len >= 8; p += 8, len -= 8) {
                memcpy(&k, p, 8);
                k *= CHECK_M;
                k ^= k >> 47;
                k *= CHECK_M;
                h ^= k;
                h *= CHECK_M;
        }
        if (len) {
                k = 0;
                memcpy(&k, p, len);
                h ^= k;
                h *= CHECK_M;
        }
        return h;
}

static uint64_t check_seed(const uint8_t key[16])
{
        uint64_t k;

        memcpy(&k, key, sizeof(k));
        return k;
}

static uint32_t check_final(uint64_t h)
{
        h ^= h >> 47;
        h *= CHECK_M;
        h ^= h >> 47;
        return (uint32_t)(h ^ (h >> 32));
}

static uint32_t check32(const uint8_t key[16], const void *a, size_t alen)
{
        return check_final(check_mix(check_seed(key), a, alen));
}

/* The checksum of a record covers its fields and every string and list it
 * points to, so that no part of a mailbox can change unseen. Summed piece by
 * piece: a lookup verifies several records and must not allocate for it. */
static uint32_t record_check(const uint8_t key[16], const char *pool, const void *rec, size_t len, const uint32_t *strs,
                             size_t nstrs, const void *extra, size_t extra_len)
{
        uint64_t h = check_mix(check_seed(key), (const uint8_t *)rec + sizeof(uint32_t), len - sizeof(uint32_t));

        for (size_t i = 0; i < nstrs; i++) {
                const char *str = strs[i] ? pool + strs[i] : "";
                h = check_mix(h, str, strlen(str) + 1);
        }
        if (extra_len)
                h = check_mix(h, extra, extra_len);
        return check_final(h);
}

static void write_defaults(struct writer *w, const struct mailacct_defaults *df, uint32_t *uid, uint32_t *gid,
                           uint32_t *flags, uint32_t *home, uint32_t *shell)
{
        *uid = df->uid;
        *gid = df->gid;
        *flags = (df->has_uid ? F_HAS_UID : 0) | (df->has_gid ? F_HAS_GID : 0);
        *home = pool_str(w, df->home);
        *shell = pool_str(w, df->shell);
}

static size_t str_size(const char *s)
{
        return s ? strlen(s) + 1 : 0;
}

/* What a mailbox's block must hold: the record and all its strings. */
static size_t block_need(const struct mailacct_mailbox *m)
{
        size_t n = sizeof(struct ix_mailbox) + str_size(m->address) + str_size(m->local) + str_size(m->nt_domain) +
                   str_size(m->nt_account) + str_size(m->name) + str_size(m->home) + str_size(m->shell);

        for (size_t k = 0; k < m->services.n; k++)
                n += str_size(m->services.v[k]);
        return n + m->delegates.n * sizeof(uint32_t);
}

/* The block size that holds 99 in 100 mailboxes whole, in cache lines: a
 * few long ones must not make every block long. */
static uint32_t block_stride(const struct mailacct_dir *d)
{
        size_t count[IX_BLOCK_MAX / 64 + 1] = {0}, want = d->n_mailboxes - d->n_mailboxes / 100, seen = 0;
        uint32_t stride;

        for (size_t i = 0; i < d->n_mailboxes; i++) {
                size_t need = (block_need(&d->mailboxes[i]) + 63) / 64;
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

/* Places a mailbox's strings, in record order, at the end of the pool
 * (block == NULL) or in its block, whose pool offset is *block. Services and
 * delegates stay contiguous: the record's checksum reads them as one span. */
static void put_mailbox_strings(struct writer *w, const struct mailacct_mailbox *m, struct ix_mailbox *r,
                                const uint32_t *block)
{
        const char *const str[] = {m->address, m->local, m->nt_domain, m->nt_account, m->name, m->home, m->shell};
        uint32_t *const field[] = {&r->address, &r->local, &r->nt_domain, &r->nt_account,
                                   &r->name,    &r->home,  &r->shell};
        uint32_t at = block ? *block + (uint32_t)sizeof(*r) : 0;

#define PUT(data, n)                                                                            \
        (block ? (memcpy(w->pool.p + at, (data), (n)), at += (uint32_t)(n), at - (uint32_t)(n)) \
               : (uint32_t)buf_add(&w->pool, (data), (n)))
        for (size_t k = 0; k < 7; k++) {
                if (str[k] && strlen(str[k]) >= IX_STR_MAX && !w->too_long)
                        w->too_long = str[k];
                *field[k] = str[k] ? PUT(str[k], strlen(str[k]) + 1) : 0;
        }
        r->services = block ? at : (uint32_t)w->pool.len;
        for (size_t k = 0; k < m->services.n; k++) {
                if (strlen(m->services.v[k]) >= IX_STR_MAX && !w->too_long)
                        w->too_long = m->services.v[k];
                (void)PUT(m->services.v[k], strlen(m->services.v[k]) + 1);
        }
        r->delegates = block ? at : (uint32_t)w->pool.len;
        for (size_t k = 0; k < m->delegates.n; k++) {
                uint32_t id = m->delegate_ids ? m->delegate_ids[k] : MAILACCT_NONE;
                (void)PUT(&id, sizeof(id));
        }
#undef PUT
}

static void write_records(struct writer *w)
{
        const struct mailacct_dir *d = w->d;

        for (size_t i = 0; i < d->n_domains; i++) {
                const struct mailacct_domain *dom = &d->domains[i];
                struct ix_domain r = {0};
                r.name = pool_str(w, dom->name);
                r.netbios = pool_str(w, dom->netbios);
                write_defaults(w, &dom->defaults, &r.uid, &r.gid, &r.flags, &r.home, &r.shell);
                buf_add(&w->domains, &r, sizeof(r));
        }
        w->h.mailbox_stride = block_stride(d);
        w->inline_strings = calloc(d->n_mailboxes + 1, 1);
        if (!w->inline_strings) {
                w->pool.oom = 1;
                return;
        }
        for (size_t i = 0; i < d->n_mailboxes; i++) {
                const struct mailacct_mailbox *m = &d->mailboxes[i];
                struct ix_mailbox r = {0};
                r.domain = m->domain;
                r.uid = m->uid;
                r.gid = m->gid;
                r.flags = (m->has_uid ? F_HAS_UID : 0) | (m->has_gid ? F_HAS_GID : 0) | (m->enabled ? F_ENABLED : 0) |
                          (m->has_services ? F_HAS_SERVICES : 0);
                r.n_services = (uint32_t)m->services.n;
                r.n_delegates = (uint32_t)m->delegates.n;
                /* strings that fit go in the block, laid out by seal_records */
                if (block_need(m) <= w->h.mailbox_stride)
                        w->inline_strings[i] = 1;
                else
                        put_mailbox_strings(w, m, &r, NULL);
                buf_add(&w->mailboxes, &r, sizeof(r));
        }
        for (size_t i = 0; i < d->n_contacts; i++) {
                struct ix_contact r = {0};
                r.alias = pool_str(w, d->contacts[i].alias);
                r.address = pool_str(w, d->contacts[i].address);
                buf_add(&w->contacts, &r, sizeof(r));
        }
}

/* Checksums need the final pool, so they are computed after every string is in. */
static void seal_records(struct writer *w)
{
        const char *pool = (const char *)w->pool.p;

        for (size_t i = 0; i < w->d->n_domains; i++) {
                struct ix_domain *r = (struct ix_domain *)w->domains.p + i;
                uint32_t s[] = {r->name, r->netbios, r->home, r->shell};
                r->check = record_check(w->key, pool, r, sizeof(*r), s, 4, NULL, 0);
        }
        /* the blocks close the pool: every other string is in by now */
        while (w->pool.len % 64)
                buf_add(&w->pool, NULL, 1);
        w->h.mailboxes_off = w->pool.len; /* relative to the pool until laid out */
        buf_add(&w->pool, NULL, w->d->n_mailboxes * (size_t)w->h.mailbox_stride);
        if (w->pool.oom || w->pool.len > UINT32_MAX)
                return;
        pool = (const char *)w->pool.p;
        for (size_t i = 0; i < w->d->n_mailboxes; i++) {
                struct ix_mailbox *r = (struct ix_mailbox *)w->mailboxes.p + i;
                uint32_t block = (uint32_t)(w->h.mailboxes_off + i * w->h.mailbox_stride);
                if (w->inline_strings[i])
                        put_mailbox_strings(w, &w->d->mailboxes[i], r, &block);
                uint32_t s[] = {r->address, r->local, r->nt_domain, r->nt_account, r->name, r->home, r->shell};
                size_t svc_len = 0;
                for (uint32_t k = 0, o = r->services; k < r->n_services; k++) {
                        svc_len += strlen(pool + o) + 1;
                        o += (uint32_t)strlen(pool + o) + 1;
                }
                /* services and delegates are contiguous: one span covers both */
                r->check = record_check(w->key, pool, r, sizeof(*r), s, 7, pool + r->services,
                                        svc_len + r->n_delegates * sizeof(uint32_t));
                memcpy(w->pool.p + block, r, sizeof(*r));
        }
        for (size_t i = 0; i < w->d->n_contacts; i++) {
                struct ix_contact *r = (struct ix_contact *)w->contacts.p + i;
                uint32_t s[] = {r->alias, r->address};
                r->check = record_check(w->key, pool, r, sizeof(*r), s, 2, NULL, 0);
        }
}

/* Slots are checked on every probe, so with a cheap keyed mix rather than
 * SipHash: it is there to catch damage (a flipped bit must not make a key
 * vanish and let a weaker rule answer), and entries and records behind the
 * slots carry checksums of their own. */
static uint32_t slot_check(const uint8_t key[16], uint32_t h32, uint32_t entry, uint32_t j)
{
        uint64_t k;
        uint64_t x;

        memcpy(&k, key, sizeof(k));
        x = ((uint64_t)h32 << 32 | entry) ^ k;
        x ^= (uint64_t)j * 0x9e3779b97f4a7c15ULL;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return (uint32_t)x;
}

struct pair {
        const char *key; /* equal keys share one pointer into the map's arena */
        uint32_t value;
};

static int cmp_pair(const void *a, const void *b)
{
        const struct pair *x = a, *y = b;

        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return x->value < y->value ? -1 : x->value > y->value;
}

/* First slot of a key: the hash scaled to the table, which needs no power of
 * two and so no more than a quarter of the slots left empty. */
static uint32_t home_slot(uint64_t h, uint32_t cap)
{
        return (uint32_t)(((h & 0xffffffffu) * cap) >> 32);
}

/* Tables whose ids are mailboxes (not domains or contacts). */
static bool mailbox_table(enum mailacct_table t)
{
        return t == MAILACCT_T_ADDRESS || t == MAILACCT_T_BARE || t == MAILACCT_T_NT || t == MAILACCT_T_UID;
}

static int write_table(struct writer *w, enum mailacct_table t, const struct mailacct_hashmap *m)
{
        size_t n = m ? mailacct_hashmap_size(m) : 0, np = 0, nkeys = 0, pos = 0, cap;
        struct pair *pairs = malloc((n + 1) * sizeof(*pairs));
        struct {
                uint64_t h;
                uint32_t entry, hint;
        } *keys = malloc((n + 1) * sizeof(*keys));
        int r = -ENOMEM;

        if (!pairs || !keys)
                goto out;
        while (m && mailacct_hashmap_next(m, &pos, &pairs[np].key, &pairs[np].value))
                np++;
        /* grouped by key, ids ascending: the same list whatever order the map holds */
        qsort(pairs, np, sizeof(*pairs), cmp_pair);
        for (size_t i = 0; i < np;) {
                size_t j = i, klen = strlen(pairs[i].key), at, count;
                uint32_t hdr[3];

                while (j < np && pairs[j].key == pairs[i].key)
                        j++;
                count = j - i;
                if (t == MAILACCT_T_UID && count > IX_UID_KEEP)
                        count = IX_UID_KEEP;
                at = w->entries.len;
                hdr[0] = 0;
                hdr[1] = (uint32_t)klen;
                hdr[2] = (uint32_t)count;
                buf_add(&w->entries, hdr, sizeof(hdr));
                buf_add(&w->entries, pairs[i].key, klen + 1);
                while (w->entries.len % 4)
                        buf_add(&w->entries, NULL, 1);
                for (size_t k = 0; k < count; k++)
                        buf_add(&w->entries, &pairs[i + k].value, sizeof(uint32_t));
                if (w->entries.oom)
                        goto out;
                hdr[0] = check32(w->key, w->entries.p + at + 4, w->entries.len - at - 4);
                memcpy(w->entries.p + at, hdr, 4);
                keys[nkeys].h = mailacct_siphash13(w->key, pairs[i].key, klen);
                keys[nkeys].entry = (uint32_t)at;
                keys[nkeys].hint = mailbox_table(t) ? pairs[i].value : MAILACCT_NONE;
                nkeys++;
                i = j;
        }
        /* half full: a miss walks about two slots, not a dozen */
        cap = 2 * nkeys + 8;
        w->h.tables[t].cap = (uint32_t)cap;
        w->h.tables[t].nkeys = (uint32_t)nkeys;
        w->h.tables[t].slots_off = w->slots.len; /* relative until laid out */
        {
                size_t base = buf_add(&w->slots, NULL, cap * sizeof(struct ix_slot));
                struct ix_slot *slots;
                if (w->slots.oom)
                        goto out;
                slots = (struct ix_slot *)(w->slots.p + base);
                for (size_t i = 0; i < nkeys; i++) {
                        uint32_t j = home_slot(keys[i].h, (uint32_t)cap);
                        uint32_t h32 = (uint32_t)(keys[i].h >> 32) | 1;
                        while (slots[j].h32)
                                j = j + 1 == cap ? 0 : j + 1;
                        slots[j].h32 = h32;
                        slots[j].entry = keys[i].entry;
                        slots[j].check = slot_check(w->key, h32, keys[i].entry, j);
                        slots[j].hint = keys[i].hint;
                }
        }
        r = 0;
out:
        free(pairs);
        free(keys);
        return r;
}

/* Written in small pieces on purpose: the page cache gives a file the folio
 * sizes it was written with, and a reader's page fault maps a whole folio.
 * Written in one go, the index was held in folios of up to 2 MiB, and one
 * getpwnam() in a fresh process added 3 to 9 MiB to its RSS; written 16 KiB
 * at a time, under 1 MiB. */
#define IX_WRITE_CHUNK (16 * 1024)

static int write_all(int fd, const void *p, size_t n)
{
        const uint8_t *c = p;

        while (n) {
                ssize_t k = write(fd, c, n < IX_WRITE_CHUNK ? n : IX_WRITE_CHUNK);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                c += k;
                n -= (size_t)k;
        }
        return 0;
}

static int tables_of(const struct mailacct_dir *d, const struct mailacct_hashmap **t)
{
        t[MAILACCT_T_DOMAIN] = d->domain_names;
        t[MAILACCT_T_NTDOMAIN] = d->nt_domains;
        t[MAILACCT_T_ADDRESS] = d->by_address;
        t[MAILACCT_T_ALIAS_AT] = NULL; /* the resolver filters the bare table instead */
        t[MAILACCT_T_BARE] = d->by_bare;
        t[MAILACCT_T_NT] = d->by_nt;
        t[MAILACCT_T_UID] = d->by_uid;
        t[MAILACCT_T_CONTACT_ALIAS] = d->contact_alias;
        t[MAILACCT_T_CONTACT_ADDRESS] = d->contact_address;
        t[MAILACCT_T_MAILDOMAIN] = d->mail_domains;
        for (int i = 0; i < _MAILACCT_T_MAX; i++)
                if (!t[i] && i != MAILACCT_T_ALIAS_AT)
                        return -EINVAL;
        return 0;
}

/* Lays the sections out after the header and writes them to path atomically:
 * a temporary file in the same folder, fsync, rename, fsync of the folder.
 * A reader sees the old index or the new one, never half of one. */
static int emit(struct writer *w, const char *path, mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
        static const uint8_t zero[8];
        char *tmp = NULL, *dircopy = NULL;
        uint64_t off, pos = 0;
        int fd, r = 0;

        buf_align(&w->pool);
        if (w->pool.oom || w->domains.oom || w->mailboxes.oom || w->contacts.oom || w->entries.oom || w->slots.oom) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        if (w->too_long) {
                /* its length only: it may be a password hash */
                snprintf(err, errlen, "a value of %zu bytes is longer than the index holds (%d)", strlen(w->too_long),
                         IX_STR_MAX - 1);
                return -E2BIG;
        }
        memcpy(w->h.magic, IX_MAGIC, 8);
        w->h.version = IX_VERSION;
        w->h.endian = IX_ENDIAN;
        memcpy(w->h.sipkey, w->key, 16);
        off = (sizeof(struct ix_header) + 7) & ~(uint64_t)7;
        w->h.pool_off = off;
        w->h.pool_size = w->pool.len;
        off += w->pool.len;
        w->h.mailboxes_off += w->h.pool_off; /* the blocks are the pool's end */
        w->h.domains_off = off;
        off += w->domains.len;
        w->h.contacts_off = off;
        off += w->contacts.len;
        off = (off + 7) & ~(uint64_t)7;
        w->h.entries_off = off;
        w->h.entries_size = w->entries.len;
        off += w->entries.len;
        off = (off + 7) & ~(uint64_t)7;
        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                w->h.tables[t].slots_off += off;
        off += w->slots.len;
        w->h.file_size = off;
        if (off > UINT32_MAX) {
                snprintf(err, errlen, "directory too large for index format %d (over 4 GiB)", IX_VERSION);
                return -EFBIG;
        }
        w->h.check = header_check(&w->h, (const char *)w->pool.p);

        if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkstemp(tmp);
        if (fd < 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
                free(tmp);
                return r;
        }
        {
                const struct {
                        const void *p;
                        size_t n;
                        uint64_t at;
                } parts[] = {
                        {&w->h, sizeof(w->h), 0},
                        {w->pool.p, w->pool.len, w->h.pool_off},
                        {w->domains.p, w->domains.len, w->h.domains_off},
                        {w->contacts.p, w->contacts.len, w->h.contacts_off},
                        {w->entries.p, w->entries.len, w->h.entries_off},
                        {w->slots.p, w->slots.len, w->h.tables[0].slots_off},
                };
                for (size_t i = 0; r >= 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
                        while (r >= 0 && pos < parts[i].at) {
                                size_t pad = parts[i].at - pos > 8 ? 8 : (size_t)(parts[i].at - pos);
                                r = write_all(fd, zero, pad);
                                pos += pad;
                        }
                        if (r >= 0 && parts[i].n)
                                r = write_all(fd, parts[i].p, parts[i].n);
                        pos += parts[i].n;
                }
        }
        /* owner and mode first: the name must never point at a file that
         * shows more than the file it stands for */
        if (r >= 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
                r = -errno;
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                unlink(tmp);
                free(tmp);
                return r;
        }
        dircopy = strdup(path);
        if (dircopy) {
                int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0) {
                        fsync(dfd);
                        close(dfd);
                }
        }
        free(dircopy);
        free(tmp);
        return 0;
}

static void writer_free(struct writer *w)
{
        free(w->pool.p);
        free(w->domains.p);
        free(w->mailboxes.p);
        free(w->contacts.p);
        free(w->entries.p);
        free(w->slots.p);
        free(w->inline_strings);
        free(w);
}

static struct writer *writer_new(char *err, size_t errlen)
{
        struct writer *w = calloc(1, sizeof(*w));

        if (!w) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        if (getrandom(w->key, sizeof(w->key), 0) != sizeof(w->key)) {
                snprintf(err, errlen, "getrandom: %s", strerror(errno));
                free(w);
                return NULL;
        }
        buf_add(&w->pool, "", 1); /* offset 0 is "no string" */
        return w;
}

int mailacct_index_write(const struct mailacct_dir *d, const struct mailacct_index_source *src, const char *path,
                         mode_t mode, char *err, size_t errlen)
{
        const struct mailacct_hashmap *tables[_MAILACCT_T_MAX];
        struct writer *w;
        int r;

        if (tables_of(d, tables) < 0 || d->ix) {
                snprintf(err, errlen, "directory is not a loaded configuration");
                return -EINVAL;
        }
        w = writer_new(err, errlen);
        if (!w)
                return -ENOMEM;
        w->d = d;
        write_records(w);
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                r = write_table(w, (enum mailacct_table)t, tables[t]);
                if (r < 0) {
                        snprintf(err, errlen, "out of memory");
                        writer_free(w);
                        return r;
                }
        }
        w->h.kind = IX_KIND_DIRECTORY;
        w->h.src = *src;
        w->h.bare_alias = d->bare_alias;
        w->h.case_sensitive = d->case_sensitive;
        w->h.canonical = d->canonical;
        w->h.default_domain = d->default_domain_id;
        write_defaults(w, &d->defaults, &w->h.def_uid, &w->h.def_gid, &w->h.def_flags, &w->h.def_home, &w->h.def_shell);
        w->h.secrets = pool_str(w, d->secrets);
        w->h.n_domains = (uint32_t)d->n_domains;
        w->h.n_mailboxes = (uint32_t)d->n_mailboxes;
        w->h.n_contacts = (uint32_t)d->n_contacts;
        seal_records(w);
        r = emit(w, path, mode, (uid_t)-1, (gid_t)-1, err, errlen);
        writer_free(w);
        return r;
}

int mailacct_index_write_secret_entries(size_t n, mailacct_secret_entry_fn entry, void *ctx, const char *burn,
                                        const struct mailacct_index_source *src, const char *path,
                                        const struct stat *like, char *err, size_t errlen)
{
        struct mailacct_hashmap *map = NULL, *empty = NULL;
        struct writer *w = writer_new(err, errlen);
        int r = -ENOMEM;

        if (!w)
                return -ENOMEM;
        map = mailacct_hashmap_new(n);
        empty = mailacct_hashmap_new(1);
        if (!map || !empty)
                goto out;
        /* the last line for an address wins, as in the file */
        for (size_t i = n; i-- > 0;) {
                const char *addr, *hash;
                char *key;
                uint32_t dummy;
                if (entry(i, ctx, &addr, &hash) < 0 || !(key = mailacct_strdup_fold(addr)))
                        goto out;
                if (!mailacct_hashmap_get(map, key, &dummy, 1))
                        r = mailacct_hashmap_add(map, key, pool_str(w, hash));
                else
                        r = 0;
                free(key);
                if (r < 0)
                        goto out;
        }
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                r = write_table(w, (enum mailacct_table)t, t == MAILACCT_T_ADDRESS ? map : empty);
                if (r < 0)
                        goto out;
        }
        w->h.kind = IX_KIND_SECRETS;
        w->h.src = *src;
        w->h.any_hash = pool_str(w, burn);
        w->h.default_domain = MAILACCT_NONE;
        r = emit(w, path, like->st_mode & 07777, like->st_uid, like->st_gid, err, errlen);
out:
        if (r == -ENOMEM)
                snprintf(err, errlen, "out of memory");
        mailacct_hashmap_free(map);
        mailacct_hashmap_free(empty);
        writer_free(w);
        return r;
}

/* ---- reader -------------------------------------------------------------- */

static bool span_ok(const struct mailacct_index *ix, uint64_t off, uint64_t len)
{
        return off <= ix->size && len <= ix->size - off;
}

static int pool_get(const struct mailacct_index *ix, uint32_t off, const char **s);

static int index_open(const char *path, bool want_secrets, struct mailacct_index **out, struct stat *stp, char *why,
                      size_t whylen)
{
        struct mailacct_index *ix;
        const struct ix_header *h;
        struct stat st;
        void *map;
        int fd, r = -EBADMSG;

        *out = NULL;
        /* as for the configuration: an index someone else may have written
         * is anyone's directory (its checksums are keyed by a key it carries
         * itself), so it is never even mapped */
        fd = mailacct_trust_open(path, want_secrets ? MAILACCT_TRUST_SECRET : 0, &st, why, whylen);
        if (fd < 0) {
                char *copy = strdup(why);
                snprintf(why, whylen, "%s: %s", path, copy ? copy : "refused");
                free(copy);
                return fd;
        }
        if ((size_t)st.st_size < sizeof(struct ix_header)) {
                close(fd);
                snprintf(why, whylen, "%s: too short for an index", path);
                return -EBADMSG;
        }
        if (stp)
                *stp = st;
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        /* the mapping keeps the inode alive; no descriptor is kept */
        close(fd);
        if (map == MAP_FAILED)
                return -errno;
        /* A process that asks once (id, ls -l, su) maps in only the pages it
         * touches: MADV_RANDOM turns off read-ahead and fault-around, which
         * on a large folio maps megabytes per fault. See busy() for the
         * processes that ask often. */
        (void)madvise(map, (size_t)st.st_size, MADV_RANDOM);
        ix = calloc(1, sizeof(*ix));
        if (!ix) {
                munmap(map, (size_t)st.st_size);
                return -ENOMEM;
        }
        ix->base = map;
        ix->size = (size_t)st.st_size;
        ix->gen = ++generations;
        h = ix->h = map;
        if (memcmp(h->magic, IX_MAGIC, 8) == 0 && h->version != IX_VERSION) {
                /* another version is no damage: it needs a compile */
                snprintf(why, whylen, "%s: index format %u, this build reads format %d: run 'mailacct compile'", path,
                         h->version, IX_VERSION);
                r = -EPROTO;
                goto bad;
        }
        if (memcmp(h->magic, IX_MAGIC, 8) != 0 || h->endian != IX_ENDIAN ||
            h->kind != (want_secrets ? IX_KIND_SECRETS : IX_KIND_DIRECTORY) || h->file_size != ix->size)
                goto bad;
        if (!span_ok(ix, h->pool_off, h->pool_size) || h->pool_size == 0 ||
            !span_ok(ix, h->domains_off, (uint64_t)h->n_domains * sizeof(struct ix_domain)) ||
            (h->n_mailboxes && (h->mailbox_stride < sizeof(struct ix_mailbox) || h->mailbox_stride > IX_BLOCK_MAX ||
                                h->mailbox_stride % 4)) ||
            !span_ok(ix, h->mailboxes_off, (uint64_t)h->n_mailboxes * h->mailbox_stride) ||
            !span_ok(ix, h->contacts_off, (uint64_t)h->n_contacts * sizeof(struct ix_contact)) ||
            !span_ok(ix, h->entries_off, h->entries_size) || h->pool_off % 8 || h->domains_off % 4 ||
            h->mailboxes_off % 4 || h->contacts_off % 4 || h->entries_off % 8)
                goto bad;
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                const struct ix_table *tb = &h->tables[t];
                if (tb->cap == 0 || tb->slots_off % 4 ||
                    !span_ok(ix, tb->slots_off, (uint64_t)tb->cap * sizeof(struct ix_slot)))
                        goto bad;
        }
        ix->pool = (const char *)ix->base + h->pool_off;
        {
                /* bounded first: the checksum reads the header's strings */
                const char *str;
                if (pool_get(ix, h->def_home, &str) < 0 || pool_get(ix, h->def_shell, &str) < 0 ||
                    pool_get(ix, h->secrets, &str) < 0 || pool_get(ix, h->any_hash, &str) < 0 ||
                    h->check != header_check(h, ix->pool))
                        goto bad;
        }
        *out = ix;
        return 0;
bad:
        if (r == -EBADMSG)
                snprintf(why, whylen, "%s: damaged (a bound or checksum of its header failed): run 'mailacct compile'",
                         path);
        mailacct_index_close(ix);
        return r;
}

int mailacct_index_open(const char *path, struct mailacct_index **out, char *why, size_t len)
{
        return index_open(path, false, out, NULL, why, len);
}

void mailacct_index_close(struct mailacct_index *ix)
{
        if (!ix)
                return;
        munmap((void *)ix->base, ix->size);
        free(ix);
}

bool mailacct_index_matches(const struct mailacct_index *ix, const struct mailacct_index_source *src)
{
        return memcmp(&ix->h->src, src, sizeof(*src)) == 0;
}

/* A string of the pool: in bounds, NUL-terminated before the pool ends. */
static int pool_get(const struct mailacct_index *ix, uint32_t off, const char **s)
{
        size_t room;

        if (off == 0) {
                *s = NULL;
                return 0;
        }
        if (off >= ix->h->pool_size)
                return -EBADMSG;
        room = ix->h->pool_size - off;
        if (!memchr(ix->pool + off, '\0', room < IX_STR_MAX ? room : IX_STR_MAX))
                return -EBADMSG;
        *s = ix->pool + off;
        return 0;
}

static int verify(const struct mailacct_index *ix, const void *rec, size_t len, const uint32_t *strs, size_t n,
                  uint32_t extra_off, size_t extra_len)
{
        uint32_t want;
        const char *s;

        memcpy(&want, rec, sizeof(want));
        for (size_t i = 0; i < n; i++)
                if (pool_get(ix, strs[i], &s) < 0)
                        return -EBADMSG;
        if (extra_len && (extra_off >= ix->h->pool_size || extra_len > ix->h->pool_size - extra_off))
                return -EBADMSG;
        return record_check(ix->h->sipkey, ix->pool, rec, len, strs, n, ix->pool + extra_off, extra_len) == want
                       ? 0
                       : -EBADMSG;
}

/* Reads and verifies mailbox id; *services_len (if asked) is the length of
 * its services list, after which its delegate ids follow. */
static int mailbox_rec(const struct mailacct_index *ix, uint32_t id, struct ix_mailbox *r, size_t *services_len)
{
        uint32_t s[7];
        size_t svc_len = 0;

        if (id >= ix->h->n_mailboxes)
                return -EBADMSG;
        memcpy(r, ix->base + ix->h->mailboxes_off + (size_t)id * ix->h->mailbox_stride, sizeof(*r));
        s[0] = r->address, s[1] = r->local, s[2] = r->nt_domain, s[3] = r->nt_account;
        s[4] = r->name, s[5] = r->home, s[6] = r->shell;
        if (r->n_services > 64 || r->n_delegates > (1u << 20))
                return -EBADMSG;
        for (uint32_t k = 0, o = r->services; k < r->n_services; k++) {
                const char *str;
                if (o == 0 || pool_get(ix, o, &str) < 0)
                        return -EBADMSG;
                svc_len += strlen(str) + 1;
                o += (uint32_t)strlen(str) + 1;
        }
        if (services_len)
                *services_len = svc_len;
        return verify(ix, r, sizeof(*r), s, 7, r->services, svc_len + (size_t)r->n_delegates * sizeof(uint32_t));
}

static const char *checked_str(const struct mailacct_index *ix, uint32_t off)
{
        return off ? ix->pool + off : NULL;
}

int mailacct_index_mailbox(const struct mailacct_index *ix, uint32_t id, struct mailacct_mbox_view *v)
{
        struct ix_mailbox r;

        if (memo_mailbox.gen == ix->gen && memo_mailbox.id == id) {
                *v = memo_mailbox.v;
                return 0;
        }
        if (mailbox_rec(ix, id, &r, NULL) < 0 || r.domain >= ix->h->n_domains || !r.address || !r.local)
                return -EBADMSG;
        /* mailbox_rec() bounded and summed every string: no second look */
        memset(v, 0, sizeof(*v));
        v->address = checked_str(ix, r.address);
        v->local = checked_str(ix, r.local);
        v->nt_domain = checked_str(ix, r.nt_domain);
        v->nt_account = checked_str(ix, r.nt_account);
        v->name = checked_str(ix, r.name);
        v->home = checked_str(ix, r.home);
        v->shell = checked_str(ix, r.shell);
        /* the writer never leaves these empty: an empty name is no one's */
        if (!*v->address || !*v->local)
                return -EBADMSG;
        v->domain = r.domain;
        v->uid = r.uid;
        v->gid = r.gid;
        v->has_uid = r.flags & F_HAS_UID;
        v->has_gid = r.flags & F_HAS_GID;
        v->enabled = r.flags & F_ENABLED;
        v->has_services = r.flags & F_HAS_SERVICES;
        memo_mailbox.gen = ix->gen;
        memo_mailbox.id = id;
        memo_mailbox.v = *v;
        return 0;
}

bool mailacct_index_allows_service(const struct mailacct_index *ix, uint32_t id, const char *service)
{
        struct ix_mailbox r;

        if (mailbox_rec(ix, id, &r, NULL) < 0)
                return false;
        if (!(r.flags & F_HAS_SERVICES))
                return true;
        for (uint32_t k = 0, o = r.services; service && k < r.n_services; k++) {
                const char *s = ix->pool + o;
                if (mailacct_streq_fold(s, service))
                        return true;
                o += (uint32_t)strlen(s) + 1;
        }
        return false;
}

int mailacct_index_is_delegate(const struct mailacct_index *ix, uint32_t id, uint32_t principal)
{
        struct ix_mailbox r;
        size_t svc_len;

        if (mailbox_rec(ix, id, &r, &svc_len) < 0)
                return -EBADMSG;
        if (id == principal)
                return 1;
        for (uint32_t k = 0; k < r.n_delegates; k++) {
                uint32_t v;
                memcpy(&v, ix->pool + r.services + svc_len + k * sizeof(uint32_t), sizeof(v));
                if (v == principal)
                        return 1;
        }
        return 0;
}

int mailacct_index_domain(const struct mailacct_index *ix, uint32_t id, struct mailacct_domain_view *v)
{
        typeof(memo_domain[0]) *memo = &memo_domain[id % MEMO_DOMAINS];
        struct ix_domain r;
        uint32_t s[4];

        if (memo->gen == ix->gen && memo->id == id) {
                *v = memo->v;
                return 0;
        }
        if (id >= ix->h->n_domains)
                return -EBADMSG;
        memcpy(&r, ix->base + ix->h->domains_off + (size_t)id * sizeof(r), sizeof(r));
        s[0] = r.name, s[1] = r.netbios, s[2] = r.home, s[3] = r.shell;
        if (!r.name || verify(ix, &r, sizeof(r), s, 4, 0, 0) < 0)
                return -EBADMSG;
        memset(v, 0, sizeof(*v));
        pool_get(ix, r.name, &v->name);
        if (!*v->name)
                return -EBADMSG;
        pool_get(ix, r.netbios, &v->netbios);
        pool_get(ix, r.home, &v->home);
        pool_get(ix, r.shell, &v->shell);
        v->uid = r.uid;
        v->gid = r.gid;
        v->has_uid = r.flags & F_HAS_UID;
        v->has_gid = r.flags & F_HAS_GID;
        memo->gen = ix->gen;
        memo->id = id;
        memo->v = *v;
        return 0;
}

int mailacct_index_contact(const struct mailacct_index *ix, uint32_t id, struct mailacct_contact_view *v)
{
        struct ix_contact r;
        uint32_t s[2];

        if (id >= ix->h->n_contacts)
                return -EBADMSG;
        memcpy(&r, ix->base + ix->h->contacts_off + (size_t)id * sizeof(r), sizeof(r));
        s[0] = r.alias, s[1] = r.address;
        if (!r.alias || verify(ix, &r, sizeof(r), s, 2, 0, 0) < 0)
                return -EBADMSG;
        pool_get(ix, r.alias, &v->alias);
        pool_get(ix, r.address, &v->address);
        return 0;
}

/* MADV_RANDOM keeps a one-lookup process small, but with it every page a
 * busy process touches for the first time is a page fault of its own: up to
 * thirty times the cost of the lookup until most of the index is mapped.
 * Past IX_BUSY lookups the mapping goes back to normal (fault-around). */
static void busy(const struct mailacct_index *ix)
{
        struct mailacct_index *w = (struct mailacct_index *)ix;

        if (w->lookups < IX_BUSY && ++w->lookups == IX_BUSY)
                (void)madvise((void *)ix->base, ix->size, MADV_NORMAL);
}

void mailacct_index_prefetch(const struct mailacct_index *ix, enum mailacct_table t, const char *key)
{
        const struct ix_table *tb;
        uint64_t h;

        if ((unsigned)t >= _MAILACCT_T_MAX)
                return;
        tb = &ix->h->tables[t];
        h = mailacct_siphash13(ix->h->sipkey, key, strlen(key));
        __builtin_prefetch(ix->base + tb->slots_off + (size_t)home_slot(h, tb->cap) * sizeof(struct ix_slot));
}

long mailacct_index_get(const struct mailacct_index *ix, enum mailacct_table t, const char *key, uint32_t *out,
                        size_t max)
{
        const struct ix_table *tb;
        size_t klen = strlen(key);
        uint64_t h;
        uint32_t h32;

        if ((unsigned)t >= _MAILACCT_T_MAX)
                return -EINVAL;
        busy(ix);
        tb = &ix->h->tables[t];
        h = mailacct_siphash13(ix->h->sipkey, key, klen);
        h32 = (uint32_t)(h >> 32) | 1;
        for (uint32_t i = 0, j = home_slot(h, tb->cap); i < tb->cap; i++, j = j + 1 == tb->cap ? 0 : j + 1) {
                struct ix_slot s;
                uint32_t hdr[3];
                const uint8_t *e;
                size_t ids_at, room;

                memcpy(&s, ix->base + tb->slots_off + (size_t)j * sizeof(s), sizeof(s));
                if (s.h32 == 0) {
                        /* an empty slot is all zero; anything else is damage */
                        return (s.entry || s.check || s.hint) ? -EBADMSG : 0;
                }
                if (s.check != slot_check(ix->h->sipkey, s.h32, s.entry, j))
                        return -EBADMSG;
                if (s.h32 != h32)
                        continue;
                /* the mailbox block is fetched while the entry is read and
                 * checked: two misses at once instead of one after another */
                if (s.hint < ix->h->n_mailboxes) {
                        const uint8_t *b = ix->base + ix->h->mailboxes_off + (size_t)s.hint * ix->h->mailbox_stride;
                        __builtin_prefetch(b);
                        __builtin_prefetch(b + 64);
                        __builtin_prefetch(b + 128);
                }
                if (s.entry % 4 || s.entry > ix->h->entries_size || ix->h->entries_size - s.entry < sizeof(hdr))
                        return -EBADMSG;
                e = ix->base + ix->h->entries_off + s.entry;
                room = ix->h->entries_size - s.entry;
                memcpy(hdr, e, sizeof(hdr));
                ids_at = (sizeof(hdr) + hdr[1] + 1 + 3) & ~(size_t)3;
                if (hdr[1] > IX_STR_MAX || ids_at > room || hdr[2] > (room - ids_at) / sizeof(uint32_t))
                        return -EBADMSG;
                if (check32(ix->h->sipkey, e + 4, ids_at - 4 + (size_t)hdr[2] * sizeof(uint32_t)) != hdr[0])
                        return -EBADMSG;
                if (hdr[1] != klen || memcmp(e + sizeof(hdr), key, klen) != 0)
                        continue;
                for (uint32_t k = 0; k < hdr[2] && k < max; k++)
                        memcpy(&out[k], e + ids_at + k * sizeof(uint32_t), sizeof(uint32_t));
                return (long)hdr[2];
        }
        return 0;
}

int mailacct_index_settings(const struct mailacct_index *ix, struct mailacct_dir *d)
{
        const struct ix_header *h = ix->h;

        if (h->bare_alias > MAILACCT_BARE_UNIQUE || h->canonical > MAILACCT_CANON_NETBIOS ||
            (h->default_domain != MAILACCT_NONE && h->default_domain >= h->n_domains))
                return -EBADMSG;
        const char *secrets;

        if (pool_get(ix, h->secrets, &secrets) < 0)
                return -EBADMSG;
        if (secrets && !(d->secrets = strdup(secrets)))
                return -ENOMEM;
        d->bare_alias = (enum mailacct_bare_policy)h->bare_alias;
        d->case_sensitive = h->case_sensitive != 0;
        d->canonical = (enum mailacct_canonical)h->canonical;
        d->default_domain_id = h->default_domain;
        d->n_domains = h->n_domains;
        d->n_mailboxes = h->n_mailboxes;
        d->n_contacts = h->n_contacts;
        return 0;
}

int mailacct_index_defaults(const struct mailacct_index *ix, struct mailacct_domain_view *v)
{
        const struct ix_header *h = ix->h;

        memset(v, 0, sizeof(*v));
        if (pool_get(ix, h->def_home, &v->home) < 0 || pool_get(ix, h->def_shell, &v->shell) < 0)
                return -EBADMSG;
        v->uid = h->def_uid;
        v->gid = h->def_gid;
        v->has_uid = h->def_flags & F_HAS_UID;
        v->has_gid = h->def_flags & F_HAS_GID;
        return 0;
}

int mailacct_index_open_secrets(const char *path, struct mailacct_index **out, struct stat *st, char *why, size_t len)
{
        return index_open(path, true, out, st, why, len);
}

/* Returns the hash for address, NULL when there is none, and sets *damaged
 * when the index could not be trusted for the answer. */
const char *mailacct_index_secret(const struct mailacct_index *ix, const char *address, bool *damaged)
{
        char key[512];
        uint32_t off;
        const char *hash;
        long n;

        *damaged = false;
        if (snprintf(key, sizeof(key), "%s", address) >= (int)sizeof(key))
                return NULL;
        mailacct_fold(key);
        n = mailacct_index_get(ix, MAILACCT_T_ADDRESS, key, &off, 1);
        if (n < 0 || n > 1 || (n == 1 && (pool_get(ix, off, &hash) < 0 || !hash))) {
                *damaged = true;
                return NULL;
        }
        return n == 1 ? hash : NULL;
}

const char *mailacct_index_any_secret(const struct mailacct_index *ix)
{
        const char *h = NULL;

        return pool_get(ix, ix->h->any_hash, &h) < 0 ? NULL : h;
}
