/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "directory.h"

/* The one way to make a directory. A source (the configuration file, an LDAP
 * sync) declares its settings, domains, mailboxes and contacts through these
 * calls, each with the origin it came from; the builder validates every name
 * with the login parser, checks collisions, resolves delegates and builds
 * the lookup tables, and every finding it reports names the origin
 * (FILE:LINE, or a DN). */
struct mailacct_builder;

/* Where an entry or a value came from: file:line, or an LDAP entry's DN.
 * tag: the source's own number for the entry, handed back when a directory
 * entry is left out (mailacct_builder_on_leave_out()). */
struct mailacct_origin {
        const char *file;
        int line;
        const char *dn;
        uint32_t tag;
};

/* What a source's entries do when they clash or break a rule. */
enum mailacct_clash {
        /* the file: an error, and the directory is unusable */
        MAILACCT_CLASH_ERROR = 0,
        /* a directory entry: left out with a warning naming its DN; on a
         * clash with a file entry, the file wins; two directory entries
         * claiming one address or NT account are both left out */
        MAILACCT_CLASH_LEAVE_OUT,
};

/* A list of values, each with the line it stands on (lines may be NULL). */
struct mailacct_values {
        const char *const *v;
        const int *lines;
        size_t n;
};

struct mailacct_defaults_spec {
        bool has_uid, has_gid;
        uid_t uid;
        gid_t gid;
        const char *home, *shell;
        int home_line;
};

struct mailacct_settings_spec {
        enum mailacct_bare_policy bare_alias;
        bool case_sensitive;
        enum mailacct_canonical canonical;
        bool no_enumerate; /* `enumerate = false` (the zero value keeps the default, true) */
        enum mailacct_passwords passwords;
        const char *default_domain; /* NULL: the one domain, if there is one */
        struct mailacct_origin default_domain_origin;
        const char *secrets; /* the secrets file's path as readers open it */
        struct mailacct_defaults_spec defaults;
};

struct mailacct_domain_spec {
        const char *name, *netbios;
        struct mailacct_values aliases;
        struct mailacct_defaults_spec defaults;
        struct mailacct_origin origin;
        int netbios_line;
};

struct mailacct_mailbox_spec {
        const char *address;
        const char *nt_account; /* "account" or "DOMAIN\account"; NULL: none */
        const char *name, *home, *shell;
        const char *dn, *upn; /* LDAP */
        struct mailacct_values aliases, addresses, services, delegates;
        /* a directory's delegates: the DNs of the entries that may open this
         * mailbox (Exchange's msExchDelegateListLink), matched at finish
         * against the DNs of the directory's mailboxes (without case) */
        struct mailacct_values delegate_dns;
        bool has_uid, has_gid, has_services, enabled;
        uid_t uid;
        gid_t gid;
        struct mailacct_origin origin;
        /* the lines of single values, for findings (0: the entry's line) */
        int address_line, nt_line, name_line, home_line;
};

struct mailacct_contact_spec {
        const char *alias, *address;
        struct mailacct_origin origin;
};

/* Findings go to diags (kept by the caller); file names the configuration
 * for findings about the directory as a whole. */
struct mailacct_builder *mailacct_builder_new(struct mailacct_diags *diags, const char *file);
void mailacct_builder_free(struct mailacct_builder *b);

int mailacct_builder_settings(struct mailacct_builder *b, const struct mailacct_settings_spec *s);
/* Each returns 0 (added, or refused with a finding), or -ENOMEM. Domains
 * come before the mailboxes and contacts that name them. */
int mailacct_builder_domain(struct mailacct_builder *b, const struct mailacct_domain_spec *s);
int mailacct_builder_mailbox(struct mailacct_builder *b, const struct mailacct_mailbox_spec *s,
                             enum mailacct_clash policy);
int mailacct_builder_contact(struct mailacct_builder *b, const struct mailacct_contact_spec *s,
                             enum mailacct_clash policy);
/* Whether name is a hosted mail domain (a DNS name or domain alias, not a
 * NetBIOS name) of the domains declared so far. */
bool mailacct_builder_hosts(const struct mailacct_builder *b, const char *domain);
/* How many domains were declared (and taken) so far. */
size_t mailacct_builder_domains(const struct mailacct_builder *b);
/* The NetBIOS name of the declared domain whose DNS name (or domain alias)
 * is domain, or NULL. */
const char *mailacct_builder_netbios(const struct mailacct_builder *b, const char *domain);
/* How many entries were left out so far (directory entries only). */
size_t mailacct_builder_left_out(const struct mailacct_builder *b);
/* fn(ctx, tag) is called for each directory entry left out from now on, as
 * it is refused or, at finish, dropped on a clash: the source learns which
 * of its entries the directory holds. */
void mailacct_builder_on_leave_out(struct mailacct_builder *b, void (*fn)(void *ctx, uint32_t tag), void *ctx);

/* Resolves delegates, checks collisions, builds the tables. 0 with *out a
 * directory when no error was found (warnings allowed), -EINVAL when one
 * was, -ENOMEM. Frees the builder either way. */
int mailacct_builder_finish(struct mailacct_builder *b, struct mailacct_dir **out);
