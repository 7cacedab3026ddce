/* SPDX-License-Identifier: MIT */
/* PAM resolution cost, excluding the password hash: pam_start,
 * pam_authenticate through the real pam_mailacct.so with resolve_only, and
 * pam_end, on real libpam with a private service folder; then the same
 * logins through the module's pam_sm_authenticate alone (run_module). Prints the
 * median of batches in ns per login for hits and for misses.
 * Usage: pam_resolve MODULE CONF HITS MISSES BUDGET_MS */
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        (void)n, (void)msg, (void)resp, (void)data;
        return PAM_CONV_ERR; /* resolve_only never asks */
}

static char **lines(const char *path, size_t *n)
{
        char buf[1024], **v = NULL;
        FILE *f = fopen(path, "r");

        *n = 0;
        while (f && fgets(buf, sizeof(buf), f) && *n < 100000) {
                buf[strcspn(buf, "\n")] = '\0';
                v = realloc(v, (*n + 1) * sizeof(*v));
                v[(*n)++] = strdup(buf);
        }
        if (f)
                fclose(f);
        return v;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* The module's own work: pam_sm_authenticate called directly, the way
 * nss_bench calls _nss_*_getpwnam_r, on one handle whose PAM_USER is set to
 * each login. Left out: libpam's pam_start/pam_end (service file, handle)
 * and the audit record libpam sends around every pam_authenticate(); both
 * are the same whatever module the stack holds. Included: option parsing,
 * the resolution, PAM_USER rewritten, the module's log line. */
static double run_module(const char *module, const char *dir, char **v, size_t n, int want, double budget_ms,
                         const char *conf_opt, size_t *errors)
{
        struct pam_conv c = { conv, NULL };
        double med[4096], end = now_ns() + budget_ms * 1e6;
        /* principal=mailbox: the resolution alone; the hand-over to a next
         * module keeps state with pam_set_data(), which libpam refuses to a
         * caller that is not a module */
        const char *args[] = { "resolve_only", "principal=mailbox", "quiet", conf_opt };
        int (*auth)(pam_handle_t *, int, int, const char **);
        size_t nb = 0, i = 0;
        pam_handle_t *ph;
        void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);

        if (!h || !(*(void **)&auth = dlsym(h, "pam_sm_authenticate")) ||
            pam_start_confdir("mailacct-bench", v[0], &c, dir, &ph) != PAM_SUCCESS) {
                (*errors)++;
                return 0;
        }
        while (now_ns() < end && nb < 4096) {
                double t0 = now_ns();
                for (int k = 0; k < 100; k++, i++) {
                        int r;
                        if (pam_set_item(ph, PAM_USER, v[i % n]) != PAM_SUCCESS) {
                                (*errors)++;
                                continue;
                        }
                        r = auth(ph, PAM_SILENT, 4, args);
                        if ((want == 0) != (r == PAM_SUCCESS))
                                (*errors)++;
                }
                med[nb++] = (now_ns() - t0) / 100;
        }
        pam_end(ph, PAM_SUCCESS);
        qsort(med, nb, sizeof(*med), cmp);
        return nb ? med[nb / 2] : 0;
}

/* Median over batches of 100 logins, for budget_ms. */
static double run(const char *dir, char **v, size_t n, int want, double budget_ms, size_t *errors)
{
        struct pam_conv c = { conv, NULL };
        double med[4096], end = now_ns() + budget_ms * 1e6;
        size_t nb = 0, i = 0;

        while (now_ns() < end && nb < 4096) {
                double t0 = now_ns();
                for (int k = 0; k < 100; k++, i++) {
                        pam_handle_t *ph;
                        int r;
                        if (pam_start_confdir("mailacct-bench", v[i % n], &c, dir, &ph) != PAM_SUCCESS) {
                                (*errors)++;
                                continue;
                        }
                        r = pam_authenticate(ph, PAM_SILENT);
                        if ((want == 0) != (r == PAM_SUCCESS))
                                (*errors)++;
                        pam_end(ph, r);
                }
                med[nb++] = (now_ns() - t0) / 100;
        }
        qsort(med, nb, sizeof(*med), cmp);
        return nb ? med[nb / 2] : 0;
}

int main(int argc, char **argv)
{
        char dir[] = "/tmp/mailacct-pambench-XXXXXX", path[600], conf_opt[600];
        size_t nh, nm, errors = 0;
        char **hits, **misses;
        double h, m, mh, mm;
        FILE *f;

        if (argc != 6) {
                fprintf(stderr, "usage: pam_resolve MODULE CONF HITS MISSES BUDGET_MS\n");
                return 2;
        }
        hits = lines(argv[3], &nh);
        misses = lines(argv[4], &nm);
        if (!nh || !nm || !mkdtemp(dir))
                return 2;
        snprintf(path, sizeof(path), "%s/mailacct-bench", dir);
        f = fopen(path, "w");
        /* quiet: the bench measures decisions, not the syslog socket */
        fprintf(f, "auth required %s resolve_only principal=mailbox quiet config=%s\n", argv[1], argv[2]);
        fclose(f);
        h = run(dir, hits, nh, 0, atof(argv[5]), &errors);
        m = run(dir, misses, nm, 1, atof(argv[5]), &errors);
        snprintf(conf_opt, sizeof(conf_opt), "config=%s", argv[2]);
        mh = run_module(argv[1], dir, hits, nh, 0, atof(argv[5]), conf_opt, &errors);
        mm = run_module(argv[1], dir, misses, nm, 1, atof(argv[5]), conf_opt, &errors);
        printf("pam_hit_ns=%.0f pam_miss_ns=%.0f module_hit_ns=%.0f module_miss_ns=%.0f errors=%zu\n", h, m, mh, mm,
               errors);
        unlink(path);
        rmdir(dir);
        return errors ? 1 : 0;
}
