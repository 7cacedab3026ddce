/* SPDX-License-Identifier: MIT */
/* The file source: a configuration in libconfig's syntax, read by the
 * parser of that syntax (cfparse.h) into the builder (lib/build.h). What is
 * the file's own business stays here (types, unknown keys); every rule of
 * the model (names, collisions, delegates) is the builder's. The settings
 * and domains go to the builder first, wherever they stand in the file;
 * then the mailboxes and contacts, one at a time, each read again from the
 * file and forgotten once the builder has it: a million mailboxes never
 * make a tree of a million mailboxes. */
#include "file.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "cfparse.h"
#include "confscan.h"
#include "ldap/conf.h"
#include "login.h"
#include "trust.h"

/* The values of one list setting, pointing into the parsed tree. */
struct vals {
        const char **v;
        int *lines;
        size_t n, cap;
};

/* A file the parser reads: mapped, and kept until the load ends (a
 * streamed list is read again from it). */
struct text {
        char *path;
        void *map;
        size_t len;
};

/* The shared state of one load: where findings go and what they name. */
struct loader {
        const char *file;
        struct mailacct_diags *diags;
        struct mailacct_builder *b;
        struct mailacct_cf *cf;
        struct vals aliases, addresses, services, delegates; /* reused per mailbox */
        const char *include_dir;
        struct text texts[MAILACCT_CONF_FILES_MAX];
        size_t n_texts;
};

#define LINE(s) mailacct_cf_line(s)

__attribute__((format(printf, 3, 4))) static void err(struct loader *L, const struct mailacct_cf_node *s,
                                                      const char *fmt, ...)
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

static const char *type_name(enum mailacct_cf_type t)
{
        switch (t) {
        case MAILACCT_CF_GROUP:
                return "a group { }";
        case MAILACCT_CF_INT:
        case MAILACCT_CF_INT64:
                return "an integer";
        case MAILACCT_CF_FLOAT:
                return "a number";
        case MAILACCT_CF_STRING:
                return "a string";
        case MAILACCT_CF_BOOL:
                return "true or false";
        case MAILACCT_CF_ARRAY:
                return "an array [ ]";
        case MAILACCT_CF_LIST:
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

static void unknown_keys(struct loader *L, const struct mailacct_cf_node *g, const char *what, const char *const *keys)
{
        for (unsigned i = 0; i < mailacct_cf_length(g); i++) {
                const struct mailacct_cf_node *e = mailacct_cf_elem(g, i);
                const char *n = mailacct_cf_name(e);
                if (n && !known(n, keys))
                        err(L, e, "unknown key \"%s\" in %s", n, what);
        }
}

static bool want_type(struct loader *L, const struct mailacct_cf_node *s, enum mailacct_cf_type type)
{
        enum mailacct_cf_type t = mailacct_cf_type(s);

        if (t == type || (type == MAILACCT_CF_INT && t == MAILACCT_CF_INT64))
                return true;
        err(L, s, "\"%s\" must be %s, not %s", mailacct_cf_name(s) ? mailacct_cf_name(s) : "element", type_name(type),
            type_name(t));
        return false;
}

static const char *get_string(struct loader *L, const struct mailacct_cf_node *g, const char *key)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(g, key);

        if (!s || !want_type(L, s, MAILACCT_CF_STRING))
                return NULL;
        return mailacct_cf_string(s);
}

static bool get_id(struct loader *L, const struct mailacct_cf_node *g, const char *key, unsigned *out)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(g, key);
        long long v;
        char text[64];

        if (!s || !want_type(L, s, MAILACCT_CF_INT))
                return false;
        /* the parser's integers are exact: "uid = 4294967296;" is never 0 */
        v = mailacct_cf_int64(s);
        if (mailacct_cf_type(s) == MAILACCT_CF_INT) {
                /* as written (a hex literal stays hex), less a leading + */
                const char *lit = mailacct_cf_literal(s);
                snprintf(text, sizeof(text), "%s", lit + (lit[0] == '+'));
        } else
                snprintf(text, sizeof(text), "%lld", v);
        /* (uid_t)-1 means "no change" to chown(2) and setresuid(2) */
        if (v < 0 || v >= 4294967295LL) {
                err(L, s, "\"%s\" = %s is out of range (0 to 4294967294)", key, text);
                return false;
        }
        *out = (unsigned)v;
        return true;
}

static bool get_bool(struct loader *L, const struct mailacct_cf_node *g, const char *key, bool dflt)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(g, key);

        if (!s || !want_type(L, s, MAILACCT_CF_BOOL))
                return dflt;
        return mailacct_cf_bool(s);
}

/* Appends the strings of list setting key (an array or list) to v; an
 * element that is not a string is a finding. */
static int get_values(struct loader *L, const struct mailacct_cf_node *g, const char *key, struct vals *v)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(g, key);
        enum mailacct_cf_type t;

        v->n = 0;
        if (!s)
                return 0;
        t = mailacct_cf_type(s);
        if (t != MAILACCT_CF_ARRAY && t != MAILACCT_CF_LIST) {
                err(L, s, "\"%s\" must be an array [ \"...\" ], not %s", key, type_name(t));
                return 0;
        }
        for (unsigned i = 0; i < mailacct_cf_length(s); i++) {
                const struct mailacct_cf_node *e = mailacct_cf_elem(s, i);

                if (mailacct_cf_type(e) != MAILACCT_CF_STRING) {
                        err(L, e, "\"%s\" must hold strings, not %s", key, type_name(mailacct_cf_type(e)));
                        continue;
                }
                if (v->n == v->cap) {
                        size_t nc = v->cap ? v->cap * 2 : 8;
                        const char **nv = realloc(v->v, nc * sizeof(*nv));
                        int *nl;
                        if (!nv)
                                return -ENOMEM;
                        v->v = nv;
                        nl = realloc(v->lines, nc * sizeof(*nl));
                        if (!nl)
                                return -ENOMEM;
                        v->lines = nl;
                        v->cap = nc;
                }
                v->v[v->n] = mailacct_cf_string(e);
                v->lines[v->n++] = LINE(e);
        }
        return 0;
}

static struct mailacct_values values_of(const struct vals *v)
{
        return (struct mailacct_values){.v = v->v, .lines = v->lines, .n = v->n};
}

static int member_line(const struct mailacct_cf_node *g, const char *key)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(g, key);

        return s ? LINE(s) : 0;
}

static void load_defaults(struct loader *L, const struct mailacct_cf_node *g, struct mailacct_defaults_spec *df)
{
        static const char *const keys[] = {"uid", "gid", "home", "shell", NULL};
        unsigned v;

        memset(df, 0, sizeof(*df));
        if (!g || !want_type(L, g, MAILACCT_CF_GROUP))
                return;
        unknown_keys(L, g, "defaults", keys);
        if ((df->has_uid = get_id(L, g, "uid", &v)))
                df->uid = v;
        if ((df->has_gid = get_id(L, g, "gid", &v)))
                df->gid = v;
        df->home = get_string(L, g, "home");
        df->shell = get_string(L, g, "shell");
        df->home_line = member_line(g, "home");
}

static const struct mailacct_cf_node *get_list(struct loader *L, const struct mailacct_cf_node *root, const char *key)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(root, key);
        enum mailacct_cf_type t;

        if (!s)
                return NULL;
        t = mailacct_cf_type(s);
        if (t != MAILACCT_CF_LIST && !(t == MAILACCT_CF_ARRAY && mailacct_cf_length(s) == 0)) {
                err(L, s, "\"%s\" must be a list ( { ... }, ... ), not %s", key, type_name(t));
                return NULL;
        }
        return s;
}

static struct mailacct_origin origin_of(struct loader *L, const struct mailacct_cf_node *g)
{
        const char *file = mailacct_cf_file(g);

        return (struct mailacct_origin){.file = file ? file : L->file, .line = LINE(g)};
}

/* The elements of a list in turn: a streamed one (mailboxes, contacts) is
 * read again from the file, one element at a time. 1, 0 at the end, or
 * -errno (a file that changed since the parse is an error). */
static int next_elem(struct loader *L, struct mailacct_cf_iter *it, const struct mailacct_cf_node **g)
{
        struct mailacct_cf_error e;
        int r = mailacct_cf_iter_next(it, g, &e);

        if (r == -ESTALE || r == -EBUSY) {
                mailacct_diag_add(L->diags, MAILACCT_ERROR, e.file[0] ? e.file : L->file, e.line, "%s; run it again",
                                  e.text[0] ? e.text : "changed while it was read");
                return -EINVAL;
        }
        return r;
}

static int load_domains(struct loader *L, const struct mailacct_cf_node *list)
{
        static const char *const keys[] = {"name", "netbios", "aliases", "defaults", NULL};
        struct mailacct_cf_iter it;
        const struct mailacct_cf_node *g;
        int r;

        if (!list)
                return 0;
        mailacct_cf_iter_init(L->cf, list, &it);
        while ((r = next_elem(L, &it, &g)) == 1) {
                struct mailacct_domain_spec d = {0};

                if (!want_type(L, g, MAILACCT_CF_GROUP))
                        continue;
                unknown_keys(L, g, "a domain", keys);
                d.origin = origin_of(L, g);
                d.name = get_string(L, g, "name");
                d.netbios = get_string(L, g, "netbios");
                d.netbios_line = member_line(g, "netbios");
                r = get_values(L, g, "aliases", &L->aliases);
                if (r < 0)
                        return r;
                d.aliases = values_of(&L->aliases);
                load_defaults(L, mailacct_cf_member(g, "defaults"), &d.defaults);
                r = mailacct_builder_domain(L->b, &d);
                if (r < 0)
                        return r;
        }
        return r;
}

static int load_mailboxes(struct loader *L, const struct mailacct_cf_node *list)
{
        static const char *const keys[] = {"address", "aliases", "addresses", "nt_account", "name",    "uid", "gid",
                                           "home",    "shell",   "services",  "delegates",  "enabled", NULL};
        struct mailacct_cf_iter it;
        const struct mailacct_cf_node *g;
        int r;

        if (!list)
                return 0;
        mailacct_cf_iter_init(L->cf, list, &it);
        while ((r = next_elem(L, &it, &g)) == 1) {
                struct mailacct_mailbox_spec m = {0};
                unsigned v;

                if (!want_type(L, g, MAILACCT_CF_GROUP))
                        continue;
                unknown_keys(L, g, "a mailbox", keys);
                m.origin = origin_of(L, g);
                m.address = get_string(L, g, "address");
                m.address_line = member_line(g, "address");
                m.nt_account = get_string(L, g, "nt_account");
                m.nt_line = member_line(g, "nt_account");
                m.name = get_string(L, g, "name");
                m.name_line = member_line(g, "name");
                m.home = get_string(L, g, "home");
                m.home_line = member_line(g, "home");
                m.shell = get_string(L, g, "shell");
                m.enabled = get_bool(L, g, "enabled", true);
                m.has_services = mailacct_cf_member(g, "services") != NULL;
                if ((m.has_uid = get_id(L, g, "uid", &v)))
                        m.uid = v;
                if ((m.has_gid = get_id(L, g, "gid", &v)))
                        m.gid = v;
                if ((r = get_values(L, g, "aliases", &L->aliases)) < 0 ||
                    (r = get_values(L, g, "addresses", &L->addresses)) < 0 ||
                    (r = get_values(L, g, "services", &L->services)) < 0 ||
                    (r = get_values(L, g, "delegates", &L->delegates)) < 0)
                        return r;
                m.aliases = values_of(&L->aliases);
                m.addresses = values_of(&L->addresses);
                m.services = values_of(&L->services);
                m.delegates = values_of(&L->delegates);
                r = mailacct_builder_mailbox(L->b, &m, MAILACCT_CLASH_ERROR);
                if (r < 0)
                        return r;
        }
        return r;
}

static int load_contacts(struct loader *L, const struct mailacct_cf_node *list)
{
        static const char *const keys[] = {"alias", "address", "name", NULL};
        struct mailacct_cf_iter it;
        const struct mailacct_cf_node *g;
        int r;

        if (!list)
                return 0;
        mailacct_cf_iter_init(L->cf, list, &it);
        while ((r = next_elem(L, &it, &g)) == 1) {
                struct mailacct_contact_spec c = {0};

                if (!want_type(L, g, MAILACCT_CF_GROUP))
                        continue;
                unknown_keys(L, g, "a contact", keys);
                c.origin = origin_of(L, g);
                c.alias = get_string(L, g, "alias");
                c.address = get_string(L, g, "address");
                r = mailacct_builder_contact(L->b, &c, MAILACCT_CLASH_ERROR);
                if (r < 0)
                        return r;
        }
        return r;
}

static int enum_value(struct loader *L, const struct mailacct_cf_node *root, const char *key, const char *const *names,
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
                err(L, mailacct_cf_member(root, key), "%s = \"%s\": expected %s", key, v, list);
        }
        return dflt;
}

/* A relative secrets or index path is taken from the configuration's own
 * folder, so that a directory and its secrets move together (and tests need
 * no absolute paths). */
static char *anchor_path(const char *conf, const char *path)
{
        const char *slash = strrchr(conf, '/');
        char *joined;

        if (!path)
                return NULL;
        if (path[0] == '/' || !slash)
                return strdup(path);
        if (asprintf(&joined, "%.*s/%s", (int)(slash - conf), conf, path) < 0)
                return NULL;
        return joined;
}

/* A string setting, copied (NULL when absent or not a string); *bad set
 * when out of memory. */
static char *dup_string(struct loader *L, const struct mailacct_cf_node *g, const char *key, bool *oom)
{
        const char *v = get_string(L, g, key);
        char *s = v ? strdup(v) : NULL;

        if (v && !s)
                *oom = true;
        return s;
}

/* A string, or a list or array of strings, into v[max] (uri, base). */
static int string_list(struct loader *L, const struct mailacct_cf_node *g, const char *key, char **v, size_t *n,
                       size_t max)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(g, key);
        enum mailacct_cf_type t = s ? mailacct_cf_type(s) : (enum mailacct_cf_type)0;

        *n = 0;
        if (!s)
                return 0;
        if (t == MAILACCT_CF_STRING) {
                if (!(v[(*n)++] = strdup(mailacct_cf_string(s))))
                        return -ENOMEM;
                return 0;
        }
        if (t != MAILACCT_CF_ARRAY && t != MAILACCT_CF_LIST) {
                err(L, s, "ldap: \"%s\" must be a string or an array [ \"...\" ], not %s", key, type_name(t));
                return 0;
        }
        for (unsigned i = 0; i < mailacct_cf_length(s); i++) {
                const struct mailacct_cf_node *e = mailacct_cf_elem(s, i);
                if (mailacct_cf_type(e) != MAILACCT_CF_STRING) {
                        err(L, e, "ldap: \"%s\" must hold strings, not %s", key, type_name(mailacct_cf_type(e)));
                        continue;
                }
                if (!*mailacct_cf_string(e)) {
                        err(L, e, "ldap: an empty string in \"%s\"", key);
                        continue;
                }
                if (*n == max) {
                        err(L, e, "ldap: more than %zu values in \"%s\"", max, key);
                        break;
                }
                if (!(v[(*n)++] = strdup(mailacct_cf_string(e))))
                        return -ENOMEM;
        }
        return 0;
}

static unsigned get_count(struct loader *L, const struct mailacct_cf_node *g, const char *key, unsigned lo, unsigned hi,
                          unsigned dflt)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(g, key);
        long long v;

        if (!s || !want_type(L, s, MAILACCT_CF_INT))
                return dflt;
        v = mailacct_cf_int64(s);
        if (v < lo || v > hi) {
                err(L, s, "ldap: %s = %lld is out of range (%u to %u)", key, v, lo, hi);
                return dflt;
        }
        return (unsigned)v;
}

/* The `ldap` group (source/ldap/conf.h): read here, where the parser's node types
 * are known; the rules of the group as a whole are conf.c's. */
static int load_ldap(struct loader *L, const struct mailacct_cf_node *g, struct mailacct_ldap_conf *c)
{
        static const char *const keys[] = {"uri",         "base",    "schema", "bind_dn", "bind_password_file",
                                           "starttls",    "tls_ca",  "filter", "map",     "page_size",
                                           "max_removal", "timeout", NULL};
        static const char *const schemas[] = {"ad", "openldap", NULL};
        const struct mailacct_cf_node *map, *s;
        bool oom = false;
        const char *v, *why;
        int r;

        c->file = L->file;
        c->line = LINE(g);
        if (!want_type(L, g, MAILACCT_CF_GROUP))
                return 0;
        unknown_keys(L, g, "ldap", keys);
        if ((r = string_list(L, g, "uri", c->uri, &c->n_uri, MAILACCT_LDAP_URIS_MAX)) < 0 ||
            (r = string_list(L, g, "base", c->base, &c->n_base, MAILACCT_LDAP_BASES_MAX)) < 0)
                return r;
        c->uri_line = member_line(g, "uri");
        if ((v = get_string(L, g, "schema"))) {
                for (int i = 0; schemas[i]; i++)
                        if (strcmp(v, schemas[i]) == 0)
                                c->schema = (enum mailacct_ldap_schema)(i + 1);
                if (c->schema == MAILACCT_LDAP_SCHEMA_NONE)
                        err(L, mailacct_cf_member(g, "schema"),
                            "ldap: schema = \"%s\": expected \"ad\" or \"openldap\"", v);
        }
        c->bind_dn = dup_string(L, g, "bind_dn", &oom);
        c->bind_password_file = anchor_path(L->file, get_string(L, g, "bind_password_file"));
        c->bind_password_file_line = member_line(g, "bind_password_file");
        c->tls_ca = anchor_path(L->file, get_string(L, g, "tls_ca"));
        c->tls_ca_line = member_line(g, "tls_ca");
        c->starttls = get_bool(L, g, "starttls", false);
        c->filter = dup_string(L, g, "filter", &oom);
        if ((get_string(L, g, "bind_password_file") && !c->bind_password_file) ||
            (get_string(L, g, "tls_ca") && !c->tls_ca) || oom)
                return -ENOMEM;
        if (c->filter && (why = mailacct_ldap_filter_invalid(c->filter)))
                err(L, mailacct_cf_member(g, "filter"), "ldap: filter \"%s\": %s", c->filter, why);
        if (c->bind_dn && !*c->bind_dn)
                err(L, mailacct_cf_member(g, "bind_dn"), "ldap: bind_dn is empty (leave it out for an anonymous bind)");
        c->page_size = get_count(L, g, "page_size", 1, MAILACCT_LDAP_PAGE_MAX, MAILACCT_LDAP_PAGE_DEFAULT);
        c->max_removal = get_count(L, g, "max_removal", 0, 100, MAILACCT_LDAP_REMOVAL_DEFAULT);
        c->timeout = get_count(L, g, "timeout", 1, MAILACCT_LDAP_TIMEOUT_MAX, MAILACCT_LDAP_TIMEOUT_DEFAULT);
        map = mailacct_cf_member(g, "map");
        if (map && want_type(L, map, MAILACCT_CF_GROUP)) {
                for (unsigned i = 0; i < mailacct_cf_length(map); i++) {
                        s = mailacct_cf_elem(map, i);
                        const char *name = mailacct_cf_name(s);
                        int f;
                        if (!name)
                                continue;
                        if (mailacct_cf_type(s) != MAILACCT_CF_STRING) {
                                err(L, s, "ldap: map: \"%s\" must be a string, not %s", name,
                                    type_name(mailacct_cf_type(s)));
                                continue;
                        }
                        v = mailacct_cf_string(s);
                        if (strcmp(name, "mailbox_filter") == 0 || strcmp(name, "contact_filter") == 0) {
                                char **slot = name[0] == 'm' ? &c->mailbox_filter : &c->contact_filter;
                                if ((why = mailacct_ldap_filter_invalid(v)))
                                        err(L, s, "ldap: map: %s \"%s\": %s", name, v, why);
                                else if (!(*slot = strdup(v)))
                                        return -ENOMEM;
                                continue;
                        }
                        for (f = 0; f < _MAILACCT_LF_MAX; f++)
                                if (strcmp(name, mailacct_ldap_field_name((enum mailacct_ldap_field)f)) == 0)
                                        break;
                        if (f == _MAILACCT_LF_MAX) {
                                err(L, s,
                                    "unknown key \"%s\" in ldap: map (a mailbox's field, mailbox_filter or "
                                    "contact_filter)",
                                    name);
                                continue;
                        }
                        if ((why = mailacct_ldap_attr_invalid(v))) {
                                err(L, s, "ldap: map: %s = \"%s\": %s", name, v, why);
                                continue;
                        }
                        if (!(c->map[f] = strdup(v)))
                                return -ENOMEM;
                }
        }
        (void)mailacct_ldap_conf_check(c, L->diags);
        return 0;
}

/* passwords = "ldap-bind": users' passwords go to the directory, so there
 * must be one, and no server may be reached in clear (the `ldap` group's
 * own rule covers only the service account's bind_dn). */
static void check_ldap_bind(struct loader *L, const struct mailacct_cf_node *root)
{
        const struct mailacct_cf_node *s = mailacct_cf_member(root, "passwords");
        const struct mailacct_cf_node *g = mailacct_cf_member(root, "ldap");
        const struct mailacct_cf_node *uri = g ? mailacct_cf_member(g, "uri") : NULL;
        const struct mailacct_cf_node *tls = g ? mailacct_cf_member(g, "starttls") : NULL;
        bool starttls = tls && mailacct_cf_type(tls) == MAILACCT_CF_BOOL && mailacct_cf_bool(tls);

        if (!g || mailacct_cf_type(g) != MAILACCT_CF_GROUP) {
                err(L, s, "passwords = \"ldap-bind\" needs the directory: an ldap = { ... }; group");
                return;
        }
        for (unsigned i = 0; uri && i < (mailacct_cf_type(uri) == MAILACCT_CF_STRING ? 1u : mailacct_cf_length(uri));
             i++) {
                const char *v = mailacct_cf_string(
                        mailacct_cf_type(uri) == MAILACCT_CF_STRING ? uri : mailacct_cf_elem(uri, i));
                const char *scheme = v ? mailacct_ldap_uri_scheme(v) : NULL;
                if (scheme && strcmp(scheme, "ldap") == 0 && !starttls)
                        err(L, s,
                            "passwords = \"ldap-bind\" with uri \"%s\" would send users' passwords in clear: set "
                            "starttls = true; or use ldaps:// or ldapi://",
                            v);
        }
}

static int load_root(struct loader *L, const struct mailacct_cf_node *root, struct mailacct_file_info *info)
{
        static const char *const keys[] = {"default_domain", "bare_alias", "case_sensitive", "canonical", "secrets",
                                           "index",          "enumerate",  "defaults",       "domains",   "mailboxes",
                                           "contacts",       "passwords",  "ldap",           NULL};
        static const char *const policies[] = {"prefer-default-domain", "default-domain", "unique", NULL};
        static const char *const canon[] = {"address", "local", "netbios", NULL};
        static const char *const passwords[] = {"secrets", "ldap-bind", NULL};
        struct mailacct_settings_spec st = {0};
        const struct mailacct_cf_node *dd = mailacct_cf_member(root, "default_domain");
        char *secrets;
        int r;

        unknown_keys(L, root, "the configuration", keys);
        st.bare_alias = (enum mailacct_bare_policy)enum_value(L, root, "bare_alias", policies, 0);
        st.canonical = (enum mailacct_canonical)enum_value(L, root, "canonical", canon, 0);
        st.case_sensitive = get_bool(L, root, "case_sensitive", false);
        st.no_enumerate = !get_bool(L, root, "enumerate", true);
        st.passwords = (enum mailacct_passwords)enum_value(L, root, "passwords", passwords, 0);
        st.default_domain = get_string(L, root, "default_domain");
        st.default_domain_origin = (struct mailacct_origin){.file = L->file, .line = dd ? LINE(dd) : 0};
        secrets = anchor_path(L->file, get_string(L, root, "secrets"));
        if (get_string(L, root, "secrets") && !secrets)
                return -ENOMEM;
        st.secrets = secrets;
        load_defaults(L, mailacct_cf_member(root, "defaults"), &st.defaults);
        if (info && get_string(L, root, "index")) {
                info->index = anchor_path(L->file, get_string(L, root, "index"));
                if (!info->index) {
                        free(secrets);
                        return -ENOMEM;
                }
        }
        r = mailacct_builder_settings(L->b, &st);
        free(secrets);
        if (r < 0)
                return r;
        if (mailacct_cf_member(root, "ldap")) {
                struct mailacct_ldap_conf *c = calloc(1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                mailacct_ldap_conf_init(c);
                r = load_ldap(L, mailacct_cf_member(root, "ldap"), c);
                if (r < 0 || !info) {
                        mailacct_ldap_conf_clear(c);
                        free(c);
                        if (r < 0)
                                return r;
                } else
                        info->ldap = c;
        }
        if (st.passwords == MAILACCT_PASSWORDS_LDAP_BIND)
                check_ldap_bind(L, root);
        /* mailboxes name their domain: the domains come first, wherever
         * they stand in the file (the mailboxes are read again, below) */
        r = load_domains(L, get_list(L, root, "domains"));
        if (r < 0)
                return r;
        if (mailacct_builder_domains(L->b) == 0)
                err(L, NULL, "no domains: add domains = ( { name = \"example.com\"; } );");
        r = load_mailboxes(L, get_list(L, root, "mailboxes"));
        if (r == 0)
                r = load_contacts(L, get_list(L, root, "contacts"));
        return r;
}

/* Every file the configuration is made of (itself and what it @includes)
 * must be one this process may trust before the parser reads a byte of it;
 * what they are is the configuration's stamp. */
static int check_files(const char *path, struct mailacct_diags *diags, char *include_dir, size_t len,
                       struct mailacct_file_info *info, uint64_t max_bytes, bool allow_ldap)
{
        uint64_t bytes = 0;
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
        for (size_t i = 0; i < scan.n_files; i++)
                bytes += (uint64_t)scan.files[i].st.st_size;
        if (max_bytes && bytes > max_bytes) {
                mailacct_diag_add(diags, MAILACCT_ERROR, path, 0,
                                  "%llu bytes with its includes, more than a reader parses (%llu): run 'mailacct "
                                  "compile'",
                                  (unsigned long long)bytes, (unsigned long long)max_bytes);
                mailacct_conf_scan_free(&scan);
                return -EFBIG;
        }
        if (max_bytes && scan.has_ldap && !allow_ldap) {
                mailacct_diag_add(diags, MAILACCT_ERROR, path, 0,
                                  "its mailboxes come from a directory (ldap): only the index holds them; run "
                                  "'mailacct sync'");
                mailacct_conf_scan_free(&scan);
                return -EREMOTE;
        }
        if (info) {
                info->has_ldap = scan.has_ldap;
                for (size_t i = 0; i < scan.n_files; i++) {
                        info->paths[i] = scan.files[i].path;
                        scan.files[i].path = NULL; /* now info's */
                        mailacct_stamp_of(info->paths[i], &scan.files[i].st, &info->stamps[i]);
                        info->bytes += (uint64_t)scan.files[i].st.st_size;
                }
                info->n_stamps = scan.n_files;
                info->has_index = scan.index != NULL;
        }
        mailacct_conf_scan_free(&scan);
        return mailacct_conf_include_dir(path, include_dir, len);
}

void mailacct_file_info_free(struct mailacct_file_info *info)
{
        if (!info)
                return;
        for (size_t i = 0; i < info->n_stamps; i++)
                free(info->paths[i]);
        free(info->index);
        mailacct_ldap_conf_clear(info->ldap);
        free(info->ldap);
        memset(info, 0, sizeof(*info));
}

static int load(const char *path, uint64_t max_bytes, struct mailacct_dir **out, struct mailacct_diags *diags,
                struct mailacct_file_info *info, const struct mailacct_file_hook *hook);

int mailacct_file_load(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags,
                       struct mailacct_file_info *info)
{
        return load(path, 0, out, diags, info, NULL);
}

int mailacct_file_load_with(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags,
                            struct mailacct_file_info *info, const struct mailacct_file_hook *hook)
{
        return load(path, 0, out, diags, info, hook);
}

int mailacct_file_load_reader(const char *path, uint64_t max_bytes, struct mailacct_dir **out,
                              struct mailacct_diags *diags, struct mailacct_file_info *info)
{
        return load(path, max_bytes ? max_bytes : UINT64_MAX, out, diags, info, NULL);
}

/* Maps path, checked like every file of the configuration (lib/trust.h:
 * the scan checked it already; this is the copy that is read). */
static int map_text(struct loader *L, const char *path, const char **text, size_t *len)
{
        struct text *t;
        struct stat st;
        char why[512];
        void *map = NULL;
        int fd;

        for (size_t i = 0; i < L->n_texts; i++)
                if (strcmp(L->texts[i].path, path) == 0) {
                        *text = L->texts[i].map ? L->texts[i].map : "";
                        *len = L->texts[i].len;
                        return 0;
                }
        if (L->n_texts == MAILACCT_CONF_FILES_MAX)
                return -EMFILE;
        fd = mailacct_trust_open(path, 0, &st, why, sizeof(why));
        if (fd < 0)
                return fd;
        if (st.st_size > 0) {
                map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (map == MAP_FAILED) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                (void)madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
        }
        close(fd);
        t = &L->texts[L->n_texts];
        t->path = strdup(path);
        if (!t->path) {
                if (map)
                        munmap(map, (size_t)st.st_size);
                return -ENOMEM;
        }
        t->map = map;
        t->len = map ? (size_t)st.st_size : 0;
        L->n_texts++;
        *text = map ? map : "";
        *len = t->len;
        return 0;
}

/* An @include name is taken from the configuration's folder, as the scan
 * took it (as libconfig's include_dir does), never from the working folder. */
static int include_text(void *ctx, const char *name, const char **text, size_t *len)
{
        struct loader *L = ctx;
        char full[PATH_MAX];

        if (snprintf(full, sizeof(full), "%s/%s", L->include_dir, name) >= (int)sizeof(full))
                return -ENAMETOOLONG;
        return map_text(L, full, text, len);
}

static void texts_free(struct loader *L)
{
        for (size_t i = 0; i < L->n_texts; i++) {
                if (L->texts[i].map)
                        munmap(L->texts[i].map, L->texts[i].len);
                free(L->texts[i].path);
        }
        L->n_texts = 0;
}

static int parse(struct loader *L, const char *path)
{
        /* not kept whole: each is read again, one element at a time */
        static const char *const stream[] = {"mailboxes", "contacts", NULL};
        struct mailacct_cf_source src = {.file = path, .include = include_text, .ctx = L, .stream = stream};
        struct mailacct_cf_error e;
        int r;

        r = map_text(L, path, &src.text, &src.len);
        if (r < 0) {
                mailacct_diag_add(L->diags, MAILACCT_ERROR, path, 0, "cannot read: %s", strerror(-r));
                return r;
        }
        r = mailacct_cf_parse(&src, &L->cf, &e);
        if (r < 0)
                mailacct_diag_add(L->diags, MAILACCT_ERROR, e.file[0] ? e.file : path, e.line, "%s", e.text);
        return r;
}

static int load(const char *path, uint64_t max_bytes, struct mailacct_dir **out, struct mailacct_diags *diags,
                struct mailacct_file_info *info, const struct mailacct_file_hook *hook)
{
        size_t errors = diags->errors;
        struct loader L = {.file = path, .diags = diags};
        char include_dir[PATH_MAX];
        int r;

        *out = NULL;
        if (info)
                memset(info, 0, sizeof(*info));
        r = check_files(path, diags, include_dir, sizeof(include_dir), info, max_bytes, false);
        if (r < 0)
                return r;
        L.include_dir = include_dir;
        r = parse(&L, path);
        if (r == 0) {
                L.b = mailacct_builder_new(diags, path);
                if (!L.b)
                        r = -ENOMEM;
        }
        if (r == 0) {
                r = load_root(&L, mailacct_cf_root(L.cf), info);
                if (r < 0)
                        mailacct_builder_free(L.b);
        }
        /* the builder copied what it keeps: the tree and the texts can go
         * before it builds its tables */
        mailacct_cf_free(L.cf);
        texts_free(&L);
        /* the second source adds its entries to a file without errors */
        if (r == 0 && hook && diags->errors == errors) {
                r = hook->add(hook->ctx, L.b, info, diags);
                if (r < 0)
                        mailacct_builder_free(L.b);
        }
        if (r == 0) {
                r = mailacct_builder_finish(L.b, out);
                if (r == 0 && diags->errors > errors) {
                        mailacct_dir_free(*out);
                        *out = NULL;
                        r = -EINVAL;
                }
        }
        if (r < 0)
                mailacct_file_info_free(info);
        free(L.aliases.v);
        free(L.aliases.lines);
        free(L.addresses.v);
        free(L.addresses.lines);
        free(L.services.v);
        free(L.services.lines);
        free(L.delegates.v);
        free(L.delegates.lines);
        return r;
}

int mailacct_file_read_ldap(const char *path, uint64_t max_bytes, struct mailacct_ldap_conf **out,
                            struct mailacct_diags *diags)
{
        size_t errors = diags->errors;
        struct loader L = {.file = path, .diags = diags};
        struct mailacct_ldap_conf *c = NULL;
        const struct mailacct_cf_node *g;
        char include_dir[PATH_MAX];
        int r;

        *out = NULL;
        r = check_files(path, diags, include_dir, sizeof(include_dir), NULL, max_bytes ? max_bytes : UINT64_MAX, true);
        if (r < 0)
                return r;
        L.include_dir = include_dir;
        r = parse(&L, path);
        if (r == 0) {
                g = mailacct_cf_member(mailacct_cf_root(L.cf), "ldap");
                if (!g) {
                        mailacct_diag_add(diags, MAILACCT_ERROR, path, 0, "no ldap = { ... }; group");
                        r = -ENOENT;
                } else if (!(c = calloc(1, sizeof(*c))))
                        r = -ENOMEM;
                else {
                        mailacct_ldap_conf_init(c);
                        r = load_ldap(&L, g, c);
                }
        }
        if (r == 0 && diags->errors > errors)
                r = -EINVAL;
        mailacct_cf_free(L.cf);
        texts_free(&L);
        if (r < 0) {
                mailacct_ldap_conf_clear(c);
                free(c);
                return r;
        }
        *out = c;
        return 0;
}
