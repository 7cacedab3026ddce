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
#include "index.h"

/* The head of the file that is scanned for `index = "...";`. */
#define HEAD_MAX 16384

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* Pure: finds a top-level `index = "PATH";` (or ':') in text before anything
 * that opens a group or list. Returns 1 and the path, 0 when absent. */
static int scan_head(const char *text, size_t n, char *out, size_t len)
{
        const char *p = text, *end = text + n;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p)), *q = p, *v;
                if (!eol)
                        break; /* a partial last line is not trusted */
                while (q < eol && is_blank(*q))
                        q++;
                if (q < eol && memchr(q, '{', (size_t)(eol - q)))
                        return 0;
                if (q < eol && memchr(q, '(', (size_t)(eol - q)))
                        return 0;
                if ((size_t)(eol - q) > 5 && memcmp(q, "index", 5) == 0 &&
                    (is_blank(q[5]) || q[5] == '=' || q[5] == ':')) {
                        q += 5;
                        while (q < eol && is_blank(*q))
                                q++;
                        if (q < eol && (*q == '=' || *q == ':'))
                                q++;
                        while (q < eol && is_blank(*q))
                                q++;
                        if (q < eol && *q == '"') {
                                v = ++q;
                                while (q < eol && *q != '"' && *q != '\\')
                                        q++;
                                if (q < eol && *q == '"' && (size_t)(q - v) < len && q > v) {
                                        memcpy(out, v, (size_t)(q - v));
                                        out[q - v] = '\0';
                                        return 1;
                                }
                        }
                        return 0;
                }
                p = eol + 1;
        }
        return 0;
}

int mailacct_source_index_path(const char *conf_path, char *buf, size_t len)
{
        char head[HEAD_MAX], path[4096];
        const char *slash;
        ssize_t n = 0;
        int fd;

        fd = open(conf_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
                n = read(fd, head, sizeof(head));
                close(fd);
        }
        if (n <= 0 || !scan_head(head, (size_t)n, path, sizeof(path)))
                return snprintf(buf, len, "%s", MAILACCT_INDEX_DEFAULT) < (int)len ? 0 : -ERANGE;
        slash = strrchr(conf_path, '/');
        if (path[0] == '/' || !slash)
                return snprintf(buf, len, "%s", path) < (int)len ? 0 : -ERANGE;
        return snprintf(buf, len, "%.*s/%s", (int)(slash - conf_path), conf_path, path) < (int)len ? 0 : -ERANGE;
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
        struct mailacct_index_source src;
        struct mailacct_index *ix = NULL;
        struct stat st;
        int r;

        *out = NULL;
        if (kind)
                *kind = MAILACCT_SOURCE_CONFIG;
        if (stale)
                *stale = false;
        /* the index stands in for the configuration only while that file is
         * exactly the one it was compiled from */
        /* a configuration others may write is refused by the loader below;
         * its index must not stand in for it */
        if (ipath && stat(conf_path, &st) == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH))) {
                mailacct_index_source_of(&st, &src);
                r = mailacct_index_open(ipath, &ix);
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
                }
                if (stale && r != -ENOENT)
                        *stale = true;
                mailacct_index_close(ix);
        }
        return mailacct_config_load(conf_path, out, diags);
}
