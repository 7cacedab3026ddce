/* SPDX-License-Identifier: MIT */
/* The file source: a libconfig configuration read into the builder
 * (lib/build.h). What is libconfig's own business stays here (types,
 * unknown keys, the literal of an integer libconfig misreads); every rule
 * of the model (names, collisions, delegates) is the builder's. */
#include "file.h"

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

#include "build.h"
#include "confscan.h"
#include "login.h"

/* The values of one list setting, pointing into libconfig's tree. */
struct vals {
        const char **v;
        int *lines;
        size_t n, cap;
};

/* The shared state of one load: where findings go and what they name. */
struct loader {
        const char *file;
        struct mailacct_diags *diags;
        struct mailacct_builder *b;
        struct vals aliases, addresses, services, delegates; /* reused per mailbox */
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

/* Appends the strings of list setting key (an array or list) to v; an
 * element that is not a string is a finding. */
static int get_values(struct loader *L, const config_setting_t *g, const char *key, struct vals *v)
{
        config_setting_t *s = config_setting_get_member(g, key);
        int t;

        v->n = 0;
        if (!s)
                return 0;
        t = config_setting_type(s);
        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
                err(L, s, "\"%s\" must be an array [ \"...\" ], not %s", key, type_name(t));
                return 0;
        }
        for (int i = 0; i < config_setting_length(s); i++) {
                config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                        err(L, e, "\"%s\" must hold strings, not %s", key, type_name(config_setting_type(e)));
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
                v->v[v->n] = config_setting_get_string(e);
                v->lines[v->n++] = LINE(e);
        }
        return 0;
}

static struct mailacct_values values_of(const struct vals *v)
{
        return (struct mailacct_values){.v = v->v, .lines = v->lines, .n = v->n};
}

static int member_line(const config_setting_t *g, const char *key)
{
        const config_setting_t *s = config_setting_get_member(g, key);

        return s ? LINE(s) : 0;
}

static void load_defaults(struct loader *L, const config_setting_t *g, struct mailacct_defaults_spec *df)
{
        static const char *const keys[] = {"uid", "gid", "home", "shell", NULL};
        unsigned v;

        memset(df, 0, sizeof(*df));
        if (!g || !want_type(L, g, CONFIG_TYPE_GROUP))
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

static struct mailacct_origin origin_of(struct loader *L, const config_setting_t *g)
{
        const char *file = config_setting_source_file(g);

        return (struct mailacct_origin){.file = file ? file : L->file, .line = LINE(g)};
}

static int load_domains(struct loader *L, const config_setting_t *list)
{
        static const char *const keys[] = {"name", "netbios", "aliases", "defaults", NULL};
        int n = list ? config_setting_length(list) : 0;

        for (int i = 0; i < n; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
                struct mailacct_domain_spec d = {0};
                int r;

                if (!want_type(L, g, CONFIG_TYPE_GROUP))
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
                load_defaults(L, config_setting_get_member(g, "defaults"), &d.defaults);
                r = mailacct_builder_domain(L->b, &d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_mailboxes(struct loader *L, const config_setting_t *list)
{
        static const char *const keys[] = {"address", "aliases", "addresses", "nt_account", "name",    "uid", "gid",
                                           "home",    "shell",   "services",  "delegates",  "enabled", NULL};
        int n = list ? config_setting_length(list) : 0;

        for (int i = 0; i < n; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
                struct mailacct_mailbox_spec m = {0};
                unsigned v;
                int r;

                if (!want_type(L, g, CONFIG_TYPE_GROUP))
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
                m.has_services = config_setting_get_member(g, "services") != NULL;
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
        return 0;
}

static int load_contacts(struct loader *L, const config_setting_t *list)
{
        static const char *const keys[] = {"alias", "address", "name", NULL};
        int n = list ? config_setting_length(list) : 0;

        for (int i = 0; i < n; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
                struct mailacct_contact_spec c = {0};
                int r;

                if (!want_type(L, g, CONFIG_TYPE_GROUP))
                        continue;
                unknown_keys(L, g, "a contact", keys);
                c.origin = origin_of(L, g);
                c.alias = get_string(L, g, "alias");
                c.address = get_string(L, g, "address");
                r = mailacct_builder_contact(L->b, &c, MAILACCT_CLASH_ERROR);
                if (r < 0)
                        return r;
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

static int load_root(struct loader *L, const config_setting_t *root, struct mailacct_file_info *info)
{
        static const char *const keys[] = {"default_domain", "bare_alias", "case_sensitive", "canonical",
                                           "secrets",        "index",      "enumerate",      "defaults",
                                           "domains",        "mailboxes",  "contacts",       NULL};
        static const char *const policies[] = {"prefer-default-domain", "default-domain", "unique", NULL};
        static const char *const canon[] = {"address", "local", "netbios", NULL};
        struct mailacct_settings_spec st = {0};
        const config_setting_t *dd = config_setting_get_member(root, "default_domain");
        char *secrets;
        int r;

        unknown_keys(L, root, "the configuration", keys);
        st.bare_alias = (enum mailacct_bare_policy)enum_value(L, root, "bare_alias", policies, 0);
        st.canonical = (enum mailacct_canonical)enum_value(L, root, "canonical", canon, 0);
        st.case_sensitive = get_bool(L, root, "case_sensitive", false);
        st.no_enumerate = !get_bool(L, root, "enumerate", true);
        st.default_domain = get_string(L, root, "default_domain");
        st.default_domain_origin = (struct mailacct_origin){.file = L->file, .line = dd ? LINE(dd) : 0};
        secrets = anchor_path(L->file, get_string(L, root, "secrets"));
        if (get_string(L, root, "secrets") && !secrets)
                return -ENOMEM;
        st.secrets = secrets;
        load_defaults(L, config_setting_get_member(root, "defaults"), &st.defaults);
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
        /* mailboxes name their domain: the domains come first */
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
 * must be one this process may trust before libconfig reads a byte of it;
 * what they are is the configuration's stamp. */
static int check_files(const char *path, struct mailacct_diags *diags, char *include_dir, size_t len,
                       struct mailacct_file_info *info, uint64_t max_bytes)
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
        if (max_bytes && scan.has_ldap) {
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
        memset(info, 0, sizeof(*info));
}

static int load(const char *path, uint64_t max_bytes, struct mailacct_dir **out, struct mailacct_diags *diags,
                struct mailacct_file_info *info);

int mailacct_file_load(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags,
                       struct mailacct_file_info *info)
{
        return load(path, 0, out, diags, info);
}

int mailacct_file_load_reader(const char *path, uint64_t max_bytes, struct mailacct_dir **out,
                              struct mailacct_diags *diags, struct mailacct_file_info *info)
{
        return load(path, max_bytes ? max_bytes : UINT64_MAX, out, diags, info);
}

static int load(const char *path, uint64_t max_bytes, struct mailacct_dir **out, struct mailacct_diags *diags,
                struct mailacct_file_info *info)
{
        size_t errors = diags->errors;
        struct loader L = {.file = path, .diags = diags};
        char include_dir[PATH_MAX];
        config_t cf;
        int r;

        *out = NULL;
        if (info)
                memset(info, 0, sizeof(*info));
        r = check_files(path, diags, include_dir, sizeof(include_dir), info, max_bytes);
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
                mailacct_file_info_free(info);
                return -EINVAL;
        }
        L.b = mailacct_builder_new(diags, path);
        if (!L.b) {
                config_destroy(&cf);
                mailacct_file_info_free(info);
                return -ENOMEM;
        }
        r = load_root(&L, config_root_setting(&cf), info);
        source_free(&L);
        if (r < 0) {
                mailacct_file_info_free(info);
                mailacct_builder_free(L.b);
        } else {
                r = mailacct_builder_finish(L.b, out);
                if (r == 0 && diags->errors > errors) {
                        mailacct_dir_free(*out);
                        *out = NULL;
                        r = -EINVAL;
                }
                if (r < 0)
                        mailacct_file_info_free(info);
        }
        /* the builder copied what it keeps: the tree can go */
        config_destroy(&cf);
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
