/* SPDX-License-Identifier: MIT */
/* A long-running reader, as a mail server's auth worker is: threads call
 * _nss_mailacct_getpwnam_r for seconds while the index is recompiled under
 * them. Every answer must be the expected one; afterwards the process must
 * hold no descriptor or mapping of a replaced index.
 * Usage: reader MODULE EXPECTED SECONDS   (EXPECTED: "login\tcanonical|-") */
#include <dlfcn.h>
#include <errno.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);

static getpwnam_fn getpwnam_r_;
static char **logins, **want;
static size_t n;
static double until;
static unsigned long done, wrong, unavail;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
        unsigned long d = 0, w = 0, u = 0;
        size_t i = (size_t)arg;
        char buf[4096];

        while (now() < until) {
                struct passwd pw;
                int err = 0;
                enum nss_status st = getpwnam_r_(logins[i % n], &pw, buf, sizeof(buf), &err);
                const char *got = st == NSS_STATUS_SUCCESS ? pw.pw_name : "-";
                if (st == NSS_STATUS_UNAVAIL)
                        u++;
                else if (strcmp(got, want[i % n]) != 0) {
                        if (w++ < 5)
                                fprintf(stderr, "reader: %s gave %s (status %d), expected %s\n", logins[i % n], got,
                                        st, want[i % n]);
                }
                d++;
                i += 7;
        }
        pthread_mutex_lock(&lock);
        done += d, wrong += w, unavail += u;
        pthread_mutex_unlock(&lock);
        return NULL;
}

/* Mappings or descriptors of index files that were replaced since. */
static int stale_index_refs(void)
{
        char line[4096], path[64], target[4096];
        int count = 0;
        FILE *f = fopen("/proc/self/maps", "r");

        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, ".idx") && strstr(line, "(deleted)")) {
                        fprintf(stderr, "reader: still mapped: %s", line);
                        count++;
                }
        if (f)
                fclose(f);
        for (int fd = 0; fd < 1024; fd++) {
                ssize_t k;
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                k = readlink(path, target, sizeof(target) - 1);
                if (k <= 0)
                        continue;
                target[k] = '\0';
                if (strstr(target, ".idx")) {
                        fprintf(stderr, "reader: descriptor %d open on %s\n", fd, target);
                        count++;
                }
        }
        return count;
}

int main(int argc, char **argv)
{
        pthread_t t[4];
        char line[1024];
        void *h;
        FILE *f;

        if (argc != 4) {
                fprintf(stderr, "usage: reader MODULE EXPECTED SECONDS\n");
                return 2;
        }
        h = dlopen(argv[1], RTLD_NOW);
        if (!h || !(getpwnam_r_ = (getpwnam_fn)dlsym(h, "_nss_mailacct_getpwnam_r"))) {
                fprintf(stderr, "reader: %s\n", dlerror());
                return 2;
        }
        f = fopen(argv[2], "r");
        if (!f)
                return 2;
        while (fgets(line, sizeof(line), f)) {
                char *tab = strchr(line, '\t');
                if (!tab)
                        continue;
                *tab = '\0';
                tab[strcspn(tab + 1, "\n") + 1] = '\0';
                logins = realloc(logins, (n + 1) * sizeof(*logins));
                want = realloc(want, (n + 1) * sizeof(*want));
                logins[n] = strdup(line);
                want[n++] = strdup(tab + 1);
        }
        fclose(f);
        if (n == 0)
                return 2;
        until = now() + atof(argv[3]);
        for (size_t i = 0; i < 4; i++)
                pthread_create(&t[i], NULL, run, (void *)i);
        for (size_t i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        /* after a quiet second and one more lookup, old indexes are let go */
        sleep(2);
        {
                struct passwd pw;
                char buf[4096];
                int err;
                getpwnam_r_(logins[0], &pw, buf, sizeof(buf), &err);
        }
        {
                int stale = stale_index_refs();
                printf("reader: %lu lookups, %lu wrong, %lu unavailable, %d stale index references\n", done, wrong,
                       unavail, stale);
                return wrong || unavail || stale ? 1 : 0;
        }
}
