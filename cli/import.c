/* SPDX-License-Identifier: MIT */
/* mailacct import: the accounts a site already has (a Dovecot passwd-file,
 * /etc/passwd + shadow, CSV, LDIF) into the configuration and its secrets
 * file. A configuration that exists is changed as text: new mailboxes (and
 * domains) appended to their lists, with --update single values replaced,
 * everything else byte for byte. The result is loaded before it replaces
 * the file: an import that would leave an error changes nothing. Importing
 * the same file twice changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "cli.h"
#include "hashmap.h"
#include "import.h"
#include "lock.h"
#include "password.h"
#include "resolve.h"
#include "secrets.h"
#include "strutil.h"

#define HASH_MAX 512

/* The fields an entry may give, in the order mailacct.conf(5) lists them. */
enum field {
        F_ALIASES = 0,
        F_ADDRESSES,
        F_NT_ACCOUNT,
        F_NAME,
        F_UID,
        F_GID,
        F_HOME,
        F_SHELL,
        F_SERVICES,
        F_ENABLED,
        F_PASSWORD, /* not in the configuration: the secrets file */
        F_MAX,
};

static const char *const field_names[F_MAX] = {"aliases", "addresses", "nt_account", "name",    "uid",     "gid",
                                               "home",    "shell",     "services",   "enabled", "password"};

enum plan {
        PLAN_ADD = 0,
        PLAN_SAME,
        PLAN_DIFFERS, /* differs, left as it is (no --update) */
        PLAN_UPDATE,
        PLAN_LEFT_OUT,
};

struct item {
        struct mailacct_import_entry *e;
        enum plan plan;
        uint32_t mailbox;    /* PLAN_SAME/DIFFERS/UPDATE: the existing one */
        unsigned differs;    /* 1 << enum field */
        char hash[HASH_MAX]; /* the hash to store, "" when none */
        bool set_hash;       /* the secrets line is to be written */
};

struct run {
        struct cli *c;
        bool dry_run, update;
        struct mailacct_dir *d;       /* the configuration as it is, NULL when new */
        struct mailacct_secrets *sec; /* its secrets file, NULL when none or unreadable */
        const char *secrets_path;     /* where the hashes go */
        char *new_secrets_path;       /* for a new configuration */
        struct item *items;
        size_t n;
        char **new_domains;
        size_t n_new_domains;
        size_t hashed_plain, other_hash;
        char other_schemes[256];
};

/* ---- reading ----------------------------------------------------------- */

static int read_file(const char *path, char **out, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

        if (fd < 0)
                return -errno;
        r = cli_read_all(fd, out, len);
        close(fd);
        return r;
}

/* ---- comparing with the configuration as it is ------------------------ */

static bool same_set(const struct mailacct_dir *d, uint32_t m, enum mailacct_list k,
                     const struct mailacct_import_list *l)
{
        const char *s;
        int line;
        uint32_t n = 0;

        for (; mailacct_dir_list(d, m, k, n, &s, &line) == 0; n++) {
                bool found = false;
                for (size_t i = 0; i < l->n && !found; i++)
                        found = mailacct_streq_fold(s, l->v[i]);
                if (!found)
                        return false;
        }
        if (n != l->n)
                return false;
        for (size_t i = 0; i < l->n; i++) {
                bool found = false;
                for (uint32_t j = 0; j < n && !found; j++)
                        found = mailacct_dir_list(d, m, k, j, &s, &line) == 0 && mailacct_streq_fold(s, l->v[i]);
                if (!found)
                        return false;
        }
        return true;
}

static void differs_text(unsigned differs, char *buf, size_t len)
{
        size_t n = 0;

        buf[0] = '\0';
        for (int f = 0; f < F_MAX; f++)
                if (differs & (1u << f))
                        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "", field_names[f]);
}

/* What of e differs from mailbox m (only what e says is compared). */
static void compare(const struct run *R, struct item *it)
{
        const struct mailacct_dir *d = R->d;
        const struct mailacct_import_entry *e = it->e;
        struct mailacct_mbox_view v;
        struct mailacct_pwent pw;
        bool have_pw;
        uid_t uid;
        gid_t gid;

        if (mailacct_dir_mailbox(d, it->mailbox, &v) < 0)
                return;
        have_pw = mailacct_dir_passwd(d, it->mailbox, &pw) == 0;
        if (e->name && (!v.name || strcmp(v.name, e->name) != 0))
                it->differs |= 1u << F_NAME;
        /* the ids in effect (a default counts), else the mailbox's own */
        if (mailacct_dir_ids(d, it->mailbox, &uid, &gid) < 0) {
                uid = v.has_uid ? v.uid : (uid_t)-1;
                gid = v.has_gid ? v.gid : (gid_t)-1;
        }
        if (e->has_uid && uid != e->uid)
                it->differs |= 1u << F_UID;
        if (e->has_gid && gid != e->gid)
                it->differs |= 1u << F_GID;
        if (e->home && (!have_pw || strcmp(pw.home, e->home) != 0))
                it->differs |= 1u << F_HOME;
        if (e->shell && (!have_pw || !pw.shell || strcmp(pw.shell, e->shell) != 0))
                it->differs |= 1u << F_SHELL;
        if (e->nt_account && (!v.nt_account || !mailacct_streq_fold(v.nt_account, e->nt_account)))
                it->differs |= 1u << F_NT_ACCOUNT;
        if (e->aliases.n && !same_set(d, it->mailbox, MAILACCT_LIST_ALIASES, &e->aliases))
                it->differs |= 1u << F_ALIASES;
        if (e->addresses.n && !same_set(d, it->mailbox, MAILACCT_LIST_ADDRESSES, &e->addresses))
                it->differs |= 1u << F_ADDRESSES;
        if (e->services.n && !same_set(d, it->mailbox, MAILACCT_LIST_SERVICES, &e->services))
                it->differs |= 1u << F_SERVICES;
        if (e->enabled >= 0 && (bool)e->enabled != v.enabled)
                it->differs |= 1u << F_ENABLED;
        if (e->pw == MAILACCT_IMPORT_PW_CRYPT || e->pw == MAILACCT_IMPORT_PW_PLAIN) {
                const char *old = R->sec ? mailacct_secrets_get(R->sec, v.address) : NULL;
                bool same =
                        old && (e->pw == MAILACCT_IMPORT_PW_CRYPT ? strcmp(old, e->password) == 0
                                                                  : mailacct_password_verify(old, e->password) == 0);
                if (!same)
                        it->differs |= 1u << F_PASSWORD;
        }
}

/* ---- planning ------------------------------------------------------------ */

static bool str_ok(const char *s)
{
        return !s || (!mailacct_has_control(s, strlen(s)) && !mailacct_utf8_invalid(s, strlen(s)));
}

static bool entry_ok(const struct mailacct_import_entry *e, const char **why)
{
        const struct mailacct_import_list *lists[] = {&e->aliases, &e->addresses, &e->services};

        *why = "a value holds a control character or is not UTF-8";
        if (!str_ok(e->address) || !str_ok(e->nt_account) || !str_ok(e->name) || !str_ok(e->home) || !str_ok(e->shell))
                return false;
        for (size_t k = 0; k < 3; k++)
                for (size_t i = 0; i < lists[k]->n; i++)
                        if (!str_ok(lists[k]->v[i]))
                                return false;
        return true;
}

static const char *domain_of(const char *address)
{
        const char *at = strrchr(address, '@');

        return at ? at + 1 : "";
}

static bool new_domain_known(const struct run *R, const char *dom)
{
        for (size_t i = 0; i < R->n_new_domains; i++)
                if (mailacct_streq_fold(R->new_domains[i], dom))
                        return true;
        return false;
}

static int hash_of(struct run *R, struct item *it)
{
        struct mailacct_import_entry *e = it->e;

        if (e->pw == MAILACCT_IMPORT_PW_CRYPT) {
                snprintf(it->hash, sizeof(it->hash), "%s", e->password);
                it->set_hash = true;
        } else if (e->pw == MAILACCT_IMPORT_PW_PLAIN) {
                int r = mailacct_password_hash(e->password, "$y$", it->hash, sizeof(it->hash));
                if (r < 0)
                        return r;
                it->set_hash = true;
                R->hashed_plain++;
        } else if (e->pw == MAILACCT_IMPORT_PW_OTHER) {
                size_t n = strlen(R->other_schemes);
                R->other_hash++;
                if (!strstr(R->other_schemes, e->scheme))
                        snprintf(R->other_schemes + n, sizeof(R->other_schemes) - n, "%s%s", n ? ", " : "", e->scheme);
        }
        return 0;
}

static void left_out(struct item *it, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void left_out(struct item *it, const char *file, const char *fmt, ...)
{
        va_list ap;

        it->plan = PLAN_LEFT_OUT;
        fprintf(stderr, "%s:%d: warning: %s: ", file, it->e->line, it->e->address ? it->e->address : "?");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "; left out\n");
}

static int plan(struct run *R, struct mailacct_import_set *set, const char *file)
{
        struct mailacct_hashmap *seen = mailacct_hashmap_new(set->n * 2 + 1);
        struct mailacct_result *r = malloc(sizeof(*r));
        int ret = 0;

        R->items = calloc(set->n + 1, sizeof(*R->items));
        if (!seen || !r || !R->items) {
                ret = -ENOMEM;
                goto out;
        }
        R->n = set->n;
        for (size_t i = 0; i < set->n && ret == 0; i++) {
                struct item *it = &R->items[i];
                struct mailacct_import_entry *e = &set->v[i];
                const char *why, *dom = domain_of(e->address);
                char *key = mailacct_strdup_fold(e->address);
                uint32_t other;
                int k;

                it->e = e;
                if (!key) {
                        ret = -ENOMEM;
                        break;
                }
                k = mailacct_hashmap_add_unique(seen, key, (uint32_t)i, &other);
                free(key);
                if (k < 0) {
                        ret = k;
                        break;
                }
                if (k == 0) {
                        left_out(it, file, "the same address as line %d", set->v[other].line);
                        continue;
                }
                if (!entry_ok(e, &why)) {
                        left_out(it, file, "%s", why);
                        continue;
                }
                if (R->d) {
                        uint32_t dom_id = mailacct_dir_find_mail_domain(R->d, dom);
                        struct mailacct_domain_view dv;
                        if (dom_id != MAILACCT_NONE && mailacct_dir_domain(R->d, dom_id, &dv) == 0 &&
                            !mailacct_streq_fold(dv.name, dom)) {
                                left_out(it, file, "%s is an alias of the domain %s: give the address in %s", dom,
                                         dv.name, dv.name);
                                continue;
                        }
                        if (mailacct_resolve(R->d, e->address, r) == 0) {
                                const char *a = mailacct_dir_address(R->d, r->mailbox);
                                if (!a || !mailacct_streq_fold(a, e->address)) {
                                        left_out(it, file, "already an address or alias of mailbox %s", a ? a : "?");
                                        continue;
                                }
                                it->mailbox = r->mailbox;
                                compare(R, it);
                                it->plan = !it->differs ? PLAN_SAME : R->update ? PLAN_UPDATE : PLAN_DIFFERS;
                                if (it->plan == PLAN_UPDATE && (it->differs & (1u << F_PASSWORD)))
                                        ret = hash_of(R, it);
                                continue;
                        }
                        if (r->reason == MAILACCT_CONTACT) {
                                left_out(it, file, "the address of a contact");
                                continue;
                        }
                        if (dom_id == MAILACCT_NONE && !new_domain_known(R, dom)) {
                                char **nd = realloc(R->new_domains, (R->n_new_domains + 1) * sizeof(*nd));
                                if (!nd || !(nd[R->n_new_domains] = strdup(dom))) {
                                        R->new_domains = nd ? nd : R->new_domains;
                                        ret = -ENOMEM;
                                        break;
                                }
                                R->new_domains = nd;
                                R->n_new_domains++;
                        }
                } else if (!new_domain_known(R, dom)) {
                        char **nd = realloc(R->new_domains, (R->n_new_domains + 1) * sizeof(*nd));
                        if (!nd || !(nd[R->n_new_domains] = strdup(dom))) {
                                R->new_domains = nd ? nd : R->new_domains;
                                ret = -ENOMEM;
                                break;
                        }
                        R->new_domains = nd;
                        R->n_new_domains++;
                }
                it->plan = PLAN_ADD;
                ret = hash_of(R, it);
        }
out:
        mailacct_hashmap_free(seen);
        free(r);
        return ret;
}

/* ---- rendering ----------------------------------------------------------- */

static void render_list(struct cli_text *t, const struct mailacct_import_list *l)
{
        cli_text_str(t, "[ ");
        for (size_t i = 0; i < l->n; i++) {
                if (i)
                        cli_text_str(t, ", ");
                cli_conf_quote(t, l->v[i]);
        }
        cli_text_str(t, " ]");
}

static void render_uint(struct cli_text *t, uint32_t v)
{
        char buf[16];

        snprintf(buf, sizeof(buf), "%u", v);
        cli_text_str(t, buf);
}

/* "key = value; " of one field, in each of the three kinds of value. */
static void field_str(struct cli_text *t, enum field f, const char *v)
{
        cli_text_str(t, field_names[f]);
        cli_text_str(t, " = ");
        cli_conf_quote(t, v);
        cli_text_str(t, "; ");
}

static void field_list(struct cli_text *t, enum field f, const struct mailacct_import_list *l)
{
        cli_text_str(t, field_names[f]);
        cli_text_str(t, " = ");
        render_list(t, l);
        cli_text_str(t, "; ");
}

static void field_uint(struct cli_text *t, enum field f, uint32_t v)
{
        cli_text_str(t, field_names[f]);
        cli_text_str(t, " = ");
        render_uint(t, v);
        cli_text_str(t, "; ");
}

/* "key = value; " for each field e gives and `only` names (1 << enum
 * field; ~0u: all, and the address first). */
static void render_fields(struct cli_text *t, const struct mailacct_import_entry *e, unsigned only)
{
#define WANT(f) (only & (1u << (f)))
        if (only == ~0u) {
                cli_text_str(t, "address = ");
                cli_conf_quote(t, e->address);
                cli_text_str(t, "; ");
        }
        if (e->aliases.n && WANT(F_ALIASES))
                field_list(t, F_ALIASES, &e->aliases);
        if (e->addresses.n && WANT(F_ADDRESSES))
                field_list(t, F_ADDRESSES, &e->addresses);
        if (e->nt_account && WANT(F_NT_ACCOUNT))
                field_str(t, F_NT_ACCOUNT, e->nt_account);
        if (e->name && WANT(F_NAME))
                field_str(t, F_NAME, e->name);
        if (e->has_uid && WANT(F_UID))
                field_uint(t, F_UID, e->uid);
        if (e->has_gid && WANT(F_GID))
                field_uint(t, F_GID, e->gid);
        if (e->home && WANT(F_HOME))
                field_str(t, F_HOME, e->home);
        if (e->shell && WANT(F_SHELL))
                field_str(t, F_SHELL, e->shell);
        if (e->services.n && WANT(F_SERVICES))
                field_list(t, F_SERVICES, &e->services);
        if (e->enabled >= 0 && WANT(F_ENABLED))
                cli_text_str(t, e->enabled ? "enabled = true; " : "enabled = false; ");
#undef WANT
}

/* One field's value alone, as render_fields writes it. */
static void render_value(struct cli_text *t, const struct mailacct_import_entry *e, enum field f)
{
        struct cli_text whole = {0};
        const char *eq;

        render_fields(&whole, e, 1u << f);
        eq = whole.p ? strstr(whole.p, " = ") : NULL;
        if (eq)
                cli_text_add(t, eq + 3, strlen(eq + 3) - 2); /* without the "; " */
        t->oom |= whole.oom;
        free(whole.p);
}

static void render_mailbox(struct cli_text *t, const struct mailacct_import_entry *e)
{
        cli_text_str(t, "  { ");
        render_fields(t, e, ~0u);
        cli_text_str(t, "}");
}

static void render_domain(struct cli_text *t, const char *name)
{
        cli_text_str(t, "  { name = ");
        cli_conf_quote(t, name);
        cli_text_str(t, "; }");
}

static size_t count(const struct run *R, enum plan p)
{
        size_t n = 0;

        for (size_t i = 0; i < R->n; i++)
                n += R->items[i].plan == p;
        return n;
}

/* A new configuration: the domains found, the mailboxes, a secrets file
 * beside it. */
static int render_new(struct run *R, const char *format, const char *file, struct cli_text *t)
{
        char stamp[64];
        time_t now = time(NULL);
        struct tm tm;
        bool first = true;

        strftime(stamp, sizeof(stamp), "%Y-%m-%d", localtime_r(&now, &tm));
        cli_text_str(t, "# Written by `mailacct import ");
        cli_text_str(t, format);
        cli_text_str(t, "` from ");
        cli_text_str(t, file);
        cli_text_str(t, " on ");
        cli_text_str(t, stamp);
        cli_text_str(t, ". See mailacct.conf(5).\n");
        if (R->n_new_domains == 1) {
                cli_text_str(t, "default_domain = ");
                cli_conf_quote(t, R->new_domains[0]);
                cli_text_str(t, ";\n");
        }
        cli_text_str(t, "secrets = ");
        cli_conf_quote(t, R->new_secrets_path);
        cli_text_str(t, ";\n\ndomains = (\n");
        for (size_t i = 0; i < R->n_new_domains; i++) {
                render_domain(t, R->new_domains[i]);
                cli_text_str(t, i + 1 < R->n_new_domains ? ",\n" : "\n");
        }
        cli_text_str(t, ");\n\nmailboxes = (\n");
        for (size_t i = 0; i < R->n; i++) {
                if (R->items[i].plan != PLAN_ADD)
                        continue;
                if (!first)
                        cli_text_str(t, ",\n");
                render_mailbox(t, R->items[i].e);
                first = false;
        }
        cli_text_str(t, "\n);\n");
        return t->oom ? -ENOMEM : 0;
}

/* One change of the old text: [at, at + cut) becomes text. */
struct edit {
        size_t at, cut;
        struct cli_text text;
};

static int cmp_edit(const void *a, const void *b)
{
        const struct edit *x = a, *y = b;

        return x->at < y->at ? -1 : x->at > y->at;
}

/* Appends to the list setting `name` (or, without one, a new setting at the
 * end): the elements rendered by fn. */
static int append_to_list(const char *old, size_t len, const char *name, struct cli_text *elements, struct edit *ed)
{
        size_t vs, ve;
        bool empty, trailing;
        int r = cli_conf_find_setting(old, len, 0, len, name, &vs, &ve);

        memset(ed, 0, sizeof(*ed));
        if (r == -ENOENT) {
                ed->at = len;
                if (len && old[len - 1] != '\n')
                        cli_text_str(&ed->text, "\n");
                cli_text_str(&ed->text, "\n");
                cli_text_str(&ed->text, name);
                cli_text_str(&ed->text, " = (\n");
                cli_text_add(&ed->text, elements->p, elements->len);
                cli_text_str(&ed->text, "\n);\n");
                return ed->text.oom ? -ENOMEM : 0;
        }
        if (r < 0 || old[vs] != '(' || cli_conf_list_shape(old, vs, ve, &empty, &trailing) < 0)
                return -EINVAL;
        /* just before the closing parenthesis, after the last element */
        ed->at = ve - 1;
        while (ed->at > vs + 1 && (old[ed->at - 1] == ' ' || old[ed->at - 1] == '\t' || old[ed->at - 1] == '\n'))
                ed->at--;
        cli_text_str(&ed->text, empty || trailing ? "\n" : ",\n");
        cli_text_add(&ed->text, elements->p, elements->len);
        if (trailing)
                cli_text_str(&ed->text, ",");
        return ed->text.oom ? -ENOMEM : 0;
}

static int render_changes(struct run *R, const char *old, size_t len, struct cli_text *out)
{
        struct edit *eds = calloc(R->n + 3, sizeof(*eds));
        struct cli_text doms = {0}, boxes = {0};
        size_t ne = 0, mvs, mve, pos = 0;
        int r = 0;
        bool first = true;

        if (!eds)
                return -ENOMEM;
        for (size_t i = 0; i < R->n_new_domains; i++) {
                if (i)
                        cli_text_str(&doms, ",\n");
                render_domain(&doms, R->new_domains[i]);
        }
        for (size_t i = 0; i < R->n; i++) {
                if (R->items[i].plan != PLAN_ADD)
                        continue;
                if (!first)
                        cli_text_str(&boxes, ",\n");
                render_mailbox(&boxes, R->items[i].e);
                first = false;
        }
        if (doms.oom || boxes.oom) {
                r = -ENOMEM;
                goto out;
        }
        if (R->n_new_domains && (r = append_to_list(old, len, "domains", &doms, &eds[ne++])) < 0)
                goto out;
        if (!first && (r = append_to_list(old, len, "mailboxes", &boxes, &eds[ne++])) < 0)
                goto out;
        /* --update: each differing field replaced in its mailbox's group, or
         * added before the group's end; the password goes to the secrets */
        if (count(R, PLAN_UPDATE) && cli_conf_find_setting(old, len, 0, len, "mailboxes", &mvs, &mve) < 0) {
                r = -EINVAL;
                goto out;
        }
        for (size_t i = 0; i < R->n; i++) {
                struct item *it = &R->items[i];
                size_t go, gc;
                if (it->plan != PLAN_UPDATE)
                        continue;
                if (cli_conf_find_group(old, mvs, mve, "address", it->e->address, &go, &gc) < 0) {
                        /* in an @included file, say: not this writer's to change */
                        fprintf(stderr,
                                "mailacct: import: %s: its entry is not in %s's own mailboxes list (an @include?); "
                                "not updated\n",
                                it->e->address, R->c->config);
                        it->plan = PLAN_DIFFERS;
                        continue;
                }
                for (int f = 0; f < F_PASSWORD; f++) {
                        struct edit *ed, *grown;
                        size_t vs, ve;
                        if (!(it->differs & (1u << f)))
                                continue;
                        grown = realloc(eds, (ne + 2) * sizeof(*eds));
                        if (!grown) {
                                r = -ENOMEM;
                                goto out;
                        }
                        eds = grown;
                        ed = &eds[ne++];
                        memset(ed, 0, sizeof(*ed));
                        if (cli_conf_find_setting(old, len, go + 1, gc, field_names[f], &vs, &ve) == 0) {
                                /* the value only: the key, its spacing and its ';' stay */
                                ed->at = vs;
                                ed->cut = ve - vs;
                                render_value(&ed->text, it->e, (enum field)f);
                        } else {
                                /* a setting before it may end without ';' */
                                size_t b = gc;
                                while (b > go + 1 && (old[b - 1] == ' ' || old[b - 1] == '\t' || old[b - 1] == '\n'))
                                        b--;
                                ed->at = gc;
                                if (old[b - 1] != ';' && old[b - 1] != ',' && old[b - 1] != '{')
                                        cli_text_str(&ed->text, "; ");
                                render_fields(&ed->text, it->e, 1u << f);
                        }
                        if (ed->text.oom) {
                                r = -ENOMEM;
                                goto out;
                        }
                }
        }
        qsort(eds, ne, sizeof(*eds), cmp_edit);
        for (size_t i = 0; i < ne; i++) {
                cli_text_add(out, old + pos, eds[i].at - pos);
                cli_text_add(out, eds[i].text.p ? eds[i].text.p : "", eds[i].text.len);
                pos = eds[i].at + eds[i].cut;
        }
        cli_text_add(out, old + pos, len - pos);
        if (out->oom)
                r = -ENOMEM;
out:
        for (size_t i = 0; i < ne; i++)
                free(eds[i].text.p);
        free(eds);
        free(doms.p);
        free(boxes.p);
        return r;
}

/* ---- writing -------------------------------------------------------------- */

/* The new text in place of the configuration, loaded first: an import that
 * would leave the configuration with an error replaces nothing. */
static int write_config(const struct run *R, const char *text, size_t len, const struct stat *old_st, bool exists)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        struct mailacct_atomic *a;
        char err[512];
        int r;

        a = mailacct_atomic_begin(R->c->config, exists ? old_st->st_mode & 07777 : 0644,
                                  exists ? old_st->st_uid : (uid_t)-1, exists ? old_st->st_gid : (gid_t)-1, err,
                                  sizeof(err));
        if (!a) {
                fprintf(stderr, "mailacct: import: %s\n", err);
                return EXIT_CONFIG;
        }
        r = mailacct_atomic_write(a, text, len, 0);
        if (r == 0)
                r = fsync(mailacct_atomic_fd(a)) < 0 ? -errno : 0;
        if (r < 0) {
                fprintf(stderr, "mailacct: import: %s: %s\n", R->c->config, strerror(-r));
                mailacct_atomic_abort(a);
                return EXIT_FAILED;
        }
        mailacct_diags_init(&diags);
        r = mailacct_file_load(mailacct_atomic_temp_path(a), &d, &diags, NULL);
        mailacct_dir_free(d);
        if (r < 0 || diags.errors) {
                fprintf(stderr, "mailacct: import: the result would not load; %s is unchanged:\n", R->c->config);
                for (size_t i = 0; i < diags.n; i++)
                        if (diags.v[i].severity == MAILACCT_ERROR)
                                fprintf(stderr, "  line %d: %s\n", diags.v[i].line, diags.v[i].text);
                mailacct_diags_clear(&diags);
                mailacct_atomic_abort(a);
                return EXIT_CONFIG;
        }
        mailacct_diags_clear(&diags);
        if (mailacct_atomic_commit(a, err, sizeof(err)) < 0) {
                fprintf(stderr, "mailacct: import: %s\n", err);
                return EXIT_FAILED;
        }
        return EXIT_OK;
}

static int write_secrets(const struct run *R)
{
        struct cli_secret_line *lines = calloc(R->n + 1, sizeof(*lines));
        char *old = NULL, err[512];
        size_t n = 0, oldlen = 0;
        struct stat st;
        bool created = false;
        int fd = -1, r, status = EXIT_OK;

        if (!lines)
                return EXIT_SOFTWARE;
        for (size_t i = 0; i < R->n; i++)
                if (R->items[i].set_hash && (R->items[i].plan == PLAN_ADD || R->items[i].plan == PLAN_UPDATE))
                        lines[n++] =
                                (struct cli_secret_line){.address = R->items[i].e->address, .hash = R->items[i].hash};
        if (n == 0) {
                free(lines);
                return EXIT_OK;
        }
        r = cli_secrets_lock(R->secrets_path, &fd, &st, &created);
        if (r == 0)
                r = cli_read_all(fd, &old, &oldlen);
        if (r == 0)
                r = cli_secrets_write(R->secrets_path, &st, old, oldlen, lines, n, err, sizeof(err));
        else
                snprintf(err, sizeof(err), "%s", strerror(-r));
        if (r < 0) {
                fprintf(stderr, "mailacct: import: %s: %s; the mailboxes are in, their passwords are not\n",
                        R->secrets_path, err);
                if (created)
                        unlink(R->secrets_path);
                status = EXIT_FAILED;
        }
        if (fd >= 0)
                close(fd);
        if (old) {
                explicit_bzero(old, oldlen);
                free(old);
        }
        free(lines);
        return status;
}

/* "NAME.secrets" beside NAME.conf (the file name only: read from the
 * configuration's folder). */
static char *secrets_beside(const char *conf)
{
        const char *base = strrchr(conf, '/');
        size_t n;
        char *s;

        base = base ? base + 1 : conf;
        n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
                n -= 5;
        return asprintf(&s, "%.*s.secrets", (int)n, base) < 0 ? NULL : s;
}

static void report(const struct run *R, const char *file)
{
        for (size_t i = 0; i < R->n; i++) {
                const struct item *it = &R->items[i];
                char what[160];
                if (it->plan != PLAN_DIFFERS && it->plan != PLAN_UPDATE)
                        continue;
                differs_text(it->differs, what, sizeof(what));
                fprintf(stderr, "%s:%d: %s: %s: %s%s\n", file, it->e->line,
                        it->plan == PLAN_UPDATE ? "note" : "warning", it->e->address,
                        it->plan == PLAN_UPDATE ? "updated: " : "differs from the configuration in ", what);
        }
        if (count(R, PLAN_DIFFERS))
                fprintf(stderr,
                        "mailacct: import: %zu mailboxes differ and were left as they are; --update changes "
                        "them\n",
                        count(R, PLAN_DIFFERS));
        if (R->other_hash)
                fprintf(stderr,
                        "mailacct: import: %zu passwords in schemes crypt(3) cannot verify (%s) were not carried over: "
                        "those mailboxes have no password until 'mailacct passwd ADDRESS'\n",
                        R->other_hash, R->other_schemes);
}

int cmd_import(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"dry-run", no_argument, NULL, 'n'},
                {"update", no_argument, NULL, 'u'},
                {"domain", required_argument, NULL, 'd'},
                {"shadow", required_argument, NULL, 's'},
                {"min-uid", required_argument, NULL, 'm'},
                CLI_LONG_COMMON,
                {},
        };
        struct run R = {.c = c};
        struct mailacct_import_opts io = {.min_uid = 1000};
        struct mailacct_import_set set = {0};
        enum mailacct_import_format fmt;
        struct mailacct_diags diags;
        struct cli_text text = {0};
        char *src = NULL, *shadow = NULL, *old = NULL, ipath[4096], err[512];
        size_t srclen = 0, shadowlen = 0, oldlen = 0;
        struct stat cst;
        bool exists = false;
        int o, r, status = EXIT_FAILED, wlock = -1;

        while ((o = getopt_long(argc, argv, CLI_SHORT("nud:s:m:"), opts, NULL)) != -1) {
                switch (o) {
                case 'n':
                        R.dry_run = true;
                        break;
                case 'u':
                        R.update = true;
                        break;
                case 'd':
                        io.domain = optarg;
                        break;
                case 's':
                        io.shadow_file = optarg;
                        break;
                case 'm':
                        if (!mailacct_import_id(optarg, strlen(optarg), &io.min_uid))
                                return cli_usage_error(c, "--min-uid %s: not a uid", optarg);
                        break;
                default:
                        if ((r = cli_option(c, o)) != CLI_GO_ON)
                                return r;
                }
        }
        if (argc - optind != 2)
                return cli_usage_error(c, "FORMAT and FILE are needed");
        if (mailacct_import_format_of(argv[optind], &fmt) < 0)
                return cli_usage_error(c, "unknown format \"%s\" (dovecot-passwd, passwd, csv, ldif)", argv[optind]);
        if (io.shadow_file && fmt != MAILACCT_IMPORT_PASSWD)
                return cli_usage_error(c, "--shadow goes with the passwd format");
        if (fmt == MAILACCT_IMPORT_PASSWD && !io.domain)
                return cli_usage_error(c, "the passwd format needs --domain DOMAIN");
        io.file = argv[optind + 1];
        if ((r = read_file(io.file, &src, &srclen)) < 0 ||
            (io.shadow_file && (r = read_file(io.shadow_file, &shadow, &shadowlen)) < 0)) {
                fprintf(stderr, "mailacct: import: %s: %s%s\n", src ? io.shadow_file : io.file, strerror(-r),
                        r == -EACCES && geteuid() != 0 ? " (run as root)" : "");
                goto out;
        }
        io.shadow = shadow;
        io.shadow_len = shadowlen;
        mailacct_diags_init(&diags);
        cli_progress_start(c, "mailacct: import: reading %s", io.file);
        r = mailacct_import_parse(fmt, src, srclen, &io, &set, &diags);
        cli_progress_stop();
        cli_print_diags(stderr, &diags, io.file);
        mailacct_diags_clear(&diags);
        if (r < 0) {
                status = r == -ENOMEM ? EXIT_SOFTWARE : EXIT_CONFIG;
                goto out;
        }

        /* the writers' lock for the whole read-plan-write, as compile holds it */
        if (!R.dry_run && mailacct_index_locate(c->config, ipath, sizeof(ipath)) == 0) {
                wlock = mailacct_lock_take(ipath, 30, err, sizeof(err));
                if (wlock < 0 && wlock != -ENOENT) {
                        fprintf(stderr, "mailacct: import: %s\n", err);
                        goto out;
                }
        }
        exists = lstat(c->config, &cst) == 0;
        if (exists) {
                struct mailacct_diags ld;
                int fd;
                mailacct_diags_init(&ld);
                cli_progress_start(c, "mailacct: import: reading %s", c->config);
                r = mailacct_file_load(c->config, &R.d, &ld, NULL);
                cli_progress_stop();
                if (r < 0) {
                        cli_print_diags(stderr, &ld, c->config);
                        fprintf(stderr, "mailacct: import: %s must load before mailboxes are added to it\n", c->config);
                        mailacct_diags_clear(&ld);
                        status = EXIT_CONFIG;
                        goto out;
                }
                mailacct_diags_clear(&ld);
                R.secrets_path = mailacct_dir_settings(R.d)->secrets;
                if (R.secrets_path && mailacct_secrets_load_file(R.secrets_path, &R.sec, err, sizeof(err)) < 0)
                        R.sec = NULL; /* none yet, or not readable: every password counts as new */
                fd = open(c->config, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || cli_read_all(fd, &old, &oldlen) < 0) {
                        fprintf(stderr, "mailacct: import: %s: %s\n", c->config, strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        goto out;
                }
                close(fd);
        } else {
                char *dir = strdup(c->config);
                R.new_secrets_path = secrets_beside(c->config);
                if (!dir || !R.new_secrets_path) {
                        free(dir);
                        status = EXIT_SOFTWARE;
                        goto out;
                }
                if (asprintf((char **)&R.secrets_path, "%s/%s", dirname(dir), R.new_secrets_path) < 0) {
                        free(dir);
                        status = EXIT_SOFTWARE;
                        goto out;
                }
                free(dir);
        }
        /* hashing {PLAIN} passwords is the long part of a large import */
        cli_progress_start(c, "mailacct: import: comparing %zu accounts", set.n);
        r = plan(&R, &set, io.file);
        cli_progress_stop();
        if (r < 0) {
                fprintf(stderr, "mailacct: import: %s\n", strerror(-r));
                status = EXIT_SOFTWARE;
                goto out;
        }
        if (count(&R, PLAN_ADD) || count(&R, PLAN_UPDATE) || R.n_new_domains) {
                bool hashes = false;
                for (size_t i = 0; i < R.n; i++)
                        hashes |= R.items[i].set_hash;
                if (hashes && !R.secrets_path) {
                        /* hashes with nowhere to go: said, not dropped silently */
                        fprintf(stderr,
                                "mailacct: import: %s names no secrets file (secrets = \"...\";): the "
                                "passwords cannot be stored\n",
                                c->config);
                        status = EXIT_CONFIG;
                        goto out;
                }
                r = exists ? render_changes(&R, old, oldlen, &text) : render_new(&R, argv[optind], io.file, &text);
                if (r < 0) {
                        fprintf(stderr, "mailacct: import: %s: %s\n", c->config,
                                r == -EINVAL ? "its mailboxes or domains setting is not a list ( ... )" : strerror(-r));
                        status = r == -EINVAL ? EXIT_CONFIG : EXIT_SOFTWARE;
                        goto out;
                }
                if (!R.dry_run) {
                        cli_progress_start(c, "mailacct: import: writing %s", c->config);
                        status = write_config(&R, text.p, text.len, &cst, exists);
                        if (status == EXIT_OK)
                                status = write_secrets(&R);
                        cli_progress_stop();
                        if (status != EXIT_OK)
                                goto out;
                }
        }
        report(&R, io.file);
        printf("import: %zu read, %zu added, %zu updated, %zu unchanged, %zu differ, %zu left out, %zu skipped; "
               "%zu new domains; %zu passwords hashed from clear text, %zu not carried over%s\n",
               set.n, count(&R, PLAN_ADD), count(&R, PLAN_UPDATE), count(&R, PLAN_SAME), count(&R, PLAN_DIFFERS),
               count(&R, PLAN_LEFT_OUT), set.skipped, R.n_new_domains, R.hashed_plain, R.other_hash,
               R.dry_run ? " (dry run: nothing written)" : "");
        if (status == EXIT_OK || status == EXIT_FAILED)
                status = count(&R, PLAN_DIFFERS) || count(&R, PLAN_LEFT_OUT) || R.other_hash ? EXIT_FAILED : EXIT_OK;
        if (!R.dry_run && (count(&R, PLAN_ADD) || count(&R, PLAN_UPDATE)))
                fprintf(stderr, "mailacct: import: run 'mailacct check', then 'mailacct compile'\n");
out:
        mailacct_lock_release(wlock);
        for (size_t i = 0; i < R.n_new_domains; i++)
                free(R.new_domains[i]);
        free(R.new_domains);
        free(R.items);
        if (!exists)
                free((char *)R.secrets_path);
        free(R.new_secrets_path);
        mailacct_secrets_free(R.sec);
        mailacct_dir_free(R.d);
        mailacct_import_set_free(&set);
        free(text.p);
        free(old);
        if (src) {
                explicit_bzero(src, srclen);
                free(src);
        }
        if (shadow) {
                explicit_bzero(shadow, shadowlen);
                free(shadow);
        }
        return status;
}
