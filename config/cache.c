/* SPDX-License-Identifier: MIT */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Parsing the libconfig file takes milliseconds per thousand mailboxes: far
 * too slow for every getpwnam(). The loaded directory stays here until the
 * file changes; a stat() per lookup is the price of noticing that. */
static struct {
        pthread_mutex_t lock;
        struct mailacct_nss_snapshot *current;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

void mailacct_nss_cache_lock(void)
{
        pthread_mutex_lock(&cache.lock);
}

void mailacct_nss_cache_unlock(void)
{
        pthread_mutex_unlock(&cache.lock);
}

/* secure_getenv: a setuid program must not be pointed at a directory of the
 * caller's choosing. */
static const char *config_path(void)
{
        const char *p = secure_getenv("MAILACCT_CONF");

        return p && *p ? p : MAILACCT_CONF_DEFAULT;
}

static bool same_file(const struct mailacct_nss_snapshot *s, const char *path, const struct stat *st)
{
        return s && s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
               s->mtim.tv_sec == st->st_mtim.tv_sec && s->mtim.tv_nsec == st->st_mtim.tv_nsec &&
               strcmp(s->path, path) == 0;
}

static void snapshot_free(struct mailacct_nss_snapshot *s)
{
        mailacct_dir_free(s->dir);
        free(s->path);
        free(s);
}

void mailacct_nss_snapshot_put(struct mailacct_nss_snapshot *s)
{
        if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
                snapshot_free(s);
}

/* Loads path into a new snapshot with one reference (the cache's). A file
 * that cannot be used gives a snapshot without a directory, so that a broken
 * configuration is parsed once per change, not once per lookup. */
static int snapshot_load(const char *path, const struct stat *st, struct mailacct_nss_snapshot **out)
{
        struct mailacct_nss_snapshot *s = calloc(1, sizeof(*s));
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
        s->dev = st->st_dev;
        s->ino = st->st_ino;
        s->size = st->st_size;
        s->mtim = st->st_mtim;

        /* the findings are for `mailacct check`; a module prints nothing */
        mailacct_diags_init(&diags);
        r = mailacct_config_load(path, &s->dir, &diags);
        mailacct_diags_clear(&diags);
        if (r == -ENOMEM) {
                snapshot_free(s);
                return r;
        }
        *out = s;
        return 0;
}

int mailacct_nss_snapshot_get(struct mailacct_nss_snapshot **out)
{
        const char *path = config_path();
        struct mailacct_nss_snapshot *s;
        struct stat st;
        int r = 0;

        *out = NULL;
        if (stat(path, &st) < 0)
                return -EIO;

        pthread_mutex_lock(&cache.lock);
        /* Loading under the lock: threads that start together wait for one
         * parse instead of each running their own. */
        if (!same_file(cache.current, path, &st)) {
                r = snapshot_load(path, &st, &s);
                if (r == 0) {
                        mailacct_nss_snapshot_put(cache.current);
                        cache.current = s;
                }
        }
        s = cache.current;
        if (r == 0 && !s->dir)
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
        mailacct_nss_snapshot_put(cache.current);
        cache.current = NULL;
        pthread_mutex_unlock(&cache.lock);
}
