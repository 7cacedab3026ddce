/* SPDX-License-Identifier: MIT */
/* Passwords from the directory (issue 14, item 1): an entry's userPassword
 * to the hash a sync keeps (source/ldap/userpassword.h), a table of
 * entries; the summary's counts; and the precedence of the secrets file
 * over the synced hashes (lib/account.h, mailacct_passwords_verifier()),
 * with the synced file written and read as the sync and the module do:
 * keyed by DN, so a mailbox of the file never takes a directory entry's
 * hash; the burn at the slower of the two places. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/ldap_entry.h"
#include "account.h"
#include "build.h"
#include "password.h"
#include "secrets.h"
#include "testutil.h"
#include "userpassword.h"

/* a sha512-crypt hash of "pw" and a yescrypt one of "pw" (libxcrypt) */
#define SHA "$6$saltsalt$VYwYsdOxMSb4DXZWrBgcfB1fMx5ZIqPTnPw8t/RrEUD8cNuXEB.3F2jJNZy0Va0jVAP.ZgB4UPrlpfuNAkcK31"
#define YES "$y$j9T$saltsaltsaltsalt$GrlwjUzY5ePMeWLEFv.7DuLKiSGHrMGHMd.x5DRWDV6"

struct pcase {
        const char *name;
        const char *entry;
        const char *hash;    /* kept, "" none */
        const char *refused; /* a part of why, NULL: not refused */
        const char *other;   /* "{SSHA},no scheme" in order, "" none */
        unsigned n_values;
};

static const struct pcase cases[] = {
        {"one {CRYPT}", "uid=a\nuserPassword: {CRYPT}" SHA "\n", SHA, NULL, "", 1},
        {"prefix in any case", "uid=a\nuserpassword: {crypt}" YES "\n", YES, NULL, "", 1},
        {"an option names the attribute", "uid=a\nuserPassword;binary: {CRYPT}" SHA "\n", SHA, NULL, "", 1},
        {"the first {CRYPT} in the server's order",
         "uid=a\nuserPassword: {SSHA}abcd\nuserPassword: {CRYPT}" YES "\nuserPassword: {CRYPT}" SHA "\n", YES, NULL,
         "{SSHA}", 3},
        {"only the first {CRYPT}, even when unusable",
         "uid=a\nuserPassword: {CRYPT}!" SHA "\nuserPassword: {CRYPT}" SHA "\n", "", "not a hash", "", 2},
        {"other schemes named, upper case", "uid=a\nuserPassword: {ssha}xyz\nuserPassword: {SSHA512}xyz\n", "", NULL,
         "{SSHA},{SSHA512}", 2},
        {"clear text", "uid=a\nuserPassword: secret\n", "", NULL, "no scheme", 1},
        {"a scheme name that is not one", "uid=a\nuserPassword: {a b}x\nuserPassword: {x\n", "", NULL, "{?}", 2},
        {"no value", "uid=a\ncn: x\n", "", NULL, "", 0},
        {"empty {CRYPT}", "uid=a\nuserPassword: {CRYPT}\n", "", "empty", "", 1},
        {"a colon", "uid=a\nuserPassword: {CRYPT}$6$a:b$c\n", "", "byte no hash has", "", 1},
        {"a space", "uid=a\nuserPassword: {CRYPT}$6$a b$c\n", "", "byte no hash has", "", 1},
        {"a scheme crypt(3) lacks", "uid=a\nuserPassword: {CRYPT}$9$abc$def\n", "", "not a hash", "", 1},
};

static void test_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct pcase *c = &cases[i];
                struct mailacct_ldap_password pw;
                struct tl_entry t;
                char others[256] = "";

                tl_entry_parse(c->entry, strlen(c->entry), &t);
                print_message("  %s\n", c->name);
                assert_int_equal(mailacct_ldap_password(&t.e, &pw), c->n_values > 0);
                assert_int_equal(pw.n_values, c->n_values);
                assert_string_equal(pw.hash, c->hash);
                if (c->refused) {
                        assert_non_null(pw.refused);
                        assert_non_null(strstr(pw.refused, c->refused));
                } else
                        assert_null(pw.refused);
                for (size_t k = 0; k < pw.n_other; k++)
                        snprintf(others + strlen(others), sizeof(others) - strlen(others), "%s%s", k ? "," : "",
                                 pw.other[k]);
                assert_string_equal(others, c->other);
                mailacct_ldap_password_clear(&pw);
        }
}

static void test_summary(void **state)
{
        const char *entries[] = {
                "uid=a\nuserPassword: {CRYPT}" SHA "\n",
                "uid=b\nuserPassword: {SSHA}x\nuserPassword: {CRYPT}" YES "\n",
                "uid=c\nuserPassword: {SSHA}x\n",
                "uid=d\nuserPassword: clear\n",
                "uid=e\nuserPassword: {CRYPT}*\n",
                "uid=f\ncn: none\n",
        };
        struct mailacct_ldap_password_counts c = {0};
        char line[512];

        (void)state;
        for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
                struct mailacct_ldap_password pw;
                struct tl_entry t;
                tl_entry_parse(entries[i], strlen(entries[i]), &t);
                mailacct_ldap_password(&t.e, &pw);
                mailacct_ldap_password_count(&c, &pw);
                mailacct_ldap_password_clear(&pw);
        }
        mailacct_ldap_password_summary(&c, line, sizeof(line));
        assert_string_equal(line, "2 {CRYPT} hashes kept, 1 entry with several values (the first {CRYPT} kept), 1 "
                                  "{CRYPT} value refused (see the warnings), 2 entries without a {CRYPT} value; "
                                  "other schemes, not synced: {SSHA} 2, no scheme 1");
}

/* ---- precedence ------------------------------------------------------------ */

struct synced {
        const char *dn[4], *hash[4];
        size_t n;
};

static int synced_entry(size_t i, void *ctx, const char **dn, const char **hash)
{
        const struct synced *s = ctx;

        if (i >= s->n)
                return -ENOENT;
        *dn = s->dn[i];
        *hash = s->hash[i];
        return 0;
}

static void mailbox(struct mailacct_builder *b, const char *address, const char *dn)
{
        struct mailacct_mailbox_spec m = {
                .address = address,
                .dn = dn,
                .enabled = true,
                .origin = {.file = dn ? NULL : "test.conf", .line = dn ? 0 : 1, .dn = dn},
        };

        assert_int_equal(mailacct_builder_mailbox(b, &m, dn ? MAILACCT_CLASH_LEAVE_OUT : MAILACCT_CLASH_ERROR), 0);
}

static enum mailacct_auth auth(const struct mailacct_dir *d, const char *login, const char *password,
                               const struct mailacct_verifier *v)
{
        struct mailacct_result r;

        return mailacct_authenticate(d, login, password, v, &r);
}

static void test_precedence(void **state)
{
        struct mailacct_settings_spec st = {.default_domain = "example.com"};
        struct mailacct_domain_spec dom = {.name = "example.com", .netbios = "EXAMPLE", .origin = {.file = "t", .line = 1}};
        char jdoe_dir[256], jdoe_file[256], asmith_dir[256], imp[256], ipath[PATH_MAX], err[512];
        struct synced sy = {0};
        struct mailacct_secrets *file = NULL, *synced = NULL;
        struct mailacct_hash_places pws;
        struct mailacct_verifier v;
        struct mailacct_diags dg;
        struct mailacct_builder *b;
        struct mailacct_dir *d;
        char *buf;

        (void)state;
        /* the directory's: yescrypt; the file's line: sha512-crypt (cheaper) */
        assert_int_equal(mailacct_password_hash("jdoe-dir", "$y$", jdoe_dir, sizeof(jdoe_dir)), 0);
        assert_int_equal(mailacct_password_hash("asmith-dir", "$y$", asmith_dir, sizeof(asmith_dir)), 0);
        assert_int_equal(mailacct_password_hash("impostor", "$y$", imp, sizeof(imp)), 0);
        assert_int_equal(mailacct_password_hash("jdoe-file", "$6$", jdoe_file, sizeof(jdoe_file)), 0);

        mailacct_diags_init(&dg);
        b = mailacct_builder_new(&dg, "test.conf");
        assert_non_null(b);
        assert_int_equal(mailacct_builder_settings(b, &st), 0);
        assert_int_equal(mailacct_builder_domain(b, &dom), 0);
        mailbox(b, "postmaster@example.com", NULL);
        mailbox(b, "jdoe@example.com", "uid=jdoe,ou=people,dc=example,dc=com");
        mailbox(b, "asmith@example.com", "uid=asmith,ou=people,dc=example,dc=com");
        /* claims the file's address: left out, the file wins */
        mailbox(b, "postmaster@example.com", "uid=impostor,ou=people,dc=example,dc=com");
        assert_int_equal(mailacct_builder_finish(b, &d), 0);

        /* as the sync writes it: by DN (DNs compared without case) */
        sy.dn[0] = "UID=JDOE,ou=people,dc=example,dc=com";
        sy.hash[0] = jdoe_dir;
        sy.dn[1] = "uid=asmith,ou=people,dc=example,dc=com";
        sy.hash[1] = asmith_dir;
        sy.dn[2] = "uid=impostor,ou=people,dc=example,dc=com";
        sy.hash[2] = imp;
        sy.n = 3;
        snprintf(ipath, sizeof(ipath), "%s/mailacct.idx", tu_tmpdir());
        assert_int_equal(mailacct_secrets_write_synced(ipath, sy.n, synced_entry, &sy, 1, err, sizeof(err)), 0);
        assert_int_equal(mailacct_secrets_open_synced(ipath, &synced, err, sizeof(err)), 0);

        /* no secrets file: the directory's hashes alone */
        mailacct_passwords_verifier(&pws, NULL, synced, &v);
        assert_int_equal(auth(d, "jdoe", "jdoe-dir", &v), MAILACCT_AUTH_OK);
        assert_int_equal(auth(d, "EXAMPLE\\jdoe", "jdoe-dir", &v), MAILACCT_AUTH_OK);
        assert_int_equal(auth(d, "jdoe", "wrong", &v), MAILACCT_AUTH_WRONG_PASSWORD);
        assert_int_equal(auth(d, "asmith@example.com", "asmith-dir", &v), MAILACCT_AUTH_OK);
        /* the file's mailbox never takes the left-out impostor's hash */
        assert_int_equal(auth(d, "postmaster", "impostor", &v), MAILACCT_AUTH_NO_PASSWORD);
        assert_int_equal(auth(d, "nobody", "x", &v), MAILACCT_AUTH_UNRESOLVED);
        assert_non_null(pws.burn);
        assert_int_equal(strncmp(pws.burn, "$y$", 3), 0);

        /* a line of the secrets file overrides the directory for its address */
        assert_true(asprintf(&buf, "jdoe@example.com:%s\n", jdoe_file) > 0);
        assert_int_equal(mailacct_secrets_parse(buf, strlen(buf), &file, NULL), 0);
        free(buf);
        mailacct_passwords_verifier(&pws, file, synced, &v);
        assert_int_equal(auth(d, "jdoe", "jdoe-file", &v), MAILACCT_AUTH_OK);
        assert_int_equal(auth(d, "jdoe", "jdoe-dir", &v), MAILACCT_AUTH_WRONG_PASSWORD);
        assert_int_equal(auth(d, "asmith", "asmith-dir", &v), MAILACCT_AUTH_OK);
        /* the burn: the slower place (the directory's yescrypt), not the
         * file's sha512-crypt */
        assert_int_equal(strncmp(pws.burn, "$y$", 3), 0);
        assert_ptr_equal(mailacct_password_slower(mailacct_secrets_any(file), mailacct_secrets_any(synced)),
                         mailacct_secrets_any(synced));

        /* a synced file others may read is refused */
        {
                char spath[PATH_MAX + 16];
                struct mailacct_secrets *again = NULL;
                assert_int_equal(mailacct_secrets_synced_path(ipath, spath, sizeof(spath)), 0);
                assert_int_equal(chmod(spath, 0644), 0);
                assert_int_equal(mailacct_secrets_open_synced(ipath, &again, err, sizeof(err)), -EPERM);
                assert_non_null(strstr(err, spath));
                assert_null(again);
                /* none kept: the file goes */
                assert_int_equal(mailacct_secrets_write_synced(ipath, 0, synced_entry, &sy, 1, err, sizeof(err)), 0);
                assert_int_equal(access(spath, F_OK), -1);
                assert_int_equal(mailacct_secrets_open_synced(ipath, &again, err, sizeof(err)), -ENOENT);
        }
        mailacct_secrets_free(file);
        mailacct_secrets_free(synced);
        mailacct_dir_free(d);
        mailacct_diags_clear(&dg);
        explicit_bzero(jdoe_dir, sizeof(jdoe_dir));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_summary),
                cmocka_unit_test(test_precedence),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);

        tu_cleanup();
        return r;
}
