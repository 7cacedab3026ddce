/* SPDX-License-Identifier: MIT */
/* The secrets payload of a compiled index: address -> crypt(3) hash, and
 * the hash that failures without one are verified against. Its file has the
 * owner and mode of the secrets file it stands for, and is trusted as that
 * file is (lib/trust.h, secret). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "ixfile.h"
#include "strutil.h"

int mailacct_index_write_secret_entries(size_t n, mailacct_secret_entry_fn entry, void *ctx, const char *burn,
                                        const struct mailacct_stamp *stamp, const char *path, const struct stat *like,
                                        char *err, size_t errlen)
{
        struct mailacct_index_meta meta = {.stamps = stamp, .n_stamps = 1};
        struct mailacct_hashmap *map = NULL, *empty = NULL;
        struct ix_writer *w = ix_writer_new(err, errlen);
        int r = -ENOMEM;

        if (!w)
                return -ENOMEM;
        map = mailacct_hashmap_new(n);
        empty = mailacct_hashmap_new(1);
        if (!map || !empty)
                goto out;
        ix_writer_meta(w, &meta);
        /* the last line for an address wins, as in the file */
        for (size_t i = n; i-- > 0;) {
                const char *addr, *hash;
                char *key;
                uint32_t dummy;
                if (entry(i, ctx, &addr, &hash) < 0 || !(key = mailacct_strdup_fold(addr)))
                        goto out;
                if (!mailacct_hashmap_get(map, key, &dummy, 1))
                        r = mailacct_hashmap_add(map, key, ix_pool_str(w, hash));
                else
                        r = 0;
                free(key);
                if (r < 0)
                        goto out;
        }
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                r = ix_write_table(w, (enum mailacct_table)t, t == MAILACCT_T_ADDRESS ? map : empty, NULL);
                if (r < 0)
                        goto out;
        }
        w->h.kind = IX_KIND_SECRETS;
        w->h.any_hash = ix_pool_str(w, burn);
        r = ix_emit(w, path, like->st_mode & 07777, like->st_uid, like->st_gid, err, errlen);
out:
        if (r == -ENOMEM)
                snprintf(err, errlen, "out of memory");
        mailacct_hashmap_free(map);
        mailacct_hashmap_free(empty);
        ix_writer_free(w);
        return r;
}

int mailacct_index_open_secrets(const char *path, struct mailacct_index **out, struct stat *st, char *why, size_t len)
{
        return ix_open(path, IX_KIND_SECRETS, out, st, why, len);
}

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
        n = ix_get(ix, MAILACCT_T_ADDRESS, key, &off, 1);
        if (n < 0 || n > 1 || (n == 1 && (ix_pool_get(ix, off, &hash) < 0 || !hash))) {
                *damaged = true;
                return NULL;
        }
        return n == 1 ? hash : NULL;
}

const char *mailacct_index_any_secret(const struct mailacct_index *ix)
{
        const char *h = NULL;

        return ix_pool_get(ix, ix->h->any_hash, &h) < 0 ? NULL : h;
}
