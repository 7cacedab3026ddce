/* SPDX-License-Identifier: MIT */
/* The login parser (DESIGN.md rule 6 and the four forms), as tables of cases:
 * each row is one named cmocka test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "login.h"

struct ok_case {
        const char *name;
        const char *input;
        enum mailacct_form form;
        const char *domain, *account, *mbox_local, *mbox_domain;
};

struct fail_case {
        const char *name;
        const char *input;
        const char *why; /* the reason must contain this */
};

#define A(n, in, dom, acc) { n, in, MAILACCT_FORM_ADDRESS, dom, acc, NULL, NULL }
#define NT(n, in, dom, acc) { n, in, MAILACCT_FORM_NTACCOUNT, dom, acc, NULL, NULL }
#define DL(n, in, dom, acc, ml, md) { n, in, MAILACCT_FORM_DELEGATE, dom, acc, ml, md }
#define BA(n, in) { n, in, MAILACCT_FORM_BARE, NULL, in, NULL, NULL }

static char s320[321], s321[322], a320[321], s1000[1001];

static const struct ok_case ok_cases[] = {
        /* the four forms */
        A("address", "jdoe@example.com", "example.com", "jdoe"),
        A("address keeps case (folding is the resolver's)", "JDoe@Example.COM", "Example.COM", "JDoe"),
        A("address with dotted local part", "john.doe@mail.example.com", "mail.example.com", "john.doe"),
        NT("DOMAIN\\account with backslash", "EXAMPLE\\jdoe", "EXAMPLE", "jdoe"),
        NT("DOMAIN/account with slash", "EXAMPLE/jdoe", "EXAMPLE", "jdoe"),
        NT("DNS domain\\account", "example.com\\jdoe", "example.com", "jdoe"),
        DL("DOMAIN\\account\\alias with backslashes", "EXAMPLE\\assistant\\jdoe", "EXAMPLE", "assistant", "jdoe",
           NULL),
        DL("DOMAIN/account/alias with slashes", "EXAMPLE/assistant/jdoe", "EXAMPLE", "assistant", "jdoe", NULL),
        DL("both separators in one login", "EXAMPLE\\assistant/jdoe", "EXAMPLE", "assistant", "jdoe", NULL),
        DL("third part is an address", "EXAMPLE\\assistant\\jdoe@example.com", "EXAMPLE", "assistant", "jdoe",
           "example.com"),
        DL("third part is an address, slashes", "EXAMPLE/assistant/jdoe@example.org", "EXAMPLE", "assistant", "jdoe",
           "example.org"),
        BA("bare alias", "jdoe"),
        BA("bare alias with a dot", "john.doe"),
        BA("one character", "j"),
        BA("white space inside is kept", "John Doe"),
        /* KB932605: IMAP atom-specials are ordinary characters */
        BA("KB932605 star inside", "we*ird"),
        BA("KB932605 star alone", "*"),
        BA("KB932605 percent inside", "100%"),
        BA("KB932605 percent alone", "%"),
        BA("KB932605 double quote", "\"quoted\""),
        BA("KB932605 parentheses", "(paren)"),
        BA("KB932605 all specials", "*%\"()"),
        A("KB932605 star in an address", "we*ird@example.com", "example.com", "we*ird"),
        NT("KB932605 percent in DOMAIN\\account", "EXAMPLE\\100%", "EXAMPLE", "100%"),
        DL("KB932605 star in the mailbox part", "EXAMPLE\\a\\we*", "EXAMPLE", "a", "we*", NULL),
        /* valid UTF-8 of every length */
        BA("UTF-8 two bytes", "j\xc3\xbcrgen"),
        BA("UTF-8 three bytes", "\xe7\x94\xa8\xe6\x88\xb7"),
        BA("UTF-8 four bytes", "\xf0\x9f\x98\x80"),
        BA("UTF-8 U+10FFFF", "\xf4\x8f\xbf\xbf"),
        BA("UTF-8 U+00A0 inside", "j\xc2\xa0" "doe"),
        /* lengths (filled in by main) */
        BA("exactly 320 bytes is accepted", s320),
        A("exactly 320 bytes as an address", a320, NULL, NULL),
};

static const struct fail_case fail_cases[] = {
        { "empty", "", "empty" },
        { "NULL", NULL, "empty" },
        { "321 bytes", s321, "320" },
        { "1000 bytes", s1000, "320" },
        /* control characters */
        { "control U+0001", "jd\x01oe", "control" },
        { "control newline", "jdoe\n", "control" },
        { "control carriage return", "jdoe\r", "control" },
        { "control tab inside", "jd\toe", "control" },
        { "control escape", "\x1b[31mjdoe", "control" },
        { "control U+001F", "\x1f", "control" },
        { "control DEL", "jdoe\x7f", "control" },
        { "control C1 U+0080", "jd\xc2\x80oe", "control" },
        { "control C1 U+0085 (NEL)", "jdoe\xc2\x85", "control" },
        { "control C1 U+009F", "\xc2\x9fjdoe", "control" },
        /* invalid UTF-8 */
        { "UTF-8 lone continuation byte", "jd\x80oe", "UTF-8" },
        { "UTF-8 lone continuation 0xBF", "\xbf", "UTF-8" },
        { "UTF-8 overlong '/' (C0 AF)", "a\xc0\xaf" "b", "UTF-8" },
        { "UTF-8 overlong C1 BF", "\xc1\xbf", "UTF-8" },
        { "UTF-8 overlong three bytes (E0 80 AF)", "\xe0\x80\xaf", "UTF-8" },
        { "UTF-8 overlong three bytes (E0 9F BF)", "\xe0\x9f\xbf", "UTF-8" },
        { "UTF-8 overlong four bytes (F0 80 80 AF)", "\xf0\x80\x80\xaf", "UTF-8" },
        { "UTF-8 overlong four bytes (F0 8F BF BF)", "\xf0\x8f\xbf\xbf", "UTF-8" },
        { "UTF-8 surrogate U+D800", "\xed\xa0\x80", "UTF-8" },
        { "UTF-8 surrogate U+DFFF", "x\xed\xbf\xbf", "UTF-8" },
        { "UTF-8 beyond U+10FFFF (F4 90)", "\xf4\x90\x80\x80", "UTF-8" },
        { "UTF-8 lead byte F5", "\xf5\x80\x80\x80", "UTF-8" },
        { "UTF-8 byte FE", "\xfe", "UTF-8" },
        { "UTF-8 byte FF", "jdoe\xff", "UTF-8" },
        { "UTF-8 truncated two bytes at the end", "jdoe\xc3", "UTF-8" },
        { "UTF-8 truncated three bytes at the end", "jdoe\xe2\x82", "UTF-8" },
        { "UTF-8 truncated four bytes at the end", "\xf0\x9f\x98", "UTF-8" },
        { "UTF-8 truncated in the middle", "\xc3jdoe", "UTF-8" },
        { "UTF-8 Latin-1 byte alone", "j\xfcrgen", "UTF-8" },
        /* white space around the login */
        { "leading space", " jdoe", "white space" },
        { "trailing space", "jdoe ", "white space" },
        { "trailing space after an address", "jdoe@example.com ", "white space" },
        { "leading space before DOMAIN\\account", " EXAMPLE\\jdoe", "white space" },
        { "only a space", " ", "white space" },
        { "leading no-break space U+00A0", "\xc2\xa0jdoe", "white space" },
        { "trailing no-break space U+00A0", "jdoe\xc2\xa0", "white space" },
        { "trailing ideographic space U+3000", "jdoe\xe3\x80\x80", "white space" },
        { "leading em space U+2003", "\xe2\x80\x83jdoe", "white space" },
        /* empty parts and white space around parts */
        { "empty DOMAIN", "\\jdoe", "empty" },
        { "empty account", "EXAMPLE\\", "empty" },
        { "empty middle part", "EXAMPLE\\\\jdoe", "empty" },
        { "empty mailbox part", "EXAMPLE\\assistant\\", "empty" },
        { "separator alone", "/", "empty" },
        { "empty local part", "@example.com", "empty local part" },
        { "empty domain", "jdoe@", "empty domain" },
        { "'@' alone", "@", "empty" },
        { "empty local part in the mailbox part", "EXAMPLE\\a\\@example.com", "empty local part" },
        { "space after the separator", "EXAMPLE\\ jdoe", "white space" },
        { "space before the separator", "EXAMPLE \\jdoe", "white space" },
        { "space before '@'", "jdoe @example.com", "white space" },
        { "space after '@'", "jdoe@ example.com", "white space" },
        { "space around the mailbox part", "EXAMPLE\\a\\ jdoe", "white space" },
        { "no-break space after the separator", "EXAMPLE\\\xc2\xa0jdoe", "white space" },
        /* more than one '@' */
        { "two '@'", "a@b@example.com", "more than one '@'" },
        { "'@@'", "jdoe@@example.com", "more than one '@'" },
        { "two '@' in the mailbox part", "EXAMPLE\\a\\b@c@example.com", "more than one '@'" },
        /* mixed forms */
        { "mixed: DOMAIN\\account@domain", "EXAMPLE\\jdoe@example.com", "mixed" },
        { "mixed: address\\account", "jdoe@example.com\\x", "mixed" },
        { "mixed: address/account", "jdoe@example.com/x", "mixed" },
        { "mixed: '@' in the DOMAIN of three parts", "ex@ample\\a\\b", "mixed" },
        { "mixed: '@' in the account of three parts", "EXAMPLE\\a@b\\c", "mixed" },
        /* more than three parts */
        { "four parts", "A\\b\\c\\d", "more than three parts" },
        { "four parts with slashes", "A/b/c/d", "more than three parts" },
        { "five parts, mixed separators", "A\\b/c\\d/e", "more than three parts" },
        { "trailing separator after three parts", "A\\b\\c\\", "more than three parts" },
};

static void test_ok(void **state)
{
        const struct ok_case *c = *state;
        struct mailacct_login l;
        const char *why = "unset";

        if (mailacct_login_parse(c->input, &l, &why) != 0)
                fail_msg("\"%s\" rejected: %s", c->input, why);
        assert_null(why);
        assert_int_equal(l.form, c->form);
        if (c->form == MAILACCT_FORM_BARE || c->form == MAILACCT_FORM_ADDRESS) {
                /* the two halves (or the whole) are exact copies of the input */
                char joined[MAILACCT_LOGIN_MAX + 2];
                if (c->form == MAILACCT_FORM_ADDRESS)
                        snprintf(joined, sizeof(joined), "%s@%s", l.account, l.domain);
                else
                        snprintf(joined, sizeof(joined), "%s", l.account);
                assert_string_equal(joined, c->input);
        }
        if (c->domain)
                assert_string_equal(l.domain, c->domain);
        if (c->form == MAILACCT_FORM_BARE)
                assert_null(l.domain);
        if (c->account)
                assert_string_equal(l.account, c->account);
        if (c->form == MAILACCT_FORM_DELEGATE) {
                assert_non_null(l.mbox_local);
                assert_string_equal(l.mbox_local, c->mbox_local);
                if (c->mbox_domain)
                        assert_string_equal(l.mbox_domain, c->mbox_domain);
                else
                        assert_null(l.mbox_domain);
        } else {
                assert_null(l.mbox_local);
                assert_null(l.mbox_domain);
        }
}

static void test_fail(void **state)
{
        const struct fail_case *c = *state;
        struct mailacct_login l;
        const char *why = NULL;

        memset(&l, 0xa5, sizeof(l));
        if (mailacct_login_parse(c->input, &l, &why) != -EINVAL)
                fail_msg("\"%s\" accepted as form %s", c->input ? c->input : "(null)", mailacct_form_name(l.form));
        assert_non_null(why);
        if (!strstr(why, c->why))
                fail_msg("reason \"%s\" does not say \"%s\"", why, c->why);
        /* nothing half-parsed is left behind for a careless caller */
        assert_int_equal(l.form, MAILACCT_FORM_NONE);
        assert_null(l.domain);
        assert_null(l.account);
}

/* The out parameter for the reason is optional. */
static void test_why_optional(void **state)
{
        struct mailacct_login l;

        (void)state;
        assert_int_equal(mailacct_login_parse("jdoe", &l, NULL), 0);
        assert_int_equal(mailacct_login_parse("", &l, NULL), -EINVAL);
}

static void test_form_names(void **state)
{
        (void)state;
        assert_string_equal(mailacct_form_name(MAILACCT_FORM_ADDRESS), "address");
        assert_string_equal(mailacct_form_name(MAILACCT_FORM_NTACCOUNT), "DOMAIN\\account");
        assert_string_equal(mailacct_form_name(MAILACCT_FORM_DELEGATE), "DOMAIN\\account\\mailbox");
        assert_string_equal(mailacct_form_name(MAILACCT_FORM_BARE), "bare alias");
        assert_string_equal(mailacct_form_name(MAILACCT_FORM_NONE), "none");
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
        size_t n_ok = N(ok_cases), n_fail = N(fail_cases), i;
        struct CMUnitTest *ok = calloc(n_ok, sizeof(*ok)), *bad = calloc(n_fail, sizeof(*bad));
        const struct CMUnitTest misc[] = {
                cmocka_unit_test(test_why_optional),
                cmocka_unit_test(test_form_names),
        };
        int failed = 0;

        memset(s320, 'a', 320);
        memset(s321, 'a', 321);
        memset(s1000, 'a', 1000);
        memset(a320, 'b', 320);
        memcpy(a320 + 320 - 12, "@example.com", 12);

        for (i = 0; i < n_ok; i++)
                ok[i] = (struct CMUnitTest){ ok_cases[i].name, test_ok, NULL, NULL, (void *)&ok_cases[i] };
        for (i = 0; i < n_fail; i++)
                bad[i] = (struct CMUnitTest){ fail_cases[i].name, test_fail, NULL, NULL, (void *)&fail_cases[i] };
        failed += _cmocka_run_group_tests("login: accepted", ok, n_ok, NULL, NULL);
        failed += _cmocka_run_group_tests("login: rejected", bad, n_fail, NULL, NULL);
        failed += cmocka_run_group_tests_name("login: misc", misc, NULL, NULL);
        free(ok);
        free(bad);
        return failed ? 1 : 0;
}
