/* SPDX-License-Identifier: MIT */
/* The agreement test. For every login form of every test directory, three
 * faces of the rules must give one answer:
 *   - pam_mailacct.so through the real libpam (pam_start_confdir, a service
 *     file "auth required pam_mailacct.so resolve_only principal=mailbox
 *     config=..."): the
 *     PAM_USER that pam_authenticate leaves, the one Dovecot adopts;
 *   - libnss_mailacct.so.2, dlopen'ed: getpwnam_r's pw_name, the user that
 *     Dovecot's passwd userdb takes;
 *   - `mailacct resolve` (and its --explain block).
 * All three name the same canonical mailbox, or all three refuse the login;
 * a configuration that does not load is unavailable to all three. Each
 * directory is checked twice: parsed, and from `mailacct compile`'s index
 * (the index must then really be mapped by both modules and named by the
 * command). The only answer allowed to differ: a mailbox the directory
 * gives no passwd entry (see no_passwd_entry[]) is PAM's and not NSS's.
 *
 * The logins are generated from each configuration file as written (read
 * with libconfig here, not with the project's loader): every address,
 * secondary address, alias, domain-alias address, NETBIOS\alias,
 * dns\alias, NT account, delegate forms, case variants, contacts and
 * malformed names.
 *
 * The module's log lines are checked too when the program can have a /dev
 * of its own (a private mount namespace: root, or a user namespace): the
 * decision logged must be the answer given. Otherwise they go nowhere.
 *
 * Run from the repository root with BUILD set (tests/run-suites does).
 *
 *   agree --synced CONF INDEX LOGINS_CONF
 *
 * checks one directory that a sync wrote (tests/ldap/): CONF with an ldap
 * group, whose INDEX is the data, with the logins generated from
 * LOGINS_CONF, a file holding the same mailboxes.
 *
 * Exit 0 pass, 1 fail, 2 setup error. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <nss.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libconfig.h>
#include <security/pam_appl.h>

#define SERVICE   "agree"
#define LOGIN_MAX 320 /* lib/login.h: MAILACCT_LOGIN_MAX */
/* a directory that loads, to tell malformed logins from the others */
#define REFERENCE_CONF "config/mailacct.conf.example"

/* Mailboxes that resolve but have no passwd entry by design (nss_mailacct
 * pack.c): PAM accepts the login, NSS answers NOTFOUND. Dovecot with a
 * passwd userdb then refuses the login ("Internal login failure"); `mailacct
 * check` is where such a mailbox should be noticed. */
static const struct {
        const char *conf, *canonical, *why;
} no_passwd_entry[] = {
        {"tests/nss/data/mailacct.conf", "noids@noids.test", "no uid anywhere"},
        {"tests/nss/data/edge.conf", "rooty@example.com", "uid 0"},
        {"tests/nss/data/edge.conf", "co:lon@example.com", "':' in the name"},
};

#define N_NO_ENTRY (sizeof(no_passwd_entry) / sizeof(no_passwd_entry[0]))
static bool seen_no_entry[N_NO_ENTRY];
static bool verbose; /* AGREE_VERBOSE=1: every login and its answer */

typedef enum nss_status (*getpwnam_r_fn)(const char *, struct passwd *, char *, size_t, int *);

static const char *build_dir;
static char tmp_dir[] = "/tmp/mailacct-agree.XXXXXX";
static char pam_dir[PATH_MAX];
static getpwnam_r_fn module_getpwnam_r;
static int log_fd = -1;
static unsigned checks, failures, exceptions;
static unsigned n_logins, n_agree_ok, n_agree_refused, n_agree_unavail, n_malformed;

/* ---- helpers ---------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

static void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n);
        if (!p)
                abort();
        return p;
}

/* A login as a C string literal, for messages: control bytes escaped. */
static const char *shown(const char *s)
{
        static char buf[4][LOGIN_MAX * 4 + 16];
        static int k;
        char *out = buf[k++ & 3];
        size_t o = 0;

        out[o++] = '"';
        for (; *s && o + 6 < sizeof(buf[0]); s++) {
                unsigned char c = (unsigned char)*s;
                if (c < 0x20 || c >= 0x7f || c == '"')
                        o += (size_t)snprintf(out + o, sizeof(buf[0]) - o, "\\x%02x", c);
                else
                        out[o++] = (char)c;
        }
        out[o++] = '"';
        out[o] = '\0';
        return out;
}

__attribute__((format(printf, 2, 3))) static void check(bool ok, const char *fmt, ...)
{
        va_list ap;

        checks++;
        if (ok)
                return;
        failures++;
        fputs("FAIL: ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                perror(path);
                exit(2);
        }
}

static char *read_all(const char *path, size_t *len)
{
        FILE *f = fopen(path, "r");
        char *buf = NULL;
        size_t cap = 0, n = 0, r;

        if (!f) {
                perror(path);
                exit(2);
        }
        do {
                if (cap - n < 4096)
                        buf = xrealloc(buf, cap = cap * 2 + 8192);
                r = fread(buf + n, 1, cap - n - 1, f);
                n += r;
        } while (r > 0);
        fclose(f);
        buf[n] = '\0';
        if (len)
                *len = n;
        return buf;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        remove(path);
        return 0;
}

static void cleanup(void)
{
        nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the module's log ---------------------------------------------------- */

/* pam_syslog() writes to /dev/log. In a mount namespace of our own an empty
 * tmpfs goes over /dev and we listen on /dev/log: the decisions are read
 * back and the machine's log gets none of them. */
static void setup_log(void)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        uid_t uid = getuid();
        gid_t gid = getgid();

        if (unshare(CLONE_NEWNS) < 0) {
                char map[64];
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                        return;
                write_file("/proc/self/setgroups", "deny");
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
                write_file("/proc/self/uid_map", map);
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
                write_file("/proc/self/gid_map", map);
        }
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") < 0)
                return;
        log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        strcpy(sa.sun_path, "/dev/log");
        if (log_fd >= 0 && bind(log_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(log_fd);
                log_fd = -1;
        }
}

/* What the module logged since the last call, one line per message. */
static char *drain_log(void)
{
        char *all = NULL, buf[4096];
        size_t n_all = 0;
        ssize_t n;

        all = xrealloc(NULL, 1);
        all[0] = '\0';
        while (log_fd >= 0 && (n = recv(log_fd, buf, sizeof(buf), 0)) > 0) {
                all = xrealloc(all, n_all + (size_t)n + 2);
                memcpy(all + n_all, buf, (size_t)n);
                n_all += (size_t)n;
                all[n_all++] = '\n';
                all[n_all] = '\0';
        }
        return all;
}

/* The login as pam_mailacct's log quotes it (pam_mailacct/log.c). */
static void log_quoted(const char *login, char *out, size_t len)
{
        size_t o = 0, n = strnlen(login, LOGIN_MAX + 1);

        for (size_t i = 0; i < n && o + 5 < len; i++) {
                unsigned char c = (unsigned char)login[i];
                if (c < 0x20 || c == 0x7f)
                        o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
                else if (c == '"') {
                        out[o++] = '\\';
                        out[o++] = '"';
                } else
                        out[o++] = (char)c;
        }
        if (n > LOGIN_MAX && o + 4 < len) {
                memcpy(out + o, "...", 3);
                o += 3;
        }
        out[o] = '\0';
}

/* ---- login forms --------------------------------------------------------- */

struct strv {
        char **v;
        size_t n, cap;
};

static void strv_take(struct strv *s, char *x)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], x) == 0) {
                        free(x);
                        return;
                }
        if (s->n == s->cap)
                s->v = xrealloc(s->v, (s->cap = s->cap * 2 + 64) * sizeof(*s->v));
        s->v[s->n++] = x;
}

static void strv_add(struct strv *s, const char *x)
{
        strv_take(s, xasprintf("%s", x));
}

static void strv_free(struct strv *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        memset(s, 0, sizeof(*s));
}

enum casing { AS_IS, UPPER, LOWER, MIXED };

static char *cased(const char *s, enum casing c)
{
        char *r = xasprintf("%s", s);
        int k = 0;

        for (char *p = r; *p; p++) {
                if (!isalpha((unsigned char)*p))
                        continue;
                if (c == UPPER || (c == MIXED && k % 2 == 0))
                        *p = (char)toupper((unsigned char)*p);
                else if (c == LOWER || c == MIXED)
                        *p = (char)tolower((unsigned char)*p);
                k++;
        }
        return r;
}

static void add_cased(struct strv *s, const char *x)
{
        strv_add(s, x);
        strv_take(s, cased(x, UPPER));
        strv_take(s, cased(x, LOWER));
        strv_take(s, cased(x, MIXED));
}

static const char *str_member(const config_setting_t *g, const char *name)
{
        const char *v = NULL;

        return g && config_setting_lookup_string(g, name, &v) == CONFIG_TRUE ? v : NULL;
}

static int list_len(const config_setting_t *g, const char *name)
{
        const config_setting_t *l = g ? config_setting_get_member(g, name) : NULL;

        return l ? config_setting_length(l) : 0;
}

static const char *list_elem(const config_setting_t *g, const char *name, int i)
{
        const config_setting_t *l = config_setting_get_member(g, name);

        return l ? config_setting_get_string_elem(l, i) : NULL;
}

static const config_setting_t *find_domain(const config_setting_t *domains, const char *name)
{
        for (int i = 0; domains && i < config_setting_length(domains); i++) {
                const config_setting_t *d = config_setting_get_elem(domains, (unsigned)i);
                const char *n = str_member(d, "name");
                if (n && strcasecmp(n, name) == 0)
                        return d;
                for (int k = 0; k < list_len(d, "aliases"); k++)
                        if (list_elem(d, "aliases", k) && strcasecmp(list_elem(d, "aliases", k), name) == 0)
                                return d;
        }
        return NULL;
}

/* local@domain and the same local part at each of the domain's aliases. */
static void add_address(struct strv *s, const config_setting_t *domains, const char *address)
{
        const char *at = strrchr(address, '@');
        const config_setting_t *d = at ? find_domain(domains, at + 1) : NULL;
        char *local;

        add_cased(s, address);
        if (!d)
                return;
        local = xasprintf("%.*s", (int)(at - address), address);
        for (int k = 0; k < list_len(d, "aliases"); k++)
                strv_take(s, xasprintf("%s@%s", local, list_elem(d, "aliases", k)));
        strv_take(s, xasprintf("%s@%s", local, str_member(d, "name")));
        free(local);
}

/* NAME, NETBIOS\NAME, NETBIOS/NAME, dns\NAME, and their cases. */
static void add_domain_forms(struct strv *s, const config_setting_t *d, const char *name)
{
        const char *nb = str_member(d, "netbios"), *dns = str_member(d, "name");

        if (nb) {
                char *back = xasprintf("%s\\%s", nb, name);
                strv_take(s, xasprintf("%s/%s", nb, name));
                strv_take(s, cased(back, LOWER));
                strv_take(s, cased(back, UPPER));
                strv_take(s, back);
        }
        if (dns) {
                char *slash = xasprintf("%s/%s", dns, name);
                strv_take(s, xasprintf("%s\\%s", dns, name));
                strv_take(s, cased(slash, UPPER));
                strv_take(s, slash);
        }
        for (int k = 0; k < list_len(d, "aliases"); k++)
                strv_take(s, xasprintf("%s\\%s", list_elem(d, "aliases", k), name));
}

/* The forms every directory gets: misses, malformed names, wildcards. */
static void add_specials(struct strv *s)
{
        /* clang-format off */
        static const char *const fixed[] = {
                "", " ", "jdoe ", " jdoe", "nobody-here", "*", "%", "we*", "j%", "?", "\"", "\\", "/", "@",
                "x@", "@example.com", "jdoe@", "EXAMPLE\\", "\\jdoe", "/jdoe", "EXAMPLE\\\\jdoe", "a\\b\\c\\d",
                "a/b/c/d", "jdoe@example.com@example.com", "EXAMPLE\\jdoe@example.com", "jdoe@nowhere.invalid",
                "jdoe\n", "j\tdoe", "j\001doe", "\177", "jdoe\377", "\303(", "\355\240\200" /* a surrogate */,
                "j\303\266rg", "J\303\226RG", "jdoe@EXAMPLE", "EXAMPLE\\assistant\\", "\\\\jdoe",
                "EXAMPLE\\jdoe\\", "root", "daemon",
        };
        /* clang-format on */
        char long_name[LOGIN_MAX + 2];

        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                strv_add(s, fixed[i]);
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[LOGIN_MAX + 1] = '\0';
        strv_add(s, long_name); /* one byte over */
        long_name[LOGIN_MAX] = '\0';
        strv_add(s, long_name);
        memcpy(long_name + LOGIN_MAX - 12, "@example.com", 12);
        strv_add(s, long_name);
}

/* The logins of one configuration file, as the administrator wrote it. */
static void gen_logins(const char *path, struct strv *s)
{
        const config_setting_t *domains, *mailboxes, *contacts;
        char *prev_principal = NULL;
        config_t cfg;

        add_specials(s);
        config_init(&cfg);
        if (config_read_file(&cfg, path) != CONFIG_TRUE) {
                /* unparsable: the usual names, which must all be unavailable */
                strv_add(s, "jdoe");
                strv_add(s, "jdoe@example.com");
                strv_add(s, "EXAMPLE\\jdoe");
                config_destroy(&cfg);
                return;
        }
        domains = config_lookup(&cfg, "domains");
        mailboxes = config_lookup(&cfg, "mailboxes");
        contacts = config_lookup(&cfg, "contacts");
        for (int i = 0; domains && i < config_setting_length(domains); i++) {
                const config_setting_t *d = config_setting_get_elem(domains, (unsigned)i);
                const char *dns = str_member(d, "name");
                if (!dns)
                        continue;
                strv_take(s, xasprintf("postmaster@%s", dns));
                add_domain_forms(s, d, "nobody-here");
        }
        for (int i = 0; mailboxes && i < config_setting_length(mailboxes); i++) {
                const config_setting_t *m = config_setting_get_elem(mailboxes, (unsigned)i);
                const char *address = str_member(m, "address"), *nt = str_member(m, "nt_account"), *at;
                const config_setting_t *d;
                const char *first = NULL;
                char *principal = NULL;

                if (!address)
                        continue;
                add_address(s, domains, address);
                for (int k = 0; k < list_len(m, "addresses"); k++)
                        add_address(s, domains, list_elem(m, "addresses", k));
                at = strrchr(address, '@');
                d = at ? find_domain(domains, at + 1) : NULL;
                for (int k = 0; k < list_len(m, "aliases"); k++) {
                        const char *al = list_elem(m, "aliases", k);
                        if (!al)
                                continue;
                        first = first ? first : al;
                        add_cased(s, al);
                        if (d) {
                                strv_take(s, xasprintf("%s@%s", al, str_member(d, "name")));
                                add_domain_forms(s, d, al);
                        }
                }
                if (nt && strpbrk(nt, "\\/")) {
                        /* an NT account in a domain of its own (LEGACY\fj) */
                        add_cased(s, nt);
                        strv_add(s, strpbrk(nt, "\\/") + 1);
                } else if (nt) {
                        strv_add(s, nt);
                        strv_take(s, cased(nt, UPPER));
                        if (d)
                                add_domain_forms(s, d, nt);
                }
                /* who authenticates in DOMAIN\account\mailbox */
                if (nt && strpbrk(nt, "\\/"))
                        principal = xasprintf("%s", nt);
                else if (d && (nt || first))
                        principal = xasprintf(
                                "%s\\%s", str_member(d, "netbios") ? str_member(d, "netbios") : str_member(d, "name"),
                                nt ? nt : first);
                if (principal)
                        strv_add(s, principal);
                /* the three-part form: own principal, the delegates, and one who is none */
                if (principal) {
                        strv_take(s, xasprintf("%s\\%s", principal, first ? first : address));
                        strv_take(s, xasprintf("%s\\%s", principal, address));
                }
                for (int k = 0; k < list_len(m, "delegates"); k++) {
                        const char *dl = list_elem(m, "delegates", k);
                        char *slashed;
                        if (!dl)
                                continue;
                        strv_take(s, xasprintf("%s\\%s", dl, first ? first : address));
                        strv_take(s, xasprintf("%s\\%s", dl, address));
                        strv_take(s, cased(s->v[s->n - 1], UPPER));
                        slashed = xasprintf("%s/%s", dl, first ? first : address);
                        for (char *p = slashed; *p; p++)
                                if (*p == '\\')
                                        *p = '/';
                        strv_take(s, slashed);
                }
                /* the previous mailbox's principal, a delegate only if listed */
                if (prev_principal)
                        strv_take(s, xasprintf("%s\\%s", prev_principal, first ? first : address));
                if (principal) {
                        free(prev_principal);
                        prev_principal = principal;
                }
        }
        free(prev_principal);
        for (int i = 0; contacts && i < config_setting_length(contacts); i++) {
                const config_setting_t *c = config_setting_get_elem(contacts, (unsigned)i);
                const char *al = str_member(c, "alias"), *address = str_member(c, "address");
                if (al) {
                        add_cased(s, al);
                        for (int k = 0; domains && k < config_setting_length(domains); k++)
                                add_domain_forms(s, config_setting_get_elem(domains, (unsigned)k), al);
                }
                if (address)
                        add_cased(s, address);
        }
        config_destroy(&cfg);
}

/* ---- the three answers -------------------------------------------------- */

enum kind { OK, REFUSED, UNAVAILABLE, OTHER };

static const char *kind_name(enum kind k)
{
        static const char *const n[] = {"ok", "refused", "unavailable", "other"};

        return n[k];
}

struct answer {
        enum kind kind;
        char name[1024];  /* OK: the canonical name */
        char detail[256]; /* what was said, for messages */
};

/* How many times path is mapped in this process. */
static int maps_of(const char *path)
{
        FILE *f = fopen("/proc/self/maps", "r");
        char line[PATH_MAX + 256];
        size_t n = strlen(path);
        int count = 0;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                size_t l = strcspn(line, "\n");
                line[l] = '\0';
                if (l >= n + 1 && strcmp(line + l - n, path) == 0 && line[l - n - 1] == ' ')
                        count++;
        }
        fclose(f);
        return count;
}

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        (void)n;
        (void)msg;
        (void)resp;
        (void)data;
        return PAM_CONV_ERR; /* resolve_only never asks */
}

/* pam_authenticate with the login as PAM_USER; on success, PAM_USER after.
 * *mapped: how often index is mapped while the handle is still open. */
static void pam_answer(const char *login, const char *index, int *mapped, struct answer *a)
{
        struct pam_conv conv = {no_conversation, NULL};
        pam_handle_t *pamh = NULL;
        const void *user = NULL;
        int r;

        memset(a, 0, sizeof(*a));
        r = pam_start_confdir(SERVICE, login, &conv, pam_dir, &pamh);
        if (r != PAM_SUCCESS) {
                a->kind = OTHER;
                snprintf(a->detail, sizeof(a->detail), "pam_start_confdir: %d", r);
                return;
        }
        r = pam_authenticate(pamh, PAM_SILENT);
        snprintf(a->detail, sizeof(a->detail), "%s", pam_strerror(pamh, r));
        if (r == PAM_SUCCESS) {
                if (pam_get_item(pamh, PAM_USER, &user) == PAM_SUCCESS && user) {
                        a->kind = OK;
                        snprintf(a->name, sizeof(a->name), "%s", (const char *)user);
                } else
                        a->kind = OTHER;
                if (index && mapped)
                        *mapped = maps_of(index);
        } else if (r == PAM_USER_UNKNOWN)
                a->kind = REFUSED;
        else if (r == PAM_AUTHINFO_UNAVAIL)
                a->kind = UNAVAILABLE;
        else
                a->kind = OTHER;
        pam_end(pamh, r);
}

static void nss_answer(const char *login, struct answer *a)
{
        struct passwd pw;
        size_t len = 256;
        enum nss_status st;
        char *buf = NULL;
        int err = 0;

        memset(a, 0, sizeof(*a));
        for (;;) {
                buf = xrealloc(buf, len);
                err = 0;
                st = module_getpwnam_r(login, &pw, buf, len, &err);
                if (st != NSS_STATUS_TRYAGAIN || err != ERANGE || len >= 1 << 20)
                        break;
                len *= 2;
        }
        switch (st) {
        case NSS_STATUS_SUCCESS:
                a->kind = OK;
                snprintf(a->name, sizeof(a->name), "%s", pw.pw_name);
                snprintf(a->detail, sizeof(a->detail), "uid %u", (unsigned)pw.pw_uid);
                break;
        case NSS_STATUS_NOTFOUND:
                a->kind = REFUSED;
                snprintf(a->detail, sizeof(a->detail), "NOTFOUND");
                break;
        case NSS_STATUS_UNAVAIL:
                a->kind = UNAVAILABLE;
                snprintf(a->detail, sizeof(a->detail), "UNAVAIL (%s)", strerror(err));
                break;
        default:
                a->kind = OTHER;
                snprintf(a->detail, sizeof(a->detail), "status %d (%s)", (int)st, strerror(err));
        }
        free(buf);
}

/* Runs `mailacct -c conf ARGS... -- logins...`; returns the exit status
 * (-1: not run) and its standard output. */
static int run_cli(const char *conf, const char *const *args, size_t n_args, char *const *logins, size_t n, char **out)
{
        char *const out_path = xasprintf("%s/cli.out", tmp_dir);
        char *const err_path = xasprintf("%s/cli.err", tmp_dir);
        const char **argv = calloc(n + n_args + 6, sizeof(*argv));
        char *prog = xasprintf("%s/mailacct", build_dir);
        size_t k = 0;
        int status = -1;
        pid_t pid;

        if (!argv)
                abort();
        argv[k++] = prog;
        argv[k++] = "-c";
        argv[k++] = conf;
        for (size_t i = 0; i < n_args; i++)
                argv[k++] = args[i];
        if (n)
                argv[k++] = "--";
        for (size_t i = 0; i < n; i++)
                argv[k++] = logins[i];
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
                        _exit(126);
                execv(prog, (char *const *)argv);
                _exit(127);
        }
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
                status = WEXITSTATUS(status);
        else
                status = -1;
        *out = read_all(out_path, NULL);
        free(argv);
        free(prog);
        free(out_path);
        free(err_path);
        return status;
}

/* The value of "FIELD:" in one explain block (lines until the blank one). */
static bool block_field(const char *block, const char *end, const char *field, char *out, size_t len)
{
        size_t fl = strlen(field);

        for (const char *p = block; p < end;) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                if (!eol)
                        eol = end;
                if ((size_t)(eol - p) > fl && memcmp(p, field, fl) == 0 && p[fl] == ':') {
                        const char *v = p + fl + 1;
                        while (v < eol && *v == ' ')
                                v++;
                        snprintf(out, len, "%.*s", (int)(eol - v), v);
                        return true;
                }
                p = eol + 1;
        }
        return false;
}

/* `mailacct resolve --explain` for all logins at once: one block each, in
 * order, starting with "login:" and the login as given. Fills cli[] and
 * source[] (where the command read the directory from). */
static void cli_answers(const char *conf, char *const *logins, size_t n, struct answer *cli, char (*reason)[64],
                        char (*source)[32])
{
        static const char *const args[] = {"resolve", "--explain"};
        char *out = NULL;
        int status = run_cli(conf, args, 2, logins, n, &out);
        const char *p = out;

        for (size_t i = 0; i < n; i++) {
                struct answer *a = &cli[i];
                char *head = xasprintf("login:      %s\n", logins[i]);
                const char *end;

                memset(a, 0, sizeof(*a));
                reason[i][0] = source[i][0] = '\0';
                if (status == 2 && !*p) {
                        a->kind = UNAVAILABLE; /* the configuration did not load */
                        snprintf(a->detail, sizeof(a->detail), "exit 2");
                } else if (strncmp(p, head, strlen(head)) != 0) {
                        a->kind = OTHER;
                        snprintf(a->detail, sizeof(a->detail), "no explain block (exit %d) at: %.60s", status, p);
                        p = "";
                } else {
                        p += strlen(head);
                        end = strstr(p, "\n\n");
                        end = end ? end + 1 : p + strlen(p);
                        block_field(p, end, "source", source[i], sizeof(source[i]));
                        if (block_field(p, end, "canonical", a->name, sizeof(a->name)))
                                a->kind = OK;
                        else if (block_field(p, end, "result", reason[i], sizeof(reason[i])))
                                a->kind = strcmp(reason[i], "unavailable") == 0 ? UNAVAILABLE : REFUSED;
                        else
                                a->kind = OTHER;
                        snprintf(a->detail, sizeof(a->detail), "%s", a->kind == OK ? "" : reason[i]);
                        p = *end ? end + 1 : end;
                }
                free(head);
        }
        free(out);
}

/* Plain `mailacct resolve` (what an administrator types): the logins that
 * resolved print their canonical names, one a line, in order; the others
 * print nothing on standard output and make the exit status 1. */
static void check_plain_resolve(const char *conf, const char *label, char *const *logins, const struct answer *cli,
                                size_t n)
{
        static const char *const args[] = {"resolve"};
        char **ok = calloc(n + 1, sizeof(*ok)), **bad = calloc(n + 1, sizeof(*bad));
        size_t n_ok = 0, n_bad = 0;
        char *out, *want;
        size_t wl = 0;
        int status;

        if (!ok || !bad)
                abort();
        want = xasprintf("%s", "");
        for (size_t i = 0; i < n; i++) {
                if (cli[i].kind == OK && !strchr(logins[i], '\n')) {
                        ok[n_ok++] = logins[i];
                        want = xrealloc(want, wl + strlen(cli[i].name) + 2);
                        wl += (size_t)sprintf(want + wl, "%s\n", cli[i].name);
                } else if (cli[i].kind == REFUSED)
                        bad[n_bad++] = logins[i];
        }
        if (n_ok) {
                status = run_cli(conf, args, 1, ok, n_ok, &out);
                check(status == 0 && strcmp(out, want) == 0,
                      "%s: `mailacct resolve` of the %zu logins that resolve: "
                      "exit %d, output differs from --explain's canonical names",
                      label, n_ok, status);
                free(out);
        }
        if (n_bad) {
                status = run_cli(conf, args, 1, bad, n_bad, &out);
                check(status == 1 && !*out, "%s: `mailacct resolve` of the %zu logins that fail: exit %d, stdout %.80s",
                      label, n_bad, status, out);
                free(out);
        }
        free(want);
        free(ok);
        free(bad);
}

/* ---- one directory ------------------------------------------------------- */

static int no_entry_index(const char *conf, const char *canonical)
{
        for (size_t i = 0; i < N_NO_ENTRY; i++)
                if (strcmp(conf, no_passwd_entry[i].conf) == 0 && strcmp(canonical, no_passwd_entry[i].canonical) == 0)
                        return (int)i;
        return -1;
}

/* The decision the module logged for login: "CODE login "LOGIN": DETAIL". */
static void check_log(const char *label, const char *login, const struct answer *pam, const char *reason,
                      const char *log)
{
        char quoted[LOGIN_MAX * 4 + 8], *needle;

        if (log_fd < 0)
                return;
        log_quoted(login, quoted, sizeof(quoted));
        if (pam->kind == OK)
                needle = xasprintf("ok login \"%s\": %s (", quoted, pam->name);
        else if (pam->kind == REFUSED && login[0])
                needle = xasprintf("%s login \"%s\": ", reason, quoted);
        else if (pam->kind == REFUSED)
                needle = xasprintf("no-user: "); /* libpam gives the module no empty name */
        else
                needle = xasprintf("config-unavailable login \"%s\": ", quoted);
        check(strstr(log, needle) != NULL, "%s %s: the module's log lacks '%s'; it has: %s", label, shown(login),
              needle, log);
        free(needle);
}

struct run {
        const char *conf;  /* as named in the repository */
        const char *path;  /* the file the three read */
        const char *index; /* phase 2: the compiled index (realpath) */
        bool loads;
};

static void check_directory(const struct run *run, char *const *logins, size_t n)
{
        struct answer *cli = calloc(n, sizeof(*cli));
        char(*reason)[64] = calloc(n, sizeof(*reason));
        char(*source)[32] = calloc(n, sizeof(*source));
        char *label = xasprintf("%s (%s)", run->conf, run->index ? "index" : "configuration");
        char(*malformed)[64] = NULL; /* reasons in a directory that loads */
        char *service;
        int pam_mapped_max = 0, nss_mapped_max = 0;
        unsigned ok = 0, refused = 0, unavail = 0, early = 0;

        if (!cli || !reason || !source)
                abort();
        /* principal=mailbox: the mailbox in PAM_USER right after auth, the
         * answer compared (the default hands the principal to a next
         * module and the mailbox only in the account phase) */
        service = xasprintf("auth required %s/pam_mailacct.so resolve_only principal=mailbox config=%s\n", build_dir,
                            run->path);
        {
                char *p = xasprintf("%s/" SERVICE, pam_dir);
                write_file(p, service);
                free(p);
        }
        free(service);
        setenv("MAILACCT_CONF", run->path, 1);
        cli_answers(run->path, logins, n, cli, reason, source);
        if (!run->loads) {
                /* which logins are malformed whatever the directory: the NSS
                 * module answers those NOTFOUND without reading it */
                struct answer *ref = calloc(n, sizeof(*ref));
                char(*ref_source)[32] = calloc(n, sizeof(*ref_source));
                malformed = calloc(n, sizeof(*malformed));
                if (!ref || !ref_source || !malformed)
                        abort();
                cli_answers(REFERENCE_CONF, logins, n, ref, malformed, ref_source);
                free(ref);
                free(ref_source);
        }
        free(drain_log());

        for (size_t i = 0; i < n; i++) {
                const char *login = logins[i];
                int k;
                struct answer pam, nss;
                int mapped = 0;
                bool alike;
                char *log;

                nss_answer(login, &nss);
                if (run->index && nss.kind == OK) {
                        int m = maps_of(run->index);
                        nss_mapped_max = m > nss_mapped_max ? m : nss_mapped_max;
                }
                pam_answer(login, run->index, &mapped, &pam);
                pam_mapped_max = mapped > pam_mapped_max ? mapped : pam_mapped_max;
                log = drain_log();
                n_logins++;

                if (run->loads && cli[i].kind != OTHER)
                        check(strcmp(source[i], run->index ? "compiled index" : "configuration") == 0,
                              "%s %s: mailacct explain read the directory from \"%s\"", label, shown(login), source[i]);
                if (pam.kind == OK && nss.kind == REFUSED && cli[i].kind == OK && strcmp(pam.name, cli[i].name) == 0 &&
                    (k = no_entry_index(run->conf, pam.name)) >= 0) {
                        exceptions++;
                        seen_no_entry[k] = true;
                        if (verbose)
                                printf("    %-40s %s (PAM and mailacct only: no passwd entry, %s)\n", shown(login),
                                       pam.name, no_passwd_entry[k].why);
                        check_log(label, login, &pam, reason[i], log);
                        free(log);
                        continue;
                }
                if (malformed && strcmp(malformed[i], "invalid-login") == 0 && nss.kind == REFUSED &&
                    cli[i].kind == UNAVAILABLE && pam.kind != OK && pam.kind != OTHER) {
                        early++; /* all refuse it; only NSS need not read the directory to */
                        if (pam.kind != OTHER)
                                check_log(label, login, &pam, reason[i], log);
                        free(log);
                        continue;
                }
                alike = pam.kind == nss.kind && nss.kind == cli[i].kind && pam.kind != OTHER &&
                        (pam.kind != OK || (strcmp(pam.name, nss.name) == 0 && strcmp(nss.name, cli[i].name) == 0));
                check(alike, "%s %s: PAM %s %s [%s], NSS %s %s [%s], mailacct resolve %s %s [%s]", label, shown(login),
                      kind_name(pam.kind), pam.name, pam.detail, kind_name(nss.kind), nss.name, nss.detail,
                      kind_name(cli[i].kind), cli[i].name, cli[i].detail);
                if (verbose)
                        printf("    %-40s %s\n", shown(login), pam.kind == OK ? pam.name : kind_name(pam.kind));
                if (alike) {
                        ok += pam.kind == OK;
                        refused += pam.kind == REFUSED;
                        unavail += pam.kind == UNAVAILABLE;
                }
                if (pam.kind != OTHER)
                        check_log(label, login, &pam, reason[i], log);
                free(log);
        }
        if (run->loads)
                check_plain_resolve(run->path, label, logins, cli, n);
        if (run->index) {
                /* both modules really read the index: NSS keeps it mapped
                 * in its cache; PAM maps its own copy while the handle is
                 * open, so two mappings at once */
                check(nss_mapped_max >= 1, "%s: the NSS module never had %s mapped", label, run->index);
                check(pam_mapped_max >= 2, "%s: %s mapped %d times with a PAM handle open, want 2 (NSS, PAM)", label,
                      run->index, pam_mapped_max);
        }
        printf("  %-36s %-13s %3zu logins: %3u resolve alike, %3u refused by all, %2u unavailable to all", run->conf,
               run->index ? "index" : "configuration", n, ok, refused, unavail);
        if (early)
                printf(", %u malformed (NSS: NOTFOUND unread)", early);
        printf("\n");
        n_malformed += early;
        n_agree_ok += ok;
        n_agree_refused += refused;
        n_agree_unavail += unavail;
        free(label);
        free(malformed);
        free(cli);
        free(reason);
        free(source);
}

/* Copies conf into its own folder with `index = "mailacct.idx";` on top,
 * so that the parsed and the compiled runs read different paths (each
 * module's cache opens a new path at once). Returns the copy's path. */
static char *prepare(const char *conf, int nr, const char *phase)
{
        char *dir = xasprintf("%s/%02d-%s", tmp_dir, nr, phase);
        char *path = xasprintf("%s/mailacct.conf", dir);
        char *text = read_all(conf, NULL);
        char *with_index = xasprintf("index = \"mailacct.idx\";\n%s", text);

        if (mkdir(dir, 0755) < 0) {
                perror(dir);
                exit(2);
        }
        write_file(path, with_index);
        free(with_index);
        free(text);
        free(dir);
        return path;
}

/* `mailacct compile --output` beside the copy: only the directory's index,
 * not the secrets file's (resolve_only never reads secrets). */
static int compile(const char *path, char **index)
{
        char *idx = xasprintf("%.*s/mailacct.idx", (int)(strrchr(path, '/') - path), path);
        const char *args[] = {"compile", "--output", idx};
        char *out = NULL, real[PATH_MAX];
        int status;

        status = run_cli(path, args, 3, NULL, 0, &out);
        free(out);
        *index = realpath(idx, real) ? xasprintf("%s", real) : NULL;
        free(idx);
        return status;
}

/* One directory a sync wrote: its index is all the modules have. */
static void check_synced(const char *conf, const char *index, const char *logins_from)
{
        struct strv logins = {0};
        struct run run = {.conf = conf, .path = conf, .loads = true};
        char real[PATH_MAX];

        if (!realpath(index, real)) {
                check(false, "%s: no index %s", conf, index);
                return;
        }
        run.index = real;
        gen_logins(logins_from, &logins);
        check(logins.n > 0, "%s: no logins generated", logins_from);
        check_directory(&run, logins.v, logins.n);
        strv_free(&logins);
}

int main(int argc, char **argv)
{
        static const char *const patterns[] = {
                "tests/data/*.conf",
                "tests/nss/data/*.conf",
                "tests/integration/data/mailacct.conf",
                "config/mailacct.conf.example",
        };
        char *nss_path;
        void *nss;
        int nr = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        verbose = getenv("AGREE_VERBOSE") && *getenv("AGREE_VERBOSE") == '1';
        build_dir = getenv("BUILD");
        if (!build_dir || !*build_dir) {
                fprintf(stderr, "BUILD not set (run through make check)\n");
                return 2;
        }
        if (!mkdtemp(tmp_dir)) {
                perror("mkdtemp");
                return 2;
        }
        atexit(cleanup);
        snprintf(pam_dir, sizeof(pam_dir), "%s/pam.d", tmp_dir);
        if (mkdir(pam_dir, 0755) < 0) {
                perror(pam_dir);
                return 2;
        }
        nss_path = xasprintf("%s/libnss_mailacct.so.2", build_dir);
        nss = dlopen(nss_path, RTLD_NOW | RTLD_LOCAL);
        if (!nss || !(module_getpwnam_r = (getpwnam_r_fn)dlsym(nss, "_nss_mailacct_getpwnam_r"))) {
                fprintf(stderr, "FAIL: %s: %s\n", nss_path, dlerror());
                return 1;
        }
        free(nss_path);
        setup_log();
        if (argc == 5 && strcmp(argv[1], "--synced") == 0) {
                check_synced(argv[2], argv[3], argv[4]);
                if (log_fd >= 0)
                        close(log_fd);
                dlclose(nss);
                printf("agree: %u logins, %u checks, %u failed; alike: %u resolved, %u refused, %u unavailable\n",
                       n_logins, checks, failures, n_agree_ok, n_agree_refused, n_agree_unavail);
                return failures ? 1 : 0;
        }
        if (argc != 1) {
                fprintf(stderr, "usage: agree [--synced CONF INDEX LOGINS_CONF]\n");
                return 2;
        }
        printf("agree: PAM_USER (pam_mailacct.so resolve_only), pw_name (libnss_mailacct.so.2) and `mailacct "
               "resolve`%s\n",
               log_fd >= 0 ? "; the module's log read back" : "; no private /dev/log: the module's log not checked");

        for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
                glob_t g;

                if (glob(patterns[p], 0, NULL, &g) != 0) {
                        check(false, "%s: no such file", patterns[p]);
                        continue;
                }
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        const char *conf = g.gl_pathv[i];
                        const char *check_args[] = {"check"};
                        struct strv logins = {0};
                        struct run run = {.conf = conf};
                        char *path, *out = NULL, *index = NULL;
                        int status;

                        nr++;
                        gen_logins(conf, &logins);
                        /* loads = `mailacct check` finds no error (warnings allowed) */
                        path = prepare(conf, nr, "conf");
                        status = run_cli(path, check_args, 1, NULL, 0, &out);
                        free(out);
                        run.path = path;
                        run.loads = status == 0 || status == 1;
                        check_directory(&run, logins.v, logins.n);
                        free(path);
                        if (run.loads) {
                                path = prepare(conf, nr, "index");
                                status = compile(path, &index);
                                check(status == 0 && index, "%s: mailacct compile: exit %d", conf, status);
                                if (status == 0 && index) {
                                        run.path = path;
                                        run.index = index;
                                        check_directory(&run, logins.v, logins.n);
                                }
                                free(index);
                                free(path);
                        }
                        strv_free(&logins);
                }
                globfree(&g);
        }
        /* the exceptions above are each met, or the list is out of date */
        for (size_t i = 0; i < N_NO_ENTRY; i++)
                check(seen_no_entry[i], "%s: %s has a passwd entry now: remove it from no_passwd_entry[]",
                      no_passwd_entry[i].conf, no_passwd_entry[i].canonical);
        if (log_fd >= 0)
                close(log_fd);
        dlclose(nss);
        printf("agree: %u logins, %u checks, %u failed; alike: %u resolved, %u refused, %u unavailable; "
               "%u malformed in an unusable directory; %u without passwd entry by design\n",
               n_logins, checks, failures, n_agree_ok, n_agree_refused, n_agree_unavail, n_malformed, exceptions);
        return failures ? 1 : 0;
}
