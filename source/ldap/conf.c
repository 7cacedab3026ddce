/* SPDX-License-Identifier: MIT */
/* The `ldap` group's model and rules (conf.h). No I/O: the loader reads the
 * group, the sync reads the files it names. */
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hashmap.h"

static const char *const field_names[_MAILACCT_LF_MAX] = {
        [MAILACCT_LF_ADDRESS] = "address",
        [MAILACCT_LF_ALIASES] = "aliases",
        [MAILACCT_LF_ADDRESSES] = "addresses",
        [MAILACCT_LF_NT_ACCOUNT] = "nt_account",
        [MAILACCT_LF_NAME] = "name",
        [MAILACCT_LF_UID] = "uid",
        [MAILACCT_LF_GID] = "gid",
        [MAILACCT_LF_HOME] = "home",
        [MAILACCT_LF_SHELL] = "shell",
        [MAILACCT_LF_SERVICES] = "services",
        [MAILACCT_LF_DELEGATES] = "delegates",
        [MAILACCT_LF_ENABLED] = "enabled",
};

const char *mailacct_ldap_field_name(enum mailacct_ldap_field f)
{
        return (unsigned)f < _MAILACCT_LF_MAX ? field_names[f] : NULL;
}

void mailacct_ldap_conf_init(struct mailacct_ldap_conf *c)
{
        memset(c, 0, sizeof(*c));
        c->page_size = MAILACCT_LDAP_PAGE_DEFAULT;
        c->max_removal = MAILACCT_LDAP_REMOVAL_DEFAULT;
        c->timeout = MAILACCT_LDAP_TIMEOUT_DEFAULT;
}

void mailacct_ldap_conf_clear(struct mailacct_ldap_conf *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_uri; i++)
                free(c->uri[i]);
        for (size_t i = 0; i < c->n_base; i++)
                free(c->base[i]);
        for (int f = 0; f < _MAILACCT_LF_MAX; f++)
                free(c->map[f]);
        free(c->bind_dn);
        free(c->bind_password_file);
        free(c->tls_ca);
        free(c->filter);
        free(c->mailbox_filter);
        free(c->contact_filter);
        mailacct_ldap_conf_init(c);
}

const char *mailacct_ldap_uri_scheme(const char *uri)
{
        static const char *const schemes[] = {"ldaps", "ldapi", "ldap"};

        for (size_t i = 0; i < 3; i++) {
                size_t n = strlen(schemes[i]);
                if (strncasecmp(uri, schemes[i], n) == 0 && strncmp(uri + n, "://", 3) == 0)
                        return schemes[i];
        }
        return NULL;
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

const char *mailacct_ldap_attr_invalid(const char *s)
{
        const char *p = s;

        if (!*s)
                return "an empty attribute name";
        if (strlen(s) > 256)
                return "an attribute name over 256 characters";
        if (is_alpha(*p)) {
                /* keystring: leadkeychar *keychar */
                while (is_alpha(*p) || is_digit(*p) || *p == '-')
                        p++;
        } else if (is_digit(*p)) {
                /* numericoid: number *( DOT number ) */
                for (;;) {
                        if (!is_digit(*p))
                                return "not an attribute name or OID";
                        while (is_digit(*p))
                                p++;
                        if (*p != '.')
                                break;
                        p++;
                }
        } else
                return "an attribute name starts with a letter (or is an OID)";
        /* options: ;lang-en, ;binary */
        while (*p == ';') {
                p++;
                if (!is_alpha(*p) && !is_digit(*p))
                        return "an empty attribute option";
                while (is_alpha(*p) || is_digit(*p) || *p == '-')
                        p++;
        }
        return *p ? "a character no attribute name holds" : NULL;
}

const char *mailacct_ldap_filter_invalid(const char *s)
{
        size_t n = strlen(s);
        int depth = 0;

        if (n == 0)
                return "an empty filter";
        if (n > MAILACCT_LDAP_FILTER_MAX)
                return "a filter over 4096 characters";
        if (s[0] != '(' || s[n - 1] != ')')
                return "a filter is one parenthesised expression, as (objectClass=person)";
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\') {
                        /* RFC 4515: an escape is a backslash and two hex digits */
                        if (i + 2 >= n || !strchr("0123456789abcdefABCDEF", s[i + 1]) || !s[i + 1] ||
                            !strchr("0123456789abcdefABCDEF", s[i + 2]) || !s[i + 2])
                                return "a backslash in a filter must be followed by two hex digits (\\2a for *)";
                        i += 2;
                        continue;
                }
                if ((unsigned char)s[i] < 0x20)
                        return "a control character in a filter";
                if (s[i] == '(')
                        depth++;
                else if (s[i] == ')' && --depth < 0)
                        return "a ')' closes no '('";
                if (depth == 0 && i + 1 < n)
                        return "two filters side by side: join them with (&...) or (|...)";
        }
        return depth ? "a '(' is never closed" : NULL;
}

__attribute__((format(printf, 4, 5))) static void err(struct mailacct_diags *diags, const struct mailacct_ldap_conf *c,
                                                      int line, const char *fmt, ...)
{
        char text[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        mailacct_diag_add(diags, MAILACCT_ERROR, c->file, line ? line : c->line, "%s", text);
}

size_t mailacct_ldap_conf_check(const struct mailacct_ldap_conf *c, struct mailacct_diags *diags)
{
        size_t before = diags->errors;

        if (c->n_uri == 0)
                err(diags, c, c->line, "ldap: no uri: add uri = [ \"ldaps://dc1.example.com\" ];");
        if (c->n_base == 0)
                err(diags, c, c->line, "ldap: no base: add base = \"dc=example,dc=com\";");
        if (c->schema == MAILACCT_LDAP_SCHEMA_NONE)
                err(diags, c, c->line, "ldap: no schema: add schema = \"ad\"; or schema = \"openldap\";");
        if (c->bind_dn && !c->bind_password_file)
                err(diags, c, c->line, "ldap: bind_dn without bind_password_file (the file holding its password)");
        if (!c->bind_dn && c->bind_password_file)
                err(diags, c, c->bind_password_file_line,
                    "ldap: bind_password_file without bind_dn (whose password is it?)");
        for (size_t i = 0; i < c->n_uri; i++) {
                const char *scheme = mailacct_ldap_uri_scheme(c->uri[i]);
                if (!scheme) {
                        err(diags, c, c->uri_line, "ldap: uri \"%s\": must start with ldap://, ldaps:// or ldapi://",
                            c->uri[i]);
                        continue;
                }
                /* the password would cross the network in clear */
                if (c->bind_dn && strcmp(scheme, "ldap") == 0 && !c->starttls)
                        err(diags, c, c->uri_line,
                            "ldap: uri \"%s\" with bind_dn and without StartTLS would send the password in clear: "
                            "set starttls = true; or use ldaps://",
                            c->uri[i]);
        }
        return diags->errors - before;
}

static void mix(struct mailacct_siphash *h, const char *s)
{
        /* a NUL between values: ("ab","c") and ("a","bc") differ */
        mailacct_siphash13_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

uint64_t mailacct_ldap_conf_fingerprint(const struct mailacct_ldap_conf *c)
{
        static const uint8_t key[16] = "mailacct-ldap-fp";
        struct mailacct_siphash h;
        char n[32];

        mailacct_siphash13_init(&h, key);
        snprintf(n, sizeof(n), "schema %d", (int)c->schema);
        mix(&h, n);
        for (size_t i = 0; i < c->n_base; i++)
                mix(&h, c->base[i]);
        mix(&h, "filters");
        mix(&h, c->filter);
        mix(&h, c->mailbox_filter);
        mix(&h, c->contact_filter);
        for (int f = 0; f < _MAILACCT_LF_MAX; f++)
                mix(&h, c->map[f]);
        return mailacct_siphash13_final(&h);
}

static char *join_and(const char *a, const char *b)
{
        char *s;

        if (!b)
                return strdup(a);
        if (asprintf(&s, "(&%s%s)", a, b) < 0)
                return NULL;
        return s;
}

char *mailacct_ldap_mailbox_filter(const struct mailacct_ldap_conf *c)
{
        const char *base = c->mailbox_filter;

        if (!base)
                base = c->schema == MAILACCT_LDAP_SCHEMA_AD
                               ? "(&(objectCategory=person)(objectClass=user)(|(proxyAddresses=SMTP:*)(mail=*)))"
                               : "(&(objectClass=inetOrgPerson)(mail=*))";
        return join_and(base, c->filter);
}

char *mailacct_ldap_contact_filter(const struct mailacct_ldap_conf *c, bool *oom)
{
        const char *f = c->contact_filter;
        char *s;

        *oom = false;
        if (!f && c->schema == MAILACCT_LDAP_SCHEMA_AD)
                f = "(objectClass=contact)";
        if (!f)
                return NULL;
        s = strdup(f);
        *oom = s == NULL;
        return s;
}
