/* SPDX-License-Identifier: MIT */
/* The parser of libconfig's syntax (source/file/cfparse.c): a table of
 * texts and the tree each must give, written out one node after another as
 * name=value@line (@file:line in an included file), or the error it must
 * stop at. The trees and lines are libconfig 1.5's own (each case was read
 * by it too); where the parser is stricter or exact the comment says so.
 * The texts an @include asks for come from the table: no file is read. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfparse.h"

struct pcase {
        const char *name;
        const char *text;
        const char *inc;  /* the text of inc.conf, when set */
        const char *tree; /* NULL: the parse must fail */
        int line;         /* the error's line */
        const char *error;
        const char *file; /* the error's file; NULL: the main text's */
};

#define DEEP10 "((((((((((" /* ten levels */
#define DEEP100 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10

static const struct pcase cases[] = {
        /* settings */
        { "= and :, ended by ; , or nothing", "a = 1; b : 2, c = 3 d = 4\n", NULL, "a=1@1 b=2@1 c=3@1 d=4@1" },
        { "an empty text", "", NULL, "" },
        { "comments only", "# one\n// two\n/* three\n */\n", NULL, "" },
        { "a comment runs to the end of its line", "a = 1; # b = 2;\nc = 3; // d = 4;\n", NULL, "a=1@1 c=3@2" },
        { "names", "*a-b_1 = 1; Z = 2;\n", NULL, "*a-b_1=1@1 Z=2@1" },
        { "a number ends where a name begins", "a=1b=2;\n", NULL, "a=1@1 b=2@1" },
        { "booleans in any case", "t = TrUe; f = FALSE; trueish = 1;\n", NULL, "t=true@1 f=false@1 trueish=1@1" },
        /* values */
        { "integers are exact (libconfig keeps 32 bits of those without L)",
          "a = 4294967296; b = 0x100000000; c = 99999999999L; d = -2147483649; e = 0xFFFFFFFFFFFFFFFF;\n", NULL,
          "a=4294967296@1 b=4294967296@1 c=99999999999L@1 d=-2147483649@1 e=-1@1" },
        { "integers past 64 bits saturate, as libconfig's L form", "a = 99999999999999999999; b = -99999999999999999999L;\n",
          NULL, "a=9223372036854775807@1 b=-9223372036854775808L@1" },
        { "hex, and L and LL", "a = 0x1f; b = 0x1fL; c = 7LL; d = +5; e = 010;\n", NULL,
          "a=31@1 b=31L@1 c=7L@1 d=5@1 e=10@1" },
        { "floats", "a = 1.5e3; b = .5; c = 1.; d = -2E-1; e = .;\n", NULL, "a=1500f@1 b=0.5f@1 c=1f@1 d=-0.2f@1 e=0f@1" },
        { "escapes", "s = \"a\\tb\\x41\\X4a\\q\\\\\\\"\\n\";\n", NULL, "s=\"a\\tbAJ\\\\q\\\\\\\"\\n\"@1" },
        { "adjacent strings join, across lines and comments", "s = \"a\" /* c */ \"b\"\n  \"c\";\n", NULL,
          "s=\"abc\"@1" },
        { "a string spans lines", "s = \"a\nb\";\nt = 1;\n", NULL, "s=\"a\\nb\"@1 t=1@3" },
        { "empty aggregates", "g = { }; l = ( ); a = [ ];\n", NULL, "g={}@1 l=()@1 a=[]@1" },
        { "a list holds anything", "l = ( 1, \"s\", { a = 1; }, [ 2 ], ( ) );\n", NULL,
          "l=(1@1 \"s\"@1 {a=1@1}@1 [2@1]@1 ()@1)@1" },
        { "nested groups", "g = { h = { i = 1; };\n j = 2; };\n", NULL, "g={h={i=1@1}@1 j=2@2}@1" },
        /* lines as libconfig records them */
        { "a string element takes the line of the token after it", "x = [ \"a\",\n \"b\"\n\n ];\n", NULL,
          "x=[\"a\"@1 \"b\"@4]@1" },
        { "other elements their own line", "x = ( 1,\n 2,\n {\n } );\n", NULL, "x=(1@1 2@2 {}@3)@1" },
        { "a setting the line of its name", "a\n=\n1;\n", NULL, "a=1@1" },
        /* @include */
        { "an include, in place", "a = 1;\n@include \"inc.conf\"\nc = 3;\n", "b = 2;\n",
          "a=1@1 b=2@inc.conf:1 c=3@3" },
        { "an include inside a value", "l = ( 1,\n@include \"inc.conf\"\n, 4 );\n", "2,\n3\n",
          "l=(1@1 2@inc.conf:1 3@inc.conf:2 4@3)@1" },
        { "strings join across an @include", "a = \"x\"\n@include \"inc.conf\"\n;\n", " \"y\"", "a=\"xy\"@1" },
        { "a string element takes the line of a token in an include", "l = ( \"x\"\n@include \"inc.conf\"\n);\n",
          "\n, 1", "l=(\"x\"@inc.conf:2 1@inc.conf:2)@1" },
        { "@include only at the start of a line", "a = 1; @include \"inc.conf\"\n", "b = 2;\n", NULL, 1, "syntax error" },
        /* errors */
        { "syntax error: its line", "a = 1;\nb = ;\n", NULL, NULL, 2, "syntax error" },
        { "syntax error at the end: the last line", "g = {\n a = 1;\n", NULL, NULL, 3, "syntax error" },
        { "a trailing comma in a list", "l = ( 1, );\n", NULL, NULL, 1, "syntax error" },
        { "an array of aggregates", "a = [ { } ];\n", NULL, NULL, 1, "syntax error" },
        { "two terminators", "a = 1;;\n", NULL, NULL, 1, "syntax error" },
        { "a lone sign", "a = - 1;\n", NULL, NULL, 1, "syntax error" },
        { "a comment the end cuts off (libconfig's needs its newline)", "a = 1; # no newline", NULL, NULL, 1,
          "syntax error" },
        { "duplicate setting name", "a = 1;\nb = 2;\na = 3;\n", NULL, NULL, 3, "duplicate setting name" },
        { "duplicate in a group of many",
          "g = { a = 1; b = 1; c = 1; d = 1; e = 1; f = 1; g = 1; h = 1; i = 1; j = 1; k = 1; l = 1; m = 1;\n"
          " n = 1; o = 1; p = 1; q = 1; r = 1; s = 1; t = 1; u = 1;\n v = 1; k = 2; };\n",
          NULL, NULL, 3, "duplicate setting name" },
        { "the same name in two groups is fine", "a = { x = 1; }; b = { x = 2; };\n", NULL, "a={x=1@1}@1 b={x=2@1}@1" },
        { "mismatched array", "x = [ 1,\n \"s\" ];\n", NULL, NULL, 2, "mismatched element type" },
        { "int and int64 are two types in an array", "x = [ 1, 2L ];\n", NULL, NULL, 1, "mismatched element type" },
        { "mismatch found before the syntax error after it", "x = [ 1, \"s\"\n 5 ];\n", NULL, NULL, 2,
          "mismatched element type" },
        { "duplicate found before the syntax error after it", "a = 1; a", NULL, NULL, 1, "duplicate setting name" },
        /* stricter than libconfig */
        { "an unterminated string (libconfig drops it)", "a = 1;\n\"abc\n", NULL, NULL, 2, "unterminated string" },
        { "an unterminated comment", "a = 1;\n/* abc\n", NULL, NULL, 2, "unterminated comment" },
        { "\\x00 (libconfig drops it)", "s = \"a\\x00b\";\n", NULL, NULL, 1, "NUL byte" },
        { "as deep as MAILACCT_CF_DEPTH", "a = " DEEP100 "1", NULL, NULL, 1, "syntax error" },
        { "deeper than MAILACCT_CF_DEPTH", "a = " DEEP100 "(1", NULL, NULL, 1, "nested deeper" },
        /* errors of an include */
        { "a missing include", "a = 1;\n@include \"nope.conf\"\n", NULL, NULL, 2, "cannot open include file" },
        { "an error inside an include names it", "a = 1;\n@include \"inc.conf\"\n", "b = 2;\nc = ;\n", NULL, 2,
          "syntax error", "inc.conf" },
        { "an include ten deep is too deep", "@include \"inc.conf\"\n", "@include \"inc.conf\"\n", NULL, 1,
          "include file nesting too deep", "inc.conf" },
        { "a comment cut off by an include's end", "@include \"inc.conf\"\n", "a = 1; # c", NULL, 1, "syntax error",
          "inc.conf" },
        { "an unterminated string in an include", "@include \"inc.conf\"\n\";\n", "a = \"b", NULL, 1,
          "unterminated string", "inc.conf" },
};

static char out[8192];

static void put(const char *fmt, ...)
{
        size_t o = strlen(out);
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(out + o, sizeof(out) - o, fmt, ap);
        va_end(ap);
}

static void dump(const struct mailacct_cf_node *n, const char *main_file, bool root)
{
        const char *open = "{", *close = "}";

        if (mailacct_cf_name(n))
                put("%s=", mailacct_cf_name(n));
        switch (mailacct_cf_type(n)) {
        case MAILACCT_CF_INT:
                put("%lld", mailacct_cf_int64(n));
                break;
        case MAILACCT_CF_INT64:
                put("%lldL", mailacct_cf_int64(n));
                break;
        case MAILACCT_CF_FLOAT:
                put("%gf", mailacct_cf_float(n));
                break;
        case MAILACCT_CF_BOOL:
                put("%s", mailacct_cf_bool(n) ? "true" : "false");
                break;
        case MAILACCT_CF_STRING:
                put("\"");
                for (const char *s = mailacct_cf_string(n); *s; s++)
                        put(*s == '\n' ? "\\n" : *s == '\t' ? "\\t" : *s == '"' ? "\\\"" : *s == '\\' ? "\\\\" : "%c",
                            *s);
                put("\"");
                break;
        case MAILACCT_CF_LIST:
                open = "(", close = ")";
                /* fall through */
        case MAILACCT_CF_ARRAY:
                if (mailacct_cf_type(n) == MAILACCT_CF_ARRAY)
                        open = "[", close = "]";
                /* fall through */
        case MAILACCT_CF_GROUP:
                if (!root)
                        put("%s", open);
                if (mailacct_cf_streamed(n))
                        put("%u streamed", mailacct_cf_length(n));
                for (unsigned i = 0; i < mailacct_cf_length(n) && !mailacct_cf_streamed(n); i++) {
                        if (i)
                                put(" ");
                        dump(mailacct_cf_elem(n, i), main_file, false);
                }
                if (!root)
                        put("%s", close);
                break;
        }
        if (root)
                return;
        if (strcmp(mailacct_cf_file(n), main_file) != 0)
                put("@%s:%d", mailacct_cf_file(n), mailacct_cf_line(n));
        else
                put("@%d", mailacct_cf_line(n));
}

static int include_inc(void *ctx, const char *name, const char **text, size_t *len)
{
        const char *inc = ctx;

        if (!inc || strcmp(name, "inc.conf") != 0)
                return -ENOENT;
        *text = inc;
        *len = strlen(inc);
        return 0;
}

static void run_case(void **state)
{
        const struct pcase *c = *state;
        struct mailacct_cf_source src = {
                .file = "main.conf", .text = c->text, .len = strlen(c->text), .include = include_inc, .ctx = (void *)c->inc};
        struct mailacct_cf_error err;
        struct mailacct_cf *cf;
        int r = mailacct_cf_parse(&src, &cf, &err);

        if (c->tree) {
                if (r != 0)
                        fail_msg("%s: refused: %s:%d: %s", c->name, err.file, err.line, err.text);
                out[0] = '\0';
                dump(mailacct_cf_root(cf), "main.conf", true);
                if (strcmp(out, c->tree) != 0)
                        fail_msg("%s:\n  got  %s\n  want %s", c->name, out, c->tree);
                mailacct_cf_free(cf);
                return;
        }
        if (r == 0) {
                mailacct_cf_free(cf);
                fail_msg("%s: accepted", c->name);
        }
        assert_int_equal(r, -EINVAL);
        if (err.line != c->line || !strstr(err.text, c->error) ||
            strcmp(err.file, c->file ? c->file : "main.conf") != 0)
                fail_msg("%s: %s:%d: %s; expected %s:%d: %s", c->name, err.file, err.line, err.text,
                         c->file ? c->file : "main.conf", c->line, c->error);
}

/* Elements of a streamed list, each on its own, as the loader reads them. */
static void iterate(struct mailacct_cf *cf, const char *list, const char *want)
{
        const struct mailacct_cf_node *l = mailacct_cf_member(mailacct_cf_root(cf), list), *e;
        struct mailacct_cf_error err;
        struct mailacct_cf_iter it;
        int r;

        assert_non_null(l);
        out[0] = '\0';
        mailacct_cf_iter_init(cf, l, &it);
        while ((r = mailacct_cf_iter_next(&it, &e, &err)) == 1) {
                if (out[0])
                        put(" ");
                dump(e, "main.conf", false);
        }
        if (r != 0)
                fail_msg("reading %s again: %d: %s:%d: %s", list, r, err.file, err.line, err.text);
        if (strcmp(out, want) != 0)
                fail_msg("%s:\n  got  %s\n  want %s", list, out, want);
}

static void test_streamed(void **state)
{
        static const char *const stream[] = {"m", "c", NULL};
        static const char text[] = "m = ( { a = 1; b = [ \"x\",\n \"y\" ]; }, \"s\",\n"
                                   "@include \"inc.conf\"\n"
                                   ", { } );\n"
                                   "z = 1;\n"
                                   "c = ();\n"
                                   "g = { m = ( 1 ); };\n"
                                   "k = ( 2 );\n";
        struct mailacct_cf_source src = {.file = "main.conf",
                                         .text = text,
                                         .len = sizeof(text) - 1,
                                         .include = include_inc,
                                         .ctx = (void *)"7,\n8",
                                         .stream = stream};
        const struct mailacct_cf_node *m, *c, *e;
        struct mailacct_cf_iter a, b;
        struct mailacct_cf_error err;
        struct mailacct_cf *cf;

        (void)state;
        assert_int_equal(mailacct_cf_parse(&src, &cf, &err), 0);
        out[0] = '\0';
        dump(mailacct_cf_root(cf), "main.conf", true);
        /* only the top-level lists named are streamed */
        assert_string_equal(out, "m=(5 streamed)@1 z=1@5 c=(0 streamed)@6 g={m=(1@7)@7}@7 k=(2@8)@8");
        m = mailacct_cf_member(mailacct_cf_root(cf), "m");
        c = mailacct_cf_member(mailacct_cf_root(cf), "c");
        assert_true(mailacct_cf_streamed(m));
        assert_int_equal(mailacct_cf_length(m), 5);
        assert_null(mailacct_cf_elem(m, 0));
        iterate(cf, "m", "{a=1@1 b=[\"x\"@1 \"y\"@2]@1}@1 \"s\"@2 7@inc.conf:1 8@inc.conf:2 {}@4");
        /* again, from the start */
        iterate(cf, "m", "{a=1@1 b=[\"x\"@1 \"y\"@2]@1}@1 \"s\"@2 7@inc.conf:1 8@inc.conf:2 {}@4");
        iterate(cf, "c", "");
        iterate(cf, "k", "2@8");
        /* one streamed list at a time */
        mailacct_cf_iter_init(cf, m, &a);
        mailacct_cf_iter_init(cf, c, &b);
        assert_int_equal(mailacct_cf_iter_next(&a, &e, &err), 1);
        assert_int_equal(mailacct_cf_iter_next(&b, &e, &err), -EBUSY);
        while (mailacct_cf_iter_next(&a, &e, &err) == 1)
                ;
        assert_int_equal(mailacct_cf_iter_next(&b, &e, &err), 0);
        mailacct_cf_free(cf);
}

/* A syntax error inside a streamed element fails the parse itself. */
static void test_streamed_errors(void **state)
{
        static const char *const stream[] = {"m", NULL};
        static const char bad[] = "m = ( { a = 1; },\n { a = 1; a = 2; } );\n";
        struct mailacct_cf_source src = {.file = "main.conf", .text = bad, .len = sizeof(bad) - 1, .stream = stream};
        struct mailacct_cf_error err;
        struct mailacct_cf *cf;

        (void)state;
        assert_int_equal(mailacct_cf_parse(&src, &cf, &err), -EINVAL);
        assert_int_equal(err.line, 2);
        assert_string_equal(err.text, "duplicate setting name");
}

/* A text that changed after the parse is noticed when read again. */
static void test_streamed_stale(void **state)
{
        static const char *const stream[] = {"m", NULL};
        char text[] = "m = ( 1, 2, 3 );\n";
        struct mailacct_cf_source src = {.file = "main.conf", .text = text, .len = sizeof(text) - 1, .stream = stream};
        const struct mailacct_cf_node *e;
        struct mailacct_cf_error err;
        struct mailacct_cf_iter it;
        struct mailacct_cf *cf;

        (void)state;
        assert_int_equal(mailacct_cf_parse(&src, &cf, &err), 0);
        text[10] = ')'; /* "m = ( 1, 2) 3 );" */
        mailacct_cf_iter_init(cf, mailacct_cf_member(mailacct_cf_root(cf), "m"), &it);
        assert_int_equal(mailacct_cf_iter_next(&it, &e, &err), 1);
        assert_int_equal(mailacct_cf_iter_next(&it, &e, &err), -ESTALE);
        assert_non_null(strstr(err.text, "changed"));
        mailacct_cf_free(cf);
}

/* The accessors on nodes of other types answer nothing, never crash. */
static void test_accessors(void **state)
{
        static const char text[] = "s = \"x\"; i = 0x10; g = { };\n";
        struct mailacct_cf_source src = {.file = "main.conf", .text = text, .len = sizeof(text) - 1};
        const struct mailacct_cf_node *root, *s, *i;
        struct mailacct_cf_error err;
        struct mailacct_cf *cf;

        (void)state;
        assert_int_equal(mailacct_cf_parse(&src, &cf, &err), 0);
        root = mailacct_cf_root(cf);
        s = mailacct_cf_member(root, "s");
        i = mailacct_cf_member(root, "i");
        assert_null(mailacct_cf_name(root));
        assert_string_equal(mailacct_cf_file(root), "main.conf");
        assert_null(mailacct_cf_member(root, "nope"));
        assert_null(mailacct_cf_member(s, "x"));
        assert_null(mailacct_cf_elem(s, 0));
        assert_null(mailacct_cf_elem(root, 3));
        assert_int_equal(mailacct_cf_length(s), 0);
        assert_int_equal(mailacct_cf_int64(s), 0);
        assert_null(mailacct_cf_literal(s));
        assert_null(mailacct_cf_string(i));
        assert_string_equal(mailacct_cf_literal(i), "0x10");
        assert_int_equal(mailacct_cf_int64(i), 16);
        assert_false(mailacct_cf_bool(i));
        mailacct_cf_free(cf);
        mailacct_cf_free(NULL);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
        struct CMUnitTest *tests = calloc(N(cases), sizeof(*tests));
        const struct CMUnitTest misc[] = {
                cmocka_unit_test(test_streamed),
                cmocka_unit_test(test_streamed_errors),
                cmocka_unit_test(test_streamed_stale),
                cmocka_unit_test(test_accessors),
        };
        int failed = 0;

        for (size_t i = 0; i < N(cases); i++)
                tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
        failed += _cmocka_run_group_tests("cfparse: texts and their trees", tests, N(cases), NULL, NULL);
        failed += cmocka_run_group_tests_name("cfparse: streamed lists, accessors", misc, NULL, NULL);
        free(tests);
        return failed ? 1 : 0;
}
