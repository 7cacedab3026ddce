/* SPDX-License-Identifier: MIT */
/* The container of a compiled index (ixformat.h): mapping and bounds,
 * checksums, the string pool, the keyed tables, the stamps, and the writer's
 * layout. The payloads are lib/ixdir.c and lib/ixsecrets.c. */
#include "ixfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "hashmap.h"
#include "strutil.h"
#include "trust.h"

/* Lookups after which a process counts as busy (an auth worker, getent
 * passwd, a benchmark) and the kernel may map the index in large pieces. */
#define IX_BUSY 256

static _Atomic uint64_t generations;

const uint8_t *mailacct_ix_fixed_key;
int64_t mailacct_ix_fixed_time;

/* ---- checksums ------------------------------------------------------------- */

/* Record and entry checksums are verified on every lookup, so they are a
 * multiply-xor mix (MurmurHash64A's step) seeded from the index's key, not
 * SipHash: they are there to see damage, a flipped bit or a torn page, and
 * one who can write the index can rewrite its checksums whatever they are
 * (lib/trust.c keeps such a one out). SipHash stays where an attacker chooses
 * the input: the keys' hashes. */
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
 * points to, so that no part of an entry can change unseen. Summed piece by
 * piece: a lookup verifies several records and must not allocate for it. */
uint32_t ix_record_check(const uint8_t key[16], const char *pool, const void *rec, size_t len, const uint32_t *strs,
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

/* The strings only the header points to, which no record sums. */
static void header_strings(const struct ix_header *h, uint32_t out[5])
{
        out[0] = h->def_home;
        out[1] = h->def_shell;
        out[2] = h->secrets;
        out[3] = h->any_hash;
        out[4] = h->conf_path;
}

/* SipHash of the header, its strings, the stamps and their paths. The
 * caller has bounded the stamps and every string first. */
static uint64_t header_check(const struct ix_header *h, const char *pool)
{
        struct mailacct_siphash s;
        uint32_t strs[5];

        mailacct_siphash13_init(&s, h->sipkey);
        mailacct_siphash13_update(&s, h, offsetof(struct ix_header, check));
        header_strings(h, strs);
        for (size_t i = 0; i < 5; i++) {
                const char *str = strs[i] ? pool + strs[i] : "";
                mailacct_siphash13_update(&s, str, strlen(str) + 1);
        }
        for (uint32_t i = 0; i < h->n_stamps; i++) {
                struct ix_stamp st;
                memcpy(&st, pool + h->stamps_off + (size_t)i * sizeof(st), sizeof(st));
                mailacct_siphash13_update(&s, &st, sizeof(st));
                mailacct_siphash13_update(&s, st.path ? pool + st.path : "", st.path ? strlen(pool + st.path) + 1 : 1);
        }
        return mailacct_siphash13_final(&s);
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

/* First slot of a key: the hash scaled to the table, which needs no power of
 * two and so no more than a quarter of the slots left empty. */
static uint32_t home_slot(uint64_t h, uint32_t cap)
{
        return (uint32_t)(((h & 0xffffffffu) * cap) >> 32);
}

/* ---- writer ---------------------------------------------------------------- */

static bool spilled(const struct ix_buf *b)
{
        return b->fd > 0;
}

/* Every 16 MiB added, the pages written so far leave the process. */
#define IX_TRIM_STEP ((size_t)16 << 20)

void ix_buf_trim(struct ix_buf *b)
{
        if (spilled(b) && b->p)
                (void)madvise(b->p, b->cap, MADV_DONTNEED);
        b->since_trim = 0;
}

/* Grows a file-backed section: the file first (its new room reads as
 * zeros), then the mapping. */
static int spill_grow(struct ix_buf *b, size_t need)
{
        size_t nc = b->cap ? b->cap : (size_t)16 << 20;
        void *np;

        while (nc < need)
                nc *= 2;
        if (ftruncate(b->fd, (off_t)nc) < 0)
                return -errno;
        np = b->p ? mremap(b->p, b->cap, nc, MREMAP_MAYMOVE)
                  : mmap(NULL, nc, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
        if (np == MAP_FAILED)
                return -errno;
        b->p = np;
        b->cap = nc;
        return 0;
}

size_t ix_buf_add(struct ix_buf *b, const void *data, size_t n)
{
        size_t at = b->len;

        if (spilled(b)) {
                if (b->len + n > b->cap && spill_grow(b, b->len + n) < 0) {
                        b->oom = 1;
                        return at;
                }
                /* room past len was never written: the file's zeros */
                if (data)
                        memcpy(b->p + b->len, data, n);
                b->len += n;
                b->since_trim += n;
                if (b->since_trim >= IX_TRIM_STEP)
                        ix_buf_trim(b);
                return at;
        }
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

static void buf_align(struct ix_buf *b, size_t to)
{
        while (b->len % to)
                ix_buf_add(b, NULL, 1);
}

uint32_t ix_pool_str(struct ix_writer *w, const char *s)
{
        if (!s)
                return 0;
        /* readers refuse a longer string as damage: refuse to write it */
        if (strlen(s) >= IX_STR_MAX && !w->too_long)
                w->too_long = s;
        return (uint32_t)ix_buf_add(&w->pool, s, strlen(s) + 1);
}

struct ix_writer *ix_writer_new(char *err, size_t errlen)
{
        struct ix_writer *w = calloc(1, sizeof(*w));

        if (!w) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        if (mailacct_ix_fixed_key)
                memcpy(w->key, mailacct_ix_fixed_key, sizeof(w->key));
        else if (getrandom(w->key, sizeof(w->key), 0) != sizeof(w->key)) {
                snprintf(err, errlen, "getrandom: %s", strerror(errno));
                free(w);
                return NULL;
        }
        ix_buf_add(&w->pool, "", 1); /* offset 0 is "no string" */
        w->h.default_domain = MAILACCT_NONE;
        return w;
}

static void buf_free(struct ix_buf *b)
{
        if (spilled(b)) {
                if (b->p)
                        munmap(b->p, b->cap);
                close(b->fd);
        } else
                free(b->p);
        memset(b, 0, sizeof(*b));
}

void ix_writer_free(struct ix_writer *w)
{
        if (!w)
                return;
        buf_free(&w->pool);
        buf_free(&w->domains);
        buf_free(&w->mailboxes);
        buf_free(&w->contacts);
        buf_free(&w->entries);
        buf_free(&w->slots);
        free(w);
}

/* An unlinked file in dir: O_TMPFILE, else a named one removed at once. */
static int spill_file(const char *dir)
{
        char path[4096];
        int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), high;

        if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
                return -errno;
        if (fd < 0) {
                if (snprintf(path, sizeof(path), "%s/.mailacct-spill.XXXXXX", dir) >= (int)sizeof(path))
                        return -ENAMETOOLONG;
                fd = mkostemp(path, O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                unlink(path);
        }
        if (fd > 2)
                return fd;
        /* a process started with 0, 1 or 2 closed: never one of those */
        high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        return high < 0 ? -errno : high;
}

int ix_writer_spill(struct ix_writer *w, const char *dir, char *err, size_t errlen)
{
        struct ix_buf *const bufs[] = {&w->mailboxes, &w->entries, &w->slots};
        int fd;

        /* the pool holds what the writer wrote first (the header's strings):
         * it moves to its file with them */
        for (size_t i = 0; i < 3; i++) {
                if (bufs[i]->len || bufs[i]->p)
                        return -EINVAL;
                fd = spill_file(dir);
                if (fd <= 0) {
                        snprintf(err, errlen, "%s: a temporary file: %s", dir, strerror(fd < 0 ? -fd : EBADF));
                        return fd < 0 ? fd : -EBADF;
                }
                bufs[i]->fd = fd;
        }
        fd = spill_file(dir);
        if (fd <= 0) {
                snprintf(err, errlen, "%s: a temporary file: %s", dir, strerror(fd < 0 ? -fd : EBADF));
                return fd < 0 ? fd : -EBADF;
        }
        {
                struct ix_buf heap = w->pool;
                w->pool = (struct ix_buf){.fd = fd};
                ix_buf_add(&w->pool, heap.p, heap.len);
                free(heap.p);
                if (w->pool.oom) {
                        snprintf(err, errlen, "%s: a temporary file: %s", dir, strerror(ENOSPC));
                        return -ENOSPC;
                }
        }
        return 0;
}

void ix_writer_trim(struct ix_writer *w)
{
        ix_buf_trim(&w->pool);
        ix_buf_trim(&w->mailboxes);
        ix_buf_trim(&w->entries);
        ix_buf_trim(&w->slots);
}

void ix_writer_meta(struct ix_writer *w, const struct mailacct_index_meta *meta)
{
        struct ix_stamp *st;
        size_t n = meta->n_stamps < IX_STAMPS_MAX ? meta->n_stamps : IX_STAMPS_MAX;
        uint32_t paths[IX_STAMPS_MAX];

        w->h.conf_path = ix_pool_str(w, meta->conf_path);
        w->h.flags = meta->flags;
        for (size_t i = 0; i < n; i++)
                paths[i] = ix_pool_str(w, meta->stamps[i].path);
        buf_align(&w->pool, 8);
        w->h.stamps_off = w->pool.len;
        w->h.n_stamps = (uint32_t)n;
        ix_buf_add(&w->pool, NULL, n * sizeof(*st));
        if (w->pool.oom)
                return;
        for (size_t i = 0; i < n; i++) {
                struct ix_stamp s = {
                        .kind = meta->stamps[i].kind,
                        .path = paths[i],
                        .dev = meta->stamps[i].dev,
                        .ino = meta->stamps[i].ino,
                        .size = meta->stamps[i].size,
                        .mtime_ns = meta->stamps[i].mtime_ns,
                        .ctime_ns = meta->stamps[i].ctime_ns,
                };
                memcpy(w->pool.p + w->h.stamps_off + i * sizeof(s), &s, sizeof(s));
        }
}

/* Sorts v (n values) in place, tmp as scratch: a least-significant-digit
 * radix sort, a byte a pass, a pass skipped when every value has the same
 * byte there. A table of a million mailboxes holds two million pairs:
 * qsort() with a comparison call per step took half a second a table. */
static void radix_sort64(uint64_t *v, uint64_t *tmp, size_t n)
{
        uint64_t *src = v, *dst = tmp, *swap;

        for (unsigned shift = 0; shift < 64; shift += 8) {
                size_t count[256] = {0}, sum = 0;

                for (size_t i = 0; i < n; i++)
                        count[(src[i] >> shift) & 0xff]++;
                if (n == 0 || count[(src[0] >> shift) & 0xff] == n)
                        continue;
                for (size_t d = 0; d < 256; d++) {
                        size_t c = count[d];
                        count[d] = sum;
                        sum += c;
                }
                for (size_t i = 0; i < n; i++)
                        dst[count[(src[i] >> shift) & 0xff]++] = src[i];
                swap = src, src = dst, dst = swap;
        }
        if (src != v)
                memcpy(v, src, n * sizeof(*v));
}

/* Tables whose ids are mailboxes (not domains or contacts). */
static bool mailbox_table(enum mailacct_table t)
{
        return t == MAILACCT_T_ADDRESS || t == MAILACCT_T_BARE || t == MAILACCT_T_NT || t == MAILACCT_T_UID;
}

int ix_write_table(struct ix_writer *w, enum mailacct_table t, const struct mailacct_hashmap *m,
                   struct mailacct_hashmap *consume)
{
        size_t n = m ? mailacct_hashmap_size(m) : 0, np = 0, nkeys = 0, pos = 0, cap, base;
        /* (place of the key in the map's arena) << 32 | value: sorted, the
         * pairs come grouped by key, ids ascending, keys in the order they
         * were first added — the same bytes whatever order the map holds */
        uint64_t *pairs = malloc((n + 1) * sizeof(*pairs)), *tmp = malloc((n + 1) * sizeof(*tmp));
        struct ix_slot *slots;
        const char *key;
        uint32_t value;
        int r = -ENOMEM;

        if (!pairs || !tmp)
                goto out;
        while (m && mailacct_hashmap_next(m, &pos, &key, &value))
                pairs[np++] = (uint64_t)mailacct_hashmap_key_place(m, key) << 32 | value;
        /* the pairs name the map's keys by place: its slots can go now */
        if (consume)
                mailacct_hashmap_drop_slots(consume);
        radix_sort64(pairs, tmp, np);
        free(tmp);
        tmp = NULL;
        for (size_t i = 0; i < np; i++)
                nkeys += i == 0 || (uint32_t)(pairs[i] >> 32) != (uint32_t)(pairs[i - 1] >> 32);
        /* half full: a miss walks about two slots, not a dozen */
        cap = 2 * nkeys + 8;
        w->h.tables[t].cap = (uint32_t)cap;
        w->h.tables[t].nkeys = (uint32_t)nkeys;
        w->h.tables[t].slots_off = w->slots.len; /* relative until laid out */
        base = ix_buf_add(&w->slots, NULL, cap * sizeof(struct ix_slot));
        if (w->slots.oom)
                goto out;
        /* each key's entry, then its slot, in the keys' order */
        for (size_t i = 0; i < np;) {
                uint32_t place = (uint32_t)(pairs[i] >> 32), hdr[3], h32, k;
                uint32_t hint = mailbox_table(t) ? (uint32_t)pairs[i] : MAILACCT_NONE;
                size_t j = i, klen, at, count;
                uint64_t h;

                key = mailacct_hashmap_key_at(m, place);
                klen = strlen(key);
                while (j < np && (uint32_t)(pairs[j] >> 32) == place)
                        j++;
                count = j - i;
                /* a delta's key that no longer answers: MAILACCT_NONE
                 * alone (it sorts last), written as an empty list */
                while (w->empty_keys && count && (uint32_t)pairs[i + count - 1] == MAILACCT_NONE)
                        count--;
                if (count == 0)
                        hint = MAILACCT_NONE;
                if (t == MAILACCT_T_UID && count > IX_UID_KEEP)
                        count = IX_UID_KEEP;
                at = w->entries.len;
                hdr[0] = 0;
                hdr[1] = (uint32_t)klen;
                hdr[2] = (uint32_t)count;
                ix_buf_add(&w->entries, hdr, sizeof(hdr));
                ix_buf_add(&w->entries, key, klen + 1);
                buf_align(&w->entries, 4);
                for (size_t v = 0; v < count; v++) {
                        value = (uint32_t)pairs[i + v];
                        ix_buf_add(&w->entries, &value, sizeof(uint32_t));
                }
                if (w->entries.oom)
                        goto out;
                hdr[0] = check32(w->key, w->entries.p + at + 4, w->entries.len - at - 4);
                memcpy(w->entries.p + at, hdr, 4);
                h = mailacct_siphash13(w->key, key, klen);
                h32 = (uint32_t)(h >> 32) | 1;
                /* read the mapping here: the slots' buffer may have moved */
                slots = (struct ix_slot *)(w->slots.p + base);
                for (k = home_slot(h, (uint32_t)cap); slots[k].h32; k = k + 1 == cap ? 0 : k + 1)
                        ;
                slots[k].h32 = h32;
                slots[k].entry = (uint32_t)at;
                slots[k].check = slot_check(w->key, h32, (uint32_t)at, k);
                slots[k].hint = hint;
                i = j;
        }
        r = 0;
out:
        free(pairs);
        free(tmp);
        return r;
}

/* Written in small pieces on purpose: the page cache gives a file the folio
 * sizes it was written with, and a reader's page fault maps a whole folio.
 * Written in one go, the index was held in folios of up to 2 MiB, and one
 * getpwnam() in a fresh process added 3 to 9 MiB to its RSS; written 16 KiB
 * at a time, under 1 MiB. */
#define IX_WRITE_CHUNK (16 * 1024)

int ix_emit(struct ix_writer *w, const char *path, mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
        static const uint8_t zero[8];
        struct mailacct_atomic *a;
        struct timespec now;
        uint64_t off, pos = 0;
        int r = 0;

        buf_align(&w->pool, 8);
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
        clock_gettime(CLOCK_REALTIME, &now);
        w->h.built_ns =
                mailacct_ix_fixed_time ? mailacct_ix_fixed_time : (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
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

        a = mailacct_atomic_begin(path, mode, uid, gid, err, errlen);
        if (!a)
                return -EIO;
        {
                const struct {
                        const void *p;
                        size_t n;
                        uint64_t at;
                        int fd;
                } parts[] = {
                        {&w->h, sizeof(w->h), 0, -1},
                        {w->pool.p, w->pool.len, w->h.pool_off, spilled(&w->pool) ? w->pool.fd : -1},
                        {w->domains.p, w->domains.len, w->h.domains_off, -1},
                        {w->contacts.p, w->contacts.len, w->h.contacts_off, -1},
                        {w->entries.p, w->entries.len, w->h.entries_off, spilled(&w->entries) ? w->entries.fd : -1},
                        {w->slots.p, w->slots.len, w->h.tables[0].slots_off, spilled(&w->slots) ? w->slots.fd : -1},
                };
                ix_writer_trim(w);
                for (size_t i = 0; r >= 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
                        while (r >= 0 && pos < parts[i].at) {
                                size_t pad = parts[i].at - pos > 8 ? 8 : (size_t)(parts[i].at - pos);
                                r = mailacct_atomic_write(a, zero, pad, 0);
                                pos += pad;
                        }
                        if (r >= 0 && parts[i].n && parts[i].fd >= 0) {
                                /* a spilled section: read from its file, never
                                 * mapped in whole */
                                static uint8_t chunk[IX_WRITE_CHUNK];
                                for (size_t done = 0; r >= 0 && done < parts[i].n;) {
                                        size_t want =
                                                parts[i].n - done < sizeof(chunk) ? parts[i].n - done : sizeof(chunk);
                                        ssize_t k = pread(parts[i].fd, chunk, want, (off_t)done);
                                        if (k < 0 && errno == EINTR)
                                                continue;
                                        if (k <= 0) {
                                                r = k < 0 ? -errno : -EIO;
                                                break;
                                        }
                                        r = mailacct_atomic_write(a, chunk, (size_t)k, 0);
                                        done += (size_t)k;
                                }
                        } else if (r >= 0 && parts[i].n)
                                r = mailacct_atomic_write(a, parts[i].p, parts[i].n, IX_WRITE_CHUNK);
                        pos += parts[i].n;
                }
        }
        return mailacct_atomic_commit(a, err, errlen);
}

/* ---- reader ---------------------------------------------------------------- */

bool ix_span_ok(const struct mailacct_index *ix, uint64_t off, uint64_t len)
{
        return off <= ix->size && len <= ix->size - off;
}

int ix_pool_get(const struct mailacct_index *ix, uint32_t off, const char **s)
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

int ix_pool_strings(const struct mailacct_index *ix, uint32_t off, uint32_t n, size_t *len)
{
        size_t total = 0;

        for (uint32_t k = 0; k < n; k++) {
                const char *s;
                size_t l;
                if (off == 0 || ix_pool_get(ix, off, &s) < 0)
                        return -EBADMSG;
                l = strlen(s) + 1;
                total += l;
                if (off + l > ix->h->pool_size)
                        return -EBADMSG;
                off += (uint32_t)l;
        }
        *len = total;
        return 0;
}

int ix_verify(const struct mailacct_index *ix, const void *rec, size_t len, const uint32_t *strs, size_t n,
              uint32_t extra_off, size_t extra_len)
{
        uint32_t want;
        const char *s;

        memcpy(&want, rec, sizeof(want));
        for (size_t i = 0; i < n; i++)
                if (ix_pool_get(ix, strs[i], &s) < 0)
                        return -EBADMSG;
        if (extra_len && (extra_off >= ix->h->pool_size || extra_len > ix->h->pool_size - extra_off))
                return -EBADMSG;
        return ix_record_check(ix->h->sipkey, ix->pool, rec, len, strs, n, ix->pool + extra_off, extra_len) == want
                       ? 0
                       : -EBADMSG;
}

/* The header's own bounds, its strings and stamps bounded before its
 * checksum reads them. */
static bool header_ok(const struct mailacct_index *ix)
{
        const struct ix_header *h = ix->h;
        uint32_t strs[5];
        const char *s;

        if (!ix_span_ok(ix, h->pool_off, h->pool_size) || h->pool_size == 0 ||
            !ix_span_ok(ix, h->domains_off, (uint64_t)h->n_domains * sizeof(struct ix_domain)) ||
            (h->n_mailboxes && (h->mailbox_stride < sizeof(struct ix_mailbox) || h->mailbox_stride > IX_BLOCK_MAX ||
                                h->mailbox_stride % 4)) ||
            !ix_span_ok(ix, h->mailboxes_off, (uint64_t)h->n_mailboxes * h->mailbox_stride) ||
            !ix_span_ok(ix, h->contacts_off, (uint64_t)h->n_contacts * sizeof(struct ix_contact)) ||
            !ix_span_ok(ix, h->entries_off, h->entries_size) || h->pool_off % 8 || h->domains_off % 4 ||
            h->mailboxes_off % 4 || h->contacts_off % 4 || h->entries_off % 8 || h->n_stamps > IX_STAMPS_MAX ||
            h->stamps_off % 8 || h->stamps_off > h->pool_size ||
            (uint64_t)h->n_stamps * sizeof(struct ix_stamp) > h->pool_size - h->stamps_off)
                return false;
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                const struct ix_table *tb = &h->tables[t];
                if (tb->cap == 0 || tb->slots_off % 4 ||
                    !ix_span_ok(ix, tb->slots_off, (uint64_t)tb->cap * sizeof(struct ix_slot)))
                        return false;
        }
        header_strings(h, strs);
        for (size_t i = 0; i < 5; i++)
                if (ix_pool_get(ix, strs[i], &s) < 0)
                        return false;
        for (uint32_t i = 0; i < h->n_stamps; i++) {
                struct ix_stamp st;
                memcpy(&st, ix->pool + h->stamps_off + (size_t)i * sizeof(st), sizeof(st));
                if (ix_pool_get(ix, st.path, &s) < 0)
                        return false;
        }
        return h->check == header_check(h, ix->pool);
}

int ix_open(const char *path, uint32_t kind, struct mailacct_index **out, struct stat *stp, char *why, size_t whylen)
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
        fd = mailacct_trust_open(path, kind == IX_KIND_SECRETS ? MAILACCT_TRUST_SECRET : 0, &st, why, whylen);
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
        if (map == MAP_FAILED) {
                r = -errno;
                snprintf(why, whylen, "%s: %s", path, strerror(-r));
                return r;
        }
        /* A process that asks once (id, ls -l, su) maps in only the pages it
         * touches: MADV_RANDOM turns off read-ahead and fault-around, which
         * on a large folio maps megabytes per fault. See ix_busy() for the
         * processes that ask often. */
        (void)madvise(map, (size_t)st.st_size, MADV_RANDOM);
        ix = calloc(1, sizeof(*ix));
        if (!ix) {
                munmap(map, (size_t)st.st_size);
                snprintf(why, whylen, "out of memory");
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
        if (memcmp(h->magic, IX_MAGIC, 8) != 0 || h->endian != IX_ENDIAN || h->kind != kind || h->file_size != ix->size)
                goto bad;
        /* bounded before the pointer is formed: a wild offset must not wrap */
        if (!ix_span_ok(ix, h->pool_off, h->pool_size))
                goto bad;
        ix->pool = (const char *)ix->base + h->pool_off;
        if (!header_ok(ix))
                goto bad;
        *out = ix;
        return 0;
bad:
        if (r == -EBADMSG)
                snprintf(why, whylen, "%s: damaged (a bound or checksum of its header failed): run 'mailacct compile'",
                         path);
        mailacct_index_close(ix);
        return r;
}

void mailacct_index_close(struct mailacct_index *ix)
{
        if (!ix)
                return;
        if (ix->heap)
                free((void *)ix->base);
        else
                munmap((void *)ix->base, ix->size);
        free(ix);
}

size_t mailacct_index_n_stamps(const struct mailacct_index *ix)
{
        return ix->h->n_stamps;
}

int mailacct_index_stamp(const struct mailacct_index *ix, size_t i, struct mailacct_stamp *s)
{
        struct ix_stamp st;

        if (i >= ix->h->n_stamps)
                return -ENOENT;
        /* bounded and summed with the header at open */
        memcpy(&st, ix->pool + ix->h->stamps_off + i * sizeof(st), sizeof(st));
        memset(s, 0, sizeof(*s));
        s->kind = (enum mailacct_stamp_kind)st.kind;
        s->path = st.path ? ix->pool + st.path : NULL;
        s->dev = st.dev;
        s->ino = st.ino;
        s->size = st.size;
        s->mtime_ns = st.mtime_ns;
        s->ctime_ns = st.ctime_ns;
        return 0;
}

const char *mailacct_index_changed(const struct mailacct_index *ix)
{
        for (size_t i = 0; i < ix->h->n_stamps; i++) {
                struct mailacct_stamp s;
                if (mailacct_index_stamp(ix, i, &s) < 0)
                        return "(a damaged stamp)";
                if (!mailacct_stamp_current(&s))
                        return s.path ? s.path : "(a file)";
        }
        return NULL;
}

bool mailacct_index_current(const struct mailacct_index *ix)
{
        return mailacct_index_changed(ix) == NULL;
}

const char *mailacct_index_conf_path(const struct mailacct_index *ix)
{
        return ix->h->conf_path ? ix->pool + ix->h->conf_path : NULL;
}

unsigned mailacct_index_flags(const struct mailacct_index *ix)
{
        return ix->h->flags;
}

int64_t mailacct_index_built(const struct mailacct_index *ix)
{
        return ix->h->built_ns;
}

/* MADV_RANDOM keeps a one-lookup process small, but with it every page a
 * busy process touches for the first time is a page fault of its own: up to
 * thirty times the cost of the lookup until most of the index is mapped.
 * Past IX_BUSY lookups the mapping goes back to normal (fault-around). */
static void ix_busy(const struct mailacct_index *ix)
{
        struct mailacct_index *w = (struct mailacct_index *)ix;

        if (w->lookups < IX_BUSY && ++w->lookups == IX_BUSY)
                (void)madvise((void *)ix->base, ix->size, MADV_NORMAL);
}

void ix_prefetch(const struct mailacct_index *ix, enum mailacct_table t, const char *key)
{
        const struct ix_table *tb;
        uint64_t h;

        if ((unsigned)t >= _MAILACCT_T_MAX)
                return;
        tb = &ix->h->tables[t];
        h = mailacct_siphash13(ix->h->sipkey, key, strlen(key));
        __builtin_prefetch(ix->base + tb->slots_off + (size_t)home_slot(h, tb->cap) * sizeof(struct ix_slot));
}

long ix_get(const struct mailacct_index *ix, enum mailacct_table t, const char *key, uint32_t *out, size_t max)
{
        bool hit;

        return ix_find(ix, t, key, out, max, &hit);
}

long ix_find(const struct mailacct_index *ix, enum mailacct_table t, const char *key, uint32_t *out, size_t max,
             bool *hit)
{
        return ix_find_hashed(ix, t, key, strlen(key), mailacct_siphash13(ix->h->sipkey, key, strlen(key)), out, max,
                              hit);
}

uint64_t ix_hash(const struct mailacct_index *ix, const char *key, size_t klen)
{
        return mailacct_siphash13(ix->h->sipkey, key, klen);
}

long ix_find_hashed(const struct mailacct_index *ix, enum mailacct_table t, const char *key, size_t klen, uint64_t h,
                    uint32_t *out, size_t max, bool *hit)
{
        const struct ix_table *tb;
        uint32_t h32;

        *hit = false;
        if ((unsigned)t >= _MAILACCT_T_MAX)
                return -EINVAL;
        ix_busy(ix);
        tb = &ix->h->tables[t];
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
                *hit = true;
                return (long)hdr[2];
        }
        return 0;
}

int ix_table_next(const struct mailacct_index *ix, enum mailacct_table t, uint32_t *pos, const char **key)
{
        const void *ids;
        uint32_t n;

        return ix_table_next_ids(ix, t, pos, key, &ids, &n);
}

int ix_table_next_ids(const struct mailacct_index *ix, enum mailacct_table t, uint32_t *pos, const char **key,
                      const void **ids, uint32_t *n)
{
        const struct ix_table *tb;

        if ((unsigned)t >= _MAILACCT_T_MAX)
                return -EINVAL;
        tb = &ix->h->tables[t];
        for (; *pos < tb->cap; (*pos)++) {
                struct ix_slot s;
                uint32_t hdr[3], j = *pos;
                const uint8_t *e;
                size_t ids_at, room;

                memcpy(&s, ix->base + tb->slots_off + (size_t)j * sizeof(s), sizeof(s));
                if (s.h32 == 0) {
                        if (s.entry || s.check || s.hint)
                                return -EBADMSG;
                        continue;
                }
                if (s.check != slot_check(ix->h->sipkey, s.h32, s.entry, j) || s.entry % 4 ||
                    s.entry > ix->h->entries_size || ix->h->entries_size - s.entry < sizeof(hdr))
                        return -EBADMSG;
                e = ix->base + ix->h->entries_off + s.entry;
                room = ix->h->entries_size - s.entry;
                memcpy(hdr, e, sizeof(hdr));
                ids_at = (sizeof(hdr) + hdr[1] + 1 + 3) & ~(size_t)3;
                if (hdr[1] > IX_STR_MAX || ids_at > room || hdr[2] > (room - ids_at) / sizeof(uint32_t) ||
                    check32(ix->h->sipkey, e + 4, ids_at - 4 + (size_t)hdr[2] * sizeof(uint32_t)) != hdr[0] ||
                    e[sizeof(hdr) + hdr[1]] != 0 || memchr(e + sizeof(hdr), 0, hdr[1]))
                        return -EBADMSG;
                *key = (const char *)e + sizeof(hdr);
                *ids = e + ids_at;
                *n = hdr[2];
                (*pos)++;
                return 1;
        }
        return 0;
}

uint32_t ix_ids_check(const uint8_t key[16], const uint32_t *ids, size_t n)
{
        return check32(key, ids, n * sizeof(uint32_t));
}

uint32_t ix_filter_check(const uint8_t key[16], const void *filter, uint32_t blocks)
{
        return check32(key, filter, (size_t)blocks * IX_FILTER_BLOCK);
}

/* ---- sealing, for tools ---------------------------------------------------- */

static bool span(size_t len, uint64_t off, uint64_t n)
{
        return off <= len && n <= len - off;
}

/* A record's strings as ix_verify() reads them, bounded in the image. */
static bool strings_ok(const uint8_t *img, const struct ix_header *h, const uint32_t *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!s[i])
                        continue;
                if (s[i] >= h->pool_size || !memchr(img + h->pool_off + s[i], 0, h->pool_size - s[i]))
                        return false;
        }
        return true;
}

static size_t list_bytes(const uint8_t *img, const struct ix_header *h, uint32_t off, uint32_t n)
{
        size_t total = 0;

        for (uint32_t k = 0; k < n && off && off < h->pool_size; k++) {
                const char *s = (const char *)img + h->pool_off + off;
                const char *e = memchr(s, 0, h->pool_size - off);
                if (!e)
                        return 0;
                total += (size_t)(e - s) + 1;
                off += (uint32_t)(e - s) + 1;
        }
        return total;
}

int mailacct_ix_seal(uint8_t *img, size_t len)
{
        struct ix_header h;
        const char *pool;

        if (len < sizeof(h))
                return -EBADMSG;
        memcpy(&h, img, sizeof(h));
        if (!span(len, h.pool_off, h.pool_size) || h.pool_size == 0)
                return -EBADMSG;
        pool = (const char *)img + h.pool_off;
        for (uint32_t i = 0; span(len, h.domains_off, (uint64_t)(i + 1) * sizeof(struct ix_domain)) && i < h.n_domains;
             i++) {
                struct ix_domain r;
                uint8_t *at = img + h.domains_off + (size_t)i * sizeof(r);
                memcpy(&r, at, sizeof(r));
                uint32_t s[] = {r.name, r.netbios, r.home, r.shell};
                size_t al = list_bytes(img, &h, r.aliases, r.n_aliases);
                if (!strings_ok(img, &h, s, 4) || (al && !span(h.pool_size, r.aliases, al)))
                        continue;
                r.check = ix_record_check(h.sipkey, pool, &r, sizeof(r), s, 4, pool + r.aliases, al);
                memcpy(at, &r, sizeof(r));
        }
        for (uint32_t i = 0; h.mailbox_stride >= sizeof(struct ix_mailbox) && i < h.n_mailboxes &&
                             span(len, h.mailboxes_off, (uint64_t)(i + 1) * h.mailbox_stride);
             i++) {
                struct ix_mailbox r;
                uint8_t *at = img + h.mailboxes_off + (size_t)i * h.mailbox_stride;
                memcpy(&r, at, sizeof(r));
                uint32_t s[] = {r.address, r.local, r.nt_domain, r.nt_account, r.name, r.home, r.shell};
                uint32_t x[] = {r.dn, r.upn};
                size_t ll = list_bytes(img, &h, r.lists, r.n_services) + (size_t)r.n_delegates * 4;
                size_t xl = list_bytes(img, &h, r.extras, r.n_aliases + r.n_addresses);
                if (strings_ok(img, &h, x, 2) && (!xl || span(h.pool_size, r.extras, xl)))
                        r.extras_check =
                                ix_record_check(h.sipkey, pool, &r, sizeof(uint32_t), x, 2, pool + r.extras, xl);
                if (!strings_ok(img, &h, s, 7) || (ll && !span(h.pool_size, r.lists, ll)))
                        continue;
                r.check = ix_record_check(h.sipkey, pool, &r, sizeof(r), s, 7, pool + r.lists, ll);
                memcpy(at, &r, sizeof(r));
        }
        for (uint32_t i = 0;
             i < h.n_contacts && span(len, h.contacts_off, (uint64_t)(i + 1) * sizeof(struct ix_contact)); i++) {
                struct ix_contact r;
                uint8_t *at = img + h.contacts_off + (size_t)i * sizeof(r);
                memcpy(&r, at, sizeof(r));
                uint32_t s[] = {r.alias, r.address, r.dn};
                if (!strings_ok(img, &h, s, 3))
                        continue;
                r.check = ix_record_check(h.sipkey, pool, &r, sizeof(r), s, 3, NULL, 0);
                memcpy(at, &r, sizeof(r));
        }
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                const struct ix_table *tb = &h.tables[t];
                if (!span(len, tb->slots_off, (uint64_t)tb->cap * sizeof(struct ix_slot)))
                        continue;
                for (uint32_t j = 0; j < tb->cap; j++) {
                        struct ix_slot s;
                        uint8_t *at = img + tb->slots_off + (size_t)j * sizeof(s);
                        uint32_t hdr[3];
                        size_t ids_at;
                        memcpy(&s, at, sizeof(s));
                        if (!s.h32)
                                continue;
                        s.check = slot_check(h.sipkey, s.h32, s.entry, j);
                        memcpy(at, &s, sizeof(s));
                        if (!span(h.entries_size, s.entry, sizeof(hdr)) || !span(len, h.entries_off, h.entries_size))
                                continue;
                        memcpy(hdr, img + h.entries_off + s.entry, sizeof(hdr));
                        ids_at = (sizeof(hdr) + hdr[1] + 1 + 3) & ~(size_t)3;
                        if (hdr[1] > IX_STR_MAX ||
                            !span(h.entries_size, s.entry, ids_at + (uint64_t)hdr[2] * sizeof(uint32_t)))
                                continue;
                        hdr[0] = check32(h.sipkey, img + h.entries_off + s.entry + 4,
                                         ids_at - 4 + (size_t)hdr[2] * sizeof(uint32_t));
                        memcpy(img + h.entries_off + s.entry, hdr, 4);
                }
        }
        {
                uint32_t strs[5];
                header_strings(&h, strs);
                if (!strings_ok(img, &h, strs, 5) || h.n_stamps > IX_STAMPS_MAX || h.stamps_off % 8 ||
                    h.stamps_off > h.pool_size ||
                    (uint64_t)h.n_stamps * sizeof(struct ix_stamp) > h.pool_size - h.stamps_off)
                        return 0;
                for (uint32_t i = 0; i < h.n_stamps; i++) {
                        struct ix_stamp st;
                        memcpy(&st, pool + h.stamps_off + (size_t)i * sizeof(st), sizeof(st));
                        if (!strings_ok(img, &h, &st.path, 1))
                                return 0;
                }
                /* a delta's ids, summed in the header */
                if (h.kind == IX_KIND_DELTA && h.ids_off % 4 == 0 && h.ids_off <= h.pool_size &&
                    (uint64_t)h.n_mailboxes * sizeof(uint32_t) <= h.pool_size - h.ids_off)
                        h.ids_check = check32(h.sipkey, pool + h.ids_off, (size_t)h.n_mailboxes * sizeof(uint32_t));
                /* and its filter */
                if (h.kind == IX_KIND_DELTA && h.filter_off <= h.pool_size &&
                    (uint64_t)h.filter_blocks * IX_FILTER_BLOCK <= h.pool_size - h.filter_off)
                        h.filter_check = ix_filter_check(h.sipkey, pool + h.filter_off, h.filter_blocks);
                h.check = header_check(&h, pool);
                memcpy(img, &h, sizeof(h));
        }
        return 0;
}
