/* SPDX-License-Identifier: MIT */
/* Any bytes through the import parsers (source/import/): the first byte
 * picks the format; for passwd the input splits at the first "\n--\n" into
 * the passwd text and the shadow text. No crash, no read out of bounds,
 * and what comes out is what the command writes into a configuration: an
 * address with one '@' and a domain, strings without NUL, a password only
 * with a kind that says what it is, ids below (uid_t)-1. */
#include "fuzz.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const struct mailacct_import_entry *e)
{
        const char *at;

        FZ_ASSERT(e->address != NULL, "an entry without an address");
        at = strrchr(e->address, '@');
        FZ_ASSERT(at && at != e->address && at[1] && !memchr(e->address, '@', (size_t)(at - e->address)),
                  "not local@domain: %s", e->address);
        FZ_ASSERT((e->pw == MAILACCT_IMPORT_PW_CRYPT || e->pw == MAILACCT_IMPORT_PW_PLAIN) == (e->password != NULL),
                  "password kind %d with%s a value", e->pw, e->password ? "" : "out");
        FZ_ASSERT(!e->has_uid || e->uid != UINT32_MAX, "uid (uid_t)-1");
        FZ_ASSERT(!e->has_gid || e->gid != UINT32_MAX, "gid (gid_t)-1");
        FZ_ASSERT(e->enabled >= -1 && e->enabled <= 1, "enabled %d", e->enabled);
        for (size_t i = 0; i < e->aliases.n; i++)
                FZ_ASSERT(e->aliases.v[i][0] != '\0', "an empty alias");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mailacct_import_opts o = {.file = "fuzz", .min_uid = 1000};
        struct mailacct_import_set set = {0};
        struct mailacct_diags diags;
        enum mailacct_import_format f;
        const uint8_t *text, *sep;
        size_t len;

        if (size < 1)
                return 0;
        f = (enum mailacct_import_format)(data[0] % 4);
        text = data + 1;
        len = size - 1;
        /* every other input has a --domain */
        o.domain = data[0] & 4 ? "example.com" : NULL;
        if (f == MAILACCT_IMPORT_PASSWD) {
                o.domain = "example.com";
                sep = memmem(text, len, "\n--\n", 4);
                if (sep) {
                        o.shadow = (const char *)sep + 4;
                        o.shadow_len = len - (size_t)(sep + 4 - text);
                        len = (size_t)(sep - text) + 1;
                }
        }
        mailacct_diags_init(&diags);
        if (mailacct_import_parse(f, (const char *)text, len, &o, &set, &diags) == 0)
                for (size_t i = 0; i < set.n; i++)
                        check_entry(&set.v[i]);
        mailacct_import_set_free(&set);
        mailacct_diags_clear(&diags);
        return 0;
}
