/* SPDX-License-Identifier: MIT */
/* The `ldap` group as the file source reads it (errors with file and
 * line), the store of synced entries (round trip, damage refused, state),
 * the comparison with the last sync (added, changed by key across a rename,
 * removed, left out; the removal limit), and the writers' load: the file
 * and the store give the directory a sync gave, the file winning. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../lib/ldap_entry.h"
#include "declare.h"
#include "diff.h"
#include "store.h"
#include "testutil.h"

/* ---- the group, read by the file source ---------------------------------- */

#define HEAD "domains = ( { name = \"example.com\"; netbios = \"EXAMPLE\"; } );\n"

struct gcase {
        const char *name, *conf;
        int line;           /* of the first error; 0: loads */
        const char *text;   /* in it */
};

static const struct gcase group_cases[] = {
        {"a sound group",
         HEAD "ldap = {\n uri = [ \"ldaps://dc1.example.com\", \"ldap://dc2.example.com\" ];\n base = "
              "\"dc=example,dc=com\";\n schema = \"ad\";\n bind_dn = \"cn=s,dc=example,dc=com\";\n "
              "bind_password_file = \"pw\";\n starttls = true;\n tls_ca = \"/etc/ssl/ca.pem\";\n filter = "
              "\"(memberOf=cn=mail,dc=example,dc=com)\";\n map = { aliases = \"mailNickname\"; mailbox_filter = "
              "\"(objectClass=user)\"; };\n page_size = 500;\n max_removal = 20;\n timeout = 5;\n};\n",
         0, NULL},
        {"one uri and one base as strings",
         HEAD "ldap = { uri = \"ldapi:///\"; base = \"dc=example,dc=com\"; schema = \"openldap\"; };\n", 0, NULL},
        {"a bind over ldap:// without StartTLS",
         HEAD "ldap = {\n uri = [ \"ldap://dc1.example.com\" ];\n base = \"dc=x\";\n schema = \"ad\";\n bind_dn = "
              "\"cn=s\";\n bind_password_file = \"pw\";\n};\n",
         3, "in clear"},
        {"a uri of another scheme",
         HEAD "ldap = {\n uri = \"http://dc1\";\n base = \"dc=x\"; schema = \"ad\"; };\n", 3, "ldaps://"},
        {"no schema", HEAD "ldap = {\n uri = \"ldaps://dc1\";\n base = \"dc=x\"; };\n", 2, "no schema"},
        {"an unknown schema", HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\";\n schema = \"novell\"; };\n", 3,
         "\"ad\" or \"openldap\""},
        {"no base", HEAD "ldap = { uri = \"ldaps://dc1\"; schema = \"ad\"; };\n", 2, "no base"},
        {"bind_dn without its password file",
         HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\";\n bind_dn = \"cn=s\"; };\n", 2,
         "bind_password_file"},
        {"an unknown key", HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\";\n bindpw = \"x\"; };\n",
         3, "unknown key \"bindpw\""},
        {"a map key that is no field",
         HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\";\n map = {\n colour = \"c\"; }; };\n",
         4, "unknown key \"colour\""},
        {"a map value that is no attribute",
         HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\"; map = {\n aliases = \"mail nick\"; "
              "}; };\n",
         3, "aliases = \"mail nick\""},
        {"a filter without parentheses",
         HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\";\n filter = \"memberOf=x\"; };\n", 3,
         "parenthesised"},
        {"two filters side by side",
         HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\";\n filter = \"(a=b)(c=d)\"; };\n", 3,
         "side by side"},
        {"page_size out of range",
         HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\";\n page_size = 0; };\n", 3,
         "out of range"},
        {"max_removal over 100",
         HEAD "ldap = { uri = \"ldaps://dc1\"; base = \"dc=x\"; schema = \"ad\";\n max_removal = 150; };\n", 3,
         "out of range"},
        {"uri as a number", HEAD "ldap = {\n uri = 5; base = \"dc=x\"; schema = \"ad\"; };\n", 3, "string or an array"},
};

static void test_group(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(group_cases) / sizeof(group_cases[0]); i++) {
                const struct gcase *c = &group_cases[i];
                struct mailacct_file_info info;
                struct mailacct_diags dg;
                struct mailacct_dir *d = NULL;
                const char *path = tu_write("group.conf", c->conf, 0644);
                int r;

                mailacct_diags_init(&dg);
                r = mailacct_file_load(path, &d, &dg, &info);
                if (c->line == 0) {
                        if (r != 0) {
                                for (size_t k = 0; k < dg.n; k++)
                                        print_message("  %d: %s\n", dg.v[k].line, dg.v[k].text);
                                fail_msg("%s: does not load", c->name);
                        }
                        assert_non_null(info.ldap);
                        mailacct_file_info_free(&info);
                } else {
                        bool found = false;
                        assert_int_not_equal(r, 0);
                        for (size_t k = 0; k < dg.n; k++)
                                if (dg.v[k].severity == MAILACCT_ERROR && dg.v[k].line == c->line &&
                                    strstr(dg.v[k].text, c->text) && strstr(dg.v[k].file, "group.conf"))
                                        found = true;
                        if (!found) {
                                for (size_t k = 0; k < dg.n; k++)
                                        print_message("  %d: %s\n", dg.v[k].line, dg.v[k].text);
                                fail_msg("%s: no error at line %d with \"%s\"", c->name, c->line, c->text);
                        }
                }
                mailacct_dir_free(d);
                mailacct_diags_clear(&dg);
        }
}

/* the sound group's values, anchored where relative */
static void test_group_values(void **state)
{
        struct mailacct_file_info info;
        struct mailacct_diags dg;
        struct mailacct_dir *d;
        const struct mailacct_ldap_conf *c;
        char *filter;

        (void)state;
        mailacct_diags_init(&dg);
        assert_int_equal(mailacct_file_load(tu_write("g.conf", group_cases[0].conf, 0644), &d, &dg, &info), 0);
        c = info.ldap;
        assert_int_equal(c->n_uri, 2);
        assert_string_equal(c->uri[1], "ldap://dc2.example.com");
        assert_int_equal(c->schema, MAILACCT_LDAP_SCHEMA_AD);
        assert_true(c->starttls);
        assert_int_equal(c->page_size, 500);
        assert_int_equal(c->max_removal, 20);
        assert_int_equal(c->timeout, 5);
        assert_string_equal(c->map[MAILACCT_LF_ALIASES], "mailNickname");
        assert_non_null(strstr(c->bind_password_file, tu_tmpdir()));
        filter = mailacct_ldap_mailbox_filter(c);
        /* map's filter replaces the schema's; `filter` is ANDed with it */
        assert_string_equal(filter, "(&(objectClass=user)(memberOf=cn=mail,dc=example,dc=com))");
        free(filter);
        mailacct_file_info_free(&info);
        mailacct_dir_free(d);
        mailacct_diags_clear(&dg);
}

/* ---- the store ------------------------------------------------------------- */

static const char *const entries[] = {
        "uid=a,ou=people,dc=example,dc=com\nkey: uuid-a\nmail: a@example.com\nuid: a\n",
        "uid=b,ou=people,dc=example,dc=com\nkey: uuid-b\nmail: b@example.com\nuid: b\ndisplayName: B\n",
        "cn=partner,dc=example,dc=com\nkind: contact\nkey: uuid-p\nmail: p@elsewhere.net\ncn: partner\n",
        "uid=c,ou=people,dc=example,dc=com\nmail: c@elsewhere.net\n", /* no key; not hosted */
};
#define N_ENTRIES (sizeof(entries) / sizeof(entries[0]))

static void write_store(const char *path, const char *const *texts, size_t n, uint64_t fp, const bool *accepted)
{
        static struct tl_entry t;
        char err[512];
        struct mailacct_ldap_store_writer *w =
                mailacct_ldap_store_begin(path, MAILACCT_LDAP_SCHEMA_OPENLDAP, fp, 1234567890, err, sizeof(err));

        assert_non_null(w);
        for (size_t i = 0; i < n; i++) {
                uint32_t ord;
                uint64_t content;
                tl_entry_parse(texts[i], strlen(texts[i]), &t);
                assert_int_equal(mailacct_ldap_store_put(w, &t.e, &ord, &content), 0);
                assert_int_equal(ord, i);
                if (accepted)
                        assert_int_equal(mailacct_ldap_store_accept(w, ord, accepted[i]), 0);
        }
        assert_int_equal(mailacct_ldap_store_put_netbios(w, "Corp.Example.com", "CORP"), 0);
        assert_int_equal(mailacct_ldap_store_put_state(w, MAILACCT_LDAP_STATE_SERVER, "ldaps://dc1", 11), 0);
        assert_int_equal(mailacct_ldap_store_commit(w, err, sizeof(err)), 0);
}

static void test_store_round_trip(void **state)
{
        static const bool accepted[] = {true, true, true, false};
        char path[4096], why[512];
        struct mailacct_ldap_store *s;
        struct mailacct_ldap_store_iter *it;
        struct mailacct_ldap_entry e;
        static struct tl_entry t;
        uint32_t ord, mailboxes;
        bool acc;
        uint64_t content;
        const void *v;
        size_t len, i = 0;
        struct stat st;

        (void)state;
        snprintf(path, sizeof(path), "%s/rt.idx.ldap", tu_tmpdir());
        write_store(path, entries, N_ENTRIES, 42, accepted);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600); /* root's alone */
        assert_int_equal(mailacct_ldap_store_open(path, &s, why, sizeof(why)), 0);
        assert_int_equal(mailacct_ldap_store_count(s), N_ENTRIES);
        assert_int_equal(mailacct_ldap_store_accepted(s, &mailboxes), 3);
        assert_int_equal(mailboxes, 2);
        assert_int_equal(mailacct_ldap_store_fingerprint(s), 42);
        assert_int_equal(mailacct_ldap_store_pulled(s), 1234567890);
        assert_string_equal(mailacct_ldap_store_netbios(s, "corp.example.COM"), "CORP");
        assert_null(mailacct_ldap_store_netbios(s, "example.com"));
        assert_int_equal(mailacct_ldap_store_state(s, MAILACCT_LDAP_STATE_SERVER, &v, &len), 0);
        assert_int_equal(len, 11);
        assert_memory_equal(v, "ldaps://dc1", 11);
        assert_int_equal(mailacct_ldap_store_state(s, MAILACCT_LDAP_STATE_COOKIE, &v, &len), -ENOENT);
        it = mailacct_ldap_store_iter_new(s);
        while (mailacct_ldap_store_next(it, &e, &ord, &acc, &content) == 1) {
                tl_entry_parse(entries[i], strlen(entries[i]), &t);
                assert_int_equal(ord, i);
                assert_int_equal(acc, accepted[i]);
                assert_string_equal(e.dn, t.e.dn);
                assert_int_equal(e.kind, t.e.kind);
                assert_int_equal(e.key_len, t.e.key_len);
                assert_int_equal(e.n_attrs, t.e.n_attrs);
                for (size_t k = 0; k < e.n_attrs; k++) {
                        assert_string_equal(e.attrs[k].name, t.e.attrs[k].name);
                        assert_int_equal(e.attrs[k].n, t.e.attrs[k].n);
                        for (size_t j = 0; j < e.attrs[k].n; j++)
                                assert_memory_equal(e.attrs[k].v[j].p, t.e.attrs[k].v[j].p, t.e.attrs[k].v[j].len);
                }
                i++;
        }
        assert_int_equal(i, N_ENTRIES);
        mailacct_ldap_store_iter_free(it);
        mailacct_ldap_store_close(s);
}

/* Every byte flipped and every length cut: refused, never half-read. */
static void test_store_damage(void **state)
{
        char path[4096], bad[4200], why[512];
        struct mailacct_ldap_store *s;
        FILE *f;
        unsigned char buf[8192];
        size_t n;

        (void)state;
        snprintf(path, sizeof(path), "%s/dmg.idx.ldap", tu_tmpdir());
        snprintf(bad, sizeof(bad), "%s/bad.idx.ldap", tu_tmpdir());
        write_store(path, entries, N_ENTRIES, 7, NULL);
        f = fopen(path, "rb");
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        assert_true(n > 200 && n < sizeof(buf));
        for (size_t i = 0; i < n; i++) {
                int fd;
                buf[i] ^= 0x20;
                unlink(bad);
                fd = open(bad, O_WRONLY | O_CREAT | O_EXCL, 0600);
                assert_int_equal(write(fd, buf, n), (ssize_t)n);
                close(fd);
                if (mailacct_ldap_store_open(bad, &s, why, sizeof(why)) == 0)
                        fail_msg("byte %zu flipped: the store opens", i);
                buf[i] ^= 0x20;
        }
        for (size_t cut = 0; cut < n; cut += 7) {
                int fd;
                unlink(bad);
                fd = open(bad, O_WRONLY | O_CREAT | O_EXCL, 0600);
                assert_int_equal(write(fd, buf, cut), (ssize_t)cut);
                close(fd);
                if (mailacct_ldap_store_open(bad, &s, why, sizeof(why)) == 0)
                        fail_msg("cut at %zu: the store opens", cut);
        }
        /* writable by others: not trusted */
        chmod(path, 0666);
        assert_int_equal(mailacct_ldap_store_open(path, &s, why, sizeof(why)), -EPERM);
        assert_int_equal(mailacct_ldap_store_open("/nonexistent/x.idx.ldap", &s, why, sizeof(why)), -ENOENT);
}

/* ---- the comparison with the last sync ------------------------------------- */

static void test_diff(void **state)
{
        static const bool accepted[] = {true, true, true, false};
        /* a renamed (same key, new DN), b changed, partner gone, c now in, d new */
        static const char *const now[] = {
                "uid=a,ou=moved,dc=example,dc=com\nkey: uuid-a\nmail: a@example.com\nuid: a\n",
                "uid=b,ou=people,dc=example,dc=com\nkey: uuid-b\nmail: b@example.com\nuid: b\ndisplayName: Bee\n",
                "uid=c,ou=people,dc=example,dc=com\nmail: c@elsewhere.net\n",
                "uid=d,ou=people,dc=example,dc=com\nkey: uuid-d\nmail: d@example.com\n",
        };
        char path[4096], why[512];
        struct mailacct_ldap_store *s;
        struct mailacct_ldap_diff *d;
        struct mailacct_ldap_counts c;
        static struct tl_entry t;

        (void)state;
        snprintf(path, sizeof(path), "%s/diff.idx.ldap", tu_tmpdir());
        write_store(path, entries, N_ENTRIES, 1, accepted);
        assert_int_equal(mailacct_ldap_store_open(path, &s, why, sizeof(why)), 0);
        d = mailacct_ldap_diff_new(s);
        assert_non_null(d);
        for (uint32_t i = 0; i < 4; i++) {
                uint64_t content;
                char err[256];
                struct mailacct_ldap_store_writer *w;
                /* the content hash as the store computes it */
                snprintf(path, sizeof(path), "%s/tmp.idx.ldap", tu_tmpdir());
                w = mailacct_ldap_store_begin(path, MAILACCT_LDAP_SCHEMA_OPENLDAP, 1, 0, err, sizeof(err));
                tl_entry_parse(now[i], strlen(now[i]), &t);
                uint32_t ord;
                assert_int_equal(mailacct_ldap_store_put(w, &t.e, &ord, &content), 0);
                mailacct_ldap_store_abort(w);
                assert_int_equal(mailacct_ldap_diff_note(d, i, &t.e, content), 0);
                mailacct_ldap_diff_accept(d, i, true);
        }
        mailacct_ldap_diff_accept(d, 3, false); /* d: left out by the builder */
        mailacct_ldap_diff_count(d, &c);
        assert_int_equal(c.seen, 4);
        assert_int_equal(mailacct_ldap_diff_change(d, 0), MAILACCT_LDAP_CHANGED); /* renamed */
        assert_int_equal(mailacct_ldap_diff_change(d, 1), MAILACCT_LDAP_CHANGED);
        assert_int_equal(mailacct_ldap_diff_change(d, 2), MAILACCT_LDAP_ADDED); /* left out last time */
        assert_int_equal(mailacct_ldap_diff_change(d, 3), MAILACCT_LDAP_LEFT_OUT);
        assert_int_equal(c.added, 1);
        assert_int_equal(c.changed, 2);
        assert_int_equal(c.left_out, 1);
        assert_int_equal(c.removed, 1); /* the contact */
        assert_int_equal(c.removed_mailboxes, 0);
        assert_int_equal(c.last_mailboxes, 2);
        assert_true(mailacct_ldap_diff_removed(d, 2));
        assert_false(mailacct_ldap_diff_removed(d, 0));
        mailacct_ldap_diff_free(d);
        mailacct_ldap_store_close(s);
}

static void test_removal_limit(void **state)
{
        (void)state;
        /* more than 3, and more than the percentage: both needed */
        assert_false(mailacct_ldap_removal_refused(10, 3, 10));
        assert_true(mailacct_ldap_removal_refused(10, 4, 10));
        assert_false(mailacct_ldap_removal_refused(1000, 100, 10));
        assert_true(mailacct_ldap_removal_refused(1000, 101, 10));
        assert_false(mailacct_ldap_removal_refused(0, 0, 10));
        assert_true(mailacct_ldap_removal_refused(100, 100, 99));
        assert_false(mailacct_ldap_removal_refused(100, 100, 100));
        assert_true(mailacct_ldap_removal_refused(100, 4, 0));
}

/* ---- the writers' load: file + store --------------------------------------- */

static void test_rebuild(void **state)
{
        char conf[8192], path[4096];
        static const bool accepted[] = {true, true, true, false};
        const char *cpath;
        struct mailacct_file_info info;
        struct mailacct_diags dg;
        struct mailacct_dir *d;
        struct mailacct_ldap_conf lc;
        struct mailacct_result r;
        const char *dn, *upn;
        uint32_t id;
        bool found_stamp = false;

        (void)state;
        snprintf(conf, sizeof(conf),
                 "index = \"rebuild.idx\";\n"
                 "domains = ( { name = \"example.com\"; netbios = \"EXAMPLE\"; } );\n"
                 "mailboxes = ( { address = \"b@example.com\"; } );\n" /* the file wins over uid=b */
                 "ldap = { uri = \"ldaps://dc1\"; base = \"dc=example,dc=com\"; schema = \"openldap\";\n"
                 "  map = { contact_filter = \"(objectClass=mailRecipient)\"; }; };\n");
        cpath = tu_write("rebuild.conf", conf, 0644);
        {
                /* the fingerprint of that group, as the sync writes it */
                mailacct_diags_init(&dg);
                assert_int_equal(mailacct_file_load(cpath, &d, &dg, &info), 0);
                lc = *info.ldap;
                snprintf(path, sizeof(path), "%s/rebuild.idx.ldap", tu_tmpdir());
                write_store(path, entries, N_ENTRIES, mailacct_ldap_conf_fingerprint(&lc), accepted);
                mailacct_file_info_free(&info);
                mailacct_dir_free(d);
                mailacct_diags_clear(&dg);
        }
        mailacct_diags_init(&dg);
        assert_int_equal(mailacct_source_load(cpath, &d, &dg, &info), 0);
        assert_int_equal(mailacct_dir_settings(d)->n_mailboxes, 2); /* b (file), a (store) */
        assert_int_equal(mailacct_dir_settings(d)->n_contacts, 1);
        assert_int_equal(mailacct_resolve(d, "a", &r), 0);
        assert_string_equal(r.canonical, "a@example.com");
        id = tu_mailbox(d, "a@example.com");
        assert_int_equal(mailacct_dir_names(d, id, &dn, &upn), 0);
        assert_string_equal(dn, "uid=a,ou=people,dc=example,dc=com");
        id = tu_mailbox(d, "b@example.com");
        assert_int_equal(mailacct_dir_names(d, id, &dn, &upn), 0);
        assert_null(dn); /* the file's */
        for (size_t i = 0; i < info.n_stamps; i++)
                if (info.stamps[i].kind == MAILACCT_STAMP_LDAP) {
                        found_stamp = true;
                        assert_int_equal(info.stamps[i].mtime_ns, 1234567890);
                        assert_non_null(strstr(info.stamps[i].path, "ldaps://dc1"));
                }
        assert_true(found_stamp);
        mailacct_file_info_free(&info);
        mailacct_dir_free(d);
        mailacct_diags_clear(&dg);

        /* another map than the store was pulled with: a sync is due */
        snprintf(strstr(conf, "  map = {"), 200, "  map = { aliases = \"cn\"; }; };\n");
        cpath = tu_write("rebuild.conf", conf, 0644);
        mailacct_diags_init(&dg);
        assert_int_not_equal(mailacct_source_load(cpath, &d, &dg, NULL), 0);
        assert_true(dg.errors >= 1);
        assert_non_null(strstr(dg.v[dg.n - 1].text, "run 'mailacct sync'"));
        mailacct_diags_clear(&dg);

        /* no store at all */
        unlink(path);
        mailacct_diags_init(&dg);
        assert_int_not_equal(mailacct_source_load(cpath, &d, &dg, NULL), 0);
        assert_non_null(strstr(dg.v[dg.n - 1].text, "no entries synced"));
        mailacct_diags_clear(&dg);
}

/* The builder: delegates by DN become delegates of the named mailbox. */
static void test_delegate_dns(void **state)
{
        static const char *const conf = "domains = ( { name = \"example.com\"; } );\n"
                                        "ldap = { uri = \"ldaps://dc1\"; base = \"dc=example,dc=com\"; schema = "
                                        "\"ad\"; };\n";
        static const char *const boss = "CN=Boss,DC=example,DC=com\nmail: boss@example.com\nsAMAccountName: boss\n"
                                        "msExchDelegateListLink: cn=assistant,dc=EXAMPLE,dc=com\n"
                                        "msExchDelegateListLink: CN=Nobody,DC=example,DC=com\n";
        static const char *const assistant = "CN=Assistant,DC=example,DC=com\nmail: asst@example.com\n"
                                             "sAMAccountName: assistant\n";
        struct mailacct_diags dg;
        struct mailacct_builder *b;
        struct mailacct_ldap_declarer x;
        struct mailacct_ldap_conf lc;
        struct mailacct_dir *d;
        struct mailacct_result r;
        static struct tl_entry t;
        bool declared, warned = false;

        (void)state;
        (void)conf;
        mailacct_diags_init(&dg);
        mailacct_ldap_conf_init(&lc);
        lc.schema = MAILACCT_LDAP_SCHEMA_AD;
        b = mailacct_builder_new(&dg, "x.conf");
        {
                struct mailacct_settings_spec s = {0};
                struct mailacct_domain_spec dom = {.name = "example.com"};
                assert_int_equal(mailacct_builder_settings(b, &s), 0);
                assert_int_equal(mailacct_builder_domain(b, &dom), 0);
        }
        assert_int_equal(mailacct_ldap_declarer_init(&x, b, &lc, &dg), 0);
        tl_entry_parse(boss, strlen(boss), &t);
        assert_int_equal(mailacct_ldap_declare(&x, &t.e, 0, &declared), 0);
        assert_true(declared);
        tl_entry_parse(assistant, strlen(assistant), &t);
        assert_int_equal(mailacct_ldap_declare(&x, &t.e, 1, &declared), 0);
        mailacct_ldap_declarer_clear(&x);
        assert_int_equal(mailacct_builder_finish(b, &d), 0);
        /* the assistant opens the boss's mailbox with the three-part form */
        assert_int_equal(mailacct_resolve(d, "example.com\\assistant\\boss", &r), 0);
        assert_string_equal(r.canonical, "boss@example.com");
        for (size_t i = 0; i < dg.n; i++)
                if (strstr(dg.v[i].text, "CN=Nobody") && strstr(dg.v[i].text, "no mailbox"))
                        warned = true;
        assert_true(warned);
        mailacct_dir_free(d);
        mailacct_diags_clear(&dg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_group),         cmocka_unit_test(test_group_values),
                cmocka_unit_test(test_store_round_trip), cmocka_unit_test(test_store_damage),
                cmocka_unit_test(test_diff),          cmocka_unit_test(test_removal_limit),
                cmocka_unit_test(test_rebuild),       cmocka_unit_test(test_delegate_dns),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);

        tu_cleanup();
        return r;
}
