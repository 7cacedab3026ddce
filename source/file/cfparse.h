/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A parser of libconfig 1.5's grammar (Debian 12's libconfig9 1.5-0.4),
 * built on the lexer lib/conflex.h: settings `name = value` or `name :
 * value` ended by `;`, `,` or nothing; groups { }, lists ( ), arrays [ ] of
 * scalars of one type; booleans, integers, floats, strings (escapes,
 * adjacent strings joined); @include lines followed in place, ten levels
 * deep at most; a name used twice in one group refused. It accepts what
 * libconfig accepts, with the same tree (names, types, values, order, file
 * and line of every node), but where it is stricter or exact:
 *
 *  - an integer is exact to 64 bits (libconfig keeps 32 of one written
 *    without L; its type stays libconfig's: INT without L, INT64 with);
 *  - a string, comment or @include name that the end of a file cuts off is
 *    refused (libconfig drops it, or carries it on into the including file);
 *  - a NUL byte in a string (also \x00) or an @include name is refused
 *    (libconfig cuts the string there), and so is a backslash in an
 *    @include name that escapes neither \ nor " (libconfig drops it);
 *  - values nest MAILACCT_CF_DEPTH deep at most.
 *
 * tests/fuzz/fuzz_cfparse.c holds it to libconfig itself.
 *
 * Pure: no I/O. The caller hands it the text of the configuration and, on
 * request, of each file it @includes, and keeps those texts until the tree
 * is freed. Top-level lists named in `stream` are not kept: their elements
 * are parsed for syntax (a syntax error anywhere still fails the parse)
 * and then handed out one at a time by mailacct_cf_iter_next(), which
 * parses each again from the text; so a configuration of a million
 * mailboxes never holds more than one mailbox's tree. */

#define MAILACCT_CF_DEPTH 100

/* The numbers of libconfig's CONFIG_TYPE_* */
enum mailacct_cf_type {
        MAILACCT_CF_GROUP = 1,
        MAILACCT_CF_INT = 2,
        MAILACCT_CF_INT64 = 3,
        MAILACCT_CF_FLOAT = 4,
        MAILACCT_CF_STRING = 5,
        MAILACCT_CF_BOOL = 6,
        MAILACCT_CF_ARRAY = 7,
        MAILACCT_CF_LIST = 8,
};

struct mailacct_cf;
struct mailacct_cf_node;

/* The text of the file an @include line names (name as written, escapes
 * decoded; the caller decides where it is taken from). 0, or -errno. */
typedef int mailacct_cf_include_fn(void *ctx, const char *name, const char **text, size_t *len);

struct mailacct_cf_source {
        const char *file; /* what nodes and errors of the main text name */
        const char *text;
        size_t len;
        mailacct_cf_include_fn *include; /* NULL: every @include fails */
        void *ctx;
        const char *const *stream; /* NULL-terminated names of top-level lists not kept; NULL: none */
};

/* As libconfig says it: the file (the configuration's name, or an included
 * file's name as its @include line wrote it), the line, and the text
 * ("syntax error", "duplicate setting name", ...). */
struct mailacct_cf_error {
        char file[4096];
        int line;
        char text[128];
};

/* 0 with *out the tree; -EINVAL with err filled; -ENOMEM. */
int mailacct_cf_parse(const struct mailacct_cf_source *src, struct mailacct_cf **out, struct mailacct_cf_error *err);
void mailacct_cf_free(struct mailacct_cf *cf);

const struct mailacct_cf_node *mailacct_cf_root(const struct mailacct_cf *cf);
enum mailacct_cf_type mailacct_cf_type(const struct mailacct_cf_node *n);
/* NULL for the root and for the elements of lists and arrays */
const char *mailacct_cf_name(const struct mailacct_cf_node *n);
const char *mailacct_cf_file(const struct mailacct_cf_node *n);
int mailacct_cf_line(const struct mailacct_cf_node *n);
/* children of a group, list or array (a streamed list: how many it has); 0 otherwise */
unsigned mailacct_cf_length(const struct mailacct_cf_node *n);
/* NULL when out of range, not an aggregate, or streamed */
const struct mailacct_cf_node *mailacct_cf_elem(const struct mailacct_cf_node *n, unsigned i);
/* the member of a group by name; NULL when there is none or n is not a group */
const struct mailacct_cf_node *mailacct_cf_member(const struct mailacct_cf_node *n, const char *name);
/* NULL unless a string; strings hold no NUL byte */
const char *mailacct_cf_string(const struct mailacct_cf_node *n);
/* INT and INT64: the exact value (saturated beyond 64 bits, as libconfig's
 * L form does; a hex literal is a 64-bit pattern); 0 otherwise */
long long mailacct_cf_int64(const struct mailacct_cf_node *n);
/* INT and INT64: the literal as written; NULL otherwise */
const char *mailacct_cf_literal(const struct mailacct_cf_node *n);
bool mailacct_cf_bool(const struct mailacct_cf_node *n);
double mailacct_cf_float(const struct mailacct_cf_node *n);
bool mailacct_cf_streamed(const struct mailacct_cf_node *n);

/* The elements of a list, array or group, one at a time. For a streamed
 * list each element is parsed again from the text and valid until the next
 * call (one streamed list at a time per tree). */
struct mailacct_cf_iter {
        struct mailacct_cf *cf;
        const struct mailacct_cf_node *list;
        unsigned i;
        bool done;
};
void mailacct_cf_iter_init(struct mailacct_cf *cf, const struct mailacct_cf_node *list, struct mailacct_cf_iter *it);
/* 1 with *out the next element, 0 at the end, -ESTALE when a text no longer
 * says what the parse read (a file changed under it; err says where),
 * -ENOMEM, -EBUSY when another streamed list is being read. */
int mailacct_cf_iter_next(struct mailacct_cf_iter *it, const struct mailacct_cf_node **out,
                          struct mailacct_cf_error *err);
