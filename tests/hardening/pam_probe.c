/* SPDX-License-Identifier: MIT */
/* A PAM application for the hardening suites: the real libpam
 * (pam_start_confdir with a service folder of the suite's own), the built
 * module, one login or many in one process.
 *
 *   pam_probe [--log FILE] CONFDIR SERVICE LOGIN PASSWORD
 *       one login: prints "auth=CODE acct=CODE user=PAM_USER"
 *   pam_probe [--log FILE] --cases FILE --rounds N CONFDIR SERVICE
 *       N logins, cycling through FILE's lines "LOGIN<TAB>PASSWORD<TAB>AUTH
 *       <TAB>USER" (USER: the PAM_USER a success must leave); exits 1 at
 *       the first answer that differs. The conversation loop of a Dovecot
 *       auth worker, for valgrind.
 *   pam_probe [--log FILE] --watch SECONDS CONFDIR SERVICE LOGIN PASSWORD
 *       the same login every 20 ms; prints "T auth=... acct=... user=..."
 *       each time the outcome changes (while a suite replaces files).
 *
 * CODE is success, auth_err, user_unknown, authinfo_unavail, perm_denied,
 * acct_expired, conv_err or a number. --log: the module's syslog lines are
 * appended to FILE; pam_syslog() writes to /dev/log, which this machine
 * lacks, so the program moves into a private mount namespace (as root, or
 * through a user namespace) with a tmpfs on /dev and listens there itself,
 * as tests/pam/test_pam does. Without namespaces it runs without the log. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <security/pam_appl.h>

#include "devlog.h"
#include "pam_conv.h"

static int log_fd = -1;
static FILE *log_out;

static int setup_log(const char *file)
{
        log_out = fopen(file, "ae");
        if (!log_out)
                return -errno;
        log_fd = tl_devlog_open();
        return log_fd < 0 ? log_fd : 0;
}

static void drain_log(void)
{
        char buf[4096];
        ssize_t n;

        if (log_fd < 0)
                return;
        while ((n = recv(log_fd, buf, sizeof(buf) - 1, 0)) > 0) {
                buf[n] = '\0';
                fprintf(log_out, "%s\n", buf);
        }
        fflush(log_out);
}

static const char *code(int c, char *buf, size_t len)
{
        switch (c) {
        case -1:
                return "not_run";
        case PAM_SUCCESS:
                return "success";
        case PAM_AUTH_ERR:
                return "auth_err";
        case PAM_USER_UNKNOWN:
                return "user_unknown";
        case PAM_AUTHINFO_UNAVAIL:
                return "authinfo_unavail";
        case PAM_PERM_DENIED:
                return "perm_denied";
        case PAM_ACCT_EXPIRED:
                return "acct_expired";
        case PAM_CONV_ERR:
                return "conv_err";
        default:
                snprintf(buf, len, "%d", c);
                return buf;
        }
}

/* One transaction as a mail server runs it; the outcome as one line. */
static void login(const char *confdir, const char *service, const char *user, const char *password, char *out,
                  size_t outlen)
{
        struct tl_answers a = { .login = user, .v = { password, password, password, password } };
        struct pam_conv conv = { tl_converse, &a };
        pam_handle_t *pamh = NULL;
        const void *item = NULL;
        int auth = -1, acct = -1, r;
        char b1[16], b2[16];

        r = pam_start_confdir(service, user, &conv, confdir, &pamh);
        if (r != PAM_SUCCESS) {
                snprintf(out, outlen, "pam_start=%d", r);
                return;
        }
        auth = pam_authenticate(pamh, PAM_SILENT);
        if (auth == PAM_SUCCESS)
                acct = pam_acct_mgmt(pamh, PAM_SILENT);
        if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS)
                item = NULL;
        snprintf(out, outlen, "auth=%s acct=%s user=%s", code(auth, b1, sizeof(b1)), code(acct, b2, sizeof(b2)),
                 item ? (const char *)item : "(none)");
        pam_end(pamh, acct != -1 ? acct : auth);
        drain_log();
}

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct pcase {
        char *login, *password, *auth, *user;
};

static int run_cases(const char *file, long rounds, const char *confdir, const char *service)
{
        struct pcase *v = NULL;
        size_t n = 0;
        char line[2048], out[1024];
        long failures = 0, counts[2] = { 0, 0 };
        FILE *f = fopen(file, "re");

        if (!f) {
                perror(file);
                return 2;
        }
        while (fgets(line, sizeof(line), f)) {
                char *fields[4], *p = line, *nl = strchr(line, '\n');
                int k = 0;
                if (nl)
                        *nl = '\0';
                if (line[0] == '#' || !line[0])
                        continue;
                for (; k < 4 && p; k++) {
                        fields[k] = p;
                        p = strchr(p, '\t');
                        if (p)
                                *p++ = '\0';
                }
                if (k != 4) {
                        fprintf(stderr, "pam_probe: %s: a line without four fields\n", file);
                        return 2;
                }
                v = realloc(v, (n + 1) * sizeof(*v));
                if (!v)
                        abort();
                v[n].login = strdup(fields[0]);
                v[n].password = strdup(fields[1]);
                v[n].auth = strdup(fields[2]);
                v[n].user = strdup(fields[3]);
                n++;
        }
        fclose(f);
        if (n == 0)
                return 2;
        for (long i = 0; i < rounds; i++) {
                const struct pcase *c = &v[(size_t)i % n];
                char want[1024];
                login(confdir, service, c->login, c->password, out, sizeof(out));
                /* only the auth code and PAM_USER are compared: acct depends on the service */
                snprintf(want, sizeof(want), "auth=%s ", c->auth);
                if (strncmp(out, want, strlen(want)) != 0 ||
                    (strcmp(c->auth, "success") == 0 && !strstr(out, c->user))) {
                        /* never the password: the suites' output is grepped for it */
                        printf("FAIL: round %ld, login \"%s\": %s, expected auth=%s user=%s\n", i, c->login, out,
                               c->auth, c->user);
                        if (++failures > 5)
                                break;
                }
                counts[strcmp(c->auth, "success") == 0]++;
        }
        printf("pam_probe: %ld logins (%ld to succeed, %ld to fail), %ld wrong answers\n", counts[0] + counts[1],
               counts[1], counts[0], failures);
        for (size_t i = 0; i < n; i++) {
                free(v[i].login);
                free(v[i].password);
                free(v[i].auth);
                free(v[i].user);
        }
        free(v);
        return failures ? 1 : 0;
}

static int watch(double seconds, const char *confdir, const char *service, const char *user, const char *password)
{
        char last[1024] = "", out[1024];
        double t0 = now();
        long n = 0;

        while (now() - t0 < seconds) {
                login(confdir, service, user, password, out, sizeof(out));
                n++;
                if (strcmp(out, last) != 0) {
                        printf("%.3f %s\n", now() - t0, out);
                        fflush(stdout);
                        snprintf(last, sizeof(last), "%s", out);
                }
                usleep(20000);
        }
        printf("%.3f done after %ld logins\n", now() - t0, n);
        return 0;
}

int main(int argc, char **argv)
{
        const char *log = NULL, *cases = NULL;
        double watch_s = 0;
        long rounds = 1;
        int i = 1;

        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
                        log = argv[++i];
                else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc)
                        cases = argv[++i];
                else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
                        rounds = atol(argv[++i]);
                else if (strcmp(argv[i], "--watch") == 0 && i + 1 < argc)
                        watch_s = atof(argv[++i]);
                else {
                        fprintf(stderr, "pam_probe: unknown option %s\n", argv[i]);
                        return 2;
                }
        }
        if (log) {
                int r = setup_log(log);
                if (r < 0)
                        fprintf(stderr, "pam_probe: note: no private /dev/log (%s); module log not kept\n",
                                strerror(-r));
        }
        if (cases) {
                if (argc - i != 2) {
                        fprintf(stderr, "usage: pam_probe --cases FILE --rounds N CONFDIR SERVICE\n");
                        return 2;
                }
                return run_cases(cases, rounds, argv[i], argv[i + 1]);
        }
        if (argc - i != 4) {
                fprintf(stderr, "usage: pam_probe [--log FILE] [--watch S] CONFDIR SERVICE LOGIN PASSWORD\n");
                return 2;
        }
        if (watch_s > 0)
                return watch(watch_s, argv[i], argv[i + 1], argv[i + 2], argv[i + 3]);
        {
                char out[1024];
                login(argv[i], argv[i + 1], argv[i + 2], argv[i + 3], out, sizeof(out));
                printf("%s\n", out);
        }
        if (log_out)
                fclose(log_out);
        return 0;
}
