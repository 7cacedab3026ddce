/* SPDX-License-Identifier: MIT */
/* The builder (lib/build.h) as a second source uses it: entries of a
 * directory (LDAP) that break a rule or clash are left out with a warning
 * naming their DN, the file wins over the directory, and everything else is
 * built as from the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "build.h"
#include "resolve.h"
#include "testutil.h"

static struct mailacct_builder *start(struct mailacct_diags *dg)
{
        struct mailacct_builder *b;
        struct mailacct_settings_spec s = { .default_domain = "example.com" };
        static const char *const dom_aliases[] = { "example.org" };
        struct mailacct_domain_spec d = {
                .name = "example.com",
                .netbios = "EXAMPLE",
                .aliases = { .v = dom_aliases, .n = 1 },
                .origin = { .file = "test.conf", .line = 1 },
        };

        mailacct_diags_init(dg);
        b = mailacct_builder_new(dg, "test.conf");
        assert_non_null(b);
        assert_int_equal(mailacct_builder_settings(b, &s), 0);
        assert_int_equal(mailacct_builder_domain(b, &d), 0);
        return b;
}

static void file_mailbox(struct mailacct_builder *b, const char *address, const char *nt, int line)
{
        struct mailacct_mailbox_spec m = {
                .address = address,
                .nt_account = nt,
                .enabled = true,
                .has_uid = true,
                .uid = 5000 + (uid_t)line,
                .origin = { .file = "test.conf", .line = line },
        };

        assert_int_equal(mailacct_builder_mailbox(b, &m, MAILACCT_CLASH_ERROR), 0);
}

static void ldap_mailbox(struct mailacct_builder *b, const char *dn, const char *address, const char *nt,
                         const char *const *aliases, size_t n_aliases, const char *delegate)
{
        const char *const delegates[] = { delegate };
        struct mailacct_mailbox_spec m = {
                .address = address,
                .nt_account = nt,
                .dn = dn,
                .aliases = { .v = aliases, .n = n_aliases },
                .delegates = { .v = delegates, .n = delegate ? 1 : 0 },
                .enabled = true,
                .origin = { .dn = dn },
        };

        assert_int_equal(mailacct_builder_mailbox(b, &m, MAILACCT_CLASH_LEAVE_OUT), 0);
}

static bool warned(const struct mailacct_diags *dg, const char *file, const char *text)
{
        for (size_t i = 0; i < dg->n; i++)
                if (dg->v[i].severity == MAILACCT_WARNING && dg->v[i].file && strcmp(dg->v[i].file, file) == 0 &&
                    strstr(dg->v[i].text, text))
                        return true;
        for (size_t i = 0; i < dg->n; i++)
                print_message("  %s:%d: %s\n", dg->v[i].file ? dg->v[i].file : "-", dg->v[i].line, dg->v[i].text);
        return false;
}

static bool resolves(const struct mailacct_dir *d, const char *login, const char *want)
{
        struct mailacct_result r;

        if (mailacct_resolve(d, login, &r) < 0)
                return want == NULL;
        return want && strcmp(r.canonical, want) == 0;
}

static void test_leave_out(void **state)
{
        static const char *const bad_alias[] = { "bad alias " };
        static const char *const ok_alias[] = { "carol" };
        struct mailacct_diags dg;
        struct mailacct_builder *b = start(&dg);
        struct mailacct_dir *d;

        (void)state;
        file_mailbox(b, "jdoe@example.com", "jdoe", 10);
        /* the file wins: a directory entry claiming the file's address */
        ldap_mailbox(b, "cn=Impostor,dc=example,dc=com", "jdoe@example.com", NULL, NULL, 0, NULL);
        /* two directory entries claiming one address: both left out */
        ldap_mailbox(b, "cn=Twin One,dc=example,dc=com", "twin@example.com", "twin1", NULL, 0, NULL);
        ldap_mailbox(b, "cn=Twin Two,dc=example,dc=com", "twin@example.org", "twin2", NULL, 0, NULL);
        /* two claiming one NT account */
        ldap_mailbox(b, "cn=Nt One,dc=example,dc=com", "nt1@example.com", "shared", NULL, 0, NULL);
        ldap_mailbox(b, "cn=Nt Two,dc=example,dc=com", "nt2@example.com", "shared", NULL, 0, NULL);
        /* values the rules refuse */
        ldap_mailbox(b, "cn=Elsewhere,dc=example,dc=com", "x@elsewhere.net", NULL, NULL, 0, NULL);
        ldap_mailbox(b, "cn=Bad Alias,dc=example,dc=com", "badalias@example.com", NULL, bad_alias, 1, NULL);
        /* sound entries, one with a delegate that names no one */
        ldap_mailbox(b, "cn=Carol,dc=example,dc=com", "carol@example.com", "carol", ok_alias, 1, "EXAMPLE\\nobody");
        ldap_mailbox(b, "cn=Dave,dc=example,dc=com", "dave@example.com", NULL, NULL, 0, "EXAMPLE\\carol");
        assert_int_equal(mailacct_builder_left_out(b), 2); /* the refused values, so far */
        assert_int_equal(mailacct_builder_finish(b, &d), 0);
        assert_int_equal(dg.errors, 0);

        assert_true(warned(&dg, "cn=Impostor,dc=example,dc=com", "the file wins"));
        assert_true(warned(&dg, "cn=Twin One,dc=example,dc=com", "cn=Twin Two,dc=example,dc=com"));
        assert_true(warned(&dg, "cn=Twin Two,dc=example,dc=com", "cn=Twin One,dc=example,dc=com"));
        assert_true(warned(&dg, "cn=Nt One,dc=example,dc=com", "NT account"));
        assert_true(warned(&dg, "cn=Nt Two,dc=example,dc=com", "NT account"));
        assert_true(warned(&dg, "cn=Elsewhere,dc=example,dc=com", "not in domains"));
        assert_true(warned(&dg, "cn=Bad Alias,dc=example,dc=com", "aliases \"bad alias \""));
        assert_true(warned(&dg, "cn=Carol,dc=example,dc=com", "delegate \"EXAMPLE\\nobody\""));

        /* what stays: the file's jdoe, carol (without the delegate), dave */
        assert_int_equal(mailacct_dir_settings(d)->n_mailboxes, 3);
        assert_true(resolves(d, "EXAMPLE\\jdoe", "jdoe@example.com"));
        assert_true(resolves(d, "twin@example.com", NULL));
        assert_true(resolves(d, "EXAMPLE\\shared", NULL));
        assert_true(resolves(d, "EXAMPLE\\carol", "carol@example.com"));
        assert_true(resolves(d, "EXAMPLE\\carol\\dave", "dave@example.com"));
        {
                const char *dn, *upn;
                uint32_t id = tu_mailbox(d, "carol@example.com");
                assert_int_equal(mailacct_dir_names(d, id, &dn, &upn), 0);
                assert_string_equal(dn, "cn=Carol,dc=example,dc=com");
        }
        mailacct_dir_free(d);
        mailacct_diags_clear(&dg);
}

/* The file's own entries keep the file's rule: a clash is an error. */
static void test_file_clash(void **state)
{
        struct mailacct_diags dg;
        struct mailacct_builder *b = start(&dg);
        struct mailacct_dir *d;

        (void)state;
        file_mailbox(b, "jdoe@example.com", NULL, 10);
        file_mailbox(b, "jdoe@example.org", NULL, 11);
        assert_int_equal(mailacct_builder_finish(b, &d), -EINVAL);
        assert_null(d);
        assert_int_equal(dg.errors, 1);
        assert_non_null(strstr(dg.v[0].text, "duplicate address"));
        assert_int_equal(dg.v[0].line, 11);
        mailacct_diags_clear(&dg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_leave_out),
                cmocka_unit_test(test_file_clash),
        };
        int failed = cmocka_run_group_tests_name("builder", tests, NULL, NULL);

        tu_cleanup();
        return failed ? 1 : 0;
}
