/* SPDX-License-Identifier: MIT */
/* The lexer readers use to find the `index` setting and the @included files
 * without libconfig (lib/conflex.c, lib/confscan.c): a table of
 * configurations and what it must find in each. The bundled example with
 * `index` moved to every line of it is in test_config.c's neighbour,
 * tests/cli/run.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "confscan.h"
#include "conflex.h"
#include "testutil.h"

struct scan_case {
        const char *name;
        const char *text;
        const char *inc;   /* written as inc.conf when set */
        const char *index; /* NULL: none; relative: from the test folder */
        int ret;           /* 0, -EINVAL, -EPERM, -ENOENT */
        size_t files;      /* files scanned on success */
};

static const struct scan_case cases[] = {
        { "at the top", "index = \"a.idx\";\ndomains = ( );\n", NULL, "a.idx", 0, 1 },
        { "after groups and lists", "defaults = { uid = 1; };\ndomains = ( { name = \"x.com\"; } );\nindex = \"b.idx\";\n",
          NULL, "b.idx", 0, 1 },
        { "a comment with ( and { before it", "# (example) { see mailacct.conf(5) }\nindex = \"c.idx\";\n", NULL,
          "c.idx", 0, 1 },
        { "// and /* */ comments", "// index = \"no\";\n/* index = \"no\"; ( {\n */ index = \"d.idx\";\n", NULL,
          "d.idx", 0, 1 },
        { "index inside a group is not the top-level one", "a = { index = \"nested\"; };\nb = ( { index = \"no\"; } );\n",
          NULL, NULL, 0, 1 },
        { "index inside a string", "s = \"index = \\\"no\\\";\";\n", NULL, NULL, 0, 1 },
        { "colon and no semicolon", "index : \"e.idx\"\nx = 1\n", NULL, "e.idx", 0, 1 },
        { "adjacent strings join", "index = \"f\" \".idx\";\n", NULL, "f.idx", 0, 1 },
        { "escapes", "index = \"g\\x2eidx\";\n", NULL, "g.idx", 0, 1 },
        { "absolute", "index = \"/var/lib/x.idx\";\n", NULL, "/var/lib/x.idx", 0, 1 },
        { "a name that starts with index", "indexes = \"no\";\n", NULL, NULL, 0, 1 },
        /* libconfig's scanner ends the integer at the letter: "1" then "index" */
        { "after a number it touches", "a=1index=\"l.idx\";\n", NULL, "l.idx", 0, 1 },
        { "not a string", "index = 5;\n", NULL, NULL, 0, 1 },
        { "multi-line string before it", "s = \"a\nb ( {\nc\";\nindex = \"h.idx\";\n", NULL, "h.idx", 0, 1 },
        { "from an included file", "@include \"inc.conf\"\ndomains = ( );\n", "index = \"i.idx\";\n", "i.idx", 0, 2 },
        { "@include in a comment is not followed", "# @include \"inc.conf\"\n", "index = \"no\";\n", NULL, 0, 1 },
        { "@include not at a line's start is not followed", "x = 1; @include \"inc.conf\"\n", "index = \"no\";\n",
          NULL, 0, 1 },
        { "a missing include", "@include \"missing.conf\"\n", NULL, NULL, -ENOENT, 0 },
        { "an include of a folder (libconfig would exit())", "@include \"\"\n", NULL, NULL, -EPERM, 0 },
        { "unterminated string", "index = \"j.idx;\n", NULL, NULL, -EINVAL, 0 },
        { "unterminated comment", "/* index = \"no\";\n", NULL, NULL, -EINVAL, 0 },
        { "a NUL in the path", "index = \"k\\x00.idx\";\n", NULL, NULL, -EINVAL, 0 },
        { "include of itself: too deep", "@include \"inc.conf\"\n", "@include \"inc.conf\"\n", NULL, -EINVAL, 0 },
};

static void run_scan(void **state)
{
        const struct scan_case *c = *state;
        struct mailacct_conf_scan s;
        char why[512], want[PATH_MAX + 64], conf[PATH_MAX + 64];
        int r;

        /* tu_write() returns a buffer of its own: copied before the next call */
        snprintf(conf, sizeof(conf), "%s", tu_write("scan.conf", c->text, 0644));
        if (c->inc)
                tu_write("inc.conf", c->inc, 0644);
        r = mailacct_conf_scan(conf, 0, &s, why, sizeof(why));
        if (c->inc) {
                char p[PATH_MAX + 64];
                snprintf(p, sizeof(p), "%s/inc.conf", tu_tmpdir());
                unlink(p);
        }
        if (r != c->ret)
                fail_msg("%s: scan = %d (%s), expected %d", c->name, r, r ? why : "", c->ret);
        if (r < 0) {
                assert_true(why[0] != '\0');
                return;
        }
        assert_int_equal(s.n_files, c->files);
        if (!c->index)
                assert_null(s.index);
        else {
                if (c->index[0] == '/')
                        snprintf(want, sizeof(want), "%s", c->index);
                else
                        snprintf(want, sizeof(want), "%s/%s", tu_tmpdir(), c->index);
                assert_non_null(s.index);
                assert_string_equal(s.index, want);
        }
        mailacct_conf_scan_free(&s);
}

static void test_tokens(void **state)
{
        static const char text[] = "a = \"x\\\"y\"; # c\n  @include \"f\\\\g\"\nb:[1,-2.5e3]\n";
        static const enum mailacct_tok want[] = {
                MAILACCT_TOK_NAME,   MAILACCT_TOK_EQUALS, MAILACCT_TOK_STRING, MAILACCT_TOK_SEMICOLON,
                MAILACCT_TOK_INCLUDE, MAILACCT_TOK_NAME,  MAILACCT_TOK_EQUALS, MAILACCT_TOK_OPEN,
                MAILACCT_TOK_SCALAR, MAILACCT_TOK_COMMA,  MAILACCT_TOK_SCALAR, MAILACCT_TOK_CLOSE,
                MAILACCT_TOK_END,
        };
        struct mailacct_lexer lx;
        struct mailacct_token t;
        char out[32];
        size_t used;

        (void)state;
        mailacct_lex_init(&lx, text, sizeof(text) - 1);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                assert_int_equal(mailacct_lex_next(&lx, &t), want[i]);
                used = 0;
                if (t.kind == MAILACCT_TOK_STRING) {
                        assert_int_equal(mailacct_lex_decode(&t, out, sizeof(out), &used), 0);
                        assert_string_equal(out, "x\"y");
                        assert_int_equal(t.line, 1);
                }
                if (t.kind == MAILACCT_TOK_INCLUDE) {
                        assert_int_equal(mailacct_lex_decode(&t, out, sizeof(out), &used), 0);
                        assert_string_equal(out, "f\\g");
                        assert_int_equal(t.line, 2);
                }
        }
        /* a decode that does not fit says so */
        mailacct_lex_init(&lx, "\"abcdef\"", 8);
        mailacct_lex_next(&lx, &t);
        used = 0;
        assert_int_equal(mailacct_lex_decode(&t, out, 4, &used), -ERANGE);
}

/* Names, booleans and numbers split as flex's longest match splits them. */
static void test_scalars(void **state)
{
        static const char text[] = "1b true TRUEish 0x1FL 1LL .5e3 - 1.5.3 +. 0x 7e 1e+5L *-_ # cut off";
        static const struct {
                enum mailacct_tok kind;
                enum mailacct_scalar scalar;
                const char *text;
        } want[] = {
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_INT, "1" },
                { MAILACCT_TOK_NAME, 0, "b" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_BOOL, "true" },
                { MAILACCT_TOK_NAME, 0, "TRUEish" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_HEX64, "0x1FL" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_INT64, "1LL" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_FLOAT, ".5e3" },
                { MAILACCT_TOK_GARBAGE, 0, "-" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_FLOAT, "1.5" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_FLOAT, ".3" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_FLOAT, "+." },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_INT, "0" },
                { MAILACCT_TOK_NAME, 0, "x" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_INT, "7" },
                { MAILACCT_TOK_NAME, 0, "e" },
                { MAILACCT_TOK_SCALAR, MAILACCT_SCALAR_FLOAT, "1e+5" },
                { MAILACCT_TOK_NAME, 0, "L" },
                { MAILACCT_TOK_NAME, 0, "*-_" },
                /* libconfig's comment rule needs the newline that ends it */
                { MAILACCT_TOK_GARBAGE, 0, "#" },
                { MAILACCT_TOK_END, 0, "" },
        };
        struct mailacct_lexer lx;
        struct mailacct_token t;

        (void)state;
        mailacct_lex_init(&lx, text, sizeof(text) - 1);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                mailacct_lex_next(&lx, &t);
                if (t.kind != want[i].kind || (t.kind == MAILACCT_TOK_SCALAR && t.scalar != want[i].scalar) ||
                    t.len != strlen(want[i].text) || memcmp(t.text, want[i].text, t.len) != 0)
                        fail_msg("token %zu: kind %d scalar %d \"%.*s\", expected kind %d scalar %d \"%s\"", i,
                                 t.kind, t.scalar, (int)t.len, t.text, want[i].kind, want[i].scalar, want[i].text);
        }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
        struct CMUnitTest *tests = calloc(N(cases), sizeof(*tests));
        const struct CMUnitTest misc[] = { cmocka_unit_test(test_tokens), cmocka_unit_test(test_scalars) };
        int failed = 0;

        for (size_t i = 0; i < N(cases); i++)
                tests[i] = (struct CMUnitTest){ cases[i].name, run_scan, NULL, NULL, (void *)&cases[i] };
        failed += _cmocka_run_group_tests("conflex: index and includes", tests, N(cases), NULL, NULL);
        failed += cmocka_run_group_tests_name("conflex: tokens", misc, NULL, NULL);
        free(tests);
        tu_cleanup();
        return failed ? 1 : 0;
}
