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

#include "file.h"
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

/* The bare-alias names of every mailbox (its aliases and local part). */
static void bare_names(const struct mailacct_dir *d, struct logins *names)
{
        for (uint32_t i = 0; i < mailacct_dir_settings(d)->n_mailboxes; i++) {
                struct mailacct_mbox_view v;
                const char *a;
                assert_int_equal(mailacct_dir_mailbox(d, i, &v), 0);
                add(names, "%s", v.local);
                for (uint32_t k = 0; mailacct_dir_list(d, i, MAILACCT_LIST_ALIASES, k, &a, NULL) == 0; k++)
                        add(names, "%s", a);
        }
}

/* Every name of every entry as a login, in every form that can reach it,
 * plus misses and delegate combinations: read through the views, as any
 * consumer reads a directory. */
static void gather(const struct mailacct_dir *d, struct logins *l)
{
        const struct mailacct_settings *s = mailacct_dir_settings(d);
        struct logins names = { 0 };

        bare_names(d, &names);
        for (uint32_t i = 0; i < s->n_mailboxes; i++) {
                struct mailacct_mbox_view v;
                struct mailacct_domain_view dv;
                const char *a;
                assert_int_equal(mailacct_dir_mailbox(d, i, &v), 0);
                assert_int_equal(mailacct_dir_domain(d, v.domain, &dv), 0);
                add_cased(l, v.address);
                for (uint32_t k = 0; mailacct_dir_list(d, i, MAILACCT_LIST_ADDRESSES, k, &a, NULL) == 0; k++)
                        add_cased(l, a);
                for (uint32_t k = 0; mailacct_dir_list(d, i, MAILACCT_LIST_ALIASES, k, &a, NULL) == 0; k++) {
                        char at[2 * MAILACCT_LOGIN_MAX + 2];
                        add_cased(l, a);
                        /* rule 1's alias@domain, in the mailbox's domain */
                        snprintf(at, sizeof(at), "%s@%s", a, dv.name);
                        add_cased(l, at);
                }
                if (v.nt_account) {
                        char nt[2 * MAILACCT_LOGIN_MAX + 2];
                        snprintf(nt, sizeof(nt), "%s\\%s", v.nt_domain ? v.nt_domain : dv.netbios ? dv.netbios : dv.name,
                                 v.nt_account);
                        add_cased(l, nt);
                }
        }
        for (uint32_t i = 0; i < s->n_contacts; i++) {
                struct mailacct_contact_view c;
                assert_int_equal(mailacct_dir_contact(d, i, &c), 0);
                add_cased(l, c.alias);
                if (c.address)
                        add_cased(l, c.address);
        }
        for (size_t n = 0; n < names.n && n < 40; n++) {
                const char *key = names.v[n];
                for (uint32_t i = 0; i < s->n_domains; i++) {
                        struct mailacct_domain_view dom;
                        const char *alias;
                        assert_int_equal(mailacct_dir_domain(d, i, &dom), 0);
                        add(l, "%s\\%s", dom.name, key);
                        add(l, "%s@%s", key, dom.name);
                        for (uint32_t a = 0; mailacct_dir_domain_alias(d, i, a, &alias) == 0; a++)
                                add(l, "%s@%s", key, alias);
                        if (!dom.netbios)
                                continue;
                        add(l, "%s/%s", dom.netbios, key);
                        /* the three-part form: this account opening other mailboxes */
                        for (size_t k = 0; k < names.n && k < 12; k++) {
                                add(l, "%s\\%s\\%s", dom.netbios, key, names.v[k]);
                                add(l, "%s\\%s\\%s@%s", dom.netbios, key, names.v[k], dom.name);
                        }
                }
        }
        for (size_t n = 0; n < names.n; n++)
                free(names.v[n]);
        free(names.v);
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
        if (mailacct_file_load(path, &d, &diags, NULL) < 0)
                d = NULL;
        mailacct_diags_clear(&diags);
        return d;
}

static char *compile(const struct mailacct_dir *d, const char *conf, const char *dir)
{
        struct mailacct_index_meta meta = { .conf_path = conf, .n_stamps = 1 };
        struct mailacct_stamp stamp;
        struct stat st;
        char err[256], *path;

        assert_int_equal(stat(conf, &st), 0);
        mailacct_stamp_of(conf, &st, &stamp);
        meta.stamps = &stamp;
        assert_true(asprintf(&path, "%s/test.idx", dir) > 0);
        assert_int_equal(mailacct_index_write(d, &meta, path, 0644, err, sizeof(err)), 0);
        return path;
}

static struct mailacct_dir *from_index(const char *path)
{
        char why_unused[512];
        struct mailacct_dir *d;

        if (mailacct_dir_open_index(path, &d, why_unused, sizeof(why_unused)) < 0)
                return NULL;
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
                for (uint32_t m = 0; m < mailacct_dir_settings(d)->n_mailboxes; m++) {
                        struct mailacct_mbox_view v1, v2;
                        const char *s1, *s2;
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
                        /* every list and origin of the entry, the same from both */
                        assert_int_equal(mailacct_dir_mailbox(d, m, &v1), 0);
                        assert_int_equal(mailacct_dir_mailbox(x, m, &v2), 0);
                        assert_int_equal(v1.n_aliases, v2.n_aliases);
                        assert_int_equal(v1.n_addresses, v2.n_addresses);
                        assert_int_equal(v1.n_services, v2.n_services);
                        assert_int_equal(v1.n_delegates, v2.n_delegates);
                        assert_int_equal(v1.origin_line, v2.origin_line);
                        assert_string_equal(v1.origin_file, v2.origin_file);
                        for (int k = MAILACCT_LIST_ALIASES; k <= MAILACCT_LIST_SERVICES; k++)
                                for (uint32_t i = 0; mailacct_dir_list(d, m, (enum mailacct_list)k, i, &s1, NULL) == 0;
                                     i++) {
                                        assert_int_equal(mailacct_dir_list(x, m, (enum mailacct_list)k, i, &s2, NULL),
                                                         0);
                                        assert_string_equal(s1, s2);
                                }
                        for (uint32_t i = 0; i < v1.n_delegates; i++) {
                                uint32_t p1, p2;
                                assert_int_equal(mailacct_dir_delegate(d, m, i, &p1), 0);
                                assert_int_equal(mailacct_dir_delegate(x, m, i, &p2), 0);
                                assert_int_equal(p1, p2);
                        }
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

/* The reader's choice, by the policy of docs/ARCHITECTURE.md: a current
 * index is used; a stale one is not while the configuration is small, and
 * answers once it is over the parse limit; a missing one over the limit
 * fails closed. */
static void test_source(void **state)
{
        char tmpl[] = "/tmp/mailacct-ix-XXXXXX", conf[512], idx[512], cmd[1200];
        struct mailacct_source_status st;
        struct mailacct_diags diags;
        struct mailacct_dir *d, *c;
        FILE *f;

        (void)state;
        assert_non_null(mkdtemp(tmpl));
        snprintf(conf, sizeof(conf), "%s/m.conf", tmpl);
        snprintf(idx, sizeof(idx), "%s/sub/m.idx", tmpl);
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/sub && (cat tests/data/seeds.conf; echo 'index = \"sub/m.idx\";') > %s",
                 tmpl, conf);
        assert_int_equal(system(cmd), 0);
        mailacct_diags_init(&diags);
        {
                char got[512];
                assert_int_equal(mailacct_index_locate(conf, got, sizeof(got)), 0);
                assert_string_equal(got, idx);
        }
        c = load(conf);
        assert_non_null(c);
        free(compile(c, conf, tmpl));
        snprintf(cmd, sizeof(cmd), "mv %s/test.idx %s", tmpl, idx);
        assert_int_equal(system(cmd), 0);

        assert_int_equal(mailacct_source_open(conf, &d, &diags, &st), 0);
        assert_true(st.from_index);
        assert_int_equal(st.index, MAILACCT_IX_CURRENT);
        assert_string_equal(st.note, "");
        mailacct_dir_free(d);
        mailacct_source_status_free(&st);

        /* the configuration changes: small, so the file answers */
        f = fopen(conf, "a");
        fputs("# edited\n", f);
        fclose(f);
        assert_int_equal(mailacct_source_open(conf, &d, &diags, &st), 0);
        assert_false(st.from_index);
        assert_int_equal(st.index, MAILACCT_IX_STALE);
        assert_non_null(strstr(st.note, "is stale: compiled"));
        mailacct_dir_free(d);
        mailacct_source_status_free(&st);

        /* over the parse limit, the stale index answers: never a parse */
        setenv("MAILACCT_PARSE_LIMIT", "100", 1);
        assert_int_equal(mailacct_source_open(conf, &d, &diags, &st), 0);
        assert_true(st.from_index);
        assert_int_equal(st.index, MAILACCT_IX_STALE);
        mailacct_dir_free(d);
        mailacct_source_status_free(&st);

        /* garbage where the index should be: damaged; over the limit the
         * reader fails closed, within it the configuration answers */
        write_file(idx, "garbage", 7);
        assert_int_equal(mailacct_source_open(conf, &d, &diags, &st), -EIO);
        assert_null(d);
        assert_int_equal(st.index, MAILACCT_IX_DAMAGED);
        assert_non_null(strstr(st.note, "too large to parse"));
        mailacct_source_status_free(&st);
        unsetenv("MAILACCT_PARSE_LIMIT");
        assert_int_equal(mailacct_source_open(conf, &d, &diags, &st), 0);
        assert_false(st.from_index);
        assert_int_equal(st.index, MAILACCT_IX_DAMAGED);
        mailacct_dir_free(d);
        mailacct_source_status_free(&st);

        /* missing, over the limit: fails closed */
        unlink(idx);
        setenv("MAILACCT_PARSE_LIMIT", "100", 1);
        assert_int_equal(mailacct_source_open(conf, &d, &diags, &st), -EIO);
        assert_int_equal(st.index, MAILACCT_IX_MISSING);
        mailacct_source_status_free(&st);
        unsetenv("MAILACCT_PARSE_LIMIT");

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
        assert_int_equal(mailacct_secrets_write_index(file, path, &st, ipath, err, sizeof(err)), 0);
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
