/* SPDX-License-Identifier: MIT */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trust.h"

/* How long a snapshot is trusted without looking at the files again. */
#define RECHECK_NS 1000000000LL
/* How often a face repeats a note about the index (stale, unused). */
#define NOTE_EVERY_S 60

/* Opening a configuration takes milliseconds per thousand mailboxes, or
 * some page faults for an index: far too slow for every getpwnam(). The
 * opened directory stays here until a file changes. */
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
        mailacct_source_status_free(&s->status);
        free(s->path);
        free(s);
}

void mailacct_snapshot_put(struct mailacct_snapshot *s)
{
        if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
                snapshot_free(s);
}

bool mailacct_snapshot_note_due(struct mailacct_snapshot *s)
{
        long long now = now_ns() / 1000000000LL + 1, last = atomic_load(&s->logged_s);

        if (!s->status.note[0] || (last && now - last < NOTE_EVERY_S))
                return false;
        return atomic_compare_exchange_strong(&s->logged_s, &last, now);
}

/* Whether the files s was opened from are as they were, and the
 * configuration is still one this process may trust (chmod and chown of a
 * folder leave the file as it was: looked at here, every time). */
static bool unchanged(const struct mailacct_snapshot *s)
{
        struct stat st;
        char why[512];
        int fd = mailacct_trust_open(s->path, 0, &st, why, sizeof(why));

        if (fd < 0)
                return false;
        close(fd);
        for (size_t i = 0; i < s->status.n_watch; i++)
                if (!mailacct_stamp_current(&s->status.watch[i]))
                        return false;
        /* an index that appeared where readers look is a change too */
        if (s->status.index == MAILACCT_IX_MISSING && s->status.index_path[0] && stat(s->status.index_path, &st) == 0)
                return false;
        /* so is a delta that appeared beside it (a removed or replaced
         * one is a watched file that changed) */
        if (s->status.delta_missing && stat(s->status.delta_path, &st) == 0)
                return false;
        return true;
}

/* Opens path into a new snapshot with one reference (the cache's). Files that
 * cannot be used give a snapshot without a directory, so that a broken
 * configuration is read once per change, not once per lookup. */
static int snapshot_open(const char *path, struct mailacct_snapshot **out)
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
        /* the findings are for `mailacct check`; a module prints nothing */
        mailacct_diags_init(&diags);
        r = mailacct_source_open(path, &s->dir, &diags, &s->status);
        s->error = r;
        mailacct_diags_clear(&diags);
        if (r == -ENOMEM) {
                snapshot_free(s);
                return r;
        }
        if (r < 0 && !s->status.n_watch) {
                /* unusable before anything was opened (missing, untrusted):
                 * look at the configuration alone next time */
                struct stat st;
                if (stat(path, &st) == 0) {
                        s->status.watch_paths[0] = strdup(path);
                        if (s->status.watch_paths[0]) {
                                mailacct_stamp_of(s->status.watch_paths[0], &st, &s->status.watch[0]);
                                s->status.n_watch = 1;
                        }
                }
        }
        *out = s;
        return 0;
}

static bool same_path(const struct mailacct_snapshot *s, const char *path)
{
        return s && strcmp(s->path, path) == 0;
}

int mailacct_snapshot_get(const char *path, struct mailacct_snapshot **out)
{
        struct mailacct_snapshot *s = NULL;
        long long now = now_ns();
        int r = 0;

        *out = NULL;
        pthread_mutex_lock(&cache.lock);
        s = cache.current;
        if (!same_path(s, path) || now - cache.checked_ns >= RECHECK_NS) {
                cache.checked_ns = now;
                /* Opening under the lock: threads that start together wait
                 * for one open instead of each running their own. */
                if (!same_path(s, path) || !unchanged(s)) {
                        r = snapshot_open(path, &s);
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

struct mailacct_snapshot *mailacct_snapshot_failed(const char *path)
{
        struct mailacct_snapshot *s;

        pthread_mutex_lock(&cache.lock);
        s = cache.current;
        if (same_path(s, path) && !s->dir)
                atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
        else
                s = NULL;
        pthread_mutex_unlock(&cache.lock);
        return s;
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
