/* SPDX-License-Identifier: MIT */
/* An entry's userPassword, for the hashes a sync keeps (docs/
 * ARCHITECTURE.md, "Passwords from the directory"): the first {CRYPT}
 * value in the server's order, if crypt(3) can verify it and a secrets
 * line could hold it; every other scheme only named and counted, never
 * guessed at. Pure: no I/O, no logging, no libldap type; the hash is never
 * part of any sentence this file writes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "password.h"

#define MAILACCT_LDAP_USERPASSWORD "userPassword"
/* Scheme names told apart in a summary; the rest are "other". */
#define MAILACCT_LDAP_SCHEMES_MAX 8
#define MAILACCT_LDAP_SCHEME_LEN  24

struct mailacct_ldap_password {
        /* the kept hash, NUL-terminated, without "{CRYPT}"; "" when none */
        char hash[MAILACCT_PASSWORD_MAX + 1];
        uint32_t n_values;
        /* the first {CRYPT} value is not kept: why (static), else NULL */
        const char *refused;
        /* the schemes of the other values, as "{SSHA}", "{SSHA512}", "no
         * scheme", "{?}" for a name that is not one; each once */
        char other[MAILACCT_LDAP_SCHEMES_MAX][MAILACCT_LDAP_SCHEME_LEN];
        size_t n_other;
};

/* Whether an attribute's name (as the server spells it, options
 * included) is userPassword. */
bool mailacct_ldap_is_userpassword(const char *name);
/* Reads e's userPassword into *out (wiped first). Returns 1 when e has a
 * value, 0 when none. */
int mailacct_ldap_password(const struct mailacct_ldap_entry *e, struct mailacct_ldap_password *out);
/* Wipes *p (the hash). */
void mailacct_ldap_password_clear(struct mailacct_ldap_password *p);

/* A sync's counts, for its summary line. */
struct mailacct_ldap_password_counts {
        uint32_t kept;     /* entries whose {CRYPT} hash was kept */
        uint32_t several;  /* entries with more than one value */
        uint32_t refused;  /* entries whose first {CRYPT} value was not kept */
        uint32_t not_kept; /* entries with values, none of them {CRYPT} */
        struct {
                char name[MAILACCT_LDAP_SCHEME_LEN];
                uint32_t n; /* entries with a value of that scheme */
        } schemes[MAILACCT_LDAP_SCHEMES_MAX];
        size_t n_schemes;
        uint32_t other_schemes; /* past MAILACCT_LDAP_SCHEMES_MAX names */
};
void mailacct_ldap_password_count(struct mailacct_ldap_password_counts *c, const struct mailacct_ldap_password *p);
/* "3 {CRYPT} hashes kept, 1 entry with several values (the first {CRYPT}
 * kept), 2 entries without a {CRYPT} value; other schemes, not synced:
 * {SSHA} 2, no scheme 1" (entries with a value of each scheme). */
void mailacct_ldap_password_summary(const struct mailacct_ldap_password_counts *c, char *buf, size_t len);
