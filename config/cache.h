/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdatomic.h>
#include <sys/stat.h>

#include "directory.h"

/* One loaded directory, shared by every lookup that started while it was
 * current. A reload swaps in a new snapshot; lookups still holding the old
 * one finish on it, so no lookup ever sees a half-replaced directory. */
struct mailacct_nss_snapshot {
        atomic_uint refs;
        struct mailacct_dir *dir; /* NULL: this version of the file is unusable */
        char *path;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtim;
};

/* The directory named by $MAILACCT_CONF (secure_getenv) or /etc/mailacct.conf,
 * loaded once and reloaded when the file's identity, size or mtime change.
 * Returns 0 with *out holding a reference, -ENOMEM, or -EIO when the
 * configuration is missing, unreadable or invalid (every cause is the same
 * answer to NSS: UNAVAIL). Never reads the secrets file, never logs. */
int mailacct_nss_snapshot_get(struct mailacct_nss_snapshot **out);
/* NULL-safe. */
void mailacct_nss_snapshot_put(struct mailacct_nss_snapshot *s);

/* For pthread_atfork: a child must not inherit the lock held by a thread
 * that does not exist there. */
void mailacct_nss_cache_lock(void);
void mailacct_nss_cache_unlock(void);
