/* SPDX-License-Identifier: MIT */
/* Private to lib/: how a directory is laid out behind lib/directory.h. Two
 * backings fill it, each through its own table of operations: memory (what
 * the builder makes, lib/build.c) and a compiled index (lib/ixdir.c).
 * Nothing outside lib/ includes this file. */
#pragma once

#include "directory.h"
#include "diag.h"

struct mailacct_hashmap;

struct mailacct_dir_ops {
        long (*get)(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max);
        void (*prefetch)(const struct mailacct_dir *d, enum mailacct_table t, const char *key);
        int (*mailbox)(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v);
        int (*domain)(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v);
        int (*contact)(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v);
        /* the global defaults (uid, gid, home, shell) as a domain view */
        int (*defaults)(const struct mailacct_dir *d, struct mailacct_domain_view *v);
        int (*list)(const struct mailacct_dir *d, uint32_t id, enum mailacct_list k, uint32_t i, const char **s,
                    int *line);
        int (*delegate)(const struct mailacct_dir *d, uint32_t id, uint32_t i, uint32_t *principal);
        int (*names)(const struct mailacct_dir *d, uint32_t id, const char **dn, const char **upn);
        int (*domain_alias)(const struct mailacct_dir *d, uint32_t id, uint32_t i, const char **s);
        void (*release)(struct mailacct_dir *d);
};

struct mailacct_dir {
        const struct mailacct_dir_ops *ops;
        struct mailacct_settings s;
        void *impl;
};

/* ---- the memory backing (lib/build.c) ------------------------------------ */

struct mailacct_strv {
        char **v;
        int *line; /* NULL: no value has a line */
        uint32_t n;
        uint32_t room; /* v is the arena's, with room for this many; 0: malloc's */
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
        const char *file; /* interned (mem_dir.files) */
        int line;
};

/* What few mailboxes have, kept apart: a million mailboxes without it save
 * 80 bytes each. */
struct mailacct_mailbox_more {
        struct mailacct_strv services;
        struct mailacct_strv delegates;    /* as written */
        struct mailacct_strv delegate_dns; /* a directory's, as DNs: become delegates at finish */
        uint32_t *delegate_ids;            /* resolved principals, n = delegates.n */
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
        char *dn, *upn;
        uid_t uid;
        gid_t gid;
        bool has_uid, has_gid;
        bool enabled;
        bool has_services;                  /* false: every service is allowed */
        uint8_t leave_out;                  /* 1: a directory entry (lost on a clash); 2: being left out (build.c) */
        struct mailacct_mailbox_more *more; /* NULL: no services list, no delegates */
        const char *file;                   /* interned */
        int line;
        uint32_t tag; /* the source's number of a directory entry */
};

struct mailacct_contact {
        char *alias;
        char *address;
        char *dn;
        uint8_t leave_out;
        const char *file;
        int line;
        uint32_t tag;
};

struct mem_dir {
        struct mailacct_arena *arena; /* every string below */
        struct mailacct_domain *domains;
        struct mailacct_mailbox *mailboxes;
        struct mailacct_contact *contacts;
        size_t n_domains, n_mailboxes, n_contacts;
        size_t cap_domains, cap_mailboxes, cap_contacts;
        struct mailacct_defaults defaults;
        char *secrets;
        char *default_domain;
        const char *default_domain_file;
        int default_domain_line;
        struct mailacct_strv files;            /* interned origin file names */
        struct mailacct_hashmap *domain_names; /* name, alias, NetBIOS -> domain */
        struct mailacct_hashmap *nt_domains;   /* NetBIOS names only known from nt_account */
        struct mailacct_hashmap *by_address;   /* local@domain of primary and secondary */
        struct mailacct_hashmap *by_bare;      /* bare-alias sets */
        struct mailacct_hashmap *by_nt;        /* NTDOMAIN\account */
        struct mailacct_hashmap *by_uid;
        struct mailacct_hashmap *contact_alias;
        struct mailacct_hashmap *contact_address;
        struct mailacct_hashmap *mail_domains; /* name, alias -> domain (no NetBIOS) */
};

/* A mailbox's rarer lists, empty when it has none. */
extern const struct mailacct_strv mailacct_no_values;
#define MAILACCT_MB_SERVICES(mb)     ((mb)->more ? &(mb)->more->services : &mailacct_no_values)
#define MAILACCT_MB_DELEGATES(mb)    ((mb)->more ? &(mb)->more->delegates : &mailacct_no_values)
#define MAILACCT_MB_DELEGATE_IDS(mb) ((mb)->more ? (mb)->more->delegate_ids : NULL)

/* The memory backing of d, or NULL when d is mapped from an index: for the
 * index writer and the lint of `mailacct check`, which read what only a
 * built directory holds (the delegates as written, the hash tables). */
const struct mem_dir *mailacct_dir_mem(const struct mailacct_dir *d);
/* A built directory's lookup table t (NULL for a table it keeps none of). */
const struct mailacct_hashmap *mailacct_mem_table(const struct mem_dir *m, enum mailacct_table t);

/* The strings of a built directory, freed with it (lib/build.c). */
struct mailacct_arena;
void mailacct_strv_free(struct mailacct_strv *v);
int mailacct_strv_add(struct mailacct_arena **a, struct mailacct_strv *v, const char *s, int line);
