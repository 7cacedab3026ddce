/* SPDX-License-Identifier: MIT */
/* The compiled index answers exactly as the configuration does, and a
 * damaged index answers the same or "unavailable", never something else. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "hashmap.h"
#include "index.h"
#include "resolve.h"
#include "secrets.h"
#include "source.h"
#include "strutil.h"

/* Directories of the test suites and the bundled example. */
static const char *const confs[] = {
        "config/mailacct.conf.example", "tests/data/seeds.conf",   "tests/data/clean.conf",
        "tests/data/unique.conf",       "tests/data/netbios.conf", "tests/data/warnings.conf",
        "tests/nss/data/mailacct.conf", "tests/nss/data/netbios.conf", "tests/nss/data/edge.conf",
};

struct logins {
        char **v;
        size_t n, cap;
};

static void add(struct logins *l, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        assert_true(vasprintf(&s, fmt, ap) >= 0);
        va_end(ap);
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 256;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                assert_non_null(l->v);
        }
        l->v[l->n++] = s;
}

static void add_cased(struct logins *l, const char *s)
{
        char *up = strdup(s);

        add(l, "%s", s);
        for (char *p = up; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        add(l, "%s", up);
        free(up);
}

/* Every key of every table as a login, in every form that can reach it, plus
 * misses and delegate combinations. */
static void gather(const struct mailacct_dir *d, struct logins *l)
{
        const struct mailacct_hashmap *maps[] = { d->by_bare, d->by_address, d->contact_alias, d->contact_address };
        const char *key;
        uint32_t v;
        size_t nbare = 0;

        for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]); m++)
                for (size_t pos = 0; mailacct_hashmap_next(maps[m], &pos, &key, &v);)
                        add_cased(l, key);
        for (size_t pos = 0; mailacct_hashmap_next(d->by_nt, &pos, &key, &v);)
                add_cased(l, key[0] == '\001' ? key + 1 : key);
        /* every alias in its mailbox's domain (rule 1's alias@domain) */
        for (size_t pos = 0; mailacct_hashmap_next(d->by_bare, &pos, &key, &v);) {
                char at[2 * MAILACCT_LOGIN_MAX + 2];
                snprintf(at, sizeof(at), "%s@%s", key, d->domains[d->mailboxes[v].domain].name);
                add_cased(l, at);
        }
        for (size_t pos = 0; mailacct_hashmap_next(d->by_bare, &pos, &key, &v) && nbare < 40; nbare++) {
                for (size_t i = 0; i < d->n_domains; i++) {
                        const struct mailacct_domain *dom = &d->domains[i];
                        size_t p2 = 0, k = 0;
                        const char *key2;
                        uint32_t v2;
                        add(l, "%s\\%s", dom->name, key);
                        add(l, "%s@%s", key, dom->name);
                        for (size_t a = 0; a < dom->aliases.n; a++)
                                add(l, "%s@%s", key, dom->aliases.v[a]);
                        if (!dom->netbios)
                                continue;
                        add(l, "%s/%s", dom->netbios, key);
                        /* the three-part form: this account opening other mailboxes */
                        while (mailacct_hashmap_next(d->by_bare, &p2, &key2, &v2) && k++ < 12) {
                                add(l, "%s\\%s\\%s", dom->netbios, key, key2);
                                add(l, "%s\\%s\\%s@%s", dom->netbios, key, key2, dom->name);
                        }
                }
        }
        add(l, "nobody");
        add(l, "nobody@nowhere.invalid");
        add(l, "NOWHERE\\nobody");
        add(l, "a\\b\\c\\d");
        add(l, "x@@y");
        add(l, " lead");
        add(l, "%s", "");
}

static void free_logins(struct logins *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
}

static struct mailacct_dir *load(const char *path)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;

        mailacct_diags_init(&diags);
        if (mailacct_config_load(path, &d, &diags) < 0)
                d = NULL;
        mailacct_diags_clear(&diags);
        return d;
}

static char *compile(const struct mailacct_dir *d, const char *conf, const char *dir)
{
        struct mailacct_index_source src;
        struct stat st;
        char err[256], *path;

        assert_int_equal(stat(conf, &st), 0);
        mailacct_index_source_of(&st, &src);
        assert_true(asprintf(&path, "%s/test.idx", dir) > 0);
        assert_int_equal(mailacct_index_write(d, &src, path, 0644, err, sizeof(err)), 0);
        return path;
}

static struct mailacct_dir *from_index(const char *path)
{
        char why_unused[512];
        struct mailacct_index *ix;
        struct mailacct_dir *d;

        if (mailacct_index_open(path, &ix, why_unused, sizeof(why_unused)) < 0)
                return NULL;
        d = mailacct_dir_new();
        assert_non_null(d);
        d->ix = ix;
        if (mailacct_index_settings(ix, d) < 0) {
                mailacct_dir_free(d);
                return NULL;
        }
        return d;
}

static bool same(const struct mailacct_result *a, const struct mailacct_result *b)
{
        return a->reason == b->reason && a->form == b->form && strcmp(a->rule, b->rule) == 0 &&
               a->mailbox == b->mailbox && a->principal == b->principal && a->domain == b->domain &&
               a->n_candidates == b->n_candidates &&
               memcmp(a->candidates, b->candidates, a->n_candidates * sizeof(uint32_t)) == 0 &&
               strcmp(a->canonical, b->canonical) == 0 && strcmp(a->why, b->why) == 0 &&
               strcmp(a->message, b->message) == 0;
}

static void test_equivalence(void **state)
{
        size_t total = 0;

        (void)state;
        for (size_t c = 0; c < sizeof(confs) / sizeof(confs[0]); c++) {
                char tmpl[] = "/tmp/mailacct-ix-XXXXXX", *path;
                struct mailacct_dir *d = load(confs[c]), *x;
                struct mailacct_result a, b;
                struct logins l = { 0 };

                if (!d) {
                        print_message("skipped %s (does not load)\n", confs[c]);
                        continue;
                }
                assert_non_null(mkdtemp(tmpl));
                path = compile(d, confs[c], tmpl);
                x = from_index(path);
                assert_non_null(x);
                gather(d, &l);
                for (size_t i = 0; i < l.n; i++) {
                        int ra = mailacct_resolve(d, l.v[i], &a), rb = mailacct_resolve(x, l.v[i], &b);
                        if (ra != rb || !same(&a, &b))
                                fail_msg("%s: \"%s\": configuration says %s %s \"%s\", index says %s %s \"%s\"",
                                         confs[c], l.v[i], mailacct_reason_name(a.reason), a.canonical, a.message,
                                         mailacct_reason_name(b.reason), b.canonical, b.message);
                }
                /* uids and enumeration too: what NSS answers by uid */
                for (uint32_t m = 0; m < d->n_mailboxes; m++) {
                        uid_t u1, u2;
                        gid_t g1, g2;
                        char h1[512], h2[512], n1[400], n2[400];
                        int i1 = mailacct_dir_ids(d, m, &u1, &g1), i2 = mailacct_dir_ids(x, m, &u2, &g2);
                        assert_int_equal(i1, i2);
                        if (i1 == 0) {
                                assert_int_equal(u1, u2);
                                assert_int_equal(g1, g2);
                                assert_int_equal(mailacct_dir_find_uid(d, u1), mailacct_dir_find_uid(x, u2));
                        }
                        assert_int_equal(mailacct_dir_home(d, m, h1, sizeof(h1)), 0);
                        assert_int_equal(mailacct_dir_home(x, m, h2, sizeof(h2)), 0);
                        assert_string_equal(h1, h2);
                        assert_string_equal(mailacct_dir_shell(d, m), mailacct_dir_shell(x, m));
                        assert_int_equal(mailacct_dir_canonical(d, m, n1, sizeof(n1)), 0);
                        assert_int_equal(mailacct_dir_canonical(x, m, n2, sizeof(n2)), 0);
                        assert_string_equal(n1, n2);
                        assert_int_equal(mailacct_dir_enabled(d, m), mailacct_dir_enabled(x, m));
                        assert_int_equal(mailacct_dir_allows_service(d, m, "imap"),
                                         mailacct_dir_allows_service(x, m, "imap"));
                        assert_int_equal(mailacct_dir_allows_service(d, m, "pop3"),
                                         mailacct_dir_allows_service(x, m, "pop3"));
                }
                total += l.n;
                free_logins(&l);
                mailacct_dir_free(x);
                mailacct_dir_free(d);
                unlink(path);
                rmdir(tmpl);
                free(path);
        }
        print_message("%zu logins answered identically\n", total);
        assert_true(total > 1000);
}

static void write_file(const char *path, const void *p, size_t n)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(p, 1, n, f), n);
        fclose(f);
}

/* Truncated anywhere: refused at open. Any byte flipped: each login answers
 * as before or "unavailable"; never another mailbox, never a crash. */
static void test_damage(void **state)
{
        const char *conf = "tests/data/seeds.conf";
        struct mailacct_dir *d = load(conf);
        char tmpl[] = "/tmp/mailacct-ix-XXXXXX", *path, *bad;
        struct mailacct_result *want;
        struct logins l = { 0 };
        unsigned char *orig;
        size_t flips = 0, caught = 0;
        struct stat st;
        FILE *f;

        (void)state;
        assert_non_null(d);
        assert_non_null(mkdtemp(tmpl));
        path = compile(d, conf, tmpl);
        assert_true(asprintf(&bad, "%s/bad.idx", tmpl) > 0);
        gather(d, &l);
        want = calloc(l.n, sizeof(*want));
        for (size_t i = 0; i < l.n; i++)
                mailacct_resolve(d, l.v[i], &want[i]);
        assert_int_equal(stat(path, &st), 0);
        orig = malloc((size_t)st.st_size);
        f = fopen(path, "r");
        assert_int_equal(fread(orig, 1, (size_t)st.st_size, f), (size_t)st.st_size);
        fclose(f);

        for (off_t cut = 0; cut < st.st_size; cut += cut < 512 ? 1 : 97) {
                write_file(bad, orig, (size_t)cut);
                assert_null(from_index(bad));
        }
        for (off_t at = 0; at < st.st_size; at += 3) {
                struct mailacct_dir *x;
                bool seen = false;
                orig[at] ^= (unsigned char)(1u << (at % 8));
                write_file(bad, orig, (size_t)st.st_size);
                orig[at] ^= (unsigned char)(1u << (at % 8));
                x = from_index(bad);
                if (!x) {
                        caught++;
                        continue;
                }
                for (size_t i = 0; i < l.n; i++) {
                        struct mailacct_result r;
                        mailacct_resolve(x, l.v[i], &r);
                        if (r.reason == MAILACCT_UNAVAILABLE) {
                                seen = true;
                                continue;
                        }
                        if (r.reason != want[i].reason || r.mailbox != want[i].mailbox ||
                            r.principal != want[i].principal || strcmp(r.canonical, want[i].canonical) != 0)
                                fail_msg("byte %lld flipped: \"%s\" gave %s %s, expected %s %s", (long long)at,
                                         l.v[i], mailacct_reason_name(r.reason), r.canonical,
                                         mailacct_reason_name(want[i].reason), want[i].canonical);
                }
                caught += seen;
                flips++;
                mailacct_dir_free(x);
        }
        print_message("%lld bytes, %zu flips, %zu caught as damage, the rest harmless\n", (long long)st.st_size, flips,
                      caught);
        assert_true(caught > flips / 2);
        unlink(bad);
        unlink(path);
        rmdir(tmpl);
        free(orig);
        free(bad);
        free(path);
        free(want);
        free_logins(&l);
        mailacct_dir_free(d);
}

/* The reader's choice: a current index is used, a stale one is not. */
static void test_source(void **state)
{
        char tmpl[] = "/tmp/mailacct-ix-XXXXXX", conf[512], idx[512], cmd[1200];
        enum mailacct_source_kind kind;
        struct mailacct_diags diags;
        struct mailacct_dir *d, *c;
        bool stale;
        FILE *f;

        (void)state;
        assert_non_null(mkdtemp(tmpl));
        snprintf(conf, sizeof(conf), "%s/m.conf", tmpl);
        snprintf(idx, sizeof(idx), "%s/sub/m.idx", tmpl);
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/sub && (echo 'index = \"sub/m.idx\";'; cat tests/data/seeds.conf) > %s",
                 tmpl, conf);
        assert_int_equal(system(cmd), 0);
        mailacct_diags_init(&diags);
        {
                char got[512];
                assert_int_equal(mailacct_source_index_path(conf, got, sizeof(got)), 0);
                assert_string_equal(got, idx);
        }
        c = load(conf);
        assert_non_null(c);
        free(compile(c, conf, tmpl));
        snprintf(cmd, sizeof(cmd), "mv %s/test.idx %s", tmpl, idx);
        assert_int_equal(system(cmd), 0);

        assert_int_equal(mailacct_source_open(conf, &d, &diags, &kind, &stale), 0);
        assert_int_equal(kind, MAILACCT_SOURCE_INDEX);
        assert_false(stale);
        mailacct_dir_free(d);

        /* the configuration changes: the index no longer stands for it */
        f = fopen(conf, "a");
        fputs("# edited\n", f);
        fclose(f);
        assert_int_equal(mailacct_source_open(conf, &d, &diags, &kind, &stale), 0);
        assert_int_equal(kind, MAILACCT_SOURCE_CONFIG);
        assert_true(stale);
        mailacct_dir_free(d);

        /* garbage where the index should be: the configuration answers */
        write_file(idx, "garbage", 7);
        assert_int_equal(mailacct_source_open(conf, &d, &diags, &kind, &stale), 0);
        assert_int_equal(kind, MAILACCT_SOURCE_CONFIG);
        assert_true(stale);
        mailacct_dir_free(d);
        mailacct_diags_clear(&diags);
        mailacct_dir_free(c);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
        assert_int_equal(system(cmd), 0);
}

/* The secrets index answers as the file does, and only while it stands for
 * the file as it is and is as well guarded. */
static void test_secrets_index(void **state)
{
        char tmpl[] = "/tmp/mailacct-ix-XXXXXX", path[512], ipath[600], err[256];
        struct mailacct_secrets *file, *ix;
        struct mailacct_index_source src;
        const char *a, *h;
        struct stat st;
        FILE *f;

        (void)state;
        assert_non_null(mkdtemp(tmpl));
        snprintf(path, sizeof(path), "%s/s", tmpl);
        snprintf(ipath, sizeof(ipath), "%s/s.idx", tmpl);
        f = fopen(path, "w");
        fputs("# comment\njdoe@example.com:$6$a$old\nJane@Example.com:$6$b$jane\njdoe@example.com:$6$c$new\n", f);
        fclose(f);
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(mailacct_secrets_load_file(path, &file, err, sizeof(err)), 0);
        assert_int_equal(stat(path, &st), 0);
        mailacct_index_source_of(&st, &src);
        assert_int_equal(mailacct_secrets_write_index(file, &src, ipath, &st, err, sizeof(err)), 0);
        {
                struct stat ist;
                assert_int_equal(stat(ipath, &ist), 0);
                assert_int_equal(ist.st_mode & 07777, 0600);
        }
        assert_int_equal(mailacct_secrets_load(path, true, &ix, err, sizeof(err)), 0);
        /* answered from the index: it lists no entries */
        assert_int_equal(mailacct_secrets_entry(ix, 0, &a, &h), -ENOENT);
        assert_string_equal(mailacct_secrets_get(ix, "JDOE@example.com"), "$6$c$new");
        assert_string_equal(mailacct_secrets_get(ix, "jane@example.com"), mailacct_secrets_get(file, "jane@example.com"));
        assert_null(mailacct_secrets_get(ix, "nobody@example.com"));
        assert_non_null(mailacct_secrets_any(ix));
        mailacct_secrets_free(ix);

        /* an index readable by others is not used */
        assert_int_equal(chmod(ipath, 0644), 0);
        assert_int_equal(mailacct_secrets_load(path, true, &ix, err, sizeof(err)), 0);
        assert_int_equal(mailacct_secrets_entry(ix, 0, &a, &h), 0);
        mailacct_secrets_free(ix);
        assert_int_equal(chmod(ipath, 0600), 0);

        /* the file changes: the index no longer stands for it */
        f = fopen(path, "a");
        fputs("jdoe@example.com:$6$d$newer\n", f);
        fclose(f);
        assert_int_equal(mailacct_secrets_load(path, true, &ix, err, sizeof(err)), 0);
        assert_string_equal(mailacct_secrets_get(ix, "jdoe@example.com"), "$6$d$newer");
        mailacct_secrets_free(ix);
        mailacct_secrets_free(file);
        unlink(ipath);
        unlink(path);
        rmdir(tmpl);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_equivalence),
                cmocka_unit_test(test_damage),
                cmocka_unit_test(test_source),
                cmocka_unit_test(test_secrets_index),
        };
        return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
