/* SPDX-License-Identifier: MIT */
/* A delta beside a compiled index without a directory server: for the
 * lookup benchmark with a delta (bench/delta-bench.py, `make bench-delta`).
 *
 *   delta_gen INDEX CONF   writes INDEX.delta: the changes that turn the
 *                          index into what CONF (another configuration
 *                          file) builds, recorded with the index's own
 *                          stamps so that readers take the pair as current
 *
 * It calls the writer an incremental `mailacct sync` calls
 * (mailacct_delta_write()), with no limit on the keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "directory.h"
#include "file.h"
#include "index.h"
#include "stamp.h"

int main(int argc, char **argv)
{
        struct mailacct_dir *base = NULL, *full = NULL;
        struct mailacct_stamp stamps[64];
        struct mailacct_index_meta meta;
        struct mailacct_delta_stats st;
        struct mailacct_diags diags;
        const struct mailacct_index *ix;
        char why[1024], path[4096];
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: delta_gen INDEX CONF\n");
                return 2;
        }
        if (mailacct_dir_open_index(argv[1], &base, why, sizeof(why)) < 0) {
                fprintf(stderr, "delta_gen: %s\n", why);
                return 1;
        }
        mailacct_diags_init(&diags);
        r = mailacct_file_load(argv[2], &full, &diags, NULL);
        if (r < 0) {
                fprintf(stderr, "delta_gen: %s: cannot load (%d)\n", argv[2], r);
                return 1;
        }
        ix = mailacct_dir_index(base);
        memset(&meta, 0, sizeof(meta));
        meta.conf_path = mailacct_index_conf_path(ix);
        meta.flags = mailacct_index_flags(ix);
        for (size_t i = 0; i < mailacct_index_n_stamps(ix) && i < 64; i++)
                if (mailacct_index_stamp(ix, i, &stamps[meta.n_stamps]) == 0)
                        meta.n_stamps++;
        meta.stamps = stamps;
        if (mailacct_delta_path(argv[1], path, sizeof(path)) < 0)
                return 1;
        r = mailacct_delta_write(base, full, &meta, path, (size_t)-1, &st, why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "delta_gen: %s\n", why);
                return 1;
        }
        printf("keys=%zu mailboxes=%u changed=%u added=%u removed=%u\n", st.keys, st.mailboxes, st.changed, st.added,
               st.removed);
        mailacct_dir_free(full);
        mailacct_dir_free(base);
        mailacct_diags_clear(&diags);
        return 0;
}
