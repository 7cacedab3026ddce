/* SPDX-License-Identifier: MIT */
/* The directory's entries to mailboxes and contacts (source/ldap/map.h), by
 * the rules of the sync issue: schema "ad" (proxyAddresses, UPN, mailNickname
 * else sAMAccountName, the NT account from the DN's DC= parts and the file's
 * netbios or the crossRef's, userAccountControl, protocolSettings,
 * msExchDelegateListLink), schema "openldap" (mail exactly one,
 * mailLocalAddress, uid, displayName else cn, pwdAccountLockedTime), `map`,
 * and hostile values (NUL, invalid UTF-8, control characters, too many,
 * too long, ranged). A table of entries and what each must give. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "../lib/ldap_entry.h"
#include "map.h"

/* ---- the file's domains, as the builder would answer ---------------------- */

static bool hosts(void *ctx, const char *domain)
{
        (void)ctx;
        return strcasecmp(domain, "example.com") == 0 || strcasecmp(domain, "example.org") == 0;
}

static const char *netbios(void *ctx, const char *dns)
{
        (void)ctx;
        if (strcasecmp(dns, "example.com") == 0)
                return "EXAMPLE"; /* the file's */
        if (strcasecmp(dns, "corp.example.com") == 0)
                return "CORP"; /* a crossRef's */
        return NULL;
}

static const struct mailacct_ldap_env env = {.hosts = hosts, .netbios = netbios};

struct mcase {
        const char *name;
        const char *entry;
        size_t len; /* 0: strlen */
        int want;   /* 0 mapped, 1 left out */
        const char *why;     /* left out: a part of the reason */
        const char *address; /* mapped: the primary (mailbox) or the contact's address */
        const char *aliases; /* "a,b" in order, "" none */
        const char *addresses;
        const char *nt;
        const char *name_;
        int enabled; /* -1: do not check */
        const char *services; /* NULL: no list */
        const char *delegates;
        const char *upn;
        long uid; /* -1: none */
        const char *home;
};

#define NUL_AT(s) s, sizeof(s) - 1

static const struct mcase ad_cases[] = {
        {"primary from SMTP:, others from smtp:, UPN hosted is a login address",
         "CN=John Doe,OU=Users,DC=example,DC=com\n"
         "proxyAddresses: smtp:john@example.org\nproxyAddresses: SMTP:John.Doe@example.com\n"
         "proxyAddresses: X500:/o=Org/ou=Site/cn=jdoe\nproxyAddresses: sip:jdoe@example.com\n"
         "mail: ignored@example.com\nuserPrincipalName: jdoe@example.com\nmailNickname: jdoe\n"
         "sAMAccountName: jdoe\ndisplayName: John Doe\nuserAccountControl: 512\n",
         0, 0, NULL, "John.Doe@example.com", "jdoe", "john@example.org,jdoe@example.com", "EXAMPLE\\jdoe",
         "John Doe", 1, NULL, "", "jdoe@example.com", -1, NULL},
        {"no SMTP: value: mail is the primary", "CN=A,DC=example,DC=com\nmail: a@example.com\nsAMAccountName: a1\n", 0,
         0, NULL, "a@example.com", "a1", "", "EXAMPLE\\a1", NULL, 1, NULL, "", NULL, -1, NULL},
        {"UPN in a domain not hosted: kept, not a login",
         "CN=B,DC=example,DC=com\nproxyAddresses: SMTP:b@example.com\nuserPrincipalName: b@corp.local\n"
         "sAMAccountName: b\n",
         0, 0, NULL, "b@example.com", "b", "", "EXAMPLE\\b", NULL, 1, NULL, "", "b@corp.local", -1, NULL},
        {"UPN equal to the primary is no second address",
         "CN=B,DC=example,DC=com\nproxyAddresses: SMTP:b@example.com\nuserPrincipalName: B@Example.com\n", 0, 0,
         NULL, "b@example.com", "", "", NULL, NULL, 1, NULL, "", "B@Example.com", -1, NULL},
        {"NT account in the DN's AD domain, not the mail domain (crossRef's name)",
         "CN=C,OU=Staff,DC=corp,DC=example,DC=com\nproxyAddresses: SMTP:c@example.com\nsAMAccountName: cc\n", 0, 0,
         NULL, "c@example.com", "cc", "", "CORP\\cc", NULL, 1, NULL, "", NULL, -1, NULL},
        {"an AD domain without a NetBIOS name: its DNS name",
         "CN=D,DC=emea,DC=example,DC=net\nproxyAddresses: SMTP:d@example.com\nsAMAccountName: d\n", 0, 0, NULL,
         "d@example.com", "d", "", "emea.example.net\\d", NULL, 1, NULL, "", NULL, -1, NULL},
        {"DC parts in any case and with spaces", "cn=E, dc=Example , DC=COM\nmail: e@example.com\nsAMAccountName: e\n",
         0, 0, NULL, "e@example.com", "e", "", "EXAMPLE\\e", NULL, 1, NULL, "", NULL, -1, NULL},
        {"disabled: userAccountControl bit 0x2",
         "CN=F,DC=example,DC=com\nmail: f@example.com\nuserAccountControl: 514\n", 0, 0, NULL, "f@example.com", "",
         "", NULL, NULL, 0, NULL, "", NULL, -1, NULL},
        {"userAccountControl as AD sends a high bit: negative",
         "CN=F,DC=example,DC=com\nmail: f@example.com\nuserAccountControl: -2147483646\n", 0, 0, NULL,
         "f@example.com", "", "", NULL, NULL, 0, NULL, "", NULL, -1, NULL},
        {"userAccountControl that is no number: never enabled by guess",
         "CN=F,DC=example,DC=com\nmail: f@example.com\nuserAccountControl: lots\n", 0, 1, "userAccountControl"},
        {"protocolSettings: IMAP4 off, POP3 on, HTTP ignored",
         "CN=G,DC=example,DC=com\nmail: g@example.com\nprotocolSettings: IMAP4\xc2\xa7"
         "0\xc2\xa7"
         "1\xc2\xa7"
         "4\nprotocolSettings: POP3\xc2\xa7"
         "1\xc2\xa7"
         "1\nprotocolSettings: HTTP\xc2\xa7"
         "0\xc2\xa7"
         "1\n",
         0, 0, NULL, "g@example.com", "", "", NULL, NULL, 1, "pop3,smtp,sieve", "", NULL, -1, NULL},
        {"protocolSettings all on: no list (every service)",
         "CN=G,DC=example,DC=com\nmail: g@example.com\nprotocolSettings: POP3\xc2\xa7"
         "1\n",
         0, 0, NULL, "g@example.com", "", "", NULL, NULL, 1, NULL, "", NULL, -1, NULL},
        {"delegates are DNs", "CN=H,DC=example,DC=com\nmail: h@example.com\nmsExchDelegateListLink: CN=Assistant,DC=example,DC=com\n",
         0, 0, NULL, "h@example.com", "", "", NULL, NULL, 1, NULL, "CN=Assistant,DC=example,DC=com", NULL, -1, NULL},
        {"uid, gid, home, shell from RFC 2307",
         "CN=I,DC=example,DC=com\nmail: i@example.com\nuidNumber: 10001\ngidNumber: 100\n"
         "unixHomeDirectory: /home/i\nloginShell: /bin/sh\n",
         0, 0, NULL, "i@example.com", "", "", NULL, NULL, 1, NULL, "", NULL, 10001, "/home/i"},
        {"two SMTP: primaries", "CN=J,DC=example,DC=com\nproxyAddresses: SMTP:a@example.com\nproxyAddresses: SMTP:b@example.com\n",
         0, 1, "two primary addresses"},
        {"no address at all", "CN=K,DC=example,DC=com\nproxyAddresses: X500:/o=x\nsAMAccountName: k\n", 0, 1,
         "no address"},
        {"uidNumber out of range", "CN=L,DC=example,DC=com\nmail: l@example.com\nuidNumber: 4294967295\n", 0, 1,
         "out of range"},
        {"uidNumber with a sign", "CN=L,DC=example,DC=com\nmail: l@example.com\nuidNumber: -1\n", 0, 1, "not a number"},
        {"a NUL byte in a value", NUL_AT("CN=M,DC=example,DC=com\nmail: m@example.com\ndisplayName: M\0evil\n"), 1,
         "NUL"},
        {"a NUL byte in the address (never cut short)",
         NUL_AT("CN=M,DC=example,DC=com\nmail: m@example.com\0@evil.test\n"), 1, "NUL"},
        {"invalid UTF-8", "CN=N,DC=example,DC=com\nmail: n@example.com\ndisplayName: \xff\xfe\n", 0, 1, "UTF-8"},
        {"a control character", "CN=N,DC=example,DC=com\nmail: n@example.com\ndisplayName: a\x1b[31m\n", 0, 1,
         "control"},
        {"a ranged attribute (part of a long list)",
         "CN=O,DC=example,DC=com\nmail: o@example.com\nproxyAddresses;range=0-1499: smtp:o1@example.com\n", 0, 1,
         "more values than the server sends"},
        {"a language tag is another attribute",
         "CN=O,DC=example,DC=com\nmail: o@example.com\ndisplayName;lang-de: Otto\n", 0, 0, NULL, "o@example.com",
         "", "", NULL, NULL, 1, NULL, "", NULL, -1, NULL},
        {"mailNickname with two values is two aliases",
         "CN=P,DC=example,DC=com\nmail: p@example.com\nmailNickname: p1\nmailNickname: p2\nsAMAccountName: psam\n", 0,
         0, NULL, "p@example.com", "p1,p2", "", "EXAMPLE\\psam", NULL, 1, NULL, "", NULL, -1, NULL},
        {"a DN without DC= parts and an account", "CN=Q,O=Example\nmail: q@example.com\nsAMAccountName: q\n", 0, 1,
         "no AD domain"},
        {"contact: targetAddress SMTP:, alias mailNickname",
         "CN=Partner,OU=Contacts,DC=example,DC=com\nkind: contact\ntargetAddress: SMTP:partner@elsewhere.net\n"
         "mail: other@elsewhere.net\nmailNickname: partner\ncn: Partner\n",
         0, 0, NULL, "partner@elsewhere.net", "partner"},
        {"contact: mail and cn when the others are absent",
         "CN=Vendor,DC=example,DC=com\nkind: contact\nmail: v@vendor.test\ncn: Vendor\n", 0, 0, NULL,
         "v@vendor.test", "Vendor"},
        {"contact without alias or cn", "CN=X,DC=example,DC=com\nkind: contact\nmail: x@vendor.test\n", 0, 1,
         "contact without"},
};

static const struct mcase openldap_cases[] = {
        {"mail, mailLocalAddress, uid values, displayName",
         "uid=jdoe,ou=people,dc=example,dc=com\nmail: jdoe@example.com\nmailLocalAddress: john@example.org\n"
         "mailLocalAddress: jdoe@example.com\nuid: jdoe\nuid: john.doe\ncn: John\ndisplayName: John Doe\n"
         "uidNumber: 5001\nhomeDirectory: /var/mail/jdoe\n",
         0, 0, NULL, "jdoe@example.com", "jdoe,john.doe", "john@example.org", NULL, "John Doe", 1, NULL, "", NULL,
         5001, "/var/mail/jdoe"},
        {"cn when no displayName", "uid=a,dc=example,dc=com\nmail: a@example.com\ncn: Alice\nuid: a\n", 0, 0, NULL,
         "a@example.com", "a", "", NULL, "Alice", 1, NULL, "", NULL, -1, NULL},
        {"two mail values: left out", "uid=b,dc=example,dc=com\nmail: b@example.com\nmail: b2@example.com\n", 0, 1,
         "one expected"},
        {"locked by ppolicy: disabled",
         "uid=c,dc=example,dc=com\nmail: c@example.com\npwdAccountLockedTime: 000001010000Z\n", 0, 0, NULL,
         "c@example.com", "", "", NULL, NULL, 0, NULL, "", NULL, -1, NULL},
        {"no NT account, no UPN, no services, no delegates",
         "uid=d,dc=example,dc=com\nmail: d@example.com\nsAMAccountName: d\nuserPrincipalName: d@example.org\n"
         "protocolSettings: IMAP4\xc2\xa7"
         "0\nmsExchDelegateListLink: uid=x,dc=example,dc=com\n",
         0, 0, NULL, "d@example.com", "", "", NULL, NULL, 1, NULL, "", NULL, -1, NULL},
};

static void check_list(const struct mailacct_values *v, const char *want, const char *what, const char *name)
{
        char got[2048] = "";

        for (size_t i = 0; i < v->n; i++)
                snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "", v->v[i]);
        if (strcmp(got, want) != 0)
                fail_msg("%s: %s are \"%s\", want \"%s\"", name, what, got, want);
}

static void run_cases(const struct mailacct_ldap_conf *conf, const struct mcase *cases, size_t n)
{
        struct mailacct_ldap_mapper *m = mailacct_ldap_mapper_new(conf);
        static struct tl_entry t;

        assert_non_null(m);
        for (size_t i = 0; i < n; i++) {
                const struct mcase *c = &cases[i];
                struct mailacct_ldap_mapped out;
                const char *why;
                int r;

                tl_entry_parse(c->entry, c->len ? c->len : strlen(c->entry), &t);
                r = mailacct_ldap_map(m, &t.e, &env, &out, &why);
                if (r != c->want)
                        fail_msg("%s: mapped %d, want %d (%s)", c->name, r, c->want, why ? why : "");
                if (r == 1) {
                        if (!why || !strstr(why, c->why))
                                fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, why ? why : "", c->why);
                        continue;
                }
                if (out.kind == MAILACCT_LDAP_CONTACT) {
                        assert_string_equal(out.contact.address, c->address);
                        assert_string_equal(out.contact.alias, c->aliases);
                        assert_string_equal(out.contact.origin.dn, t.e.dn);
                        continue;
                }
                if (strcmp(out.mailbox.address, c->address) != 0)
                        fail_msg("%s: address %s, want %s", c->name, out.mailbox.address, c->address);
                assert_string_equal(out.mailbox.dn, t.e.dn);
                check_list(&out.mailbox.aliases, c->aliases, "aliases", c->name);
                check_list(&out.mailbox.addresses, c->addresses, "addresses", c->name);
                check_list(&out.mailbox.delegate_dns, c->delegates, "delegate DNs", c->name);
                if ((c->nt == NULL) != (out.mailbox.nt_account == NULL) ||
                    (c->nt && strcmp(c->nt, out.mailbox.nt_account) != 0))
                        fail_msg("%s: NT account %s, want %s", c->name,
                                 out.mailbox.nt_account ? out.mailbox.nt_account : "(none)", c->nt ? c->nt : "(none)");
                if (c->name_)
                        assert_string_equal(out.mailbox.name, c->name_);
                if (c->enabled >= 0 && out.mailbox.enabled != (c->enabled == 1))
                        fail_msg("%s: enabled %d, want %d", c->name, out.mailbox.enabled, c->enabled);
                if (c->services) {
                        if (!out.mailbox.has_services)
                                fail_msg("%s: no services list, want %s", c->name, c->services);
                        check_list(&out.mailbox.services, c->services, "services", c->name);
                } else if (out.mailbox.has_services)
                        fail_msg("%s: a services list, want none", c->name);
                if ((c->upn == NULL) != (out.mailbox.upn == NULL) || (c->upn && strcmp(c->upn, out.mailbox.upn) != 0))
                        fail_msg("%s: UPN %s, want %s", c->name, out.mailbox.upn ? out.mailbox.upn : "(none)",
                                 c->upn ? c->upn : "(none)");
                if ((c->uid >= 0) != out.mailbox.has_uid || (c->uid >= 0 && (long)out.mailbox.uid != c->uid))
                        fail_msg("%s: uid %d/%u, want %ld", c->name, out.mailbox.has_uid, (unsigned)out.mailbox.uid,
                                 c->uid);
                if (c->home)
                        assert_string_equal(out.mailbox.home, c->home);
        }
        mailacct_ldap_mapper_free(m);
}

static void test_ad(void **state)
{
        struct mailacct_ldap_conf c;

        (void)state;
        mailacct_ldap_conf_init(&c);
        c.schema = MAILACCT_LDAP_SCHEMA_AD;
        run_cases(&c, ad_cases, sizeof(ad_cases) / sizeof(ad_cases[0]));
}

static void test_openldap(void **state)
{
        struct mailacct_ldap_conf c;

        (void)state;
        mailacct_ldap_conf_init(&c);
        c.schema = MAILACCT_LDAP_SCHEMA_OPENLDAP;
        run_cases(&c, openldap_cases, sizeof(openldap_cases) / sizeof(openldap_cases[0]));
}

/* map: a field to another attribute, the known meanings of enabled and
 * services, contacts for openldap by map.contact_filter */
static void test_map(void **state)
{
        static const struct mcase cases[] = {
                {"aliases from mailNickname, services an allow-list, enabled a boolean, delegates as DNs",
                 "uid=a,dc=example,dc=com\nmail: a@example.com\nmailNickname: al\nuid: ignored\n"
                 "mailService: imap\nmailService: IMAP\naccountActive: TRUE\nmanager: uid=b,dc=example,dc=com\n",
                 0, 0, NULL, "a@example.com", "al", "", NULL, NULL, 1, "imap", "uid=b,dc=example,dc=com", NULL, -1,
                 NULL},
                {"a boolean FALSE disables", "uid=a,dc=example,dc=com\nmail: a@example.com\naccountActive: FALSE\n", 0,
                 0, NULL, "a@example.com", "", "", NULL, NULL, 0, NULL, "", NULL, -1, NULL},
                {"a boolean that is neither", "uid=a,dc=example,dc=com\nmail: a@example.com\naccountActive: yes\n", 0,
                 1, "TRUE or FALSE"},
                {"the address from another attribute, its smtp: prefix stripped",
                 "uid=a,dc=example,dc=com\nmail: x@example.com\nprimaryMail: SMTP:p@example.com\n", 0, 0, NULL,
                 "p@example.com", "", "", NULL, NULL, 1, NULL, "", NULL, -1, NULL},
                {"NT account as written", "uid=a,dc=example,dc=com\nmail: x@example.com\nprimaryMail: x@example.com\nntAccount: LEGACY\\fj\n",
                 0, 0, NULL, "x@example.com", "", "", "LEGACY\\fj", NULL, 1, NULL, "", NULL, -1, NULL},
                {"a contact (map.contact_filter)",
                 "cn=Vendor,dc=example,dc=com\nkind: contact\nmail: v@vendor.test\nuid: vendor\n", 0, 0, NULL,
                 "v@vendor.test", "vendor"},
        };
        struct mailacct_ldap_conf c;

        (void)state;
        mailacct_ldap_conf_init(&c);
        c.schema = MAILACCT_LDAP_SCHEMA_OPENLDAP;
        c.map[MAILACCT_LF_ALIASES] = (char *)"mailNickname";
        c.map[MAILACCT_LF_SERVICES] = (char *)"mailService";
        c.map[MAILACCT_LF_ENABLED] = (char *)"accountActive";
        c.map[MAILACCT_LF_DELEGATES] = (char *)"manager";
        c.map[MAILACCT_LF_ADDRESS] = (char *)"primaryMail";
        c.map[MAILACCT_LF_NT_ACCOUNT] = (char *)"ntAccount";
        c.contact_filter = (char *)"(objectClass=mailRecipient)";
        /* the first case has no primaryMail: its own table below */
        {
                struct mailacct_ldap_conf c1 = c;
                c1.map[MAILACCT_LF_ADDRESS] = NULL;
                c1.map[MAILACCT_LF_NT_ACCOUNT] = NULL;
                run_cases(&c1, cases, 3);
        }
        run_cases(&c, cases + 3, 3);
}

/* What a search asks for: the rules' attributes and the key, once each. */
static void test_attrs(void **state)
{
        struct mailacct_ldap_conf c;
        struct mailacct_ldap_mapper *m;
        const char *const *a;
        size_t n = 0;
        bool key = false, proxy = false;

        (void)state;
        mailacct_ldap_conf_init(&c);
        c.schema = MAILACCT_LDAP_SCHEMA_AD;
        m = mailacct_ldap_mapper_new(&c);
        assert_non_null(m);
        for (a = mailacct_ldap_mapper_attrs(m); *a; a++, n++) {
                key |= strcmp(*a, "objectGUID") == 0;
                proxy |= strcmp(*a, "proxyAddresses") == 0;
                for (const char *const *b = a + 1; *b; b++)
                        if (strcasecmp(*a, *b) == 0)
                                fail_msg("%s asked for twice", *a);
        }
        assert_true(key && proxy && n > 10);
        mailacct_ldap_mapper_free(m);
}

/* More than 256 values of a list: left out (the index holds no more). */
static void test_limits(void **state)
{
        static char text[64 * 1024];
        struct mailacct_ldap_conf c;
        struct mailacct_ldap_mapper *m;
        struct mailacct_ldap_mapped out;
        static struct tl_entry t;
        const char *why;
        size_t o;

        (void)state;
        mailacct_ldap_conf_init(&c);
        c.schema = MAILACCT_LDAP_SCHEMA_AD;
        m = mailacct_ldap_mapper_new(&c);
        o = (size_t)snprintf(text, sizeof(text), "CN=Many,DC=example,DC=com\nproxyAddresses: SMTP:m@example.com\n");
        for (int i = 0; i < 257; i++)
                o += (size_t)snprintf(text + o, sizeof(text) - o, "proxyAddresses: smtp:m%d@example.com\n", i);
        tl_entry_parse(text, o, &t);
        assert_int_equal(mailacct_ldap_map(m, &t.e, &env, &out, &why), 1);
        assert_non_null(strstr(why, "more than 256"));
        /* 256 are fine */
        o = (size_t)snprintf(text, sizeof(text), "CN=Many,DC=example,DC=com\nproxyAddresses: SMTP:m@example.com\n");
        for (int i = 0; i < 256; i++)
                o += (size_t)snprintf(text + o, sizeof(text) - o, "proxyAddresses: smtp:m%d@example.com\n", i);
        tl_entry_parse(text, o, &t);
        assert_int_equal(mailacct_ldap_map(m, &t.e, &env, &out, &why), 0);
        assert_int_equal(out.mailbox.addresses.n, 256);
        /* a value over 4095 bytes */
        o = (size_t)snprintf(text, sizeof(text), "CN=Long,DC=example,DC=com\nmail: l@example.com\ndisplayName: ");
        memset(text + o, 'x', 4096);
        o += 4096;
        text[o++] = '\n';
        tl_entry_parse(text, o, &t);
        assert_int_equal(mailacct_ldap_map(m, &t.e, &env, &out, &why), 1);
        assert_non_null(strstr(why, "more than 4095"));
        mailacct_ldap_mapper_free(m);
}

static void test_dn_domain(void **state)
{
        static const struct {
                const char *dn, *want;
                int r;
        } cases[] = {
                {"CN=J,OU=U,DC=Example,DC=com", "example.com", 0},
                {"cn=j,dc=a,dc=b,dc=c", "a.b.c", 0},
                {"CN=Doe\\, John,DC=example,DC=com", "example.com", 0},
                {"CN=x,DC=example,OU=y,DC=com", "com", 0},
                {"CN=x,O=Example", NULL, -ENOENT},
                {"DC=example,DC=com", "example.com", 0},
                {"CN=x,DC=ex\\2Cample,DC=com", NULL, -ENOENT},
                {"CN=x,DC=ex+CN=y,DC=com", NULL, -ENOENT},
                {"", NULL, -ENOENT},
                {"CN=x\\", NULL, -EINVAL},
        };
        char buf[256];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int r = mailacct_ldap_dn_domain(cases[i].dn, strlen(cases[i].dn), buf, sizeof(buf));
                if (r != cases[i].r)
                        fail_msg("%s: %d, want %d", cases[i].dn, r, cases[i].r);
                if (r == 0)
                        assert_string_equal(buf, cases[i].want);
        }
}

static void test_naming_context(void **state)
{
        static const struct {
                const char *dn, *want;
        } cases[] = {
                {"OU=Staff,DC=example,DC=com", "DC=example,DC=com"},
                {"DC=example,DC=com", "DC=example,DC=com"},
                {"CN=Users,dc=child,dc=example,dc=com", "dc=child,dc=example,dc=com"},
                {"CN=x,DC=example,OU=y,DC=com", "DC=com"},
                {"OU=DC\\,x,DC=example,DC=com", "DC=example,DC=com"},
                {"CN=x, DC=example, DC=com", "DC=example, DC=com"},
                {"o=Example", "o=Example"},
                {"", ""},
        };

        static char b0[] = "OU=Staff,DC=example,DC=com", b1[] = "ou=sales,dc=EXAMPLE,dc=com",
                    b2[] = "CN=Users,DC=child,DC=example,DC=com";
        struct mailacct_ldap_conf c = {.base = {b0, b1, b2}, .n_base = 3};
        const char *ncs[MAILACCT_LDAP_BASES_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_string_equal(mailacct_ldap_naming_context(cases[i].dn), cases[i].want);
        /* each naming context once, compared without case, in order */
        assert_int_equal(mailacct_ldap_naming_contexts(&c, ncs), 2);
        assert_string_equal(ncs[0], "DC=example,DC=com");
        assert_string_equal(ncs[1], "DC=child,DC=example,DC=com");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ad),       cmocka_unit_test(test_openldap),  cmocka_unit_test(test_map),
                cmocka_unit_test(test_attrs),    cmocka_unit_test(test_limits),    cmocka_unit_test(test_dn_domain),
                cmocka_unit_test(test_naming_context),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
