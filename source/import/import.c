/* SPDX-License-Identifier: MIT */
/* The entry set the import parsers fill, and what they share: passwords
 * by scheme, ids, addresses. */
#include "import.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "password.h"

int mailacct_import_format_of(const char *name, enum mailacct_import_format *f)
{
        static const char *const names[] = {"dovecot-passwd", "passwd", "csv", "ldif"};

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(name, names[i]) == 0) {
                        *f = (enum mailacct_import_format)i;
                        return 0;
                }
        return -EINVAL;
}

static void list_free(struct mailacct_import_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

static void entry_free(struct mailacct_import_entry *e)
{
        free(e->address);
        list_free(&e->aliases);
        list_free(&e->addresses);
        list_free(&e->services);
        free(e->nt_account);
        free(e->name);
        free(e->home);
        free(e->shell);
        if (e->password) {
                explicit_bzero(e->password, strlen(e->password));
                free(e->password);
        }
        memset(e, 0, sizeof(*e));
}

void mailacct_import_set_free(struct mailacct_import_set *s)
{
        for (size_t i = 0; i < s->n; i++)
                entry_free(&s->v[i]);
        free(s->v);
        memset(s, 0, sizeof(*s));
}

struct mailacct_import_entry *mailacct_import_new_entry(struct mailacct_import_set *s, int line)
{
        struct mailacct_import_entry *e;

        if (s->n == s->cap) {
                size_t nc = s->cap ? s->cap * 2 : 64;
                struct mailacct_import_entry *nv = realloc(s->v, nc * sizeof(*nv));
                if (!nv)
                        return NULL;
                s->v = nv;
                s->cap = nc;
        }
        e = &s->v[s->n++];
        memset(e, 0, sizeof(*e));
        e->enabled = -1;
        e->line = line;
        return e;
}

void mailacct_import_drop_last(struct mailacct_import_set *s)
{
        if (s->n)
                entry_free(&s->v[--s->n]);
}

int mailacct_import_set_str(char **to, const char *v, size_t len)
{
        char *c = strndup(v, len);

        if (!c)
                return -ENOMEM;
        free(*to);
        *to = c;
        return 0;
}

int mailacct_import_list_add(struct mailacct_import_list *l, const char *v, size_t len)
{
        char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

        if (!nv)
                return -ENOMEM;
        l->v = nv;
        l->v[l->n] = strndup(v, len);
        if (!l->v[l->n])
                return -ENOMEM;
        l->n++;
        return 0;
}

/* Dovecot's and OpenLDAP's scheme names whose value is a crypt(3) hash. */
static bool crypt_scheme(const char *s, size_t n)
{
        static const char *const names[] = {"CRYPT",     "SHA512-CRYPT", "SHA256-CRYPT",
                                            "BLF-CRYPT", "MD5-CRYPT",    "DES-CRYPT"};

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
                        return true;
        return false;
}

static bool plain_scheme(const char *s, size_t n)
{
        return (n == 5 && strncasecmp(s, "PLAIN", 5) == 0) || (n == 9 && strncasecmp(s, "CLEARTEXT", 9) == 0);
}

int mailacct_import_password(struct mailacct_import_entry *e, const char *v, size_t len, bool plain_default)
{
        const char *rest = v, *close;
        size_t n = len;
        bool plain = plain_default;
        int r;

        e->pw = MAILACCT_IMPORT_PW_NONE;
        if (len == 0)
                return 0;
        if (v[0] == '{' && (close = memchr(v, '}', len)) != NULL) {
                const char *scheme = v + 1;
                size_t sl = (size_t)(close - scheme);
                rest = close + 1;
                n = len - (size_t)(rest - v);
                if (plain_scheme(scheme, sl))
                        plain = true;
                else if (crypt_scheme(scheme, sl))
                        plain = false;
                else {
                        e->pw = MAILACCT_IMPORT_PW_OTHER;
                        snprintf(e->scheme, sizeof(e->scheme), "{%.*s}", (int)(sl < 29 ? sl : 29), scheme);
                        return 0;
                }
        }
        if (n == 0 || memchr(rest, '\0', n) || memchr(rest, '\n', n))
                return 0;
        r = mailacct_import_set_str(&e->password, rest, n);
        if (r < 0)
                return r;
        if (plain)
                e->pw = MAILACCT_IMPORT_PW_PLAIN;
        else if (mailacct_password_usable(e->password))
                e->pw = MAILACCT_IMPORT_PW_CRYPT;
        else {
                /* a hash this system's crypt(3) cannot verify: named by its
                 * prefix, never guessed at */
                const char *end = e->password[0] == '$' ? strchr(e->password + 1, '$') : NULL;
                e->pw = MAILACCT_IMPORT_PW_OTHER;
                snprintf(e->scheme, sizeof(e->scheme), "%.*s", end ? (int)(end - e->password + 1) : 5, e->password);
                explicit_bzero(e->password, n);
                free(e->password);
                e->password = NULL;
        }
        return 0;
}

bool mailacct_import_id(const char *v, size_t len, uint32_t *out)
{
        unsigned long long x = 0;

        if (len == 0 || len > 10)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char)v[i]))
                        return false;
                x = x * 10 + (unsigned)(v[i] - '0');
        }
        /* (uid_t)-1 is "no change" to chown(2) and setresuid(2) */
        if (x >= 4294967295ULL)
                return false;
        *out = (uint32_t)x;
        return true;
}

int mailacct_import_address(struct mailacct_import_entry *e, const char *v, size_t len, const char *domain)
{
        const char *at = memchr(v, '@', len);
        char *a;
        size_t dl;

        /* one '@' between a local part and a domain: anything else is no
         * address the configuration would take */
        if (len == 0 || at == v || (at && (at == v + len - 1 || memchr(at + 1, '@', len - (size_t)(at - v) - 1))) ||
            memchr(v, '\0', len))
                return -EINVAL;
        if (!at && (!domain || !*domain))
                return -EDESTADDRREQ;
        dl = at ? 0 : strlen(domain);
        a = malloc(len + dl + 2);
        if (!a)
                return -ENOMEM;
        memcpy(a, v, len);
        if (at)
                a[len] = '\0';
        else {
                a[len] = '@';
                memcpy(a + len + 1, domain, dl + 1);
        }
        /* domains compare case-insensitively: written folded */
        for (char *p = strrchr(a, '@') + 1; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        free(e->address);
        e->address = a;
        return 0;
}

bool mailacct_import_next_line(const char **p, const char *end, const char **line, size_t *len)
{
        const char *eol;
        size_t raw;

        if (*p >= end)
                return false;
        eol = memchr(*p, '\n', (size_t)(end - *p));
        raw = eol ? (size_t)(eol - *p) : (size_t)(end - *p);
        *line = *p;
        *len = raw && (*p)[raw - 1] == '\r' ? raw - 1 : raw;
        *p += raw + (eol ? 1 : 0);
        return true;
}

size_t mailacct_import_split(const char *line, size_t len, char sep, struct mailacct_import_field *f, size_t max)
{
        size_t n = 0;
        const char *p = line, *end = line + len;

        while (n < max) {
                const char *q = memchr(p, sep, (size_t)(end - p));
                f[n].p = p;
                f[n].len = q ? (size_t)(q - p) : (size_t)(end - p);
                n++;
                if (!q)
                        break;
                p = q + 1;
        }
        return n;
}

int mailacct_import_parse(enum mailacct_import_format f, const char *buf, size_t len,
                          const struct mailacct_import_opts *o, struct mailacct_import_set *out,
                          struct mailacct_diags *diags)
{
        switch (f) {
        case MAILACCT_IMPORT_DOVECOT:
                return mailacct_import_dovecot(buf, len, o, out, diags);
        case MAILACCT_IMPORT_PASSWD:
                return mailacct_import_passwd(buf, len, o, out, diags);
        case MAILACCT_IMPORT_CSV:
                return mailacct_import_csv(buf, len, o, out, diags);
        case MAILACCT_IMPORT_LDIF:
                return mailacct_import_ldif(buf, len, o, out, diags);
        }
        return -EINVAL;
}
