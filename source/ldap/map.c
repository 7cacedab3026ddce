/* SPDX-License-Identifier: MIT */
/* The schemas' rules (map.h): Active Directory with Exchange's attributes,
 * and OpenLDAP's inetOrgPerson, each field overridable through `map`. */
#include "map.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strutil.h"

/* the index's IX_LIST_MAX values in a list, IX_STR_MAX - 1 bytes in a value */
#define LIST_MAX  256
#define VALUE_MAX 4095
/* attributes the rules read, at most (the schema's and map's together) */
#define NAMES_MAX 32

/* Where a field's values come from: an attribute (an index into the
 * mapper's names), read by one of these rules. */
enum rule {
        RULE_NONE = 0,
        RULE_VALUES,    /* every value as it is */
        RULE_ONE,       /* exactly one value (more: left out) */
        RULE_FIRST,     /* the first value */
        RULE_SMTP,      /* values with an smtp: prefix stripped; other TYPE: values skipped */
        RULE_PROXY,     /* proxyAddresses: SMTP: the primary, smtp: the others */
        RULE_UAC,       /* userAccountControl: disabled by bit 0x2 */
        RULE_PRESENT,   /* disabled when present (pwdAccountLockedTime) */
        RULE_BOOLEAN,   /* TRUE enabled, FALSE disabled */
        RULE_PROTOCOLS, /* protocolSettings: PROTO§0§... disables PROTO */
        RULE_NUMBER,    /* a uid or gid */
};

struct source {
        int name; /* index into names[], -1: none */
        enum rule rule;
};

/* the fields of a mailbox, and what else an entry gives */
enum slot {
        S_ADDRESS = 0,
        S_MAIL, /* AD: the primary when proxyAddresses has no SMTP: value */
        S_ALIASES,
        S_ALIASES_ELSE, /* AD: sAMAccountName when mailNickname is absent */
        S_ADDRESSES,
        S_NT_ACCOUNT,
        S_NAME,
        S_NAME_ELSE, /* openldap: cn when displayName is absent */
        S_UID,
        S_GID,
        S_HOME,
        S_SHELL,
        S_SERVICES,
        S_DELEGATES,
        S_ENABLED,
        S_UPN,
        S_C_ADDRESS, /* contacts */
        S_C_ADDRESS_ELSE,
        S_C_ALIAS,
        S_C_ALIAS_ELSE,
        S_MAX,
};

struct chunk {
        struct chunk *next;
        size_t len, cap;
        char data[];
};

struct mailacct_ldap_mapper {
        const struct mailacct_ldap_conf *c;
        const char *names[NAMES_MAX + 1]; /* NULL-terminated: the search's attributes */
        size_t n_names;
        int key; /* the key attribute's index */
        struct source src[S_MAX];
        bool ad;
        /* per entry */
        const struct mailacct_ldap_attr *found[NAMES_MAX];
        bool truncated[NAMES_MAX];
        struct chunk *arena;
        const char *aliases[LIST_MAX + 1], *addresses[LIST_MAX + 1], *services[LIST_MAX], *delegates[LIST_MAX];
        char why[600];
};

/* ---- setup ---------------------------------------------------------------- */

const char *mailacct_ldap_key_attr(enum mailacct_ldap_schema s)
{
        return s == MAILACCT_LDAP_SCHEMA_AD ? "objectGUID" : "entryUUID";
}

static int name_of(struct mailacct_ldap_mapper *m, const char *name)
{
        for (size_t i = 0; i < m->n_names; i++)
                if (strcasecmp(m->names[i], name) == 0)
                        return (int)i;
        if (m->n_names == NAMES_MAX)
                return -1;
        m->names[m->n_names] = name;
        return (int)m->n_names++;
}

static void set(struct mailacct_ldap_mapper *m, enum slot s, const char *name, enum rule rule)
{
        m->src[s].name = name ? name_of(m, name) : -1;
        m->src[s].rule = name && m->src[s].name >= 0 ? rule : RULE_NONE;
}

/* A field named in map: its attribute read by the rule the field needs,
 * the attributes whose meaning is known read by theirs. */
static bool mapped(struct mailacct_ldap_mapper *m, enum mailacct_ldap_field f, enum slot s, enum rule rule)
{
        const char *a = m->c->map[f];

        if (!a)
                return false;
        if (f == MAILACCT_LF_ENABLED)
                rule = strcasecmp(a, "userAccountControl") == 0     ? RULE_UAC
                       : strcasecmp(a, "pwdAccountLockedTime") == 0 ? RULE_PRESENT
                                                                    : RULE_BOOLEAN;
        if (f == MAILACCT_LF_SERVICES && strcasecmp(a, "protocolSettings") == 0)
                rule = RULE_PROTOCOLS;
        if (f == MAILACCT_LF_ADDRESS && strcasecmp(a, "proxyAddresses") == 0)
                rule = RULE_PROXY;
        set(m, s, a, rule);
        return true;
}

struct mailacct_ldap_mapper *mailacct_ldap_mapper_new(const struct mailacct_ldap_conf *c)
{
        struct mailacct_ldap_mapper *m = calloc(1, sizeof(*m));
        bool ad = c->schema == MAILACCT_LDAP_SCHEMA_AD;

        if (!m)
                return NULL;
        m->c = c;
        m->ad = ad;
        for (int s = 0; s < S_MAX; s++)
                m->src[s].name = -1;
        m->key = name_of(m, mailacct_ldap_key_attr(c->schema));

        if (!mapped(m, MAILACCT_LF_ADDRESS, S_ADDRESS, RULE_ONE)) {
                set(m, S_ADDRESS, ad ? "proxyAddresses" : "mail", ad ? RULE_PROXY : RULE_ONE);
                if (ad)
                        set(m, S_MAIL, "mail", RULE_ONE);
        }
        if (!mapped(m, MAILACCT_LF_ALIASES, S_ALIASES, RULE_VALUES)) {
                set(m, S_ALIASES, ad ? "mailNickname" : "uid", RULE_VALUES);
                if (ad)
                        set(m, S_ALIASES_ELSE, "sAMAccountName", RULE_VALUES);
        }
        if (!mapped(m, MAILACCT_LF_ADDRESSES, S_ADDRESSES, RULE_SMTP))
                /* AD's secondary addresses are proxyAddresses' smtp: values */
                set(m, S_ADDRESSES, ad ? NULL : "mailLocalAddress", RULE_SMTP);
        if (!mapped(m, MAILACCT_LF_NT_ACCOUNT, S_NT_ACCOUNT, RULE_ONE) && ad)
                set(m, S_NT_ACCOUNT, "sAMAccountName", RULE_ONE);
        if (!mapped(m, MAILACCT_LF_NAME, S_NAME, RULE_FIRST)) {
                set(m, S_NAME, "displayName", RULE_FIRST);
                if (!ad)
                        set(m, S_NAME_ELSE, "cn", RULE_FIRST);
        }
        if (!mapped(m, MAILACCT_LF_UID, S_UID, RULE_NUMBER))
                set(m, S_UID, "uidNumber", RULE_NUMBER);
        if (!mapped(m, MAILACCT_LF_GID, S_GID, RULE_NUMBER))
                set(m, S_GID, "gidNumber", RULE_NUMBER);
        if (!mapped(m, MAILACCT_LF_HOME, S_HOME, RULE_ONE))
                set(m, S_HOME, ad ? "unixHomeDirectory" : "homeDirectory", RULE_ONE);
        if (!mapped(m, MAILACCT_LF_SHELL, S_SHELL, RULE_ONE))
                set(m, S_SHELL, "loginShell", RULE_ONE);
        if (!mapped(m, MAILACCT_LF_SERVICES, S_SERVICES, RULE_VALUES) && ad)
                set(m, S_SERVICES, "protocolSettings", RULE_PROTOCOLS);
        if (!mapped(m, MAILACCT_LF_DELEGATES, S_DELEGATES, RULE_VALUES) && ad)
                set(m, S_DELEGATES, "msExchDelegateListLink", RULE_VALUES);
        if (!mapped(m, MAILACCT_LF_ENABLED, S_ENABLED, RULE_BOOLEAN))
                set(m, S_ENABLED, ad ? "userAccountControl" : "pwdAccountLockedTime", ad ? RULE_UAC : RULE_PRESENT);
        if (ad)
                set(m, S_UPN, "userPrincipalName", RULE_ONE);
        /* contacts: AD's always, OpenLDAP's when map names a filter */
        if (ad || c->contact_filter) {
                set(m, S_C_ADDRESS, ad ? "targetAddress" : "mail", ad ? RULE_SMTP : RULE_ONE);
                if (ad)
                        set(m, S_C_ADDRESS_ELSE, "mail", RULE_ONE);
                set(m, S_C_ALIAS, ad ? "mailNickname" : "uid", RULE_FIRST);
                set(m, S_C_ALIAS_ELSE, "cn", RULE_FIRST);
        }
        m->names[m->n_names] = NULL;
        return m;
}

void mailacct_ldap_mapper_free(struct mailacct_ldap_mapper *m)
{
        if (!m)
                return;
        for (struct chunk *k = m->arena, *next; k; k = next) {
                next = k->next;
                free(k);
        }
        free(m);
}

const char *const *mailacct_ldap_mapper_attrs(const struct mailacct_ldap_mapper *m)
{
        return m->names;
}

/* ---- scratch: the strings of one entry's spec ------------------------------- */

/* Keeps the first chunk: a warm mapper allocates nothing per entry. */
static void arena_reset(struct mailacct_ldap_mapper *m)
{
        struct chunk *k = m->arena;

        if (!k)
                return;
        for (struct chunk *x = k->next, *next; x; x = next) {
                next = x->next;
                free(x);
        }
        k->next = NULL;
        k->len = 0;
}

static char *arena_alloc(struct mailacct_ldap_mapper *m, size_t n)
{
        struct chunk *k = m->arena;

        if (!k || k->cap - k->len < n) {
                size_t cap = n > 16384 ? n : 16384;
                struct chunk *nk = malloc(sizeof(*nk) + cap);
                if (!nk)
                        return NULL;
                nk->len = 0;
                nk->cap = cap;
                /* the newest chunk first: earlier strings stay where they are */
                nk->next = k;
                m->arena = nk;
                k = nk;
        }
        k->len += n;
        return k->data + k->len - n;
}

static const char *copy(struct mailacct_ldap_mapper *m, const char *p, size_t n)
{
        char *s = arena_alloc(m, n + 1);

        if (!s)
                return NULL;
        memcpy(s, p, n);
        s[n] = '\0';
        return s;
}

/* ---- reading values ----------------------------------------------------------- */

/* A left-out entry's reason, in the mapper. Returns 1 for the callers. */
__attribute__((format(printf, 3, 4))) static int leave(struct mailacct_ldap_mapper *m, const char **why,
                                                       const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(m->why, sizeof(m->why), fmt, ap);
        va_end(ap);
        *why = m->why;
        return 1;
}

static const struct mailacct_ldap_attr *attr(const struct mailacct_ldap_mapper *m, enum slot s)
{
        return m->src[s].name >= 0 ? m->found[m->src[s].name] : NULL;
}

static const char *attr_name(const struct mailacct_ldap_mapper *m, enum slot s)
{
        return m->src[s].name >= 0 ? m->names[m->src[s].name] : "?";
}

/* Every value the rules take passes this: a C string the builder can hold,
 * readable text. 0, or 1 with *why. */
static int check_value(struct mailacct_ldap_mapper *m, const char *name, const struct mailacct_ldap_val *v,
                       const char **why)
{
        if (memchr(v->p, '\0', v->len))
                return leave(m, why, "a value of %s holds a NUL byte", name);
        if (v->len > VALUE_MAX)
                return leave(m, why, "a value of %s is %zu bytes, more than %d", name, v->len, VALUE_MAX);
        if (mailacct_utf8_invalid(v->p, v->len))
                return leave(m, why, "a value of %s is not valid UTF-8", name);
        if (mailacct_has_control(v->p, v->len))
                return leave(m, why, "a value of %s holds a control character", name);
        return 0;
}

/* The value of a single-valued source: NULL when absent. 1 when left out. */
static int one(struct mailacct_ldap_mapper *m, enum slot s, const char **out, const char **why)
{
        const struct mailacct_ldap_attr *a = attr(m, s);

        *out = NULL;
        if (!a || a->n == 0)
                return 0;
        if (a->n > 1 && m->src[s].rule != RULE_FIRST)
                return leave(m, why, "%s has %zu values, one expected", attr_name(m, s), a->n);
        if (check_value(m, attr_name(m, s), &a->v[0], why))
                return 1;
        *out = copy(m, a->v[0].p, a->v[0].len);
        return *out ? 0 : -ENOMEM;
}

enum smtp { NOT_SMTP = 0, SMTP_OTHER, SMTP_PRIMARY, PLAIN };

/* "SMTP:x@y" the primary, "smtp:x@y" (another case) another address, a
 * value of another TYPE: (X500:, SIP:) not an address of ours, a value with
 * no prefix an address as it is. *rest: after the prefix. */
static enum smtp smtp_value(const char *s, const char **rest)
{
        const char *colon = strchr(s, ':'), *at = strchr(s, '@');

        *rest = s;
        if (strncasecmp(s, "smtp:", 5) == 0) {
                *rest = s + 5;
                return strncmp(s, "SMTP:", 5) == 0 ? SMTP_PRIMARY : SMTP_OTHER;
        }
        /* a colon before any '@' is a type prefix ("X400:c=US;...") */
        return colon && (!at || colon < at) ? NOT_SMTP : PLAIN;
}

static bool listed(const char *const *v, size_t n, const char *s, bool fold)
{
        for (size_t i = 0; i < n; i++)
                if (fold ? mailacct_streq_fold(v[i], s) : strcmp(v[i], s) == 0)
                        return true;
        return false;
}

/* Appends the values of source s to list (n of them so far, LIST_MAX at
 * most), each checked; equal values once. fold: addresses compare without
 * case. */
static int values(struct mailacct_ldap_mapper *m, enum slot s, const char **list, size_t *n, bool fold,
                  const char **why)
{
        const struct mailacct_ldap_attr *a = attr(m, s);

        if (!a)
                return 0;
        for (size_t i = 0; i < a->n; i++) {
                const char *v;
                if (check_value(m, a->name, &a->v[i], why))
                        return 1;
                v = copy(m, a->v[i].p, a->v[i].len);
                if (!v)
                        return -ENOMEM;
                if (m->src[s].rule == RULE_SMTP && smtp_value(v, &v) == NOT_SMTP)
                        continue;
                if (!*v || listed(list, *n, v, fold))
                        continue;
                if (*n == LIST_MAX)
                        return leave(m, why, "%s has more than %d values", attr_name(m, s), LIST_MAX);
                list[(*n)++] = v;
        }
        return 0;
}

/* A uid or gid: decimal digits, 0 to 4294967294 (as the file's). */
static int number(struct mailacct_ldap_mapper *m, enum slot s, bool *has, uint32_t *out, const char **why)
{
        const char *v;
        unsigned long long n = 0;
        int r = one(m, s, &v, why);

        *has = false;
        *out = 0;
        if (r || !v)
                return r;
        if (!*v || strlen(v) > 10)
                return leave(m, why, "%s \"%s\" is not a number from 0 to 4294967294", attr_name(m, s), v);
        for (const char *p = v; *p; p++) {
                if (*p < '0' || *p > '9')
                        return leave(m, why, "%s \"%s\" is not a number from 0 to 4294967294", attr_name(m, s), v);
                n = n * 10 + (unsigned)(*p - '0');
        }
        /* (uid_t)-1 means "no change" to chown(2) and setresuid(2) */
        if (n >= 4294967295ULL)
                return leave(m, why, "%s \"%s\" is out of range (0 to 4294967294)", attr_name(m, s), v);
        *has = true;
        *out = (uint32_t)n;
        return 0;
}

/* userAccountControl is a signed 32-bit integer in AD's syntax. */
static bool parse_int(const char *v, long long *out)
{
        const char *p = v + (*v == '-');
        long long n = 0;

        if (!*p || strlen(p) > 11)
                return false;
        for (; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                n = n * 10 + (*p - '0');
        }
        *out = *v == '-' ? -n : n;
        return true;
}

static int enabled(struct mailacct_ldap_mapper *m, bool *out, const char **why)
{
        const struct mailacct_ldap_attr *a = attr(m, S_ENABLED);
        const char *v;
        long long n;
        int r;

        *out = true;
        switch (m->src[S_ENABLED].rule) {
        case RULE_PRESENT:
                *out = !(a && a->n > 0);
                return 0;
        case RULE_UAC:
                if ((r = one(m, S_ENABLED, &v, why)) || !v)
                        return r;
                /* a value we cannot read never means "enabled" */
                if (!parse_int(v, &n))
                        return leave(m, why, "%s \"%s\" is not a number", attr_name(m, S_ENABLED), v);
                *out = !(n & 0x2); /* ACCOUNTDISABLE */
                return 0;
        case RULE_BOOLEAN:
                if ((r = one(m, S_ENABLED, &v, why)) || !v)
                        return r;
                if (strcmp(v, "TRUE") == 0)
                        return 0;
                if (strcmp(v, "FALSE") == 0) {
                        *out = false;
                        return 0;
                }
                return leave(m, why, "%s \"%s\" is not TRUE or FALSE", attr_name(m, S_ENABLED), v);
        default:
                return 0;
        }
}

/* protocolSettings: "POP3§1§...", "IMAP4§0§..." (§ is U+00A7): a protocol
 * listed with 0 is disabled; one not listed is allowed, as in Exchange.
 * The result is the model's allow-list: the known protocols but the
 * disabled ones, or no list at all when none is disabled. */
static int protocols(struct mailacct_ldap_mapper *m, struct mailacct_mailbox_spec *mb, const char **why)
{
        static const char *const known[] = {"imap", "pop3", "smtp", "sieve"};
        const struct mailacct_ldap_attr *a = attr(m, S_SERVICES);
        bool off[4] = {false};
        size_t n = 0;

        if (!a)
                return 0;
        for (size_t i = 0; i < a->n; i++) {
                const char *v = a->v[i].p, *sep;
                size_t len = a->v[i].len, plen;
                if (check_value(m, a->name, &a->v[i], why))
                        return 1;
                sep = memmem(v, len, "\xc2\xa7", 2);
                if (!sep)
                        continue; /* not of the form PROTO§flag§... */
                plen = (size_t)(sep - v);
                if (len < plen + 3)
                        continue;
                if (v[plen + 2] != '0' && v[plen + 2] != '1')
                        return leave(m, why, "%s \"%.*s\": the flag after the protocol is not 0 or 1", a->name,
                                     (int)(len > 64 ? 64 : len), v);
                if (v[plen + 2] == '1')
                        continue;
                if (plen == 5 && strncasecmp(v, "IMAP4", 5) == 0)
                        off[0] = true;
                else if (plen == 4 && strncasecmp(v, "POP3", 4) == 0)
                        off[1] = true;
        }
        if (!off[0] && !off[1])
                return 0;
        for (size_t k = 0; k < 4; k++)
                if (!off[k])
                        m->services[n++] = known[k];
        mb->has_services = true;
        mb->services = (struct mailacct_values){.v = m->services, .n = n};
        return 0;
}

/* ---- DNs -------------------------------------------------------------------- */

static bool label_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* The trailing DC= RDNs of a DN, right to left; any escape, '+' or odd
 * character in them ends the domain (a DC value is a DNS label). */
int mailacct_ldap_dn_domain(const char *dn, size_t dn_len, char *buf, size_t len)
{
        const char *starts[128];
        size_t n = 0, o = 0;
        bool esc = false;
        int first;

        if (dn_len == 0)
                return -ENOENT;
        /* RDN boundaries: unescaped commas */
        starts[n++] = dn;
        for (size_t i = 0; i < dn_len; i++) {
                if (esc) {
                        esc = false;
                        continue;
                }
                if (dn[i] == '\\')
                        esc = true;
                else if (dn[i] == ',') {
                        if (n == 128)
                                return -EINVAL;
                        starts[n++] = dn + i + 1;
                }
        }
        if (esc)
                return -EINVAL;
        /* from the right, as long as the RDNs are DC=label */
        first = (int)n;
        for (int k = (int)n - 1; k >= 0; k--) {
                const char *p = starts[k], *end = k + 1 < (int)n ? starts[k + 1] - 1 : dn + dn_len;
                while (p < end && *p == ' ')
                        p++;
                if (end - p < 4 || strncasecmp(p, "dc", 2) != 0)
                        break;
                p += 2;
                while (p < end && *p == ' ')
                        p++;
                if (p == end || *p != '=')
                        break;
                p++;
                while (p < end && *p == ' ')
                        p++;
                while (end > p && end[-1] == ' ')
                        end--;
                if (p == end)
                        break;
                for (const char *q = p; q < end; q++)
                        if (!label_char(*q))
                                return -ENOENT;
                first = k;
        }
        if (first == (int)n)
                return -ENOENT;
        for (int k = first; k < (int)n; k++) {
                const char *p = strchr(starts[k], '=') + 1, *end = k + 1 < (int)n ? starts[k + 1] - 1 : dn + dn_len;
                while (*p == ' ')
                        p++;
                while (end > p && end[-1] == ' ')
                        end--;
                if (o + (size_t)(end - p) + 2 > len)
                        return -ERANGE;
                if (o)
                        buf[o++] = '.';
                for (; p < end; p++)
                        buf[o++] = mailacct_fold_char(*p);
        }
        buf[o] = '\0';
        return 0;
}

/* ---- the entry -------------------------------------------------------------- */

/* One pass over the entry's attributes: which are the rules' (an attribute
 * with options is not, unless it is a ranged one: AD sends part of a list
 * that long as "name;range=0-1499"). */
static void find_attrs(struct mailacct_ldap_mapper *m, const struct mailacct_ldap_entry *e)
{
        memset(m->found, 0, sizeof(m->found));
        memset(m->truncated, 0, sizeof(m->truncated));
        for (size_t i = 0; i < e->n_attrs; i++) {
                const char *name = e->attrs[i].name, *semi = strchr(name, ';');
                size_t len = semi ? (size_t)(semi - name) : strlen(name);
                for (size_t k = 0; k < m->n_names; k++) {
                        if (strncasecmp(m->names[k], name, len) != 0 || m->names[k][len])
                                continue;
                        if (!semi && !m->found[k])
                                m->found[k] = &e->attrs[i];
                        else if (semi && strcasestr(semi, ";range="))
                                m->truncated[k] = true;
                        break;
                }
        }
}

static int map_contact(struct mailacct_ldap_mapper *m, const struct mailacct_ldap_entry *e,
                       struct mailacct_ldap_mapped *out, const char **why)
{
        struct mailacct_contact_spec *c = &out->contact;
        const char *address = NULL, *alias = NULL;
        int r;

        if (m->src[S_C_ADDRESS].rule == RULE_SMTP) {
                size_t n = 0;
                /* targetAddress: one value, "SMTP:x@y" */
                const struct mailacct_ldap_attr *a = attr(m, S_C_ADDRESS);
                if (a && a->n > 1)
                        return leave(m, why, "%s has %zu values, one expected", a->name, a->n);
                if ((r = values(m, S_C_ADDRESS, m->addresses, &n, true, why)))
                        return r;
                address = n ? m->addresses[0] : NULL;
        } else if ((r = one(m, S_C_ADDRESS, &address, why)))
                return r;
        if (!address && (r = one(m, S_C_ADDRESS_ELSE, &address, why)))
                return r;
        if ((r = one(m, S_C_ALIAS, &alias, why)))
                return r;
        if (!alias && (r = one(m, S_C_ALIAS_ELSE, &alias, why)))
                return r;
        if (!alias)
                return leave(m, why, "a contact without %s or %s", attr_name(m, S_C_ALIAS),
                             attr_name(m, S_C_ALIAS_ELSE));
        memset(c, 0, sizeof(*c));
        c->alias = alias;
        c->address = address;
        c->origin.dn = e->dn;
        return 0;
}

/* The NT account: AD's sAMAccountName (or map's value) in the AD domain the
 * entry's DN names, which is not always the mail domain. */
static int nt_account(struct mailacct_ldap_mapper *m, const struct mailacct_ldap_entry *e,
                      const struct mailacct_ldap_env *env, struct mailacct_ldap_mapped *out, const char **why)
{
        char dns[256];
        const char *account, *netbios;
        char *s;
        int r = one(m, S_NT_ACCOUNT, &account, why);

        if (r || !account)
                return r;
        if (!m->ad || strpbrk(account, "\\/")) {
                out->mailbox.nt_account = account;
                return 0;
        }
        if (mailacct_ldap_dn_domain(e->dn, e->dn_len, dns, sizeof(dns)) < 0)
                /* a DN without DC= parts: the account stands alone (its mail domain's) */
                return leave(m, why, "its DN names no AD domain (no DC= part) for %s", attr_name(m, S_NT_ACCOUNT));
        netbios = env && env->netbios ? env->netbios(env->ctx, dns) : NULL;
        if (!netbios) {
                netbios = copy(m, dns, strlen(dns));
                if (!netbios)
                        return -ENOMEM;
                out->nt_fallback = netbios;
        }
        s = arena_alloc(m, strlen(netbios) + strlen(account) + 2);
        if (!s)
                return -ENOMEM;
        sprintf(s, "%s\\%s", netbios, account);
        out->mailbox.nt_account = s;
        return 0;
}

static int map_mailbox(struct mailacct_ldap_mapper *m, const struct mailacct_ldap_entry *e,
                       const struct mailacct_ldap_env *env, struct mailacct_ldap_mapped *out, const char **why)
{
        struct mailacct_mailbox_spec *mb = &out->mailbox;
        const char *address = NULL, *upn = NULL;
        size_t n_aliases = 0, n_addresses = 0, n_delegates = 0;
        bool has;
        uint32_t id;
        int r;

        memset(mb, 0, sizeof(*mb));
        mb->origin.dn = e->dn;
        mb->dn = e->dn;
        if (m->src[S_ADDRESS].rule == RULE_PROXY) {
                /* SMTP: (upper case) the primary, smtp: the others */
                const struct mailacct_ldap_attr *a = attr(m, S_ADDRESS);
                for (size_t i = 0; a && i < a->n; i++) {
                        const char *v;
                        enum smtp kind;
                        if (check_value(m, a->name, &a->v[i], why))
                                return 1;
                        if (!(v = copy(m, a->v[i].p, a->v[i].len)))
                                return -ENOMEM;
                        kind = smtp_value(v, &v);
                        if ((kind != SMTP_PRIMARY && kind != SMTP_OTHER) || !*v)
                                continue;
                        if (kind == SMTP_PRIMARY) {
                                if (address && !mailacct_streq_fold(address, v))
                                        return leave(m, why, "two primary addresses in %s: SMTP:%s and SMTP:%s",
                                                     a->name, address, v);
                                address = v;
                                continue;
                        }
                        if (listed(m->addresses, n_addresses, v, true))
                                continue;
                        if (n_addresses == LIST_MAX)
                                return leave(m, why, "%s has more than %d values", a->name, LIST_MAX);
                        m->addresses[n_addresses++] = v;
                }
                if (!address && (r = one(m, S_MAIL, &address, why)))
                        return r;
        } else if (m->src[S_ADDRESS].rule == RULE_ONE) {
                if ((r = one(m, S_ADDRESS, &address, why)))
                        return r;
                if (address && smtp_value(address, &address) == NOT_SMTP)
                        return leave(m, why, "%s is not an SMTP address", attr_name(m, S_ADDRESS));
        }
        if (!address || !*address)
                return leave(m, why, "no address (%s%s%s)", attr_name(m, S_ADDRESS), m->src[S_MAIL].rule ? " or " : "",
                             m->src[S_MAIL].rule ? attr_name(m, S_MAIL) : "");
        mb->address = address;
        if (m->src[S_ADDRESSES].rule && (r = values(m, S_ADDRESSES, m->addresses, &n_addresses, true, why)))
                return r;
        /* aliases: mailNickname, else sAMAccountName (Exchange assumed alias = NT account) */
        if ((r = values(m, S_ALIASES, m->aliases, &n_aliases, false, why)))
                return r;
        if (n_aliases == 0 && (r = values(m, S_ALIASES_ELSE, m->aliases, &n_aliases, false, why)))
                return r;
        if ((r = nt_account(m, e, env, out, why)))
                return r;
        if ((r = one(m, S_NAME, &mb->name, why)))
                return r;
        if (!mb->name && (r = one(m, S_NAME_ELSE, &mb->name, why)))
                return r;
        if ((r = number(m, S_UID, &has, &id, why)))
                return r;
        mb->has_uid = has;
        mb->uid = id;
        if ((r = number(m, S_GID, &has, &id, why)))
                return r;
        mb->has_gid = has;
        mb->gid = id;
        if ((r = one(m, S_HOME, &mb->home, why)) || (r = one(m, S_SHELL, &mb->shell, why)))
                return r;
        if ((r = enabled(m, &mb->enabled, why)))
                return r;
        if (m->src[S_SERVICES].rule == RULE_PROTOCOLS) {
                if ((r = protocols(m, mb, why)))
                        return r;
        } else if (m->src[S_SERVICES].rule && attr(m, S_SERVICES)) {
                size_t n = 0;
                if ((r = values(m, S_SERVICES, m->services, &n, true, why)))
                        return r;
                mb->has_services = true;
                mb->services = (struct mailacct_values){.v = m->services, .n = n};
        }
        if (m->src[S_DELEGATES].rule && (r = values(m, S_DELEGATES, m->delegates, &n_delegates, true, why)))
                return r;
        /* userPrincipalName: kept as it is, and a login address too when
         * its domain is hosted here */
        if ((r = one(m, S_UPN, &upn, why)))
                return r;
        if (upn) {
                const char *at = strrchr(upn, '@');
                mb->upn = upn;
                if (at && at[1] && env && env->hosts && env->hosts(env->ctx, at + 1) &&
                    !mailacct_streq_fold(upn, address) && !listed(m->addresses, n_addresses, upn, true)) {
                        if (n_addresses == LIST_MAX)
                                return leave(m, why, "more than %d addresses", LIST_MAX);
                        m->addresses[n_addresses++] = upn;
                }
        }
        /* the primary address is not a secondary one of its own */
        for (size_t i = 0; i < n_addresses; i++)
                if (mailacct_streq_fold(m->addresses[i], address)) {
                        memmove(&m->addresses[i], &m->addresses[i + 1], (n_addresses - i - 1) * sizeof(char *));
                        n_addresses--;
                        break;
                }
        mb->aliases = (struct mailacct_values){.v = m->aliases, .n = n_aliases};
        mb->addresses = (struct mailacct_values){.v = m->addresses, .n = n_addresses};
        mb->delegate_dns = (struct mailacct_values){.v = m->delegates, .n = n_delegates};
        return 0;
}

int mailacct_ldap_map(struct mailacct_ldap_mapper *m, const struct mailacct_ldap_entry *e,
                      const struct mailacct_ldap_env *env, struct mailacct_ldap_mapped *out, const char **why)
{
        struct mailacct_ldap_val dn = {e->dn, e->dn_len};

        arena_reset(m);
        memset(out, 0, sizeof(*out));
        out->kind = e->kind;
        *why = NULL;
        if (!e->dn || check_value(m, "the DN", &dn, why))
                return e->dn ? 1 : leave(m, why, "no DN");
        find_attrs(m, e);
        for (size_t k = 0; k < m->n_names; k++)
                if (m->truncated[k] && (int)k != m->key)
                        return leave(m, why, "%s has more values than the server sends at once", m->names[k]);
        if (e->kind == MAILACCT_LDAP_CONTACT)
                return map_contact(m, e, out, why);
        if (e->kind != MAILACCT_LDAP_MAILBOX)
                return leave(m, why, "neither a mailbox nor a contact");
        return map_mailbox(m, e, env, out, why);
}

const char *mailacct_ldap_naming_context(const char *dn)
{
        const char *nc = dn + strlen(dn);

        for (const char *at = dn; *at;) {
                const char *comma = at;
                if (strncasecmp(at, "DC=", 3) != 0) {
                        nc = NULL;
                } else if (!nc || !*nc)
                        nc = at;
                /* the next RDN: past an unescaped comma */
                while (*comma && *comma != ',')
                        comma += comma[0] == '\\' && comma[1] ? 2 : 1;
                at = *comma ? comma + 1 : comma;
                while (*at == ' ')
                        at++;
        }
        return nc && *nc ? nc : dn;
}

size_t mailacct_ldap_naming_contexts(const struct mailacct_ldap_conf *c, const char **out)
{
        size_t n = 0;

        for (size_t j = 0; j < c->n_base && j < MAILACCT_LDAP_BASES_MAX; j++) {
                const char *nc = mailacct_ldap_naming_context(c->base[j]);
                size_t k = 0;
                while (k < n && strcasecmp(out[k], nc) != 0)
                        k++;
                if (k == n)
                        out[n++] = nc;
        }
        return n;
}
