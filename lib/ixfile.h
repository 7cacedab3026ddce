/* SPDX-License-Identifier: MIT */
/* Private to lib/: the container of a compiled index (lib/ixfile.c) as its
 * two payloads use it, the directory (lib/ixdir.c) and the secrets
 * (lib/ixsecrets.c): the mapping and its bounds, the checksums, the string
 * pool, the keyed tables, the stamps, and the writer that lays a file out
 * and hands it to lib/atomic.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "ixformat.h"

struct mailacct_hashmap;
struct mem_dir;

struct mailacct_index {
        const uint8_t *base;
        size_t size;
        const struct ix_header *h;
        const char *pool;
        uint64_t gen; /* unique per open, for the per-thread memos of ixdir.c */
        bool heap;    /* base is a heap copy (the fuzzers'), freed rather than unmapped */
        _Atomic uint32_t lookups;
};

/* ---- reader ---------------------------------------------------------------- */

/* Maps path (trusted as lib/trust.h says, secret for the secrets kind) and
 * checks the header of the given kind: bounds, alignment, checksum. */
int ix_open(const char *path, uint32_t kind, struct mailacct_index **out, struct stat *st, char *why, size_t len);
bool ix_span_ok(const struct mailacct_index *ix, uint64_t off, uint64_t len);
/* A string of the pool: in bounds, NUL-terminated before IX_STR_MAX. */
int ix_pool_get(const struct mailacct_index *ix, uint32_t off, const char **s);
/* n NUL-terminated strings in a row from off: in bounds; *len their bytes. */
int ix_pool_strings(const struct mailacct_index *ix, uint32_t off, uint32_t n, size_t *len);
/* A record's checksum (its first uint32) against its fields, the strings
 * they point to and extra_len bytes of the pool at extra_off. */
int ix_verify(const struct mailacct_index *ix, const void *rec, size_t len, const uint32_t *strs, size_t n,
              uint32_t extra_off, size_t extra_len);
long ix_get(const struct mailacct_index *ix, enum mailacct_table t, const char *key, uint32_t *out, size_t max);
/* The same, and *hit whether the table holds key at all: a delta's key with
 * no values left is a hit of 0 (the answer), a missing key is no hit. */
long ix_find(const struct mailacct_index *ix, enum mailacct_table t, const char *key, uint32_t *out, size_t max,
             bool *hit);
/* The same with the key's hash given (ix_hash(), by the index's key): a
 * delta written with its base's key shares one hash between both probes. */
uint64_t ix_hash(const struct mailacct_index *ix, const char *key, size_t klen);
long ix_find_hashed(const struct mailacct_index *ix, enum mailacct_table t, const char *key, size_t klen, uint64_t h,
                    uint32_t *out, size_t max, bool *hit);
/* Walks a table's keys (*pos starts at 0), each entry checked: 1 with *key
 * (in the mapping), 0 at the end, -EBADMSG. */
int ix_table_next(const struct mailacct_index *ix, enum mailacct_table t, uint32_t *pos, const char **key);
/* The same with the entry's ids (*n of them, uint32 at *ids, summed with
 * the entry: read them with memcpy). */
int ix_table_next_ids(const struct mailacct_index *ix, enum mailacct_table t, uint32_t *pos, const char **key,
                      const void **ids, uint32_t *n);
/* The checksum of a delta's ids (ixformat.h). */
uint32_t ix_ids_check(const uint8_t key[16], const uint32_t *ids, size_t n);
/* The checksum of a delta's filter, its blocks * IX_FILTER_BLOCK bytes. */
uint32_t ix_filter_check(const uint8_t key[16], const void *filter, uint32_t blocks);

/* A delta's filter (ixformat.h): a key of table t whose hash is h (the
 * delta's key, ix_hash(): already uniform, it needs no mixing of its
 * own) sets IX_FILTER_K bits of one block: the block from its high half
 * (the table mixed in, so that one filter serves every table), the bits
 * from 9-bit pieces of its low 36 bits. Whether a key may be there: false
 * means the delta does not hold it (no false negative), true about one in
 * forty times for a key it does not hold at IX_FILTER_BITS bits a key. A
 * few dependent operations: a lookup pays them on every key. */
#define IX_FILTER_K 4
static inline const uint8_t *ix_filter_block(const uint8_t *filter, uint32_t blocks, enum mailacct_table t, uint64_t h)
{
        uint32_t hi = (uint32_t)(h >> 32) ^ ((uint32_t)t * 0x9e3779b9u);

        return filter + (size_t)(((uint64_t)hi * blocks) >> 32) * IX_FILTER_BLOCK;
}

/* The k-th bit of h in its block. */
static inline uint32_t ix_filter_bit(uint64_t h, int k)
{
        return (uint32_t)(h >> (9 * k)) & (IX_FILTER_BLOCK * 8 - 1);
}

static inline void ix_filter_add(uint8_t *filter, uint32_t blocks, enum mailacct_table t, uint64_t h)
{
        uint8_t *b = (uint8_t *)ix_filter_block(filter, blocks, t, h);

        for (int k = 0; k < IX_FILTER_K; k++)
                b[ix_filter_bit(h, k) / 8] |= (uint8_t)(1u << (ix_filter_bit(h, k) % 8));
}

static inline bool ix_filter_maybe(const uint8_t *filter, uint32_t blocks, enum mailacct_table t, uint64_t h)
{
        const uint8_t *b = ix_filter_block(filter, blocks, t, h);
        unsigned all = 1;

        for (int k = 0; k < IX_FILTER_K; k++)
                all &= (unsigned)b[ix_filter_bit(h, k) / 8] >> (ix_filter_bit(h, k) % 8);
        return all & 1;
}
void ix_prefetch(const struct mailacct_index *ix, enum mailacct_table t, const char *key);

/* ---- writer ---------------------------------------------------------------- */

/* A section being built: on the heap, or (a large index) in an unlinked
 * file beside the index mapped MAP_SHARED, whose pages go back to the page
 * cache as the writer moves on (ix_buf_trim()): the same bytes either way,
 * but a million mailboxes no longer need their whole index in the
 * writer's memory on top of the directory it is built from. */
struct ix_buf {
        uint8_t *p;
        size_t len, cap;
        int oom;
        int fd;            /* -1 (or 0 in a zeroed writer): the heap */
        size_t since_trim; /* bytes added since the pages were given back */
};

size_t ix_buf_add(struct ix_buf *b, const void *data, size_t n);
/* File-backed sections: drop the pages from this process (their bytes stay
 * in the file). No-op on the heap. */
void ix_buf_trim(struct ix_buf *b);

struct ix_writer {
        uint8_t key[16];
        struct ix_buf pool, domains, mailboxes, contacts, entries, slots;
        struct ix_header h;
        const char *too_long; /* a string readers would refuse (IX_STR_MAX) */
        bool empty_keys;      /* a delta: a key whose only value is MAILACCT_NONE is written empty */
};

struct ix_writer *ix_writer_new(char *err, size_t errlen);
/* The large sections (pool, mailbox records, entries, slots) in unlinked
 * files in dir, from now on (the writer must be fresh). 0 or -errno. */
int ix_writer_spill(struct ix_writer *w, const char *dir, char *err, size_t errlen);
void ix_writer_trim(struct ix_writer *w);
/* For the format test alone (tests/unit/test_format.c): a fixed key and
 * time instead of getrandom() and the clock, so that the same directory
 * gives the same bytes. NULL / 0: the real ones. */
extern const uint8_t *mailacct_ix_fixed_key;
extern int64_t mailacct_ix_fixed_time;
void ix_writer_free(struct ix_writer *w);
uint32_t ix_pool_str(struct ix_writer *w, const char *s);
/* Values of a table, from a multimap (NULL: empty); tables of mailboxes get
 * a prefetch hint. consume (m itself, or NULL): a map the caller frees
 * next, whose slots go as soon as its pairs are read. */
int ix_write_table(struct ix_writer *w, enum mailacct_table t, const struct mailacct_hashmap *m,
                   struct mailacct_hashmap *consume);
uint32_t ix_record_check(const uint8_t key[16], const char *pool, const void *rec, size_t len, const uint32_t *strs,
                         size_t nstrs, const void *extra, size_t extra_len);
/* The stamps and the configuration's path go into the header's care. */
void ix_writer_meta(struct ix_writer *w, const struct mailacct_index_meta *meta);
/* Lays the sections out after the header and writes them to path through
 * lib/atomic.c with the given mode and owner (-1: the writer's). */
int ix_emit(struct ix_writer *w, const char *path, mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen);

/* ---- the delta (lib/ixdir.c writes its records, lib/ixdelta.c the rest) ---- */

/* The index backing's reads (lib/ixdir.c), which take the index from
 * d->impl: the pair of lib/ixdelta.c, whose impl is its base's index,
 * calls them directly, and answers domains, contacts and the defaults with
 * them (a delta never changes those). */
void ixd_prefetch(const struct mailacct_dir *d, enum mailacct_table t, const char *key);
int ixd_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v);
int ixd_domain(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v);
int ixd_contact(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v);
int ixd_defaults(const struct mailacct_dir *d, struct mailacct_domain_view *v);
int ixd_domain_alias(const struct mailacct_dir *d, uint32_t id, uint32_t i, const char **s);

int ix_dir_write_delta(const struct mem_dir *sub, const uint8_t *deleted, struct mailacct_hashmap *const *tables,
                       const struct ix_header *proto, const uint32_t *ids, const struct mailacct_index_meta *meta,
                       const char *path, char *err, size_t errlen);
