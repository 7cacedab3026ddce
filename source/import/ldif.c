/* SPDX-License-Identifier: MIT */
/* LDIF (RFC 2849) content records, as slapcat, ldapsearch -L and ldifde
 * write them: "attr: value", "attr:: base64", folded lines (a leading
 * space continues the line before), '#' comments, blank lines between
 * entries. The attributes are those of the sync's two schemas (mailacct.conf
 * "ldap"): mail or proxyAddresses "SMTP:" the primary address, the other
 * addresses secondary; uid, mailNickname (else sAMAccountName) the aliases;
 * sAMAccountName the NT account; displayName else cn the name; the POSIX
 * attributes; userPassword with its scheme ({CRYPT} carried over, none
 * meaning clear text); pwdAccountLockedTime or userAccountControl 0x2
 * disable. An entry with no address (an OU, a group) is no mailbox. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import.h"

struct attr {
        char name[64];
        char *value; /* decoded */
        size_t len;
};

struct entry {
        struct attr *v;
        size_t n, cap;
        int line;
        bool change; /* a change record: not content */
};

static void entry_clear(struct entry *e)
{
        for (size_t i = 0; i < e->n; i++) {
                explicit_bzero(e->v[i].value, e->v[i].len);
                free(e->v[i].value);
        }
        e->n = 0;
        e->change = false;
}

static int b64(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes base64 text (white space ignored); NULL when malformed. */
static char *unbase64(const char *s, size_t len, size_t *out)
{
        char *d = malloc(len / 4 * 3 + 4);
        unsigned acc = 0;
        int bits = 0;
        size_t n = 0, pad = 0;

        if (!d)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                int v;
                if (s[i] == ' ' || s[i] == '\t')
                        continue;
                if (s[i] == '=') {
                        pad++;
                        continue;
                }
                v = b64(s[i]);
                if (v < 0 || pad) {
                        free(d);
                        return NULL;
                }
                acc = acc << 6 | (unsigned)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        d[n++] = (char)(acc >> bits & 0xff);
                }
        }
        d[n] = '\0';
        *out = n;
        return d;
}

/* One logical line (folds joined) into an attribute of e. */
static int add_attr(struct entry *e, const char *s, size_t len, const struct mailacct_import_opts *o,
                    struct mailacct_diags *diags, int line)
{
        const char *colon = memchr(s, ':', len), *semi, *v;
        struct attr *a;
        size_t nl, vl;

        if (!colon || colon == s) {
                mailacct_diag_add(diags, MAILACCT_WARNING, o->file, line, "not \"attribute: value\"; line ignored");
                return 0;
        }
        nl = (size_t)(colon - s);
        /* "cn;lang-de": options are not the attribute */
        semi = memchr(s, ';', nl);
        if (semi)
                nl = (size_t)(semi - s);
        if (nl >= sizeof(a->name)) {
                mailacct_diag_add(diags, MAILACCT_WARNING, o->file, line, "attribute name too long; line ignored");
                return 0;
        }
        if (e->n == e->cap) {
                size_t nc = e->cap ? e->cap * 2 : 16;
                struct attr *na = realloc(e->v, nc * sizeof(*na));
                if (!na)
                        return -ENOMEM;
                e->v = na;
                e->cap = nc;
        }
        a = &e->v[e->n];
        memcpy(a->name, s, nl);
        a->name[nl] = '\0';
        v = colon + 1;
        vl = len - (size_t)(v - s);
        if (vl && *v == ':') {
                a->value = unbase64(v + 1, vl - 1, &a->len);
                if (!a->value) {
                        mailacct_diag_add(diags, MAILACCT_WARNING, o->file, line,
                                          "attribute %s: malformed base64; ignored", a->name);
                        return 0;
                }
        } else if (vl && *v == '<') {
                mailacct_diag_add(diags, MAILACCT_WARNING, o->file, line,
                                  "attribute %s: a value by URL is not read; ignored", a->name);
                return 0;
        } else {
                while (vl && *v == ' ')
                        v++, vl--;
                /* every byte, a NUL among them (not strndup): len is what
                 * the buffer holds */
                a->value = malloc(vl + 1);
                if (!a->value)
                        return -ENOMEM;
                memcpy(a->value, v, vl);
                a->value[vl] = '\0';
                a->len = vl;
        }
        if (strcasecmp(a->name, "changetype") == 0 && strcasecmp(a->value, "add") != 0)
                e->change = true;
        e->n++;
        return 0;
}

static bool is(const struct attr *a, const char *name)
{
        return strcasecmp(a->name, name) == 0;
}

static const struct attr *first(const struct entry *e, const char *name)
{
        for (size_t i = 0; i < e->n; i++)
                if (is(&e->v[i], name))
                        return &e->v[i];
        return NULL;
}

static size_t count(const struct entry *e, const char *name)
{
        size_t n = 0;

        for (size_t i = 0; i < e->n; i++)
                n += is(&e->v[i], name);
        return n;
}

/* The record into an import entry, or nothing (no address: no mailbox). */
static int map(const struct entry *le, const struct mailacct_import_opts *o, struct mailacct_import_set *out,
               struct mailacct_diags *diags)
{
        const struct attr *a, *primary = NULL;
        struct mailacct_import_entry *e;
        bool any_alias = false;
        size_t skip = 0; /* "SMTP:" before a proxyAddresses value */

        for (size_t i = 0; i < le->n; i++)
                if (is(&le->v[i], "proxyAddresses") && strncmp(le->v[i].value, "SMTP:", 5) == 0) {
                        primary = &le->v[i];
                        skip = 5;
                }
        if (!primary && count(le, "mail") > 1) {
                mailacct_diag_add(diags, MAILACCT_WARNING, o->file, le->line,
                                  "%zu mail values and no proxyAddresses SMTP: one: which is primary is not "
                                  "guessed; entry left out",
                                  count(le, "mail"));
                return 0;
        }
        if (!primary)
                primary = first(le, "mail");
        if (!primary) {
                out->skipped++;
                return 0;
        }
        e = mailacct_import_new_entry(out, le->line);
        if (!e)
                return -ENOMEM;
        if (primary->len <= skip || memchr(primary->value, '\0', primary->len) ||
            mailacct_import_address(e, primary->value + skip, primary->len - skip, o->domain) < 0)
                goto bad;
        for (size_t i = 0; i < le->n; i++) {
                const struct attr *x = &le->v[i];
                int r = 0;
                /* an empty value says nothing; one with a NUL is no name */
                if (x->len == 0 || memchr(x->value, '\0', x->len))
                        continue;
                if (is(x, "proxyAddresses") && strncasecmp(x->value, "smtp:", 5) == 0 && x != primary)
                        r = mailacct_import_list_add(&e->addresses, x->value + 5, x->len - 5);
                else if (is(x, "mailLocalAddress") || is(x, "mailAlternateAddress"))
                        r = mailacct_import_list_add(&e->addresses, x->value, x->len);
                else if (is(x, "uid") || is(x, "mailNickname")) {
                        r = mailacct_import_list_add(&e->aliases, x->value, x->len);
                        any_alias = true;
                } else if (is(x, "uidNumber"))
                        e->has_uid = mailacct_import_id(x->value, x->len, &e->uid);
                else if (is(x, "gidNumber"))
                        e->has_gid = mailacct_import_id(x->value, x->len, &e->gid);
                else if (is(x, "homeDirectory") || is(x, "unixHomeDirectory"))
                        r = mailacct_import_set_str(&e->home, x->value, x->len);
                else if (is(x, "loginShell"))
                        r = mailacct_import_set_str(&e->shell, x->value, x->len);
                else if (is(x, "sAMAccountName"))
                        r = mailacct_import_set_str(&e->nt_account, x->value, x->len);
                else if (is(x, "pwdAccountLockedTime"))
                        e->enabled = 0;
                else if (is(x, "userAccountControl") && (strtoul(x->value, NULL, 10) & 2))
                        e->enabled = 0;
                else if (is(x, "userPassword") && e->pw == MAILACCT_IMPORT_PW_NONE)
                        /* an LDAP value without a scheme is the clear text */
                        r = mailacct_import_password(e, x->value, x->len, true);
                if (r < 0)
                        return r;
        }
        /* Exchange: the alias is mailNickname, else the NT account */
        if (!any_alias && e->nt_account &&
            mailacct_import_list_add(&e->aliases, e->nt_account, strlen(e->nt_account)) < 0)
                return -ENOMEM;
        a = first(le, "displayName");
        if (!a)
                a = first(le, "cn");
        if (a && mailacct_import_set_str(&e->name, a->value, a->len) < 0)
                return -ENOMEM;
        return 0;
bad:
        mailacct_diag_add(diags, MAILACCT_WARNING, o->file, le->line, "no usable address; entry left out");
        mailacct_import_drop_last(out);
        return 0;
}

int mailacct_import_ldif(const char *buf, size_t len, const struct mailacct_import_opts *o,
                         struct mailacct_import_set *out, struct mailacct_diags *diags)
{
        const char *p = buf, *end = buf + len, *s;
        struct entry le = {0};
        char *logical = NULL;
        size_t l, ll = 0, cap = 0;
        int line = 0, at = 0, r = 0;
        bool comment = false;

        /* each physical line; a logical one is flushed when the next starts */
        for (bool more = true; more && r == 0;) {
                int this_line = line + 1;
                more = mailacct_import_next_line(&p, end, &s, &l);
                if (more)
                        line++;
                if (more && l && s[0] == ' ') {
                        /* a fold: the rest of the line before */
                        if (comment)
                                continue;
                        if (ll + l > cap) {
                                size_t nc = (ll + l) * 2 + 64;
                                char *nb = realloc(logical, nc);
                                if (!nb) {
                                        r = -ENOMEM;
                                        break;
                                }
                                logical = nb;
                                cap = nc;
                        }
                        memcpy(logical + ll, s + 1, l - 1);
                        ll += l - 1;
                        continue;
                }
                /* the logical line before is complete */
                if (ll) {
                        if (ll >= 8 && strncasecmp(logical, "version:", 8) == 0 && le.n == 0)
                                ;
                        else
                                r = add_attr(&le, logical, ll, o, diags, at);
                        ll = 0;
                }
                if (r < 0)
                        break;
                comment = more && l && s[0] == '#';
                if (!more || l == 0) {
                        /* the end of an entry */
                        if (le.n) {
                                le.line = at;
                                if (le.change)
                                        mailacct_diag_add(diags, MAILACCT_WARNING, o->file, at,
                                                          "a change record, not an entry; left out");
                                else
                                        r = map(&le, o, out, diags);
                        }
                        entry_clear(&le);
                        at = 0;
                        continue;
                }
                if (comment)
                        continue;
                if (memchr(s, '\0', l)) {
                        mailacct_diag_add(diags, MAILACCT_WARNING, o->file, this_line, "a NUL byte; line ignored");
                        continue;
                }
                if (l > cap) {
                        char *nb = realloc(logical, l * 2 + 64);
                        if (!nb) {
                                r = -ENOMEM;
                                break;
                        }
                        logical = nb;
                        cap = l * 2 + 64;
                }
                memcpy(logical, s, l);
                ll = l;
                if (le.n == 0 && at == 0)
                        at = this_line;
        }
        entry_clear(&le);
        free(le.v);
        if (logical)
                explicit_bzero(logical, cap);
        free(logical);
        return r;
}
