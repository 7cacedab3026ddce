/* SPDX-License-Identifier: MIT */
/* Mirrors libconfig 1.5's scanner.l (Debian 12's libconfig9 1.5-0.4) rule
 * for rule: what is a comment, where a string ends, which lines are
 * @include directives (only at the start of a line, after blanks), and how
 * flex's longest match splits names, booleans and numbers ("1b" is an
 * integer and a name, "trueish" a name). tests/fuzz/fuzz_conflex.c and
 * fuzz_cfparse.c hold it to libconfig itself. */
#include "conflex.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

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

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static size_t count_digits(const char *p, const char *end, bool (*is)(char))
{
        const char *q = p;

        while (q < end && is(*q))
                q++;
        return (size_t)(q - p);
}

/* [eE][-+]?[0-9]+ at p: its length, or 0 */
static size_t exponent(const char *p, const char *end)
{
        size_t n, i = 1;

        if (p >= end || (*p != 'e' && *p != 'E'))
                return 0;
        if (p + i < end && (p[i] == '+' || p[i] == '-'))
                i++;
        n = count_digits(p + i, end, is_digit);
        return n ? i + n : 0;
}

/* An "L" or "LL" suffix at p: its length. */
static size_t long_suffix(const char *p, const char *end)
{
        if (p >= end || *p != 'L')
                return 0;
        return p + 1 < end && p[1] == 'L' ? 2 : 1;
}

/* The longest of libconfig's number rules that matches at p (a digit, sign
 * or dot): integer, integer64, hex, hex64 and the two forms of float. flex
 * takes the longest match, and on a tie the rule written first; no two of
 * these tie. Returns its length (0: none, the byte is garbage). */
static size_t number(const char *p, const char *end, enum mailacct_scalar *kind)
{
        size_t sign = *p == '+' || *p == '-', d = count_digits(p + sign, end, is_digit), best = 0, i, n;

        if (d) { /* integer, integer64 */
                n = long_suffix(p + sign + d, end);
                best = sign + d + n;
                *kind = n ? MAILACCT_SCALAR_INT64 : MAILACCT_SCALAR_INT;
        }
        /* float: [-+]?([0-9]*)?\.[0-9]*([eE][-+]?[0-9]+)? */
        i = sign + d;
        if (p + i < end && p[i] == '.') {
                i++;
                i += count_digits(p + i, end, is_digit);
                i += exponent(p + i, end);
                if (i > best) {
                        best = i;
                        *kind = MAILACCT_SCALAR_FLOAT;
                }
        }
        /* float: [-+]?([0-9]+)(\.[0-9]*)?[eE][-+]?[0-9]+ */
        if (d) {
                i = sign + d;
                if (p + i < end && p[i] == '.')
                        i += 1 + count_digits(p + i + 1, end, is_digit);
                n = exponent(p + i, end);
                if (n && i + n > best) {
                        best = i + n;
                        *kind = MAILACCT_SCALAR_FLOAT;
                }
        }
        /* hex, hex64: no sign */
        if (!sign && p + 1 < end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                d = count_digits(p + 2, end, is_xdigit);
                n = d ? long_suffix(p + 2 + d, end) : 0;
                if (d && 2 + d + n > best) {
                        best = 2 + d + n;
                        *kind = n ? MAILACCT_SCALAR_HEX64 : MAILACCT_SCALAR_HEX;
                }
        }
        return best;
}

static bool word_is(const char *p, size_t len, const char *w)
{
        return strlen(w) == len && strncasecmp(p, w, len) == 0;
}

static enum mailacct_tok emit(struct mailacct_lexer *lx, struct mailacct_token *t, enum mailacct_tok k,
                              const char *text, size_t len, int line)
{
        t->kind = k;
        t->scalar = 0;
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
                        start = p;
                        p = memchr(p, '\n', (size_t)(lx->end - p));
                        lx->p = p ? p : lx->end;
                        if (!p) /* libconfig's comment is (#|//).*$: it needs the newline */
                                return emit(lx, t, MAILACCT_TOK_GARBAGE, start, 1, line);
                        lx->bol = false;
                        continue;
                case '/':
                        if (p + 1 < lx->end && p[1] == '/') {
                                start = p;
                                p = memchr(p, '\n', (size_t)(lx->end - p));
                                lx->p = p ? p : lx->end;
                                if (!p)
                                        return emit(lx, t, MAILACCT_TOK_GARBAGE, start, 1, line);
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
                        size_t len;
                        while (p < lx->end && is_name_char(*p))
                                p++;
                        lx->p = p;
                        len = (size_t)(p - start);
                        /* the boolean rules come before the name rule: they
                         * win a tie, a longer name wins over them */
                        if (word_is(start, len, "true") || word_is(start, len, "false")) {
                                emit(lx, t, MAILACCT_TOK_SCALAR, start, len, line);
                                t->scalar = MAILACCT_SCALAR_BOOL;
                                return t->kind;
                        }
                        return emit(lx, t, MAILACCT_TOK_NAME, start, len, line);
                }
                if (is_digit(c) || c == '-' || c == '+' || c == '.') {
                        enum mailacct_scalar kind = 0;
                        size_t len = number(p, lx->end, &kind);
                        if (len) {
                                lx->p = p + len;
                                emit(lx, t, MAILACCT_TOK_SCALAR, start, len, line);
                                t->scalar = kind;
                                return t->kind;
                        }
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
        const char *p = t->text, *end = t->text + t->len;
        size_t o = *used;

        while (p < end) {
                /* the text between escapes, at once: most strings have none */
                const char *bs = memchr(p, '\\', (size_t)(end - p));
                size_t n = (size_t)((bs ? bs : end) - p);
                char c;

                if (memchr(p, '\0', n))
                        return -EINVAL;
                if (o + n >= len)
                        return -ERANGE;
                memcpy(out + o, p, n);
                o += n;
                p += n;
                if (p == end)
                        break;
                c = '\\';
                p++;
                if (p < end) {
                        char e = *p;
                        if (e == '\\' || e == '"') {
                                c = e;
                                p++;
                        } else if (!include && (e == 'n' || e == 'r' || e == 't' || e == 'f')) {
                                c = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : '\f';
                                p++;
                        } else if (!include && (e == 'x' || e == 'X') && end - p >= 3 && hexval(p[1]) >= 0 &&
                                   hexval(p[2]) >= 0) {
                                c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                                p += 3;
                        }
                }
                /* anything else: the backslash stands for itself */
                if (c == '\0')
                        return -EINVAL;
                if (o + 1 >= len)
                        return -ERANGE;
                out[o++] = c;
        }
        if (o >= len)
                return -ERANGE;
        out[o] = '\0';
        *used = o;
        return 0;
}
