/* SPDX-License-Identifier: MIT */
/* What an incremental sync (RFC 4533 refreshOnly, or AD's uSNChanged) learns from the server,
 * and what it makes of the last sync's entries: the entries added or
 * changed since the cookie (copied whole, the last message for an entry
 * winning), the entryUUIDs deleted, and, for a search whose server ran a
 * present phase, the entryUUIDs still there. An entry of the store stays
 * unless it changed, was deleted, or went unnamed through a present phase.
 * Pure: no libldap type, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "entry.h"

struct mailacct_ldap_changes;

/* searches: how many searches the run makes (a base and a filter each). */
struct mailacct_ldap_changes *mailacct_ldap_changes_new(size_t searches);
void mailacct_ldap_changes_free(struct mailacct_ldap_changes *c);

/* An entry added or changed, found by search. 0, -ENOMEM. */
int mailacct_ldap_changes_entry(struct mailacct_ldap_changes *c, size_t search, const struct mailacct_ldap_entry *e);
/* An entryUUID (as text) deleted, or present in a present phase. */
int mailacct_ldap_changes_uuid(struct mailacct_ldap_changes *c, size_t search, enum mailacct_ldap_kind kind,
                               const char *uuid, bool present);
/* An object AD's uSNChanged names as changed, moved away or deleted (key:
 * its objectGUID, raw): the last sync's entry of that key, of either kind,
 * stays only if a search of this run sent it again. */
int mailacct_ldap_changes_touched(struct mailacct_ldap_changes *c, const char *key, size_t key_len);
/* The search ended; refresh_deletes false: it ran a present phase. */
void mailacct_ldap_changes_done(struct mailacct_ldap_changes *c, size_t search, bool refresh_deletes);

/* After every search: whether e, an entry of the last sync that search
 * found, stays as it is. */
bool mailacct_ldap_changes_keeps(struct mailacct_ldap_changes *c, size_t search, const struct mailacct_ldap_entry *e);
/* The entries added or changed, each once. */
size_t mailacct_ldap_changes_count(const struct mailacct_ldap_changes *c);
const struct mailacct_ldap_entry *mailacct_ldap_changes_at(const struct mailacct_ldap_changes *c, size_t i);
/* How many entryUUIDs the server said are gone. */
size_t mailacct_ldap_changes_deleted(const struct mailacct_ldap_changes *c);
