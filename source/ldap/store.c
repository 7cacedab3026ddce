/* SPDX-License-Identifier: MIT */
/* The store of synced entries (store.h).
 *
 * Layout (native byte order; the header records it):
 *   header | entries | accepted (a bit per entry) | netbios | state
 * An entry: u32 length of what follows, u8 kind, u8[3] zero, u32 key
 * length, the key, u32 DN length, the DN and a NUL, u32 attribute count,
 * and per attribute: u32 name length, the name and a NUL, u32 value count,
 * per value u32 length and the bytes. netbios: u32 count, then pairs of
 * (u32 length, bytes, NUL). state: u32 count, then (key, value) pairs as
 * netbios's. Lengths are read with memcpy (nothing is aligned) and each is
 * checked against what remains of its section before it is believed. The
 * header's check is SipHash-1-3 under its own key over everything after
 * the header, then the header up to the check. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "hashmap.h"
#include "strutil.h"
#include "trust.h"

#define STORE_MAGIC   "MAILACLD"
#define STORE_VERSION 1
#define STORE_ENDIAN  0x01020304u
/* bounds of what one entry may hold (the mapping takes less) */
#define ENTRY_MAX       (16u << 20)
#define ATTRS_MAX       1024
#define VALUES_MAX      65536
#define NETBIOS_MAX     1024
#define STATE_MAX       64
#define STATE_VALUE_MAX (1u << 20)
/* the writer's buffer; the reader gives back the pages it has read past in
 * steps of this much, so that a store larger than memory is read whole */
#define CHUNK     (1u << 20)
#define DROP_STEP ((size_t)16 << 20)

struct header {
        char magic[8];
        uint32_t version, endian;
        uint32_t schema, flags;
        int64_t pulled_ns;
        uint64_t fingerprint;
        uint64_t file_size;
        uint8_t key[16];
        uint32_t n_entries, n_accepted, n_accepted_mailboxes, n_netbios;
        uint32_t n_state, pad;
        uint64_t accepted_off, netbios_off, state_off;
        uint64_t check;
};

/* ---- writer ------------------------------------------------------------------ */

struct pair {
        char *k;
        void *v;
        size_t klen, vlen;
};

struct mailacct_ldap_store_writer {
        struct mailacct_atomic *a;
        struct header h;
        struct mailacct_siphash sum;
        uint8_t *buf;
        size_t len;
        uint64_t off; /* bytes written after the header */
        int error;
        uint8_t *accepted; /* a bit per entry */
        uint8_t *is_mailbox;
        size_t acc_cap;
        struct pair *netbios, *state;
        size_t n_netbios, n_state;
};

static void flush(struct mailacct_ldap_store_writer *w)
{
        if (w->len && !w->error && w->a)
                w->error = -mailacct_atomic_write(w->a, w->buf, w->len, 0);
        w->len = 0;
}

static void out(struct mailacct_ldap_store_writer *w, const void *p, size_t n)
{
        mailacct_siphash13_update(&w->sum, p, n);
        w->off += n;
        while (n) {
                size_t k = CHUNK - w->len < n ? CHUNK - w->len : n;
                memcpy(w->buf + w->len, p, k);
                w->len += k;
                p = (const uint8_t *)p + k;
                n -= k;
                if (w->len == CHUNK)
                        flush(w);
        }
}

static void out32(struct mailacct_ldap_store_writer *w, uint32_t v)
{
        out(w, &v, sizeof(v));
}

struct mailacct_ldap_store_writer *mailacct_ldap_store_begin(const char *path, enum mailacct_ldap_schema schema,
                                                             uint64_t fingerprint, int64_t pulled_ns, char *err,
                                                             size_t errlen)
{
        struct mailacct_ldap_store_writer *w = calloc(1, sizeof(*w));
        static const struct header zero;

        if (!w || !(w->buf = malloc(CHUNK))) {
                free(w);
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        if (getrandom(w->h.key, sizeof(w->h.key), 0) != sizeof(w->h.key)) {
                snprintf(err, errlen, "getrandom: %s", strerror(errno));
                free(w->buf);
                free(w);
                return NULL;
        }
        /* root's alone: it holds what the directory gave, not only what the
         * index shows. No path: a dry run, which only counts and hashes. */
        w->a = path ? mailacct_atomic_begin(path, 0600, (uid_t)-1, (gid_t)-1, err, errlen) : NULL;
        if (path && !w->a) {
                free(w->buf);
                free(w);
                return NULL;
        }
        memcpy(w->h.magic, STORE_MAGIC, 8);
        w->h.version = STORE_VERSION;
        w->h.endian = STORE_ENDIAN;
        w->h.schema = (uint32_t)schema;
        w->h.fingerprint = fingerprint;
        w->h.pulled_ns = pulled_ns;
        mailacct_siphash13_init(&w->sum, w->h.key);
        /* the header's room, written last */
        if (w->a)
                w->error = -mailacct_atomic_write(w->a, &zero, sizeof(zero), 0);
        return w;
}

static bool fits(size_t n)
{
        return n <= UINT32_MAX;
}

int mailacct_ldap_store_put(struct mailacct_ldap_store_writer *w, const struct mailacct_ldap_entry *e,
                            uint32_t *ordinal, uint64_t *content)
{
        static const uint8_t content_key[16] = "mailacct-content";
        struct mailacct_siphash c;
        uint64_t len = 4 + 4 + e->key_len + 4 + e->dn_len + 1 + 4;
        uint8_t kind[4] = {(uint8_t)e->kind, 0, 0, 0};

        if (w->h.n_entries == UINT32_MAX || e->n_attrs > ATTRS_MAX || e->key_len > 4096 || !fits(e->dn_len))
                return -E2BIG;
        for (size_t i = 0; i < e->n_attrs; i++) {
                len += 4 + strlen(e->attrs[i].name) + 1 + 4;
                if (e->attrs[i].n > VALUES_MAX)
                        return -E2BIG;
                for (size_t k = 0; k < e->attrs[i].n; k++)
                        len += 4 + e->attrs[i].v[k].len;
                if (len > ENTRY_MAX)
                        return -E2BIG;
        }
        if (len > ENTRY_MAX)
                return -E2BIG;
        mailacct_siphash13_init(&c, content_key);
        out32(w, (uint32_t)len);
        out(w, kind, 4);
        mailacct_siphash13_update(&c, kind, 4);
        out32(w, (uint32_t)e->key_len);
        out(w, e->key, e->key_len);
        out32(w, (uint32_t)e->dn_len);
        out(w, e->dn, e->dn_len);
        out(w, "", 1);
        mailacct_siphash13_update(&c, e->dn, e->dn_len + 1);
        out32(w, (uint32_t)e->n_attrs);
        for (size_t i = 0; i < e->n_attrs; i++) {
                size_t nl = strlen(e->attrs[i].name);
                uint32_t nv = (uint32_t)e->attrs[i].n;
                out32(w, (uint32_t)nl);
                out(w, e->attrs[i].name, nl + 1);
                out32(w, nv);
                mailacct_siphash13_update(&c, e->attrs[i].name, nl + 1);
                mailacct_siphash13_update(&c, &nv, 4);
                for (size_t k = 0; k < e->attrs[i].n; k++) {
                        uint32_t vl = (uint32_t)e->attrs[i].v[k].len;
                        out32(w, vl);
                        out(w, e->attrs[i].v[k].p, vl);
                        mailacct_siphash13_update(&c, &vl, 4);
                        mailacct_siphash13_update(&c, e->attrs[i].v[k].p, vl);
                }
        }
        if (w->h.n_entries >= w->acc_cap * 8) {
                size_t nc = w->acc_cap ? w->acc_cap * 2 : 4096;
                uint8_t *na = realloc(w->accepted, nc), *nm = realloc(w->is_mailbox, nc);
                if (na)
                        w->accepted = na;
                if (nm)
                        w->is_mailbox = nm;
                if (!na || !nm)
                        return -ENOMEM;
                memset(w->accepted + w->acc_cap, 0, nc - w->acc_cap);
                memset(w->is_mailbox + w->acc_cap, 0, nc - w->acc_cap);
                w->acc_cap = nc;
        }
        if (e->kind == MAILACCT_LDAP_MAILBOX)
                w->is_mailbox[w->h.n_entries / 8] |= (uint8_t)(1u << (w->h.n_entries % 8));
        *ordinal = w->h.n_entries++;
        if (content)
                *content = mailacct_siphash13_final(&c);
        return w->error;
}

int mailacct_ldap_store_accept(struct mailacct_ldap_store_writer *w, uint32_t ordinal, bool accepted)
{
        uint8_t bit = (uint8_t)(1u << (ordinal % 8));

        if (ordinal >= w->h.n_entries)
                return -EINVAL;
        if (accepted)
                w->accepted[ordinal / 8] |= bit;
        else
                w->accepted[ordinal / 8] &= (uint8_t)~bit;
        return 0;
}

static int add_pair(struct pair **v, size_t *n, size_t max, const char *k, const void *val, size_t vlen)
{
        struct pair *nv;

        if (*n == max || strlen(k) > 4096 || vlen > STATE_VALUE_MAX)
                return -E2BIG;
        nv = realloc(*v, (*n + 1) * sizeof(**v));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n].klen = strlen(k);
        nv[*n].vlen = vlen;
        nv[*n].k = strdup(k);
        nv[*n].v = malloc(vlen + 1);
        if (!nv[*n].k || !nv[*n].v) {
                free(nv[*n].k);
                free(nv[*n].v);
                return -ENOMEM;
        }
        memcpy(nv[*n].v, val, vlen);
        ((char *)nv[*n].v)[vlen] = '\0';
        (*n)++;
        return 0;
}

int mailacct_ldap_store_put_netbios(struct mailacct_ldap_store_writer *w, const char *dns, const char *netbios)
{
        char folded[256];

        if (snprintf(folded, sizeof(folded), "%s", dns) >= (int)sizeof(folded))
                return -E2BIG;
        mailacct_fold(folded);
        return add_pair(&w->netbios, &w->n_netbios, NETBIOS_MAX, folded, netbios, strlen(netbios));
}

int mailacct_ldap_store_put_state(struct mailacct_ldap_store_writer *w, const char *key, const void *value, size_t len)
{
        return add_pair(&w->state, &w->n_state, STATE_MAX, key, value, len);
}

static void out_pairs(struct mailacct_ldap_store_writer *w, const struct pair *v, size_t n)
{
        out32(w, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
                out32(w, (uint32_t)v[i].klen);
                out(w, v[i].k, v[i].klen + 1);
                out32(w, (uint32_t)v[i].vlen);
                out(w, v[i].v, v[i].vlen + 1);
        }
}

static void free_pairs(struct pair *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].k);
                free(v[i].v);
        }
        free(v);
}

static void writer_free(struct mailacct_ldap_store_writer *w)
{
        free(w->buf);
        free(w->accepted);
        free(w->is_mailbox);
        free_pairs(w->netbios, w->n_netbios);
        free_pairs(w->state, w->n_state);
        free(w);
}

int mailacct_ldap_store_commit(struct mailacct_ldap_store_writer *w, char *err, size_t errlen)
{
        size_t nbytes = (w->h.n_entries + 7u) / 8;
        int r;

        if (!w->a) {
                snprintf(err, errlen, "a dry run's store is not written");
                mailacct_ldap_store_abort(w);
                return -EINVAL;
        }
        for (uint32_t i = 0; i < w->h.n_entries; i++)
                if (w->accepted[i / 8] & (1u << (i % 8))) {
                        w->h.n_accepted++;
                        w->h.n_accepted_mailboxes += (w->is_mailbox[i / 8] >> (i % 8)) & 1;
                }
        w->h.accepted_off = sizeof(struct header) + w->off;
        if (nbytes)
                out(w, w->accepted, nbytes);
        w->h.netbios_off = sizeof(struct header) + w->off;
        w->h.n_netbios = (uint32_t)w->n_netbios;
        out_pairs(w, w->netbios, w->n_netbios);
        w->h.state_off = sizeof(struct header) + w->off;
        w->h.n_state = (uint32_t)w->n_state;
        out_pairs(w, w->state, w->n_state);
        flush(w);
        w->h.file_size = sizeof(struct header) + w->off;
        mailacct_siphash13_update(&w->sum, &w->h, offsetof(struct header, check));
        w->h.check = mailacct_siphash13_final(&w->sum);
        if (w->error) {
                snprintf(err, errlen, "writing the store: %s", strerror(w->error));
                mailacct_ldap_store_abort(w);
                return -w->error;
        }
        if (pwrite(mailacct_atomic_fd(w->a), &w->h, sizeof(w->h), 0) != (ssize_t)sizeof(w->h)) {
                int e = errno ? errno : EIO;
                snprintf(err, errlen, "writing the store's header: %s", strerror(e));
                mailacct_ldap_store_abort(w);
                return -e;
        }
        r = mailacct_atomic_commit(w->a, err, errlen);
        w->a = NULL;
        writer_free(w);
        return r;
}

void mailacct_ldap_store_abort(struct mailacct_ldap_store_writer *w)
{
        if (!w)
                return;
        mailacct_atomic_abort(w->a);
        writer_free(w);
}

/* ---- reader ------------------------------------------------------------------ */

struct mailacct_ldap_store {
        const uint8_t *base;
        size_t size;
        struct header h;
        size_t dropped; /* pages before this were given back */
};

static bool get32(const uint8_t *base, uint64_t end, uint64_t *off, uint32_t *v)
{
        if (*off > end || end - *off < 4)
                return false;
        memcpy(v, base + *off, 4);
        *off += 4;
        return true;
}

/* n bytes and a NUL at *off, within end */
static bool get_str(const uint8_t *base, uint64_t end, uint64_t *off, uint32_t n, const char **s)
{
        if (*off > end || end - *off < (uint64_t)n + 1 || base[*off + n] != '\0')
                return false;
        *s = (const char *)base + *off;
        *off += (uint64_t)n + 1;
        return true;
}

/* The pages read so far go back to the page cache: the process's memory
 * holds no more of the store than a step. */
static void drop_behind(struct mailacct_ldap_store *s, uint64_t upto)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), end = (size_t)upto & ~(page - 1);

        if (end >= s->dropped + DROP_STEP) {
                (void)madvise((void *)(s->base + s->dropped), end - s->dropped, MADV_DONTNEED);
                s->dropped = end;
        }
}

static int pairs_ok(const struct mailacct_ldap_store *s, uint64_t off, uint64_t end, uint32_t n, uint32_t max)
{
        uint32_t count, l;
        const char *str;

        if (!get32(s->base, end, &off, &count) || count != n || n > max)
                return -EBADMSG;
        for (uint32_t i = 0; i < n; i++)
                for (int k = 0; k < 2; k++)
                        if (!get32(s->base, end, &off, &l) || l > STATE_VALUE_MAX ||
                            !get_str(s->base, end, &off, l, &str))
                                return -EBADMSG;
        return 0;
}

int mailacct_ldap_store_open(const char *path, struct mailacct_ldap_store **out, char *why, size_t len)
{
        struct mailacct_ldap_store *s;
        struct mailacct_siphash sum;
        struct stat st;
        void *map;
        char w[512];
        int fd, r;

        *out = NULL;
        fd = mailacct_trust_open(path, 0, &st, w, sizeof(w));
        if (fd < 0) {
                snprintf(why, len, "%s: %s", path, w);
                return fd;
        }
        if ((uint64_t)st.st_size < sizeof(struct header)) {
                close(fd);
                snprintf(why, len, "%s: damaged: %lld bytes, shorter than its header", path, (long long)st.st_size);
                return -EBADMSG;
        }
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) {
                r = -errno;
                snprintf(why, len, "%s: %s", path, strerror(-r));
                return r;
        }
        (void)madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
        s = calloc(1, sizeof(*s));
        if (!s) {
                munmap(map, (size_t)st.st_size);
                snprintf(why, len, "out of memory");
                return -ENOMEM;
        }
        s->base = map;
        s->size = (size_t)st.st_size;
        memcpy(&s->h, map, sizeof(s->h));
        r = -EBADMSG;
        if (memcmp(s->h.magic, STORE_MAGIC, 8) != 0) {
                snprintf(why, len, "%s: not a store of synced entries", path);
                goto fail;
        }
        if (s->h.version != STORE_VERSION || s->h.endian != STORE_ENDIAN) {
                snprintf(why, len, "%s: store format %u (this mailacct reads %u): run 'mailacct sync'", path,
                         s->h.version, STORE_VERSION);
                r = -EPROTO;
                goto fail;
        }
        if (s->h.file_size != s->size) {
                snprintf(why, len, "%s: damaged: %zu bytes, its header says %llu", path, s->size,
                         (unsigned long long)s->h.file_size);
                goto fail;
        }
        mailacct_siphash13_init(&sum, s->h.key);
        for (size_t off = sizeof(struct header); off < s->size; off += DROP_STEP) {
                size_t n = s->size - off < DROP_STEP ? s->size - off : DROP_STEP;
                mailacct_siphash13_update(&sum, s->base + off, n);
                drop_behind(s, off + n);
        }
        mailacct_siphash13_update(&sum, &s->h, offsetof(struct header, check));
        (void)madvise(map, s->size, MADV_DONTNEED);
        s->dropped = 0;
        if (mailacct_siphash13_final(&sum) != s->h.check) {
                snprintf(why, len, "%s: damaged: its checksum does not match", path);
                goto fail;
        }
        /* sections in order and in bounds (the entries are checked as read) */
        if (s->h.accepted_off < sizeof(struct header) || s->h.accepted_off > s->h.netbios_off ||
            s->h.netbios_off > s->h.state_off || s->h.state_off > s->size ||
            s->h.netbios_off - s->h.accepted_off != (s->h.n_entries + 7ull) / 8 ||
            pairs_ok(s, s->h.netbios_off, s->h.state_off, s->h.n_netbios, NETBIOS_MAX) < 0 ||
            pairs_ok(s, s->h.state_off, s->size, s->h.n_state, STATE_MAX) < 0 || s->h.n_accepted > s->h.n_entries ||
            s->h.n_accepted_mailboxes > s->h.n_accepted) {
                snprintf(why, len, "%s: damaged: a section out of bounds", path);
                goto fail;
        }
        *out = s;
        return 0;
fail:
        munmap(map, (size_t)st.st_size);
        free(s);
        return r;
}

void mailacct_ldap_store_close(struct mailacct_ldap_store *s)
{
        if (!s)
                return;
        munmap((void *)s->base, s->size);
        free(s);
}

uint32_t mailacct_ldap_store_count(const struct mailacct_ldap_store *s)
{
        return s->h.n_entries;
}

uint32_t mailacct_ldap_store_accepted(const struct mailacct_ldap_store *s, uint32_t *mailboxes)
{
        if (mailboxes)
                *mailboxes = s->h.n_accepted_mailboxes;
        return s->h.n_accepted;
}

int64_t mailacct_ldap_store_pulled(const struct mailacct_ldap_store *s)
{
        return s->h.pulled_ns;
}

uint64_t mailacct_ldap_store_fingerprint(const struct mailacct_ldap_store *s)
{
        return s->h.fingerprint;
}

enum mailacct_ldap_schema mailacct_ldap_store_schema(const struct mailacct_ldap_store *s)
{
        return (enum mailacct_ldap_schema)s->h.schema;
}

/* The value of key in a (checked) pair section. */
static const char *find_pair(const struct mailacct_ldap_store *s, uint64_t off, uint64_t end, const char *key,
                             size_t *vlen)
{
        uint32_t n, kl, vl;
        const char *k, *v;

        if (!get32(s->base, end, &off, &n))
                return NULL;
        for (uint32_t i = 0; i < n; i++) {
                if (!get32(s->base, end, &off, &kl) || !get_str(s->base, end, &off, kl, &k) ||
                    !get32(s->base, end, &off, &vl) || !get_str(s->base, end, &off, vl, &v))
                        return NULL;
                if (strcmp(k, key) == 0) {
                        *vlen = vl;
                        return v;
                }
        }
        return NULL;
}

int mailacct_ldap_store_state(const struct mailacct_ldap_store *s, const char *key, const void **p, size_t *len)
{
        const char *v = find_pair(s, s->h.state_off, s->size, key, len);

        if (!v)
                return -ENOENT;
        *p = v;
        return 0;
}

const char *mailacct_ldap_store_netbios(const struct mailacct_ldap_store *s, const char *dns)
{
        char folded[256];
        size_t len;

        if (snprintf(folded, sizeof(folded), "%s", dns) >= (int)sizeof(folded))
                return NULL;
        mailacct_fold(folded);
        return find_pair(s, s->h.netbios_off, s->h.state_off, folded, &len);
}

struct mailacct_ldap_store_iter {
        struct mailacct_ldap_store *s;
        uint64_t off;
        uint32_t i;
        struct mailacct_ldap_attr *attrs;
        struct mailacct_ldap_val *vals;
        size_t cap_attrs, cap_vals;
};

struct mailacct_ldap_store_iter *mailacct_ldap_store_iter_new(const struct mailacct_ldap_store *s)
{
        struct mailacct_ldap_store_iter *it = calloc(1, sizeof(*it));

        if (!it)
                return NULL;
        it->s = (struct mailacct_ldap_store *)s;
        it->off = sizeof(struct header);
        return it;
}

void mailacct_ldap_store_iter_free(struct mailacct_ldap_store_iter *it)
{
        if (!it)
                return;
        /* what the walk read goes back too: the store stays mapped, not held */
        (void)madvise((void *)it->s->base, it->s->size, MADV_DONTNEED);
        it->s->dropped = 0;
        free(it->attrs);
        free(it->vals);
        free(it);
}

static bool reserve(void **v, size_t *cap, size_t n, size_t size)
{
        void *nv;
        size_t nc;

        if (n <= *cap)
                return true;
        nc = *cap ? *cap : 64;
        while (nc < n)
                nc *= 2;
        nv = realloc(*v, nc * size);
        if (!nv)
                return false;
        *v = nv;
        *cap = nc;
        return true;
}

int mailacct_ldap_store_next(struct mailacct_ldap_store_iter *it, struct mailacct_ldap_entry *e, uint32_t *ordinal,
                             bool *accepted, uint64_t *content)
{
        static const uint8_t content_key[16] = "mailacct-content";
        const struct mailacct_ldap_store *s = it->s;
        const uint8_t *b = s->base;
        uint64_t off = it->off, end, at;
        uint32_t len, klen, dlen, nattrs, nv = 0;
        struct mailacct_siphash c;
        size_t k = 0;

        if (it->i >= s->h.n_entries)
                return 0;
        drop_behind(it->s, off);
        if (!get32(b, s->h.accepted_off, &off, &len) || len > ENTRY_MAX || s->h.accepted_off - off < len)
                return -EBADMSG;
        end = off + len;
        memset(e, 0, sizeof(*e));
        if (end - off < 4 || b[off + 1] || b[off + 2] || b[off + 3])
                return -EBADMSG;
        e->kind = (enum mailacct_ldap_kind)b[off];
        if (e->kind != MAILACCT_LDAP_MAILBOX && e->kind != MAILACCT_LDAP_CONTACT)
                return -EBADMSG;
        mailacct_siphash13_init(&c, content_key);
        mailacct_siphash13_update(&c, b + off, 4);
        off += 4;
        if (!get32(b, end, &off, &klen) || end - off < klen)
                return -EBADMSG;
        e->key = (const char *)b + off;
        e->key_len = klen;
        off += klen;
        if (!get32(b, end, &off, &dlen) || !get_str(b, end, &off, dlen, &e->dn) || strlen(e->dn) != dlen)
                return -EBADMSG;
        e->dn_len = dlen;
        mailacct_siphash13_update(&c, e->dn, dlen + 1);
        if (!get32(b, end, &off, &nattrs) || nattrs > ATTRS_MAX)
                return -EBADMSG;
        if (!reserve((void **)&it->attrs, &it->cap_attrs, nattrs, sizeof(*it->attrs)))
                return -ENOMEM;
        /* the values first counted, then placed: two passes over the bytes */
        at = off;
        for (uint32_t i = 0; i < nattrs; i++) {
                uint32_t nl, n, vl;
                const char *name;
                if (!get32(b, end, &at, &nl) || !get_str(b, end, &at, nl, &name) || !get32(b, end, &at, &n) ||
                    n > VALUES_MAX)
                        return -EBADMSG;
                for (uint32_t v = 0; v < n; v++) {
                        if (!get32(b, end, &at, &vl) || end - at < vl)
                                return -EBADMSG;
                        at += vl;
                }
                nv += n;
        }
        if (at != end)
                return -EBADMSG;
        if (!reserve((void **)&it->vals, &it->cap_vals, nv, sizeof(*it->vals)))
                return -ENOMEM;
        for (uint32_t i = 0; i < nattrs; i++) {
                uint32_t nl = 0, n = 0, vl = 0;
                struct mailacct_ldap_attr *a = &it->attrs[i];
                (void)get32(b, end, &off, &nl);
                (void)get_str(b, end, &off, nl, &a->name);
                (void)get32(b, end, &off, &n);
                mailacct_siphash13_update(&c, a->name, nl + 1);
                mailacct_siphash13_update(&c, &n, 4);
                a->v = &it->vals[k];
                a->n = n;
                for (uint32_t v = 0; v < n; v++) {
                        (void)get32(b, end, &off, &vl);
                        it->vals[k].p = (const char *)b + off;
                        it->vals[k].len = vl;
                        mailacct_siphash13_update(&c, &vl, 4);
                        mailacct_siphash13_update(&c, b + off, vl);
                        off += vl;
                        k++;
                }
        }
        e->attrs = it->attrs;
        e->n_attrs = nattrs;
        *ordinal = it->i;
        if (accepted)
                *accepted = (b[s->h.accepted_off + it->i / 8] >> (it->i % 8)) & 1;
        if (content)
                *content = mailacct_siphash13_final(&c);
        it->i++;
        it->off = end;
        return 1;
}

uint64_t mailacct_ldap_entry_identity(const struct mailacct_ldap_entry *e)
{
        static const uint8_t key[16] = "mailacct-ldap-id";
        struct mailacct_siphash h;
        uint8_t kind = (uint8_t)e->kind;

        mailacct_siphash13_init(&h, key);
        mailacct_siphash13_update(&h, &kind, 1);
        if (e->key_len) {
                mailacct_siphash13_update(&h, "K", 1);
                mailacct_siphash13_update(&h, e->key, e->key_len);
        } else {
                /* no key: the DN, as DNs compare (without case) */
                mailacct_siphash13_update(&h, "D", 1);
                for (size_t i = 0; i < e->dn_len; i++) {
                        char ch = mailacct_fold_char(e->dn[i]);
                        mailacct_siphash13_update(&h, &ch, 1);
                }
        }
        return mailacct_siphash13_final(&h);
}
