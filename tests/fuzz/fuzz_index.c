/* SPDX-License-Identifier: MIT */
/* Any bytes as a compiled index (directory or secrets kind): opened as the
 * modules open it, then every login form of the test directories resolved
 * and every record read through the accessors. No crash, no sanitizer
 * report, and every answer within the resolver's contract.
 *
 * Two builds of this file:
 * - fuzz_index: the bytes as they are. Almost every mutation breaks the
 *   header's checksum, so this one tries the checks at the door.
 * - fuzz_index_sealed (-DFUZZ_RESEAL): after mutating a valid index, the
 *   harness recomputes every checksum (header, records, table entries,
 *   slots) as the writer would, so the mutated counts, offsets and lengths
 *   reach the bounds checks behind the checksums. This is the index a
 *   buggy writer, or someone who can write the file, would produce.
 *
 * lib/index.c is included rather than linked: the harness needs its private
 * layout to reseal, and to move the mapping onto a heap block of the exact
 * size, so that ASan sees a read one byte past the end (a mapping is
 * readable up to the end of its last page). */
#include "../../lib/index.c"

#include "fuzz.h"
#include "secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const logins[] = {
        "jdoe", "JDOE", "john.doe", "EXAMPLE\\jdoe", "EXAMPLE/jdoe", "example.com\\jdoe", "jdoe@example.com",
        "john@example.com", "jdoe@example.org", "EXAMPLE\\assistant\\jdoe", "EXAMPLE\\assistant\\jdoe@example.com",
        "EXAMPLE\\bigboss", "EXAMPLE\\intern\\boss@example.com", "EXAMPLE\\sales\\jdoe", "user", "SITE1\\user",
        "user@site2.org.com", "we*ird", "100%", "sales", "partner", "partner@elsewhere.net", "jdoe@mail.example.com",
        "jdoe@EXAMPLE", "OTHER\\jdoe", "nobody", "assistant", "boss@example.com", "intern", "MaryM", "EXAMPLE\\MaryM",
        "support", "former", "longname", "noids", "reseller", "info", "postmaster",
};

#ifdef FUZZ_RESEAL
static bool get32(const uint8_t *b, size_t size, uint64_t off, uint32_t *v)
{
        if (off > size || size - off < 4)
                return false;
        memcpy(v, b + off, 4);
        return true;
}

static void put32(uint8_t *b, uint64_t off, uint32_t v)
{
        memcpy(b + off, &v, 4);
}

/* The strings of a record must end inside the pool before the writer's sum
 * can be taken (the writer's own precondition). */
static bool strings_ok(const struct mailacct_index *ix, const uint32_t *s, size_t n)
{
        const char *str;

        for (size_t i = 0; i < n; i++)
                if (pool_get(ix, s[i], &str) < 0)
                        return false;
        return true;
}

static void reseal(uint8_t *b, size_t size)
{
        struct ix_header h;
        struct mailacct_index ix;

        if (size < sizeof(h))
                return;
        memcpy(&h, b, sizeof(h));
        h.file_size = size;
        ix = (struct mailacct_index){ .base = b, .size = size, .h = &h };
        if (span_ok(&ix, h.pool_off, h.pool_size) && h.pool_size) {
                ix.pool = (const char *)b + h.pool_off;
                for (uint32_t i = 0; i < h.n_domains && i < 4096; i++) {
                        uint64_t at = h.domains_off + (uint64_t)i * sizeof(struct ix_domain);
                        struct ix_domain r;
                        if (!span_ok(&ix, at, sizeof(r)))
                                break;
                        memcpy(&r, b + at, sizeof(r));
                        uint32_t s[] = { r.name, r.netbios, r.home, r.shell };
                        if (strings_ok(&ix, s, 4))
                                put32(b, at, record_check(h.sipkey, ix.pool, &r, sizeof(r), s, 4, NULL, 0));
                }
                for (uint32_t i = 0; i < h.n_mailboxes && i < 4096; i++) {
                        uint64_t at = h.mailboxes_off + (uint64_t)i * h.mailbox_stride;
                        struct ix_mailbox r;
                        size_t svc_len = 0;
                        bool ok = true;
                        if (!span_ok(&ix, at, sizeof(r)))
                                break;
                        memcpy(&r, b + at, sizeof(r));
                        uint32_t s[] = { r.address, r.local, r.nt_domain, r.nt_account, r.name, r.home, r.shell };
                        if (!strings_ok(&ix, s, 7) || r.n_services > 64 || r.n_delegates > (1u << 20))
                                continue;
                        for (uint32_t k = 0, o = r.services; ok && k < r.n_services; k++) {
                                const char *str;
                                ok = o != 0 && pool_get(&ix, o, &str) == 0;
                                if (ok) {
                                        svc_len += strlen(str) + 1;
                                        o += (uint32_t)strlen(str) + 1;
                                }
                        }
                        size_t extra = svc_len + (size_t)r.n_delegates * sizeof(uint32_t);
                        if (!ok || (extra && (r.services >= h.pool_size || extra > h.pool_size - r.services)))
                                continue;
                        put32(b, at,
                              record_check(h.sipkey, ix.pool, &r, sizeof(r), s, 7, ix.pool + r.services, extra));
                }
                for (uint32_t i = 0; i < h.n_contacts && i < 4096; i++) {
                        uint64_t at = h.contacts_off + (uint64_t)i * sizeof(struct ix_contact);
                        struct ix_contact r;
                        if (!span_ok(&ix, at, sizeof(r)))
                                break;
                        memcpy(&r, b + at, sizeof(r));
                        uint32_t s[] = { r.alias, r.address };
                        if (strings_ok(&ix, s, 2))
                                put32(b, at, record_check(h.sipkey, ix.pool, &r, sizeof(r), s, 2, NULL, 0));
                }
        }
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                const struct ix_table *tb = &h.tables[t];
                if (!span_ok(&ix, tb->slots_off, (uint64_t)tb->cap * sizeof(struct ix_slot)))
                        continue;
                for (uint32_t j = 0; j < tb->cap; j++) {
                        uint64_t at = tb->slots_off + (uint64_t)j * sizeof(struct ix_slot);
                        uint32_t h32, entry, hdr[3];
                        if (!get32(b, size, at, &h32) || !get32(b, size, at + 4, &entry) || h32 == 0)
                                continue;
                        put32(b, at + 8, slot_check(h.sipkey, h32, entry, j));
                        /* the entry it points to */
                        if (entry % 4 || !span_ok(&ix, h.entries_off, h.entries_size) || entry > h.entries_size ||
                            h.entries_size - entry < sizeof(hdr))
                                continue;
                        const uint8_t *e = b + h.entries_off + entry;
                        size_t room = h.entries_size - entry, ids_at;
                        memcpy(hdr, e, sizeof(hdr));
                        ids_at = (sizeof(hdr) + hdr[1] + 1 + 3) & ~(size_t)3;
                        if (hdr[1] > IX_STR_MAX || ids_at > room || hdr[2] > (room - ids_at) / sizeof(uint32_t))
                                continue;
                        put32(b, h.entries_off + entry,
                              check32(h.sipkey, e + 4, ids_at - 4 + (size_t)hdr[2] * sizeof(uint32_t)));
                }
        }
        if (ix.pool) {
                uint32_t s[] = { h.def_home, h.def_shell, h.secrets, h.any_hash };
                if (strings_ok(&ix, s, 4))
                        h.check = header_check(&h, ix.pool);
        }
        memcpy(b, &h, sizeof(h));
}
#endif

/* Moves the mapping onto a heap block of the file's exact size. */
static void *onto_heap(struct mailacct_index *ix)
{
        uint8_t *copy = malloc(ix->size);

        if (!copy)
                abort();
        memcpy(copy, ix->base, ix->size);
        munmap((void *)ix->base, ix->size);
        ix->base = copy;
        ix->h = (const struct ix_header *)copy;
        ix->pool = (const char *)copy + ix->h->pool_off;
        return copy;
}

static void release(struct mailacct_index *ix, void *copy)
{
        free(copy);
        free(ix);
}

static void directory(const char *path)
{
        char why_unused[512];
        struct mailacct_index *ix;
        struct mailacct_dir *d;
        struct mailacct_result r;
        void *copy;

        if (mailacct_index_open(path, &ix, why_unused, sizeof(why_unused)) < 0)
                return;
        copy = onto_heap(ix);
        d = mailacct_dir_new();
        if (!d)
                abort();
        d->ix = ix;
        if (mailacct_index_settings(ix, d) == 0) {
                for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
                        int ret = mailacct_resolve(d, logins[i], &r);
                        fz_check_result(d, logins[i], ret, &r);
                }
                fz_walk(d, 256);
                for (uid_t u = 4999; u < 5012; u++)
                        (void)mailacct_dir_find_uid(d, u);
        }
        /* the directory owns no entries, and the index is ours to free */
        d->ix = NULL;
        d->n_domains = d->n_mailboxes = d->n_contacts = 0;
        mailacct_dir_free(d);
        release(ix, copy);
}

static void secrets(const char *path)
{
        static const char *const addresses[] = { "jdoe@example.com", "JDOE@Example.COM", "assistant@example.com",
                                                 "we*ird@example.com", "nobody@nowhere.invalid", "" };
        struct mailacct_index *ix;
        char why[512];
        void *copy;

        if (mailacct_index_open_secrets(path, &ix, NULL, why, sizeof(why)) < 0)
                return;
        copy = onto_heap(ix);
        for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
                bool damaged;
                const char *h = mailacct_index_secret(ix, addresses[i], &damaged);
                FZ_ASSERT(!(h && damaged), "\"%s\": a hash from a damaged index", addresses[i]);
                if (h)
                        (void)strlen(h);
        }
        {
                const char *any = mailacct_index_any_secret(ix);
                if (any)
                        (void)strlen(any);
        }
        release(ix, copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *path = fz_path(0, "fuzz.idx");
#ifdef FUZZ_RESEAL
        uint8_t *b = malloc(size ? size : 1);

        if (!b)
                return 0;
        memcpy(b, data, size);
        reseal(b, size);
        fz_write(path, b, size, 0644);
        free(b);
#else
        fz_write(path, data, size, 0644);
#endif
        directory(path);
        secrets(path);
        return 0;
}
