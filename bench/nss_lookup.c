/* SPDX-License-Identifier: MIT */
/* What a getpwnam_r() through libnss_mailacct.so.2 costs. A benchmark, not
 * a test: bench/nss-bench.sh runs it and reports the figures.
 *
 *   nss_lookup steady MODULE CONF HITS MISSES   median ns per hit and per miss
 *                                               with the directory loaded
 *   nss_lookup first MODULE CONF LOGIN          one fresh process: dlopen and
 *                                               the first lookup, in ns
 *
 * The module is dlopen'ed and called directly, as glibc does after reading
 * nsswitch.conf; MAILACCT_CONF names the directory. */
#include <dlfcn.h>
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);

/* Lookups per timed batch: the clock is read twice per batch, not per
 * lookup, so its own cost does not swamp a lookup of a few hundred ns. */
#define BATCH       64
#define MIN_SAMPLES 2000

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static getpwnam_fn load(const char *module, const char *conf)
{
        void *dl;
        getpwnam_fn f;

        setenv("MAILACCT_CONF", conf, 1);
        dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                fprintf(stderr, "nss_lookup: %s\n", dlerror());
                exit(2);
        }
        f = (getpwnam_fn)dlsym(dl, "_nss_mailacct_getpwnam_r");
        if (!f) {
                fprintf(stderr, "nss_lookup: %s has no _nss_mailacct_getpwnam_r\n", module);
                exit(2);
        }
        return f;
}

static char **read_names(const char *path, size_t *n)
{
        FILE *f = fopen(path, "r");
        char **v = NULL, *line = NULL;
        size_t cap = 0, len = 0;
        ssize_t got;

        if (!f) {
                fprintf(stderr, "nss_lookup: %s: %s\n", path, strerror(errno));
                exit(2);
        }
        *n = 0;
        while ((got = getline(&line, &len, f)) > 0) {
                if (line[got - 1] == '\n')
                        line[got - 1] = '\0';
                if (!*line)
                        continue;
                if (*n == cap) {
                        cap = cap ? 2 * cap : 1024;
                        v = realloc(v, cap * sizeof(*v));
                }
                v[(*n)++] = strdup(line);
        }
        free(line);
        fclose(f);
        if (*n == 0) {
                fprintf(stderr, "nss_lookup: %s: no names\n", path);
                exit(2);
        }
        return v;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* Median over batches of the mean ns per lookup; every answer is checked so
 * that a benchmark of a broken module cannot report a fast figure. */
static uint64_t median_ns(getpwnam_fn f, char **names, size_t n, enum nss_status want, const char *what)
{
        size_t n_samples = n / BATCH > MIN_SAMPLES ? n / BATCH : MIN_SAMPLES;
        uint64_t *s = malloc(n_samples * sizeof(*s)), med;
        char buf[1024];
        size_t k = 0;

        for (size_t i = 0; i < n_samples; i++) {
                unsigned wrong = 0;
                uint64_t t0 = now_ns();
                for (int b = 0; b < BATCH; b++, k = (k + 1) % n) {
                        struct passwd pw;
                        int err;
                        wrong += f(names[k], &pw, buf, sizeof(buf), &err) != want;
                }
                s[i] = (now_ns() - t0) / BATCH;
                if (wrong) {
                        fprintf(stderr, "nss_lookup: %u %s lookups gave the wrong status\n", wrong, what);
                        exit(1);
                }
        }
        qsort(s, n_samples, sizeof(*s), cmp_u64);
        med = s[n_samples / 2];
        free(s);
        return med;
}

/* The module stat()s the configuration on every lookup to notice a change:
 * reported apart, as the floor under every figure above. */
static uint64_t stat_ns(const char *conf)
{
        uint64_t s[MIN_SAMPLES], med;
        struct stat st;

        for (size_t i = 0; i < MIN_SAMPLES; i++) {
                uint64_t t0 = now_ns();
                for (int b = 0; b < BATCH; b++)
                        stat(conf, &st);
                s[i] = (now_ns() - t0) / BATCH;
        }
        qsort(s, MIN_SAMPLES, sizeof(*s), cmp_u64);
        med = s[MIN_SAMPLES / 2];
        return med;
}

static int steady(const char *module, const char *conf, const char *hits, const char *misses)
{
        size_t n_hits, n_misses;
        char **h = read_names(hits, &n_hits), **m = read_names(misses, &n_misses);
        getpwnam_fn f = load(module, conf);
        struct passwd pw;
        char buf[1024];
        int err;
        uint64_t hit, miss;

        /* the first lookup loads the directory; it is measured by `first` */
        if (f(h[0], &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS) {
                fprintf(stderr, "nss_lookup: %s not found in %s\n", h[0], conf);
                return 1;
        }
        hit = median_ns(f, h, n_hits, NSS_STATUS_SUCCESS, "hit");
        miss = median_ns(f, m, n_misses, NSS_STATUS_NOTFOUND, "miss");
        printf("hit_ns=%llu miss_ns=%llu stat_ns=%llu\n", (unsigned long long)hit, (unsigned long long)miss,
               (unsigned long long)stat_ns(conf));
        return 0;
}

static int first(const char *module, const char *conf, const char *login)
{
        uint64_t t0 = now_ns(), t1, t2;
        getpwnam_fn f = load(module, conf);
        struct passwd pw;
        char buf[1024];
        int err;
        enum nss_status s;

        t1 = now_ns();
        s = f(login, &pw, buf, sizeof(buf), &err);
        t2 = now_ns();
        if (s != NSS_STATUS_SUCCESS) {
                fprintf(stderr, "nss_lookup: %s not found in %s\n", login, conf);
                return 1;
        }
        printf("dlopen_ns=%llu first_ns=%llu\n", (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1));
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 6 && strcmp(argv[1], "steady") == 0)
                return steady(argv[2], argv[3], argv[4], argv[5]);
        if (argc == 5 && strcmp(argv[1], "first") == 0)
                return first(argv[2], argv[3], argv[4]);
        fprintf(stderr, "usage: nss_lookup steady MODULE CONF HITS MISSES\n"
                        "       nss_lookup first MODULE CONF LOGIN\n");
        return 2;
}
