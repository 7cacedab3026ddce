/* SPDX-License-Identifier: MIT */
/* The configuration's `ldap = { ... }` group: where mailboxes come from when
 * a directory (Active Directory, Samba AD, OpenLDAP) holds them. The file
 * source reads the group (source/file/load.c, with libconfig); this model
 * and its rules hold no libconfig and no libldap type, so that the loader,
 * the sync, the rebuild from the store and the tests share them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum mailacct_ldap_schema {
        MAILACCT_LDAP_SCHEMA_NONE = 0,
        MAILACCT_LDAP_SCHEMA_AD,       /* Active Directory with Exchange attributes, Samba AD */
        MAILACCT_LDAP_SCHEMA_OPENLDAP, /* inetOrgPerson, misc.schema's mailLocalAddress, posixAccount */
};

/* The fields of a file's mailbox that `map` may point at an attribute. */
enum mailacct_ldap_field {
        MAILACCT_LF_ADDRESS = 0,
        MAILACCT_LF_ALIASES,
        MAILACCT_LF_ADDRESSES,
        MAILACCT_LF_NT_ACCOUNT,
        MAILACCT_LF_NAME,
        MAILACCT_LF_UID,
        MAILACCT_LF_GID,
        MAILACCT_LF_HOME,
        MAILACCT_LF_SHELL,
        MAILACCT_LF_SERVICES,
        MAILACCT_LF_DELEGATES,
        MAILACCT_LF_ENABLED,
        _MAILACCT_LF_MAX,
};

/* The name `map` knows a field by ("address", "aliases", ...). */
const char *mailacct_ldap_field_name(enum mailacct_ldap_field f);

#define MAILACCT_LDAP_URIS_MAX        16
#define MAILACCT_LDAP_BASES_MAX       16
#define MAILACCT_LDAP_PAGE_DEFAULT    1000
#define MAILACCT_LDAP_PAGE_MAX        100000
#define MAILACCT_LDAP_REMOVAL_DEFAULT 10
#define MAILACCT_LDAP_TIMEOUT_DEFAULT 10
#define MAILACCT_LDAP_TIMEOUT_MAX     600
#define MAILACCT_LDAP_FILTER_MAX      4096

struct mailacct_ldap_conf {
        char *uri[MAILACCT_LDAP_URIS_MAX];
        size_t n_uri;
        char *base[MAILACCT_LDAP_BASES_MAX];
        size_t n_base;
        enum mailacct_ldap_schema schema;
        char *bind_dn;            /* NULL: anonymous, or SASL EXTERNAL over ldapi:// */
        char *bind_password_file; /* anchored to the configuration's folder */
        bool starttls;
        char *tls_ca; /* anchored; NULL: the system's trust store */
        char *filter; /* ANDed with the mailboxes' filter; NULL: none */
        char *map[_MAILACCT_LF_MAX];
        char *mailbox_filter, *contact_filter; /* map's: replace the schema's */
        unsigned page_size, max_removal, timeout;
        /* where each setting stands, for findings at sync time */
        const char *file; /* the configuration (not owned) */
        int line, uri_line, bind_password_file_line, tls_ca_line;
};

/* An empty group with the defaults (page_size, max_removal, timeout). */
void mailacct_ldap_conf_init(struct mailacct_ldap_conf *c);
/* Frees the strings; c can be initialised again. NULL-safe. */
void mailacct_ldap_conf_clear(struct mailacct_ldap_conf *c);

/* The rules of the group as a whole, once the loader has filled it: every
 * finding goes to diags at file:line. Refused: no uri, no base, no schema,
 * a uri of another scheme, a bind without its password file (or the
 * reverse), and a bind over plain ldap:// without StartTLS (the password
 * would cross the network in clear). Returns how many errors it found. */
size_t mailacct_ldap_conf_check(const struct mailacct_ldap_conf *c, struct mailacct_diags *diags);

/* Syntax checks for the loader, each NULL or a sentence: an attribute
 * description (RFC 4512: a name or a numeric OID, options after ';'), and
 * a search filter (one parenthesised filter, balanced, no NUL). The server
 * remains the judge of a filter; this catches what a typo makes of one. */
const char *mailacct_ldap_attr_invalid(const char *s);
const char *mailacct_ldap_filter_invalid(const char *s);
/* The scheme a uri starts with: "ldap", "ldaps", "ldapi", or NULL. */
const char *mailacct_ldap_uri_scheme(const char *uri);

/* What the synced entries depend on (schema, bases, filters, map): when it
 * differs from the store's, the store holds other attributes or other
 * entries and only a new pull can say what the directory holds. The servers
 * (uri) are not in it: a replica serves the same directory. */
uint64_t mailacct_ldap_conf_fingerprint(const struct mailacct_ldap_conf *c);

/* The schema's filters, with map's replacements and `filter` ANDed into the
 * mailboxes'. The contacts' is NULL when the schema has none (openldap
 * without map.contact_filter). Owned by the caller (free()); NULL on
 * allocation failure is told apart by *oom. */
char *mailacct_ldap_mailbox_filter(const struct mailacct_ldap_conf *c);
char *mailacct_ldap_contact_filter(const struct mailacct_ldap_conf *c, bool *oom);
