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
 * The harness includes the index's layout (lib/ixformat.h) and its
 * container's private header (lib/ixfile.h): to reseal, and to move the
 * mapping onto a heap block of the exact size, so that ASan sees a read one
 * byte past the end (a mapping is readable up to the end of its last page). */
#include <sys/mman.h>

#include "fuzz.h"
#include "ixfile.h"
#include "ixformat.h"
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
/* Every checksum as the writer would compute it (mailacct_ix_seal), and the
 * size the header must claim. */
static void reseal(uint8_t *b, size_t size)
{
        struct ix_header h;

        if (size < sizeof(h))
                return;
        memcpy(&h, b, sizeof(h));
        h.file_size = size;
        memcpy(b, &h, sizeof(h));
        (void)mailacct_ix_seal(b, size);
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
        ix->heap = true; /* mailacct_index_close() frees it */
        return copy;
}

static void directory(const char *path)
{
        char why_unused[512];
        struct mailacct_index *ix;
        struct mailacct_dir *d;
        struct mailacct_result r;

        if (mailacct_index_open(path, &ix, why_unused, sizeof(why_unused)) < 0)
                return;
        (void)onto_heap(ix);
        if (mailacct_dir_from_index(ix, &d) < 0) {
                mailacct_index_close(ix);
                return;
        }
        for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
                int ret = mailacct_resolve(d, logins[i], &r);
                fz_check_result(d, logins[i], ret, &r);
        }
        fz_walk(d, 256);
        for (uid_t u = 4999; u < 5012; u++)
                (void)mailacct_dir_find_uid(d, u);
        for (size_t i = 0; i < mailacct_index_n_stamps(ix); i++) {
                struct mailacct_stamp st;
                if (mailacct_index_stamp(ix, i, &st) == 0 && st.path)
                        (void)strlen(st.path);
        }
        mailacct_dir_free(d); /* closes ix */
}

static void secrets(const char *path)
{
        static const char *const addresses[] = { "jdoe@example.com", "JDOE@Example.COM", "assistant@example.com",
                                                 "we*ird@example.com", "nobody@nowhere.invalid", "" };
        struct mailacct_index *ix;
        char why[512];

        if (mailacct_index_open_secrets(path, &ix, NULL, why, sizeof(why)) < 0)
                return;
        (void)onto_heap(ix);
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
        mailacct_index_close(ix);
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
