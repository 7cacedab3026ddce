/* SPDX-License-Identifier: MIT */
#include "confscan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conflex.h"
#include "trust.h"

struct scan {
        struct mailacct_conf_scan *s;
        unsigned flags;
        int conf_fd; /* < 0: open the configuration here */
        const struct stat *conf_st;
        char include_dir[PATH_MAX];
        char *why;
        size_t whylen;
        /* the token stream runs on across included files, as libconfig's does */
        int depth;
        bool prev_name_top; /* the previous token was a name at depth 0 */
        char prev_name[8];
        bool in_index; /* reading the strings of a top-level `index` */
        bool done;
        char value[PATH_MAX];
        size_t value_len;
        const char *value_file;
        int value_line;
};

int mailacct_conf_include_dir(const char *conf_path, char *buf, size_t len)
{
        const char *slash = strrchr(conf_path, '/');
        int n;

        if (!slash)
                n = snprintf(buf, len, ".");
        else if (slash == conf_path)
                n = snprintf(buf, len, "/");
        else
                n = snprintf(buf, len, "%.*s", (int)(slash - conf_path), conf_path);
        return n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

__attribute__((format(printf, 4, 5))) static int fault(struct scan *sc, const char *file, int line, const char *fmt,
                                                       ...)
{
        va_list ap;

        snprintf(sc->s->bad, sizeof(sc->s->bad), "%s", file);
        sc->s->bad_line = line;
        va_start(ap, fmt);
        vsnprintf(sc->why, sc->whylen, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static int finish_index(struct scan *sc)
{
        struct mailacct_conf_scan *s = sc->s;
        const char *v = sc->value;
        int r;

        sc->in_index = false;
        if (!sc->value_len)
                return 0; /* not a string: the loader says so */
        if (v[0] == '/' || !strchr(s->files[0].path, '/'))
                r = asprintf(&s->index, "%s", v);
        else
                r = asprintf(&s->index, "%.*s/%s", (int)(strrchr(s->files[0].path, '/') - s->files[0].path),
                             s->files[0].path, v);
        if (r < 0) {
                s->index = NULL;
                return -ENOMEM;
        }
        s->index_file = sc->value_file;
        s->index_line = sc->value_line;
        if (sc->flags & MAILACCT_SCAN_INDEX_ONLY)
                sc->done = true;
        return 0;
}

static int scan_file(struct scan *sc, const char *path, int level);

/* One token of the stream: tracks bracket depth and the top-level
 * `name = value` settings, and follows @include lines. */
static int step(struct scan *sc, const struct mailacct_token *t, const char *file, int level)
{
        char name[PATH_MAX], full[PATH_MAX];
        size_t used = 0;
        int r;

        if (sc->in_index) {
                if (t->kind == MAILACCT_TOK_STRING) {
                        if (!sc->value_len) {
                                sc->value_file = file;
                                sc->value_line = t->line;
                        }
                        r = mailacct_lex_decode(t, sc->value, sizeof(sc->value), &sc->value_len);
                        if (r < 0)
                                return fault(sc, file, t->line, "syntax error: index: %s",
                                             r == -ERANGE ? "path too long" : "NUL byte in the path");
                        return 0;
                }
                r = finish_index(sc);
                if (r < 0 || sc->done)
                        return r;
        }
        switch (t->kind) {
        case MAILACCT_TOK_INCLUDE:
                r = mailacct_lex_decode(t, name, sizeof(name), &used);
                if (r < 0 || snprintf(full, sizeof(full), "%s/%s", sc->include_dir, name) >= (int)sizeof(full))
                        return fault(sc, file, t->line, "syntax error: @include: %s",
                                     r == -EINVAL ? "NUL byte in the file name" : "file name too long");
                sc->prev_name_top = false;
                return scan_file(sc, full, level + 1);
        case MAILACCT_TOK_OPEN:
                sc->depth++;
                break;
        case MAILACCT_TOK_CLOSE:
                if (sc->depth > 0)
                        sc->depth--;
                break;
        case MAILACCT_TOK_EQUALS:
                if (sc->depth == 0 && sc->prev_name_top && strcmp(sc->prev_name, "ldap") == 0)
                        sc->s->has_ldap = true;
                if (sc->depth == 0 && sc->prev_name_top && strcmp(sc->prev_name, "index") == 0 && !sc->s->index) {
                        sc->in_index = true;
                        sc->value_len = 0;
                        sc->value[0] = '\0';
                }
                break;
        case MAILACCT_TOK_ERROR:
                return fault(sc, file, t->line, "syntax error: unterminated %s",
                             t->len == 2   ? "comment"
                             : t->len == 1 ? "string"
                                           : "@include line");
        default:
                break;
        }
        sc->prev_name_top = t->kind == MAILACCT_TOK_NAME && sc->depth == 0 && t->len < sizeof(sc->prev_name);
        if (sc->prev_name_top)
                snprintf(sc->prev_name, sizeof(sc->prev_name), "%.*s", (int)t->len, t->text);
        return 0;
}

static int scan_file(struct scan *sc, const char *path, int level)
{
        struct mailacct_conf_scan *s = sc->s;
        struct mailacct_conf_file *f;
        struct mailacct_lexer lx;
        struct mailacct_token t;
        void *map = NULL;
        int fd, r = 0;

        if (level > MAILACCT_INCLUDE_DEPTH)
                return fault(sc, path, 0, "@include nested deeper than %d levels", MAILACCT_INCLUDE_DEPTH);
        if (s->n_files == MAILACCT_CONF_FILES_MAX)
                return fault(sc, s->files[0].path, 0, "more than %d files @included", MAILACCT_CONF_FILES_MAX - 1);
        f = &s->files[s->n_files];
        if (level == 0 && sc->conf_fd >= 0) {
                /* the caller opened and checked it: a second check would
                 * only repeat the same walk up the folders */
                fd = fcntl(sc->conf_fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        fd = -errno;
                else
                        f->st = *sc->conf_st;
        } else
                fd = mailacct_trust_open(path, 0, &f->st, sc->why, sc->whylen);
        if (fd < 0) {
                snprintf(s->bad, sizeof(s->bad), "%s", path);
                return fd;
        }
        f->path = strdup(path);
        if (!f->path) {
                close(fd);
                return -ENOMEM;
        }
        s->n_files++;
        if (f->st.st_size > 0) {
                map = mmap(NULL, (size_t)f->st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (map == MAP_FAILED) {
                        r = -errno;
                        snprintf(s->bad, sizeof(s->bad), "%s", path);
                        snprintf(sc->why, sc->whylen, "%s", strerror(-r));
                        close(fd);
                        return r;
                }
                /* a reader looking for `index` reads the head only: no read-ahead of the rest */
                if (!(sc->flags & MAILACCT_SCAN_INDEX_ONLY))
                        (void)madvise(map, (size_t)f->st.st_size, MADV_SEQUENTIAL);
        }
        close(fd);
        mailacct_lex_init(&lx, map ? map : "", map ? (size_t)f->st.st_size : 0);
        /* the path stays valid: files[] keeps it until the scan is freed */
        path = f->path;
        while (r == 0 && !sc->done && mailacct_lex_next(&lx, &t) != MAILACCT_TOK_END)
                r = step(sc, &t, path, level);
        if (map)
                munmap(map, (size_t)f->st.st_size);
        return r;
}

void mailacct_conf_scan_free(struct mailacct_conf_scan *s)
{
        for (size_t i = 0; i < s->n_files; i++)
                free(s->files[i].path);
        free(s->index);
        memset(s, 0, sizeof(*s));
}

int mailacct_conf_scan_fd(const char *conf_path, int fd, const struct stat *st, unsigned flags,
                          struct mailacct_conf_scan *s, char *why, size_t len)
{
        struct scan *sc = calloc(1, sizeof(*sc));
        struct mailacct_token end = {.kind = MAILACCT_TOK_END};
        int r;

        memset(s, 0, sizeof(*s));
        if (!sc)
                return -ENOMEM;
        sc->s = s;
        sc->conf_fd = fd;
        sc->conf_st = st;
        sc->flags = flags;
        sc->why = why;
        sc->whylen = len;
        r = mailacct_conf_include_dir(conf_path, sc->include_dir, sizeof(sc->include_dir));
        if (r == 0)
                r = scan_file(sc, conf_path, 0);
        /* a value that ends the last file */
        if (r == 0 && sc->in_index)
                r = step(sc, &end, conf_path, 0);
        free(sc);
        if (r < 0) {
                /* the fault survives the emptying */
                char bad[sizeof(s->bad)];
                int line = s->bad_line;
                memcpy(bad, s->bad, sizeof(bad));
                mailacct_conf_scan_free(s);
                memcpy(s->bad, bad, sizeof(bad));
                s->bad_line = line;
        }
        return r;
}

int mailacct_conf_scan(const char *conf_path, unsigned flags, struct mailacct_conf_scan *s, char *why, size_t len)
{
        return mailacct_conf_scan_fd(conf_path, -1, NULL, flags, s, why, len);
}
