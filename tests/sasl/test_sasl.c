/* SPDX-License-Identifier: MIT */
/* The SASL canon_user plugin inside the real libsasl2, the way Cyrus imapd
 * and Postfix use it: sasl_server_init() with an application's callbacks
 * (options, plugin path, log), then sasl_checkpass() (Cyrus's IMAP LOGIN and
 * POP3 USER/PASS) and the PLAIN mechanism (AUTHENTICATE PLAIN, SMTP AUTH).
 * A userdb checkpass callback stands for saslauthd: it records the name the
 * password would be checked for. Expected names are written out here, not
 * computed with the core, so that a core bug cannot agree with itself.
 *
 *   test_sasl CONF [--index INDEX]   the cases, a dlopen check; with
 *                                    --index, INDEX must be what answered
 *   test_sasl CONF --rounds N        N rounds of every case (valgrind)
 *   test_sasl CONF --bench N         ns per canonicalisation, with the
 *                                    plugin and with libsasl's own
 * BUILD must be set (tests/run-suites does). */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h>

static const char *build_dir, *conf;
static char plugin_path[4096], plugin_dirs[8192];
static unsigned checks, failures;

/* what the application's option callback answers (NULL: nothing) */
static const char *opt_plugin = "mailacct", *opt_config;
/* the log callback's lines since the last case */
static char log_buf[1 << 16];
/* what the checkpass callback (saslauthd's stand-in) was asked */
static char checked_user[1024];
static int checkpass_calls;

#define PW "the-password"

__attribute__((format(printf, 2, 3))) static bool check(bool ok, const char *fmt, ...)
{
        va_list ap;

        checks++;
        if (ok)
                return true;
        failures++;
        printf("FAIL: ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        return false;
}

/* ---- the application's callbacks ---------------------------------------- */

static int cb_getopt(void *context, const char *plugin_name, const char *option, const char **result, unsigned *len)
{
        const char *v = NULL;

        (void)context;
        (void)plugin_name;
        if (strcmp(option, "canon_user_plugin") == 0)
                v = opt_plugin;
        else if (strcmp(option, "mailacct_config") == 0)
                v = opt_config;
        else if (strcmp(option, "mech_list") == 0)
                v = "PLAIN";
        else if (strcmp(option, "log_level") == 0)
                v = "7";
        if (!v)
                return SASL_FAIL;
        *result = v;
        if (len)
                *len = (unsigned)strlen(v);
        return SASL_OK;
}

static int cb_getpath(void *context, const char **path)
{
        (void)context;
        *path = plugin_dirs;
        return SASL_OK;
}

static int cb_log(void *context, int level, const char *message)
{
        size_t used = strlen(log_buf);

        (void)context;
        snprintf(log_buf + used, sizeof(log_buf) - used, "[%d] %s\n", level, message);
        return SASL_OK;
}

/* saslauthd's place: the password is right for any name; what matters is
 * which name it is asked for */
static int cb_checkpass(sasl_conn_t *c, void *context, const char *user, const char *pass, unsigned passlen,
                        struct propctx *propctx)
{
        (void)c;
        (void)context;
        (void)propctx;
        checkpass_calls++;
        snprintf(checked_user, sizeof(checked_user), "%s", user);
        return passlen == strlen(PW) && memcmp(pass, PW, passlen) == 0 ? SASL_OK : SASL_BADAUTH;
}

/* libsasl's callback slot is one function type for every kind of callback */
#define CB(f) ((int (*)(void))(void (*)(void))(f))

static sasl_callback_t callbacks[] = {
        {SASL_CB_GETOPT, CB(cb_getopt), NULL}, {SASL_CB_GETPATH, CB(cb_getpath), NULL},
        {SASL_CB_LOG, CB(cb_log), NULL},       {SASL_CB_SERVER_USERDB_CHECKPASS, CB(cb_checkpass), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
};

/* ---- one login ------------------------------------------------------------ */

enum way { CHECKPASS, PLAIN };

struct answer {
        int code;
        char user[1024];   /* SASL_USERNAME after success */
        char detail[2048]; /* sasl_errdetail() after failure */
};

static void run(enum way way, const char *login, size_t len, const char *authzid, struct answer *a)
{
        sasl_conn_t *c = NULL;
        const void *u = NULL;
        int r;

        memset(a, 0, sizeof(*a));
        log_buf[0] = '\0';
        checked_user[0] = '\0';
        checkpass_calls = 0;
        r = sasl_server_new("imap", "localhost", NULL, NULL, NULL, NULL, 0, &c);
        if (r != SASL_OK) {
                check(false, "sasl_server_new: %s", sasl_errstring(r, NULL, NULL));
                a->code = r;
                return;
        }
        if (way == CHECKPASS)
                r = sasl_checkpass(c, login, (unsigned)len, PW, (unsigned)strlen(PW));
        else {
                /* PLAIN: authzid NUL authcid NUL password */
                char msg[4096];
                size_t z = authzid ? strlen(authzid) : 0, n = 0;
                const char *out = NULL;
                unsigned outlen = 0;

                memcpy(msg, authzid ? authzid : "", z);
                n = z;
                msg[n++] = '\0';
                memcpy(msg + n, login, len);
                n += len;
                msg[n++] = '\0';
                memcpy(msg + n, PW, strlen(PW));
                n += strlen(PW);
                r = sasl_server_start(c, "PLAIN", msg, (unsigned)n, &out, &outlen);
        }
        a->code = r;
        if (r == SASL_OK && sasl_getprop(c, SASL_USERNAME, &u) == SASL_OK && u)
                snprintf(a->user, sizeof(a->user), "%s", (const char *)u);
        if (r != SASL_OK)
                snprintf(a->detail, sizeof(a->detail), "%s", sasl_errdetail(c));
        sasl_dispose(&c);
}

/* ---- cases ------------------------------------------------------------------ */

struct sasl_case {
        const char *login;
        size_t len; /* 0: strlen */
        int code;
        const char *user; /* SASL_USERNAME, and the name the password is checked for */
        const char *log;  /* a line the plugin must have logged */
};

#define JDOE "jdoe@example.com"

static const struct sasl_case cases[] = {
        /* every form but the three-part one reaches the one mailbox */
        {"jdoe", 0, SASL_OK, JDOE, "mailacct: ok login \"jdoe\": jdoe@example.com"},
        {"JDOE", 0, SASL_OK, JDOE, "ok login \"JDOE\": jdoe@example.com"},
        {"john.doe", 0, SASL_OK, JDOE, NULL},
        {"EXAMPLE\\jdoe", 0, SASL_OK, JDOE, "ok login \"EXAMPLE\\jdoe\": jdoe@example.com"},
        {"example\\JDOE", 0, SASL_OK, JDOE, NULL},
        {"EXAMPLE/jdoe", 0, SASL_OK, JDOE, NULL},
        {"jdoe@example.com", 0, SASL_OK, JDOE, NULL},
        {"john@example.com", 0, SASL_OK, JDOE, NULL},
        {"jdoe@example.org", 0, SASL_OK, JDOE, NULL},
        {"JDoe@Example.ORG", 0, SASL_OK, JDOE, NULL},
        /* seed Q198143 */
        {"SITE1\\user", 0, SASL_OK, "user@site1.org.com", NULL},
        {"user@site2.org.com", 0, SASL_OK, "user@site2.org.com", NULL},
        {"user", 0, SASL_NOUSER, NULL,
         "mailacct: ambiguous login \"user\": user@site1.org.com, user@site2.org.com; log in as "
         "SITE1\\user or user@site1.org.com, or as SITE2\\user or user@site2.org.com"},
        /* KB932605: plain characters */
        {"we*ird", 0, SASL_OK, "we*ird@example.com", NULL},
        {"100%", 0, SASL_OK, "we*ird@example.com", NULL},
        {"o\"neil", 0, SASL_OK, "o\"neil@example.com", NULL},
        {"we*", 0, SASL_NOUSER, NULL, "not-found login \"we*\""},
        {"%", 0, SASL_NOUSER, NULL, "not-found login \"%\""},
        /* seed Q198704: a mailbox beats a contact; a contact never logs in */
        {"sales", 0, SASL_OK, "sales@example.com", NULL},
        {"partner", 0, SASL_NOUSER, NULL, "contact login \"partner\""},
        {"partner@elsewhere.net", 0, SASL_NOUSER, NULL, "contact login \"partner@elsewhere.net\""},
        /* seed Q230373 */
        {"jdoe@mail.example.com", 0, SASL_NOUSER, NULL,
         "domain-not-hosted login \"jdoe@mail.example.com\": domain \"mail.example.com\" is not hosted here"},
        {"OTHER\\jdoe", 0, SASL_NOUSER, NULL, "domain-not-hosted login \"OTHER\\jdoe\""},
        {"nobody", 0, SASL_NOUSER, NULL, "not-found login \"nobody\""},
        /* the three-part form: one name cannot carry two identities */
        {"EXAMPLE\\assistant\\jdoe", 0, SASL_NOUSER, NULL,
         "mailacct: delegate-unsupported login \"EXAMPLE\\assistant\\jdoe\": DOMAIN\\account\\mailbox"},
        {"EXAMPLE/assistant/jdoe", 0, SASL_NOUSER, NULL, "delegate-unsupported"},
        {"EXAMPLE\\sales\\jdoe", 0, SASL_NOUSER, NULL, "delegate-unsupported"},
        /* hostile names: refused with a reason, never a crash (a NUL
         * through sasl_checkpass only: PLAIN cannot carry one) */
        {"jdoe\0@evil", 10, SASL_NOUSER, NULL, "invalid-login login \"jdoe\\x00@evil\": holds a NUL byte"},
        {"\xff\xfe", 0, SASL_NOUSER, NULL, "invalid-login login \"\xff\xfe\""},
        {"jdoe\nok login \"x\": forged", 0, SASL_NOUSER, NULL, "invalid-login login \"jdoe\\x0aok login \\\"x\\\""},
        {"jdoe\x7f", 0, SASL_NOUSER, NULL, "invalid-login"},
        {"EXAMPLE\\jdoe@example.com", 0, SASL_NOUSER, NULL, "invalid-login"},
        {"a@b@example.com", 0, SASL_NOUSER, NULL, "invalid-login"},
        {"EXAMPLE\\\\jdoe", 0, SASL_NOUSER, NULL, "invalid-login"},
};

static const char *code_name(int c)
{
        static char buf[32];

        switch (c) {
        case SASL_OK:
                return "SASL_OK";
        case SASL_NOUSER:
                return "SASL_NOUSER";
        case SASL_UNAVAIL:
                return "SASL_UNAVAIL";
        case SASL_BADAUTH:
                return "SASL_BADAUTH";
        case SASL_FAIL:
                return "SASL_FAIL";
        case SASL_NOMECH:
                return "SASL_NOMECH";
        default:
                snprintf(buf, sizeof(buf), "%d", c);
                return buf;
        }
}

static void run_case(size_t i, const struct sasl_case *c, enum way way)
{
        const char *wname = way == CHECKPASS ? "checkpass" : "PLAIN";
        size_t len = c->len ? c->len : strlen(c->login);
        struct answer a;

        run(way, c->login, len, NULL, &a);
        check(a.code == c->code, "case %zu %s '%s': %s, expected %s (%s); log:\n%s", i, wname, c->login,
              code_name(a.code), code_name(c->code), a.detail, log_buf);
        if (c->user) {
                check(strcmp(a.user, c->user) == 0, "case %zu %s '%s': SASL_USERNAME '%s', expected '%s'", i, wname,
                      c->login, a.user, c->user);
                check(strcmp(checked_user, c->user) == 0, "case %zu %s '%s': password checked for '%s', expected '%s'",
                      i, wname, c->login, checked_user, c->user);
        } else {
                /* refused before any password is looked at */
                check(checkpass_calls == 0, "case %zu %s '%s': the password was checked for '%s'", i, wname, c->login,
                      checked_user);
                check(strstr(a.detail, "mailacct: ") != NULL, "case %zu %s '%s': error detail lacks the reason: '%s'",
                      i, wname, c->login, a.detail);
        }
        if (c->log)
                check(strstr(log_buf, c->log) != NULL, "case %zu %s '%s': log lacks '%s'; log was:\n%s", i, wname,
                      c->login, c->log, log_buf);
        check(strstr(log_buf, PW) == NULL, "case %zu %s '%s': the password is in the log", i, wname, c->login);
}

static void run_cases(void)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                run_case(i, &cases[i], CHECKPASS);
                if (!memchr(cases[i].login, '\0', cases[i].len ? cases[i].len : 1))
                        run_case(i, &cases[i], PLAIN);
        }
}

/* An over-long name: longer than any login, refused with a reason; and one
 * longer than libsasl's own buffers never reaches the plugin intact. */
static void test_long(void)
{
        char name[700];
        struct answer a;

        memset(name, 'a', sizeof(name));
        memcpy(name + 300, "@example.com", 12);
        run(CHECKPASS, name, 400, NULL, &a);
        check(a.code == SASL_NOUSER, "a 400-byte login: %s", code_name(a.code));
        check(strstr(log_buf, "invalid-login login \"aaaa") && strstr(log_buf, "...\": longer than 320 bytes"),
              "a 400-byte login: log was:\n%s", log_buf);
        run(PLAIN, name, sizeof(name), NULL, &a);
        check(a.code != SASL_OK, "a 700-byte PLAIN login: %s", code_name(a.code));
}

/* PLAIN with an authorisation name: both names are canonicalised, so two
 * forms of one mailbox are the same identity (no proxy rights needed);
 * another mailbox's name is a proxy login, which libsasl refuses. */
static void test_authzid(void)
{
        struct answer a;

        run(PLAIN, "jdoe@example.org", strlen("jdoe@example.org"), "EXAMPLE\\jdoe", &a);
        check(a.code == SASL_OK && strcmp(a.user, JDOE) == 0,
              "PLAIN authzid EXAMPLE\\jdoe, authcid jdoe@example.org: "
              "%s, user '%s' (%s)",
              code_name(a.code), a.user, a.detail);
        run(PLAIN, "jdoe", 4, "sales", &a);
        check(a.code != SASL_OK, "PLAIN authzid sales, authcid jdoe: %s", code_name(a.code));
        run(PLAIN, "jdoe", 4, "EXAMPLE\\assistant\\jdoe", &a);
        check(a.code == SASL_NOUSER && strstr(log_buf, "delegate-unsupported"),
              "PLAIN authzid EXAMPLE\\assistant\\jdoe: %s; log:\n%s", code_name(a.code), log_buf);
}

/* A configuration that cannot be used fails closed, as a temporary error,
 * with its reason; the default path is /etc/mailacct.conf. */
static void test_unavailable(const char *tmp)
{
        char missing[4096];
        struct answer a;

        snprintf(missing, sizeof(missing), "%s/does-not-exist.conf", tmp);
        opt_config = missing;
        run(CHECKPASS, "jdoe", 4, NULL, &a);
        check(a.code == SASL_UNAVAIL, "missing configuration: %s", code_name(a.code));
        check(strstr(log_buf, "mailacct: config-unavailable login \"jdoe\": ") &&
                      strstr(log_buf, "does-not-exist.conf"),
              "missing configuration: log was:\n%s", log_buf);
        check(checkpass_calls == 0, "missing configuration: the password was checked");
        opt_config = NULL;
        if (access("/etc/mailacct.conf", F_OK) != 0) {
                run(PLAIN, "jdoe", 4, NULL, &a);
                check(a.code == SASL_UNAVAIL && strstr(log_buf, "/etc/mailacct.conf"),
                      "no mailacct_config option: %s, log:\n%s", code_name(a.code), log_buf);
        }
        opt_config = conf;
}

/* libsasl's own canonicalisation, for comparison: the name as typed */
static void test_internal(void)
{
        struct answer a;

        opt_plugin = NULL;
        run(CHECKPASS, "EXAMPLE\\jdoe", strlen("EXAMPLE\\jdoe"), NULL, &a);
        check(a.code == SASL_OK && strcmp(checked_user, "EXAMPLE\\jdoe") == 0,
              "without the plugin the name stays as typed: %s, '%s'", code_name(a.code), checked_user);
        opt_plugin = "mailacct";
}

/* ---- the plugin as a file ------------------------------------------------------ */

/* dlopen(RTLD_NOW): nothing undefined; only the entry point leaves it; the
 * entry point refuses an older libsasl and hands out a server side. */
static void test_dlopen(void)
{
        static const char *const internal[] = {"mailacct_resolve",     "mailacct_snapshot_get", "canon_server",
                                               "mailacct_quote_login", "mailacct_file_load",    "plugin"};

        for (int round = 0; round < 50; round++) {
                void *h = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
                sasl_canonuser_init_t *init;
                sasl_canonuser_plug_t *plug = NULL;
                int version = 0;

                if (!check(h != NULL, "dlopen(%s, RTLD_NOW): %s", plugin_path, dlerror()))
                        return;
                init = (sasl_canonuser_init_t *)dlsym(h, "sasl_canonuser_init");
                check(init != NULL, "sasl_canonuser_init not exported");
                for (size_t i = 0; round == 0 && i < sizeof(internal) / sizeof(internal[0]); i++)
                        check(dlsym(h, internal[i]) == NULL, "%s is exported", internal[i]);
                if (init && round == 0) {
                        check(init(NULL, SASL_CANONUSER_PLUG_VERSION - 1, &version, &plug, "mailacct") == SASL_BADVERS,
                              "an older canon_user version is accepted");
                        check(init(NULL, SASL_CANONUSER_PLUG_VERSION, &version, &plug, "mailacct") == SASL_OK &&
                                      version == SASL_CANONUSER_PLUG_VERSION && plug && plug->name &&
                                      strcmp(plug->name, "mailacct") == 0 && plug->canon_user_server,
                              "sasl_canonuser_init: version %d, name %s", version,
                              plug && plug->name ? plug->name : "(none)");
                }
                check(dlclose(h) == 0, "dlclose: %s", dlerror());
        }
}

/* ---- the index ---------------------------------------------------------------- */

static bool mapped(const char *path)
{
        FILE *f = fopen("/proc/self/maps", "r");
        char line[8192];
        bool found = false;

        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = strstr(line, path) != NULL;
        fclose(f);
        return found;
}

/* ---- cost ------------------------------------------------------------------------ */

static long long now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ns per sasl_checkpass on one connection, as Cyrus's LOGIN does it */
static double per_call(const char *plugin, const char *login, long n)
{
        sasl_conn_t *c = NULL;
        long long t0;
        int r;

        opt_plugin = plugin;
        if (sasl_server_new("imap", "localhost", NULL, NULL, NULL, NULL, 0, &c) != SASL_OK)
                return -1;
        r = sasl_checkpass(c, login, 0, PW, (unsigned)strlen(PW)); /* warm */
        t0 = now_ns();
        for (long i = 0; i < n && r == SASL_OK; i++) {
                log_buf[0] = '\0';
                r = sasl_checkpass(c, login, 0, PW, (unsigned)strlen(PW));
        }
        t0 = now_ns() - t0;
        sasl_dispose(&c);
        opt_plugin = "mailacct";
        return r == SASL_OK ? (double)t0 / (double)n : -1;
}

static int bench(long n)
{
        static const char *const logins[] = {"jdoe", "EXAMPLE\\jdoe", "jdoe@example.org", "SITE2\\user"};

        for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
                double internal = per_call(NULL, logins[i], n), plugin = per_call("mailacct", logins[i], n);
                if (internal < 0 || plugin < 0) {
                        printf("FAIL: bench %s\n", logins[i]);
                        return 1;
                }
                printf("%-20s sasl_checkpass: %7.0f ns with the plugin, %7.0f ns with libsasl's own; "
                       "the plugin adds %.2f us (N = %ld)\n",
                       logins[i], plugin, internal, (plugin - internal) / 1000.0, n);
        }
        return 0;
}

int main(int argc, char **argv)
{
        const char *index = NULL;
        long rounds = 1, bench_n = 0;
        char tmpl[] = "/tmp/test-sasl.XXXXXX";
        int r;

        build_dir = getenv("BUILD");
        if (!build_dir || !*build_dir || argc < 2) {
                fprintf(stderr, "usage: BUILD=DIR test_sasl CONF [--index INDEX | --rounds N | --bench N]\n");
                return 2;
        }
        conf = opt_config = argv[1];
        for (int i = 2; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--index") == 0)
                        index = argv[i + 1];
                else if (strcmp(argv[i], "--rounds") == 0)
                        rounds = atol(argv[i + 1]);
                else if (strcmp(argv[i], "--bench") == 0)
                        bench_n = atol(argv[i + 1]);
        }
        snprintf(plugin_path, sizeof(plugin_path), "%s/sasl2/libmailacct.so", build_dir);
        /* ours, then the system's mechanisms (PLAIN) */
        snprintf(plugin_dirs, sizeof(plugin_dirs), "%s/sasl2:%s", build_dir, "/usr/lib/x86_64-linux-gnu/sasl2");
        if (!mkdtemp(tmpl)) {
                perror("mkdtemp");
                return 2;
        }
        r = sasl_server_init(callbacks, "mailacct-test");
        if (r != SASL_OK) {
                printf("FAIL: sasl_server_init: %s\n", sasl_errstring(r, NULL, NULL));
                return 1;
        }
        if (bench_n > 0) {
                r = bench(bench_n);
                sasl_server_done();
                rmdir(tmpl);
                return r;
        }
        for (long k = 0; k < rounds; k++) {
                run_cases();
                /* (before another configuration replaces it in the cache) */
                if (k == 0 && index)
                        check(mapped(index), "the index %s is not mapped: the configuration answered", index);
                test_long();
                test_authzid();
                test_unavailable(tmpl);
                test_internal();
                if (k == 0 && failures) /* one report is enough */
                        break;
        }
        test_dlopen();
        sasl_server_done();
        rmdir(tmpl);
        printf("%s: %u checks, %u failed (%zu cases two ways, %ld round%s)\n", failures ? "FAIL" : "PASS", checks,
               failures, sizeof(cases) / sizeof(cases[0]), rounds, rounds == 1 ? "" : "s");
        return failures ? 1 : 0;
}
