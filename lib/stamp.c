/* SPDX-License-Identifier: MIT */
#include "stamp.h"

#include <string.h>

void mailacct_stamp_of(const char *path, const struct stat *st, struct mailacct_stamp *s)
{
        memset(s, 0, sizeof(*s));
        s->kind = MAILACCT_STAMP_FILE;
        s->path = path;
        s->dev = st->st_dev;
        s->ino = st->st_ino;
        s->size = (uint64_t)st->st_size;
        s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
        s->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

bool mailacct_stamp_same(const struct mailacct_stamp *a, const struct mailacct_stamp *b)
{
        return a->kind == b->kind && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
               a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

int mailacct_stamp_current(const struct mailacct_stamp *s)
{
        struct mailacct_stamp now;
        struct stat st;

        if (s->kind != MAILACCT_STAMP_FILE)
                return 1;
        if (!s->path || stat(s->path, &st) < 0)
                return 0;
        mailacct_stamp_of(s->path, &st, &now);
        return mailacct_stamp_same(s, &now);
}
