/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The secrets file: lines "ADDRESS:CRYPT-HASH", '#' comments, blank lines.
 * Kept apart from the configuration so that the configuration may be world
 * readable (the NSS module reads it in every process) while hashes are not. */
struct mailacct_secrets;

/* Pure parser. On a malformed line returns -EINVAL with *bad_line set. */
int mailacct_secrets_parse(const char *buf, size_t len, struct mailacct_secrets **out, int *bad_line);

/* Opens, checks the mode (no access for others, no write for the group),
 * reads and parses. check_mode is false only for `mailacct check`, which
 * reports a bad mode as a finding and goes on. err receives a sentence on failure. Returns 0, -EACCES
 * (bad mode), -ENOENT, -EINVAL (malformed), or another -errno. */
int mailacct_secrets_load(const char *path, bool check_mode, struct mailacct_secrets **out, char *err, size_t errlen);

/* The same, always parsing the file itself (never PATH.idx): for writing
 * the index and for `mailacct passwd`. */
int mailacct_secrets_load_file(const char *path, struct mailacct_secrets **out, char *err, size_t errlen);

/* Mode check alone, shared by the loader and `mailacct check`. */
int mailacct_secrets_check_mode(const struct stat *st, char *err, size_t errlen);

const char *mailacct_secrets_get(const struct mailacct_secrets *s, const char *address);
/* The hash a failure that knows none (an unknown user, an invalid login, a
 * mailbox without a line, a line crypt(3) cannot read) is verified against,
 * so that it costs what a wrong password costs: a real hash of the file's
 * slowest setting, each distinct setting timed once (by `mailacct compile`
 * into the secrets index, else here on first use, once per file and
 * process). NULL when the file has no usable hash. */
const char *mailacct_secrets_any(const struct mailacct_secrets *s);
/* How many distinct settings (scheme and cost) a parsed file holds; 0 for an
 * index. More than one: users of a cheaper one can be told apart by time. */
size_t mailacct_secrets_settings(const struct mailacct_secrets *s);
size_t mailacct_secrets_count(const struct mailacct_secrets *s);
/* Entry i (address and hash), in file order; for `mailacct passwd`. */
int mailacct_secrets_entry(const struct mailacct_secrets *s, size_t i, const char **address, const char **hash);
/* The line of the file entry i came from (0 for an index). */
int mailacct_secrets_line(const struct mailacct_secrets *s, size_t i);
void mailacct_secrets_free(struct mailacct_secrets *s);

/* Writes the secrets index of the parsed file at secrets_path (st: that
 * file as it was read) to path, with the file's owner and mode: one lookup
 * per login instead of a parse. */
int mailacct_secrets_write_index(const struct mailacct_secrets *s, const char *secrets_path, const struct stat *st,
                                 const char *path, char *err, size_t errlen);

/* The hashes `mailacct sync` kept from the directory's userPassword
 * ({CRYPT} values), beside the index: INDEX.secrets (docs/ARCHITECTURE.md,
 * "Passwords from the directory"). A secrets index keyed by the entry's DN,
 * trusted as the secrets file is. */
#define MAILACCT_SYNCED_SUFFIX ".secrets"
int mailacct_secrets_synced_path(const char *index_path, char *buf, size_t len);
/* Opens index_path's synced hashes: 0, -ENOENT (none: the sync kept no
 * hash), -EPERM (not trusted), -EBADMSG/-EPROTO (damaged, another format),
 * -errno; err says why, with the path. Look a hash up with
 * mailacct_secrets_get(s, DN); mailacct_secrets_any() is their slowest. */
int mailacct_secrets_open_synced(const char *index_path, struct mailacct_secrets **out, char *err, size_t errlen);
/* Writes index_path's synced hashes: n entries (entry(i) gives a DN and a
 * hash crypt(3) can verify), root's (the writer's) and 0600, through the
 * atomic writer, with their slowest setting timed now; n == 0 removes the
 * file instead. pulled_ns: when the pull began (the file's stamp). The
 * caller holds the writer lock. 0, or -errno with err set. */
int mailacct_secrets_write_synced(const char *index_path, size_t n,
                                  int (*entry)(size_t i, void *ctx, const char **dn, const char **hash), void *ctx,
                                  int64_t pulled_ns, char *err, size_t errlen);
