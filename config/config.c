/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confscan.h"
#include "login.h"

/* The shared state of one load: where findings go and what they name. */
struct loader {
        const char *file;
        struct mailacct_diags *diags;
        struct mailacct_dir *dir;
        /* the text of the file being read, for literal_int() */
        char *src_name, *src;
        size_t src_len, *src_lines, n_src_lines;
};

#define LINE(s) ((int)config_setting_source_line(s))

__attribute__((format(printf, 3, 4))) static void err(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
        char *text;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                abort();
        va_end(ap);
        mailacct_diag_add(L->diags, MAILACCT_ERROR, L->file, s ? LINE(s) : 0, "%s", text);
        free(text);
}

static const char *type_name(int t)
{
        switch (t) {
        case CONFIG_TYPE_GROUP:
                return "a group { }";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                return "an integer";
        case CONFIG_TYPE_FLOAT:
                return "a number";
        case CONFIG_TYPE_STRING:
                return "a string";
        case CONFIG_TYPE_BOOL:
                return "true or false";
        case CONFIG_TYPE_ARRAY:
                return "an array [ ]";
        case CONFIG_TYPE_LIST:
                return "a list ( )";
        default:
                return "unknown";
        }
}

/* Keys allowed in each group; anything else is a typo we name. */
static bool known(const char *name, const char *const *keys)
{
        for (; *keys; keys++)
                if (strcmp(name, *keys) == 0)
                        return true;
        return false;
}

static void unknown_keys(struct loader *L, const config_setting_t *g, const char *what, const char *const *keys)
{
        for (int i = 0; i < config_setting_length(g); i++) {
                config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
                const char *n = config_setting_name(e);
                if (n && !known(n, keys))
                        err(L, e, "unknown key \"%s\" in %s", n, what);
        }
}

static bool want_type(struct loader *L, const config_setting_t *s, int type)
{
        int t = config_setting_type(s);

        if (t == type || (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
                return true;
        err(L, s, "\"%s\" must be %s, not %s", config_setting_name(s) ? config_setting_name(s) : "element",
            type_name(type), type_name(t));
        return false;
}

static const char *get_string(struct loader *L, const config_setting_t *g, const char *key)
{
        config_setting_t *s = config_setting_get_member(g, key);

        if (!s || !want_type(L, s, CONFIG_TYPE_STRING))
                return NULL;
        return config_setting_get_string(s);
}

static int dup_string(struct loader *L, const config_setting_t *g, const char *key, char **out)
{
        const char *v = get_string(L, g, key);

        if (!v)
                return 0;
        *out = strdup(v);
        return *out ? 0 : -ENOMEM;
}

static void source_free(struct loader *L)
{
        free(L->src_name);
        free(L->src);
        free(L->src_lines);
        L->src_name = L->src = NULL;
        L->src_lines = NULL;
        L->src_len = L->n_src_lines = 0;
}

/* Line n (1-based) of file, from a copy read once per file; NULL if unknown. */
static const char *source_line(struct loader *L, const char *file, int n, size_t *len)
{
        if (!file || n < 1)
                return NULL;
        if (!L->src_name || strcmp(L->src_name, file) != 0) {
                FILE *f = fopen(file, "re");
                size_t cap = 0;

                source_free(L);
                if (!f)
                        return NULL;
                if (getdelim(&L->src, &cap, '\0', f) < 0 || !(L->src_name = strdup(file))) {
                        fclose(f);
                        source_free(L);
                        return NULL;
                }
                fclose(f);
                L->src_len = strlen(L->src);
                /* one allocation for the line table: growing it line by line
                 * would leave a trail of freed chunks of every size behind */
                for (const char *p = L->src; (p = memchr(p, '\n', L->src_len - (size_t)(p - L->src))); p++)
                        L->n_src_lines++;
                L->src_lines = malloc((L->n_src_lines + 1) * sizeof(*L->src_lines));
                if (!L->src_lines) {
                        source_free(L);
                        return NULL;
                }
                L->n_src_lines = 0;
                L->src_lines[L->n_src_lines++] = 0;
                for (const char *p = L->src; (p = memchr(p, '\n', L->src_len - (size_t)(p - L->src))); p++)
                        L->src_lines[L->n_src_lines++] = (size_t)(p + 1 - L->src);
        }
        if ((size_t)n > L->n_src_lines)
                return NULL;
        {
                const char *b = L->src + L->src_lines[n - 1], *e = strchr(b, '\n');
                *len = e ? (size_t)(e - b) : strlen(b);
                return b;
        }
}

/* libconfig 1.5 (Debian 12) reads an integer literal through a plain int:
 * "uid = 4294967296;" arrives as 0 (root) and 4294967294 as -2, without a
 * word. So the literal the administrator wrote is read again from its line
 * and checked itself; *out holds libconfig's value on entry, and a literal
 * counts only if its low 32 bits agree with it. Returns false when it cannot
 * be found (then libconfig's value stands). */
static bool literal_int(struct loader *L, const config_setting_t *s, const char *key, long long *out, char *text,
                        size_t textlen)
{
        size_t len, klen = strlen(key);
        const char *line = source_line(L, config_setting_source_file(s), LINE(s), &len);

        for (const char *p = line; p && p + klen < line + len; p++) {
                const char *q;
                unsigned long long u;
                bool neg = false;
                char *end;

                p = memmem(p, (size_t)(line + len - p), key, klen);
                if (!p)
                        break;
                q = p + klen;
                if (p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
                        continue;
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q != '=' && *q != ':')
                        continue;
                q++;
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q == '-' || *q == '+')
                        neg = *q++ == '-';
                if (!isdigit((unsigned char)*q))
                        return false;
                errno = 0;
                u = strtoull(q, &end, 0);
                if (errno != ERANGE && (uint32_t)(neg ? -u : u) != (uint32_t)*out)
                        continue; /* not this literal (a string holding "uid=4", say) */
                snprintf(text, textlen, "%s%.*s", neg ? "-" : "", (int)(end - q), q);
                if (errno == ERANGE || u > (unsigned long long)LLONG_MAX)
                        *out = neg ? LLONG_MIN : LLONG_MAX;
                else
                        *out = neg ? -(long long)u : (long long)u;
                return true;
        }
        return false;
}

static bool get_id(struct loader *L, const config_setting_t *g, const char *key, unsigned *out)
{
        config_setting_t *s = config_setting_get_member(g, key);
        char text[64];
        long long v;

        if (!s || !want_type(L, s, CONFIG_TYPE_INT))
                return false;
        v = config_setting_get_int64(s);
        snprintf(text, sizeof(text), "%lld", v);
        if (config_setting_type(s) == CONFIG_TYPE_INT) /* an "L" literal is read exactly */
                (void)literal_int(L, s, key, &v, text, sizeof(text));
        /* (uid_t)-1 means "no change" to chown(2) and setresuid(2) */
        if (v < 0 || v >= 4294967295LL) {
                err(L, s, "\"%s\" = %s is out of range (0 to 4294967294)", key, text);
                return false;
        }
        *out = (unsigned)v;
        return true;
}

static bool get_bool(struct loader *L, const config_setting_t *g, const char *key, bool dflt)
{
        config_setting_t *s = config_setting_get_member(g, key);

        if (!s || !want_type(L, s, CONFIG_TYPE_BOOL))
                return dflt;
        return config_setting_get_bool(s);
}

typedef const char *(*validator)(const char *s);

/* Values must be logins of the right form: the same parser as at login time,
 * so that nothing is written that no one could ever type. */
static const char *valid_alias(const char *s)
{
        struct mailacct_login l;
        const char *why;

        if (mailacct_login_parse(s, &l, &why) < 0)
                return why;
        return l.form == MAILACCT_FORM_BARE ? NULL : "must be a bare name (no '@', '\\' or '/')";
}

static const char *valid_address(const char *s)
{
        struct mailacct_login l;
        const char *why;

        if (mailacct_login_parse(s, &l, &why) < 0)
                return why;
        return l.form == MAILACCT_FORM_ADDRESS ? NULL : "must be an address local@domain";
}

static const char *valid_any_login(const char *s)
{
        struct mailacct_login l;
        const char *why;

        if (mailacct_login_parse(s, &l, &why) < 0)
                return why;
        return l.form == MAILACCT_FORM_DELEGATE ? "a delegate is one account, not a three-part login" : NULL;
}

static const char *valid_name(const char *s)
{
        return valid_alias(s);
}

static int get_strv(struct loader *L, const config_setting_t *g, const char *key, struct mailacct_strv *v,
                    validator check)
{
        config_setting_t *s = config_setting_get_member(g, key);
        int t;

        if (!s)
                return 0;
        t = config_setting_type(s);
        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
                err(L, s, "\"%s\" must be an array [ \"...\" ], not %s", key, type_name(t));
                return 0;
        }
        for (int i = 0; i < config_setting_length(s); i++) {
                config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
                const char *str, *why;

                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                        err(L, e, "\"%s\" must hold strings, not %s", key, type_name(config_setting_type(e)));
                        continue;
                }
                str = config_setting_get_string(e);
                why = check ? check(str) : NULL;
                if (why) {
                        err(L, e, "%s \"%s\": %s", key, str, why);
                        continue;
                }
                if (mailacct_strv_add(v, str, LINE(e)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void check_home(struct loader *L, const config_setting_t *g, const char *home)
{
        if (!home)
                return;
        if (home[0] != '/')
                err(L, config_setting_get_member(g, "home"), "home \"%s\" must be an absolute path", home);
        for (const char *p = strchr(home, '%'); p; p = strchr(p + 2, '%')) {
                if (!p[1] || !strchr("dnu%", p[1])) {
                        err(L, config_setting_get_member(g, "home"),
                            "home \"%s\": unknown %%-escape (use %%d domain, %%n local part, %%u address, %%%% %%)",
                            home);
                        return;
                }
        }
}

static int load_defaults(struct loader *L, const config_setting_t *g, struct mailacct_defaults *df)
{
        static const char *const keys[] = {"uid", "gid", "home", "shell", NULL};
        unsigned v;

        if (!want_type(L, g, CONFIG_TYPE_GROUP))
                return 0;
        unknown_keys(L, g, "defaults", keys);
        if ((df->has_uid = get_id(L, g, "uid", &v)))
                df->uid = v;
        if ((df->has_gid = get_id(L, g, "gid", &v)))
                df->gid = v;
        if (dup_string(L, g, "home", &df->home) < 0 || dup_string(L, g, "shell", &df->shell) < 0)
                return -ENOMEM;
        check_home(L, g, df->home);
        return 0;
}

static const config_setting_t *get_list(struct loader *L, const config_setting_t *root, const char *key)
{
        config_setting_t *s = config_setting_get_member(root, key);
        int t;

        if (!s)
                return NULL;
        t = config_setting_type(s);
        if (t != CONFIG_TYPE_LIST && !(t == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0)) {
                err(L, s, "\"%s\" must be a list ( { ... }, ... ), not %s", key, type_name(t));
                return NULL;
        }
        return s;
}

static int load_domains(struct loader *L, const config_setting_t *list)
{
        static const char *const keys[] = {"name", "netbios", "aliases", "defaults", NULL};
        struct mailacct_dir *d = L->dir;
        int n = list ? config_setting_length(list) : 0;

        d->domains = calloc((size_t)n + 1, sizeof(*d->domains));
        if (!d->domains)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
                struct mailacct_domain *dom;
                const char *name, *why;

                if (!want_type(L, g, CONFIG_TYPE_GROUP))
                        continue;
                unknown_keys(L, g, "a domain", keys);
                name = get_string(L, g, "name");
                if (!name) {
                        err(L, g, "domain without a name");
                        continue;
                }
                if ((why = valid_name(name))) {
                        err(L, g, "domain name \"%s\": %s", name, why);
                        continue;
                }
                dom = &d->domains[d->n_domains];
                dom->line = LINE(g);
                dom->name = strdup(name);
                if (!dom->name || dup_string(L, g, "netbios", &dom->netbios) < 0 ||
                    get_strv(L, g, "aliases", &dom->aliases, valid_name) < 0)
                        return -ENOMEM;
                d->n_domains++;
                if (dom->netbios && (why = valid_name(dom->netbios)))
                        err(L, config_setting_get_member(g, "netbios"), "netbios \"%s\": %s", dom->netbios, why);
                if (config_setting_get_member(g, "defaults") &&
                    load_defaults(L, config_setting_get_member(g, "defaults"), &dom->defaults) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int load_nt_account(struct loader *L, const config_setting_t *g, struct mailacct_mailbox *m)
{
        const char *v = get_string(L, g, "nt_account"), *why;
        struct mailacct_login l;

        if (!v)
                return 0;
        if (mailacct_login_parse(v, &l, &why) < 0 ||
            (l.form != MAILACCT_FORM_BARE && l.form != MAILACCT_FORM_NTACCOUNT)) {
                err(L, config_setting_get_member(g, "nt_account"), "nt_account \"%s\": %s", v,
                    why ? why : "must be \"account\" or \"DOMAIN\\\\account\"");
                return 0;
        }
        if (l.form == MAILACCT_FORM_NTACCOUNT && !(m->nt_domain = strdup(l.domain)))
                return -ENOMEM;
        m->nt_account = strdup(l.account);
        return m->nt_account ? 0 : -ENOMEM;
}

static int load_mailbox(struct loader *L, const config_setting_t *g, struct mailacct_mailbox *m)
{
        const char *addr, *why, *at;
        struct mailacct_dir *d = L->dir;
        config_setting_t *svc;
        unsigned v;

        addr = get_string(L, g, "address");
        if (!addr) {
                err(L, g, "mailbox without an address");
                return 1;
        }
        if ((why = valid_address(addr))) {
                err(L, config_setting_get_member(g, "address"), "address \"%s\": %s", addr, why);
                return 1;
        }
        at = strrchr(addr, '@');
        /* a NetBIOS name is not a mail domain (rule 1) */
        m->domain = mailacct_dir_find_mail_domain(d, at + 1);
        if (m->domain == MAILACCT_NONE) {
                err(L, config_setting_get_member(g, "address"), "address \"%s\": domain \"%s\" is not in domains%s",
                    addr, at + 1,
                    mailacct_dir_find_domain(d, at + 1) != MAILACCT_NONE ? " (it is a NetBIOS name)" : "");
                return 1;
        }
        m->line = LINE(g);
        m->address = strdup(addr);
        m->local = strndup(addr, (size_t)(at - addr));
        m->enabled = get_bool(L, g, "enabled", true);
        if (!m->address || !m->local || get_strv(L, g, "aliases", &m->aliases, valid_alias) < 0 ||
            get_strv(L, g, "addresses", &m->addresses, valid_address) < 0 ||
            get_strv(L, g, "delegates", &m->delegates, valid_any_login) < 0 ||
            get_strv(L, g, "services", &m->services, valid_alias) < 0 || load_nt_account(L, g, m) < 0 ||
            dup_string(L, g, "name", &m->name) < 0 || dup_string(L, g, "home", &m->home) < 0 ||
            dup_string(L, g, "shell", &m->shell) < 0)
                return -ENOMEM;
        for (size_t k = 0; k < m->addresses.n; k++) {
                const char *dom = strrchr(m->addresses.v[k], '@') + 1;
                if (mailacct_dir_find_domain(d, dom) != MAILACCT_NONE &&
                    mailacct_dir_find_mail_domain(d, dom) == MAILACCT_NONE)
                        err(L, config_setting_get_member(g, "addresses"),
                            "addresses \"%s\": \"%s\" is a NetBIOS name, not a mail domain", m->addresses.v[k], dom);
        }
        svc = config_setting_get_member(g, "services");
        m->has_services = svc != NULL;
        if ((m->has_uid = get_id(L, g, "uid", &v)))
                m->uid = v;
        if ((m->has_gid = get_id(L, g, "gid", &v)))
                m->gid = v;
        check_home(L, g, m->home);
        if (m->name && strpbrk(m->name, ":\n"))
                err(L, config_setting_get_member(g, "name"), "name \"%s\" must not contain ':' or a newline", m->name);
        return 0;
}

static int load_mailboxes(struct loader *L, const config_setting_t *list)
{
        static const char *const keys[] = {"address", "aliases", "addresses", "nt_account", "name",    "uid", "gid",
                                           "home",    "shell",   "services",  "delegates",  "enabled", NULL};
        struct mailacct_dir *d = L->dir;
        int n = list ? config_setting_length(list) : 0;

        d->mailboxes = calloc((size_t)n + 1, sizeof(*d->mailboxes));
        if (!d->mailboxes)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
                struct mailacct_mailbox *m = &d->mailboxes[d->n_mailboxes];
                int r;

                if (!want_type(L, g, CONFIG_TYPE_GROUP))
                        continue;
                unknown_keys(L, g, "a mailbox", keys);
                /* counted even when half-read, so that free() sees it */
                d->n_mailboxes++;
                r = load_mailbox(L, g, m);
                if (r < 0)
                        return r;
                if (r > 0) {
                        d->n_mailboxes--;
                        free(m->address);
                        free(m->local);
                        memset(m, 0, sizeof(*m));
                }
        }
        return 0;
}

static int load_contacts(struct loader *L, const config_setting_t *list)
{
        static const char *const keys[] = {"alias", "address", "name", NULL};
        struct mailacct_dir *d = L->dir;
        int n = list ? config_setting_length(list) : 0;

        d->contacts = calloc((size_t)n + 1, sizeof(*d->contacts));
        if (!d->contacts)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
                struct mailacct_contact *c;
                const char *alias, *addr, *why;

                if (!want_type(L, g, CONFIG_TYPE_GROUP))
                        continue;
                unknown_keys(L, g, "a contact", keys);
                alias = get_string(L, g, "alias");
                addr = get_string(L, g, "address");
                if (!alias) {
                        err(L, g, "contact without an alias");
                        continue;
                }
                if ((why = valid_alias(alias)) || (addr && (why = valid_address(addr)))) {
                        err(L, g, "contact \"%s\": %s", alias, why);
                        continue;
                }
                c = &d->contacts[d->n_contacts++];
                c->line = LINE(g);
                c->alias = strdup(alias);
                c->address = addr ? strdup(addr) : NULL;
                if (!c->alias || (addr && !c->address))
                        return -ENOMEM;
        }
        return 0;
}

static int enum_value(struct loader *L, const config_setting_t *root, const char *key, const char *const *names,
                      int dflt)
{
        const char *v = get_string(L, root, key);

        if (!v)
                return dflt;
        for (int i = 0; names[i]; i++)
                if (strcmp(v, names[i]) == 0)
                        return i;
        {
                /* name every accepted value (the old text dropped the third) */
                char list[256] = "";
                for (int i = 0; names[i]; i++) {
                        const char *sep = ", ";
                        if (i == 0)
                                sep = "";
                        else if (!names[i + 1])
                                sep = " or ";
                        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"", sep, names[i]);
                }
                err(L, config_setting_get_member(root, key), "%s = \"%s\": expected %s", key, v, list);
        }
        return dflt;
}

/* A relative secrets or index path is taken from the configuration's own
 * folder, so that a directory and its secrets move together (and tests need
 * no absolute paths). */
static int anchor_path(const char *conf, char **path)
{
        const char *slash = strrchr(conf, '/');
        char *joined;

        if (!*path || (*path)[0] == '/' || !slash)
                return 0;
        if (asprintf(&joined, "%.*s/%s", (int)(slash - conf), conf, *path) < 0)
                return -ENOMEM;
        free(*path);
        *path = joined;
        return 0;
}

static int load_root(struct loader *L, const config_setting_t *root)
{
        static const char *const keys[] = {
                "default_domain", "bare_alias", "case_sensitive", "canonical", "secrets", "index",
                "defaults",       "domains",    "mailboxes",      "contacts",  NULL};
        static const char *const policies[] = {"prefer-default-domain", "default-domain", "unique", NULL};
        static const char *const canon[] = {"address", "local", "netbios", NULL};
        struct mailacct_dir *d = L->dir;
        int r;

        unknown_keys(L, root, "the configuration", keys);
        d->bare_alias = (enum mailacct_bare_policy)enum_value(L, root, "bare_alias", policies, 0);
        d->canonical = (enum mailacct_canonical)enum_value(L, root, "canonical", canon, 0);
        d->case_sensitive = get_bool(L, root, "case_sensitive", false);
        if (config_setting_get_member(root, "default_domain"))
                d->default_domain_line = LINE(config_setting_get_member(root, "default_domain"));
        if (dup_string(L, root, "default_domain", &d->default_domain) < 0 ||
            dup_string(L, root, "secrets", &d->secrets) < 0 || dup_string(L, root, "index", &d->index) < 0 ||
            anchor_path(L->file, &d->secrets) < 0 || anchor_path(L->file, &d->index) < 0)
                return -ENOMEM;
        if (config_setting_get_member(root, "defaults") &&
            load_defaults(L, config_setting_get_member(root, "defaults"), &d->defaults) < 0)
                return -ENOMEM;

        r = load_domains(L, get_list(L, root, "domains"));
        if (r < 0)
                return r;
        if (d->n_domains == 0)
                err(L, NULL, "no domains: add domains = ( { name = \"example.com\"; } );");
        /* mailboxes name their domain: the domain table must exist first */
        {
                /* domain findings are reported by the final pass */
                struct mailacct_diags scratch;
                mailacct_diags_init(&scratch);
                r = mailacct_dir_finalize(d, L->file, &scratch);
                mailacct_diags_clear(&scratch);
                if (r == -ENOMEM)
                        return r;
        }
        r = load_mailboxes(L, get_list(L, root, "mailboxes"));
        if (r == 0)
                r = load_contacts(L, get_list(L, root, "contacts"));
        return r;
}

/* Every file the configuration is made of (itself and what it @includes)
 * must be one this process may trust before libconfig reads a byte of it. */
static int check_files(const char *path, struct mailacct_diags *diags, char *include_dir, size_t len)
{
        struct mailacct_conf_scan scan;
        char why[1024];
        int r;

        r = mailacct_conf_scan(path, 0, &scan, why, sizeof(why));
        if (r < 0) {
                const char *file = scan.bad[0] ? scan.bad : path;
                if (r == -EPERM || r == -EINVAL || r == -ENOMEM)
                        mailacct_diag_add(diags, MAILACCT_ERROR, file, scan.bad_line, "%s", why);
                else
                        mailacct_diag_add(diags, MAILACCT_ERROR, file, 0, "cannot read: %s%s", strerror(-r),
                                          r == -EACCES && geteuid() != 0 ? " (run as root, or as the file's owner)"
                                                                         : "");
                return r;
        }
        mailacct_conf_scan_free(&scan);
        return mailacct_conf_include_dir(path, include_dir, len);
}

int mailacct_config_load(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags)
{
        size_t errors = diags->errors;
        struct loader L = {.file = path, .diags = diags};
        char include_dir[PATH_MAX];
        config_t cf;
        int r;

        *out = NULL;
        r = check_files(path, diags, include_dir, sizeof(include_dir));
        if (r < 0)
                return r;
        config_init(&cf);
        /* @include names are taken from the configuration's folder, as the
         * scan above took them, never from the process's working folder */
        config_set_include_dir(&cf, include_dir);
        if (config_read_file(&cf, path) != CONFIG_TRUE) {
                mailacct_diag_add(diags, MAILACCT_ERROR, config_error_file(&cf) ? config_error_file(&cf) : path,
                                  config_error_line(&cf), "%s", config_error_text(&cf));
                config_destroy(&cf);
                return -EINVAL;
        }
        L.dir = mailacct_dir_new();
        if (!L.dir) {
                config_destroy(&cf);
                return -ENOMEM;
        }
        r = load_root(&L, config_root_setting(&cf));
        source_free(&L);
        config_destroy(&cf);
        if (r == 0)
                r = mailacct_dir_finalize(L.dir, path, diags);
        if (r == 0 && diags->errors > errors)
                r = -EINVAL;
        if (r < 0) {
                mailacct_dir_free(L.dir);
                return r;
        }
        *out = L.dir;
        return 0;
}
