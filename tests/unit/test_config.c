/* SPDX-License-Identifier: MIT */
/* The file loader (errors with file and line) and the warnings of
 * `mailacct check` (mailacct_lint), as a table of configuration
 * files and the findings each must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lint.h"
#include "testutil.h"

#define E MAILACCT_ERROR
#define W MAILACCT_WARNING
#define SECRETS_FILE (-1) /* the finding names the secrets file, no line */

struct want {
        enum mailacct_severity sev;
        int line; /* SECRETS_FILE, 0 for "no line", else the line */
        const char *text[3];
};

struct ccase {
        const char *name;
        const char *conf;
        const char *secrets; /* written next to the configuration as "secrets" when set */
        mode_t secrets_mode;
        bool exact; /* no findings besides these */
        struct want want[4];
};

/* Two lines every case starts with; case lines count from 3. */
#define HEAD                                                                                                       \
        "defaults = { uid = 5000; gid = 5000; };\n"                                                                \
        "domains = ( { name = \"example.com\"; netbios = \"EXAMPLE\"; aliases = [ \"example.org\" ]; }, "          \
        "{ name = \"other.com\"; } );\n"

#define HASH "$6$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ./abcdefghijklmnopqrstuv"

static const struct ccase error_cases[] = {
        /* unknown keys */
        { "unknown key at the top", HEAD "colour = \"blue\";\n", .want = { { E, 3, { "unknown key", "colour" } } } },
        { "unknown key in a mailbox",
          HEAD "mailboxes = (\n { address = \"a@example.com\";\n   alias = [ \"a\" ]; } );\n",
          .want = { { E, 5, { "unknown key \"alias\"", "mailbox" } } } },
        { "unknown key in a domain", "domains = ( { name = \"example.com\";\n  netbois = \"EXAMPLE\"; } );\n",
          .want = { { E, 2, { "unknown key \"netbois\"", "domain" } } } },
        { "unknown key in defaults",
          "defaults = {\n  uid = 5000;\n  homedir = \"/x\"; };\ndomains = ( { name = \"example.com\"; } );\n",
          .want = { { E, 3, { "unknown key \"homedir\"", "defaults" } } } },
        { "unknown key in a contact", HEAD "contacts = ( { alias = \"p\"; address = \"p@x.test\";\n mail = \"\"; } );\n",
          .want = { { E, 4, { "unknown key \"mail\"", "contact" } } } },
        /* wrong types */
        { "wrong type: boolean as a string", HEAD "case_sensitive = \"no\";\n",
          .want = { { E, 3, { "case_sensitive", "true or false", "string" } } } },
        { "wrong type: default_domain as a number", HEAD "default_domain = 5;\n",
          .want = { { E, 3, { "default_domain", "must be a string" } } } },
        { "wrong type: uid as a string", HEAD "mailboxes = ( { address = \"a@example.com\";\n uid = \"5001\"; } );\n",
          .want = { { E, 4, { "uid", "integer" } } } },
        { "wrong type: aliases as a string", HEAD "mailboxes = ( { address = \"a@example.com\";\n aliases = \"a\"; } );\n",
          .want = { { E, 4, { "aliases", "array" } } } },
        { "wrong type: a number in a list of strings",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n services = ( \"imap\", 3 ); } );\n",
          .want = { { E, 4, { "services", "strings" } } } },
        { "wrong type: mailboxes as a group", HEAD "mailboxes = { address = \"a@example.com\"; };\n",
          .want = { { E, 3, { "mailboxes", "list" } } } },
        { "wrong type: a mailbox that is not a group", HEAD "mailboxes = ( \"a@example.com\" );\n",
          .want = { { E, 3, { "group" } } } },
        { "wrong type: enabled as a number", HEAD "mailboxes = ( { address = \"a@example.com\";\n enabled = 1; } );\n",
          .want = { { E, 4, { "enabled", "true or false" } } } },
        { "bare_alias names all three policies", HEAD "bare_alias = \"sometimes\";\n",
          .want = { { E, 3, { "\"default-domain\"", "\"prefer-default-domain\"", "\"unique\"" } } } },
        { "canonical names all three formats", HEAD "canonical = \"ldap\";\n",
          .want = { { E, 3, { "\"address\"", "\"local\"", "\"netbios\"" } } } },
        { "syntax error has its line", HEAD "mailboxes = (\n { address = \"a@example.com\" }\n  oops\n);\n",
          .want = { { E, 5, { "" } } } },
        { "no domains", "default_domain = \"example.com\";\n", .want = { { E, 0, { "no domains" } } } },
        /* duplicate addresses */
        { "duplicate primary address",
          HEAD "mailboxes = ( { address = \"a@example.com\"; },\n { address = \"a@example.com\"; } );\n",
          .want = { { E, 4, { "duplicate address", "a@example.com", "line 3" } } } },
        { "duplicate address in another case",
          HEAD "mailboxes = ( { address = \"ann@example.com\"; },\n { address = \"ANN@Example.COM\"; } );\n",
          .want = { { E, 4, { "duplicate address" } } } },
        { "secondary address equal to another primary",
          HEAD "mailboxes = ( { address = \"a@example.com\"; },\n { address = \"b@example.com\";\n"
               "   addresses = [ \"a@example.com\" ]; } );\n",
          .want = { { E, 5, { "duplicate address", "a@example.com" } } } },
        { "secondary address through the domain alias",
          HEAD "mailboxes = ( { address = \"a@example.com\"; },\n { address = \"b@example.com\";\n"
               "   addresses = [ \"a@example.org\" ]; } );\n",
          .want = { { E, 5, { "duplicate address", "a@example.org" } } } },
        { "duplicate NT account",
          HEAD "mailboxes = ( { address = \"a@example.com\"; nt_account = \"nt\"; },\n"
               " { address = \"b@example.com\"; nt_account = \"NT\"; } );\n",
          .want = { { E, 4, { "duplicate NT account", "a@example.com" } } } },
        { "domain name used twice",
          "domains = ( { name = \"example.com\"; aliases = [ \"example.org\" ]; },\n { name = \"example.org\"; } );\n",
          .want = { { E, 2, { "used twice", "example.org" } } } },
        /* Q230373: default_domain */
        { "Q230373: default_domain is a host name inside the hosted domain",
          HEAD "default_domain = \"mail1.example.com\";\n",
          .exact = true,
          .want = { { E, 3, { "mail1.example.com", "not hosted", "default_domain = \"example.com\"" } } } },
        { "Q230373: suggests the hosted parent of a domain alias", HEAD "default_domain = \"Mail1.Example.ORG\";\n",
          .want = { { E, 3, { "example.com" } } } },
        { "default_domain not hosted at all", HEAD "default_domain = \"elsewhere.com\";\n",
          .exact = true, .want = { { E, 3, { "elsewhere.com", "not hosted" } } } },
        /* addresses */
        { "mailbox in a domain not hosted", HEAD "mailboxes = ( { address = \"a@elsewhere.com\"; } );\n",
          .want = { { E, 3, { "a@elsewhere.com", "not in domains" } } } },
        { "a NetBIOS name is not a mail domain", HEAD "mailboxes = ( { address = \"a@EXAMPLE\"; } );\n",
          .want = { { E, 3, { "a@EXAMPLE", "NetBIOS" } } } },
        { "secondary address with a NetBIOS name",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n addresses = [ \"aa@EXAMPLE\" ]; } );\n",
          .want = { { E, 4, { "aa@EXAMPLE", "NetBIOS" } } } },
        { "mailbox without an address", HEAD "mailboxes = ( { name = \"x\"; } );\n",
          .want = { { E, 3, { "without an address" } } } },
        { "alias with '@'", HEAD "mailboxes = ( { address = \"a@example.com\";\n aliases = [ \"a@b\" ]; } );\n",
          .want = { { E, 4, { "a@b", "bare name" } } } },
        { "alias with white space around", HEAD "mailboxes = ( { address = \"a@example.com\";\n aliases = [ \" a\" ]; } );\n",
          .want = { { E, 4, { "white space" } } } },
        { "nt_account of three parts",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n nt_account = \"A\\\\B\\\\C\"; } );\n",
          .want = { { E, 4, { "nt_account" } } } },
        { "display name with ':'", HEAD "mailboxes = ( { address = \"a@example.com\";\n name = \"A: B\"; } );\n",
          .want = { { E, 4, { "name", "':'" } } } },
        /* delegates */
        { "delegate that resolves to nothing",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n delegates = [ \"EXAMPLE\\\\nobody\" ]; } );\n",
          .exact = true, .want = { { E, 4, { "delegate", "EXAMPLE\\nobody", "not-found" } } } },
        { "delegate that is ambiguous",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n delegates = [ \"user\" ]; },\n"
               " { address = \"user@example.com\"; }, { address = \"user@other.com\"; } );\n",
          .want = { { E, 4, { "delegate", "ambiguous" } } } },
        { "delegate that is a contact",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n delegates = [ \"partner\" ]; } );\n"
               "contacts = ( { alias = \"partner\"; address = \"p@x.test\"; } );\n",
          .want = { { E, 4, { "delegate", "contact" } } } },
        { "delegate in a domain not hosted",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n delegates = [ \"b@elsewhere.com\" ]; } );\n",
          .want = { { E, 4, { "delegate", "domain-not-hosted" } } } },
        { "delegate of three parts",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n delegates = [ \"EXAMPLE\\\\a\\\\b\" ]; } );\n",
          .want = { { E, 4, { "three-part" } } } },
        /* canonical collisions */
        { "canonical local with colliding local parts",
          HEAD "canonical = \"local\";\nmailboxes = ( { address = \"jdoe@example.com\"; },\n"
               " { address = \"JDoe@other.com\"; } );\n",
          .exact = true, .want = { { E, 5, { "local", "jdoe@example.com", "JDoe@other.com" } } } },
        { "canonical netbios: local part equal to another NT account",
          HEAD "canonical = \"netbios\";\nmailboxes = ( { address = \"jdoe@example.com\"; },\n"
               " { address = \"john@example.com\"; nt_account = \"jdoe\"; } );\n",
          .exact = true, .want = { { E, 5, { "netbios", "EXAMPLE\\jdoe", "jdoe@example.com" } } } },
        { "canonical netbios: the same NT account through two spellings",
          HEAD "canonical = \"netbios\";\nmailboxes = ( { address = \"jdoe@example.com\"; },\n"
               " { address = \"j@other.com\"; nt_account = \"example.com\\\\JDOE\"; } );\n",
          .exact = true, .want = { { E, 5, { "EXAMPLE\\JDOE", "jdoe@example.com" } } } },
        /* home and ids */
        { "home with an unknown escape", HEAD "mailboxes = ( { address = \"a@example.com\";\n home = \"/m/%x\"; } );\n",
          .want = { { E, 4, { "/m/%x", "escape" } } } },
        { "home ending in '%'", HEAD "mailboxes = ( { address = \"a@example.com\";\n home = \"/m/%\"; } );\n",
          .want = { { E, 4, { "escape" } } } },
        { "home that is relative", "defaults = { uid = 1; gid = 1;\n home = \"var/%d\"; };\n"
                                   "domains = ( { name = \"example.com\"; } );\n",
          .want = { { E, 2, { "absolute" } } } },
        { "home escape in domain defaults",
          "domains = ( { name = \"example.com\";\n  defaults = { uid = 1; gid = 1; home = \"/m/%D\"; }; } );\n",
          .want = { { E, 2, { "escape" } } } },
        { "uid -1", HEAD "mailboxes = ( { address = \"a@example.com\";\n uid = -1; } );\n",
          .want = { { E, 4, { "uid", "out of range" } } } },
        { "uid 4294967295 ((uid_t)-1)", HEAD "mailboxes = ( { address = \"a@example.com\";\n uid = 4294967295; } );\n",
          .want = { { E, 4, { "4294967295", "out of range" } } } },
        { "uid 4294967296 does not wrap to root",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n uid = 4294967296; } );\n",
          .want = { { E, 4, { "4294967296", "out of range" } } } },
        { "gid 0x100000000 does not wrap to root",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n gid = 0x100000000; } );\n",
          .want = { { E, 4, { "gid", "0x100000000", "out of range" } } } },
        { "uid 99999999999", HEAD "mailboxes = ( { address = \"a@example.com\";\n uid = 99999999999; } );\n",
          .want = { { E, 4, { "99999999999", "out of range" } } } },
        { "uid 99999999999L", HEAD "mailboxes = ( { address = \"a@example.com\";\n uid = 99999999999L; } );\n",
          .want = { { E, 4, { "out of range" } } } },
        { "global uid out of range", "defaults = {\n uid = 4294967296; gid = 1; };\ndomains = ( { name = \"x.test\"; } );\n",
          .want = { { E, 2, { "uid", "out of range" } } } },
        { "uid 0xFFFFFFFFFFFFFFFF is not -1 taken for a uid", HEAD "mailboxes = ( { address = \"a@example.com\";\n"
                                                                   " uid = 0xFFFFFFFFFFFFFFFF; } );\n",
          .want = { { E, 4, { "0xFFFFFFFFFFFFFFFF", "out of range" } } } },
        { "a finding in the third mailbox of a list read one at a time",
          HEAD "mailboxes = ( { address = \"a@example.com\"; },\n { address = \"b@example.com\"; },\n"
               " { address = \"c@example.com\";\n   alias = [ \"c\" ]; } );\n",
          .exact = true, .want = { { E, 6, { "unknown key \"alias\"", "mailbox" } } } },
        { "a syntax error after the mailboxes: nothing is loaded",
          HEAD "mailboxes = ( { address = \"a@example.com\"; uid = -1; } );\nx = ;\n",
          .exact = true, .want = { { E, 4, { "syntax error" } } } },
        { "a string that looks like a uid does not fool the range check",
          HEAD "mailboxes = ( { address = \"a@example.com\";\n"
               " name = \"uid = 7\"; uid = 4294967296; } );\n",
          .want = { { E, 4, { "out of range" } } } },
};

static const char shared_conf[] =
        "defaults = { uid = 5000; gid = 5000; };\n"
        "default_domain = \"site1.org.com\";\n"
        "secrets = \"secrets\";\n"
        "domains = ( { name = \"site1.org.com\"; netbios = \"SITE1\"; }, { name = \"site2.org.com\"; netbios = \"SITE2\"; } );\n"
        "mailboxes = (\n"
        "  { address = \"user@site1.org.com\"; aliases = [ \"user\" ]; },\n"
        "  { address = \"user@site2.org.com\"; aliases = [ \"user\" ]; }\n"
        ");\n";

static const struct ccase warning_cases[] = {
        { "clean directory has no findings",
          HEAD "secrets = \"secrets\";\nmailboxes = ( { address = \"a@example.com\"; aliases = [ \"a\" ]; } );\n",
          "a@example.com:" HASH "\n", 0600, true, { { 0 } } },
        { "Q198143: alias shared across domains, with the forms that reach each", shared_conf,
          "user@site1.org.com:" HASH "\nuser@site2.org.com:" HASH "\n", 0600, true,
          { { W, 6,
              { "\"user\"", "user@site1.org.com (line 6) is reached by user, SITE1\\user, user@site1.org.com",
                "user@site2.org.com (line 7) is reached by SITE2\\user, user@site2.org.com" } } } },
        { "Q198704: contact alias equal to a mailbox alias",
          HEAD "mailboxes = ( { address = \"sales@example.com\"; } );\n"
               "contacts = (\n { alias = \"SALES\"; address = \"s@reseller.test\"; } );\n",
          NULL, 0, true, { { W, 5, { "contact alias \"SALES\"", "sales@example.com", "wins" } } } },
        { "Q198704: NT account equal to another mailbox's alias",
          HEAD "mailboxes = (\n { address = \"js@example.com\"; nt_account = \"jsmith\"; },\n"
               " { address = \"jsmith@example.com\"; } );\n",
          NULL, 0, true, { { W, 4, { "jsmith", "EXAMPLE\\jsmith opens js@example.com", "jsmith@example.com" } } } },
        { "NT account equal to its own alias is fine",
          HEAD "mailboxes = ( { address = \"jdoe@example.com\"; nt_account = \"jdoe\"; } );\n", NULL, 0, true,
          { { 0 } } },
        { "mailbox without a secrets entry",
          HEAD "secrets = \"secrets\";\nmailboxes = ( { address = \"a@example.com\"; },\n { address = \"b@example.com\"; } );\n",
          "# only a\nA@Example.com:" HASH "\n", 0600, true, { { W, 5, { "b@example.com", "secrets" } } } },
        { "secrets file readable by others", HEAD "secrets = \"secrets\";\nmailboxes = ( { address = \"a@example.com\"; } );\n",
          "a@example.com:" HASH "\n", 0644, true, { { E, SECRETS_FILE, { "0644", "others read" } } } },
        { "secrets file writable by the group",
          HEAD "secrets = \"secrets\";\nmailboxes = ( { address = \"a@example.com\"; } );\n",
          "a@example.com:" HASH "\n", 0660, true, { { E, SECRETS_FILE, { "0660" } } } },
        { "secrets file readable by the group is fine",
          HEAD "secrets = \"secrets\";\nmailboxes = ( { address = \"a@example.com\"; } );\n",
          "a@example.com:" HASH "\n", 0640, true, { { 0 } } },
        { "secrets file missing", HEAD "secrets = \"secrets\";\nmailboxes = ( { address = \"a@example.com\"; } );\n",
          NULL, 0, true, { { W, 0, { "secrets" } } } },
        { "secrets file malformed is an error",
          HEAD "secrets = \"secrets\";\nmailboxes = ( { address = \"a@example.com\"; } );\n",
          "a@example.com:" HASH "\nnot a line\n", 0600, true, { { E, 0, { ":2:", "malformed" } } } },
        { "mailbox without uid",
          "domains = ( { name = \"example.com\"; } );\nmailboxes = ( { address = \"a@example.com\"; gid = 1; } );\n",
          NULL, 0, true, { { W, 2, { "a@example.com", "uid" } } } },
        { "mailbox with uid 0: PAM would accept it, NSS gives no entry",
          "domains = ( { name = \"example.com\"; } );\nmailboxes = ( { address = \"r@example.com\"; uid = 0; gid = 1; } );\n",
          NULL, 0, true, { { W, 2, { "r@example.com", "uid 0" } } } },
        { "':' in a canonical name: no passwd line can hold it",
          "domains = ( { name = \"example.com\"; } );\nmailboxes = ( { address = \"c:l@example.com\"; uid = 9; gid = 1; } );\n",
          NULL, 0, true, { { W, 2, { "c:l@example.com", "':'" } } } },
};

static bool has(const struct mailacct_diags *dg, const struct want *w, const char *conf, const char *secrets)
{
        for (size_t i = 0; i < dg->n; i++) {
                const struct mailacct_diag *e = &dg->v[i];
                bool ok = e->severity == w->sev;
                if (w->line == SECRETS_FILE)
                        ok = ok && e->line == 0 && e->file && strcmp(e->file, secrets) == 0;
                else
                        ok = ok && e->line == w->line && (!e->file || strcmp(e->file, conf) == 0);
                for (size_t k = 0; ok && k < 3 && w->text[k]; k++)
                        ok = strstr(e->text, w->text[k]) != NULL;
                if (ok)
                        return true;
        }
        return false;
}

static void dump(const struct mailacct_diags *dg)
{
        for (size_t i = 0; i < dg->n; i++)
                print_error("  found: %s:%d: %s: %s\n", dg->v[i].file ? dg->v[i].file : "(conf)", dg->v[i].line,
                            dg->v[i].severity == E ? "error" : "warning", dg->v[i].text);
}

static void run_case(const struct ccase *c, bool load_fails)
{
        struct mailacct_diags dg;
        struct mailacct_dir *d = NULL;
        char conf[PATH_MAX + 256], secrets[PATH_MAX + 256];
        size_t n_want = 0;
        int r;

        snprintf(secrets, sizeof(secrets), "%s/secrets", tu_tmpdir());
        unlink(secrets);
        if (c->secrets)
                tu_write("secrets", c->secrets, c->secrets_mode);
        snprintf(conf, sizeof(conf), "%s", tu_write("mailacct.conf", c->conf, 0644));
        while (n_want < 4 && c->want[n_want].sev)
                n_want++;
        mailacct_diags_init(&dg);
        r = mailacct_file_load(conf, &d, &dg, NULL);
        if (load_fails) {
                /* an error in the file: unusable, nothing handed out */
                assert_int_equal(r, -EINVAL);
                assert_null(d);
                assert_true(dg.errors > 0);
        } else {
                if (r != 0) {
                        dump(&dg);
                        fail_msg("the configuration does not load");
                }
                mailacct_lint(d, conf, &dg);
        }
        for (size_t i = 0; i < n_want; i++)
                if (!has(&dg, &c->want[i], conf, secrets)) {
                        dump(&dg);
                        fail_msg("no %s at line %d saying \"%s\"", c->want[i].sev == E ? "error" : "warning",
                                 c->want[i].line, c->want[i].text[0]);
                }
        if (c->exact && dg.n != n_want) {
                dump(&dg);
                fail_msg("%zu findings, expected %zu", dg.n, n_want);
        }
        mailacct_diags_clear(&dg);
        mailacct_dir_free(d);
}

static void run_error_case(void **state)
{
        run_case(*state, true);
}

static void run_warning_case(void **state)
{
        run_case(*state, false);
}

/* Values that must load as written (libconfig 1.5 read plain integers
 * through an int; the parser is exact). */
static void test_large_ids(void **state)
{
        struct mailacct_dir *d;
        uid_t u;
        gid_t g;

        (void)state;
        assert_int_equal(tu_load("ids.conf",
                                 "defaults = { uid = 3000000000; gid = 4294967294; };\n"
                                 "domains = ( { name = \"example.com\"; } );\n"
                                 "mailboxes = ( { address = \"a@example.com\"; },\n"
                                 "  { address = \"b@example.com\"; uid = 2147483648; gid = 0x80000000; } );\n",
                                 &d, NULL),
                         0);
        assert_int_equal(mailacct_dir_ids(d, tu_mailbox(d, "a@example.com"), &u, &g), 0);
        assert_int_equal(u, 3000000000u);
        assert_int_equal(g, 4294967294u);
        assert_int_equal(mailacct_dir_ids(d, tu_mailbox(d, "b@example.com"), &u, &g), 0);
        assert_int_equal(u, 2147483648u);
        assert_int_equal(g, 2147483648u);
        mailacct_dir_free(d);
}

/* The settings, defaults and relative paths as read. */
static void test_settings(void **state)
{
        struct mailacct_dir *d;
        char want[PATH_MAX + 64];

        (void)state;
        assert_int_equal(tu_load("settings.conf",
                                 "default_domain = \"Example.COM\";\nbare_alias = \"unique\";\n"
                                 "case_sensitive = true;\ncanonical = \"netbios\";\nsecrets = \"s/secrets\";\n"
                                 "index = \"/var/lib/mailacct/index\";\n"
                                 "defaults = { uid = 1; gid = 2; home = \"/m/%d/%n\"; shell = \"/bin/false\"; };\n"
                                 "domains = ( { name = \"example.com\"; } );\n",
                                 &d, NULL),
                         0);
        {
                const struct mailacct_settings *s = mailacct_dir_settings(d);
                struct mailacct_domain_view dv;
                assert_int_equal(s->bare_alias, MAILACCT_BARE_UNIQUE);
                assert_true(s->case_sensitive);
                assert_int_equal(s->canonical, MAILACCT_CANON_NETBIOS);
                assert_int_equal(mailacct_dir_domain(d, s->default_domain, &dv), 0);
                assert_string_equal(dv.name, "example.com");
                snprintf(want, sizeof(want), "%s/s/secrets", tu_tmpdir());
                assert_string_equal(s->secrets, want);
                assert_string_equal(mailacct_bare_policy_name(s->bare_alias), "unique");
                assert_string_equal(mailacct_canonical_name(s->canonical), "netbios");
        }
        mailacct_dir_free(d);

        /* and the defaults when nothing is said */
        assert_int_equal(tu_load("settings.conf", "domains = ( { name = \"example.com\"; } );\n", &d, NULL), 0);
        assert_int_equal(mailacct_dir_settings(d)->bare_alias, MAILACCT_BARE_PREFER_DEFAULT);
        assert_false(mailacct_dir_settings(d)->case_sensitive);
        assert_int_equal(mailacct_dir_settings(d)->canonical, MAILACCT_CANON_ADDRESS);
        assert_null(mailacct_dir_settings(d)->secrets);
        mailacct_dir_free(d);
}

/* The settings and domains are loaded first wherever they stand: the
 * mailboxes (read one at a time) name domains declared after them. */
static void test_order(void **state)
{
        struct mailacct_dir *d;
        uid_t u;
        gid_t g;

        (void)state;
        assert_int_equal(tu_load("order.conf",
                                 "mailboxes = ( { address = \"a@example.com\"; aliases = [ \"a\" ]; } );\n"
                                 "contacts = ( { alias = \"p\"; address = \"p@x.test\"; } );\n"
                                 "domains = ( { name = \"example.com\"; } );\n"
                                 "defaults = { uid = 7; gid = 8; };\ndefault_domain = \"example.com\";\n",
                                 &d, NULL),
                         0);
        assert_int_equal(mailacct_dir_settings(d)->n_mailboxes, 1);
        assert_int_equal(mailacct_dir_settings(d)->n_contacts, 1);
        assert_int_equal(mailacct_dir_ids(d, tu_mailbox(d, "a@example.com"), &u, &g), 0);
        assert_int_equal(u, 7);
        assert_int_equal(g, 8);
        mailacct_dir_free(d);
}

/* Mailboxes in an @included file: each finding names that file and line,
 * as libconfig named them (the @include line's name). */
static void test_included_mailboxes(void **state)
{
        struct mailacct_diags dg;
        struct mailacct_dir *d;
        char conf[PATH_MAX + 256];

        (void)state;
        tu_write("boxes.conf", "{ address = \"a@example.com\"; },\n{ address = \"a@example.com\"; }\n", 0644);
        snprintf(conf, sizeof(conf), "%s",
                 tu_write("inc.conf",
                          "domains = ( { name = \"example.com\"; } );\nmailboxes = (\n@include \"boxes.conf\"\n);\n",
                          0644));
        mailacct_diags_init(&dg);
        assert_int_equal(mailacct_file_load(conf, &d, &dg, NULL), -EINVAL);
        assert_true(dg.errors > 0);
        assert_string_equal(dg.v[0].file, "boxes.conf");
        assert_int_equal(dg.v[0].line, 2);
        assert_non_null(strstr(dg.v[0].text, "duplicate address"));
        mailacct_diags_clear(&dg);
}

/* The file itself: missing, a folder, writable by others. */
static void test_file_checks(void **state)
{
        struct mailacct_diags dg;
        struct mailacct_dir *d = (struct mailacct_dir *)1;
        const char *p;

        (void)state;
        mailacct_diags_init(&dg);
        assert_int_equal(mailacct_file_load("/nonexistent/mailacct.conf", &d, &dg, NULL), -ENOENT);
        assert_null(d);
        assert_int_equal(dg.errors, 1);
        assert_string_equal(dg.v[0].file, "/nonexistent/mailacct.conf");
        assert_int_equal(dg.v[0].line, 0);
        mailacct_diags_clear(&dg);

        assert_true(mailacct_file_load(tu_tmpdir(), &d, &dg, NULL) < 0);
        assert_null(d);
        assert_non_null(strstr(dg.v[0].text, "regular"));
        mailacct_diags_clear(&dg);

        p = tu_write("open.conf", "domains = ( { name = \"example.com\"; } );\n", 0666);
        assert_int_equal(mailacct_file_load(p, &d, &dg, NULL), -EPERM);
        assert_null(d);
        assert_non_null(strstr(dg.v[0].text, "0666"));
        mailacct_diags_clear(&dg);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
        struct CMUnitTest *errs = calloc(N(error_cases), sizeof(*errs));
        struct CMUnitTest *warns = calloc(N(warning_cases), sizeof(*warns));
        const struct CMUnitTest misc[] = {
                cmocka_unit_test(test_large_ids),
                cmocka_unit_test(test_settings),
                cmocka_unit_test(test_order),
                cmocka_unit_test(test_included_mailboxes),
                cmocka_unit_test(test_file_checks),
        };
        int failed = 0;

        for (size_t i = 0; i < N(error_cases); i++)
                errs[i] = (struct CMUnitTest){ error_cases[i].name, run_error_case, NULL, NULL, (void *)&error_cases[i] };
        for (size_t i = 0; i < N(warning_cases); i++)
                warns[i] =
                        (struct CMUnitTest){ warning_cases[i].name, run_warning_case, NULL, NULL, (void *)&warning_cases[i] };
        failed += _cmocka_run_group_tests("config: errors with file and line", errs, N(error_cases), NULL, NULL);
        failed += _cmocka_run_group_tests("config: check warnings", warns, N(warning_cases), NULL, NULL);
        failed += cmocka_run_group_tests_name("config: misc", misc, NULL, NULL);
        free(errs);
        free(warns);
        tu_cleanup();
        return failed ? 1 : 0;
}
