/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A lexer of libconfig 1.5's syntax (the version Debian 12 ships): comments
 * (#, //, slash-star), strings with their escapes, @include lines, names,
 * scalars and punctuation. It lets a reader learn two things about a
 * configuration without loading libconfig or building its tree: which files
 * it @includes (each must be trusted like the configuration, and stamped)
 * and where its top-level `index` setting points. Pure: no I/O, no
 * allocation; the token texts point into the caller's buffer. */
enum mailacct_tok {
        MAILACCT_TOK_END = 0,
        MAILACCT_TOK_NAME,
        MAILACCT_TOK_EQUALS, /* = or : */
        MAILACCT_TOK_STRING, /* text: between the quotes, escapes as written */
        MAILACCT_TOK_OPEN,   /* { ( [ */
        MAILACCT_TOK_CLOSE,  /* } ) ] */
        MAILACCT_TOK_SEMICOLON,
        MAILACCT_TOK_COMMA,
        MAILACCT_TOK_SCALAR,  /* a number or boolean */
        MAILACCT_TOK_INCLUDE, /* text: the file name as written, escapes as written */
        MAILACCT_TOK_GARBAGE, /* a byte libconfig refuses */
        MAILACCT_TOK_ERROR,   /* an unterminated comment (len 2, text its slash-star), string (len 1, text
                                 the quote) or @include name (len 0) */
};

struct mailacct_lexer {
        const char *p, *end;
        int line;
        bool bol; /* only blanks since the start of the line */
};

struct mailacct_token {
        enum mailacct_tok kind;
        const char *text;
        size_t len;
        int line;
};

void mailacct_lex_init(struct mailacct_lexer *lx, const char *buf, size_t len);
enum mailacct_tok mailacct_lex_next(struct mailacct_lexer *lx, struct mailacct_token *t);

/* Appends the decoded text of a STRING or INCLUDE token to out (NUL-
 * terminated, *used bytes so far). -ERANGE when it does not fit, -EINVAL for
 * a NUL byte (libconfig's strings end there; a path must not). */
int mailacct_lex_decode(const struct mailacct_token *t, char *out, size_t len, size_t *used);
