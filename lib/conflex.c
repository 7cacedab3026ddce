/* SPDX-License-Identifier: MIT */
/* Mirrors libconfig 1.5's scanner.l, rule for rule where it matters to a
 * reader: what is a comment, where a string ends, and which lines are
 * @include directives (only at the start of a line, after blanks). */
#include "conflex.h"

#include <errno.h>
#include <string.h>

void mailacct_lex_init(struct mailacct_lexer *lx, const char *buf, size_t len)
{
        lx->p = buf;
        lx->end = buf + len;
        lx->line = 1;
        lx->bol = true;
}

static bool is_name_start(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
}

static bool is_name_char(char c)
{
        return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool is_scalar_char(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c == '+' ||
               c == '-';
}

static enum mailacct_tok emit(struct mailacct_lexer *lx, struct mailacct_token *t, enum mailacct_tok k,
                              const char *text, size_t len, int line)
{
        t->kind = k;
        t->text = text;
        t->len = len;
        t->line = line;
        lx->bol = false;
        return k;
}

/* From just after an opening quote to the closing one; the body may span
 * lines. In a string \\ and \" are the only escapes that hide a quote; in an
 * @include name they are the only escapes at all. */
static const char *string_end(struct mailacct_lexer *lx, const char *p)
{
        while (p < lx->end) {
                const char *q = p;
                /* the body of a string is most of a configuration's bytes */
                while (q < lx->end && *q != '"' && *q != '\\' && *q != '\n')
                        q++;
                if (q >= lx->end)
                        return NULL;
                if (*q == '"')
                        return q;
                if (*q == '\n') {
                        lx->line++;
                        p = q + 1;
                        continue;
                }
                /* a backslash: \\ and \" are pairs, anything else stands alone */
                if (q + 1 < lx->end && (q[1] == '\\' || q[1] == '"'))
                        p = q + 2;
                else
                        p = q + 1;
        }
        return NULL;
}

static bool at_include(const struct mailacct_lexer *lx, const char **name)
{
        const char *p = lx->p;

        if ((size_t)(lx->end - p) < 10 || memcmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
                return false;
        p += 8;
        while (p < lx->end && (*p == ' ' || *p == '\t'))
                p++;
        if (p >= lx->end || *p != '"')
                return false;
        *name = p + 1;
        return true;
}

enum mailacct_tok mailacct_lex_next(struct mailacct_lexer *lx, struct mailacct_token *t)
{
        for (;;) {
                const char *p = lx->p, *start;
                int line = lx->line;
                char c;

                if (p >= lx->end)
                        return emit(lx, t, MAILACCT_TOK_END, p, 0, line);
                c = *p;
                switch (c) {
                case '\n':
                        lx->line++;
                        lx->bol = true;
                        lx->p = p + 1;
                        continue;
                case ' ':
                case '\t':
                        lx->p = p + 1; /* blanks keep the start of a line */
                        continue;
                case '\r':
                case '\f':
                        lx->bol = false;
                        lx->p = p + 1;
                        continue;
                case '#':
                        p = memchr(p, '\n', (size_t)(lx->end - p));
                        lx->p = p ? p : lx->end;
                        lx->bol = false;
                        continue;
                case '/':
                        if (p + 1 < lx->end && p[1] == '/') {
                                p = memchr(p, '\n', (size_t)(lx->end - p));
                                lx->p = p ? p : lx->end;
                                lx->bol = false;
                                continue;
                        }
                        if (p + 1 < lx->end && p[1] == '*') {
                                start = p;
                                for (p += 2; p + 1 < lx->end && !(p[0] == '*' && p[1] == '/'); p++)
                                        if (*p == '\n')
                                                lx->line++;
                                if (p + 1 >= lx->end) {
                                        lx->p = lx->end;
                                        return emit(lx, t, MAILACCT_TOK_ERROR, start, 2, line);
                                }
                                lx->p = p + 2;
                                lx->bol = false;
                                continue;
                        }
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_GARBAGE, p, 1, line);
                case '"':
                        start = p + 1;
                        p = string_end(lx, start);
                        if (!p) {
                                lx->p = lx->end;
                                return emit(lx, t, MAILACCT_TOK_ERROR, start - 1, 1, line);
                        }
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_STRING, start, (size_t)(p - start), line);
                case '@':
                        if (lx->bol && at_include(lx, &start)) {
                                /* an include name knows only \\ and \" as escapes */
                                for (p = start; p < lx->end && *p != '"'; p++) {
                                        if (*p == '\n')
                                                lx->line++;
                                        else if (*p == '\\') {
                                                if (p + 1 < lx->end && (p[1] == '\\' || p[1] == '"'))
                                                        p++;
                                                else
                                                        break;
                                        }
                                }
                                if (p >= lx->end || *p != '"') {
                                        lx->p = lx->end;
                                        return emit(lx, t, MAILACCT_TOK_ERROR, start, 0, line);
                                }
                                lx->p = p + 1;
                                return emit(lx, t, MAILACCT_TOK_INCLUDE, start, (size_t)(p - start), line);
                        }
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_GARBAGE, p, 1, line);
                case '=':
                case ':':
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_EQUALS, p, 1, line);
                case ';':
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_SEMICOLON, p, 1, line);
                case ',':
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_COMMA, p, 1, line);
                case '{':
                case '(':
                case '[':
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_OPEN, p, 1, line);
                case '}':
                case ')':
                case ']':
                        lx->p = p + 1;
                        return emit(lx, t, MAILACCT_TOK_CLOSE, p, 1, line);
                default:
                        break;
                }
                start = p;
                if (is_name_start(c)) {
                        while (p < lx->end && is_name_char(*p))
                                p++;
                        lx->p = p;
                        /* true/false are names to this lexer: settings are
                         * told apart by what follows, not by their value */
                        return emit(lx, t, MAILACCT_TOK_NAME, start, (size_t)(p - start), line);
                }
                if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
                        while (p < lx->end && is_scalar_char(*p))
                                p++;
                        lx->p = p;
                        return emit(lx, t, MAILACCT_TOK_SCALAR, start, (size_t)(p - start), line);
                }
                lx->p = p + 1;
                return emit(lx, t, MAILACCT_TOK_GARBAGE, p, 1, line);
        }
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int mailacct_lex_decode(const struct mailacct_token *t, char *out, size_t len, size_t *used)
{
        bool include = t->kind == MAILACCT_TOK_INCLUDE;
        size_t o = *used;

        for (size_t i = 0; i < t->len; i++) {
                char c = t->text[i];
                if (c == '\\' && i + 1 < t->len) {
                        char n = t->text[i + 1];
                        if (n == '\\' || n == '"') {
                                c = n;
                                i++;
                        } else if (!include && (n == 'n' || n == 'r' || n == 't' || n == 'f')) {
                                c = n == 'n' ? '\n' : n == 'r' ? '\r' : n == 't' ? '\t' : '\f';
                                i++;
                        } else if (!include && (n == 'x' || n == 'X') && i + 3 < t->len &&
                                   hexval(t->text[i + 2]) >= 0 && hexval(t->text[i + 3]) >= 0) {
                                c = (char)(hexval(t->text[i + 2]) * 16 + hexval(t->text[i + 3]));
                                i += 3;
                        }
                }
                if (c == '\0')
                        return -EINVAL;
                if (o + 1 >= len)
                        return -ERANGE;
                out[o++] = c;
        }
        out[o] = '\0';
        *used = o;
        return 0;
}
