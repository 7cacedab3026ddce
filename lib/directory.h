/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "login.h"

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

struct mailacct_strv {
        char **v;
        int *line;
        size_t n;
};

/* Account defaults; a domain's own values win over the global ones. */
struct mailacct_defaults {
        uid_t uid;
        gid_t gid;
        bool has_uid, has_gid;
        char *home; /* %d domain, %n local part, %u address */
        char *shell;
};

struct mailacct_domain {
        char *name; /* DNS name as configured */
        char *netbios;
        struct mailacct_strv aliases;
        struct mailacct_defaults defaults;
        int line;
};

struct mailacct_mailbox {
        char *address; /* primary address: the canonical identity */
        char *local;   /* local part of address (copy) */
        uint32_t domain;
        struct mailacct_strv aliases;
        struct mailacct_strv addresses; /* secondary */
        char *nt_domain;                /* NULL: the mailbox's own domain */
        char *nt_account;               /* NULL: none */
        char *name;
        char *home, *shell; /* NULL: defaults */
        uid_t uid;
        gid_t gid;
        bool has_uid, has_gid;
        bool enabled;
        bool has_services; /* false: every service is allowed */
        struct mailacct_strv services;
        struct mailacct_strv delegates; /* as written */
        uint32_t *delegate_ids;         /* resolved principals, n = delegates.n */
        int line;
};

struct mailacct_contact {
        char *alias;
        char *address;
        int line;
};

/* Read-only views of one entry, the same whether the directory was loaded
 * from the configuration or mapped from the compiled index. */
struct mailacct_mbox_view {
        const char *address, *local, *nt_domain, *nt_account, *name, *home, *shell;
        uint32_t domain;
        uid_t uid;
        gid_t gid;
        bool has_uid, has_gid, enabled, has_services;
};

struct mailacct_domain_view {
        const char *name, *netbios, *home, *shell;
        uid_t uid;
        gid_t gid;
        bool has_uid, has_gid;
};

struct mailacct_contact_view {
        const char *alias, *address;
};

struct mailacct_hashmap;
struct mailacct_index;

struct mailacct_dir {
        char *default_domain;
        int default_domain_line;
        uint32_t default_domain_id;
        enum mailacct_bare_policy bare_alias;
        bool case_sensitive;
        enum mailacct_canonical canonical;
        char *secrets;
        char *index;
        struct mailacct_defaults defaults;

        struct mailacct_domain *domains;
        size_t n_domains;
        struct mailacct_mailbox *mailboxes;
        size_t n_mailboxes;
        struct mailacct_contact *contacts;
        size_t n_contacts;

        /* built by mailacct_dir_finalize() */
        struct mailacct_hashmap *domain_names; /* name, alias, NetBIOS -> domain */
        struct mailacct_hashmap *nt_domains;   /* NetBIOS names only known from nt_account */
        struct mailacct_hashmap *by_address;   /* local@domain of primary and secondary */
        struct mailacct_hashmap *by_bare;      /* bare-alias sets */
        struct mailacct_hashmap *by_nt;        /* NTDOMAIN\account */
        struct mailacct_hashmap *by_uid;
        struct mailacct_hashmap *contact_alias;
        struct mailacct_hashmap *contact_address;
        struct mailacct_hashmap *mail_domains; /* name, alias -> domain (no NetBIOS) */
        bool finalized;
        /* set when the data live in a compiled index rather than above */
        struct mailacct_index *ix;
};

struct mailacct_dir *mailacct_dir_new(void);
void mailacct_dir_free(struct mailacct_dir *d);

void mailacct_strv_free(struct mailacct_strv *v);
int mailacct_strv_add(struct mailacct_strv *v, const char *s, int line);

/* Builds the lookup tables and resolves delegates. Findings (duplicate
 * addresses, delegates that resolve to nothing, ...) go to diags with the
 * line of the entry; file names the configuration for them. Returns 0 when no
 * error was found, -EINVAL otherwise, -ENOMEM. */
int mailacct_dir_finalize(struct mailacct_dir *d, const char *file, struct mailacct_diags *diags);

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

/* Reads that work the same on a loaded configuration and on a mapped index.
 * Each returns 0 or -EBADMSG (a damaged index: the caller fails closed). */
enum mailacct_table;
long mailacct_dir_get(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max);
/* A hint that key will be looked up in t soon (the index starts fetching). */
void mailacct_dir_prefetch(const struct mailacct_dir *d, enum mailacct_table t, const char *key);
int mailacct_dir_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v);
/* name (folded here) in a domain table: 1 with *id, 0 without, -EBADMSG. */
int mailacct_dir_lookup_domain(const struct mailacct_dir *d, enum mailacct_table t, const char *name, uint32_t *id);
int mailacct_dir_domain(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v);
int mailacct_dir_contact(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v);

/* The primary address and display name of a mailbox; NULL when damaged. */
const char *mailacct_dir_address(const struct mailacct_dir *d, uint32_t id);
const char *mailacct_dir_display_name(const struct mailacct_dir *d, uint32_t id);
bool mailacct_dir_enabled(const struct mailacct_dir *d, uint32_t id);

/* Identity formatting; each returns 0 or -ERANGE. */
int mailacct_dir_canonical(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len);
int mailacct_dir_home(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len);
const char *mailacct_dir_shell(const struct mailacct_dir *d, uint32_t mbox);
int mailacct_dir_ids(const struct mailacct_dir *d, uint32_t mbox, uid_t *uid, gid_t *gid);
/* Everything of a mailbox's passwd entry, read once: 0, -ENODATA (no uid or
 * gid anywhere), -ERANGE, -EBADMSG. gecos may be NULL; the strings point
 * into the directory or the index and live as long as it does. */
struct mailacct_pwent {
        char name[MAILACCT_LOGIN_MAX + 1];
        char home[PATH_MAX];
        const char *gecos, *shell;
        uid_t uid;
        gid_t gid;
};
int mailacct_dir_passwd(const struct mailacct_dir *d, uint32_t mbox, struct mailacct_pwent *pw);
bool mailacct_dir_allows_service(const struct mailacct_dir *d, uint32_t mbox, const char *service);
bool mailacct_dir_is_delegate(const struct mailacct_dir *d, uint32_t mbox, uint32_t principal);
/* The mailbox for uid when exactly one mailbox has it, else MAILACCT_NONE. */
uint32_t mailacct_dir_find_uid(const struct mailacct_dir *d, uid_t uid);

const char *mailacct_bare_policy_name(enum mailacct_bare_policy p);
const char *mailacct_canonical_name(enum mailacct_canonical c);
