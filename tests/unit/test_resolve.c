/* SPDX-License-Identifier: MIT */
/* The resolver against DESIGN.md rules 1-7 and the five seed articles, as
 * tables of named cases over small directories written here as configuration
 * files. Expected answers come from DESIGN.md, not from the program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static const char *domain_name(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_domain_view v;

        return mailacct_dir_domain(d, id, &v) == 0 ? v.name : "?";
}

struct rcase {
        const char *name;
        const char *login;
        enum mailacct_reason reason;
        const char *rule;      /* the rule that decided, NULL: not checked */
        const char *canonical; /* success: the canonical identity */
        const char *principal; /* success: address of who authenticates; NULL: the mailbox itself */
        const char *text[4];   /* substrings of r.message (failure) or r.why (success) */
        size_t n_candidates;   /* ambiguous: how many */
};

#define OK(n, l, rule, canon, ...) { n, l, MAILACCT_OK, rule, canon, NULL, { __VA_ARGS__ }, 0 }
#define OKP(n, l, canon, princ, ...) { n, l, MAILACCT_OK, "3", canon, princ, { __VA_ARGS__ }, 0 }
#define FAIL(n, l, reason, rule, ...) { n, l, reason, rule, NULL, NULL, { __VA_ARGS__ }, 0 }
#define AMBIG(n, l, rule, count, ...) { n, l, MAILACCT_AMBIGUOUS, rule, NULL, NULL, { __VA_ARGS__ }, count }

#define NOT_FOUND MAILACCT_NOT_FOUND
#define NOT_HOSTED MAILACCT_DOMAIN_NOT_HOSTED
#define CONTACT MAILACCT_CONTACT
#define NOT_DELEGATED MAILACCT_NOT_DELEGATED
#define INVALID MAILACCT_INVALID_LOGIN

/* ---------------------------------------------------------------------------
 * The seed directory: every form, every seed article, prefer-default-domain. */
static const char seeds_conf[] =
        "default_domain = \"example.com\";\n"
        "bare_alias = \"prefer-default-domain\";\n"
        "defaults = { uid = 5000; gid = 5000; };\n"
        "domains = (\n"
        "  { name = \"example.com\"; netbios = \"EXAMPLE\"; aliases = [ \"example.org\" ]; },\n"
        "  { name = \"site1.org.com\"; netbios = \"SITE1\"; },\n"
        "  { name = \"site2.org.com\"; netbios = \"SITE2\"; },\n"
        "  { name = \"plain.net\"; }\n"
        ");\n"
        "mailboxes = (\n"
        "  { address = \"jdoe@example.com\"; aliases = [ \"jdoe\", \"john.doe\" ];\n"
        "    addresses = [ \"john@example.com\", \"j.doe@example.org\" ]; nt_account = \"jdoe\";\n"
        "    delegates = [ \"EXAMPLE\\\\assistant\", \"boss@example.com\" ]; },\n"
        "  { address = \"assistant@example.com\"; aliases = [ \"assistant\" ]; nt_account = \"assistant\"; },\n"
        "  { address = \"boss@example.com\"; nt_account = \"bigboss\"; },\n"
        "  { address = \"intern@example.com\"; nt_account = \"intern\"; },\n"
        "  { address = \"mary@example.com\"; aliases = [ \"msmith\" ]; nt_account = \"OTHERDOM\\\\mary.smith\"; },\n"
        "  { address = \"js@example.com\"; nt_account = \"jsmith\"; },\n"
        "  { address = \"jsmith.alias@example.com\"; aliases = [ \"jsmith\" ]; },\n"
        "  { address = \"user@site1.org.com\"; aliases = [ \"user\" ]; },\n"
        "  { address = \"user@site2.org.com\"; aliases = [ \"user\" ]; },\n"
        "  { address = \"we*ird@example.com\"; aliases = [ \"we*ird\", \"100%\" ]; },\n"
        "  { address = \"(paren)@example.com\"; aliases = [ \"\\\"quoted\\\"\" ]; },\n"
        "  { address = \"sales@example.com\"; aliases = [ \"sales\" ]; },\n"
        "  { address = \"solo@plain.net\"; aliases = [ \"solo\" ]; },\n"
        "  { address = \"x@site1.org.com\"; aliases = [ \"twin\" ]; },\n"
        "  { address = \"y@site1.org.com\"; aliases = [ \"twin\" ]; }\n"
        ");\n"
        "contacts = (\n"
        "  { alias = \"partner\"; address = \"partner@elsewhere.net\"; },\n"
        "  { alias = \"sales\"; address = \"sales@reseller.example.net\"; },\n"
        "  { alias = \"jdoe\"; address = \"jdoe@elsewhere.net\"; }\n"
        ");\n";

static const struct rcase seeds_cases[] = {
        /* rule 1: local@domain */
        OK("rule 1: primary address", "jdoe@example.com", "1", "jdoe@example.com", "primary"),
        OK("rule 1: secondary address", "john@example.com", "1", "jdoe@example.com"),
        OK("rule 1: secondary address through the domain alias", "john@example.org", "1", "jdoe@example.com"),
        OK("rule 1: secondary written with the domain alias", "j.doe@example.com", "1", "jdoe@example.com"),
        OK("rule 1: alias@domain", "john.doe@example.com", "1", "jdoe@example.com", "alias"),
        OK("rule 1: primary through the domain alias", "jdoe@example.org", "1", "jdoe@example.com"),
        OK("rule 1: local part and domain fold", "JDOE@EXAMPLE.COM", "1", "jdoe@example.com"),
        OK("rule 1: domain without a NetBIOS name", "solo@plain.net", "1", "solo@plain.net"),
        FAIL("rule 1: alias of another domain is not found here", "user@example.com", NOT_FOUND, "1", "user",
             "example.com"),
        FAIL("rule 1: an NT account is not an address", "bigboss@example.com", NOT_FOUND, "1", "bigboss"),
        FAIL("rule 1: nothing by that name", "nobody@example.com", NOT_FOUND, "1", "\"nobody\"", "example.com"),
        FAIL("rule 1: domain not hosted", "jdoe@elsewhere.org", NOT_HOSTED, "1", "elsewhere.org", "not hosted"),
        FAIL("rule 1: a NetBIOS name is not a mail domain", "jdoe@EXAMPLE", NOT_HOSTED, "1", "NetBIOS",
             "EXAMPLE\\jdoe", "jdoe@example.com"),
        FAIL("rule 1: the domain alias of a subdomain is not hosted", "jdoe@sub.example.org", NOT_HOSTED, "1",
             "sub.example.org"),
        /* rule 2: DOMAIN\account */
        OK("rule 2: NT account", "EXAMPLE\\jdoe", "2", "jdoe@example.com", "NT account"),
        OK("rule 2: slash separates too", "EXAMPLE/jdoe", "2", "jdoe@example.com"),
        OK("rule 2: DOMAIN and account fold", "example\\JDOE", "2", "jdoe@example.com"),
        OK("rule 2: DNS name as DOMAIN", "example.com\\jdoe", "2", "jdoe@example.com"),
        OK("rule 2: domain alias as DOMAIN", "EXAMPLE.ORG\\jdoe", "2", "jdoe@example.com"),
        OK("rule 2: NT account differs from the alias", "EXAMPLE\\bigboss", "2", "boss@example.com", "NT account"),
        OK("rule 2: no NT account of that name, the alias", "EXAMPLE\\boss", "2", "boss@example.com", "alias"),
        OK("rule 2: a second alias", "EXAMPLE\\john.doe", "2", "jdoe@example.com", "alias"),
        OK("rule 2: NT account wins over another mailbox's alias", "EXAMPLE\\jsmith", "2", "js@example.com",
           "NT account"),
        OK("rule 2: NT account in another NT domain", "OTHERDOM\\mary.smith", "2", "mary@example.com"),
        OK("rule 2: other NT domain folds", "otherdom/MARY.SMITH", "2", "mary@example.com"),
        OK("rule 2: the mailbox's own domain reaches it by alias", "EXAMPLE\\msmith", "2", "mary@example.com"),
        FAIL("rule 2: NT account of OTHERDOM is not in EXAMPLE", "EXAMPLE\\mary.smith", NOT_FOUND, "2",
             "mary.smith", "example.com"),
        FAIL("rule 2: no alias fallback in a foreign NT domain", "OTHERDOM\\msmith", NOT_FOUND, "2",
             "OTHERDOM\\msmith"),
        FAIL("rule 2: unknown DOMAIN", "NOSUCH\\jdoe", NOT_HOSTED, "2", "NOSUCH"),
        FAIL("rule 2: known DOMAIN, unknown account", "SITE1\\jdoe", NOT_FOUND, "2", "site1.org.com", "jdoe"),
        AMBIG("rule 2: alias shared inside one domain", "SITE1\\twin", "2", 2, "x@site1.org.com",
              "y@site1.org.com"),
        /* rule 3: DOMAIN\account\alias */
        OKP("rule 3: delegate opens the mailbox", "EXAMPLE\\assistant\\jdoe", "jdoe@example.com",
            "assistant@example.com", "delegate"),
        OKP("rule 3: slashes", "EXAMPLE/assistant/jdoe", "jdoe@example.com", "assistant@example.com"),
        OKP("rule 3: third part is an address", "EXAMPLE\\assistant\\jdoe@example.com", "jdoe@example.com",
            "assistant@example.com"),
        OKP("rule 3: third part is a secondary address in the domain alias", "EXAMPLE\\assistant\\john@example.org",
            "jdoe@example.com", "assistant@example.com"),
        OKP("rule 3: delegate listed by address", "EXAMPLE\\bigboss\\john.doe", "jdoe@example.com",
            "boss@example.com"),
        OKP("rule 3: own mailbox", "EXAMPLE\\jdoe\\jdoe", "jdoe@example.com", NULL, "own"),
        OKP("rule 3: own mailbox through another NT domain", "OTHERDOM\\mary.smith\\msmith", "mary@example.com",
            NULL),
        FAIL("rule 3: delegation is not mutual", "EXAMPLE\\jdoe\\assistant", NOT_DELEGATED, "3",
             "jdoe@example.com", "assistant@example.com", "delegates"),
        FAIL("rule 3: not a delegate", "EXAMPLE\\intern\\jdoe", NOT_DELEGATED, "3", "intern@example.com",
             "jdoe@example.com"),
        FAIL("rule 3: unknown account part", "EXAMPLE\\nobody\\jdoe", NOT_FOUND, "2", "account part", "nobody"),
        FAIL("rule 3: unknown DOMAIN", "NOSUCH\\assistant\\jdoe", NOT_HOSTED, "2", "NOSUCH"),
        FAIL("rule 3: unknown mailbox part", "EXAMPLE\\assistant\\nobody", NOT_FOUND, NULL, "mailbox part",
             "nobody"),
        AMBIG("rule 3: third part ambiguous as if typed alone", "EXAMPLE\\assistant\\user", NULL, 2,
              "user@site1.org.com", "user@site2.org.com"),
        FAIL("rule 3: third part is a contact", "EXAMPLE\\assistant\\partner", CONTACT, NULL, "partner@elsewhere.net"),
        FAIL("rule 3: third part in a domain not hosted", "EXAMPLE\\assistant\\jdoe@elsewhere.org", NOT_HOSTED, NULL,
             "elsewhere.org"),
        /* rule 4: bare alias, prefer-default-domain */
        OK("rule 4: alias in the default domain", "jdoe", "4", "jdoe@example.com", "default domain"),
        OK("rule 4: alias folds", "John.Doe", "4", "jdoe@example.com"),
        OK("rule 4: local part of the primary address", "boss", "4", "boss@example.com"),
        OK("rule 4: unique outside the default domain", "solo", "4", "solo@plain.net", "any domain"),
        OK("rule 4: alias equal to another mailbox's NT account", "jsmith", "4", "jsmith.alias@example.com"),
        FAIL("rule 4: an NT account is not a bare alias", "bigboss", NOT_FOUND, "4", "bigboss"),
        FAIL("rule 4: a secondary address's local part is not a bare alias", "john", NOT_FOUND, "4", "john"),
        FAIL("rule 4: nothing by that name", "nobody", NOT_FOUND, "4", "\"nobody\""),
        AMBIG("rule 4: alias shared inside one domain", "twin", "4", 2, "x@site1.org.com", "y@site1.org.com"),
        /* rule 5: contacts */
        FAIL("rule 5: contact-only alias", "partner", CONTACT, "5", "partner", "partner@elsewhere.net",
             "not a mailbox"),
        FAIL("rule 5: contact address", "partner@elsewhere.net", CONTACT, "5", "partner"),
        FAIL("rule 5: contact address of a shadowed contact", "jdoe@elsewhere.net", CONTACT, "5"),
        FAIL("rule 5: contact alias in DOMAIN\\account", "EXAMPLE\\partner", CONTACT, "5", "partner@elsewhere.net"),
        OK("rule 5: mailbox wins over a contact of the same alias", "jdoe", "4", "jdoe@example.com"),
        OK("rule 5: mailbox wins in DOMAIN\\account", "EXAMPLE\\sales", "2", "sales@example.com"),
        /* rule 6: through the resolver */
        FAIL("rule 6: empty", "", INVALID, "6", "empty"),
        FAIL("rule 6: leading white space", " jdoe", INVALID, "6", "white space"),
        FAIL("rule 6: mixed forms", "EXAMPLE\\jdoe@example.com", INVALID, "6", "mixed"),
        FAIL("rule 6: control character", "jdoe\r\n", INVALID, "6", "control"),
        FAIL("rule 6: invalid UTF-8", "jdo\xe9", INVALID, "6", "UTF-8"),
        FAIL("rule 6: more than three parts", "A\\b\\c\\d", INVALID, "6", "three"),

        /* Q230373: the default domain and a domain that is not hosted */
        FAIL("Q230373: host name inside the hosted domain", "jdoe@mail1.example.com", NOT_HOSTED, "1",
             "mail1.example.com", "example.com", "jdoe@example.com"),
        FAIL("Q230373: address in a domain not hosted", "user@org.com", NOT_HOSTED, "1", "org.com"),
        /* Q198143: the same alias in two sites */
        AMBIG("Q198143: alias in two domains is ambiguous", "user", "4", 2, "user@site1.org.com",
              "user@site2.org.com", "SITE1\\user", "SITE2\\user"),
        OK("Q198143: SITE1\\user resolves", "SITE1\\user", "2", "user@site1.org.com"),
        OK("Q198143: SITE2/user resolves", "SITE2/user", "2", "user@site2.org.com"),
        OK("Q198143: user@site2.org.com resolves", "user@site2.org.com", "1", "user@site2.org.com"),
        OK("Q198143: user@site1.org.com resolves", "user@site1.org.com", "1", "user@site1.org.com"),
        OK("Q198143: DNS name as DOMAIN", "site1.org.com\\user", "2", "user@site1.org.com"),
        /* KB932605: '*' and '%' are plain characters */
        OK("KB932605: star in an alias", "we*ird", "4", "we*ird@example.com"),
        OK("KB932605: star folds like any name", "WE*IRD", "4", "we*ird@example.com"),
        OK("KB932605: percent in an alias", "100%", "4", "we*ird@example.com"),
        OK("KB932605: star in an address", "we*ird@example.com", "1", "we*ird@example.com"),
        OK("KB932605: star in DOMAIN\\account", "EXAMPLE\\we*ird", "2", "we*ird@example.com"),
        OK("KB932605: quotes are part of the alias", "\"quoted\"", "4", "(paren)@example.com"),
        OK("KB932605: parentheses in an address", "(paren)@example.com", "1", "(paren)@example.com"),
        OK("KB932605: parentheses in a bare alias", "(paren)", "4", "(paren)@example.com"),
        FAIL("KB932605: we* never matches we*ird", "we*", NOT_FOUND, "4", "we*"),
        FAIL("KB932605: star alone matches nothing", "*", NOT_FOUND, "4"),
        FAIL("KB932605: percent alone matches nothing", "%", NOT_FOUND, "4"),
        FAIL("KB932605: we% never matches we*ird", "we%", NOT_FOUND, "4"),
        FAIL("KB932605: 100* never matches 100%", "100*", NOT_FOUND, "4"),
        FAIL("KB932605: we*@domain never matches", "we*@example.com", NOT_FOUND, "1"),
        FAIL("KB932605: *@domain never matches", "*@example.com", NOT_FOUND, "1"),
        FAIL("KB932605: EXAMPLE\\* never matches", "EXAMPLE\\*", NOT_FOUND, "2"),
        FAIL("KB932605: alias without its quotes", "quoted", NOT_FOUND, "4"),
        /* Q198704: contacts, NT account vs alias, the three-part form */
        OK("Q198704: mailbox wins over the contact with its alias", "sales", "4", "sales@example.com"),
        OK("Q198704: mailbox address wins", "sales@example.com", "1", "sales@example.com"),
        FAIL("Q198704: contact-only alias is a contact", "partner", CONTACT, "5", "contact"),
        FAIL("Q198704: contact address is a contact", "sales@reseller.example.net", CONTACT, "5"),
        OK("Q198704: EXAMPLE\\jdoe matches the NT account", "EXAMPLE\\jdoe", "2", "jdoe@example.com", "NT account"),
        OK("Q198704: EXAMPLE\\boss matches the alias when no NT account does", "EXAMPLE\\boss", "2",
           "boss@example.com", "alias"),
        OKP("Q198704: NT Domain/NT Account/Alias", "EXAMPLE/assistant/jdoe", "jdoe@example.com",
            "assistant@example.com"),
        /* Q256221: every failure names what an administrator needs */
        FAIL("Q256221: not-found names the alias and the domain", "EXAMPLE\\ghost", NOT_FOUND, "2", "ghost",
             "example.com"),
        FAIL("Q256221: domain-not-hosted names the domain", "jdoe@nohost.test", NOT_HOSTED, "1", "nohost.test"),
        AMBIG("Q256221: ambiguous names every candidate and the forms that work", "user", "4", 2,
              "user@site1.org.com", "user@site2.org.com", "log in as"),
        FAIL("Q256221: contact names the contact and its address", "partner", CONTACT, "5", "partner",
             "partner@elsewhere.net"),
        FAIL("Q256221: not-delegated names both sides", "EXAMPLE\\intern\\jdoe", NOT_DELEGATED, "3",
             "EXAMPLE\\intern", "intern@example.com", "jdoe@example.com"),
        FAIL("Q256221: invalid-login says what is wrong", "jdoe ", INVALID, "6", "white space"),
};

/* ---------------------------------------------------------------------------
 * The three bare_alias policies over one set of mailboxes. */
#define POLICY_CONF(policy)                                                                                        \
        "default_domain = \"a.test\";\n"                                                                           \
        "bare_alias = \"" policy "\";\n"                                                                           \
        "defaults = { uid = 5000; gid = 5000; };\n"                                                                \
        "domains = ( { name = \"a.test\"; netbios = \"A\"; }, { name = \"b.test\"; netbios = \"B\"; },\n"          \
        "            { name = \"c.test\"; } );\n"                                                                  \
        "mailboxes = (\n"                                                                                          \
        "  { address = \"u1@a.test\"; aliases = [ \"user\", \"dup\" ]; },\n"                                       \
        "  { address = \"u2@b.test\"; aliases = [ \"user\", \"bonly\" ]; },\n"                                     \
        "  { address = \"u3@c.test\"; aliases = [ \"user\", \"bc\" ]; },\n"                                        \
        "  { address = \"u4@b.test\"; aliases = [ \"bc\" ]; },\n"                                                  \
        "  { address = \"u5@a.test\"; aliases = [ \"dup\" ]; }\n"                                                  \
        ");\n"                                                                                                     \
        "contacts = ( { alias = \"bonly\"; address = \"x@y.example\"; },\n"                                        \
        "             { alias = \"conly\"; address = \"c@y.example\"; } );\n"

static const char default_domain_conf[] = POLICY_CONF("default-domain");
static const char prefer_conf[] = POLICY_CONF("prefer-default-domain");
static const char unique_conf[] = POLICY_CONF("unique");

static const struct rcase default_domain_cases[] = {
        OK("default-domain: alias in the default domain", "user", "4", "u1@a.test"),
        FAIL("default-domain: alias only elsewhere is not found, not a contact", "bonly", NOT_FOUND, "4",
             "default domain", "u2@b.test", "address"),
        FAIL("default-domain: alias only elsewhere, twice", "bc", NOT_FOUND, "4", "u3@c.test", "u4@b.test"),
        FAIL("default-domain: local part elsewhere", "u2", NOT_FOUND, "4", "u2@b.test"),
        AMBIG("default-domain: two in the default domain", "dup", "4", 2, "u1@a.test", "u5@a.test"),
        FAIL("default-domain: contact", "conly", CONTACT, "5", "c@y.example"),
        FAIL("default-domain: nothing", "nobody", NOT_FOUND, "4", "\"nobody\"", "a.test"),
        OK("default-domain: addresses still work", "bonly@b.test", "1", "u2@b.test"),
        OK("default-domain: DOMAIN\\alias still works", "B\\bonly", "2", "u2@b.test"),
        OK("default-domain: DNS domain\\alias without NetBIOS", "c.test\\user", "2", "u3@c.test"),
};

static const struct rcase prefer_cases[] = {
        OK("prefer-default-domain: the default domain first", "user", "4", "u1@a.test", "default domain"),
        OK("prefer-default-domain: else unique anywhere", "bonly", "4", "u2@b.test", "any domain"),
        OK("prefer-default-domain: local part elsewhere", "u2", "4", "u2@b.test"),
        AMBIG("prefer-default-domain: two elsewhere", "bc", "4", 2, "u3@c.test", "u4@b.test", "B\\bc"),
        AMBIG("prefer-default-domain: two in the default domain", "dup", "4", 2, "u1@a.test", "u5@a.test"),
        FAIL("prefer-default-domain: contact", "conly", CONTACT, "5"),
        FAIL("prefer-default-domain: nothing", "nobody", NOT_FOUND, "4", "any domain"),
};

static const struct rcase unique_cases[] = {
        AMBIG("unique: the default domain has no priority", "user", "4", 3, "u1@a.test", "u2@b.test", "u3@c.test",
              "A\\user"),
        OK("unique: unique anywhere", "bonly", "4", "u2@b.test", "any domain"),
        OK("unique: local part", "u5", "4", "u5@a.test"),
        AMBIG("unique: two elsewhere", "bc", "4", 2, "u3@c.test", "u4@b.test"),
        AMBIG("unique: two in the default domain", "dup", "4", 2, "u1@a.test", "u5@a.test"),
        FAIL("unique: contact", "conly", CONTACT, "5"),
        OK("unique: address", "user@c.test", "1", "u3@c.test"),
};

/* No default_domain with several domains; and one domain, which is then the
 * default without being named. */
static const char no_default_conf[] = "bare_alias = \"default-domain\";\n"
                                      "defaults = { uid = 5000; gid = 5000; };\n"
                                      "domains = ( { name = \"a.test\"; }, { name = \"b.test\"; } );\n"
                                      "mailboxes = ( { address = \"ann@a.test\"; } );\n";
static const struct rcase no_default_cases[] = {
        FAIL("default-domain without default_domain resolves no bare alias", "ann", NOT_FOUND, "4",
             "default_domain"),
        OK("default-domain without default_domain: address", "ann@a.test", "1", "ann@a.test"),
};

static const char no_default_prefer_conf[] = "defaults = { uid = 5000; gid = 5000; };\n"
                                             "domains = ( { name = \"a.test\"; }, { name = \"b.test\"; } );\n"
                                             "mailboxes = ( { address = \"ann@a.test\"; },\n"
                                             "              { address = \"ann@b.test\"; },\n"
                                             "              { address = \"bob@b.test\"; } );\n";
static const struct rcase no_default_prefer_cases[] = {
        OK("prefer without default_domain: unique anywhere", "bob", "4", "bob@b.test"),
        AMBIG("prefer without default_domain: two anywhere", "ann", "4", 2, "ann@a.test", "ann@b.test"),
};

static const char single_domain_conf[] = "bare_alias = \"default-domain\";\n"
                                         "defaults = { uid = 5000; gid = 5000; };\n"
                                         "domains = ( { name = \"only.test\"; } );\n"
                                         "mailboxes = ( { address = \"ann@only.test\"; aliases = [ \"a\" ]; } );\n";
static const struct rcase single_domain_cases[] = {
        OK("one domain is the default domain", "a", "4", "ann@only.test"),
};

/* ---------------------------------------------------------------------------
 * Case: folding by default; case_sensitive = true for local parts only. */
static const char case_sensitive_conf[] =
        "case_sensitive = true;\n"
        "defaults = { uid = 5000; gid = 5000; };\n"
        "domains = ( { name = \"Example.com\"; netbios = \"EXAMPLE\"; } );\n"
        "mailboxes = (\n"
        "  { address = \"JDoe@Example.com\"; aliases = [ \"JD\" ]; nt_account = \"JDoe\"; },\n"
        "  { address = \"jdoe@example.com\"; }\n"
        ");\n"
        "contacts = ( { alias = \"Partner\"; address = \"p@elsewhere.test\"; } );\n";
static const struct rcase case_sensitive_cases[] = {
        OK("case_sensitive: exact alias", "JDoe", "4", "JDoe@Example.com"),
        OK("case_sensitive: the other mailbox", "jdoe", "4", "jdoe@example.com"),
        FAIL("case_sensitive: other case is another name", "JDOE", NOT_FOUND, "4"),
        OK("case_sensitive: alias", "JD", "4", "JDoe@Example.com"),
        FAIL("case_sensitive: alias in other case", "jd", NOT_FOUND, "4"),
        OK("case_sensitive: domains still fold", "JDoe@EXAMPLE.COM", "1", "JDoe@Example.com"),
        OK("case_sensitive: domains still fold, other mailbox", "jdoe@Example.Com", "1", "jdoe@example.com"),
        FAIL("case_sensitive: local part in other case", "JDOE@example.com", NOT_FOUND, "1"),
        OK("case_sensitive: NT account", "EXAMPLE\\JDoe", "2", "JDoe@Example.com", "NT account"),
        OK("case_sensitive: NetBIOS folds", "example\\JDoe", "2", "JDoe@Example.com"),
        OK("case_sensitive: alias after the NT account", "EXAMPLE\\jdoe", "2", "jdoe@example.com", "alias"),
        FAIL("case_sensitive: NT account in other case", "EXAMPLE\\JDOE", NOT_FOUND, "2"),
        FAIL("case_sensitive: contact alias is exact too", "partner", NOT_FOUND, "4"),
        FAIL("case_sensitive: contact alias", "Partner", CONTACT, "5"),
};

static const char case_folding_conf[] = "defaults = { uid = 5000; gid = 5000; };\n"
                                        "domains = ( { name = \"Example.com\"; netbios = \"Example\"; } );\n"
                                        "mailboxes = ( { address = \"JDoe@Example.com\";\n"
                                        "                aliases = [ \"JD\", \"j\xc3\xa4\" ]; } );\n";
static const struct rcase case_folding_cases[] = {
        OK("case folding: bare", "jdoe", "4", "JDoe@Example.com"),
        OK("case folding: alias", "jD", "4", "JDoe@Example.com"),
        OK("case folding: address", "JDOE@EXAMPLE.COM", "1", "JDoe@Example.com"),
        OK("case folding: NetBIOS and alias", "EXAMPLE\\jd", "2", "JDoe@Example.com"),
        /* ASCII only: no locale-dependent mapping of other letters */
        OK("case folding: ASCII letters next to others", "J\xc3\xa4", "4", "JDoe@Example.com"),
        FAIL("case folding is ASCII only", "J\xc3\x84", NOT_FOUND, "4"),
};

/* ---------------------------------------------------------------------------
 * Rule 7: canonical formats. */
static const char canon_local_conf[] = "canonical = \"local\";\n"
                                       "defaults = { uid = 5000; gid = 5000; };\n"
                                       "domains = ( { name = \"example.com\"; netbios = \"EXAMPLE\"; },\n"
                                       "            { name = \"other.test\"; } );\n"
                                       "mailboxes = ( { address = \"jdoe@example.com\"; aliases = [ \"jd\" ]; },\n"
                                       "              { address = \"ann@other.test\"; } );\n";
static const struct rcase canon_local_cases[] = {
        OK("canonical local: address", "jdoe@example.com", "1", "jdoe"),
        OK("canonical local: NT form", "EXAMPLE\\jd", "2", "jdoe"),
        OK("canonical local: bare", "JD", "4", "jdoe"),
        OK("canonical local: other domain", "ann@other.test", "1", "ann"),
};

static const char canon_netbios_conf[] =
        "canonical = \"netbios\";\n"
        "default_domain = \"example.com\";\n"
        "defaults = { uid = 5000; gid = 5000; };\n"
        "domains = ( { name = \"example.com\"; netbios = \"EXAMPLE\"; }, { name = \"plain.net\"; },\n"
        "            { name = \"site1.com\"; netbios = \"SITE1\"; } );\n"
        "mailboxes = (\n"
        "  { address = \"jdoe@example.com\"; aliases = [ \"jd\" ]; nt_account = \"jdoe.nt\"; },\n"
        "  { address = \"nont@example.com\"; },\n"
        "  { address = \"mary@example.com\"; nt_account = \"OTHERDOM\\\\mary.smith\"; },\n"
        "  { address = \"p@plain.net\"; nt_account = \"pp\"; },\n"
        "  { address = \"q@plain.net\"; },\n"
        "  { address = \"r@plain.net\"; nt_account = \"example.com\\\\rr\"; },\n"
        "  { address = \"s@site1.com\"; nt_account = \"site1\\\\ss\"; }\n"
        ");\n";
static const struct rcase canon_netbios_cases[] = {
        OK("canonical netbios: NT account, from the address", "jdoe@example.com", "1", "EXAMPLE\\jdoe.nt"),
        OK("canonical netbios: NT account, from the NT form", "EXAMPLE\\jdoe.nt", "2", "EXAMPLE\\jdoe.nt"),
        OK("canonical netbios: NT account, from the bare alias", "jd", "4", "EXAMPLE\\jdoe.nt"),
        OK("canonical netbios: no NT account, NetBIOS name and local part", "nont@example.com", "1",
           "EXAMPLE\\nont"),
        OK("canonical netbios: NT account with OTHERDOM", "mary", "4", "OTHERDOM\\mary.smith"),
        OK("canonical netbios: NT account with OTHERDOM, NT form", "otherdom\\mary.smith", "2",
           "OTHERDOM\\mary.smith"),
        OK("canonical netbios: no NetBIOS name, the address", "p@plain.net", "1", "p@plain.net"),
        OK("canonical netbios: no NetBIOS name, no NT account", "q", "4", "q@plain.net"),
        OK("canonical netbios: NT domain written as a DNS name", "r@plain.net", "1", "EXAMPLE\\rr"),
        OK("canonical netbios: NT domain in another case", "s@site1.com", "1", "SITE1\\ss"),
        OK("canonical netbios: NT account in another hosted domain", "EXAMPLE\\rr", "2", "EXAMPLE\\rr"),
};

/* ---------------------------------------------------------------------------
 * Running the tables. */
struct dir_table {
        const char *name;
        const char *conf;
        const struct rcase *cases;
        size_t n;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TABLE(name, conf, cases) { name, conf, cases, N(cases) }

static const struct dir_table tables[] = {
        TABLE("resolve: seeds directory", seeds_conf, seeds_cases),
        TABLE("resolve: bare_alias = default-domain", default_domain_conf, default_domain_cases),
        TABLE("resolve: bare_alias = prefer-default-domain", prefer_conf, prefer_cases),
        TABLE("resolve: bare_alias = unique", unique_conf, unique_cases),
        TABLE("resolve: no default_domain, default-domain", no_default_conf, no_default_cases),
        TABLE("resolve: no default_domain, prefer-default-domain", no_default_prefer_conf, no_default_prefer_cases),
        TABLE("resolve: one domain", single_domain_conf, single_domain_cases),
        TABLE("resolve: case_sensitive = true", case_sensitive_conf, case_sensitive_cases),
        TABLE("resolve: case folding", case_folding_conf, case_folding_cases),
        TABLE("resolve: canonical = local", canon_local_conf, canon_local_cases),
        TABLE("resolve: canonical = netbios", canon_netbios_conf, canon_netbios_cases),
};

static const struct dir_table *cur_table;
static struct mailacct_dir *cur_dir;

static int load_table(void **state)
{
        (void)state;
        if (tu_load("resolve.conf", cur_table->conf, &cur_dir, NULL) < 0) {
                fprintf(stderr, "%s: the directory does not load\n", cur_table->name);
                return -1;
        }
        return 0;
}

static int free_table(void **state)
{
        (void)state;
        mailacct_dir_free(cur_dir);
        cur_dir = NULL;
        return 0;
}

static void run_case(void **state)
{
        const struct rcase *c = *state;
        const struct mailacct_dir *d = cur_dir;
        struct mailacct_result r;
        int ret = mailacct_resolve(d, c->login, &r);
        const char *text = r.reason == MAILACCT_OK ? r.why : r.message;

        if (r.reason != c->reason)
                fail_msg("\"%s\": %s (%s), expected %s", c->login, mailacct_reason_name(r.reason),
                         r.reason ? r.message : r.canonical, mailacct_reason_name(c->reason));
        assert_int_equal(ret, c->reason == MAILACCT_OK ? 0 : -ENOENT);
        if (c->rule)
                assert_string_equal(r.rule, c->rule);
        for (size_t i = 0; i < N(c->text) && c->text[i]; i++)
                if (!strstr(text, c->text[i]))
                        fail_msg("\"%s\": \"%s\" does not mention \"%s\"", c->login, text, c->text[i]);
        if (c->reason == MAILACCT_OK) {
                uint32_t want = c->principal ? tu_mailbox(d, c->principal) : r.mailbox;
                assert_int_not_equal(r.mailbox, MAILACCT_NONE);
                assert_string_equal(r.canonical, c->canonical);
                assert_int_equal(r.principal, want);
                assert_true(r.why[0] != '\0');
                /* the mailbox is the only candidate left */
                assert_int_equal(r.n_candidates, 1);
                assert_int_equal(r.candidates[0], r.mailbox);
                return;
        }
        /* Q256221: every failure carries one named reason and a message */
        assert_int_equal(r.mailbox, MAILACCT_NONE);
        assert_string_not_equal(mailacct_reason_name(r.reason), "unknown");
        assert_true(strlen(r.message) > 10);
        assert_string_equal(r.canonical, "");
        if (c->reason == MAILACCT_AMBIGUOUS) {
                assert_int_equal(r.n_candidates, c->n_candidates);
                /* each candidate is named, with a form that reaches it alone */
                for (size_t i = 0; i < r.n_candidates; i++) {
                        const char *addr = mailacct_dir_address(d, r.candidates[i]);
                        struct mailacct_result alone;
                        assert_non_null(strstr(r.message, addr));
                        assert_int_equal(mailacct_resolve(d, addr, &alone), 0);
                        assert_int_equal(alone.mailbox, r.candidates[i]);
                }
        }
}

/* A form offered by an ambiguity message must itself resolve to one mailbox:
 * the message of "dup"/"twin" never suggests the DOMAIN\alias that is just as
 * ambiguous (and asking for it once crashed the resolver by recursion). */
static void test_ambiguous_offers_only_working_forms(void **state)
{
        struct mailacct_dir *d;
        struct mailacct_result r, probe;
        const char *logins[] = { "dup", "A\\dup", "dup@a.test", "user", "bc" };

        (void)state;
        assert_int_equal(tu_load("offers.conf", unique_conf, &d, NULL), 0);
        for (size_t i = 0; i < N(logins); i++) {
                char *msg, *p, *tok;
                assert_int_equal(mailacct_resolve(d, logins[i], &r), -ENOENT);
                assert_int_equal(r.reason, MAILACCT_AMBIGUOUS);
                p = strstr(r.message, "log in as ");
                assert_non_null(p);
                msg = strdup(p + strlen("log in as "));
                /* "A\user or u1@a.test, or as B\user or u2@b.test, ..." */
                for (tok = strtok(msg, " ,"); tok; tok = strtok(NULL, " ,")) {
                        if (strcmp(tok, "or") == 0 || strcmp(tok, "as") == 0)
                                continue;
                        if (mailacct_resolve(d, tok, &probe) != 0)
                                fail_msg("\"%s\" suggests \"%s\", which gives %s", logins[i], tok,
                                         mailacct_reason_name(probe.reason));
                }
                free(msg);
                assert_null(strstr(r.message, "A\\dup"));
        }
        mailacct_dir_free(d);
}

/* The result says which domain the login named. */
static void test_result_domain(void **state)
{
        struct mailacct_dir *d;
        struct mailacct_result r;

        (void)state;
        assert_int_equal(tu_load("domain.conf", seeds_conf, &d, NULL), 0);
        assert_int_equal(mailacct_resolve(d, "jdoe@example.org", &r), 0);
        assert_string_equal(domain_name(d, r.domain), "example.com");
        assert_int_equal(r.form, MAILACCT_FORM_ADDRESS);
        assert_int_equal(mailacct_resolve(d, "SITE2\\user", &r), 0);
        assert_string_equal(domain_name(d, r.domain), "site2.org.com");
        assert_int_equal(r.form, MAILACCT_FORM_NTACCOUNT);
        assert_int_equal(mailacct_resolve(d, "EXAMPLE\\assistant\\jdoe", &r), 0);
        assert_int_equal(r.form, MAILACCT_FORM_DELEGATE);
        assert_int_equal(mailacct_resolve(d, "jdoe@nowhere.test", &r), -ENOENT);
        assert_int_equal(r.domain, MAILACCT_NONE);
        assert_int_equal(mailacct_resolve(d, "jdoe", &r), 0);
        assert_int_equal(r.form, MAILACCT_FORM_BARE);
        mailacct_dir_free(d);
}

/* More candidates than the result holds: the count is capped, the message
 * says how many more there are. */
static void test_many_candidates(void **state)
{
        char conf[16384], *p = conf;
        struct mailacct_dir *d;
        struct mailacct_result r;

        (void)state;
        p += sprintf(p, "bare_alias = \"unique\";\ndefaults = { uid = 5000; gid = 5000; };\n"
                        "domains = ( { name = \"a.test\"; } );\nmailboxes = (\n");
        for (int i = 0; i < 40; i++)
                p += sprintf(p, "  { address = \"m%d@a.test\"; aliases = [ \"crowd\" ]; }%s\n", i, i < 39 ? "," : "");
        sprintf(p, ");\n");
        assert_int_equal(tu_load("many.conf", conf, &d, NULL), 0);
        assert_int_equal(mailacct_resolve(d, "crowd", &r), -ENOENT);
        assert_int_equal(r.reason, MAILACCT_AMBIGUOUS);
        assert_int_equal(r.n_candidates, MAILACCT_MAX_CANDIDATES);
        assert_non_null(strstr(r.message, "and 24 more"));
        mailacct_dir_free(d);
}

static void test_reason_names(void **state)
{
        static const char *const names[] = { "ok", "invalid-login", "domain-not-hosted", "not-found",
                                             "ambiguous", "contact", "not-delegated", "unavailable" };
        (void)state;
        assert_int_equal(N(names), _MAILACCT_REASON_MAX);
        for (int i = 0; i < _MAILACCT_REASON_MAX; i++)
                assert_string_equal(mailacct_reason_name((enum mailacct_reason)i), names[i]);
        assert_string_equal(mailacct_reason_name(_MAILACCT_REASON_MAX), "unknown");
}

int main(void)
{
        const struct CMUnitTest misc[] = {
                cmocka_unit_test(test_ambiguous_offers_only_working_forms),
                cmocka_unit_test(test_result_domain),
                cmocka_unit_test(test_many_candidates),
                cmocka_unit_test(test_reason_names),
        };
        int failed = 0;

        for (size_t t = 0; t < N(tables); t++) {
                struct CMUnitTest *tests = calloc(tables[t].n, sizeof(*tests));
                for (size_t i = 0; i < tables[t].n; i++)
                        tests[i] = (struct CMUnitTest){ tables[t].cases[i].name, run_case, NULL, NULL,
                                                        (void *)&tables[t].cases[i] };
                cur_table = &tables[t];
                failed += _cmocka_run_group_tests(tables[t].name, tests, tables[t].n, load_table, free_table);
                free(tests);
        }
        failed += cmocka_run_group_tests_name("resolve: misc", misc, NULL, NULL);
        tu_cleanup();
        return failed ? 1 : 0;
}
