/* SPDX-License-Identifier: MIT */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "trust.h"

/* How long a snapshot is trusted without looking at the files again. */
#define RECHECK_NS 1000000000LL

/* Parsing the libconfig file takes milliseconds per thousand mailboxes: far
 * too slow for every getpwnam(). The opened directory stays here until a
 * file changes. */
static struct {
        pthread_mutex_t lock;
        struct mailacct_snapshot *current;
        long long checked_ns; /* CLOCK_MONOTONIC_COARSE of the last look */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

void mailacct_cache_lock(void)
{
        pthread_mutex_lock(&cache.lock);
}

void mailacct_cache_unlock(void)
{
        pthread_mutex_unlock(&cache.lock);
}

static long long now_ns(void)
{
        struct timespec ts;

        /* the coarse clock is read from the vDSO without a system call */
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void snapshot_free(struct mailacct_snapshot *s)
{
        mailacct_dir_free(s->dir);
        free(s->path);
        free(s);
}

void mailacct_snapshot_put(struct mailacct_snapshot *s)
{
        if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
                snapshot_free(s);
}

/* The identity of both files: a change to either means opening again. */
/* The identities of the configuration and of its index, and the index's
 * path (empty when it has none), which snapshot_open() then uses as it is. */
static int identify(const char *path, struct mailacct_index_source *conf, struct mailacct_index_source *index,
                    char *ipath, size_t ipath_len)
{
        struct stat st;
        char why[512];
        int fd;

        /* chmod and chown leave the identity as it was: whether this process
         * may trust the file (and its folders) is looked at here, every
         * time, and a configuration it may not is refused at once */
        fd = mailacct_trust_open(path, 0, &st, why, sizeof(why));
        if (fd < 0)
                return -EIO;
        close(fd);
        mailacct_index_source_of(&st, conf);
        memset(index, 0, sizeof(*index));
        if (mailacct_source_index_path(path, ipath, ipath_len) < 0)
                ipath[0] = '\0';
        else if (stat(ipath, &st) == 0)
                mailacct_index_source_of(&st, index);
        return 0;
}

/* Opens path into a new snapshot with one reference (the cache's). Files that
 * cannot be used give a snapshot without a directory, so that a broken
 * configuration is parsed once per change, not once per lookup. */
static int snapshot_open(const char *path, const char *ipath, const struct mailacct_index_source *conf,
                         const struct mailacct_index_source *index, struct mailacct_snapshot **out)
{
        struct mailacct_snapshot *s = calloc(1, sizeof(*s));
        struct mailacct_diags diags;
        int r;

        if (!s)
                return -ENOMEM;
        s->path = strdup(path);
        if (!s->path) {
                free(s);
                return -ENOMEM;
        }
        atomic_init(&s->refs, 1);
        s->conf = *conf;
        s->index = *index;
        /* the findings are for `mailacct check`; a module prints nothing */
        mailacct_diags_init(&diags);
        r = mailacct_source_open_note(path, ipath[0] ? ipath : NULL, &s->dir, &diags, &s->kind, &s->stale_index,
                                      s->note, sizeof(s->note));
        mailacct_diags_clear(&diags);
        if (r == -ENOMEM) {
                snapshot_free(s);
                return r;
        }
        *out = s;
        return 0;
}

int mailacct_snapshot_get(const char *path, struct mailacct_snapshot **out)
{
        struct mailacct_index_source conf, index;
        struct mailacct_snapshot *s = NULL;
        long long now = now_ns();
        char ipath[4096];
        int r = 0;

        *out = NULL;
        pthread_mutex_lock(&cache.lock);
        s = cache.current;
        if (!s || strcmp(s->path, path) != 0 || now - cache.checked_ns >= RECHECK_NS) {
                r = identify(path, &conf, &index, ipath, sizeof(ipath));
                cache.checked_ns = now;
                /* Opening under the lock: threads that start together wait
                 * for one parse instead of each running their own. */
                if (r == 0 && (!s || strcmp(s->path, path) != 0 || memcmp(&s->conf, &conf, sizeof(conf)) != 0 ||
                               memcmp(&s->index, &index, sizeof(index)) != 0)) {
                        r = snapshot_open(path, ipath, &conf, &index, &s);
                        if (r == 0) {
                                mailacct_snapshot_put(cache.current);
                                cache.current = s;
                        }
                }
        }
        s = cache.current;
        if (r == 0 && (!s || !s->dir))
                r = -EIO;
        if (r == 0) {
                atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
                *out = s;
        }
        pthread_mutex_unlock(&cache.lock);
        return r;
}

/* valgrind and ASan see a process end with the module loaded: the cached
 * directory is released here rather than reported as a leak. Lookups still
 * running elsewhere keep their own references. */
__attribute__((destructor)) static void cache_release(void)
{
        pthread_mutex_lock(&cache.lock);
        mailacct_snapshot_put(cache.current);
        cache.current = NULL;
        pthread_mutex_unlock(&cache.lock);
}
