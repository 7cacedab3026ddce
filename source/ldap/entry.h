/* SPDX-License-Identifier: MIT */
/* A directory entry as the sources of this folder hand it around: from the
 * server (pull.c, out of libldap's messages), from the store beside the
 * index (store.c), from a test or a fuzzer. Plain bytes: no libldap type,
 * values are not NUL-terminated and may hold any byte (they are untrusted
 * input, see map.h). */
#pragma once

#include <stddef.h>

enum mailacct_ldap_kind {
        MAILACCT_LDAP_MAILBOX = 1, /* found by the mailboxes' filter */
        MAILACCT_LDAP_CONTACT = 2, /* found by the contacts' filter */
};

struct mailacct_ldap_val {
        const char *p;
        size_t len;
};

struct mailacct_ldap_attr {
        const char *name; /* as the server spells it (compared without case), NUL-terminated */
        const struct mailacct_ldap_val *v;
        size_t n;
};

struct mailacct_ldap_entry {
        enum mailacct_ldap_kind kind;
        const char *dn; /* NUL-terminated */
        size_t dn_len;
        /* what names the entry across renames: entryUUID or objectGUID (raw
         * bytes); len 0 when the server gave none (the DN names it then) */
        const char *key;
        size_t key_len;
        const struct mailacct_ldap_attr *attrs;
        size_t n_attrs;
};
