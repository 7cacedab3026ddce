/* SPDX-License-Identifier: MIT */
/* What a sync changes against the last one, and whether the removal limit
 * lets it: the summary's counts and the fail-safe. The last sync is its
 * store (store.h): every entry's identity (entryUUID or objectGUID, else
 * the DN: a rename is a change, not a removal and an addition), a hash of
 * what it held, and whether it made it into the directory. Memory: 16 to 32
 * bytes an old entry, 9 a new one. No libldap type, no I/O but the old
 * store's pages. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "entry.h"
#include "store.h"

struct mailacct_ldap_diff;

/* old may be NULL (the first sync). */
struct mailacct_ldap_diff *mailacct_ldap_diff_new(const struct mailacct_ldap_store *old);
void mailacct_ldap_diff_free(struct mailacct_ldap_diff *d);

/* A new entry as the pull stores it (ordinal: 0, 1, ... in order). */
int mailacct_ldap_diff_note(struct mailacct_ldap_diff *d, uint32_t ordinal, const struct mailacct_ldap_entry *e,
                            uint64_t content);
/* Whether new entry ordinal is in the directory (declared: yes; left out
 * by the mapping or the builder: no). */
void mailacct_ldap_diff_accept(struct mailacct_ldap_diff *d, uint32_t ordinal, bool accepted);

enum mailacct_ldap_change {
        MAILACCT_LDAP_SAME = 0,
        MAILACCT_LDAP_ADDED,
        MAILACCT_LDAP_CHANGED,
        MAILACCT_LDAP_LEFT_OUT,
};

struct mailacct_ldap_counts {
        uint32_t seen, added, changed, removed, left_out;
        /* the fail-safe's: mailboxes of the last sync, and of them removed
         * (gone, or left out now) */
        uint32_t last_mailboxes, removed_mailboxes;
};

/* Once every entry is noted and judged. */
void mailacct_ldap_diff_count(struct mailacct_ldap_diff *d, struct mailacct_ldap_counts *c);
enum mailacct_ldap_change mailacct_ldap_diff_change(const struct mailacct_ldap_diff *d, uint32_t ordinal);
/* Whether entry ordinal of the old store is removed (after _count()). */
bool mailacct_ldap_diff_removed(const struct mailacct_ldap_diff *d, uint32_t old_ordinal);

/* The fail-safe: more than max_removal percent of the last sync's
 * mailboxes, and more than 3 of them. */
bool mailacct_ldap_removal_refused(uint32_t last_mailboxes, uint32_t removed_mailboxes, unsigned max_removal);
