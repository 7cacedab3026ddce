/* SPDX-License-Identifier: MIT */
/* libconfig 1.5's grammar (lib/grammar.y there) by recursive descent over
 * the tokens of lib/conflex.c. Where libconfig's bison parser takes a
 * decision matters, this one takes it at the same token: a setting is
 * added (and a duplicate name refused) as soon as its name is read; a
 * string value ends only when the token after it is read, so an element
 * that is a string takes that token's line (libconfig records yylineno
 * then) and an array's type is checked with that token read; a syntax
 * error names the line where the unexpected token ends. */
#include "cfparse.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conflex.h"
#include "confscan.h"

#define STREAMED 1

struct mailacct_cf_node {
        const char *name;
        const char *file;
        union {
                long long i;
                double f;
                bool b;
                const char *s;
                struct mailacct_cf_node **kids;
                struct stream *stream;
        } v;
        const char *literal; /* integers */
        unsigned n;          /* children; a string's length */
        int line;
        unsigned char type, flags;
};

/* Bump allocation in chunks; reset keeps one chunk. */
struct chunk {
        struct chunk *next;
        size_t size, used;
        max_align_t data[];
};

struct arena {
        struct chunk *head; /* the chunk being filled; big ones are linked behind it */
};

#define CHUNK (64 * 1024)

static void *arena_alloc(struct arena *a, size_t n)
{
        struct chunk *c = a->head;

        if (n > SIZE_MAX / 2)
                return NULL;
        n = (n + 15) & ~(size_t)15;
        if (c && c->size - c->used >= n) {
                void *p = (char *)c->data + c->used;
                c->used += n;
                return p;
        }
        if (n > CHUNK / 4) {
                /* its own chunk, behind the one being filled */
                c = malloc(sizeof(*c) + n);
                if (!c)
                        return NULL;
                c->size = c->used = n;
                if (a->head) {
                        c->next = a->head->next;
                        a->head->next = c;
                } else {
                        c->next = NULL;
                        a->head = c;
                }
                return c->data;
        }
        c = malloc(sizeof(*c) + CHUNK);
        if (!c)
                return NULL;
        c->size = CHUNK;
        c->used = n;
        c->next = a->head;
        a->head = c;
        return c->data;
}

static void arena_reset(struct arena *a, bool keep_one)
{
        struct chunk *c = a->head, *keep = NULL;

        while (c) {
                struct chunk *next = c->next;
                if (keep_one && !keep && c->size == CHUNK) {
                        keep = c;
                        keep->used = 0;
                        keep->next = NULL;
                } else
                        free(c);
                c = next;
        }
        a->head = keep;
}

/* One file being read: the lexer runs on across @includes, as flex's
 * buffer stack does. */
struct level {
        struct mailacct_lexer lx;
        const char *file;
};

/* Where a streamed list's elements begin: the lexers just after its "(" and
 * the number of @include lines met before it. */
struct stream {
        struct level lv[MAILACCT_INCLUDE_DEPTH + 1];
        int depth;
        size_t next_inst;
};

/* An @include line met: the file's name and text (the k-th line met when
 * reading again is the k-th recorded). */
struct inst {
        const char *file;
        const char *text;
        size_t len;
};

struct tok {
        enum mailacct_tok kind;
        enum mailacct_scalar scalar;
        const char *text;
        size_t len;
        int line; /* where it ends: libconfig's yylineno once it is read */
        const char *file;
};

enum frame_mode { KEEP, COUNT, YIELD };

/* An open group, list or array: its children so far are pending[first..]. */
struct frame {
        struct mailacct_cf_node *node;
        struct arena *arena;
        size_t first;
        enum frame_mode mode; /* a streamed list: COUNT (first reading), YIELD (again) */
        unsigned count;
        uint32_t *index; /* a group's names, once it has many: positions + 1 */
        size_t index_cap;
};

struct mailacct_cf {
        struct arena keep, scratch, *cur;
        struct mailacct_cf_node *root;
        const char *const *stream_names;
        mailacct_cf_include_fn *include;
        void *ctx;
        char **labels;
        size_t n_labels;
        struct inst *insts;
        size_t n_insts, next_inst;
        struct level lv[MAILACCT_INCLUDE_DEPTH + 1];
        int depth;
        struct tok la;
        bool has_la;
        struct mailacct_cf_node **pending;
        size_t n_pending, cap_pending;
        struct frame frames[MAILACCT_CF_DEPTH + 1];
        int n_frames;
        struct mailacct_cf_node *yielded;
        const struct mailacct_cf_node *reading; /* the streamed list an iterator reads */
        char *buf;                              /* a string being joined, a number, a long name */
        size_t buf_cap;
        char *inc_name; /* apart: an @include may come between two strings that join */
        size_t inc_name_cap;
        struct mailacct_cf_error *err;
        bool err_set;
};

__attribute__((format(printf, 4, 5))) static int fail(struct mailacct_cf *cf, const char *file, int line,
                                                      const char *fmt, ...)
{
        va_list ap;

        if (cf->err_set)
                return -EINVAL;
        cf->err_set = true;
        if (cf->err) {
                snprintf(cf->err->file, sizeof(cf->err->file), "%s", file ? file : "");
                cf->err->line = line;
                va_start(ap, fmt);
                vsnprintf(cf->err->text, sizeof(cf->err->text), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int nomem(struct mailacct_cf *cf)
{
        (void)fail(cf, cf->lv[0].file, 0, "out of memory");
        return -ENOMEM;
}

static int syntax_error(struct mailacct_cf *cf, const struct tok *t)
{
        return fail(cf, t->file, t->line, "syntax error");
}

static int grow(struct mailacct_cf *cf, char **buf, size_t *buf_cap, size_t need)
{
        char *b;
        size_t cap = *buf_cap ? *buf_cap : 256;

        if (need <= *buf_cap)
                return 0;
        while (cap < need)
                cap *= 2;
        b = realloc(*buf, cap);
        if (!b)
                return nomem(cf);
        *buf = b;
        *buf_cap = cap;
        return 0;
}

static int grow_buf(struct mailacct_cf *cf, size_t need)
{
        return grow(cf, &cf->buf, &cf->buf_cap, need);
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
        char *p = arena_alloc(a, n + 1);

        if (p) {
                memcpy(p, s, n);
                p[n] = '\0';
        }
        return p;
}

/* One copy per file name, for the life of the tree (libconfig keeps one
 * per name as well: an included file's nodes name it as written). */
static const char *label(struct mailacct_cf *cf, const char *name)
{
        char **v;

        for (size_t i = 0; i < cf->n_labels; i++)
                if (strcmp(cf->labels[i], name) == 0)
                        return cf->labels[i];
        v = realloc(cf->labels, (cf->n_labels + 1) * sizeof(*v));
        if (!v)
                return NULL;
        cf->labels = v;
        v[cf->n_labels] = strdup(name);
        if (!v[cf->n_labels])
                return NULL;
        return v[cf->n_labels++];
}

/* ---- tokens ------------------------------------------------------------------ */

static int push_include(struct mailacct_cf *cf, const struct mailacct_token *mt, struct level *lv)
{
        int line = lv->lx.line, r;
        struct inst *in;
        size_t used = 0;

        if (cf->depth - 1 == MAILACCT_INCLUDE_DEPTH)
                return fail(cf, lv->file, line, "include file nesting too deep");
        r = grow(cf, &cf->inc_name, &cf->inc_name_cap, mt->len + 1);
        if (r < 0)
                return r;
        if (mailacct_lex_decode(mt, cf->inc_name, cf->inc_name_cap, &used) < 0)
                return fail(cf, lv->file, line, "syntax error: NUL byte in an @include name");
        if (cf->next_inst < cf->n_insts) {
                /* reading a streamed list again: the same file as the first time */
                in = &cf->insts[cf->next_inst];
                if (strcmp(in->file, cf->inc_name) != 0)
                        return fail(cf, lv->file, line, "changed while it was read");
        } else {
                const char *text = NULL, *file;
                size_t len = 0;
                struct inst *v;

                if (!cf->include || cf->include(cf->ctx, cf->inc_name, &text, &len) < 0)
                        return fail(cf, lv->file, line, "cannot open include file");
                file = label(cf, cf->inc_name);
                v = realloc(cf->insts, (cf->n_insts + 1) * sizeof(*v));
                if (!file || !v) {
                        if (v)
                                cf->insts = v;
                        return nomem(cf);
                }
                cf->insts = v;
                in = &v[cf->n_insts++];
                *in = (struct inst){.file = file, .text = text ? text : "", .len = text ? len : 0};
        }
        cf->next_inst++;
        lv = &cf->lv[cf->depth++];
        mailacct_lex_init(&lv->lx, in->text, in->len);
        lv->file = in->file;
        return 0;
}

static int fetch(struct mailacct_cf *cf, struct tok *t)
{
        for (;;) {
                struct level *lv = &cf->lv[cf->depth - 1];
                struct mailacct_token mt;
                enum mailacct_tok k = mailacct_lex_next(&lv->lx, &mt);
                int r;

                if (k == MAILACCT_TOK_END && cf->depth > 1) {
                        cf->depth--; /* flex's <<EOF>>: back to the including file */
                        continue;
                }
                if (k == MAILACCT_TOK_INCLUDE) {
                        r = push_include(cf, &mt, lv);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k == MAILACCT_TOK_ERROR)
                        return fail(cf, lv->file, mt.line, "syntax error: unterminated %s",
                                    mt.len == 2   ? "comment"
                                    : mt.len == 1 ? "string"
                                                  : "@include line");
                *t = (struct tok){.kind = k,
                                  .scalar = mt.scalar,
                                  .text = mt.text,
                                  .len = mt.len,
                                  .line = lv->lx.line,
                                  .file = lv->file};
                return 0;
        }
}

static int peek(struct mailacct_cf *cf, const struct tok **t)
{
        if (!cf->has_la) {
                int r = fetch(cf, &cf->la);
                if (r < 0)
                        return r;
                cf->has_la = true;
        }
        *t = &cf->la;
        return 0;
}

static int take(struct mailacct_cf *cf, struct tok *t)
{
        if (cf->has_la) {
                *t = cf->la;
                cf->has_la = false;
                return 0;
        }
        return fetch(cf, t);
}

static bool is_punct(const struct tok *t, enum mailacct_tok kind, char c)
{
        return t->kind == kind && t->text[0] == c;
}

/* ---- values ------------------------------------------------------------------ */

static long long decimal(const char *p, size_t n)
{
        bool neg = *p == '-';
        unsigned long long v = 0;
        size_t i = *p == '-' || *p == '+';

        /* strtoll's answer: saturated beyond 64 bits */
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
                unsigned d = (unsigned)(p[i] - '0');
                if (v > (ULLONG_MAX - d) / 10) {
                        v = ULLONG_MAX;
                        break;
                }
                v = v * 10 + d;
        }
        if (neg)
                return v > (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : (long long)(0 - v);
        return v > (unsigned long long)LLONG_MAX ? LLONG_MAX : (long long)v;
}

static long long hex(const char *p, size_t n)
{
        unsigned long long v = 0;

        /* strtoull's answer, taken as libconfig takes its hex64: a bit pattern */
        for (size_t i = 2; i < n; i++) {
                char c = p[i];
                unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                             : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                             : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                    : 16;
                if (d == 16)
                        break;
                if (v >> 60) {
                        v = ULLONG_MAX;
                        break;
                }
                v = v << 4 | d;
        }
        return (long long)v;
}

static locale_t c_locale(void)
{
        static locale_t c;
        locale_t l = __atomic_load_n(&c, __ATOMIC_ACQUIRE);

        /* glibc gives the C locale's static object: nothing is allocated,
         * and two threads that race here store the same pointer */
        if (!l) {
                l = newlocale(LC_ALL_MASK, "C", (locale_t)0);
                __atomic_store_n(&c, l, __ATOMIC_RELEASE);
        }
        return l;
}

static int set_scalar(struct mailacct_cf *cf, struct mailacct_cf_node *n, const struct tok *t)
{
        switch (t->scalar) {
        case MAILACCT_SCALAR_BOOL:
                n->type = MAILACCT_CF_BOOL;
                n->v.b = t->len == 4; /* "true", any case */
                return 0;
        case MAILACCT_SCALAR_INT:
        case MAILACCT_SCALAR_INT64:
                n->type = t->scalar == MAILACCT_SCALAR_INT ? MAILACCT_CF_INT : MAILACCT_CF_INT64;
                n->v.i = decimal(t->text, t->len);
                break;
        case MAILACCT_SCALAR_HEX:
        case MAILACCT_SCALAR_HEX64:
                n->type = t->scalar == MAILACCT_SCALAR_HEX ? MAILACCT_CF_INT : MAILACCT_CF_INT64;
                n->v.i = hex(t->text, t->len);
                break;
        case MAILACCT_SCALAR_FLOAT: {
                int r = grow_buf(cf, t->len + 1);
                locale_t c = c_locale();
                if (r < 0)
                        return r;
                memcpy(cf->buf, t->text, t->len);
                cf->buf[t->len] = '\0';
                n->type = MAILACCT_CF_FLOAT;
                /* atof() in the C locale, as libconfig reads it ("." is 0) */
                n->v.f = c ? strtod_l(cf->buf, NULL, c) : strtod(cf->buf, NULL);
                return 0;
        }
        default:
                return syntax_error(cf, t);
        }
        n->literal = arena_strndup(cf->cur, t->text, t->len);
        return n->literal ? 0 : nomem(cf);
}

/* A string and the strings right after it, joined; t is the first. The
 * token after them is read (cf->la). */
static int string(struct mailacct_cf *cf, const struct tok *t, const char **s, unsigned *len)
{
        size_t used = 0;
        const struct tok *next;
        struct tok cur = *t;
        int r;

        for (;;) {
                struct mailacct_token mt = {.kind = MAILACCT_TOK_STRING, .text = cur.text, .len = cur.len};

                r = grow_buf(cf, used + cur.len + 1);
                if (r < 0)
                        return r;
                if (mailacct_lex_decode(&mt, cf->buf, cf->buf_cap, &used) < 0)
                        return fail(cf, cur.file, cur.line, "syntax error: NUL byte in a string");
                if (used > UINT32_MAX)
                        return fail(cf, cur.file, cur.line, "syntax error: string longer than 4 GiB");
                r = peek(cf, &next);
                if (r < 0)
                        return r;
                if (next->kind != MAILACCT_TOK_STRING)
                        break;
                r = take(cf, &cur);
                if (r < 0)
                        return r;
        }
        *s = arena_strndup(cf->cur, cf->buf, used);
        *len = (unsigned)used;
        return *s ? 0 : nomem(cf);
}

static struct mailacct_cf_node *new_node(struct mailacct_cf *cf, const char *file, int line)
{
        struct mailacct_cf_node *n = arena_alloc(cf->cur, sizeof(*n));

        if (n) {
                memset(n, 0, sizeof(*n));
                n->file = file;
                n->line = line;
        }
        return n;
}

static int push_pending(struct mailacct_cf *cf, struct mailacct_cf_node *n)
{
        if (cf->n_pending == cf->cap_pending) {
                size_t cap = cf->cap_pending ? cf->cap_pending * 2 : 256;
                struct mailacct_cf_node **v = realloc(cf->pending, cap * sizeof(*v));
                if (!v)
                        return nomem(cf);
                cf->pending = v;
                cf->cap_pending = cap;
        }
        cf->pending[cf->n_pending++] = n;
        return 0;
}

static int open_frame(struct mailacct_cf *cf, struct mailacct_cf_node *n, enum frame_mode mode, const struct tok *t)
{
        struct frame *f;

        if (cf->n_frames == MAILACCT_CF_DEPTH + 1)
                return fail(cf, t ? t->file : NULL, t ? t->line : 0, "syntax error: nested deeper than %d levels",
                            MAILACCT_CF_DEPTH);
        f = &cf->frames[cf->n_frames++];
        *f = (struct frame){.node = n, .arena = cf->cur, .first = cf->n_pending, .mode = mode};
        return 0;
}

/* The children go into one array in the container's arena. */
static int close_frame(struct mailacct_cf *cf)
{
        struct frame *f = &cf->frames[--cf->n_frames];
        size_t n = cf->n_pending - f->first;

        if (f->mode != KEEP) {
                f->node->n = f->count;
                return 0;
        }
        f->node->n = (unsigned)n;
        if (n) {
                f->node->v.kids = arena_alloc(f->arena, n * sizeof(*f->node->v.kids));
                if (!f->node->v.kids)
                        return nomem(cf);
                memcpy(f->node->v.kids, cf->pending + f->first, n * sizeof(*f->node->v.kids));
        }
        cf->n_pending = f->first;
        return 0;
}

static uint64_t name_hash(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ull;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        return h;
}

/* Whether the open group f has a member called name (libconfig's check as
 * it adds a setting); a group of many members gets an index of names. */
static int has_member(struct mailacct_cf *cf, struct frame *f, const char *name, size_t len, bool *found)
{
        size_t n = cf->n_pending - f->first;
        struct mailacct_cf_node **m = n ? cf->pending + f->first : NULL;

        *found = false;
        if (n < 16 && !f->index) {
                for (size_t i = 0; i < n; i++)
                        if (m[i]->name[0] == name[0] && strncmp(m[i]->name, name, len) == 0 &&
                            m[i]->name[len] == '\0') {
                                *found = true;
                                break;
                        }
                return 0;
        }
        if (!f->index || (n + 1) * 2 > f->index_cap) {
                size_t cap = f->index_cap ? f->index_cap * 2 : 64;
                uint32_t *ix = arena_alloc(f->arena, cap * sizeof(*ix));
                if (!ix)
                        return nomem(cf);
                memset(ix, 0, cap * sizeof(*ix));
                for (size_t i = 0; i < n; i++) {
                        size_t h = (size_t)name_hash(m[i]->name) & (cap - 1);
                        while (ix[h])
                                h = (h + 1) & (cap - 1);
                        ix[h] = (uint32_t)i + 1;
                }
                f->index = ix;
                f->index_cap = cap;
        }
        {
                char tmp[256];
                const char *key = name;
                size_t h;

                if (len < sizeof(tmp)) {
                        memcpy(tmp, name, len);
                        tmp[len] = '\0';
                        key = tmp;
                } else {
                        int r = grow_buf(cf, len + 1);
                        if (r < 0)
                                return r;
                        memcpy(cf->buf, name, len);
                        cf->buf[len] = '\0';
                        key = cf->buf;
                }
                for (h = (size_t)name_hash(key) & (f->index_cap - 1); f->index[h]; h = (h + 1) & (f->index_cap - 1))
                        if (strcmp(m[f->index[h] - 1]->name, key) == 0) {
                                *found = true;
                                return 0;
                        }
                /* the caller adds it next: its slot is taken now */
                f->index[h] = (uint32_t)n + 1;
        }
        return 0;
}

static bool streams(const struct mailacct_cf *cf, const char *name)
{
        for (const char *const *s = cf->stream_names; s && *s; s++)
                if (strcmp(*s, name) == 0)
                        return true;
        return false;
}

static int value(struct mailacct_cf *cf, struct mailacct_cf_node *setting, struct mailacct_cf_node **elem);

/* An element of the innermost open list or array: kept, counted or handed
 * out. An array's elements are of the type of its first. */
static int add_element(struct mailacct_cf *cf, struct mailacct_cf_node *e)
{
        struct frame *f = &cf->frames[cf->n_frames - 1];

        if (f->node->type == MAILACCT_CF_ARRAY && cf->n_pending > f->first && cf->pending[f->first]->type != e->type)
                return fail(cf, e->file, e->line, "mismatched element type in array");
        if (f->mode == COUNT) {
                f->count++;
                return 0;
        }
        if (f->mode == YIELD) {
                cf->yielded = e;
                return 0;
        }
        return push_pending(cf, e);
}

static int settings(struct mailacct_cf *cf, bool top);

/* ( value, ... ) after its "(": each element parsed and added. */
static int list_body(struct mailacct_cf *cf)
{
        struct frame *f = &cf->frames[cf->n_frames - 1];
        const struct tok *p;
        struct tok t;
        int r;

        r = peek(cf, &p);
        if (r < 0)
                return r;
        if (is_punct(p, MAILACCT_TOK_CLOSE, ')'))
                return take(cf, &t);
        for (;;) {
                struct mailacct_cf_node *e = NULL;

                if (f->mode == COUNT)
                        cf->cur = &cf->scratch; /* checked, then forgotten */
                r = value(cf, NULL, &e);
                if (r == 0)
                        r = add_element(cf, e);
                if (f->mode == COUNT) {
                        arena_reset(&cf->scratch, true);
                        cf->cur = &cf->keep;
                }
                if (r == 0)
                        r = take(cf, &t);
                if (r < 0)
                        return r;
                if (is_punct(&t, MAILACCT_TOK_CLOSE, ')'))
                        return 0;
                if (t.kind != MAILACCT_TOK_COMMA)
                        return syntax_error(cf, &t);
        }
}

/* [ scalar, ... ] after its "[" */
static int array_body(struct mailacct_cf *cf)
{
        const struct tok *p;
        struct tok t;
        int r;

        r = peek(cf, &p);
        if (r < 0)
                return r;
        if (is_punct(p, MAILACCT_TOK_CLOSE, ']'))
                return take(cf, &t);
        for (;;) {
                struct mailacct_cf_node *e = NULL;

                r = peek(cf, &p);
                if (r < 0)
                        return r;
                if (p->kind != MAILACCT_TOK_SCALAR && p->kind != MAILACCT_TOK_STRING) {
                        t = *p;
                        return syntax_error(cf, &t);
                }
                r = value(cf, NULL, &e);
                if (r == 0)
                        r = add_element(cf, e);
                if (r == 0)
                        r = take(cf, &t);
                if (r < 0)
                        return r;
                if (is_punct(&t, MAILACCT_TOK_CLOSE, ']'))
                        return 0;
                if (t.kind != MAILACCT_TOK_COMMA)
                        return syntax_error(cf, &t);
        }
}

/* The value of setting, or (setting NULL) a new element *elem, made where
 * libconfig makes it: a scalar's at its token, a string's once the token
 * after it is read, an aggregate's at its opening bracket. */
static int value(struct mailacct_cf *cf, struct mailacct_cf_node *setting, struct mailacct_cf_node **elem)
{
        struct mailacct_cf_node *n = setting;
        enum frame_mode mode = KEEP;
        struct tok t;
        int r;

        r = take(cf, &t);
        if (r < 0)
                return r;
        switch (t.kind) {
        case MAILACCT_TOK_SCALAR:
                if (!n && !(n = new_node(cf, t.file, t.line)))
                        return nomem(cf);
                *elem = n;
                return set_scalar(cf, n, &t);
        case MAILACCT_TOK_STRING: {
                const char *s = NULL;
                unsigned len = 0;
                r = string(cf, &t, &s, &len);
                if (r < 0)
                        return r;
                if (!n && !(n = new_node(cf, cf->la.file, cf->la.line)))
                        return nomem(cf);
                n->type = MAILACCT_CF_STRING;
                n->v.s = s;
                n->n = len;
                *elem = n;
                return 0;
        }
        case MAILACCT_TOK_OPEN:
                if (!n && !(n = new_node(cf, t.file, t.line)))
                        return nomem(cf);
                *elem = n;
                break;
        default:
                return syntax_error(cf, &t);
        }
        switch (t.text[0]) {
        case '{':
                n->type = MAILACCT_CF_GROUP;
                r = open_frame(cf, n, KEEP, &t);
                if (r == 0)
                        r = settings(cf, false);
                break;
        case '[':
                n->type = MAILACCT_CF_ARRAY;
                r = open_frame(cf, n, KEEP, &t);
                if (r == 0)
                        r = array_body(cf);
                break;
        default:
                n->type = MAILACCT_CF_LIST;
                if (setting && cf->n_frames == 1 && streams(cf, setting->name)) {
                        /* remembered where its elements start: nothing is read ahead here */
                        struct stream *s = arena_alloc(&cf->keep, sizeof(*s));
                        if (!s)
                                return nomem(cf);
                        memcpy(s->lv, cf->lv, sizeof(s->lv));
                        s->depth = cf->depth;
                        s->next_inst = cf->next_inst;
                        n->v.stream = s;
                        n->flags |= STREAMED;
                        mode = COUNT;
                }
                r = open_frame(cf, n, mode, &t);
                if (r == 0)
                        r = list_body(cf);
                break;
        }
        if (r == 0)
                r = close_frame(cf);
        return r;
}

/* name = value; ... up to the group's "}" or the end of the text (top). */
static int settings(struct mailacct_cf *cf, bool top)
{
        struct frame *f = &cf->frames[cf->n_frames - 1];
        struct mailacct_cf_node *n, *unused;
        const struct tok *p = NULL;
        struct tok t;
        bool dup;
        int r;

        for (;;) {
                r = take(cf, &t);
                if (r < 0)
                        return r;
                if (t.kind != MAILACCT_TOK_NAME) {
                        if (top ? t.kind == MAILACCT_TOK_END : is_punct(&t, MAILACCT_TOK_CLOSE, '}'))
                                return 0;
                        return syntax_error(cf, &t);
                }
                /* libconfig adds the setting as soon as it reads the name */
                r = has_member(cf, f, t.text, t.len, &dup);
                if (r < 0)
                        return r;
                if (dup)
                        return fail(cf, t.file, t.line, "duplicate setting name");
                n = new_node(cf, t.file, t.line);
                if (!n || !(n->name = arena_strndup(cf->cur, t.text, t.len)) || push_pending(cf, n) < 0)
                        return nomem(cf);
                r = take(cf, &t);
                if (r < 0)
                        return r;
                if (t.kind != MAILACCT_TOK_EQUALS)
                        return syntax_error(cf, &t);
                r = value(cf, n, &unused);
                if (r == 0)
                        r = peek(cf, &p);
                if (r < 0)
                        return r;
                if (p->kind == MAILACCT_TOK_SEMICOLON || p->kind == MAILACCT_TOK_COMMA)
                        cf->has_la = false;
        }
}

/* ---- the tree ---------------------------------------------------------------- */

void mailacct_cf_free(struct mailacct_cf *cf)
{
        if (!cf)
                return;
        arena_reset(&cf->keep, false);
        arena_reset(&cf->scratch, false);
        for (size_t i = 0; i < cf->n_labels; i++)
                free(cf->labels[i]);
        free(cf->labels);
        free(cf->insts);
        free(cf->pending);
        free(cf->buf);
        free(cf->inc_name);
        free(cf);
}

int mailacct_cf_parse(const struct mailacct_cf_source *src, struct mailacct_cf **out, struct mailacct_cf_error *err)
{
        struct mailacct_cf *cf = calloc(1, sizeof(*cf));
        int r;

        *out = NULL;
        if (err)
                memset(err, 0, sizeof(*err));
        if (!cf) {
                if (err)
                        snprintf(err->text, sizeof(err->text), "out of memory");
                return -ENOMEM;
        }
        cf->err = err;
        cf->cur = &cf->keep;
        cf->stream_names = src->stream;
        cf->include = src->include;
        cf->ctx = src->ctx;
        cf->depth = 1;
        cf->lv[0].file = label(cf, src->file ? src->file : "");
        mailacct_lex_init(&cf->lv[0].lx, src->text ? src->text : "", src->text ? src->len : 0);
        cf->root = new_node(cf, cf->lv[0].file, 0);
        if (!cf->lv[0].file || !cf->root) {
                r = nomem(cf);
                goto out;
        }
        cf->root->type = MAILACCT_CF_GROUP;
        r = open_frame(cf, cf->root, KEEP, NULL);
        if (r == 0)
                r = settings(cf, true);
        if (r == 0)
                r = close_frame(cf);
out:
        if (r < 0) {
                mailacct_cf_free(cf);
                return r;
        }
        cf->err = NULL;
        cf->has_la = false;
        cf->n_frames = 0;
        cf->n_pending = 0;
        *out = cf;
        return 0;
}

const struct mailacct_cf_node *mailacct_cf_root(const struct mailacct_cf *cf)
{
        return cf->root;
}

enum mailacct_cf_type mailacct_cf_type(const struct mailacct_cf_node *n)
{
        return (enum mailacct_cf_type)n->type;
}

const char *mailacct_cf_name(const struct mailacct_cf_node *n)
{
        return n->name;
}

const char *mailacct_cf_file(const struct mailacct_cf_node *n)
{
        return n->file;
}

int mailacct_cf_line(const struct mailacct_cf_node *n)
{
        return n->line;
}

static bool aggregate(const struct mailacct_cf_node *n)
{
        return n->type == MAILACCT_CF_GROUP || n->type == MAILACCT_CF_LIST || n->type == MAILACCT_CF_ARRAY;
}

unsigned mailacct_cf_length(const struct mailacct_cf_node *n)
{
        return aggregate(n) ? n->n : 0;
}

const struct mailacct_cf_node *mailacct_cf_elem(const struct mailacct_cf_node *n, unsigned i)
{
        if (!aggregate(n) || (n->flags & STREAMED) || i >= n->n)
                return NULL;
        return n->v.kids[i];
}

const struct mailacct_cf_node *mailacct_cf_member(const struct mailacct_cf_node *n, const char *name)
{
        if (n->type != MAILACCT_CF_GROUP)
                return NULL;
        for (unsigned i = 0; i < n->n; i++)
                if (strcmp(n->v.kids[i]->name, name) == 0)
                        return n->v.kids[i];
        return NULL;
}

const char *mailacct_cf_string(const struct mailacct_cf_node *n)
{
        return n->type == MAILACCT_CF_STRING ? n->v.s : NULL;
}

long long mailacct_cf_int64(const struct mailacct_cf_node *n)
{
        return n->type == MAILACCT_CF_INT || n->type == MAILACCT_CF_INT64 ? n->v.i : 0;
}

const char *mailacct_cf_literal(const struct mailacct_cf_node *n)
{
        return n->type == MAILACCT_CF_INT || n->type == MAILACCT_CF_INT64 ? n->literal : NULL;
}

bool mailacct_cf_bool(const struct mailacct_cf_node *n)
{
        return n->type == MAILACCT_CF_BOOL && n->v.b;
}

double mailacct_cf_float(const struct mailacct_cf_node *n)
{
        return n->type == MAILACCT_CF_FLOAT ? n->v.f : 0.0;
}

bool mailacct_cf_streamed(const struct mailacct_cf_node *n)
{
        return (n->flags & STREAMED) != 0;
}

void mailacct_cf_iter_init(struct mailacct_cf *cf, const struct mailacct_cf_node *list, struct mailacct_cf_iter *it)
{
        *it = (struct mailacct_cf_iter){.cf = cf, .list = list, .done = !aggregate(list)};
}

static int stale(struct mailacct_cf *cf, int r)
{
        cf->reading = NULL;
        cf->n_frames = 0;
        cf->n_pending = 0;
        cf->has_la = false;
        cf->cur = &cf->keep;
        arena_reset(&cf->scratch, true);
        if (r == -ENOMEM)
                return r;
        if (cf->err)
                snprintf(cf->err->text, sizeof(cf->err->text), "changed while it was read");
        return -ESTALE;
}

int mailacct_cf_iter_next(struct mailacct_cf_iter *it, const struct mailacct_cf_node **out,
                          struct mailacct_cf_error *err)
{
        struct mailacct_cf *cf = it->cf;
        const struct mailacct_cf_node *list = it->list;
        const struct tok *p;
        struct tok t;
        int r;

        *out = NULL;
        if (it->done)
                return 0;
        if (!(list->flags & STREAMED)) {
                if (it->i >= list->n) {
                        it->done = true;
                        return 0;
                }
                *out = list->v.kids[it->i++];
                return 1;
        }
        if (cf->reading && cf->reading != list)
                return -EBUSY;
        cf->err = err;
        cf->err_set = false;
        if (err)
                memset(err, 0, sizeof(*err));
        arena_reset(&cf->scratch, true);
        if (it->i == 0) {
                const struct stream *s = list->v.stream;
                memcpy(cf->lv, s->lv, sizeof(cf->lv));
                cf->depth = s->depth;
                cf->next_inst = s->next_inst;
                cf->has_la = false;
                cf->reading = list;
                r = peek(cf, &p);
                if (r < 0)
                        return stale(cf, r);
                if (is_punct(p, MAILACCT_TOK_CLOSE, ')')) {
                        cf->reading = NULL;
                        it->done = true;
                        return list->n == 0 ? 0 : stale(cf, -EINVAL);
                }
        }
        if (it->i >= list->n)
                return stale(cf, fail(cf, list->file, list->line, "changed"));
        cf->cur = &cf->scratch;
        cf->n_frames = 0;
        cf->n_pending = 0;
        r = open_frame(cf, (struct mailacct_cf_node *)list, YIELD, NULL);
        if (r == 0)
                r = value(cf, NULL, &cf->yielded);
        if (r == 0)
                r = add_element(cf, cf->yielded);
        if (r == 0)
                r = take(cf, &t);
        if (r < 0)
                return stale(cf, r);
        cf->n_frames = 0;
        cf->cur = &cf->keep;
        it->i++;
        if (is_punct(&t, MAILACCT_TOK_CLOSE, ')')) {
                it->done = true;
                cf->reading = NULL;
                if (it->i != list->n)
                        return stale(cf, fail(cf, t.file, t.line, "changed"));
        } else if (t.kind != MAILACCT_TOK_COMMA)
                return stale(cf, syntax_error(cf, &t));
        *out = cf->yielded;
        return 1;
}
