/* SPDX-License-Identifier: MIT */
/* Any bytes as a configuration, through the file source's parser
 * (source/file/cfparse.c) and through libconfig 1.5 itself, the oracle
 * (an input may @include the one other file, "inc.conf", that follows a
 * "\n--\n" line, as in fuzz_conflex.c). What must hold:
 *
 *  - the parser accepts what libconfig accepts, and libconfig accepts what
 *    the parser accepts, but for the refusals of the parser's own listed in
 *    stricter() below;
 *  - when both accept, the trees are equal: names, types, values, order,
 *    file and line of every node (an integer written without L: libconfig
 *    keeps its low 32 bits, the parser all of it);
 *  - when both refuse, they name the same file and line (but for those
 *    refusals: libconfig then fails elsewhere, or later);
 *  - the tree read with the top-level lists streamed (their elements
 *    parsed again one at a time, as the loader reads mailboxes) equals the
 *    whole tree.
 *
 * An input without an includable file is tried a second time with a run of
 * its tokens moved into one, so that @include lines meet every construct.
 *
 * No crash, no sanitizer report, whatever the bytes. */
#include <libconfig.h>

#include "cfparse.h"
#include "conflex.h"
#include "confscan.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the input splits at the first "\n--\n": the configuration, then inc.conf */
static void split(const uint8_t *data, size_t size, size_t *main_len, const uint8_t **inc, size_t *inc_len)
{
        const uint8_t *sep = memmem(data, size, "\n--\n", 4);

        *main_len = sep ? (size_t)(sep - data) + 1 : size;
        *inc = sep ? sep + 4 : NULL;
        *inc_len = sep ? size - (size_t)(sep + 4 - data) : 0;
}

/* The texts the parser asked for, read from the private folder the way
 * libconfig reads them (include_dir + "/" + name), freed after the input. */
struct texts {
        const char *dir;
        char *v[64];
        size_t n;
};

static int read_include(void *ctx, const char *name, const char **text, size_t *len)
{
        struct texts *T = ctx;
        char path[1024];
        struct stat st;
        char *buf;
        int fd;

        if (T->n == sizeof(T->v) / sizeof(T->v[0]) ||
            snprintf(path, sizeof(path), "%s/%s", T->dir, name) >= (int)sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EISDIR;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf || read(fd, buf, (size_t)st.st_size) != (ssize_t)st.st_size) {
                free(buf);
                close(fd);
                return -EIO;
        }
        close(fd);
        T->v[T->n++] = buf;
        *text = buf;
        *len = (size_t)st.st_size;
        return 0;
}

static void texts_free(struct texts *T)
{
        for (size_t i = 0; i < T->n; i++)
                free(T->v[i]);
        T->n = 0;
}

/* The parser's own refusals of what libconfig takes (cfparse.h). */
static bool stricter(const struct mailacct_cf_error *e)
{
        return strstr(e->text, "unterminated") ||     /* cut off by a file's end: libconfig drops it */
               strstr(e->text, "NUL byte") ||         /* libconfig cuts the string there */
               strstr(e->text, "nested deeper than"); /* MAILACCT_CF_DEPTH */
}

static const char *str_or(const char *s)
{
        return s ? s : "(null)";
}

/* Our node against libconfig's. */
static void same_as_libconfig(const struct mailacct_cf_node *n, const config_setting_t *s, const char *where)
{
        int t = config_setting_type(s);
        const char *ln = config_setting_name(s), *on = mailacct_cf_name(n);
        const char *lf = config_setting_source_file(s), *of = mailacct_cf_file(n);

        FZ_ASSERT((int)mailacct_cf_type(n) == t, "%s: type %d, libconfig's %d", where, mailacct_cf_type(n), t);
        FZ_ASSERT((!ln && !on) || (ln && on && strcmp(ln, on) == 0), "%s: name %s, libconfig's %s", where,
                  str_or(on), str_or(ln));
        FZ_ASSERT(mailacct_cf_line(n) == (int)config_setting_source_line(s), "%s (%s): line %d, libconfig's %u",
                  where, str_or(on), mailacct_cf_line(n), config_setting_source_line(s));
        FZ_ASSERT(lf && of && strcmp(lf, of) == 0, "%s (%s): file %s, libconfig's %s", where, str_or(on), str_or(of),
                  str_or(lf));
        switch (t) {
        case CONFIG_TYPE_INT:
                /* libconfig reads it through an int: only the low 32 bits agree */
                FZ_ASSERT((int32_t)(uint64_t)mailacct_cf_int64(n) == config_setting_get_int(s),
                          "%s: %lld, libconfig's %d", where, mailacct_cf_int64(n), config_setting_get_int(s));
                break;
        case CONFIG_TYPE_INT64:
                FZ_ASSERT(mailacct_cf_int64(n) == config_setting_get_int64(s), "%s: %lld, libconfig's %lld", where,
                          mailacct_cf_int64(n), config_setting_get_int64(s));
                break;
        case CONFIG_TYPE_FLOAT: {
                double a = mailacct_cf_float(n), b = config_setting_get_float(s);
                FZ_ASSERT(memcmp(&a, &b, sizeof(a)) == 0, "%s: %g, libconfig's %g", where, a, b);
                break;
        }
        case CONFIG_TYPE_BOOL:
                FZ_ASSERT(mailacct_cf_bool(n) == (config_setting_get_bool(s) != 0), "%s: boolean differs", where);
                break;
        case CONFIG_TYPE_STRING:
                FZ_ASSERT(strcmp(mailacct_cf_string(n), config_setting_get_string(s)) == 0,
                          "%s: \"%s\", libconfig's \"%s\"", where, mailacct_cf_string(n),
                          config_setting_get_string(s));
                FZ_ASSERT(strlen(mailacct_cf_string(n)) == mailacct_cf_length(n) || mailacct_cf_length(n) == 0,
                          "%s: length", where);
                break;
        default: {
                unsigned len = mailacct_cf_length(n);
                FZ_ASSERT((int)len == config_setting_length(s), "%s: %u elements, libconfig's %d", where, len,
                          config_setting_length(s));
                for (unsigned i = 0; i < len; i++)
                        same_as_libconfig(mailacct_cf_elem(n, i), config_setting_get_elem(s, i), where);
        }
        }
}

/* Two trees of ours: exactly equal (a streamed list only by its count). */
static void same(const struct mailacct_cf_node *a, const struct mailacct_cf_node *b, const char *where)
{
        const char *an = mailacct_cf_name(a), *bn = mailacct_cf_name(b);

        FZ_ASSERT(mailacct_cf_type(a) == mailacct_cf_type(b) && mailacct_cf_line(a) == mailacct_cf_line(b) &&
                          strcmp(mailacct_cf_file(a), mailacct_cf_file(b)) == 0 &&
                          ((!an && !bn) || (an && bn && strcmp(an, bn) == 0)) &&
                          mailacct_cf_length(a) == mailacct_cf_length(b),
                  "%s: %s differs from the whole tree's %s", where, str_or(bn), str_or(an));
        switch (mailacct_cf_type(a)) {
        case MAILACCT_CF_INT:
        case MAILACCT_CF_INT64:
                FZ_ASSERT(mailacct_cf_int64(a) == mailacct_cf_int64(b) &&
                                  strcmp(mailacct_cf_literal(a), mailacct_cf_literal(b)) == 0,
                          "%s: integer differs", where);
                break;
        case MAILACCT_CF_FLOAT: {
                double x = mailacct_cf_float(a), y = mailacct_cf_float(b);
                FZ_ASSERT(memcmp(&x, &y, sizeof(x)) == 0, "%s: float differs", where);
                break;
        }
        case MAILACCT_CF_BOOL:
                FZ_ASSERT(mailacct_cf_bool(a) == mailacct_cf_bool(b), "%s: boolean differs", where);
                break;
        case MAILACCT_CF_STRING:
                FZ_ASSERT(strcmp(mailacct_cf_string(a), mailacct_cf_string(b)) == 0, "%s: string differs", where);
                break;
        default:
                if (mailacct_cf_streamed(b))
                        break;
                for (unsigned i = 0; i < mailacct_cf_length(a); i++)
                        same(mailacct_cf_elem(a, i), mailacct_cf_elem(b, i), where);
        }
}

/* The whole tree again with every top-level list streamed: the rest equal,
 * and each streamed list's elements, read one at a time, equal too. */
static void check_streamed(const struct mailacct_cf_source *src0, const struct mailacct_cf *whole)
{
        const struct mailacct_cf_node *root = mailacct_cf_root(whole);
        const char *names[16];
        size_t n = 0;
        struct mailacct_cf_source src = *src0;
        struct mailacct_cf_error err;
        struct mailacct_cf *cf;
        int r;

        for (unsigned i = 0; i < mailacct_cf_length(root) && n + 1 < sizeof(names) / sizeof(names[0]); i++) {
                const struct mailacct_cf_node *e = mailacct_cf_elem(root, i);
                if (mailacct_cf_type(e) == MAILACCT_CF_LIST)
                        names[n++] = mailacct_cf_name(e);
        }
        names[n] = NULL;
        if (!n)
                return;
        src.stream = names;
        r = mailacct_cf_parse(&src, &cf, &err);
        FZ_ASSERT(r == 0, "streamed: refused what the whole parse took: %s:%d: %s", err.file, err.line, err.text);
        same(root, mailacct_cf_root(cf), "streamed");
        for (unsigned i = 0; i < mailacct_cf_length(root); i++) {
                const struct mailacct_cf_node *w = mailacct_cf_elem(root, i);
                const struct mailacct_cf_node *s = mailacct_cf_member(mailacct_cf_root(cf), mailacct_cf_name(w));
                const struct mailacct_cf_node *e;
                struct mailacct_cf_iter it;
                unsigned k = 0;

                FZ_ASSERT(s, "streamed: %s is missing", mailacct_cf_name(w));
                if (!mailacct_cf_streamed(s))
                        continue;
                FZ_ASSERT(mailacct_cf_elem(s, 0) == NULL, "a streamed list hands out elements by index");
                mailacct_cf_iter_init(cf, s, &it);
                while ((r = mailacct_cf_iter_next(&it, &e, &err)) == 1) {
                        FZ_ASSERT(k < mailacct_cf_length(w), "streamed: more elements than the whole list's");
                        same(mailacct_cf_elem(w, k), e, "streamed element");
                        k++;
                }
                FZ_ASSERT(r == 0, "streamed: reading %s again failed (%d): %s:%d: %s", mailacct_cf_name(w), r,
                          err.file, err.line, err.text);
                FZ_ASSERT(k == mailacct_cf_length(w), "streamed: %u elements, the whole list has %u", k,
                          mailacct_cf_length(w));
        }
        mailacct_cf_free(cf);
}

/* One configuration (and inc.conf, when inc is not NULL) through both. */
static void check(const uint8_t *text, size_t len, const uint8_t *inc, size_t inc_len)
{
        const char *conf = fz_path(0, "mailacct.conf"), *inc_path = fz_path(1, "inc.conf");
        struct texts T = {.n = 0};
        struct mailacct_cf_source src;
        struct mailacct_cf_error err;
        struct mailacct_conf_scan scan;
        struct mailacct_cf *cf = NULL;
        char why[512], dir[512];
        bool run_libconfig, lc_ok;
        config_t lc;
        int r, rs;

        fz_write(conf, text, len, 0644);
        if (inc)
                fz_write(inc_path, inc, inc_len, 0644);
        else
                unlink(inc_path);
        FZ_ASSERT(mailacct_conf_include_dir(conf, dir, sizeof(dir)) == 0, "no include dir");
        T.dir = dir;

        src = (struct mailacct_cf_source){
                .file = conf, .text = (const char *)text, .len = len, .include = read_include, .ctx = &T};
        r = mailacct_cf_parse(&src, &cf, &err);
        FZ_ASSERT(r == 0 || r == -EINVAL, "parse returned %d", r);
        FZ_ASSERT(r == 0 || (err.text[0] && err.file[0]), "a refusal without a reason");
        if (r == 0)
                check_streamed(&src, cf);

        /* libconfig 1.5 calls exit() when an @include names something it
         * cannot read as a file (a folder: "@include \"\""): it reads only
         * what the lexer's scan found made of regular files, up to a
         * missing one or one too deep at most, or a file that includes
         * nothing */
        rs = mailacct_conf_scan(conf, 0, &scan, why, sizeof(why));
        if (rs == 0)
                mailacct_conf_scan_free(&scan);
        run_libconfig = rs == 0 || rs == -ENOENT || (rs == -EINVAL && strstr(why, "nested deeper")) ||
                        (!memmem(text, len, "@include", 8) && !(inc && memmem(inc, inc_len, "@include", 8)));
        if (!run_libconfig) {
                mailacct_cf_free(cf);
                texts_free(&T);
                return;
        }
        config_init(&lc);
        config_set_include_dir(&lc, dir);
        lc_ok = config_read_file(&lc, conf) == CONFIG_TRUE;
        if (lc_ok && r == 0)
                same_as_libconfig(mailacct_cf_root(cf), config_root_setting(&lc), "tree");
        else if (lc_ok)
                FZ_ASSERT(stricter(&err), "libconfig reads it, the parser refuses it: %s:%d: %s", err.file, err.line,
                          err.text);
        else if (r == 0)
                FZ_ASSERT(0, "the parser reads it, libconfig refuses it: %s:%d: %s",
                          str_or(config_error_file(&lc)), config_error_line(&lc), config_error_text(&lc));
        else if (!stricter(&err))
                FZ_ASSERT(config_error_line(&lc) == err.line && config_error_file(&lc) &&
                                  strcmp(config_error_file(&lc), err.file) == 0,
                          "both refuse, libconfig at %s:%d (%s), the parser at %s:%d (%s)",
                          str_or(config_error_file(&lc)), config_error_line(&lc), config_error_text(&lc), err.file,
                          err.line, err.text);
        config_destroy(&lc);
        mailacct_cf_free(cf);
        texts_free(&T);
}

/* The same text with the tokens from i to j (picked by the input's first
 * and last bytes) moved into inc.conf, an @include line in their place:
 * every input also tries an @include in the middle of whatever it holds
 * (a list, a run of strings that join, a group's settings). */
static void check_moved(const uint8_t *data, size_t size)
{
        static const char line[] = "\n@include \"inc.conf\"\n";
        size_t ends[256], n = 0, i, j, a, b;
        struct mailacct_lexer lx;
        struct mailacct_token t;
        uint8_t *moved;

        mailacct_lex_init(&lx, (const char *)data, size);
        while (n < sizeof(ends) / sizeof(ends[0]) && mailacct_lex_next(&lx, &t) != MAILACCT_TOK_END &&
               t.kind != MAILACCT_TOK_ERROR)
                ends[n++] = (size_t)(t.text + t.len - (const char *)data) + (t.kind == MAILACCT_TOK_STRING ||
                                                                            t.kind == MAILACCT_TOK_INCLUDE);
        if (n < 2)
                return;
        i = data[0] % (n - 1);
        j = i + 1 + data[size - 1] % (n - 1 - i);
        a = ends[i];
        b = ends[j];
        moved = malloc(size + sizeof(line));
        FZ_ASSERT(moved, "out of memory");
        memcpy(moved, data, a);
        memcpy(moved + a, line, sizeof(line) - 1);
        memcpy(moved + a + sizeof(line) - 1, data + b, size - b);
        check(moved, a + sizeof(line) - 1 + size - b, data + a, b - a);
        free(moved);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *inc;
        size_t main_len, inc_len;

        split(data, size, &main_len, &inc, &inc_len);
        check(data, main_len, inc, inc_len);
        if (!inc && size)
                check_moved(data, size);
        return 0;
}
