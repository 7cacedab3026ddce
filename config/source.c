/* SPDX-License-Identifier: MIT */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "confscan.h"
#include "index.h"
#include "trust.h"

int mailacct_source_index_path(const char *conf_path, char *buf, size_t len)
{
        struct mailacct_conf_scan scan;
        char why[512];
        int n;

        /* a real lexer of libconfig's syntax, not libconfig: a reader learns
         * where the index is without building the configuration's tree */
        if (mailacct_conf_scan(conf_path, MAILACCT_SCAN_INDEX_ONLY, &scan, why, sizeof(why)) < 0)
                return snprintf(buf, len, "%s", MAILACCT_INDEX_DEFAULT) < (int)len ? 0 : -ERANGE;
        n = snprintf(buf, len, "%s", scan.index ? scan.index : MAILACCT_INDEX_DEFAULT);
        mailacct_conf_scan_free(&scan);
        return n < (int)len ? 0 : -ERANGE;
}

int mailacct_source_open(const char *conf_path, struct mailacct_dir **out, struct mailacct_diags *diags,
                         enum mailacct_source_kind *kind, bool *stale)
{
        char ipath[4096];

        return mailacct_source_open_at(conf_path,
                                       mailacct_source_index_path(conf_path, ipath, sizeof(ipath)) == 0 ? ipath : NULL,
                                       out, diags, kind, stale);
}

int mailacct_source_open_at(const char *conf_path, const char *ipath, struct mailacct_dir **out,
                            struct mailacct_diags *diags, enum mailacct_source_kind *kind, bool *stale)
{
        return mailacct_source_open_note(conf_path, ipath, out, diags, kind, stale, NULL, 0);
}

int mailacct_source_open_note(const char *conf_path, const char *ipath, struct mailacct_dir **out,
                              struct mailacct_diags *diags, enum mailacct_source_kind *kind, bool *stale, char *note,
                              size_t notelen)
{
        struct mailacct_index_source src;
        struct mailacct_index *ix = NULL;
        char why[1024];
        struct stat st;
        int r, fd;

        *out = NULL;
        if (kind)
                *kind = MAILACCT_SOURCE_CONFIG;
        if (stale)
                *stale = false;
        if (note && notelen)
                note[0] = '\0';
        /* the index stands in for the configuration only while that file is
         * exactly the one it was compiled from, and only for a configuration
         * this process trusts: one it does not is refused by the loader below */
        fd = ipath ? mailacct_trust_open(conf_path, 0, &st, why, sizeof(why)) : -1;
        if (fd >= 0) {
                close(fd);
                mailacct_index_source_of(&st, &src);
                r = mailacct_index_open(ipath, &ix, why, sizeof(why));
                if (r == 0 && mailacct_index_matches(ix, &src)) {
                        struct mailacct_dir *d = mailacct_dir_new();
                        if (!d) {
                                mailacct_index_close(ix);
                                return -ENOMEM;
                        }
                        d->ix = ix;
                        if (mailacct_index_settings(ix, d) == 0) {
                                d->finalized = true;
                                *out = d;
                                if (kind)
                                        *kind = MAILACCT_SOURCE_INDEX;
                                return 0;
                        }
                        mailacct_dir_free(d); /* closes ix */
                        ix = NULL;
                        r = -EBADMSG;
                        snprintf(why, sizeof(why), "%s: damaged settings", ipath);
                } else if (r == 0)
                        snprintf(why, sizeof(why), "%s was compiled from another version of %s", ipath, conf_path);
                if (stale && r != -ENOENT)
                        *stale = true;
                if (note && r != -ENOENT)
                        snprintf(note, notelen, "%s", why);
                mailacct_index_close(ix);
        }
        return mailacct_config_load(conf_path, out, diags);
}
