/* SPDX-License-Identifier: MIT */
/* userPassword to the hash a sync keeps (userpassword.h). */
#include "userpassword.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CRYPT_PREFIX     "{CRYPT}"
#define CRYPT_PREFIX_LEN (sizeof(CRYPT_PREFIX) - 1)

bool mailacct_ldap_is_userpassword(const char *name)
{
        size_t n = strlen(MAILACCT_LDAP_USERPASSWORD);

        /* options (";binary") name the same attribute */
        return strncasecmp(name, MAILACCT_LDAP_USERPASSWORD, n) == 0 && (name[n] == '\0' || name[n] == ';');
}

/* "{SSHA}" from "{SSHA}...": letters, digits, '-', '_' and '.' only, so
 * that a summary never prints what a user wrote; "no scheme" when the
 * value starts otherwise (slapd takes it as the password in clear). */
static void scheme_of(const struct mailacct_ldap_val *v, char *buf, size_t len)
{
        size_t i;

        if (v->len == 0 || v->p[0] != '{') {
                snprintf(buf, len, "no scheme");
                return;
        }
        for (i = 1; i < v->len && i < len - 2; i++) {
                char ch = v->p[i];
                if (ch == '}')
                        break;
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                      ch == '_' || ch == '.')) {
                        snprintf(buf, len, "{?}");
                        return;
                }
        }
        if (i == 1 || i >= v->len || v->p[i] != '}') {
                snprintf(buf, len, "{?}");
                return;
        }
        buf[0] = '{';
        for (size_t k = 1; k < i; k++)
                buf[k] = (char)(v->p[k] >= 'a' && v->p[k] <= 'z' ? v->p[k] - 'a' + 'A' : v->p[k]);
        buf[i] = '}';
        buf[i + 1] = '\0';
}

static void note_other(struct mailacct_ldap_password *p, const char *scheme)
{
        for (size_t i = 0; i < p->n_other; i++)
                if (strcmp(p->other[i], scheme) == 0)
                        return;
        if (p->n_other < MAILACCT_LDAP_SCHEMES_MAX)
                snprintf(p->other[p->n_other++], sizeof(p->other[0]), "%s", scheme);
}

/* Why a {CRYPT} value cannot be kept, or NULL: it must fit a secrets line
 * (bytes above space, no ':') and be a hash this crypt(3) verifies. */
static const char *keep(struct mailacct_ldap_password *p, const char *h, size_t len)
{
        if (len == 0)
                return "its {CRYPT} value is empty";
        if (len > MAILACCT_PASSWORD_MAX)
                return "its {CRYPT} value is longer than crypt(3) takes";
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)h[i] <= ' ' || h[i] == ':' || h[i] == 0x7f)
                        return "its {CRYPT} value holds a byte no hash has";
        memcpy(p->hash, h, len);
        p->hash[len] = '\0';
        if (!mailacct_password_usable(p->hash)) {
                mailacct_ldap_password_clear(p);
                return "its {CRYPT} value is not a hash this system's crypt(3) can verify (a locked account, "
                       "or a scheme libxcrypt does not support)";
        }
        return NULL;
}

int mailacct_ldap_password(const struct mailacct_ldap_entry *e, struct mailacct_ldap_password *out)
{
        bool crypt_seen = false;

        memset(out, 0, sizeof(*out));
        for (size_t a = 0; a < e->n_attrs; a++) {
                const struct mailacct_ldap_attr *at = &e->attrs[a];
                if (!mailacct_ldap_is_userpassword(at->name))
                        continue;
                for (size_t i = 0; i < at->n; i++) {
                        const struct mailacct_ldap_val *v = &at->v[i];
                        out->n_values++;
                        if (v->len >= CRYPT_PREFIX_LEN && strncasecmp(v->p, CRYPT_PREFIX, CRYPT_PREFIX_LEN) == 0) {
                                /* the first in the server's order, only */
                                if (!crypt_seen)
                                        out->refused = keep(out, v->p + CRYPT_PREFIX_LEN, v->len - CRYPT_PREFIX_LEN);
                                crypt_seen = true;
                                continue;
                        }
                        char scheme[MAILACCT_LDAP_SCHEME_LEN];
                        scheme_of(v, scheme, sizeof(scheme));
                        note_other(out, scheme);
                }
        }
        return out->n_values > 0;
}

void mailacct_ldap_password_clear(struct mailacct_ldap_password *p)
{
        explicit_bzero(p->hash, sizeof(p->hash));
}

void mailacct_ldap_password_count(struct mailacct_ldap_password_counts *c, const struct mailacct_ldap_password *p)
{
        if (p->n_values == 0)
                return;
        if (p->n_values > 1)
                c->several++;
        if (p->hash[0])
                c->kept++;
        else if (p->refused)
                c->refused++;
        else
                c->not_kept++;
        for (size_t i = 0; i < p->n_other; i++) {
                size_t k;
                for (k = 0; k < c->n_schemes; k++)
                        if (strcmp(c->schemes[k].name, p->other[i]) == 0)
                                break;
                if (k == c->n_schemes) {
                        if (k == MAILACCT_LDAP_SCHEMES_MAX) {
                                c->other_schemes++;
                                continue;
                        }
                        snprintf(c->schemes[k].name, sizeof(c->schemes[k].name), "%s", p->other[i]);
                        c->n_schemes++;
                }
                c->schemes[k].n++;
        }
}

void mailacct_ldap_password_summary(const struct mailacct_ldap_password_counts *c, char *buf, size_t len)
{
        size_t n;

        snprintf(buf, len, "%u {CRYPT} hash%s kept", c->kept, c->kept == 1 ? "" : "es");
        if (c->several)
                snprintf(buf + strlen(buf), len - strlen(buf),
                         ", %u entr%s with several values (the first {CRYPT} kept)", c->several,
                         c->several == 1 ? "y" : "ies");
        if (c->refused)
                snprintf(buf + strlen(buf), len - strlen(buf), ", %u {CRYPT} value%s refused (see the warnings)",
                         c->refused, c->refused == 1 ? "" : "s");
        if (c->not_kept)
                snprintf(buf + strlen(buf), len - strlen(buf), ", %u entr%s without a {CRYPT} value", c->not_kept,
                         c->not_kept == 1 ? "y" : "ies");
        if (c->n_schemes == 0 && c->other_schemes == 0)
                return;
        snprintf(buf + strlen(buf), len - strlen(buf), "; other schemes, not synced:");
        for (size_t i = 0; i < c->n_schemes; i++) {
                n = strlen(buf);
                snprintf(buf + n, len - n, "%s %s %u", i ? "," : "", c->schemes[i].name, c->schemes[i].n);
        }
        if (c->other_schemes) {
                n = strlen(buf);
                snprintf(buf + n, len - n, ", other schemes %u", c->other_schemes);
        }
}
