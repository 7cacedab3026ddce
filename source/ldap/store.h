/* SPDX-License-Identifier: MIT */
/* The synced entries, kept beside the index (NAME.idx.ldap, docs/
 * ARCHITECTURE.md): every entry the last successful pull returned, as the
 * server sent the attributes the rules read, so that `mailacct compile`
 * builds the index again from the file and the store without asking the
 * directory (an edit of the file's domains or policies never drops the
 * directory's mailboxes), and the next sync knows what it adds, changes and
 * removes. Also the sync's state: what it was pulled with and from, and
 * room for what an incremental run continues from (a cookie, a USN).
 *
 * Written by the sync only, under the writer lock, through lib/atomic.c
 * (0600, root's); read like the index: trusted by lib/trust.c, every length
 * bounds-checked and the whole file under a checksum, so a damaged or
 * truncated store is refused, never half-read. No libldap type. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "entry.h"

#define MAILACCT_LDAP_STORE_SUFFIX ".ldap"

/* Keys of the sync-state record (values are bytes). */
#define MAILACCT_LDAP_STATE_SERVER "server" /* the uri that answered */
#define MAILACCT_LDAP_STATE_METHOD "method" /* the incremental method: rfc4533, usn, dirsync, none */
#define MAILACCT_LDAP_STATE_BASES  "bases"  /* the bases searched, one a line */
/* the incremental sync's: the RFC 4533 cookies (cli/sync.c: one per base
 * and filter, hex, a line each); on AD, the DC's highestCommittedUSN at the
 * start of the last sync (decimal) and its invocationId (hex) */
#define MAILACCT_LDAP_STATE_COOKIE     "cookie"
#define MAILACCT_LDAP_STATE_USN        "highestCommittedUSN"
#define MAILACCT_LDAP_STATE_INVOCATION "invocationId"

/* ---- writing ------------------------------------------------------------------ */

struct mailacct_ldap_store_writer;

/* Starts a store replacing path (a temporary file until commit). pulled_ns:
 * when the pull began. NULL with err set. path NULL: a dry run's, which
 * writes nothing and only counts and hashes (never committed). */
struct mailacct_ldap_store_writer *mailacct_ldap_store_begin(const char *path, enum mailacct_ldap_schema schema,
                                                             uint64_t fingerprint, int64_t pulled_ns, char *err,
                                                             size_t errlen);
/* Appends an entry; *ordinal is its number (0, 1, ...) and *content a hash
 * of what it holds (kind, DN, attributes), for telling a change. 0,
 * -E2BIG (a length over the store's bounds), -errno. */
int mailacct_ldap_store_put(struct mailacct_ldap_store_writer *w, const struct mailacct_ldap_entry *e,
                            uint32_t *ordinal, uint64_t *content);
/* Whether entry ordinal made it into the directory (default: no). */
int mailacct_ldap_store_accept(struct mailacct_ldap_store_writer *w, uint32_t ordinal, bool accepted);
/* The AD domains' NetBIOS names, as the directory's crossRef gives them. */
int mailacct_ldap_store_put_netbios(struct mailacct_ldap_store_writer *w, const char *dns, const char *netbios);
int mailacct_ldap_store_put_state(struct mailacct_ldap_store_writer *w, const char *key, const void *value, size_t len);
/* Writes the rest and renames it into place. 0, or -errno with err set.
 * Frees w either way. */
int mailacct_ldap_store_commit(struct mailacct_ldap_store_writer *w, char *err, size_t errlen);
/* Removes the temporary file. NULL-safe. */
void mailacct_ldap_store_abort(struct mailacct_ldap_store_writer *w);

/* ---- reading ------------------------------------------------------------------ */

struct mailacct_ldap_store;

/* Opens, checks trust, bounds and checksum. -ENOENT none, -EPERM not
 * trusted, -EPROTO another format (or byte order), -EBADMSG damaged; why
 * set. */
int mailacct_ldap_store_open(const char *path, struct mailacct_ldap_store **out, char *why, size_t len);
void mailacct_ldap_store_close(struct mailacct_ldap_store *s);

uint32_t mailacct_ldap_store_count(const struct mailacct_ldap_store *s);
/* How many of its entries made it into the directory, of which mailboxes. */
uint32_t mailacct_ldap_store_accepted(const struct mailacct_ldap_store *s, uint32_t *mailboxes);
int64_t mailacct_ldap_store_pulled(const struct mailacct_ldap_store *s);
uint64_t mailacct_ldap_store_fingerprint(const struct mailacct_ldap_store *s);
enum mailacct_ldap_schema mailacct_ldap_store_schema(const struct mailacct_ldap_store *s);
/* A state value: 0 with *p and *len, -ENOENT. */
int mailacct_ldap_store_state(const struct mailacct_ldap_store *s, const char *key, const void **p, size_t *len);
/* The NetBIOS name of the AD domain dns (folded), NULL when unknown. */
const char *mailacct_ldap_store_netbios(const struct mailacct_ldap_store *s, const char *dns);

/* Entries one after the other, as they were written. */
struct mailacct_ldap_store_iter;
struct mailacct_ldap_store_iter *mailacct_ldap_store_iter_new(const struct mailacct_ldap_store *s);
void mailacct_ldap_store_iter_free(struct mailacct_ldap_store_iter *it);
/* 1 with *e (valid until the next call), its ordinal, whether it made it
 * into the directory and its content hash; 0 at the end; -EBADMSG,
 * -ENOMEM. */
int mailacct_ldap_store_next(struct mailacct_ldap_store_iter *it, struct mailacct_ldap_entry *e, uint32_t *ordinal,
                             bool *accepted, uint64_t *content);

/* The 64-bit identity of an entry across syncs: its kind and key (entryUUID,
 * objectGUID), or its DN (folded) when it has none. */
uint64_t mailacct_ldap_entry_identity(const struct mailacct_ldap_entry *e);
