/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Which files a process may believe. The configuration, the secrets, their
 * indexes and every state file decide who logs in where: one that someone
 * else could have written is someone else's directory. The model is
 * OpenSSH's StrictModes (safe_path()):
 *
 * - a regular file, opened without following a symbolic link;
 * - owned by root, or by the user the process runs as when the process is
 *   not privileged (not root, not setuid/setgid: getauxval(AT_SECURE));
 *   a root or set-id process trusts only root's files;
 * - not writable by its group or by others;
 * - every folder from it up to "/" owned likewise and not writable by its
 *   group or others unless it is sticky (as /tmp is: no one may replace a
 *   file of another there).
 *
 * A secrets file (MAILACCT_TRUST_SECRET) may also not be readable by others.
 * Refusals are -EPERM with a sentence starting "refused: " that names what
 * is at fault (the file, or the folder by its path), its owner and its mode;
 * other errors are -errno with strerror's text. The file's own path is not
 * in the sentence: callers write "PATH: WHY". */
enum {
        MAILACCT_TRUST_SECRET = 1u << 0, /* no read access for others either */
};

/* Whether a file owned by uid may be trusted by this process. */
bool mailacct_trust_owner(uid_t uid);

/* Opens path read-only (O_NOFOLLOW, O_CLOEXEC) and checks it and its folders.
 * Returns the descriptor with *st filled, or -EPERM / -errno with why set. */
int mailacct_trust_open(const char *path, unsigned flags, struct stat *st, char *why, size_t len);

/* The same checks on a file that is already open (st from fstat) at path. */
int mailacct_trust_check(const char *path, const struct stat *st, unsigned flags, char *why, size_t len);

/* The folder checks alone, for a writer about to create a file in dir. */
int mailacct_trust_dir(const char *dir, char *why, size_t len);

/* The owner of st as a name ("root", "nobody", or "uid 1234"). */
void mailacct_trust_owner_name(uid_t uid, char *buf, size_t len);
