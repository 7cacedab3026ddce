/* SPDX-License-Identifier: MIT */
/* From a directory entry to the builder's mailbox or contact (lib/build.h),
 * by the rules of the `schema` and the `map` overrides. A pure function of
 * the entry, the configuration and two questions about the file's domains:
 * no I/O, no libldap type, no allocation per entry once warm; the sync, the
 * rebuild from the store, the unit tests and a fuzzer run the same code.
 *
 * Attribute values are untrusted (a user may edit some of their own): a
 * value holding a NUL byte, invalid UTF-8 or a control character, more than
 * 256 values in a list, a value over 4095 bytes, two primary addresses, a
 * number that is not one: the entry is left out, with the reason. Whatever
 * passes here still passes the builder's rules (the login parser, hosted
 * domains, collisions), as the file's values do. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "conf.h"
#include "entry.h"

/* What the mapping asks about the file's domains. */
struct mailacct_ldap_env {
        /* whether domain is a hosted mail domain (a DNS name or alias) */
        bool (*hosts)(void *ctx, const char *domain);
        /* the NetBIOS name of the AD domain whose DNS name is dns (the file's
         * netbios for it, else the directory's crossRef); NULL: unknown */
        const char *(*netbios)(void *ctx, const char *dns);
        void *ctx;
};

struct mailacct_ldap_mapped {
        enum mailacct_ldap_kind kind;
        struct mailacct_mailbox_spec mailbox; /* kind MAILBOX */
        struct mailacct_contact_spec contact; /* kind CONTACT */
        /* an NT account whose AD domain has no known NetBIOS name was given
         * the domain's DNS name instead: that name (for one warning) */
        const char *nt_fallback;
};

struct mailacct_ldap_mapper;

/* NULL when out of memory. conf must outlive the mapper. */
struct mailacct_ldap_mapper *mailacct_ldap_mapper_new(const struct mailacct_ldap_conf *conf);
void mailacct_ldap_mapper_free(struct mailacct_ldap_mapper *m);

/* The attributes a search must ask for (NULL-terminated): what the schema
 * and map read, and the key (entryUUID, objectGUID). */
const char *const *mailacct_ldap_mapper_attrs(const struct mailacct_ldap_mapper *m);
/* The name of the key attribute. */
const char *mailacct_ldap_key_attr(enum mailacct_ldap_schema s);

/* Maps e. 0: *out holds a spec whose strings live in the mapper until its
 * next call (origin.dn is e->dn); 1: the entry is left out, *why says why
 * (static, or the mapper's until its next call); -ENOMEM. */
int mailacct_ldap_map(struct mailacct_ldap_mapper *m, const struct mailacct_ldap_entry *e,
                      const struct mailacct_ldap_env *env, struct mailacct_ldap_mapped *out, const char **why);

/* The DNS domain named by a DN's trailing DC= parts ("CN=J,OU=U,DC=Example,
 * DC=com" -> "example.com", folded): 0, -ENOENT (no DC= part), -EINVAL (a DN
 * that is not one), -ERANGE. */
int mailacct_ldap_dn_domain(const char *dn, size_t dn_len, char *buf, size_t len);

/* The naming context of an AD DN: its trailing run of DC= RDNs
 * ("OU=Staff,DC=example,DC=com": "DC=example,DC=com"); the DN itself when
 * it ends in none. */
const char *mailacct_ldap_naming_context(const char *dn);
/* The naming contexts of c's bases, each once, in the bases' order, into
 * out (MAILACCT_LDAP_BASES_MAX at most): how many. */
size_t mailacct_ldap_naming_contexts(const struct mailacct_ldap_conf *c, const char **out);
