/* SPDX-License-Identifier: MIT */
#include "hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* 12 bytes: 32 bits of the key's hash place the slot (scaled to the table,
 * which needs no power of two) and spare most string compares; a table of a
 * million mailboxes' addresses is a third of the builder's memory. */
struct slot {
        uint32_t h32; /* 0 marks an empty slot */
        uint32_t key_off;
        uint32_t value;
};

struct mailacct_hashmap {
        struct slot *slots;
        size_t cap, used; /* at most half full */
        char *arena;
        size_t arena_len, arena_cap;
        uint8_t sipkey[16];
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
        do {                       \
                v0 += v1;          \
                v1 = ROTL(v1, 13); \
                v1 ^= v0;          \
                v0 = ROTL(v0, 32); \
                v2 += v3;          \
                v3 = ROTL(v3, 16); \
                v3 ^= v2;          \
                v0 += v3;          \
                v3 = ROTL(v3, 21); \
                v3 ^= v0;          \
                v2 += v1;          \
                v1 = ROTL(v1, 17); \
                v1 ^= v2;          \
                v2 = ROTL(v2, 32); \
        } while (0)

/* SipHash reads little-endian words; one unaligned load, not eight. */
static uint64_t load64(const uint8_t *p)
{
        uint64_t v;

        memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        return v;
}

uint64_t mailacct_siphash13(const uint8_t key[16], const void *data, size_t len)
{
        const uint8_t *in = data, *end = in + (len & ~(size_t)7);
        uint64_t k0 = load64(key), k1 = load64(key + 8);
        uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
        uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
        uint64_t b = (uint64_t)len << 56, m;

        for (; in != end; in += 8) {
                m = load64(in);
                v3 ^= m;
                SIPROUND;
                v0 ^= m;
        }
        for (size_t i = 0; i < (len & 7); i++)
                b |= (uint64_t)in[i] << (8 * i);
        v3 ^= b;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

void mailacct_siphash13_init(struct mailacct_siphash *s, const uint8_t key[16])
{
        uint64_t k0 = load64(key), k1 = load64(key + 8);

        s->v0 = 0x736f6d6570736575ULL ^ k0;
        s->v1 = 0x646f72616e646f6dULL ^ k1;
        s->v2 = 0x6c7967656e657261ULL ^ k0;
        s->v3 = 0x7465646279746573ULL ^ k1;
        s->ntail = s->total = 0;
}

static void sip_block(struct mailacct_siphash *s, uint64_t m)
{
        uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;

        v3 ^= m;
        SIPROUND;
        v0 ^= m;
        s->v0 = v0, s->v1 = v1, s->v2 = v2, s->v3 = v3;
}

void mailacct_siphash13_update(struct mailacct_siphash *s, const void *data, size_t len)
{
        const uint8_t *in = data;

        s->total += len;
        while (len && s->ntail) {
                s->tail[s->ntail++] = *in++;
                len--;
                if (s->ntail == 8) {
                        sip_block(s, load64(s->tail));
                        s->ntail = 0;
                }
        }
        for (; len >= 8; in += 8, len -= 8)
                sip_block(s, load64(in));
        while (len--)
                s->tail[s->ntail++] = *in++;
}

uint64_t mailacct_siphash13_final(struct mailacct_siphash *s)
{
        uint64_t b = (uint64_t)s->total << 56;
        uint64_t v0, v1, v2, v3;

        for (size_t i = 0; i < s->ntail; i++)
                b |= (uint64_t)s->tail[i] << (8 * i);
        sip_block(s, b);
        v0 = s->v0, v1 = s->v1, v2 = s->v2 ^ 0xff, v3 = s->v3;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t hash_of(const struct mailacct_hashmap *m, const char *key)
{
        uint32_t h = (uint32_t)(mailacct_siphash13(m->sipkey, key, strlen(key)) >> 32);
        return h ? h : 1;
}

/* the first slot of h: the hash scaled to the table */
static size_t home(uint32_t h, size_t cap)
{
        return (size_t)(((uint64_t)h * cap) >> 32);
}

static size_t next(size_t j, size_t cap)
{
        return j + 1 == cap ? 0 : j + 1;
}

struct mailacct_hashmap *mailacct_hashmap_new(size_t expect)
{
        struct mailacct_hashmap *m = calloc(1, sizeof(*m));
        /* half full with what is expected: the first growth would come then */
        size_t cap = expect * 2 + 2 > 16 ? expect * 2 + 2 : 16;

        if (!m)
                return NULL;
        m->slots = calloc(cap, sizeof(*m->slots));
        m->cap = cap;
        /* GRND_NONBLOCK: an NSS module must never stall a process at boot;
         * a weak key only weakens flooding resistance, never correctness. */
        if (getrandom(m->sipkey, sizeof(m->sipkey), GRND_NONBLOCK) != sizeof(m->sipkey))
                memcpy(m->sipkey, &m, sizeof(m) < 16 ? sizeof(m) : 16);
        if (!m->slots) {
                free(m);
                return NULL;
        }
        return m;
}

void mailacct_hashmap_drop_slots(struct mailacct_hashmap *m)
{
        free(m->slots);
        m->slots = NULL;
        m->cap = m->used = 0;
}

void mailacct_hashmap_free(struct mailacct_hashmap *m)
{
        if (!m)
                return;
        free(m->slots);
        free(m->arena);
        free(m);
}

static int grow(struct mailacct_hashmap *m)
{
        size_t ncap = m->cap * 2;
        struct slot *ns = calloc(ncap, sizeof(*ns));

        if (!ns)
                return -ENOMEM;
        for (size_t i = 0; i < m->cap; i++) {
                size_t j;
                if (!m->slots[i].h32)
                        continue;
                for (j = home(m->slots[i].h32, ncap); ns[j].h32; j = next(j, ncap))
                        ;
                ns[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
        return 0;
}

/* unique: refuse a key another value holds (*other gets it): 0 */
static int add(struct mailacct_hashmap *m, const char *key, uint32_t value, bool unique, uint32_t *other)
{
        size_t klen = strlen(key) + 1, j;
        uint32_t h = hash_of(m, key);
        uint32_t off = UINT32_MAX;

        /* at most half full: an add walks the whole run of its key to
         * share the bytes, and short runs keep loading a directory fast */
        if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
                return -ENOMEM;
        /* share the key bytes with an equal key already present */
        for (j = home(h, m->cap); m->slots[j].h32; j = next(j, m->cap))
                if (m->slots[j].h32 == h && strcmp(m->arena + m->slots[j].key_off, key) == 0) {
                        /* a mailbox listing one alias twice counts once */
                        if (m->slots[j].value == value)
                                return 1;
                        if (unique) {
                                *other = m->slots[j].value;
                                return 0;
                        }
                        off = m->slots[j].key_off;
                }
        if (off == UINT32_MAX) {
                if (m->arena_len + klen > UINT32_MAX)
                        return -E2BIG;
                if (m->arena_len + klen > m->arena_cap) {
                        size_t ncap = m->arena_cap ? m->arena_cap * 2 : 4096;
                        char *na;
                        while (ncap < m->arena_len + klen)
                                ncap *= 2;
                        na = realloc(m->arena, ncap);
                        if (!na)
                                return -ENOMEM;
                        m->arena = na;
                        m->arena_cap = ncap;
                }
                memcpy(m->arena + m->arena_len, key, klen);
                off = (uint32_t)m->arena_len;
                m->arena_len += klen;
        }
        m->slots[j] = (struct slot){.h32 = h, .key_off = off, .value = value};
        m->used++;
        return 1;
}

int mailacct_hashmap_add(struct mailacct_hashmap *m, const char *key, uint32_t value)
{
        int r = add(m, key, value, false, NULL);

        return r < 0 ? r : 0;
}

int mailacct_hashmap_add_unique(struct mailacct_hashmap *m, const char *key, uint32_t value, uint32_t *other)
{
        return add(m, key, value, true, other);
}

uint32_t mailacct_hashmap_key_place(const struct mailacct_hashmap *m, const char *key)
{
        return (uint32_t)(key - m->arena);
}

const char *mailacct_hashmap_key_at(const struct mailacct_hashmap *m, uint32_t place)
{
        return m->arena + place;
}

size_t mailacct_hashmap_get(const struct mailacct_hashmap *m, const char *key, uint32_t *out, size_t max)
{
        uint32_t h = hash_of(m, key);
        size_t n = 0;

        for (size_t j = home(h, m->cap); m->slots[j].h32; j = next(j, m->cap)) {
                if (m->slots[j].h32 != h || strcmp(m->arena + m->slots[j].key_off, key) != 0)
                        continue;
                if (n < max)
                        out[n] = m->slots[j].value;
                n++;
        }
        return n;
}

bool mailacct_hashmap_next(const struct mailacct_hashmap *m, size_t *pos, const char **key, uint32_t *value)
{
        for (; *pos < m->cap; (*pos)++) {
                if (!m->slots[*pos].h32)
                        continue;
                *key = m->arena + m->slots[*pos].key_off;
                *value = m->slots[*pos].value;
                (*pos)++;
                return true;
        }
        return false;
}

size_t mailacct_hashmap_size(const struct mailacct_hashmap *m)
{
        return m->used;
}
