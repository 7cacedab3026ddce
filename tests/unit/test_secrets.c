/* SPDX-License-Identifier: MIT */
/* The secrets file (parser, mode check, loader) and password hashing and
 * verification through the real libcrypt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "password.h"
#include "secrets.h"
#include "testutil.h"

#define H1 "$6$salt1$abc"
#define H2 "$y$j9T$salt$def"

struct parse_case {
        const char *name;
        const char *text;
        int ret;      /* 0 or -EINVAL */
        int bad_line; /* with -EINVAL */
        size_t count; /* with 0 */
};

static const struct parse_case parse_cases[] = {
        { "empty file", "", 0, 0, 0 },
        { "one entry", "a@example.com:" H1 "\n", 0, 0, 1 },
        { "no final newline", "a@example.com:" H1, 0, 0, 1 },
        { "comments and blank lines", "# header\n\na@example.com:" H1 "\n\n# b\nb@example.com:" H2 "\n", 0, 0, 2 },
        { "CRLF line ends", "a@example.com:" H1 "\r\nb@example.com:" H2 "\r\n", 0, 0, 2 },
        { "a repeated address counts as two lines", "a@example.com:" H1 "\na@example.com:" H2 "\n", 0, 0, 2 },
        { "no colon", "a@example.com:" H1 "\njust-a-line\n", -EINVAL, 2, 0 },
        { "empty address", ":" H1 "\n", -EINVAL, 1, 0 },
        { "empty hash", "a@example.com:\n", -EINVAL, 1, 0 },
        { "two colons", "a@example.com:" H1 ":x\n", -EINVAL, 1, 0 },
        { "space in the hash", "a@example.com:$6$a b\n", -EINVAL, 1, 0 },
        { "control character", "a@exa\001mple.com:" H1 "\n", -EINVAL, 1, 0 },
        { "tab in the hash", "\n\na@example.com:$6$\tx\n", -EINVAL, 3, 0 },
};

static void run_parse(void **state)
{
        const struct parse_case *c = *state;
        struct mailacct_secrets *s = (struct mailacct_secrets *)1;
        int bad = -1;
        int r = mailacct_secrets_parse(c->text, strlen(c->text), &s, &bad);

        assert_int_equal(r, c->ret);
        if (r == 0) {
                assert_non_null(s);
                assert_int_equal(mailacct_secrets_count(s), c->count);
                mailacct_secrets_free(s);
        } else {
                assert_null(s);
                assert_int_equal(bad, c->bad_line);
        }
}

static void test_lookup(void **state)
{
        const char *text = "a@example.com:" H1 "\nB@Example.com:" H2 "\na@example.com:$6$later$x\n";
        struct mailacct_secrets *s;
        const char *addr, *hash;

        (void)state;
        assert_int_equal(mailacct_secrets_parse(text, strlen(text), &s, NULL), 0);
        /* the last line for an address wins, as `mailacct passwd` appends */
        assert_string_equal(mailacct_secrets_get(s, "a@example.com"), "$6$later$x");
        /* addresses compare without case */
        assert_string_equal(mailacct_secrets_get(s, "b@example.com"), H2);
        assert_string_equal(mailacct_secrets_get(s, "A@EXAMPLE.COM"), "$6$later$x");
        assert_null(mailacct_secrets_get(s, "c@example.com"));
        assert_null(mailacct_secrets_get(s, "a@example.co"));
        assert_null(mailacct_secrets_get(s, NULL));
        assert_null(mailacct_secrets_get(NULL, "a@example.com"));
        /* failures without a hash are verified against the slowest setting:
         * yescrypt here, not the first line's sha512-crypt */
        assert_string_equal(mailacct_secrets_any(s), H2);
        assert_int_equal(mailacct_secrets_settings(s), 2);
        assert_int_equal(mailacct_secrets_entry(s, 1, &addr, &hash), 0);
        assert_string_equal(addr, "B@Example.com");
        assert_string_equal(hash, H2);
        assert_int_equal(mailacct_secrets_entry(s, 3, &addr, &hash), -ENOENT);
        mailacct_secrets_free(s);
        mailacct_secrets_free(NULL);
        assert_null(mailacct_secrets_any(NULL));
        assert_int_equal(mailacct_secrets_count(NULL), 0);
}

/* Many entries: the table grows and every one is found. */
static void test_many(void **state)
{
        size_t n = 20000, len = 0;
        char *text = malloc(n * 64), addr[64], want[64];
        struct mailacct_secrets *s;

        (void)state;
        for (size_t i = 0; i < n; i++)
                len += (size_t)sprintf(text + len, "user%zu@example.com:$6$s$%zu\n", i, i);
        assert_int_equal(mailacct_secrets_parse(text, len, &s, NULL), 0);
        assert_int_equal(mailacct_secrets_count(s), n);
        for (size_t i = 0; i < n; i += 7) {
                snprintf(addr, sizeof(addr), "USER%zu@example.com", i);
                snprintf(want, sizeof(want), "$6$s$%zu", i);
                assert_string_equal(mailacct_secrets_get(s, addr), want);
        }
        mailacct_secrets_free(s);
        free(text);
}

static void test_mode(void **state)
{
        struct stat st;
        char why[256];
        static const struct {
                mode_t mode;
                int ret;
        } modes[] = {
                { 0600, 0 }, { 0400, 0 }, { 0640, 0 }, { 0440, 0 },
                { 0644, -EACCES }, { 0604, -EACCES }, { 0602, -EACCES }, { 0660, -EACCES }, { 0666, -EACCES },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                memset(&st, 0, sizeof(st));
                st.st_mode = S_IFREG | modes[i].mode;
                why[0] = '\0';
                if (mailacct_secrets_check_mode(&st, why, sizeof(why)) != modes[i].ret)
                        fail_msg("mode %04o", (unsigned)modes[i].mode);
                if (modes[i].ret)
                        assert_non_null(strstr(why, "chmod"));
        }
        st.st_mode = S_IFDIR | 0700;
        assert_int_equal(mailacct_secrets_check_mode(&st, why, sizeof(why)), -EINVAL);
}

static void test_load(void **state)
{
        struct mailacct_secrets *s;
        char err[512], link[PATH_MAX + 64], path[PATH_MAX + 64];

        (void)state;
        snprintf(path, sizeof(path), "%s", tu_write("ok.secrets", "a@example.com:" H1 "\n", 0600));
        assert_int_equal(mailacct_secrets_load(path, true, &s, err, sizeof(err)), 0);
        assert_string_equal(mailacct_secrets_get(s, "a@example.com"), H1);
        mailacct_secrets_free(s);

        /* readable by others: refused by the modules, reported by check */
        snprintf(path, sizeof(path), "%s", tu_write("open.secrets", "a@example.com:" H1 "\n", 0644));
        assert_int_equal(mailacct_secrets_load(path, true, &s, err, sizeof(err)), -EPERM);
        assert_null(s);
        assert_non_null(strstr(err, "refused"));
        assert_int_equal(mailacct_secrets_load(path, false, &s, err, sizeof(err)), 0);
        mailacct_secrets_free(s);

        /* malformed: the line is named */
        snprintf(path, sizeof(path), "%s", tu_write("bad.secrets", "# c\nnope\n", 0600));
        assert_int_equal(mailacct_secrets_load(path, true, &s, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, ":2:"));

        snprintf(path, sizeof(path), "%s/missing.secrets", tu_tmpdir());
        assert_int_equal(mailacct_secrets_load(path, true, &s, err, sizeof(err)), -ENOENT);

        /* a symbolic link is not followed */
        snprintf(path, sizeof(path), "%s/ok.secrets", tu_tmpdir());
        snprintf(link, sizeof(link), "%s/link.secrets", tu_tmpdir());
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(mailacct_secrets_load(link, true, &s, err, sizeof(err)), -EPERM);
        assert_non_null(strstr(err, "symbolic link"));
        unlink(link);
}

struct pw_case {
        const char *name;
        const char *prefix;
};

static const struct pw_case pw_cases[] = {
        { "yescrypt (the default)", NULL },
        { "yescrypt", "$y$" },
        { "sha512-crypt", "$6$" },
        { "bcrypt", "$2b$" },
};

static void run_password(void **state)
{
        const struct pw_case *c = *state;
        char hash[256];
        /* KB932605: '*' and '%' are ordinary in passwords too */
        const char *pw = "s3cr*t%\"()";

        assert_int_equal(mailacct_password_hash(pw, c->prefix, hash, sizeof(hash)), 0);
        assert_true(strncmp(hash, c->prefix ? c->prefix : "$y$", strlen(c->prefix ? c->prefix : "$y$")) == 0);
        assert_int_equal(mailacct_password_verify(hash, pw), 0);
        assert_int_equal(mailacct_password_verify(hash, "s3cr*t%\"("), -EACCES);
        assert_int_equal(mailacct_password_verify(hash, ""), -EACCES);
        assert_int_equal(mailacct_password_verify(hash, "S3cr*t%\"()"), -EACCES);
}

static void test_password_errors(void **state)
{
        char hash[256];

        (void)state;
        assert_int_equal(mailacct_password_verify(NULL, "x"), -EINVAL);
        assert_int_equal(mailacct_password_verify("", "x"), -EINVAL);
        assert_int_equal(mailacct_password_verify("$6$s$h", NULL), -EINVAL);
        /* "!" and "*" lock an account in shadow(5): never a match */
        assert_int_not_equal(mailacct_password_verify("!", ""), 0);
        assert_int_not_equal(mailacct_password_verify("*", "*"), 0);
        assert_int_not_equal(mailacct_password_verify("!$6$s$h", "x"), 0);
        assert_int_equal(mailacct_password_hash("x", "$nope$", hash, sizeof(hash)), -EINVAL);
        assert_int_equal(mailacct_password_hash("x", "$6$", hash, 10), -ERANGE);
        /* the dummy hash is usable and matches nothing typed */
        assert_int_equal(mailacct_password_verify(MAILACCT_DUMMY_HASH, ""), -EACCES);
        /* burn never fails or crashes, whatever it is given */
        mailacct_password_burn(NULL, NULL);
        mailacct_password_burn("not a setting", "x");
        mailacct_password_burn(MAILACCT_DUMMY_HASH, "x");
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
        struct CMUnitTest parse[N(parse_cases)], pw[N(pw_cases)];
        const struct CMUnitTest misc[] = {
                cmocka_unit_test(test_lookup),
                cmocka_unit_test(test_many),
                cmocka_unit_test(test_mode),
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_password_errors),
        };
        int failed = 0;

        for (size_t i = 0; i < N(parse_cases); i++)
                parse[i] = (struct CMUnitTest){ parse_cases[i].name, run_parse, NULL, NULL, (void *)&parse_cases[i] };
        for (size_t i = 0; i < N(pw_cases); i++)
                pw[i] = (struct CMUnitTest){ pw_cases[i].name, run_password, NULL, NULL, (void *)&pw_cases[i] };
        failed += _cmocka_run_group_tests("secrets: parser", parse, N(parse_cases), NULL, NULL);
        failed += _cmocka_run_group_tests("password: hash and verify", pw, N(pw_cases), NULL, NULL);
        failed += cmocka_run_group_tests_name("secrets and password: misc", misc, NULL, NULL);
        tu_cleanup();
        return failed ? 1 : 0;
}
