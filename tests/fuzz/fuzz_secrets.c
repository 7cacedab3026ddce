/* SPDX-License-Identifier: MIT */
/* Any bytes as a secrets file. The parser must take it or name the bad
 * line; when it takes it, every address must give the hash of its last line
 * (as `mailacct passwd` and an administrator's editor leave it), in any
 * case, from the parsed file, from the secrets index that `mailacct compile`
 * writes beside it, and through the loader that picks one of the two. */
#include <strings.h>

#include "fuzz.h"
#include "password.h"
#include "secrets.h"
#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The oracle: a plain scan for the last line of address. */
static const char *last_hash(const struct mailacct_secrets *s, const char *address)
{
        const char *a, *h, *found = NULL;

        for (size_t i = 0; mailacct_secrets_entry(s, i, &a, &h) == 0; i++)
                if (mailacct_streq_fold(a, address))
                        found = h;
        return found;
}

static void upper(char *dst, const char *src, size_t len)
{
        size_t i = 0;

        for (; src[i] && i + 1 < len; i++)
                dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : src[i]);
        dst[i] = '\0';
}

static void check_same(const char *what, const char *address, const char *want, const char *got)
{
        FZ_ASSERT((want == NULL) == (got == NULL) && (!want || strcmp(want, got) == 0),
                  "%s: \"%s\" gives \"%s\", its last line says \"%s\"", what, address, got ? got : "(none)",
                  want ? want : "(none)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *path = fz_path(0, "mailacct.secrets"), *ipath = fz_path(1, "mailacct.secrets.idx");
        struct mailacct_secrets *s = NULL, *loaded = NULL;
        struct mailacct_index *ix = NULL;
        const char *address, *hash;
        char err[512], up[MAILACCT_LOGIN_MAX + 8];
        struct stat st;
        int r, bad = 0;

        r = mailacct_secrets_parse((const char *)data, size, &s, &bad);
        if (r < 0) {
                FZ_ASSERT(s == NULL, "a result handed out with error %d", r);
                FZ_ASSERT(r != -EINVAL || (bad >= 1 && bad <= (int)size + 1), "malformed, but bad line %d", bad);
                return 0;
        }
        FZ_ASSERT(s != NULL, "parsed without a result");

        /* the file as written, its index, and the loader's choice */
        fz_write(path, data, size, 0600);
        if (stat(path, &st) < 0)
                abort();
        r = mailacct_secrets_write_index(s, path, &st, ipath, err, sizeof(err));
        /* refused only for a value readers would refuse (over 4095 bytes) */
        FZ_ASSERT(r == 0 || (r == -E2BIG && size > 4095), "the secrets index of a parsed file was not written: %s",
                  err);
        if (r == 0) {
                r = mailacct_index_open_secrets(ipath, &ix, NULL, err, sizeof(err));
                FZ_ASSERT(r == 0, "the secrets index just written does not open: %d", r);
        }
        r = mailacct_secrets_load(path, true, &loaded, err, sizeof(err));
        FZ_ASSERT(r == 0, "a file that parsed does not load: %s", err);
        FZ_ASSERT((mailacct_secrets_count(loaded) == 0) == (ix != NULL),
                  "the loader parsed although a current index exists, or the other way round");

        for (size_t i = 0; mailacct_secrets_entry(s, i, &address, &hash) == 0; i++) {
                const char *want = last_hash(s, address);
                bool damaged = true;

                FZ_ASSERT(*address && *hash && !strchr(hash, ':') && !strchr(hash, ' '),
                          "line %zu: address \"%s\", hash \"%s\"", i, address, hash);
                check_same("parsed", address, want, mailacct_secrets_get(s, address));
                if (ix) {
                        check_same("index", address, want, mailacct_index_secret(ix, address, &damaged));
                        FZ_ASSERT(!damaged, "\"%s\": the index just written is damaged", address);
                }
                check_same("loaded", address, want, mailacct_secrets_get(loaded, address));
                upper(up, address, sizeof(up));
                check_same("parsed, upper case", up, want, mailacct_secrets_get(s, up));
                check_same("loaded, upper case", up, want, mailacct_secrets_get(loaded, up));
        }
        /* the dummy work of unknown users uses a real hash from the file */
        {
                const char *any = mailacct_secrets_any(s), *a, *h;
                bool usable = false;
                for (size_t i = 0; mailacct_secrets_entry(s, i, &a, &h) == 0; i++)
                        usable |= mailacct_password_usable(h);
                /* the slowest usable setting, when there is one */
                FZ_ASSERT((any == NULL) == !usable, "no hash for the dummy work, or an unusable one");
                FZ_ASSERT(!any || mailacct_password_usable(any), "the dummy work's hash is not usable");
                if (ix)
                        check_same("any, index", "(any)", any, mailacct_index_any_secret(ix));
                check_same("any, loaded", "(any)", any, mailacct_secrets_any(loaded));
        }
        check_same("unknown address", "nobody@nowhere.invalid", last_hash(s, "nobody@nowhere.invalid"),
                   mailacct_secrets_get(loaded, "nobody@nowhere.invalid"));
        mailacct_index_close(ix);
        mailacct_secrets_free(loaded);
        mailacct_secrets_free(s);
        unlink(ipath);
        return 0;
}
