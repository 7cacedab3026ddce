/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A lexer of libconfig 1.5's syntax (the version Debian 12 ships): comments
 * (#, //, slash-star), strings with their escapes, @include lines, names,
 * scalars and punctuation, split as libconfig's scanner splits them. It lets
 * a reader learn two things about a configuration without building its
 * tree: which files it @includes (each must be trusted like the
 * configuration, and stamped) and where its top-level `index` setting
 * points (lib/confscan.c); and the file source's parser builds on it
 * (source/file/cfparse.c). Pure: no I/O, no allocation; the token texts
 * point into the caller's buffer. */
enum mailacct_tok {
        MAILACCT_TOK_END = 0,
        MAILACCT_TOK_NAME,
        MAILACCT_TOK_EQUALS, /* = or : */
        MAILACCT_TOK_STRING, /* text: between the quotes, escapes as written */
        MAILACCT_TOK_OPEN,   /* { ( [ */
        MAILACCT_TOK_CLOSE,  /* } ) ] */
        MAILACCT_TOK_SEMICOLON,
        MAILACCT_TOK_COMMA,
        MAILACCT_TOK_SCALAR,  /* a number or boolean: scalar says which */
        MAILACCT_TOK_INCLUDE, /* text: the file name as written, escapes as written */
        MAILACCT_TOK_GARBAGE, /* a byte libconfig refuses (also the # or / of a comment that the end of
                                 the text cuts off before its newline: libconfig's comment rule ends at one) */
        MAILACCT_TOK_ERROR,   /* an unterminated comment (len 2, text its slash-star), string (len 1, text
                                 the quote) or @include name (len 0) */
};

/* What a SCALAR token is, by the rule of libconfig's scanner that takes it
 * (the longest match, as flex picks): its type in libconfig's tree follows
 * from the rule, never from the value (1.5 reads a plain integer through an
 * int, however long; an "L" suffix makes a 64-bit one). */
enum mailacct_scalar {
        MAILACCT_SCALAR_BOOL = 1, /* true or false, any case */
        MAILACCT_SCALAR_INT,      /* [-+]?[0-9]+ */
        MAILACCT_SCALAR_INT64,    /* [-+]?[0-9]+L(L)? */
        MAILACCT_SCALAR_HEX,      /* 0[Xx][0-9A-Fa-f]+ */
        MAILACCT_SCALAR_HEX64,    /* 0[Xx][0-9A-Fa-f]+L(L)? */
        MAILACCT_SCALAR_FLOAT,
};

struct mailacct_lexer {
        const char *p, *end;
        int line;
        bool bol; /* only blanks since the start of the line */
};

struct mailacct_token {
        enum mailacct_tok kind;
        enum mailacct_scalar scalar; /* SCALAR only */
        const char *text;
        size_t len;
        int line; /* where the token starts; the lexer's line is where it ends */
};

void mailacct_lex_init(struct mailacct_lexer *lx, const char *buf, size_t len);
enum mailacct_tok mailacct_lex_next(struct mailacct_lexer *lx, struct mailacct_token *t);

/* Appends the decoded text of a STRING or INCLUDE token to out (NUL-
 * terminated, *used bytes so far). -ERANGE when it does not fit, -EINVAL for
 * a NUL byte (libconfig's strings end there; a path must not). */
int mailacct_lex_decode(const struct mailacct_token *t, char *out, size_t len, size_t *used);
