/* SPDX-License-Identifier: MIT */
/* The directory helpers the modules rely on: home, shell, ids, services,
 * delegates, uid lookup, canonical buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static const char conf[] =
        "defaults = { uid = 5000; gid = 6000; home = \"/var/mail/%d/%n\"; shell = \"/usr/sbin/nologin\"; };\n"
        "domains = (\n"
        "  { name = \"example.com\"; netbios = \"EXAMPLE\"; },\n"
        "  { name = \"other.test\"; defaults = { gid = 7000; home = \"/srv/%u/%%/x\"; shell = \"/bin/false\"; }; }\n"
        ");\n"
        "mailboxes = (\n"
        "  { address = \"jdoe@example.com\"; uid = 5001; services = [ \"imap\", \"POP3\" ];\n"
        "    delegates = [ \"EXAMPLE\\\\assistant\" ]; },\n"
        "  { address = \"assistant@example.com\"; uid = 5002; nt_account = \"assistant\"; },\n"
        "  { address = \"ann@other.test\"; uid = 5003; home = \"/home/ann\"; shell = \"/bin/sh\"; services = [ ]; },\n"
        "  { address = \"bob@other.test\"; uid = 5004; gid = 1; },\n"
        "  { address = \"s1@other.test\"; uid = 6000; },\n"
        "  { address = \"s2@other.test\"; uid = 6000; },\n"
        "  { address = \"off@example.com\"; uid = 5005; enabled = false; }\n"
        ");\n";

static struct mailacct_dir *d;

static int setup(void **state)
{
        (void)state;
        return tu_load("dir.conf", conf, &d, NULL);
}

static int teardown(void **state)
{
        (void)state;
        mailacct_dir_free(d);
        tu_cleanup();
        return 0;
}

#define MB(a) tu_mailbox(d, a)

static void test_home(void **state)
{
        char buf[256];

        (void)state;
        assert_int_equal(mailacct_dir_home(d, MB("jdoe@example.com"), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/var/mail/example.com/jdoe");
        /* the domain's defaults win over the global ones; %u and %% */
        assert_int_equal(mailacct_dir_home(d, MB("bob@other.test"), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/srv/bob@other.test/%/x");
        /* the mailbox's own value wins over both */
        assert_int_equal(mailacct_dir_home(d, MB("ann@other.test"), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/home/ann");
        /* too small a buffer is an error, never a cut path */
        assert_int_equal(mailacct_dir_home(d, MB("jdoe@example.com"), buf, 10), -ERANGE);
        assert_int_equal(mailacct_dir_home(d, MB("jdoe@example.com"), buf, strlen("/var/mail/example.com/jdoe")),
                         -ERANGE);
        assert_int_equal(mailacct_dir_home(d, MB("jdoe@example.com"), buf, strlen("/var/mail/example.com/jdoe") + 1),
                         0);
}

static void test_shell_and_ids(void **state)
{
        uid_t u;
        gid_t g;

        (void)state;
        assert_string_equal(mailacct_dir_shell(d, MB("jdoe@example.com")), "/usr/sbin/nologin");
        assert_string_equal(mailacct_dir_shell(d, MB("bob@other.test")), "/bin/false");
        assert_string_equal(mailacct_dir_shell(d, MB("ann@other.test")), "/bin/sh");
        assert_int_equal(mailacct_dir_ids(d, MB("jdoe@example.com"), &u, &g), 0);
        assert_int_equal(u, 5001);
        assert_int_equal(g, 6000);
        assert_int_equal(mailacct_dir_ids(d, MB("ann@other.test"), &u, &g), 0);
        assert_int_equal(g, 7000); /* domain default */
        assert_int_equal(mailacct_dir_ids(d, MB("bob@other.test"), &u, &g), 0);
        assert_int_equal(g, 1); /* own */
}

static void test_missing_ids(void **state)
{
        struct mailacct_dir *nd;
        uid_t u;
        gid_t g;

        (void)state;
        assert_int_equal(tu_load("noids.conf",
                                 "domains = ( { name = \"x.test\"; } );\n"
                                 "mailboxes = ( { address = \"a@x.test\"; uid = 1; } );\n",
                                 &nd, NULL),
                         0);
        assert_int_equal(mailacct_dir_ids(nd, 0, &u, &g), -ENODATA);
        mailacct_dir_free(nd);
}

static void test_services(void **state)
{
        (void)state;
        assert_true(mailacct_dir_allows_service(d, MB("jdoe@example.com"), "imap"));
        assert_true(mailacct_dir_allows_service(d, MB("jdoe@example.com"), "pop3"));
        assert_true(mailacct_dir_allows_service(d, MB("jdoe@example.com"), "IMAP"));
        assert_false(mailacct_dir_allows_service(d, MB("jdoe@example.com"), "smtp"));
        assert_false(mailacct_dir_allows_service(d, MB("jdoe@example.com"), "ima"));
        assert_false(mailacct_dir_allows_service(d, MB("jdoe@example.com"), NULL));
        /* no list: every service; an empty list: none */
        assert_true(mailacct_dir_allows_service(d, MB("bob@other.test"), "smtp"));
        assert_false(mailacct_dir_allows_service(d, MB("ann@other.test"), "imap"));
}

static void test_delegates_and_flags(void **state)
{
        (void)state;
        assert_true(mailacct_dir_is_delegate(d, MB("jdoe@example.com"), MB("jdoe@example.com")));
        assert_true(mailacct_dir_is_delegate(d, MB("jdoe@example.com"), MB("assistant@example.com")));
        assert_false(mailacct_dir_is_delegate(d, MB("assistant@example.com"), MB("jdoe@example.com")));
        assert_false(mailacct_dir_is_delegate(d, MB("jdoe@example.com"), MB("bob@other.test")));
        assert_true(mailacct_dir_enabled(d, MB("jdoe@example.com")));
        assert_false(mailacct_dir_enabled(d, MB("off@example.com")));
}

static void test_uid_lookup(void **state)
{
        (void)state;
        assert_int_equal(mailacct_dir_find_uid(d, 5001), MB("jdoe@example.com"));
        assert_int_equal(mailacct_dir_find_uid(d, 5003), MB("ann@other.test"));
        /* two mailboxes share uid 6000: no single owner */
        assert_int_equal(mailacct_dir_find_uid(d, 6000), MAILACCT_NONE);
        assert_int_equal(mailacct_dir_find_uid(d, 4242), MAILACCT_NONE);
}

static void test_canonical_buffer(void **state)
{
        char buf[64];

        (void)state;
        assert_int_equal(mailacct_dir_canonical(d, MB("jdoe@example.com"), buf, sizeof(buf)), 0);
        assert_string_equal(buf, "jdoe@example.com");
        assert_int_equal(mailacct_dir_canonical(d, MB("jdoe@example.com"), buf, 16), -ERANGE);
        assert_int_equal(mailacct_dir_canonical(d, MB("jdoe@example.com"), buf, 17), 0);
}

static void test_find_domain(void **state)
{
        (void)state;
        assert_int_equal(mailacct_dir_find_domain(d, "EXAMPLE.com"), 0);
        assert_int_equal(mailacct_dir_find_domain(d, "example"), 0); /* NetBIOS, for rule 2 */
        assert_int_equal(mailacct_dir_find_mail_domain(d, "example"), MAILACCT_NONE);
        assert_int_equal(mailacct_dir_find_mail_domain(d, "Example.Com"), 0);
        assert_int_equal(mailacct_dir_find_mail_domain(d, "other.test"), 1);
        assert_int_equal(mailacct_dir_find_domain(d, "nowhere.test"), MAILACCT_NONE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_home),          cmocka_unit_test(test_shell_and_ids),
                cmocka_unit_test(test_missing_ids),   cmocka_unit_test(test_services),
                cmocka_unit_test(test_delegates_and_flags), cmocka_unit_test(test_uid_lookup),
                cmocka_unit_test(test_canonical_buffer), cmocka_unit_test(test_find_domain),
        };
        return cmocka_run_group_tests_name("directory helpers", tests, setup, teardown);
}
