/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

#include "directory.h"
#include "source.h"

/* One opened directory, shared by every lookup that started while it was
 * current. A reload swaps in a new snapshot; lookups still holding the old
 * one finish on it, so no lookup ever sees a half-replaced directory. */
struct mailacct_snapshot {
        atomic_uint refs;
        struct mailacct_dir *dir; /* NULL: this version of the files is unusable */
        struct mailacct_source_status status;
        int error; /* mailacct_source_open()'s answer: -EIO when it failed closed */
        char *path;
        atomic_llong logged_s; /* when a face last logged status.note (CLOCK_MONOTONIC s), 0: never */
};

/* The directory of the configuration at path, by the policy of
 * mailacct_source_open(), opened once and again when a file it came from
 * (the configuration, an include, the index) changes. Files are looked at
 * again at most once a second: a lookup costs no system call, and a
 * recompiled index is seen within a second. A new path is opened at once.
 * Returns 0 with *out holding a reference, -ENOMEM, or -EIO when the
 * configuration is missing, unreadable, invalid or fails closed. Never reads
 * the secrets file, never logs. */
int mailacct_snapshot_get(const char *path, struct mailacct_snapshot **out);
/* The snapshot the last failed mailacct_snapshot_get() for path refused,
 * for its status note; a reference, or NULL. */
struct mailacct_snapshot *mailacct_snapshot_failed(const char *path);
/* NULL-safe. */
void mailacct_snapshot_put(struct mailacct_snapshot *s);
/* Whether a face should log s's note now: once a minute at most. */
bool mailacct_snapshot_note_due(struct mailacct_snapshot *s);

/* For pthread_atfork: a child must not inherit the lock held by a thread
 * that does not exist there. */
void mailacct_cache_lock(void);
void mailacct_cache_unlock(void);
