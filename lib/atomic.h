/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Replacing a file so that a reader sees the old one or the new one, never
 * half of either: a temporary file in the same folder, owner and mode set
 * before a byte is written, fsync, rename over the name, fsync of the
 * folder. Every writer of the project goes through this. */
struct mailacct_atomic;

/* Starts a replacement of path with the given mode (and owner, unless -1).
 * Returns NULL with err set. */
struct mailacct_atomic *mailacct_atomic_begin(const char *path, mode_t mode, uid_t uid, gid_t gid, char *err,
                                              size_t errlen);
/* The temporary file's descriptor, to write to. */
int mailacct_atomic_fd(const struct mailacct_atomic *a);
/* The temporary file's path: a writer may read what it wrote (import loads
 * the configuration it is about to put in place) before committing. */
const char *mailacct_atomic_temp_path(const struct mailacct_atomic *a);
/* Appends n bytes (in pieces of chunk bytes, 0: at once). 0 or -errno. */
int mailacct_atomic_write(struct mailacct_atomic *a, const void *p, size_t n, size_t chunk);
/* fsync, rename, fsync of the folder; frees a. 0 or -errno with err set. */
int mailacct_atomic_commit(struct mailacct_atomic *a, char *err, size_t errlen);
/* Removes the temporary file; frees a. NULL-safe. */
void mailacct_atomic_abort(struct mailacct_atomic *a);
