/* SPDX-License-Identifier: MIT */
/* Drives libnss_mailacct.so.2 through its glibc entry points (dlopen, as
 * glibc does), in one long-running process.
 *
 *   nss_driver threads MODULE EXPECTED SECONDS
 *       six threads for SECONDS: two by name (EXPECTED: "login<TAB>name:uid"
 *       or "login<TAB>-"), two by uid (every uid of EXPECTED's answers),
 *       two enumerating. Every answer must be the expected one or, while
 *       the suite replaces files, none at all (UNAVAIL is counted, never a
 *       wrong entry). Built with ThreadSanitizer by tests/fuzz/fuzz.mk.
 *   nss_driver expect MODULE LOGINS
 *       the answers of a quiet moment, as EXPECTED for `threads`: each line
 *       of LOGINS, then every entry that enumeration lists.
 *   nss_driver watch MODULE LOGIN SECONDS
 *       getpwnam_r(LOGIN) every 10 ms; prints "T STATUS name:uid" each time
 *       the answer changes, while the suite replaces the configuration.
 *
 * The configuration comes from $MAILACCT_CONF. */
#include <dlfcn.h>
#include <errno.h>
#include <nss.h>

#include "nss_status.h"
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getpwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*setpwent_fn)(int);
typedef enum nss_status (*getpwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*endpwent_fn)(void);

static getpwnam_fn by_name;
static getpwuid_fn by_uid;
static setpwent_fn set_ent;
static getpwent_fn get_ent;
static endpwent_fn end_ent;

static char **logins, **want;
static size_t n;
static double until;
static atomic_ulong done, wrong, unavail;
/* enumeration is process-wide state in NSS: one enumerator at a time */
static pthread_mutex_t ent_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note_wrong(const char *what, const char *got, const char *expected)
{
        if (atomic_fetch_add(&wrong, 1) < 5)
                fprintf(stderr, "nss_driver: %s gave %s, expected %s\n", what, got, expected);
}

static void *names(void *arg)
{
        size_t i = (size_t)arg;
        char buf[4096], got[512];

        while (now() < until) {
                struct passwd pw;
                int err = 0;
                enum nss_status st = by_name(logins[i % n], &pw, buf, sizeof(buf), &err);
                if (st == NSS_STATUS_SUCCESS)
                        snprintf(got, sizeof(got), "%s:%u", pw.pw_name, (unsigned)pw.pw_uid);
                else
                        snprintf(got, sizeof(got), "-");
                if (st == NSS_STATUS_UNAVAIL)
                        atomic_fetch_add(&unavail, 1);
                else if (strcmp(got, want[i % n]) != 0)
                        note_wrong(logins[i % n], got, want[i % n]);
                atomic_fetch_add(&done, 1);
                i += 7;
        }
        return NULL;
}

/* An answer by uid must be one of the expected entries with that uid. */
static void *uids(void *arg)
{
        size_t i = (size_t)arg;
        char buf[4096], got[512];

        while (now() < until) {
                const char *w = want[i % n], *colon = strrchr(w, ':');
                struct passwd pw;
                int err = 0;
                if (colon) {
                        uid_t u = (uid_t)strtoul(colon + 1, NULL, 10);
                        enum nss_status st = by_uid(u, &pw, buf, sizeof(buf), &err);
                        if (st == NSS_STATUS_SUCCESS) {
                                snprintf(got, sizeof(got), "%s:%u", pw.pw_name, (unsigned)pw.pw_uid);
                                int ok = 0;
                                for (size_t k = 0; k < n && !ok; k++)
                                        ok = strcmp(want[k], got) == 0;
                                if (!ok)
                                        note_wrong("by uid", got, "an expected entry");
                        } else if (st == NSS_STATUS_UNAVAIL)
                                atomic_fetch_add(&unavail, 1);
                        atomic_fetch_add(&done, 1);
                }
                i += 3;
        }
        return NULL;
}

static void *enumerate(void *arg)
{
        char buf[4096], got[512];

        (void)arg;
        while (now() < until) {
                struct passwd pw;
                int err = 0;
                pthread_mutex_lock(&ent_lock);
                if (set_ent(0) == NSS_STATUS_SUCCESS)
                        while (get_ent(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
                                int ok = 0;
                                snprintf(got, sizeof(got), "%s:%u", pw.pw_name, (unsigned)pw.pw_uid);
                                for (size_t k = 0; k < n && !ok; k++)
                                        ok = strcmp(want[k], got) == 0;
                                if (!ok)
                                        note_wrong("enumeration", got, "an expected entry");
                                atomic_fetch_add(&done, 1);
                        }
                end_ent();
                pthread_mutex_unlock(&ent_lock);
        }
        return NULL;
}

static int load_expected(const char *path)
{
        char line[1024];
        FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *tab = strchr(line, '\t');
                if (!tab)
                        continue;
                *tab = '\0';
                tab[strcspn(tab + 1, "\n") + 1] = '\0';
                logins = realloc(logins, (n + 1) * sizeof(*logins));
                want = realloc(want, (n + 1) * sizeof(*want));
                if (!logins || !want)
                        abort();
                logins[n] = strdup(line);
                want[n++] = strdup(tab + 1);
        }
        fclose(f);
        return n ? 0 : -ENODATA;
}

static int threads(const char *expected, double seconds)
{
        void *(*fn[6])(void *) = { names, names, uids, uids, enumerate, enumerate };
        pthread_t t[6];

        if (load_expected(expected) < 0) {
                fprintf(stderr, "nss_driver: %s: no expected answers\n", expected);
                return 2;
        }
        until = now() + seconds;
        for (size_t i = 0; i < 6; i++)
                pthread_create(&t[i], NULL, fn[i], (void *)i);
        for (size_t i = 0; i < 6; i++)
                pthread_join(t[i], NULL);
        printf("nss_driver: %lu answers, %lu wrong, %lu unavailable\n", (unsigned long)done, (unsigned long)wrong,
               (unsigned long)unavail);
        for (size_t i = 0; i < n; i++) {
                free(logins[i]);
                free(want[i]);
        }
        free(logins);
        free(want);
        return wrong ? 1 : 0;
}

static void answer(const char *login, char *out, size_t len)
{
        char buf[4096];
        struct passwd pw;
        int err = 0;

        if (by_name(login, &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
                snprintf(out, len, "%s:%u", pw.pw_name, (unsigned)pw.pw_uid);
        else
                snprintf(out, len, "-");
}

static int expect(const char *path)
{
        char line[1024], out[600], buf[4096];
        struct passwd pw;
        int err = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return 2;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (!line[0])
                        continue;
                answer(line, out, sizeof(out));
                printf("%s\t%s\n", line, out);
        }
        fclose(f);
        if (set_ent(0) == NSS_STATUS_SUCCESS)
                while (get_ent(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
                        printf("%s\t%s:%u\n", pw.pw_name, pw.pw_name, (unsigned)pw.pw_uid);
        end_ent();
        return 0;
}

static int watch(const char *login, double seconds)
{
        char buf[4096], last[600] = "", cur[600];
        double t0 = now();
        long k = 0;

        while (now() - t0 < seconds) {
                struct passwd pw;
                int err = 0;
                enum nss_status st = by_name(login, &pw, buf, sizeof(buf), &err);
                if (st == NSS_STATUS_SUCCESS)
                        snprintf(cur, sizeof(cur), "SUCCESS %s:%u", pw.pw_name, (unsigned)pw.pw_uid);
                else
                        snprintf(cur, sizeof(cur), "%s", tl_nss_status_name(st));
                if (strcmp(cur, last) != 0) {
                        printf("%.3f %s\n", now() - t0, cur);
                        fflush(stdout);
                        snprintf(last, sizeof(last), "%s", cur);
                }
                k++;
                usleep(10000);
        }
        printf("%.3f done after %ld lookups\n", now() - t0, k);
        return 0;
}

int main(int argc, char **argv)
{
        void *h;

        if (argc < 4 || !(strcmp(argv[1], "expect") == 0 ? argc == 4 : argc == 5)) {
                fprintf(stderr, "usage: nss_driver threads MODULE EXPECTED SECONDS | expect MODULE LOGINS | "
                                "watch MODULE LOGIN SECONDS\n");
                return 2;
        }
        h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "nss_driver: %s\n", dlerror());
                return 2;
        }
        by_name = (getpwnam_fn)dlsym(h, "_nss_mailacct_getpwnam_r");
        by_uid = (getpwuid_fn)dlsym(h, "_nss_mailacct_getpwuid_r");
        set_ent = (setpwent_fn)dlsym(h, "_nss_mailacct_setpwent");
        get_ent = (getpwent_fn)dlsym(h, "_nss_mailacct_getpwent_r");
        end_ent = (endpwent_fn)dlsym(h, "_nss_mailacct_endpwent");
        if (!by_name || !by_uid || !set_ent || !get_ent || !end_ent) {
                fprintf(stderr, "nss_driver: an entry point is missing\n");
                return 2;
        }
        if (strcmp(argv[1], "threads") == 0)
                return threads(argv[3], atof(argv[4]));
        if (strcmp(argv[1], "expect") == 0)
                return expect(argv[3]);
        return watch(argv[3], atof(argv[4]));
}
