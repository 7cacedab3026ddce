/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "login.h"

/* The directory of mail accounts, the same to every consumer whether it was
 * built in memory from a source (lib/build.h) or mapped from a compiled
 * index (mailacct_dir_open_index()). Opaque: read it through the settings,
 * the views and the lists below, never through fields. */
struct mailacct_dir;

#define MAILACCT_NONE UINT32_MAX

enum mailacct_bare_policy {
        MAILACCT_BARE_PREFER_DEFAULT = 0, /* default domain first, else unique anywhere */
        MAILACCT_BARE_DEFAULT_DOMAIN,     /* MCIS: only the default domain */
        MAILACCT_BARE_UNIQUE,             /* Exchange 5.5: anywhere, must be unique */
};

enum mailacct_canonical {
        MAILACCT_CANON_ADDRESS = 0,
        MAILACCT_CANON_LOCAL,
        MAILACCT_CANON_NETBIOS,
};

/* How passwords are checked (`passwords`): the secrets file, or a bind to
 * the directory as the principal's DN (source/ldap/bind.h). */
enum mailacct_passwords {
        MAILACCT_PASSWORDS_SECRETS = 0,
        MAILACCT_PASSWORDS_LDAP_BIND,
};

/* The directory-wide settings, and how many entries it holds. */
struct mailacct_settings {
        enum mailacct_bare_policy bare_alias;
        bool case_sensitive;
        enum mailacct_canonical canonical;
        uint32_t default_domain; /* id, or MAILACCT_NONE */
        const char *secrets;     /* the secrets file's path, or NULL */
        size_t n_domains, n_mailboxes, n_contacts;
        bool enumerate; /* getpwent() lists the mailboxes (`enumerate`, default true) */
        enum mailacct_passwords passwords;
        bool from_index; /* mapped from a compiled index */
};

const struct mailacct_settings *mailacct_dir_settings(const struct mailacct_dir *d);

/* Read-only views of one entry. The strings live as long as the directory.
 * Where an entry came from: origin_file:origin_line for a file source, dn
 * for a directory (LDAP) entry. */
struct mailacct_mbox_view {
        const char *address, *local, *nt_domain, *nt_account, *name, *home, *shell;
        const char *origin_file;
        int origin_line;
        uint32_t domain;
        uid_t uid;
        gid_t gid;
        bool has_uid, has_gid, enabled, has_services;
        uint32_t n_aliases, n_addresses, n_services, n_delegates;
};

struct mailacct_domain_view {
        const char *name, *netbios, *home, *shell;
        uid_t uid;
        gid_t gid;
        bool has_uid, has_gid;
        uint32_t n_aliases;
        const char *origin_file;
        int origin_line;
};

struct mailacct_contact_view {
        const char *alias, *address;
        const char *dn;
        const char *origin_file;
        int origin_line;
};

/* Each returns 0 or -EBADMSG (a damaged index: the caller fails closed). */
int mailacct_dir_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v);
int mailacct_dir_domain(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v);
int mailacct_dir_contact(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v);

/* A mailbox's lists, value by value: 0 with *s (and *line, 0 when no line
 * is known), -ENOENT past the end, -EBADMSG. */
enum mailacct_list {
        MAILACCT_LIST_ALIASES = 0,
        MAILACCT_LIST_ADDRESSES, /* secondary addresses */
        MAILACCT_LIST_SERVICES,
};
int mailacct_dir_list(const struct mailacct_dir *d, uint32_t mbox, enum mailacct_list k, uint32_t i, const char **s,
                      int *line);
/* A mailbox's entry in a directory (LDAP): its DN and raw userPrincipalName,
 * NULL for an entry of the file. Not in the view: lookups never read them. */
int mailacct_dir_names(const struct mailacct_dir *d, uint32_t mbox, const char **dn, const char **upn);
/* The mailbox that a mailbox's i-th delegate names (MAILACCT_NONE: none). */
int mailacct_dir_delegate(const struct mailacct_dir *d, uint32_t mbox, uint32_t i, uint32_t *principal);
/* A domain's i-th domain alias. */
int mailacct_dir_domain_alias(const struct mailacct_dir *d, uint32_t dom, uint32_t i, const char **s);

void mailacct_dir_free(struct mailacct_dir *d);

/* Lookup keys. Domains always fold; local parts fold unless case_sensitive. */
int mailacct_dir_key_local(const struct mailacct_dir *d, const char *local, char *buf, size_t len);
/* local@domain as the address table keys it: the local part as
 * mailacct_dir_key_local() has it, the domain folded, spelled as given (the
 * caller names the hosted domain). 0 or -ERANGE. */
int mailacct_dir_key_address(const struct mailacct_dir *d, const char *local, const char *domain, char *buf,
                             size_t len);
/* HOSTED\account as the NT table keys it, HOSTED the hosted domain's name;
 * with hosted NULL, the key of an NT domain known only from nt_account
 * (foreign). 0 or -ERANGE. */
int mailacct_dir_key_nt(const struct mailacct_dir *d, const char *hosted, const char *foreign, const char *account,
                        char *buf, size_t len);
uint32_t mailacct_dir_find_domain(const struct mailacct_dir *d, const char *name);
/* Rule 1: the domain of an address is a hosted DNS name or domain alias,
 * never a NetBIOS name ("jdoe@EXAMPLE" is not an address of example.com). */
uint32_t mailacct_dir_find_mail_domain(const struct mailacct_dir *d, const char *name);

/* The lookup tables, the same on both backings. Returns how many values key
 * has (writing up to max), or -EBADMSG. */
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
long mailacct_dir_get(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max);
/* A hint that key will be looked up in t soon (the index starts fetching). */
void mailacct_dir_prefetch(const struct mailacct_dir *d, enum mailacct_table t, const char *key);
/* name (folded here) in a domain table: 1 with *id, 0 without, -EBADMSG. */
int mailacct_dir_lookup_domain(const struct mailacct_dir *d, enum mailacct_table t, const char *name, uint32_t *id);

/* The primary address and display name of a mailbox; NULL when damaged. */
const char *mailacct_dir_address(const struct mailacct_dir *d, uint32_t id);
bool mailacct_dir_enabled(const struct mailacct_dir *d, uint32_t id);

/* Identity formatting; each returns 0, -ERANGE or -EBADMSG. */
int mailacct_dir_canonical(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len);
int mailacct_dir_home(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len);
const char *mailacct_dir_shell(const struct mailacct_dir *d, uint32_t mbox);
int mailacct_dir_ids(const struct mailacct_dir *d, uint32_t mbox, uid_t *uid, gid_t *gid);
/* Everything of a mailbox's passwd entry, read once: 0, -ENOENT (no such
 * mailbox), -ENODATA (no uid or gid anywhere), -ERANGE, -EBADMSG. gecos may
 * be NULL; the strings live as long as the directory does. */
struct mailacct_pwent {
        char name[MAILACCT_LOGIN_MAX + 1];
        char home[PATH_MAX];
        const char *gecos, *shell;
        uid_t uid;
        gid_t gid;
};
int mailacct_dir_passwd(const struct mailacct_dir *d, uint32_t mbox, struct mailacct_pwent *pw);
/* Whether the mailbox's services allow protocol (every one when it has no
 * services list; protocols compare as lib/protocol.h maps them). */
bool mailacct_dir_allows_service(const struct mailacct_dir *d, uint32_t mbox, const char *protocol);
/* 1 when principal may open mbox (its owner, or one of its delegates), 0
 * when not, -EBADMSG. */
int mailacct_dir_is_delegate(const struct mailacct_dir *d, uint32_t mbox, uint32_t principal);
/* The mailbox for uid when exactly one mailbox has it, else MAILACCT_NONE. */
uint32_t mailacct_dir_find_uid(const struct mailacct_dir *d, uid_t uid);

const char *mailacct_bare_policy_name(enum mailacct_bare_policy p);
const char *mailacct_canonical_name(enum mailacct_canonical c);
