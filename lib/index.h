/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "directory.h"
#include "stamp.h"

/* A compiled index: one file a process maps and answers from without parsing
 * anything. Two payloads share the container (lib/ixfile.c): a directory
 * (lib/ixdir.c) and the secrets (lib/ixsecrets.c). */
struct mailacct_index;

/* What the index records besides the directory: what it was built from, and
 * the configuration whose index it is. */
struct mailacct_index_meta {
        const char *conf_path;
        unsigned flags; /* IX_F_INDEX_SETTING, IX_F_LDAP (ixformat.h) */
        const struct mailacct_stamp *stamps;
        size_t n_stamps;
};

/* Maps a directory index and checks its header (magic, version, sizes,
 * checksum). Every later access is bounds-checked and checksummed: a damaged
 * index gives -EBADMSG, never another mailbox. A file this process may not
 * trust (lib/trust.h) is never mapped: -EPERM; another format version:
 * -EPROTO; why says which and why. */
int mailacct_index_open(const char *path, struct mailacct_index **out, char *why, size_t len);
void mailacct_index_close(struct mailacct_index *ix);

/* The index's record of its sources. */
size_t mailacct_index_n_stamps(const struct mailacct_index *ix);
int mailacct_index_stamp(const struct mailacct_index *ix, size_t i, struct mailacct_stamp *s);
/* Whether every file it was built from is as it was (stats each). */
bool mailacct_index_current(const struct mailacct_index *ix);
/* The path of the first file stamp that no longer matches its file, or
 * NULL when every one does (points into the index). */
const char *mailacct_index_changed(const struct mailacct_index *ix);
const char *mailacct_index_conf_path(const struct mailacct_index *ix);
unsigned mailacct_index_flags(const struct mailacct_index *ix);
/* When it was written (ns since the epoch). */
int64_t mailacct_index_built(const struct mailacct_index *ix);

/* The directory an opened index holds; the directory owns ix from then on
 * (mailacct_dir_free() closes it). */
int mailacct_dir_from_index(struct mailacct_index *ix, struct mailacct_dir **out);
/* The same from a path: mailacct_index_open() then mailacct_dir_from_index(). */
int mailacct_dir_open_index(const char *path, struct mailacct_dir **out, char *why, size_t len);
/* The index a directory was mapped from (NULL for a built one). */
const struct mailacct_index *mailacct_dir_index(const struct mailacct_dir *d);

/* Writes a built directory to path atomically (lib/atomic.c) with mode. A
 * large one is laid out in unlinked files in path's folder, not in memory
 * (the same bytes). */
int mailacct_index_write(const struct mailacct_dir *d, const struct mailacct_index_meta *meta, const char *path,
                         mode_t mode, char *err, size_t errlen);
/* The same for a writer that frees d right after (compile, sync): d's
 * lookup tables are freed as they are written, so the index's tables and
 * the directory's are never in memory at once. Afterwards d is only fit
 * for mailacct_dir_free(). */
int mailacct_index_write_consume(struct mailacct_dir *d, const struct mailacct_index_meta *meta, const char *path,
                                 mode_t mode, char *err, size_t errlen);

/* ---- the delta index (lib/ixdelta.c) ----------------------------------------- */

/* Beside the base: INDEX.delta. */
#define MAILACCT_DELTA_SUFFIX ".delta"
/* A delta past this many keys (or 1% of its base's keys, whichever is
 * larger) makes a full build instead. */
#define MAILACCT_DELTA_KEYS 10000
int mailacct_delta_path(const char *index_path, char *buf, size_t len);

/* Opens the delta at path for the base it must name: 0 with *out, -ENOENT
 * (none), -ESTALE (it names another base: obsolete, the base in place
 * holds its changes already), -EPERM (not trusted), -EPROTO (another
 * format), -EBADMSG (damaged); why says which. */
int mailacct_delta_open(const char *path, const struct mailacct_index *base, struct mailacct_index **out, char *why,
                        size_t len);
/* The directory of a base (mapped from an index) and a delta that names
 * it: lookups ask the delta first. Takes both on success; on failure the
 * delta only (closed), base stays the caller's. -EBADMSG: the delta's
 * settings, ids or filter are damaged; -EINVAL: base is no index's. */
int mailacct_dir_with_delta(struct mailacct_dir *base, struct mailacct_index *delta, struct mailacct_dir **out);
/* The delta of a directory made by mailacct_dir_with_delta(), else NULL. */
const struct mailacct_index *mailacct_dir_delta(const struct mailacct_dir *d);
/* How many keys a delta beside base may hold. */
size_t mailacct_delta_limit(const struct mailacct_index *base);

struct mailacct_delta_stats {
        uint32_t added, changed, removed; /* mailboxes, against the base */
        uint32_t mailboxes;               /* records the delta holds (tombstones too) */
        size_t keys;                      /* keys whose answer differs from the base's */
};

/* Writes to path (atomically) the delta that turns base (a directory mapped
 * from an index, never one with a delta) into full (a built directory): the
 * records of every mailbox that changed, was added or is gone, and every
 * key whose answer differs, with its whole new list. Cumulative: it
 * replaces any delta beside base. -EXDEV with err saying why when a delta
 * cannot hold the change (settings, domains or contacts changed; more
 * keys than limit): a full build is due. meta: as for the full index. */
int mailacct_delta_write(const struct mailacct_dir *base, const struct mailacct_dir *full,
                         const struct mailacct_index_meta *meta, const char *path, size_t limit,
                         struct mailacct_delta_stats *st, char *err, size_t errlen);

/* ---- the secrets index (lib/ixsecrets.c) ------------------------------------- */

/* address -> hash for n entries (entry(i) gives the i-th line's; the last
 * line for an address wins), and burn, the hash failures without one are
 * verified against. Written with the owner and mode of the secrets file it
 * stands for (like); stamp: that file. */
typedef int (*mailacct_secret_entry_fn)(size_t i, void *ctx, const char **address, const char **hash);
int mailacct_index_write_secret_entries(size_t n, mailacct_secret_entry_fn entry, void *ctx, const char *burn,
                                        const struct mailacct_stamp *stamp, const char *path, const struct stat *like,
                                        char *err, size_t errlen);
int mailacct_index_open_secrets(const char *path, struct mailacct_index **out, struct stat *st, char *why, size_t len);
/* The hash for address, NULL when there is none; *damaged when the index
 * could not be trusted for the answer. */
const char *mailacct_index_secret(const struct mailacct_index *ix, const char *address, bool *damaged);
const char *mailacct_index_any_secret(const struct mailacct_index *ix);
