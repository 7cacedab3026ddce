/* SPDX-License-Identifier: MIT */
/* nss_bench: times one NSS passwd module by calling its entry points
 * directly, the way glibc does after it has picked the module.
 *
 *   nss_bench check  MODULE NAME HIT MISS UID
 *   nss_bench first  MODULE NAME KEY
 *   nss_bench steady MODULE NAME HITS MISSES UIDS BUDGET_MS MAX START
 *
 * MODULE is the shared object (a path), NAME the service name in
 * nsswitch.conf: the entry points are _nss_NAME_getpwnam_r/getpwuid_r.
 *
 * check:  one hit by name, one miss, one hit by uid; prints the entries and
 *         the files the module keeps mapped or open, and exits 1 unless each
 *         answer is the expected one (the bench setup is tested, not assumed).
 * first:  a fresh process: time from dlopen() to the first answer for KEY, and
 *         the resident memory the process gained meanwhile (/proc/self/statm).
 *         Prints "first_ns=... rss_kib=... status=...".
 * steady: lookups of random hits, misses and uids (one name or uid a line in
 *         the files HITS, MISSES, UIDS, already shuffled; each process
 *         starts at line START so that repeated processes ask other names),
 *         each kind until BUDGET_MS or MAX lookups, and at least
 *         MIN_LOOKUPS. Lookups are timed in batches sized so
 *         that a batch lasts at least 20 µs, so the clock costs nothing that
 *         shows; the result is the median of the batches' ns per lookup.
 *         Prints "hit_ns=... miss_ns=... uid_ns=... hit_n=... ... errors=...".
 *
 * UID (check) or UIDS (steady) "-": no lookups by uid (a directory whose
 * mailboxes share one uid, as bench/ldap-incremental.py's; uid_ns=0 uid_n=0).
 *
 * Nothing of mailacct is linked in: the module alone is measured. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nss.h>

#include "nss_status.h"
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum nss_status (*getpwnam_fn)(const char *name, struct passwd *pw, char *buf, size_t len, int *errnop);
typedef enum nss_status (*getpwuid_fn)(uid_t uid, struct passwd *pw, char *buf, size_t len, int *errnop);

struct module {
        void *handle;
        getpwnam_fn getpwnam;
        getpwuid_fn getpwuid;
};

struct keys {
        char **v;
        size_t n;
};

/* Big enough for any entry of the generated directories; touched before
 * the first measurement so that it is not counted as the module's memory. */
static char buffer[64 * 1024];

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Resident KiB, read without stdio so that the reading allocates nothing. */
static long rss_kib(void)
{
        char text[256];
        long size, resident;
        ssize_t n;
        int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        n = read(fd, text, sizeof(text) - 1);
        close(fd);
        if (n <= 0)
                return -1;
        text[n] = '\0';
        if (sscanf(text, "%ld %ld", &size, &resident) != 2)
                return -1;
        return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int module_open(struct module *m, const char *path, const char *name)
{
        char sym[128];

        m->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!m->handle) {
                fprintf(stderr, "nss_bench: %s\n", dlerror());
                return -1;
        }
        /* libnss_files.so.2 is a stub since glibc 2.34: dlsym() on the handle
         * finds the entry points in its dependency libc.so.6, as glibc does */
        snprintf(sym, sizeof(sym), "_nss_%s_getpwnam_r", name);
        m->getpwnam = (getpwnam_fn)dlsym(m->handle, sym);
        snprintf(sym, sizeof(sym), "_nss_%s_getpwuid_r", name);
        m->getpwuid = (getpwuid_fn)dlsym(m->handle, sym);
        if (!m->getpwnam || !m->getpwuid) {
                fprintf(stderr, "nss_bench: %s has no _nss_%s_getpwnam_r/getpwuid_r\n", path, name);
                return -1;
        }
        return 0;
}

static enum nss_status by_name(const struct module *m, const char *name, struct passwd *pw)
{
        int e = 0;

        return m->getpwnam(name, pw, buffer, sizeof(buffer), &e);
}

static enum nss_status by_uid(const struct module *m, uid_t uid, struct passwd *pw)
{
        int e = 0;

        return m->getpwuid(uid, pw, buffer, sizeof(buffer), &e);
}

static int parse_uid(const char *s, uid_t *out)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > UINT32_MAX - 1)
                return -1;
        *out = (uid_t)v;
        return 0;
}

static int load_keys(const char *path, struct keys *k)
{
        FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t cap = 0, alloc = 0;
        ssize_t n;

        if (!f) {
                fprintf(stderr, "nss_bench: %s: %s\n", path, strerror(errno));
                return -1;
        }
        k->v = NULL;
        k->n = 0;
        while ((n = getline(&line, &cap, f)) > 0) {
                if (line[n - 1] == '\n')
                        line[--n] = '\0';
                if (n == 0)
                        continue;
                if (k->n == alloc) {
                        alloc = alloc ? 2 * alloc : 1024;
                        k->v = realloc(k->v, alloc * sizeof(*k->v));
                        if (!k->v)
                                abort();
                }
                k->v[k->n] = strdup(line);
                if (!k->v[k->n++])
                        abort();
        }
        free(line);
        fclose(f);
        if (k->n == 0) {
                fprintf(stderr, "nss_bench: %s: no keys\n", path);
                return -1;
        }
        return 0;
}

static void print_entry(const char *what, enum nss_status s, const struct passwd *pw)
{
        if (s == NSS_STATUS_SUCCESS)
                printf("  %-28s -> %s:%s:%lu:%lu:%s:%s:%s\n", what, pw->pw_name, pw->pw_passwd,
                       (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
        else
                printf("  %-28s -> %s\n", what, tl_nss_status_name(s));
}

#define MAX_FD 1024

/* Which descriptors are open, so that the module's own can be told apart
 * from inherited ones. */
static void note_fds(unsigned char *had_fd)
{
        for (int fd = 0; fd < MAX_FD; fd++)
                had_fd[fd] = fcntl(fd, F_GETFD) >= 0;
}

/* Files the module keeps: mapped files that are not shared objects, and
 * open descriptors. Shows whether a module keeps its data mapped (an index)
 * or opens its files anew on every call. */
static void print_kept_files(const unsigned char *had_fd)
{
        char line[4096], path[64], target[4096];
        FILE *f = fopen("/proc/self/maps", "re");
        ssize_t n;

        if (f) {
                char last[4096] = "";
                while (fgets(line, sizeof(line), f)) {
                        char *p = strchr(line, '/');
                        if (!p)
                                continue;
                        p[strcspn(p, "\n")] = '\0';
                        if (strstr(p, ".so") || strcmp(p, last) == 0 || strstr(p, "/nss_bench"))
                                continue;
                        snprintf(last, sizeof(last), "%s", p);
                        printf("  mapped: %s\n", p);
                }
                fclose(f);
        }
        for (int fd = 3; fd < MAX_FD; fd++) {
                if (had_fd[fd])
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                n = readlink(path, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                printf("  open fd %d: %s\n", fd, target);
        }
}

static int cmd_check(const char *path, const char *name, const char *hit, const char *miss, const char *uidtext)
{
        unsigned char had_fd[MAX_FD];
        struct module m;
        struct passwd pw;
        enum nss_status s;
        char what[300];
        uid_t uid;
        int bad = 0;

        note_fds(had_fd);
        if ((strcmp(uidtext, "-") != 0 && parse_uid(uidtext, &uid) < 0) || module_open(&m, path, name) < 0)
                return 2;
        s = by_name(&m, hit, &pw);
        snprintf(what, sizeof(what), "getpwnam(%s)", hit);
        print_entry(what, s, &pw);
        if (s != NSS_STATUS_SUCCESS || strcmp(pw.pw_name, hit) != 0) {
                printf("  FAIL: expected the entry of %s\n", hit);
                bad = 1;
        }
        s = by_name(&m, miss, &pw);
        snprintf(what, sizeof(what), "getpwnam(%s)", miss);
        print_entry(what, s, &pw);
        if (s != NSS_STATUS_NOTFOUND) {
                printf("  FAIL: expected NOTFOUND\n");
                bad = 1;
        }
        if (strcmp(uidtext, "-") != 0) {
                s = by_uid(&m, uid, &pw);
                snprintf(what, sizeof(what), "getpwuid(%lu)", (unsigned long)uid);
                print_entry(what, s, &pw);
                if (s != NSS_STATUS_SUCCESS || pw.pw_uid != uid) {
                        printf("  FAIL: expected the entry of uid %lu\n", (unsigned long)uid);
                        bad = 1;
                }
        }
        print_kept_files(had_fd);
        return bad;
}

static int cmd_first(const char *path, const char *name, const char *key)
{
        struct module m;
        struct passwd pw;
        enum nss_status s;
        int64_t t0, t1;
        long r0, r1;

        /* once before measuring: the buffer, sscanf() and the clock touch
         * their pages here, not in the module's share */
        memset(buffer, 1, sizeof(buffer));
        rss_kib();
        now_ns();
        r0 = rss_kib();
        t0 = now_ns();
        if (module_open(&m, path, name) < 0)
                return 2;
        s = by_name(&m, key, &pw);
        t1 = now_ns();
        r1 = rss_kib();
        printf("first_ns=%lld rss_kib=%ld status=%s\n", (long long)(t1 - t0), r1 - r0, tl_nss_status_name(s));
        return s == NSS_STATUS_SUCCESS ? 0 : 1;
}

enum kind { HIT, MISS, UID };
static const char *const kind_name[] = {"hit", "miss", "uid"};

struct run {
        const struct module *m;
        enum kind kind;
        const struct keys *keys;
        uid_t *uids;
        size_t next;
        size_t errors;
        enum nss_status bad_status;
};

/* One batch of n lookups; returns its duration. Answers are checked
 * (a status compare costs nothing next to a lookup) so that a benchmark of a
 * module that answers nothing cannot look fast. */
static int64_t batch(struct run *r, size_t n)
{
        struct passwd pw;
        enum nss_status s, want = r->kind == MISS ? NSS_STATUS_NOTFOUND : NSS_STATUS_SUCCESS;
        int64_t t0 = now_ns();

        for (size_t i = 0; i < n; i++) {
                size_t k = r->next++ % r->keys->n;
                s = r->kind == UID ? by_uid(r->m, r->uids[k], &pw) : by_name(r->m, r->keys->v[k], &pw);
                if (s != want) {
                        r->errors++;
                        r->bad_status = s;
                }
        }
        return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

/* Even a lookup slower than the budget (a linear scan of a million lines)
 * is asked this many times, so that its median is of more than one name. */
#define MIN_LOOKUPS 5

/* Median ns per lookup of one kind. */
static double measure(struct run *r, int64_t budget_ns, size_t max, size_t *done)
{
        size_t cap = 1024, n = 0, size = 1;
        double *per = malloc(cap * sizeof(*per)), median;
        int64_t spent = 0, t;

        if (!per)
                abort();
        *done = 0;
        while (*done < MIN_LOOKUPS || (spent < budget_ns && *done < max)) {
                t = batch(r, size);
                spent += t;
                *done += size;
                if (n == cap) {
                        cap *= 2;
                        per = realloc(per, cap * sizeof(*per));
                        if (!per)
                                abort();
                }
                per[n++] = (double)t / (double)size;
                /* grow the batch while it is too short to time well */
                if (t < 20000 && size < 4096)
                        size *= 2;
        }
        qsort(per, n, sizeof(*per), cmp_double);
        median = n % 2 ? per[n / 2] : (per[n / 2 - 1] + per[n / 2]) / 2;
        free(per);
        return median;
}

static int cmd_steady(const char *path, const char *name, const char *hits, const char *misses, const char *uidfile,
                      const char *budget_text, const char *max_text, const char *start_text)
{
        struct keys kh, km, ku = {0};
        struct module m;
        struct passwd pw;
        struct run r[3];
        double ns[3] = {0};
        size_t done[3] = {0}, errors = 0;
        uid_t *uids = NULL;
        int with_uids = strcmp(uidfile, "-") != 0;
        int64_t budget = strtoll(budget_text, NULL, 10) * 1000000;
        size_t max = strtoull(max_text, NULL, 10), start = strtoull(start_text, NULL, 10);

        if (budget <= 0 || max == 0) {
                fprintf(stderr, "nss_bench: bad BUDGET_MS or MAX\n");
                return 2;
        }
        if (load_keys(hits, &kh) < 0 || load_keys(misses, &km) < 0 || (with_uids && load_keys(uidfile, &ku) < 0))
                return 2;
        uids = calloc(ku.n ? ku.n : 1, sizeof(*uids));
        if (!uids)
                abort();
        for (size_t i = 0; i < ku.n; i++)
                if (parse_uid(ku.v[i], &uids[i]) < 0) {
                        fprintf(stderr, "nss_bench: %s: bad uid \"%s\"\n", uidfile, ku.v[i]);
                        return 2;
                }
        if (module_open(&m, path, name) < 0)
                return 2;
        /* the first lookup (loading, mapping, opening) is what `first`
         * measures; steady state starts after it */
        by_name(&m, kh.v[(start + kh.n - 1) % kh.n], &pw);

        r[HIT] = (struct run){.m = &m, .kind = HIT, .keys = &kh, .next = start};
        r[MISS] = (struct run){.m = &m, .kind = MISS, .keys = &km, .next = start};
        r[UID] = (struct run){.m = &m, .kind = UID, .keys = &ku, .uids = uids, .next = start};
        for (int k = HIT; k <= (with_uids ? UID : MISS); k++) {
                ns[k] = measure(&r[k], budget, max, &done[k]);
                errors += r[k].errors;
                if (r[k].errors)
                        fprintf(stderr, "nss_bench: %s: %zu %s lookups answered %s\n", name, r[k].errors, kind_name[k],
                                tl_nss_status_name(r[k].bad_status));
        }
        printf("hit_ns=%.1f miss_ns=%.1f uid_ns=%.1f hit_n=%zu miss_n=%zu uid_n=%zu errors=%zu\n", ns[HIT], ns[MISS],
               ns[UID], done[HIT], done[MISS], done[UID], errors);
        return errors ? 1 : 0;
}

static void usage(void)
{
        fputs("usage: nss_bench check  MODULE NAME HIT MISS UID\n"
              "       nss_bench first  MODULE NAME KEY\n"
              "       nss_bench steady MODULE NAME HITS MISSES UIDS BUDGET_MS MAX START\n",
              stderr);
}

int main(int argc, char **argv)
{
        if (argc == 7 && strcmp(argv[1], "check") == 0)
                return cmd_check(argv[2], argv[3], argv[4], argv[5], argv[6]);
        if (argc == 5 && strcmp(argv[1], "first") == 0)
                return cmd_first(argv[2], argv[3], argv[4]);
        if (argc == 10 && strcmp(argv[1], "steady") == 0)
                return cmd_steady(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], argv[8], argv[9]);
        usage();
        return 2;
}
