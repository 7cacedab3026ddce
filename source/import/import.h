/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* What sites already have, read into mailboxes for `mailacct import`: a
 * Dovecot passwd-file, /etc/passwd (+ shadow), CSV with a header row, LDIF.
 * Pure parsers: a buffer in, entries and findings (FILE:LINE) out; no I/O.
 * Values are checked by the builder when the configuration is loaded again:
 * here only what the format itself says is wrong. */
enum mailacct_import_format {
        MAILACCT_IMPORT_DOVECOT = 0, /* passwd-file: user:{SCHEME}pw:uid:gid:gecos:home:shell:extra */
        MAILACCT_IMPORT_PASSWD,      /* /etc/passwd lines, hashes from a shadow file */
        MAILACCT_IMPORT_CSV,         /* RFC 4180, a header row naming the fields */
        MAILACCT_IMPORT_LDIF,        /* RFC 2849 content records */
};

/* How an entry's password came. */
enum mailacct_import_pw {
        MAILACCT_IMPORT_PW_NONE = 0,
        MAILACCT_IMPORT_PW_CRYPT, /* a crypt(3) hash this system verifies: carried over */
        MAILACCT_IMPORT_PW_PLAIN, /* a clear text ({PLAIN}, an LDAP value without scheme): hashed on import */
        MAILACCT_IMPORT_PW_OTHER, /* a scheme crypt(3) cannot verify ({SSHA}, ...): listed, never guessed */
};

struct mailacct_import_list {
        char **v;
        size_t n;
};

struct mailacct_import_entry {
        char *address;
        struct mailacct_import_list aliases, addresses, services;
        char *nt_account, *name, *home, *shell;
        uint32_t uid, gid;
        bool has_uid, has_gid;
        int enabled; /* -1: not said */
        enum mailacct_import_pw pw;
        char *password;  /* the hash, or the clear text (wiped when freed) */
        char scheme[32]; /* PW_OTHER: the scheme, for the report */
        int line;        /* where the entry starts in the source */
};

struct mailacct_import_set {
        struct mailacct_import_entry *v;
        size_t n, cap;
        size_t skipped; /* records the format says are no mailbox (system users, LDIF entries without mail) */
};

struct mailacct_import_opts {
        const char *file;   /* for findings */
        const char *domain; /* --domain: the domain of names without one */
        const char *shadow; /* passwd: the shadow file's text, NULL: none */
        size_t shadow_len;
        const char *shadow_file;
        uint32_t min_uid; /* passwd: system accounts below it are skipped */
};

/* Parses buf (len bytes, need not end in NUL) into out (which the caller
 * zero-initialises and frees). Returns 0 (findings may have been added),
 * -EINVAL when the file cannot be read as the format at all (the finding
 * says why), -ENOMEM. */
int mailacct_import_parse(enum mailacct_import_format f, const char *buf, size_t len,
                          const struct mailacct_import_opts *o, struct mailacct_import_set *out,
                          struct mailacct_diags *diags);
void mailacct_import_set_free(struct mailacct_import_set *s);
/* "dovecot-passwd", "passwd", "csv", "ldif": 0 with *f, or -EINVAL. */
int mailacct_import_format_of(const char *name, enum mailacct_import_format *f);

/* ---- shared by the parsers (import.c) ---- */
struct mailacct_import_entry *mailacct_import_new_entry(struct mailacct_import_set *s, int line);
/* Drops the last entry (one the parser found wrong after starting it). */
void mailacct_import_drop_last(struct mailacct_import_set *s);
int mailacct_import_list_add(struct mailacct_import_list *l, const char *v, size_t len);
/* Sets *to to a copy of v (len bytes); -ENOMEM. */
int mailacct_import_set_str(char **to, const char *v, size_t len);
/* A password value as a directory or passwd-file holds it: "{SCHEME}rest",
 * or no scheme (plain_default: clear text, else a crypt hash). */
int mailacct_import_password(struct mailacct_import_entry *e, const char *v, size_t len, bool plain_default);
/* An id field: 0 to 4294967294. */
bool mailacct_import_id(const char *v, size_t len, uint32_t *out);
/* name@domain, or name with the --domain given: the address, lower-cased domain. */
int mailacct_import_address(struct mailacct_import_entry *e, const char *v, size_t len, const char *domain);

/* One parser per format (dovecot.c, passwd.c, csv.c, ldif.c). */
int mailacct_import_dovecot(const char *buf, size_t len, const struct mailacct_import_opts *o,
                            struct mailacct_import_set *out, struct mailacct_diags *diags);
int mailacct_import_passwd(const char *buf, size_t len, const struct mailacct_import_opts *o,
                           struct mailacct_import_set *out, struct mailacct_diags *diags);
int mailacct_import_csv(const char *buf, size_t len, const struct mailacct_import_opts *o,
                        struct mailacct_import_set *out, struct mailacct_diags *diags);
int mailacct_import_ldif(const char *buf, size_t len, const struct mailacct_import_opts *o,
                         struct mailacct_import_set *out, struct mailacct_diags *diags);
/* The fields of one line split at sep (at most max; the last takes the
 * rest when rest_in_last). Returns how many. */
struct mailacct_import_field {
        const char *p;
        size_t len;
};
size_t mailacct_import_split(const char *line, size_t len, char sep, struct mailacct_import_field *f, size_t max);
/* The next line of [*p, end): its start and length without its "\n" or
 * "\r\n"; false at the end. */
bool mailacct_import_next_line(const char **p, const char *end, const char **line, size_t *len);
