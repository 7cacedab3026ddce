/* SPDX-License-Identifier: MIT */
/* The delta index: base + delta answers exactly as a fresh full build of
 * the same entries, after every step of random sequences of additions,
 * modifications, renames, deletions, aliases becoming ambiguous (and
 * unique again), uids becoming shared and delegates appearing, for every
 * key of both; a delta naming another base is ignored; a damaged one is
 * refused. */
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

#include "build.h"
#include "hashmap.h"
#include "index.h"
#include "ixfile.h"
#include "ixformat.h"
#include "resolve.h"
#include "testutil.h"

/* ---- the model: directory entries as a sync declares them -------------------- */

#define MAX_ENTRIES 64
#define MAX_LIST    4

struct entry {
        bool used;
        char address[64], dn[96], nt[32], name[32], home[48];
        char aliases[MAX_LIST][24];
        size_t n_aliases;
        char delegate_dn[96];
        uid_t uid;
        bool has_uid, enabled;
};

static struct entry model[MAX_ENTRIES];
static unsigned serial;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned)(rng % n);
}

/* Small pools, so that names and uids collide often. */
static const char *const locals[] = {"ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon"};
static const char *const domains[] = {"example.com", "example.org"};
static const char *const alias_pool[] = {"sales", "info", "help", "ann", "boss", "desk", "ops", "web"};

static struct entry *pick(void)
{
        size_t n = 0, want;

        for (size_t i = 0; i < MAX_ENTRIES; i++)
                n += model[i].used;
        if (!n)
                return NULL;
        want = rnd((unsigned)n);
        for (size_t i = 0; i < MAX_ENTRIES; i++)
                if (model[i].used && want-- == 0)
                        return &model[i];
        return NULL;
}

static void set_address(struct entry *e)
{
        snprintf(e->address, sizeof(e->address), "%s%u@%s", locals[rnd(10)], rnd(4), domains[rnd(2)]);
        snprintf(e->dn, sizeof(e->dn), "uid=%.40s,ou=people,dc=example,dc=com", e->address);
}

static void add_entry(void)
{
        for (size_t i = 0; i < MAX_ENTRIES; i++) {
                struct entry *e = &model[i];
                if (e->used)
                        continue;
                memset(e, 0, sizeof(*e));
                e->used = true;
                set_address(e);
                snprintf(e->name, sizeof(e->name), "User %u", serial++);
                e->n_aliases = rnd(3);
                for (size_t k = 0; k < e->n_aliases; k++)
                        snprintf(e->aliases[k], sizeof(e->aliases[k]), "%s", alias_pool[rnd(8)]);
                if (rnd(3) == 0)
                        snprintf(e->nt, sizeof(e->nt), "%s%u", locals[rnd(10)], rnd(3));
                e->has_uid = true;
                e->uid = 5000 + rnd(40);
                e->enabled = rnd(5) != 0;
                return;
        }
}

/* one step of a random sequence; what it was, for the failure message */
static const char *step(void)
{
        struct entry *e = pick(), *o = pick();

        switch (e ? rnd(8) : 0) {
        case 0:
                add_entry();
                return "add";
        case 1:
                snprintf(e->name, sizeof(e->name), "Renamed %u", serial++);
                snprintf(e->home, sizeof(e->home), rnd(2) ? "/srv/mail/%u" : "", serial);
                e->enabled = !e->enabled;
                return "modify";
        case 2:
                set_address(e);
                return "rename";
        case 3:
                e->used = false;
                return "delete";
        case 4:
                /* an alias another mailbox has: ambiguous, or unique again when dropped */
                if (o && o->n_aliases && e->n_aliases < MAX_LIST) {
                        snprintf(e->aliases[e->n_aliases++], sizeof(e->aliases[0]), "%s", o->aliases[0]);
                        return "alias becomes ambiguous";
                }
                if (e->n_aliases) {
                        e->n_aliases--;
                        return "alias dropped";
                }
                add_entry();
                return "add";
        case 5:
                if (o && o->has_uid) {
                        e->uid = o->uid;
                        e->has_uid = true;
                        return "uid becomes shared";
                }
                e->uid = 7000 + serial++;
                return "uid changed";
        case 6:
                if (o) {
                        snprintf(e->delegate_dn, sizeof(e->delegate_dn), "%s", o->dn);
                        return "delegate appears";
                }
                e->delegate_dn[0] = '\0';
                return "delegate dropped";
        default:
                snprintf(e->nt, sizeof(e->nt), "%s%u", locals[rnd(10)], rnd(3));
                return "NT account changed";
        }
}

/* the `passwords` setting build() gives (test_settings changes it) */
static enum mailacct_passwords build_passwords = MAILACCT_PASSWORDS_SECRETS;

static struct mailacct_dir *build(void)
{
        struct mailacct_diags diags;
        struct mailacct_builder *b;
        struct mailacct_dir *d = NULL;
        struct mailacct_settings_spec s = {.bare_alias = MAILACCT_BARE_PREFER_DEFAULT,
                                           .default_domain = "example.com",
                                           .defaults = {.has_gid = true, .gid = 8, .home = "/var/mail/%d/%n"},
                                           .passwords = build_passwords};
        struct mailacct_domain_spec d1 = {.name = "example.com", .netbios = "EXAMPLE", .origin = {"t.conf", 1}};
        struct mailacct_domain_spec d2 = {.name = "example.org", .netbios = "ORG", .origin = {"t.conf", 2}};

        mailacct_diags_init(&diags);
        b = mailacct_builder_new(&diags, "t.conf");
        assert_non_null(b);
        assert_int_equal(mailacct_builder_settings(b, &s), 0);
        assert_int_equal(mailacct_builder_domain(b, &d1), 0);
        assert_int_equal(mailacct_builder_domain(b, &d2), 0);
        for (size_t i = 0; i < MAX_ENTRIES; i++) {
                const struct entry *e = &model[i];
                const char *aliases[MAX_LIST], *del[1] = {e->delegate_dn};
                struct mailacct_mailbox_spec m = {0};
                if (!e->used)
                        continue;
                for (size_t k = 0; k < e->n_aliases; k++)
                        aliases[k] = e->aliases[k];
                m.address = e->address;
                m.nt_account = e->nt[0] ? e->nt : NULL;
                m.name = e->name;
                m.home = e->home[0] ? e->home : NULL;
                m.dn = e->dn;
                m.aliases = (struct mailacct_values){aliases, NULL, e->n_aliases};
                if (e->delegate_dn[0])
                        m.delegate_dns = (struct mailacct_values){del, NULL, 1};
                m.has_uid = e->has_uid;
                m.uid = e->uid;
                m.enabled = e->enabled;
                m.origin = (struct mailacct_origin){.dn = e->dn, .tag = (uint32_t)i};
                assert_int_equal(mailacct_builder_mailbox(b, &m, MAILACCT_CLASH_LEAVE_OUT), 0);
        }
        assert_int_equal(mailacct_builder_finish(b, &d), 0);
        mailacct_diags_clear(&diags);
        return d;
}

/* ---- files ---------------------------------------------------------------------- */

static char conf[PATH_MAX], base_path[PATH_MAX], delta_path[PATH_MAX], full_path[PATH_MAX];

static void write_index(const struct mailacct_dir *d, const char *path)
{
        struct mailacct_index_meta meta = {.conf_path = conf, .flags = 2 /* IX_F_LDAP */};
        char err[256];

        if (mailacct_index_write(d, &meta, path, 0644, err, sizeof(err)) < 0)
                fail_msg("%s: %s", path, err);
}

static struct mailacct_dir *open_base(void)
{
        struct mailacct_dir *d = NULL;
        char why[512];

        if (mailacct_dir_open_index(base_path, &d, why, sizeof(why)) < 0)
                fail_msg("%s", why);
        return d;
}

/* base + delta, as a reader opens the pair */
static struct mailacct_dir *open_pair(void)
{
        struct mailacct_dir *b = open_base(), *p = NULL;
        struct mailacct_index *dix;
        char why[512];
        int r = mailacct_delta_open(delta_path, mailacct_dir_index(b), &dix, why, sizeof(why));

        /* none, or one that names an older base: the base alone answers */
        if (r == -ENOENT || r == -ESTALE)
                return b;
        if (r < 0)
                fail_msg("%s", why);
        assert_int_equal(mailacct_dir_with_delta(b, dix, &p), 0);
        return p;
}

/* ---- comparing answers ------------------------------------------------------------ */

struct names {
        char **v;
        size_t n, cap;
};

static void name_add(struct names *l, const char *fmt, ...)
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

static void names_free(struct names *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

/* Every login form of every mailbox of d (tombstones skipped). */
static void logins_of(const struct mailacct_dir *d, struct names *l)
{
        for (uint32_t i = 0; i < mailacct_dir_settings(d)->n_mailboxes; i++) {
                struct mailacct_mbox_view v;
                struct mailacct_domain_view dv;
                const char *a;
                int r = mailacct_dir_mailbox(d, i, &v);
                if (r == -ENOENT)
                        continue;
                assert_int_equal(r, 0);
                assert_int_equal(mailacct_dir_domain(d, v.domain, &dv), 0);
                name_add(l, "%s", v.address);
                name_add(l, "%s", v.local);
                name_add(l, "%s\\%s", dv.netbios, v.local);
                if (v.nt_account) {
                        name_add(l, "%s\\%s", v.nt_domain ? v.nt_domain : dv.netbios, v.nt_account);
                        name_add(l, "%s", v.nt_account);
                }
                for (uint32_t k = 0; mailacct_dir_list(d, i, MAILACCT_LIST_ALIASES, k, &a, NULL) == 0; k++) {
                        name_add(l, "%s", a);
                        name_add(l, "%s@example.com", a);
                        name_add(l, "%s@example.org", a);
                        name_add(l, "EXAMPLE\\%s", a);
                        name_add(l, "EXAMPLE\\%s\\%s", v.local, a);
                }
        }
        for (size_t k = 0; k < sizeof(alias_pool) / sizeof(alias_pool[0]); k++)
                name_add(l, "%s", alias_pool[k]);
}

static const char *addr(const struct mailacct_dir *d, uint32_t id)
{
        const char *a = id == MAILACCT_NONE ? "-" : mailacct_dir_address(d, id);

        return a ? a : "(unreadable)";
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An answer as text: ids become addresses, candidates a sorted set. */
static void answer(const struct mailacct_dir *d, const char *login, char *buf, size_t len)
{
        struct mailacct_result r;
        const char *c[MAILACCT_MAX_CANDIDATES];
        int n;

        mailacct_resolve(d, login, &r);
        n = snprintf(buf, len, "%s rule %s mailbox %s principal %s as %s candidates", mailacct_reason_name(r.reason),
                     r.rule, addr(d, r.mailbox), addr(d, r.principal), r.canonical);
        for (size_t k = 0; k < r.n_candidates && k < MAILACCT_MAX_CANDIDATES; k++)
                c[k] = addr(d, r.candidates[k]);
        qsort(c, r.n_candidates, sizeof(c[0]), cmp_str);
        for (size_t k = 0; k < r.n_candidates && n > 0 && (size_t)n < len; k++)
                n += snprintf(buf + n, len - (size_t)n, " %s", c[k]);
}

/* A table's answer for key, as a sorted set of addresses (or ids for the
 * tables of domains and contacts). */
static void table_answer(const struct mailacct_dir *d, enum mailacct_table t, const char *key, char *buf, size_t len)
{
        uint32_t ids[64];
        const char *c[64];
        char num[64][12];
        long n = mailacct_dir_get(d, t, key, ids, 64);
        int at = snprintf(buf, len, "%ld:", n);
        bool mbox = t == MAILACCT_T_ADDRESS || t == MAILACCT_T_BARE || t == MAILACCT_T_NT || t == MAILACCT_T_UID;

        assert_true(n >= 0);
        for (long k = 0; k < n && k < 64; k++) {
                snprintf(num[k], sizeof(num[k]), "%u", ids[k]);
                c[k] = mbox ? addr(d, ids[k]) : num[k];
        }
        qsort(c, (size_t)(n < 64 ? n : 64), sizeof(c[0]), cmp_str);
        for (long k = 0; k < n && k < 64 && at > 0 && (size_t)at < len; k++)
                at += snprintf(buf + at, len - (size_t)at, " %s", c[k]);
}

static void keys_of(const struct mailacct_index *ix, enum mailacct_table t, struct names *l)
{
        uint32_t pos = 0;
        const char *key;
        int r;

        while ((r = ix_table_next(ix, t, &pos, &key)) == 1)
                name_add(l, "%s", key);
        assert_int_equal(r, 0);
}

/* What NSS enumerates: every mailbox's passwd line, sorted. */
static void enumerate(const struct mailacct_dir *d, struct names *l)
{
        for (uint32_t i = 0; i < mailacct_dir_settings(d)->n_mailboxes; i++) {
                struct mailacct_pwent pw;
                int r = mailacct_dir_passwd(d, i, &pw);
                if (r == -ENOENT)
                        continue;
                assert_true(r == 0 || r == -ENODATA);
                if (r == 0)
                        name_add(l, "%s:%u:%u:%s:%s:%s", pw.name, (unsigned)pw.uid, (unsigned)pw.gid,
                                 pw.gecos ? pw.gecos : "", pw.home, pw.shell ? pw.shell : "");
        }
        qsort(l->v, l->n, sizeof(l->v[0]), cmp_str);
}

static size_t compare(const struct mailacct_dir *pair, const struct mailacct_dir *fresh, const char *what,
                      unsigned stepno)
{
        struct names logins = {0}, keys = {0}, e1 = {0}, e2 = {0};
        const struct mailacct_index *ixs[3] = {mailacct_dir_index(fresh), NULL, mailacct_dir_delta(pair)};
        struct mailacct_dir *b = open_base();
        char x[4096], y[4096];
        size_t checked = 0;

        ixs[1] = mailacct_dir_index(b);
        logins_of(pair, &logins);
        logins_of(fresh, &logins);
        for (size_t i = 0; i < logins.n; i++, checked++) {
                answer(pair, logins.v[i], x, sizeof(x));
                answer(fresh, logins.v[i], y, sizeof(y));
                if (strcmp(x, y) != 0)
                        fail_msg("step %u (%s): \"%s\": base+delta: %s; full build: %s", stepno, what, logins.v[i], x,
                                 y);
        }
        /* every key of every table of the fresh build, the base and the delta */
        for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                for (size_t k = 0; k < 3; k++)
                        if (ixs[k])
                                keys_of(ixs[k], (enum mailacct_table)t, &keys);
                for (size_t i = 0; i < keys.n; i++, checked++) {
                        table_answer(pair, (enum mailacct_table)t, keys.v[i], x, sizeof(x));
                        table_answer(fresh, (enum mailacct_table)t, keys.v[i], y, sizeof(y));
                        /* the uid table keeps two of many: "many" is the answer */
                        if (t == MAILACCT_T_UID && x[0] == '2' && y[0] == '2')
                                continue;
                        if (strcmp(x, y) != 0)
                                fail_msg("step %u (%s): table %d key \"%s\": base+delta: %s; full build: %s", stepno,
                                         what, t, keys.v[i], x, y);
                }
                names_free(&keys);
        }
        for (uid_t u = 5000; u < 5040; u++, checked++)
                assert_string_equal(addr(pair, mailacct_dir_find_uid(pair, u)),
                                    addr(fresh, mailacct_dir_find_uid(fresh, u)));
        enumerate(pair, &e1);
        enumerate(fresh, &e2);
        assert_int_equal(e1.n, e2.n);
        for (size_t i = 0; i < e1.n; i++)
                assert_string_equal(e1.v[i], e2.v[i]);
        checked += e1.n;
        names_free(&e1);
        names_free(&e2);
        names_free(&logins);
        mailacct_dir_free(b);
        return checked;
}

/* ---- the tests -------------------------------------------------------------------- */

static void paths(void)
{
        const char *dir = tu_tmpdir();

        snprintf(conf, sizeof(conf), "%s/t.conf", dir);
        snprintf(base_path, sizeof(base_path), "%s/t.idx", dir);
        snprintf(full_path, sizeof(full_path), "%s/full.idx", dir);
        assert_int_equal(mailacct_delta_path(base_path, delta_path, sizeof(delta_path)), 0);
        tu_write("t.conf", "# the index is the data\n", 0644);
}

static void test_equivalence(void **state)
{
        size_t checked = 0, rebuilt = 0, keys_max = 0;
        struct mailacct_dir *full, *base, *pair, *fresh;

        (void)state;
        paths();
        memset(model, 0, sizeof(model));
        for (int i = 0; i < 24; i++)
                add_entry();
        full = build();
        write_index(full, base_path);
        mailacct_dir_free(full);
        unlink(delta_path);
        for (unsigned s = 1; s <= 300; s++) {
                const char *what = step();
                struct mailacct_index_meta meta = {.conf_path = conf, .flags = 2};
                struct mailacct_delta_stats st;
                char err[512];
                int r;

                full = build();
                base = open_base();
                /* every 60 steps, as a delta past its limit would: a new
                 * base, then the delta removed (here: left, obsolete) */
                if (s % 60 == 0) {
                        mailacct_dir_free(base);
                        write_index(full, base_path);
                        rebuilt++;
                        base = open_base();
                } else {
                        r = mailacct_delta_write(base, full, &meta, delta_path, 100000, &st, err, sizeof(err));
                        if (r < 0)
                                fail_msg("step %u (%s): %s", s, what, err);
                        if (st.keys > keys_max)
                                keys_max = st.keys;
                }
                mailacct_dir_free(base);
                write_index(full, full_path);
                mailacct_dir_free(full);
                pair = open_pair();
                fresh = NULL;
                {
                        char why[512];
                        assert_int_equal(mailacct_dir_open_index(full_path, &fresh, why, sizeof(why)), 0);
                }
                checked += compare(pair, fresh, what, s);
                mailacct_dir_free(pair);
                mailacct_dir_free(fresh);
        }
        print_message("300 steps, %zu answers compared, %zu full rebuilds, largest delta %zu keys\n", checked, rebuilt,
                      keys_max);
        assert_true(checked > 10000);
}

/* A delta names its base: beside a new base it is ignored. */
static void test_obsolete(void **state)
{
        struct mailacct_index_meta meta = {.conf_path = conf, .flags = 2};
        struct mailacct_delta_stats st;
        struct mailacct_dir *full, *base;
        struct mailacct_index *dix = NULL;
        char err[512];

        (void)state;
        paths();
        memset(model, 0, sizeof(model));
        for (int i = 0; i < 8; i++)
                add_entry();
        full = build();
        write_index(full, base_path);
        base = open_base();
        model[0].used = false;
        mailacct_dir_free(full);
        full = build();
        assert_int_equal(mailacct_delta_write(base, full, &meta, delta_path, 1000, &st, err, sizeof(err)), 0);
        assert_int_equal(st.removed, 1);
        mailacct_dir_free(base);
        base = open_base();
        assert_int_equal(mailacct_delta_open(delta_path, mailacct_dir_index(base), &dix, err, sizeof(err)), 0);
        mailacct_index_close(dix);
        mailacct_dir_free(base);
        /* a new base (a full build): the delta names the old one */
        write_index(full, base_path);
        base = open_base();
        assert_int_equal(mailacct_delta_open(delta_path, mailacct_dir_index(base), &dix, err, sizeof(err)), -ESTALE);
        assert_null(dix);
        /* past its limit: a full build is due, nothing written */
        unlink(delta_path);
        model[1].used = model[2].used = false;
        mailacct_dir_free(full);
        full = build();
        assert_int_equal(mailacct_delta_write(base, full, &meta, delta_path, 2, &st, err, sizeof(err)), -EXDEV);
        assert_int_equal(access(delta_path, F_OK), -1);
        mailacct_dir_free(full);
        mailacct_dir_free(base);
}

/* passwords = "ldap-bind" is a setting: a change of it makes a full
 * build, and a delta under it carries the flag the base has. */
static void test_settings(void **state)
{
        struct mailacct_index_meta meta = {.conf_path = conf, .flags = 2};
        struct mailacct_delta_stats st;
        struct mailacct_dir *full, *base, *pair;
        struct mailacct_index *dix = NULL;
        char err[512];

        (void)state;
        paths();
        memset(model, 0, sizeof(model));
        for (int i = 0; i < 8; i++)
                add_entry();
        build_passwords = MAILACCT_PASSWORDS_SECRETS;
        full = build();
        write_index(full, base_path);
        mailacct_dir_free(full);
        base = open_base();
        build_passwords = MAILACCT_PASSWORDS_LDAP_BIND;
        full = build();
        unlink(delta_path);
        assert_int_equal(mailacct_delta_write(base, full, &meta, delta_path, 1000, &st, err, sizeof(err)), -EXDEV);
        assert_string_equal(err, "the settings changed");
        assert_int_equal(access(delta_path, F_OK), -1);
        mailacct_dir_free(base);
        /* under ldap-bind both ways: a delta, with the flag */
        write_index(full, base_path);
        mailacct_dir_free(full);
        base = open_base();
        model[0].used = false;
        full = build();
        assert_int_equal(mailacct_delta_write(base, full, &meta, delta_path, 1000, &st, err, sizeof(err)), 0);
        assert_int_equal(mailacct_delta_open(delta_path, mailacct_dir_index(base), &dix, err, sizeof(err)), 0);
        assert_true(mailacct_index_flags(dix) & IX_F_LDAP_BIND);
        mailacct_index_close(dix);
        mailacct_dir_free(base);
        mailacct_dir_free(full);
        pair = open_pair();
        assert_int_equal(mailacct_dir_settings(pair)->passwords, MAILACCT_PASSWORDS_LDAP_BIND);
        mailacct_dir_free(pair);
        build_passwords = MAILACCT_PASSWORDS_SECRETS;
        unlink(delta_path);
}

/* Every byte of a delta flipped: refused at open, or every answer the
 * pair gives is the undamaged pair's or "unavailable", never another. */
static void test_damage(void **state)
{
        struct mailacct_index_meta meta = {.conf_path = conf, .flags = 2};
        struct mailacct_delta_stats st;
        struct mailacct_dir *full, *base, *good;
        struct names logins = {0};
        char err[512];
        uint8_t *img;
        struct stat sb;
        FILE *f;
        size_t refused = 0, answered = 0;

        (void)state;
        paths();
        memset(model, 0, sizeof(model));
        for (int i = 0; i < 12; i++)
                add_entry();
        full = build();
        write_index(full, base_path);
        base = open_base();
        for (int i = 0; i < 6; i++)
                (void)step();
        mailacct_dir_free(full);
        full = build();
        assert_int_equal(mailacct_delta_write(base, full, &meta, delta_path, 1000, &st, err, sizeof(err)), 0);
        mailacct_dir_free(base);
        mailacct_dir_free(full);
        good = open_pair();
        logins_of(good, &logins);
        assert_int_equal(stat(delta_path, &sb), 0);
        img = malloc((size_t)sb.st_size);
        f = fopen(delta_path, "rb");
        assert_int_equal(fread(img, 1, (size_t)sb.st_size, f), (size_t)sb.st_size);
        fclose(f);
        for (size_t at = 0; at < (size_t)sb.st_size; at += 3) {
                struct mailacct_index *dix;
                struct mailacct_dir *b = open_base(), *p;
                char path2[PATH_MAX + 8];
                snprintf(path2, sizeof(path2), "%s.bad", delta_path);
                img[at] ^= 0x5a;
                f = fopen(path2, "wb");
                fwrite(img, 1, (size_t)sb.st_size, f);
                fclose(f);
                img[at] ^= 0x5a;
                if (mailacct_delta_open(path2, mailacct_dir_index(b), &dix, err, sizeof(err)) < 0) {
                        refused++;
                        mailacct_dir_free(b);
                        continue;
                }
                assert_int_equal(mailacct_dir_with_delta(b, dix, &p), 0);
                for (size_t i = 0; i < logins.n; i++) {
                        char x[4096], y[4096];
                        answer(good, logins.v[i], x, sizeof(x));
                        answer(p, logins.v[i], y, sizeof(y));
                        if (strcmp(x, y) != 0 && strncmp(y, "unavailable", 11) != 0)
                                fail_msg("byte %zu flipped: \"%s\": %s instead of %s", at, logins.v[i], y, x);
                        answered++;
                }
                mailacct_dir_free(p);
                unlink(path2);
        }
        print_message("%zu damaged deltas refused at open, %zu answers checked under damage\n", refused, answered);
        names_free(&logins);
        free(img);
        mailacct_dir_free(good);
}

/* Every byte of a delta changed and every checksum computed again, as a
 * buggy writer (or one who may write the file) would leave it: the counts,
 * offsets and ids behind the checksums reach the reader's bounds. Opened
 * or refused, never a read out of bounds (the ASan build), never a crash;
 * a lookup answers a mailbox the pair holds, or fails. */
static void test_damage_sealed(void **state)
{
        struct mailacct_index_meta meta = {.conf_path = conf, .flags = 2};
        struct mailacct_delta_stats st;
        struct mailacct_dir *full, *base, *good;
        struct names logins = {0};
        char err[512], path2[PATH_MAX + 8];
        uint8_t *img, *bad;
        struct stat sb;
        FILE *f;
        size_t opened = 0;

        (void)state;
        paths();
        memset(model, 0, sizeof(model));
        for (int i = 0; i < 10; i++)
                add_entry();
        full = build();
        write_index(full, base_path);
        base = open_base();
        for (int i = 0; i < 8; i++)
                (void)step();
        mailacct_dir_free(full);
        full = build();
        assert_int_equal(mailacct_delta_write(base, full, &meta, delta_path, 1000, &st, err, sizeof(err)), 0);
        mailacct_dir_free(base);
        mailacct_dir_free(full);
        good = open_pair();
        logins_of(good, &logins);
        mailacct_dir_free(good);
        assert_int_equal(stat(delta_path, &sb), 0);
        img = malloc((size_t)sb.st_size);
        bad = malloc((size_t)sb.st_size);
        f = fopen(delta_path, "rb");
        assert_int_equal(fread(img, 1, (size_t)sb.st_size, f), (size_t)sb.st_size);
        fclose(f);
        snprintf(path2, sizeof(path2), "%s.bad", delta_path);
        for (size_t at = 0; at < (size_t)sb.st_size; at++) {
                struct mailacct_index *dix;
                struct mailacct_dir *b = open_base(), *p;
                memcpy(bad, img, (size_t)sb.st_size);
                bad[at] ^= (uint8_t)(0x01 << (at % 8));
                assert_int_equal(mailacct_ix_seal(bad, (size_t)sb.st_size) == 0 || at < sizeof(struct ix_header), 1);
                f = fopen(path2, "wb");
                fwrite(bad, 1, (size_t)sb.st_size, f);
                fclose(f);
                if (mailacct_delta_open(path2, mailacct_dir_index(b), &dix, err, sizeof(err)) < 0) {
                        mailacct_dir_free(b);
                        continue;
                }
                /* damaged settings: refused, the base the caller's */
                if (mailacct_dir_with_delta(b, dix, &p) < 0) {
                        mailacct_dir_free(b);
                        continue;
                }
                opened++;
                for (size_t i = 0; i < logins.n; i++) {
                        struct mailacct_result r;
                        if (mailacct_resolve(p, logins.v[i], &r) == 0)
                                assert_true(r.mailbox < mailacct_dir_settings(p)->n_mailboxes);
                }
                for (uint32_t id = 0; id < mailacct_dir_settings(p)->n_mailboxes; id++) {
                        struct mailacct_pwent pw;
                        (void)mailacct_dir_passwd(p, id, &pw);
                }
                mailacct_dir_free(p);
        }
        unlink(path2);
        print_message("%zu sealed mutations of a %lld-byte delta, %zu opened and read\n", (size_t)sb.st_size,
                      (long long)sb.st_size, opened);
        names_free(&logins);
        free(img);
        free(bad);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_equivalence),
                cmocka_unit_test(test_obsolete),
                cmocka_unit_test(test_settings),
                cmocka_unit_test(test_damage),
                cmocka_unit_test(test_damage_sealed),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);

        tu_cleanup();
        return r;
}
