/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "directory.h"
#include "index.h"
#include "source.h"

/* One opened directory, shared by every lookup that started while it was
 * current. A reload swaps in a new snapshot; lookups still holding the old
 * one finish on it, so no lookup ever sees a half-replaced directory. */
struct mailacct_snapshot {
        atomic_uint refs;
        struct mailacct_dir *dir; /* NULL: this version of the files is unusable */
        enum mailacct_source_kind kind;
        bool stale_index;  /* an index exists but was not used */
        char note[512];    /* why not: stale, not trusted, damaged, another version */
        atomic_bool noted; /* set by the first caller that logged note */
        char *path;
        struct mailacct_index_source conf, index; /* index.ino == 0: none */
};

/* The directory of the configuration at path: its compiled index when that
 * matches, else the file itself, opened once and opened again when either
 * file changes. Files are looked at again at most once a second: a lookup
 * costs no system call, and a recompiled index is seen within a second. A new
 * path is opened at once. Returns 0 with *out holding a reference, -ENOMEM,
 * or -EIO when the configuration is missing, unreadable or invalid. Never
 * reads the secrets file, never logs. */
int mailacct_snapshot_get(const char *path, struct mailacct_snapshot **out);
/* NULL-safe. */
void mailacct_snapshot_put(struct mailacct_snapshot *s);

/* For pthread_atfork: a child must not inherit the lock held by a thread
 * that does not exist there. */
void mailacct_cache_lock(void);
void mailacct_cache_unlock(void);
