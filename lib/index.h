/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct mailacct_dir;
struct mailacct_index;
struct mailacct_mbox_view;
struct mailacct_domain_view;
struct mailacct_contact_view;

/* The lookup tables of a directory, in memory and in the compiled index. */
enum mailacct_table {
        MAILACCT_T_DOMAIN = 0, /* name, alias, NetBIOS -> domain */
        MAILACCT_T_NTDOMAIN,   /* NT domains known only from nt_account */
        MAILACCT_T_ADDRESS,    /* local@domain of primary and secondary addresses */
        MAILACCT_T_ALIAS_AT,   /* unused and empty (the bare table filtered by domain serves); kept so that the other
                                  tables keep their numbers */
        MAILACCT_T_BARE,       /* bare-alias sets */
        MAILACCT_T_NT,         /* NTDOMAIN\account */
        MAILACCT_T_UID,        /* uid -> mailboxes (at most two kept: "one" or "many") */
        MAILACCT_T_CONTACT_ALIAS,
        MAILACCT_T_CONTACT_ADDRESS,
        MAILACCT_T_MAILDOMAIN, /* name, alias -> domain (no NetBIOS: rule 1) */
        _MAILACCT_T_MAX,
};

/* What the index was built from: a reader uses it only while the
 * configuration file is still that one. */
struct mailacct_index_source {
        uint64_t dev, ino, size, mtime_sec, mtime_nsec;
};

void mailacct_index_source_of(const struct stat *st, struct mailacct_index_source *src);

/* Writes d to path atomically (temporary file in the same folder, fsync,
 * rename, fsync of the folder) with the given mode. err gets a sentence. */
int mailacct_index_write(const struct mailacct_dir *d, const struct mailacct_index_source *src, const char *path,
                         mode_t mode, char *err, size_t errlen);

/* The secrets index: address -> hash for n entries (entry(i) gives the
 * i-th line's; the last line for an address wins), and burn, the hash that
 * failures without one are verified against. Written with the owner and
 * mode of the secrets file it stands for (like). mailacct_secrets_write_index()
 * calls this for a parsed secrets file. */
typedef int (*mailacct_secret_entry_fn)(size_t i, void *ctx, const char **address, const char **hash);
int mailacct_index_write_secret_entries(size_t n, mailacct_secret_entry_fn entry, void *ctx, const char *burn,
                                        const struct mailacct_index_source *src, const char *path,
                                        const struct stat *like, char *err, size_t errlen);
int mailacct_index_open_secrets(const char *path, struct mailacct_index **out, struct stat *st, char *why, size_t len);
const char *mailacct_index_secret(const struct mailacct_index *ix, const char *address, bool *damaged);
const char *mailacct_index_any_secret(const struct mailacct_index *ix);

/* Maps path and checks the header (magic, version, sizes, checksum). Every
 * later access is bounds-checked and checksummed: a damaged index gives
 * -EBADMSG, never another mailbox. A file this process may not trust
 * (trust.h) is never mapped: -EPERM, with why saying which and why. */
int mailacct_index_open(const char *path, struct mailacct_index **out, char *why, size_t len);
void mailacct_index_close(struct mailacct_index *ix);
bool mailacct_index_matches(const struct mailacct_index *ix, const struct mailacct_index_source *src);

/* Fills a directory handle whose data live in the index (d->ix). */
int mailacct_index_settings(const struct mailacct_index *ix, struct mailacct_dir *d);

/* The global defaults (uid, gid, home, shell) as a domain view. */
int mailacct_index_defaults(const struct mailacct_index *ix, struct mailacct_domain_view *v);

/* Returns how many values key has (writing up to max), or -EBADMSG. */
/* Starts fetching the first slot key would probe in table t; no answer, no
 * check (a lookup that follows does both). */
void mailacct_index_prefetch(const struct mailacct_index *ix, enum mailacct_table t, const char *key);
long mailacct_index_get(const struct mailacct_index *ix, enum mailacct_table t, const char *key, uint32_t *out,
                        size_t max);
int mailacct_index_mailbox(const struct mailacct_index *ix, uint32_t id, struct mailacct_mbox_view *v);
int mailacct_index_domain(const struct mailacct_index *ix, uint32_t id, struct mailacct_domain_view *v);
int mailacct_index_contact(const struct mailacct_index *ix, uint32_t id, struct mailacct_contact_view *v);
/* Service list and delegates of a mailbox record already verified. */
bool mailacct_index_allows_service(const struct mailacct_index *ix, uint32_t id, const char *service);
int mailacct_index_is_delegate(const struct mailacct_index *ix, uint32_t id, uint32_t principal);
