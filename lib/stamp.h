/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

/* What an index was built from, as readers can check it again: a file by
 * its identity (a chmod or chown changes ctime: the file is judged again),
 * or an LDAP sync by what it pulled and when. */
enum mailacct_stamp_kind {
        MAILACCT_STAMP_FILE = 1, /* the configuration, an @included file */
        MAILACCT_STAMP_LDAP = 2, /* path: the servers' bases; mtime: the last pull */
};

struct mailacct_stamp {
        enum mailacct_stamp_kind kind;
        const char *path;
        uint64_t dev, ino, size;
        int64_t mtime_ns, ctime_ns;
};

void mailacct_stamp_of(const char *path, const struct stat *st, struct mailacct_stamp *s);
/* The same identity (path aside). */
bool mailacct_stamp_same(const struct mailacct_stamp *a, const struct mailacct_stamp *b);
/* A file stamp against the file as it is now: 1 unchanged, 0 changed or
 * gone. Other kinds are not files: 1. */
int mailacct_stamp_current(const struct mailacct_stamp *s);
