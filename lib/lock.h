/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* The writer lock: every writer (compile, passwd, sync, import, the units)
 * holds it for its whole read-build-write, so that two never interleave and
 * none renames an older state over a newer one. An flock(2) on INDEX.lock
 * beside the index (in the state folder), created 0600; waits up to
 * timeout_s seconds (0: not at all). Returns the descriptor to give to
 * mailacct_lock_release(), or -errno (-EWOULDBLOCK: held elsewhere) with
 * err set. */
int mailacct_lock_take(const char *index_path, unsigned timeout_s, char *err, size_t errlen);
void mailacct_lock_release(int fd);
