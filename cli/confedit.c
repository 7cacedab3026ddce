/* SPDX-License-Identifier: MIT */
/* Where things stand in a configuration's text, for a writer that changes
 * a few settings and keeps the rest (comments, layout) byte for byte:
 * import appends mailboxes and domains to their lists and, with --update,
 * replaces single values. Found with the lexer readers use (lib/conflex.h),
 * so a string or comment that looks like a setting is never taken for one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conflex.h"
#include "strutil.h"

struct pos {
        enum mailacct_tok kind;
        size_t start, end; /* the token's bytes, quotes included */
        const char *text;
        size_t len;
};

static enum mailacct_tok next(struct mailacct_lexer *lx, const char *base, struct pos *p)
{
        struct mailacct_token t;

        p->kind = mailacct_lex_next(lx, &t);
        p->text = t.text;
        p->len = t.len;
        p->start = (size_t)(t.text - base);
        p->end = p->start + t.len;
        if (p->kind == MAILACCT_TOK_STRING) {
                p->start--;
                p->end++;
        }
        return p->kind;
}

static bool is_name(const struct pos *p, const char *name)
{
        return p->kind == MAILACCT_TOK_NAME && p->len == strlen(name) && memcmp(p->text, name, p->len) == 0;
}

/* Skips one value starting with token *v (already read): a bracketed value
 * to its close, adjacent strings, a scalar. *end gets where it ends; the
 * token after it is in *v. -EINVAL on a value cut short. */
static int skip_value(struct mailacct_lexer *lx, const char *base, struct pos *v, size_t *end)
{
        if (v->kind == MAILACCT_TOK_OPEN) {
                int depth = 1;
                while (depth > 0) {
                        if (next(lx, base, v) == MAILACCT_TOK_END || v->kind == MAILACCT_TOK_ERROR)
                                return -EINVAL;
                        depth += v->kind == MAILACCT_TOK_OPEN ? 1 : v->kind == MAILACCT_TOK_CLOSE ? -1 : 0;
                }
                *end = v->end;
                next(lx, base, v);
                return 0;
        }
        if (v->kind == MAILACCT_TOK_STRING) {
                do
                        *end = v->end;
                while (next(lx, base, v) == MAILACCT_TOK_STRING);
                return 0;
        }
        if (v->kind == MAILACCT_TOK_SCALAR || v->kind == MAILACCT_TOK_NAME) {
                *end = v->end;
                next(lx, base, v);
                return 0;
        }
        return -EINVAL;
}

int cli_conf_find_setting(const char *buf, size_t len, size_t from, size_t to, const char *name, size_t *vstart,
                          size_t *vend)
{
        struct mailacct_lexer lx;
        struct pos p;
        int depth = 0;

        mailacct_lex_init(&lx, buf + from, to - from);
        next(&lx, buf, &p);
        (void)len;
        while (p.kind != MAILACCT_TOK_END && p.kind != MAILACCT_TOK_ERROR) {
                if (depth == 0 && is_name(&p, name)) {
                        if (next(&lx, buf, &p) != MAILACCT_TOK_EQUALS)
                                continue;
                        next(&lx, buf, &p);
                        *vstart = p.start;
                        return skip_value(&lx, buf, &p, vend);
                }
                if (depth == 0 && p.kind == MAILACCT_TOK_NAME) {
                        /* another setting: its value, nested or not, is skipped whole */
                        if (next(&lx, buf, &p) != MAILACCT_TOK_EQUALS)
                                continue;
                        next(&lx, buf, &p);
                        size_t end;
                        if (skip_value(&lx, buf, &p, &end) < 0)
                                return -EINVAL;
                        continue;
                }
                depth += p.kind == MAILACCT_TOK_OPEN ? 1 : p.kind == MAILACCT_TOK_CLOSE ? -1 : 0;
                next(&lx, buf, &p);
        }
        return -ENOENT;
}

int cli_conf_list_shape(const char *buf, size_t open, size_t close, bool *empty, bool *trailing_comma)
{
        struct mailacct_lexer lx;
        struct pos p, last = {.kind = MAILACCT_TOK_END};

        /* between the brackets */
        mailacct_lex_init(&lx, buf + open + 1, close - open - 2);
        while (next(&lx, buf, &p) != MAILACCT_TOK_END) {
                if (p.kind == MAILACCT_TOK_ERROR)
                        return -EINVAL;
                last = p;
        }
        *empty = last.kind == MAILACCT_TOK_END;
        *trailing_comma = last.kind == MAILACCT_TOK_COMMA;
        return 0;
}

int cli_conf_find_group(const char *buf, size_t open, size_t close, const char *key, const char *value, size_t *gopen,
                        size_t *gclose)
{
        struct mailacct_lexer lx;
        struct pos p;
        int depth = 0;
        size_t start = 0;
        bool match = false;

        mailacct_lex_init(&lx, buf + open + 1, close - open - 2);
        next(&lx, buf, &p);
        while (p.kind != MAILACCT_TOK_END && p.kind != MAILACCT_TOK_ERROR) {
                if (p.kind == MAILACCT_TOK_OPEN) {
                        if (depth++ == 0) {
                                start = p.start;
                                match = false;
                        }
                } else if (p.kind == MAILACCT_TOK_CLOSE) {
                        if (--depth == 0 && match) {
                                *gopen = start;
                                *gclose = p.start;
                                return 0;
                        }
                } else if (depth == 1 && is_name(&p, key)) {
                        char v[1024];
                        size_t used = 0;
                        if (next(&lx, buf, &p) != MAILACCT_TOK_EQUALS)
                                continue;
                        if (next(&lx, buf, &p) != MAILACCT_TOK_STRING)
                                continue;
                        while (p.kind == MAILACCT_TOK_STRING) {
                                struct mailacct_token t = {.kind = p.kind, .text = p.text, .len = p.len};
                                if (mailacct_lex_decode(&t, v, sizeof(v), &used) < 0)
                                        break;
                                next(&lx, buf, &p);
                        }
                        if (used && mailacct_streq_fold(v, value))
                                match = true;
                        continue;
                }
                next(&lx, buf, &p);
        }
        return -ENOENT;
}

void cli_conf_quote(struct cli_text *t, const char *s)
{
        cli_text_add(t, "\"", 1);
        for (; *s; s++) {
                const char *esc = *s == '"' ? "\\\"" : *s == '\\' ? "\\\\" : NULL;
                if (esc)
                        cli_text_add(t, esc, 2);
                else
                        cli_text_add(t, s, 1);
        }
        cli_text_add(t, "\"", 1);
}

int cli_text_add(struct cli_text *t, const char *s, size_t n)
{
        if (t->len + n + 1 > t->cap) {
                size_t nc = (t->len + n + 1) * 2;
                char *nb = realloc(t->p, nc);
                if (!nb) {
                        t->oom = true;
                        return -ENOMEM;
                }
                t->p = nb;
                t->cap = nc;
        }
        memcpy(t->p + t->len, s, n);
        t->len += n;
        t->p[t->len] = '\0';
        return 0;
}

int cli_text_str(struct cli_text *t, const char *s)
{
        return cli_text_add(t, s, strlen(s));
}
