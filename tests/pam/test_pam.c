/* SPDX-License-Identifier: MIT */
/* PAM-level tests of pam_mailacct.so: the real libpam (pam_start_confdir
 * with service files in a temporary folder), the built module, and a real
 * syslog socket so that every decision's log line is checked too.
 *
 * The log: pam_syslog() writes to /dev/log, which this machine lacks and
 * which a test must not create. The program moves itself into a private
 * mount namespace (as root, or as a user through a user namespace), mounts
 * an empty tmpfs on /dev there and listens on /dev/log itself. Nothing
 * outside the process sees it. Without namespaces the suite is skipped.
 *
 * Run from the repository root with BUILD set (tests/run-suites does). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
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
#include <unistd.h>
#include <security/pam_appl.h>

#include "devlog.h"
#include "pam_conv.h"

#include "password.h"

#define SKIP 77
#define NOT_RUN (-1)
#define ANY (-2)

static const char *build_dir, *tmp_dir, *pam_dir, *override_dir;
static int log_fd = -1, failures, checks;
static char case_log[1 << 16];
static char *all_log;
static size_t all_log_len, all_log_cap;

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

/* mode 0: leave the mode alone (files under /proc) */
static void write_file(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                perror(path);
                exit(2);
        }
        if (mode && chmod(path, mode) < 0) {
                perror(path);
                exit(2);
        }
}

static char *read_file(const char *path)
{
        FILE *f = fopen(path, "r");
        char *buf = NULL;
        size_t len = 0;

        if (!f) {
                perror(path);
                exit(2);
        }
        if (getdelim(&buf, &len, '\0', f) < 0) {
                perror(path);
                exit(2);
        }
        fclose(f);
        return buf;
}

/* ---- the syslog socket -------------------------------------------------- */

static int setup_log(void)
{
        log_fd = tl_devlog_open();
        return log_fd < 0 ? log_fd : 0;
}

/* Moves what syslog() sent since the last call into case_log. */
static void drain_log(void)
{
        char buf[4096];
        size_t used = strlen(case_log);
        ssize_t n;

        while ((n = recv(log_fd, buf, sizeof(buf) - 1, 0)) > 0) {
                buf[n] = '\0';
                if (used + (size_t)n + 2 < sizeof(case_log)) {
                        memcpy(case_log + used, buf, (size_t)n);
                        used += (size_t)n;
                        case_log[used++] = '\n';
                        case_log[used] = '\0';
                }
                if (all_log_len + (size_t)n + 2 > all_log_cap) {
                        all_log_cap = (all_log_cap + (size_t)n + 2) * 2;
                        all_log = realloc(all_log, all_log_cap);
                        if (!all_log)
                                abort();
                }
                memcpy(all_log + all_log_len, buf, (size_t)n);
                all_log_len += (size_t)n;
                all_log[all_log_len++] = '\n';
                all_log[all_log_len] = '\0';
        }
}

static void reset_log(void)
{
        drain_log();
        case_log[0] = '\0';
}

/* pam_matrix (from pam_wrapper) stands for the directory module that checks
 * passwords after resolve_only (pam_unix, pam_sss, pam_krb5): users,
 * passwords and services from a file of its own, @D/matrix.db */
#define MATRIX "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so passdb=@D/matrix.db"
#define MATRIX_DB                                    \
        "assistant:assistant-unix:stack_local\n"     \
        "jdoe:jdoe-unix:stack_local\n"               \
        "sales:sales-unix:stack_local\n"             \
        "former:former-unix:stack_local\n"           \
        "EXAMPLE\\jdoe:jdoe-nt:stack_netbios\n"      \
        "jdoe@example.com:jdoe-address:stack_address\n"

/* ---- the directory and its secrets -------------------------------------- */

static const struct {
        const char *address, *password;
} passwords[] = {
        { "jdoe@example.com", "jdoe-Secret1" },
        { "assistant@example.com", "assist-Secret2" },
        { "user@site1.org.com", "site1-Secret" },
        { "user@site2.org.com", "site2-Secret" },
        { "we*ird@example.com", "w*l%d\"c\\ard" },
        { "o\"neil@example.com", "q\"u\\o*t%e" },
        { "sales@example.com", "sales-Secret" },
        { "imaponly@example.com", "imaponly-Secret" },
        { "former@example.com", "former-Secret" },
        { "boss@example.com", "boss-Secret" },
};

#define PW_JDOE passwords[0].password
#define PW_ASSISTANT passwords[1].password
#define PW_SITE1 passwords[2].password
#define PW_SITE2 passwords[3].password
#define PW_WEIRD passwords[4].password
#define PW_ONEIL passwords[5].password
#define PW_SALES passwords[6].password
#define PW_IMAPONLY passwords[7].password
#define PW_FORMER passwords[8].password

static char *good_secrets;

static void make_secrets(void)
{
        size_t cap = 8192, o = 0;

        good_secrets = malloc(cap);
        o += (size_t)snprintf(good_secrets + o, cap - o, "# generated by tests/pam/test_pam\n");
        for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++) {
                char hash[512];
                if (mailacct_password_hash(passwords[i].password, "$y$", hash, sizeof(hash)) < 0) {
                        fprintf(stderr, "cannot hash\n");
                        exit(2);
                }
                o += (size_t)snprintf(good_secrets + o, cap - o, "%s:%s\n", passwords[i].address, hash);
        }
}

/* One configuration per secrets variant: the test directory with its
 * secrets line replaced. */
static void make_config(const char *base, const char *name, const char *secrets_line, mode_t mode)
{
        const char *orig = "secrets = \"mailacct.secrets\";";
        const char *at = strstr(base, orig);
        char *text, *path;

        if (!at) {
                fprintf(stderr, "the test directory lost its secrets line\n");
                exit(2);
        }
        text = xasprintf("%.*s%s%s", (int)(at - base), base, secrets_line, at + strlen(orig));
        path = xasprintf("%s/%s", tmp_dir, name);
        write_file(path, text, mode);
        free(path);
        free(text);
}

/* The directory plus a mailbox whose `services` are written with other
 * names of the protocols (and one name no table knows), for the protocol
 * cases. */
static void make_services_config(void)
{
        static const char list[] = "mailboxes = (\n";
        char *base = read_file("tests/integration/data/mailacct.conf");
        const char *at = strstr(base, list);
        size_t head;
        char *text;

        if (!at) {
                fprintf(stderr, "the test directory lost its mailboxes list\n");
                exit(2);
        }
        head = (size_t)(at - base) + strlen(list);
        text = xasprintf("%.*s  { address = \"mapped@example.com\"; uid = 5020;\n"
                         "    services = [ \"IMAP4\", \"pop\", \"submission\", \"managesieve\", \"x-Custom\" ]; },\n%s",
                         (int)head, base, base + head);
        make_config(text, "services.conf", "secrets = \"good.secrets\";", 0644);
        free(text);
        free(base);
}

static void make_directory(void)
{
        char *base = read_file("tests/integration/data/mailacct.conf"), *p;

        make_secrets();
#define SECRETS(name, text, mode)                            \
        do {                                                 \
                p = xasprintf("%s/%s", tmp_dir, name);       \
                write_file(p, text, mode);                   \
                free(p);                                     \
        } while (0)
        SECRETS("good.secrets", good_secrets, 0600);
        SECRETS("readable.secrets", good_secrets, 0644);
        SECRETS("groupwrite.secrets", good_secrets, 0620);
        SECRETS("corrupt.secrets", "# fine\njdoe@example.com $y$no-colon-here\n", 0600);
        /* "$" + an unknown prefix: crypt(3) refuses it (a bare word would read as DES) */
        SECRETS("badhash.secrets", "jdoe@example.com:$unknown$not-a-crypt-hash\n", 0600);
        SECRETS("empty.secrets", "", 0600);
        SECRETS("matrix.db", MATRIX_DB, 0600);
        make_config(base, "mailacct.conf", "secrets = \"good.secrets\";", 0644);
        make_config(base, "readable.conf", "secrets = \"readable.secrets\";", 0644);
        make_config(base, "groupwrite.conf", "secrets = \"groupwrite.secrets\";", 0644);
        make_config(base, "corrupt-secrets.conf", "secrets = \"corrupt.secrets\";", 0644);
        make_config(base, "badhash.conf", "secrets = \"badhash.secrets\";", 0644);
        make_config(base, "empty-secrets.conf", "secrets = \"empty.secrets\";", 0644);
        make_config(base, "missing-secrets.conf", "secrets = \"missing.secrets\";", 0644);
        make_config(base, "no-secrets.conf", "", 0644);
        make_config(base, "writable.conf", "secrets = \"good.secrets\";", 0666);
        make_config(base, "unknown-key.conf", "secrets = \"good.secrets\"; password_file = \"here\";", 0644);
        make_services_config();
        SECRETS("corrupt.conf", "default_domain = \"example.com\";\ndomains = ( { name = \"example.com\" } \n", 0644);
        free(base);
}

/* ---- service files ---------------------------------------------------- */

static void service(const char *name, const char *text_fmt)
{
        char *module = xasprintf("%s/pam_mailacct.so", build_dir), *path = xasprintf("%s/%s", pam_dir, name);
        char *text = malloc(8192);
        size_t o = 0;

        /* @M: the module's path, @D: the temporary folder */
        for (const char *t = text_fmt; *t; t++) {
                if (t[0] == '@' && t[1] == 'M') {
                        o += (size_t)snprintf(text + o, 8192 - o, "%s", module);
                        t++;
                } else if (t[0] == '@' && t[1] == 'D') {
                        o += (size_t)snprintf(text + o, 8192 - o, "%s", tmp_dir);
                        t++;
                } else
                        text[o++] = *t;
        }
        text[o] = '\0';
        write_file(path, text, 0644);
        free(text);
        free(path);
        free(module);
}

#define SET_ITEMS "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so"

/* (libpam lowercases a service's name before it opens the file) */
static const char *const protocol_services[] = {
        "imaps", "imap4", "pop", "pop3s", "popa3d", "solid-pop3d", "smtp", "submission",
        "smtps", "sieve", "managesieve", "x-custom", "x-other", "dovecot",
};

static void make_services(void)
{
#define STACK(opts)                                  \
        "auth     required @M config=@D/" opts "\n"  \
        "account  required @M config=@D/" opts "\n"  \
        "password required @M config=@D/" opts "\n"
        service("other", "auth required pam_deny.so\naccount required pam_deny.so\n");
        service("plain", STACK("mailacct.conf"));
        service("imap", STACK("mailacct.conf"));
        service("pop3", STACK("mailacct.conf"));
        service("debug", STACK("mailacct.conf debug"));
        service("quiet", STACK("mailacct.conf quiet"));
        service("nocanon", STACK("mailacct.conf nocanon"));
        service("resolve_only", STACK("mailacct.conf resolve_only"));
        /* the stacks of README "Stacking": our auth (resolve_only) first,
         * the password module's auth; its account, then ours, which hands
         * the server the mailbox */
#define STACKED(form)                                                                          \
        "auth     requisite @M config=@D/mailacct.conf resolve_only principal=" form "\n"        \
        "auth     required  " MATRIX "\n"                                                       \
        "account  required  " MATRIX "\n"                                                       \
        "account  required  @M config=@D/mailacct.conf resolve_only protocol=imap\n"
        service("stack_local", STACKED("local"));
        service("stack_netbios", STACKED("netbios"));
        service("stack_address", STACKED("address"));
        service("stack_upn", STACKED("upn"));
        service("stack_badform", STACKED("kerberos"));
        service("stack_mailbox", STACKED("mailbox"));
        service("badopts", STACK("mailacct.conf frobnicate debug=1 nocanon=yes"));
        service("emptyconfig", STACK("mailacct.conf config="));
        service("missing", STACK("does-not-exist.conf"));
        service("corrupt", STACK("corrupt.conf"));
        service("unknown_key", STACK("unknown-key.conf"));
        service("writable", STACK("writable.conf"));
        service("readable", STACK("readable.conf"));
        service("groupwrite", STACK("groupwrite.conf"));
        service("corrupt_secrets", STACK("corrupt-secrets.conf"));
        service("missing_secrets", STACK("missing-secrets.conf"));
        service("no_secrets", STACK("no-secrets.conf"));
        service("empty_secrets", STACK("empty-secrets.conf"));
        service("badhash", STACK("badhash.conf"));
        /* pam_set_items (from pam_wrapper) stands for a module earlier in
         * the stack that obtained the password: it sets PAM_AUTHTOK from the
         * environment variable of that name. */
        service("use_first_pass", "auth required " SET_ITEMS "\n"
                                  "auth required @M config=@D/mailacct.conf use_first_pass\n"
                                  "account required @M config=@D/mailacct.conf\n");
        service("use_first_pass_alone", "auth required @M config=@D/mailacct.conf use_first_pass\n");
        /* every name of the protocol table (lib/protocol.c) as a PAM
         * service, names no table knows, and protocol= overriding both */
        for (size_t i = 0; i < sizeof(protocol_services) / sizeof(protocol_services[0]); i++)
                service(protocol_services[i], STACK("services.conf"));
        service("mailx", STACK("services.conf protocol=imap4"));
        /* a name of the table overridden: "pop" in a folder of its own */
        {
                const char *saved = pam_dir;
                pam_dir = override_dir;
                service("pop", STACK("services.conf protocol=smtp"));
                pam_dir = saved;
        }
        service("try_first_pass", "auth required " SET_ITEMS "\n"
                                  "auth required @M config=@D/mailacct.conf try_first_pass\n"
                                  "account required @M config=@D/mailacct.conf\n");
}

/* ---- the conversation ------------------------------------------------- */

/* ---- cases ------------------------------------------------------------ */

struct pam_case {
        const char *service;
        const char *login; /* NULL: the module must ask for it */
        const char *answers[4];
        const char *authtok; /* PAM_AUTHTOK from an earlier module */
        bool acct_only;      /* pam_acct_mgmt without pam_authenticate */
        const char *set_user; /* the application sets PAM_USER to this between the phases */
        const char *auth_user; /* expected PAM_USER after pam_authenticate, NULL: not checked */
        int auth;            /* expected pam_authenticate */
        int acct;            /* expected pam_acct_mgmt, NOT_RUN */
        const char *user;    /* expected PAM_USER at the end, NULL: as typed */
        int prompts;         /* expected prompts, ANY */
        const char *logs[4];
        const char *nologs[3];
};

/* 600 bytes: over crypt(3)'s limit (the security issue, finding 4) */
#define X10      "xxxxxxxxxx"
#define X100     X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
#define LONG_PW  X100 X100 X100 X100 X100 X100

#define OKAY(svc, login_, pw, canon, log1)                                                                      \
        {                                                                                                       \
                .service = svc, .login = login_, .answers = { pw }, .auth = PAM_SUCCESS, .acct = PAM_SUCCESS, \
                .user = canon, .prompts = 1, .logs = { log1 },                                                 \
        }

static const struct pam_case cases[] = {
        /* every form of jdoe opens one mailbox */
        OKAY("imap", "jdoe", PW_JDOE, "jdoe@example.com", "ok login \"jdoe\": jdoe@example.com (bare alias, rule 4)"),
        OKAY("imap", "JDOE", PW_JDOE, "jdoe@example.com", "ok login \"JDOE\": jdoe@example.com"),
        OKAY("imap", "john.doe", PW_JDOE, "jdoe@example.com", "ok login \"john.doe\": jdoe@example.com"),
        OKAY("imap", "EXAMPLE\\jdoe", PW_JDOE, "jdoe@example.com",
             "ok login \"EXAMPLE\\jdoe\": jdoe@example.com (DOMAIN\\account, rule 2)"),
        OKAY("imap", "EXAMPLE/jdoe", PW_JDOE, "jdoe@example.com", "ok login \"EXAMPLE/jdoe\": jdoe@example.com"),
        OKAY("imap", "jdoe@example.com", PW_JDOE, "jdoe@example.com",
             "ok login \"jdoe@example.com\": jdoe@example.com (address, rule 1)"),
        OKAY("imap", "john@example.com", PW_JDOE, "jdoe@example.com", "ok login \"john@example.com\": jdoe@example.com"),
        OKAY("imap", "jdoe@example.org", PW_JDOE, "jdoe@example.com", "ok login \"jdoe@example.org\": jdoe@example.com"),
        OKAY("imap", "example\\JDOE", PW_JDOE, "jdoe@example.com", "ok login \"example\\JDOE\": jdoe@example.com"),
        /* seed Q198143: two sites share "user", neither is the default domain */
        OKAY("plain", "SITE1\\user", PW_SITE1, "user@site1.org.com", "ok login \"SITE1\\user\": user@site1.org.com"),
        OKAY("plain", "user@site2.org.com", PW_SITE2, "user@site2.org.com", "ok login \"user@site2.org.com\""),
        { .service = "plain", .login = "user", .answers = { PW_SITE1 }, .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN,
          .prompts = 1,
          .logs = { "ambiguous login \"user\": user@site1.org.com, user@site2.org.com; log in as SITE1\\user or "
                    "user@site1.org.com, or as SITE2\\user or user@site2.org.com" } },
        { .service = "plain", .login = "SITE1\\user", .answers = { PW_SITE2 }, .auth = PAM_AUTH_ERR, .acct = NOT_RUN,
          .prompts = 1, .logs = { "wrong-password login \"SITE1\\user\": user@site1.org.com" } },
        /* seed Q198704: the three-part form authenticates the assistant */
        OKAY("imap", "EXAMPLE\\assistant\\jdoe", PW_ASSISTANT, "jdoe@example.com",
             "ok login \"EXAMPLE\\assistant\\jdoe\": jdoe@example.com (DOMAIN\\account\\mailbox, rule 3; password of "
             "assistant@example.com)"),
        OKAY("imap", "EXAMPLE/assistant/jdoe@example.com", PW_ASSISTANT, "jdoe@example.com", "ok login"),
        { .service = "plain", .login = "EXAMPLE\\assistant\\jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTH_ERR,
          .acct = NOT_RUN, .prompts = 1,
          .logs = { "wrong-password login \"EXAMPLE\\assistant\\jdoe\": jdoe@example.com (password of "
                    "assistant@example.com, opening jdoe@example.com)" } },
        { .service = "plain", .login = "EXAMPLE\\sales\\jdoe", .answers = { PW_SALES }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1,
          .logs = { "not-delegated login \"EXAMPLE\\sales\\jdoe\": EXAMPLE\\sales (sales@example.com) may not open "
                    "jdoe@example.com" } },
        OKAY("imap", "EXAMPLE\\jdoe\\jdoe", PW_JDOE, "jdoe@example.com", "ok login \"EXAMPLE\\jdoe\\jdoe\""),
        /* contacts never log in; a mailbox wins over a contact */
        { .service = "plain", .login = "partner", .answers = { "anything" }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1,
          .logs = { "contact login \"partner\": \"partner\" is the contact partner <partner@elsewhere.net>" } },
        { .service = "plain", .login = "partner@elsewhere.net", .answers = { "anything" }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1, .logs = { "contact login \"partner@elsewhere.net\"" } },
        OKAY("plain", "sales", PW_SALES, "sales@example.com", "ok login \"sales\": sales@example.com"),
        /* KB932605: wildcards and quotes are plain characters */
        OKAY("plain", "we*ird", PW_WEIRD, "we*ird@example.com", "ok login \"we*ird\": we*ird@example.com"),
        OKAY("plain", "EXAMPLE\\we*ird", PW_WEIRD, "we*ird@example.com", "ok login \"EXAMPLE\\we*ird\""),
        OKAY("plain", "100%", PW_WEIRD, "we*ird@example.com", "ok login \"100%\": we*ird@example.com"),
        OKAY("plain", "o\"neil", PW_ONEIL, "o\"neil@example.com", "ok login \"o\\\"neil\": o\"neil@example.com"),
        { .service = "plain", .login = "we*", .answers = { PW_WEIRD }, .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN,
          .prompts = 1, .logs = { "not-found login \"we*\"" } },
        { .service = "plain", .login = "%", .answers = { PW_WEIRD }, .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN,
          .prompts = 1, .logs = { "not-found login \"%\"" } },
        /* seed Q230373 */
        { .service = "plain", .login = "jdoe@mail.example.com", .answers = { PW_JDOE }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1,
          .logs = { "domain-not-hosted login \"jdoe@mail.example.com\": domain \"mail.example.com\" is not hosted "
                    "here; it looks like a host name inside hosted domain example.com" } },
        { .service = "plain", .login = "jdoe@elsewhere.net", .answers = { PW_JDOE }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1, .logs = { "domain-not-hosted login \"jdoe@elsewhere.net\"" } },
        { .service = "plain", .login = "OTHER\\jdoe", .answers = { PW_JDOE }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1, .logs = { "domain-not-hosted login \"OTHER\\jdoe\"" } },
        /* unknown, invalid, wrong password, no password */
        { .service = "plain", .login = "nobody", .answers = { "x" }, .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN,
          .prompts = 1, .logs = { "not-found login \"nobody\"" } },
        { .service = "plain", .login = "jdoe\nok login \"x\": forged", .answers = { "x" }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1,
          .logs = { "invalid-login login \"jdoe\\x0aok login \\\"x\\\": forged\": control character" } },
        { .service = "plain", .login = " jdoe", .answers = { PW_JDOE }, .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN,
          .prompts = 1, .logs = { "invalid-login login \" jdoe\"" } },
        { .service = "plain", .login = "EXAMPLE\\jdoe@example.com", .answers = { PW_JDOE },
          .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN, .prompts = 1, .logs = { "invalid-login", "mixed forms" } },
        { .service = "plain", .login = "jdoe", .answers = { "jdoe-secret1" }, .auth = PAM_AUTH_ERR, .acct = NOT_RUN,
          .prompts = 1, .logs = { "wrong-password login \"jdoe\": jdoe@example.com" } },
        { .service = "plain", .login = "jdoe", .answers = { "" }, .auth = PAM_AUTH_ERR, .acct = NOT_RUN,
          .prompts = 1, .logs = { "wrong-password" } },
        { .service = "plain", .login = "nopass", .answers = { "x" }, .auth = PAM_AUTH_ERR, .acct = NOT_RUN,
          .prompts = 1, .logs = { "no-password login \"nopass\": nopass@example.com has no line in the secrets file" } },
        /* the login asked for by the module itself */
        { .service = "imap", .login = NULL, .answers = { "EXAMPLE\\jdoe", PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_SUCCESS, .user = "jdoe@example.com", .prompts = 2, .logs = { "ok login \"EXAMPLE\\jdoe\"" } },
        /* the application gives no password */
        { .service = "plain", .login = "jdoe", .answers = { NULL }, .auth = PAM_CONV_ERR, .acct = NOT_RUN,
          .prompts = 1, .logs = { "conversation-failed login \"jdoe\"" } },
        /* account phase: per-service access and disabled mailboxes */
        { .service = "pop3", .login = "imaponly", .answers = { PW_IMAPONLY }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "imaponly@example.com", .prompts = 1,
          .logs = { "ok login \"imaponly\"",
                    "service-denied login \"imaponly\": imaponly@example.com may not use service \"pop3\"" } },
        OKAY("imap", "imaponly", PW_IMAPONLY, "imaponly@example.com", "ok login \"imaponly\": account imaponly@example.com may use imap"),
        { .service = "pop3", .login = "former", .answers = { PW_FORMER }, .auth = PAM_SUCCESS,
          .acct = PAM_ACCT_EXPIRED, .user = "former@example.com", .prompts = 1,
          .logs = { "disabled login \"former\": former@example.com is disabled" } },
        { .service = "imap", .login = "former@example.com", .answers = { PW_FORMER }, .auth = PAM_SUCCESS,
          .acct = PAM_ACCT_EXPIRED, .user = "former@example.com", .prompts = 1, .logs = { "disabled login" } },
        OKAY("pop3", "EXAMPLE\\jdoe", PW_JDOE, "jdoe@example.com", "account jdoe@example.com may use pop3"),
        { .service = "plain", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 1,
          .logs = { "service-denied login \"jdoe\": jdoe@example.com may not use service \"plain\"" } },
        { .service = "imap", .login = "EXAMPLE\\former\\boss", .answers = { PW_FORMER }, .auth = PAM_SUCCESS,
          .acct = PAM_ACCT_EXPIRED, .user = "boss@example.com", .prompts = 1,
          .logs = { "principal-disabled login \"EXAMPLE\\former\\boss\": former@example.com opens boss@example.com, "
                    "but former@example.com is disabled" } },
        /* account phase alone: the module resolves PAM_USER itself */
        /* a password longer than crypt(3) takes is a wrong password, after
         * the same work, never "unavailable" nor an error-level line */
        { .service = "imap", .login = "jdoe", .answers = { LONG_PW }, .auth = PAM_AUTH_ERR, .acct = NOT_RUN,
          .prompts = 1, .logs = { "wrong-password login \"jdoe\"" }, .nologs = { "bad-hash", "<83>" } },
        { .service = "imap", .login = "no-such-user", .answers = { LONG_PW }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1, .logs = { "not-found login \"no-such-user\"" }, .nologs = { "bad-hash" } },
        /* PAM_USER changed by the application between the phases (the
         * security issue, finding 5): the same mailbox is judged as
         * authenticate saw it, principal included; another one is refused */
        { .service = "imap", .login = "EXAMPLE\\former\\boss", .answers = { PW_FORMER }, .set_user = "boss",
          .auth = PAM_SUCCESS, .acct = PAM_ACCT_EXPIRED, .user = "boss", .prompts = 1,
          .logs = { "principal-disabled login \"EXAMPLE\\former\\boss\": former@example.com opens boss@example.com" } },
        { .service = "imap", .login = "EXAMPLE\\former\\boss", .answers = { PW_FORMER },
          .set_user = "BOSS@example.com", .auth = PAM_SUCCESS, .acct = PAM_ACCT_EXPIRED, .user = "BOSS@example.com",
          .prompts = 1, .logs = { "principal-disabled" } },
        { .service = "imap", .login = "jdoe", .answers = { PW_JDOE }, .set_user = "JDOE@Example.ORG",
          .auth = PAM_SUCCESS, .acct = PAM_SUCCESS, .user = "JDOE@Example.ORG", .prompts = 1,
          .logs = { "ok login \"jdoe\": account jdoe@example.com may use imap" } },
        { .service = "imap", .login = "jdoe", .answers = { PW_JDOE }, .set_user = "sales", .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "sales", .prompts = 1,
          .logs = { "user-changed login \"sales\": PAM_USER changed after authentication from \"jdoe\" "
                    "(jdoe@example.com) to a name that opens another mailbox" } },
        { .service = "imap", .login = "jdoe", .answers = { PW_JDOE }, .set_user = "nobody-here", .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "nobody-here", .prompts = 1, .logs = { "opens no mailbox" } },
        { .service = "imap", .login = "EXAMPLE\\jdoe", .acct_only = true, .auth = NOT_RUN, .acct = PAM_SUCCESS,
          .prompts = 0, .logs = { "ok login \"EXAMPLE\\jdoe\": account jdoe@example.com may use imap" } },
        { .service = "pop3", .login = "imaponly@example.com", .acct_only = true, .auth = NOT_RUN,
          .acct = PAM_PERM_DENIED, .prompts = 0, .logs = { "service-denied" } },
        { .service = "imap", .login = "former", .acct_only = true, .auth = NOT_RUN, .acct = PAM_ACCT_EXPIRED,
          .prompts = 0, .logs = { "disabled login \"former\"" } },
        { .service = "imap", .login = "EXAMPLE\\former\\boss", .acct_only = true, .auth = NOT_RUN,
          .acct = PAM_ACCT_EXPIRED, .prompts = 0, .logs = { "principal-disabled" } },
        { .service = "imap", .login = "user", .acct_only = true, .auth = NOT_RUN, .acct = PAM_USER_UNKNOWN,
          .prompts = 0, .logs = { "ambiguous login \"user\"" } },
        { .service = "missing", .login = "jdoe", .acct_only = true, .auth = NOT_RUN, .acct = PAM_AUTHINFO_UNAVAIL,
          .prompts = 0, .logs = { "config-unavailable login \"jdoe\"" } },
        /* options */
        { .service = "nocanon", .login = "SITE1\\user", .answers = { PW_SITE1 }, .auth = PAM_SUCCESS,
          .acct = PAM_SUCCESS, .user = "SITE1\\user", .prompts = 1,
          .logs = { "ok login \"SITE1\\user\": user@site1.org.com", "account user@site1.org.com may use nocanon" } },
        { .service = "nocanon", .login = "EXAMPLE\\jdoe", .answers = { PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "EXAMPLE\\jdoe", .prompts = 1,
          .logs = { "service-denied login \"EXAMPLE\\jdoe\": jdoe@example.com may not use service \"nocanon\"" } },
        { .service = "resolve_only", .login = "SITE2\\user", .auth = PAM_SUCCESS, .acct = PAM_SUCCESS,
          .user = "user@site2.org.com", .prompts = 0, .logs = { "ok login \"SITE2\\user\": user@site2.org.com", "account user@site2.org.com may use resolve_only" } },
        /* resolve_only hands the next module the principal; refused in the
         * account phase (the service), the mailbox is never handed over */
        { .service = "resolve_only", .login = "EXAMPLE\\assistant\\jdoe", .auth = PAM_SUCCESS, .acct = PAM_PERM_DENIED,
          .auth_user = "assistant@example.com", .user = "assistant@example.com", .prompts = 0,
          .logs = { "ok login \"EXAMPLE\\assistant\\jdoe\": jdoe@example.com", "resolve_only: PAM_USER is the principal \"assistant@example.com\"" } },
        /* stacked: the delegate form works, the principal's password in the
         * principal's module, the mailbox for the server at the end */
        { .service = "stack_local", .login = "EXAMPLE\\assistant\\jdoe", .answers = { "assistant-unix" },
          .auth = PAM_SUCCESS, .acct = PAM_SUCCESS, .auth_user = "assistant", .user = "jdoe@example.com", .prompts = 1,
          .logs = { "principal \"assistant\"", "account jdoe@example.com may use imap" } },
        { .service = "stack_local", .login = "EXAMPLE\\assistant\\jdoe", .answers = { "jdoe-unix" },
          .auth = PAM_AUTH_ERR, .acct = NOT_RUN, .auth_user = "assistant", .user = "assistant", .prompts = 1 },
        { .service = "stack_local", .login = "jdoe@example.org", .answers = { "jdoe-unix" }, .auth = PAM_SUCCESS,
          .acct = PAM_SUCCESS, .auth_user = "jdoe", .user = "jdoe@example.com", .prompts = 1 },
        { .service = "stack_local", .login = "EXAMPLE\\sales\\jdoe", .answers = { "sales-unix" },
          .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN, .user = "EXAMPLE\\sales\\jdoe", .prompts = 0,
          .logs = { "not-delegated" } },
        /* the directory module takes a disabled principal's password (a
         * bind without ppolicy does): our account phase refuses it */
        { .service = "stack_local", .login = "EXAMPLE\\former\\boss", .answers = { "former-unix" },
          .auth = PAM_SUCCESS, .acct = PAM_ACCT_EXPIRED, .auth_user = "former", .user = "former", .prompts = 1,
          .logs = { "principal-disabled" } },
        /* a name of another mailbox set between the phases is refused */
        { .service = "stack_local", .login = "EXAMPLE\\assistant\\jdoe", .answers = { "assistant-unix" },
          .auth = PAM_SUCCESS, .set_user = "user@site1.org.com", .acct = PAM_PERM_DENIED, .user = "user@site1.org.com",
          .prompts = 1, .logs = { "user-changed" } },
        { .service = "stack_netbios", .login = "jdoe", .answers = { "jdoe-nt" }, .auth = PAM_SUCCESS,
          .acct = PAM_SUCCESS, .auth_user = "EXAMPLE\\jdoe", .user = "jdoe@example.com", .prompts = 1 },
        { .service = "stack_address", .login = "EXAMPLE/jdoe", .answers = { "jdoe-address" }, .auth = PAM_SUCCESS,
          .acct = PAM_SUCCESS, .auth_user = "jdoe@example.com", .user = "jdoe@example.com", .prompts = 1 },
        /* a mailbox of the file has no userPrincipalName: its address */
        { .service = "stack_upn", .login = "jdoe", .answers = { "x" }, .auth = PAM_AUTH_ERR, .acct = NOT_RUN,
          .auth_user = "jdoe@example.com", .user = "jdoe@example.com", .prompts = 1 },
        { .service = "stack_badform", .login = "jdoe", .answers = { "x" }, .auth = PAM_AUTH_ERR, .acct = NOT_RUN,
          .auth_user = "jdoe@example.com", .user = "jdoe@example.com", .prompts = 1,
          .logs = { "bad-option", "principal= takes address, local, netbios, upn or mailbox" } },
        /* principal=mailbox: the mailbox at once (the next module would
         * check jdoe's password for the delegate form: refused here) */
        { .service = "stack_mailbox", .login = "EXAMPLE\\assistant\\jdoe", .answers = { "assistant-unix" },
          .auth = PAM_AUTH_ERR, .acct = NOT_RUN, .auth_user = "jdoe@example.com", .user = "jdoe@example.com",
          .prompts = 1, .logs = { "resolve_only" } },
        { .service = "resolve_only", .login = "user", .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN, .prompts = 0,
          .logs = { "ambiguous login \"user\"" } },
        { .service = "quiet", .login = "user", .answers = { "x" }, .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN,
          .prompts = 1, .logs = { "ambiguous: user@site1.org.com, user@site2.org.com" },
          .nologs = { "\"user\"", "SITE1\\user" } },
        { .service = "quiet", .login = "SITE1\\user", .answers = { PW_SITE1 }, .auth = PAM_SUCCESS,
          .acct = PAM_SUCCESS, .user = "user@site1.org.com", .prompts = 1,
          .logs = { "ok: user@site1.org.com", "ok: account user@site1.org.com may use quiet" },
          .nologs = { "SITE1\\user" } },
        { .service = "quiet", .login = "secretname", .answers = { "x" }, .auth = PAM_USER_UNKNOWN, .acct = NOT_RUN,
          .prompts = 1, .logs = { "not-found: no mailbox" }, .nologs = { "secretname" } },
        { .service = "debug", .login = "EXAMPLE\\jdoe", .answers = { PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 1,
          .logs = { "options: config=", "why login \"EXAMPLE\\jdoe\": EXAMPLE\\jdoe is the NT account of jdoe@example.com" } },
        { .service = "plain", .login = "EXAMPLE\\jdoe", .answers = { PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 1, .nologs = { "options:", "why " } },
        { .service = "badopts", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 1,
          .logs = { "bad-option: unknown option \"frobnicate\" ignored", "bad-option: \"debug=1\" takes no value",
                    "bad-option: \"nocanon=yes\" takes no value" } },
        { .service = "emptyconfig", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 1,
          .logs = { "bad-option: \"config=\" needs a path; ignored" } },
        { .service = "use_first_pass", .login = "jdoe", .authtok = PW_JDOE, .auth = PAM_SUCCESS, .acct = PAM_PERM_DENIED,
          .user = "jdoe@example.com", .prompts = 0, .logs = { "ok login \"jdoe\"" } },
        { .service = "use_first_pass", .login = "jdoe", .authtok = "wrong", .answers = { PW_JDOE },
          .auth = PAM_AUTH_ERR, .acct = NOT_RUN, .prompts = 0, .logs = { "wrong-password" } },
        { .service = "use_first_pass", .login = "user", .authtok = "wrong", .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 0, .logs = { "ambiguous" } },
        { .service = "use_first_pass_alone", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTH_ERR,
          .acct = NOT_RUN, .prompts = 0, .logs = { "no-authtok login \"jdoe\": use_first_pass, but no earlier module" } },
        { .service = "try_first_pass", .login = "jdoe", .authtok = PW_JDOE, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 0, .logs = { "ok login \"jdoe\"" } },
        { .service = "try_first_pass", .login = "jdoe", .authtok = "wrong", .answers = { PW_JDOE },
          .auth = PAM_SUCCESS, .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 1,
          .logs = { "ok login \"jdoe\"" } },
        { .service = "try_first_pass", .login = "jdoe", .authtok = "wrong", .answers = { "still wrong" },
          .auth = PAM_AUTH_ERR, .acct = NOT_RUN, .prompts = 1, .logs = { "wrong-password" } },
        { .service = "try_first_pass", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_SUCCESS,
          .acct = PAM_PERM_DENIED, .user = "jdoe@example.com", .prompts = 1 },
        /* configuration and secrets that cannot be trusted or read: never success */
        { .service = "missing", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0,
          .logs = { "config-unavailable login \"jdoe\": ", "does-not-exist.conf: cannot read: No such file or directory" } },
        { .service = "corrupt", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "config-unavailable login \"jdoe\": ", "corrupt.conf:3: " } },
        { .service = "unknown_key", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "config-unavailable", "unknown key \"password_file\"" } },
        { .service = "writable", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "config-unavailable", "mode 0666" } },
        { .service = "readable", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0,
          .logs = { "secrets-unavailable login \"jdoe\": ", "readable.secrets: refused: mode 0644" } },
        { .service = "readable", .login = "nobody", .answers = { "x" }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "secrets-unavailable" } },
        { .service = "groupwrite", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "secrets-unavailable", "mode 0620" } },
        { .service = "corrupt_secrets", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "secrets-unavailable", "corrupt.secrets:2: malformed line" } },
        { .service = "missing_secrets", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "secrets-unavailable", "missing.secrets: No such file" } },
        { .service = "no_secrets", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 0, .logs = { "secrets-unavailable", "names no secrets file" } },
        { .service = "badhash", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTHINFO_UNAVAIL,
          .acct = NOT_RUN, .prompts = 1, .logs = { "bad-hash login \"jdoe\"" } },
        /* an empty secrets file: every login is unknown or has no password */
        { .service = "empty_secrets", .login = "jdoe", .answers = { PW_JDOE }, .auth = PAM_AUTH_ERR,
          .acct = NOT_RUN, .prompts = 1, .logs = { "no-password" } },
        { .service = "empty_secrets", .login = "nobody", .answers = { "x" }, .auth = PAM_USER_UNKNOWN,
          .acct = NOT_RUN, .prompts = 1, .logs = { "not-found" } },
        /* resolve_only never reads the secrets */
        { .service = "resolve_only", .login = "jdoe", .auth = PAM_SUCCESS, .acct = PAM_PERM_DENIED,
          .user = "jdoe@example.com", .prompts = 0 },
};

static const char *code_name(int c)
{
        static char buf[32];
        switch (c) {
        case NOT_RUN:
                return "not run";
        case PAM_SUCCESS:
                return "PAM_SUCCESS";
        case PAM_USER_UNKNOWN:
                return "PAM_USER_UNKNOWN";
        case PAM_AUTH_ERR:
                return "PAM_AUTH_ERR";
        case PAM_AUTHINFO_UNAVAIL:
                return "PAM_AUTHINFO_UNAVAIL";
        case PAM_PERM_DENIED:
                return "PAM_PERM_DENIED";
        case PAM_ACCT_EXPIRED:
                return "PAM_ACCT_EXPIRED";
        case PAM_CONV_ERR:
                return "PAM_CONV_ERR";
        case PAM_SERVICE_ERR:
                return "PAM_SERVICE_ERR";
        default:
                snprintf(buf, sizeof(buf), "%d", c);
                return buf;
        }
}

static void run_case(size_t idx, const struct pam_case *c)
{
        struct tl_answers a = { .v = { c->answers[0], c->answers[1], c->answers[2], c->answers[3] } };
        struct pam_conv conv = { tl_converse, &a };
        const char *what = c->login ? c->login : "(asked)";
        pam_handle_t *pamh = NULL;
        const void *user = NULL;
        int auth = NOT_RUN, acct = NOT_RUN, r;

        reset_log();
        if (c->authtok)
                setenv("PAM_AUTHTOK", c->authtok, 1);
        else
                unsetenv("PAM_AUTHTOK");
        r = pam_start_confdir(c->service, c->login, &conv, pam_dir, &pamh);
        if (r != PAM_SUCCESS) {
                check(false, "case %zu: pam_start(%s): %d", idx, c->service, r);
                return;
        }
        if (!c->acct_only)
                auth = pam_authenticate(pamh, 0);
        if (c->auth_user) {
                const void *u = NULL;
                pam_get_item(pamh, PAM_USER, &u);
                check(u && strcmp(u, c->auth_user) == 0,
                      "case %zu [%s] %s: PAM_USER after authentication = \"%s\", expected \"%s\"", idx, c->service,
                      what, u ? (const char *)u : "(null)", c->auth_user);
        }
        if (c->set_user && auth == PAM_SUCCESS)
                pam_set_item(pamh, PAM_USER, c->set_user);
        if (c->acct_only || auth == PAM_SUCCESS)
                acct = pam_acct_mgmt(pamh, 0);
        pam_get_item(pamh, PAM_USER, &user);
        check(auth == c->auth, "case %zu [%s] %s: pam_authenticate = %s, expected %s", idx, c->service, what,
              code_name(auth), code_name(c->auth));
        check(acct == c->acct, "case %zu [%s] %s: pam_acct_mgmt = %s, expected %s", idx, c->service, what,
              code_name(acct), code_name(c->acct));
        {
                const char *want = c->user ? c->user : c->login ? c->login : "";
                check(user && strcmp(user, want) == 0, "case %zu [%s] %s: PAM_USER = \"%s\", expected \"%s\"", idx,
                      c->service, what, user ? (const char *)user : "(null)", want);
        }
        if (c->prompts != ANY)
                check(a.prompts == c->prompts, "case %zu [%s] %s: %d prompts, expected %d", idx, c->service, what,
                      a.prompts, c->prompts);
        pam_end(pamh, acct != NOT_RUN ? acct : auth);
        drain_log();
        for (int i = 0; i < 4 && c->logs[i]; i++)
                check(strstr(case_log, c->logs[i]) != NULL, "case %zu [%s] %s: log lacks '%s'; log was:\n%s", idx,
                      c->service, what, c->logs[i], case_log);
        for (int i = 0; i < 3 && c->nologs[i]; i++)
                check(strstr(case_log, c->nologs[i]) == NULL, "case %zu [%s] %s: log has '%s'; log was:\n%s", idx,
                      c->service, what, c->nologs[i], case_log);
        /* one decision, one line, in each phase that ran */
        check(strstr(case_log, "pam_mailacct(") != NULL, "case %zu [%s] %s: nothing logged", idx, c->service, what);
}

/* The services check compares protocols: a mailbox's `services` and the PAM
 * service a login comes through are both mapped by one table (imap, imaps,
 * imap4 -> imap; pop, pop3, pop3s, popa3d, solid-pop3d -> pop3; smtp,
 * submission, smtps -> smtp; sieve, managesieve -> sieve); a name the table
 * does not know is compared as written, without case; protocol=NAME stands
 * for the service. The account phase alone: no password is involved. */
static void test_protocols(void)
{
        static const struct {
                const char *service, *login;
                bool allowed;
                bool override; /* the "pop" of the folder where it says protocol=smtp */
        } t[] = {
                /* jdoe: services = [ "imap", "pop3" ] */
                { "imap", "jdoe", true },
                { "imaps", "jdoe", true },
                { "imap4", "jdoe", true },
                { "pop", "jdoe", true }, /* Cyrus pop3d */
                { "pop3", "jdoe", true },
                { "pop3s", "jdoe", true },
                { "popa3d", "jdoe", true },
                { "solid-pop3d", "jdoe", true },
                { "smtp", "jdoe", false },
                { "submission", "jdoe", false },
                { "smtps", "jdoe", false },
                { "sieve", "jdoe", false },
                { "managesieve", "jdoe", false },
                { "x-custom", "jdoe", false },
                { "dovecot", "jdoe", false },
                /* imaponly: [ "imap" ] */
                { "imaps", "imaponly@example.com", true },
                { "imap4", "imaponly@example.com", true },
                { "pop", "imaponly@example.com", false },
                { "popa3d", "imaponly@example.com", false },
                { "solid-pop3d", "imaponly@example.com", false },
                /* mapped: [ "IMAP4", "pop", "submission", "managesieve", "x-Custom" ] */
                { "imaps", "mapped@example.com", true },
                { "imap4", "mapped@example.com", true },
                { "pop", "mapped@example.com", true },
                { "pop3s", "mapped@example.com", true },
                { "popa3d", "mapped@example.com", true },
                { "solid-pop3d", "mapped@example.com", true },
                { "smtp", "mapped@example.com", true },
                { "smtps", "mapped@example.com", true },
                { "submission", "mapped@example.com", true },
                { "sieve", "mapped@example.com", true },
                { "managesieve", "mapped@example.com", true },
                { "x-custom", "mapped@example.com", true }, /* "x-Custom": literal, without case */
                { "x-other", "mapped@example.com", false },
                { "dovecot", "mapped@example.com", false },
                /* protocol= wins over the service's name */
                { "mailx", "jdoe", true },                   /* protocol=imap4 */
                { "mailx", "sales@example.com", true },      /* no services list: all */
                { "pop", "jdoe", false, true },              /* protocol=smtp */
                { "pop", "mapped@example.com", true, true }, /* protocol=smtp: submission */
                { "pop", "imaponly@example.com", false, true },
        };

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                struct tl_answers a = { .v = { NULL } };
                struct pam_conv conv = { tl_converse, &a };
                pam_handle_t *pamh = NULL;
                int r;

                reset_log();
                r = pam_start_confdir(t[i].service, t[i].login, &conv, t[i].override ? override_dir : pam_dir,
                                      &pamh);
                if (r != PAM_SUCCESS) {
                        check(false, "protocols: pam_start(%s): %d", t[i].service, r);
                        continue;
                }
                r = pam_acct_mgmt(pamh, 0);
                pam_end(pamh, r);
                drain_log();
                check(r == (t[i].allowed ? PAM_SUCCESS : PAM_PERM_DENIED),
                      "protocols [%s%s] %s: pam_acct_mgmt = %s, expected %s; log:\n%s", t[i].service,
                      t[i].override ? " protocol=smtp" : "", t[i].login, code_name(r),
                      t[i].allowed ? "PAM_SUCCESS" : "PAM_PERM_DENIED", case_log);
                check(strstr(case_log, t[i].allowed ? "ok login" : "service-denied login") != NULL,
                      "protocols [%s] %s: log lacks the decision:\n%s", t[i].service, t[i].login, case_log);
        }
}

/* setcred succeeds; chauthtok refuses with a log line pointing to the command. */
static void test_setcred_chauthtok(void)
{
        struct tl_answers a = { .v = { "new", "new" } };
        struct pam_conv conv = { tl_converse, &a };
        pam_handle_t *pamh = NULL;
        int r;

        reset_log();
        pam_start_confdir("plain", "jdoe", &conv, pam_dir, &pamh);
        r = pam_setcred(pamh, PAM_ESTABLISH_CRED);
        check(r == PAM_SUCCESS, "pam_setcred = %s", code_name(r));
        r = pam_chauthtok(pamh, 0);
        check(r != PAM_SUCCESS, "pam_chauthtok succeeded");
        check(r == PAM_SERVICE_ERR, "pam_chauthtok = %s, expected PAM_SERVICE_ERR", code_name(r));
        pam_end(pamh, r);
        drain_log();
        check(strstr(case_log, "chauthtok-unsupported login \"jdoe\": password changes go through `mailacct "
                               "passwd ADDRESS`") != NULL,
              "chauthtok log line missing; log was:\n%s", case_log);
}

/* Only the entry points leave the module, and it loads with RTLD_NOW (no
 * undefined symbol waits for a later module). */
static void test_dlopen(void)
{
        static const char *const entry[] = { "pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt",
                                             "pam_sm_chauthtok" };
        static const char *const internal[] = { "mailacct_resolve", "mailacct_config_load", "mailacct_pam_log",
                                                "mailacct_pam_code", "set_conf_opt", "mailacct_password_verify" };
        char *path = xasprintf("%s/pam_mailacct.so", build_dir);

        for (int round = 0; round < 50; round++) {
                void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
                check(h != NULL, "dlopen(RTLD_NOW): %s", dlerror());
                if (!h)
                        break;
                for (size_t i = 0; round == 0 && i < sizeof(entry) / sizeof(entry[0]); i++)
                        check(dlsym(h, entry[i]) != NULL, "%s not exported", entry[i]);
                for (size_t i = 0; round == 0 && i < sizeof(internal) / sizeof(internal[0]); i++)
                        check(dlsym(h, internal[i]) == NULL, "%s is exported", internal[i]);
                check(dlclose(h) == 0, "dlclose: %s", dlerror());
        }
        free(path);
}

/* libpam loads the module at pam_start and unloads it at pam_end, as a
 * Dovecot auth worker does for every request: memory must not grow. */
static void one_login(const char *service, const char *login, const char *password)
{
        struct tl_answers a = { .v = { password } };
        struct pam_conv conv = { tl_converse, &a };
        pam_handle_t *pamh = NULL;
        int r;

        pam_start_confdir(service, login, &conv, pam_dir, &pamh);
        r = pam_authenticate(pamh, 0);
        if (r == PAM_SUCCESS)
                r = pam_acct_mgmt(pamh, 0);
        pam_end(pamh, r);
        drain_log();
        case_log[0] = '\0';
}

static void test_reload(void)
{
        struct mallinfo2 before, after;
        size_t grown;

        for (int i = 0; i < 20; i++)
                one_login("resolve_only", i & 1 ? "EXAMPLE\\jdoe" : "user", NULL);
        /* room for the loop's log lines, so that only the module's heap is measured */
        all_log_cap = all_log_len + (1u << 20);
        all_log = realloc(all_log, all_log_cap);
        if (!all_log)
                abort();
        before = mallinfo2();
        for (int i = 0; i < 300; i++)
                one_login("resolve_only", i & 1 ? "EXAMPLE\\jdoe" : "user", NULL);
        for (int i = 0; i < 10; i++)
                one_login("imap", i & 1 ? "jdoe" : "nobody", PW_JDOE);
        after = mallinfo2();
        grown = after.uordblks > before.uordblks ? after.uordblks - before.uordblks : 0;
        /* a leak of one allocation per login would be > 300 * 16 bytes */
        check(grown < 4096, "heap grew by %zu bytes over 310 logins (leak?)", grown);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

int main(void)
{
        char tmpl[] = "/tmp/pam_mailacct-test.XXXXXX";
        int r;

        build_dir = getenv("BUILD");
        if (!build_dir || !*build_dir) {
                fprintf(stderr, "BUILD is not set (run through make check)\n");
                return 2;
        }
        if (access(SET_ITEMS, R_OK) != 0) {
                printf("SKIP: %s missing (apt-get install libpam-wrapper)\n", SET_ITEMS);
                return SKIP;
        }
        r = setup_log();
        if (r < 0) {
                printf("SKIP: no private mount namespace for a test /dev/log: %s\n", strerror(-r));
                return SKIP;
        }
        tmp_dir = mkdtemp(tmpl);
        if (!tmp_dir) {
                perror("mkdtemp");
                return 2;
        }
        pam_dir = xasprintf("%s/pam.d", tmp_dir);
        mkdir(pam_dir, 0755);
        override_dir = xasprintf("%s/pam.d-override", tmp_dir);
        mkdir(override_dir, 0755);
        make_directory();
        make_services();

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                run_case(i, &cases[i]);
        test_setcred_chauthtok();
        test_protocols();
        test_dlopen();
        test_reload();

        /* never a password in the log, in any case */
        drain_log();
        for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++)
                check(!all_log || !strstr(all_log, passwords[i].password), "the log holds the password of %s",
                      passwords[i].address);
        if (getenv("TEST_PAM_SHOW_LOG"))
                fputs(all_log ? all_log : "", stdout);
        /* kept for tests/hardening/no-secrets.sh, which greps every log */
        if (getenv("MAILACCT_TEST_LOGS") && all_log) {
                char *p = xasprintf("%s/test_pam-syslog.log", getenv("MAILACCT_TEST_LOGS"));
                FILE *f = fopen(p, "w");
                if (!f || fputs(all_log, f) < 0 || fclose(f) != 0)
                        perror(p);
                free(p);
        }

        nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(all_log);
        free(good_secrets);
        free((char *)pam_dir);
        free((char *)override_dir);
        printf("%s: %d checks, %d failed (%zu cases)\n", failures ? "FAIL" : "PASS", checks, failures,
               sizeof(cases) / sizeof(cases[0]) + 4);
        return failures ? 1 : 0;
}
