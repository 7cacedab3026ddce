/* SPDX-License-Identifier: MIT */
#include "secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashmap.h"
#include "index.h"
#include "login.h"
#include "password.h"
#include "strutil.h"
#include "trust.h"

/* A secrets file beyond this is not a secrets file. */
#define SECRETS_MAX_BYTES (256u << 20)

struct entry {
        char *address;
        char *hash;
        int line;
};

struct mailacct_secrets {
        struct entry *v;
        size_t n;
        struct mailacct_hashmap *map; /* folded address -> entry */
        /* or, in place of all the above, the compiled secrets index */
        struct mailacct_index *ix;
        /* the hash failures without one are verified against (the slowest
         * setting), found once, when first asked; the file's identity when
         * read from one, so that a process finds it once per file */
        const char *burn;
        bool burn_known, burn_owned; /* owned: a copy from the cache, else a pointer into v[] */
        size_t settings;
        struct stat st;
        bool from_file;
};

/* The slowest setting of the last file timed in this process: a module
 * parses the file at every login, and timing each setting again each time
 * would double a login's work. Keyed by the file's identity. */
static struct {
        pthread_mutex_t lock;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime, ctime;
        char *burn; /* a copy of the chosen hash */
        size_t settings;
} timed = {.lock = PTHREAD_MUTEX_INITIALIZER};

void mailacct_secrets_free(struct mailacct_secrets *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].address);
                if (s->v[i].hash) {
                        explicit_bzero(s->v[i].hash, strlen(s->v[i].hash));
                        free(s->v[i].hash);
                }
        }
        free(s->v);
        if (s->burn_owned) {
                explicit_bzero((char *)s->burn, strlen(s->burn));
                free((char *)s->burn);
        }
        mailacct_hashmap_free(s->map);
        mailacct_index_close(s->ix);
        free(s);
}

static int add_entry(struct mailacct_secrets *s, const char *addr, size_t alen, const char *hash, size_t hlen, int line)
{
        struct entry *nv;
        char *key;
        int r;

        if ((s->n & (s->n - 1)) == 0) {
                nv = realloc(s->v, (s->n ? s->n * 2 : 1) * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                s->v = nv;
        }
        s->v[s->n].line = line;
        s->v[s->n].address = strndup(addr, alen);
        s->v[s->n].hash = strndup(hash, hlen);
        if (!s->v[s->n].address || !s->v[s->n].hash) {
                free(s->v[s->n].address);
                free(s->v[s->n].hash);
                return -ENOMEM;
        }
        key = mailacct_strdup_fold(s->v[s->n].address);
        if (!key)
                return -ENOMEM;
        s->n++;
        /* the last line for an address wins, as `mailacct passwd` appends */
        r = mailacct_hashmap_add(s->map, key, (uint32_t)(s->n - 1));
        free(key);
        return r;
}

int mailacct_secrets_parse(const char *buf, size_t len, struct mailacct_secrets **out, int *bad_line)
{
        struct mailacct_secrets *s = calloc(1, sizeof(*s));
        const char *p = buf, *end = buf + len;
        int line = 0, r = 0;

        *out = NULL;
        if (!s)
                return -ENOMEM;
        s->map = mailacct_hashmap_new(len / 64 + 1);
        if (!s->map) {
                r = -ENOMEM;
                goto fail;
        }
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon;
                size_t l;

                if (!eol)
                        eol = end;
                l = (size_t)(eol - p);
                line++;
                if (l && p[l - 1] == '\r')
                        l--;
                if (l == 0 || p[0] == '#') {
                        p = eol + 1;
                        continue;
                }
                colon = memchr(p, ':', l);
                /* an address, a colon, a hash that crypt(3) can read: nothing else */
                if (!colon || colon == p || colon + 1 == p + l || (size_t)(colon - p) > MAILACCT_LOGIN_MAX ||
                    memchr(p, '\0', l) || mailacct_has_control(p, l) ||
                    memchr(colon + 1, ':', (size_t)(p + l - colon - 1)) ||
                    memchr(colon + 1, ' ', (size_t)(p + l - colon - 1))) {
                        r = -EINVAL;
                        if (bad_line)
                                *bad_line = line;
                        goto fail;
                }
                r = add_entry(s, p, (size_t)(colon - p), colon + 1, (size_t)(p + l - colon - 1), line);
                if (r < 0)
                        goto fail;
                p = eol + 1;
        }
        *out = s;
        return 0;
fail:
        mailacct_secrets_free(s);
        return r;
}

int mailacct_secrets_check_mode(const struct stat *st, char *err, size_t errlen)
{
        if (!S_ISREG(st->st_mode)) {
                snprintf(err, errlen, "not a regular file");
                return -EINVAL;
        }
        if (st->st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
                snprintf(err, errlen, "mode %04o lets %s; chmod 0600 (or 0640 with a group)",
                         (unsigned)(st->st_mode & 07777),
                         st->st_mode & S_IROTH ? "others read password hashes" : "others change passwords");
                return -EACCES;
        }
        return 0;
}

/* `mailacct compile` leaves PATH.idx beside the secrets file, with its owner
 * and mode: one lookup instead of parsing a million lines per login. It is
 * used only while it stands for the file as it is now, and only when it is
 * as well guarded as the file. */
/* The secrets index stands for the file as it is now: its one stamp. */
static bool index_stands_for(const struct mailacct_index *ix, const struct mailacct_stamp *now)
{
        struct mailacct_stamp was;

        return mailacct_index_n_stamps(ix) == 1 && mailacct_index_stamp(ix, 0, &was) == 0 &&
               mailacct_stamp_same(&was, now);
}

static int open_index(const char *path, const struct stat *st, struct mailacct_secrets **out)
{
        struct mailacct_stamp now;
        struct mailacct_secrets *s;
        struct mailacct_index *ix;
        struct stat ist;
        char *ipath, why[512];
        int r;

        if (asprintf(&ipath, "%s.idx", path) < 0)
                return -ENOMEM;
        /* trusted like the secrets file itself (trust.h), or not read at all */
        r = mailacct_index_open_secrets(ipath, &ix, &ist, why, sizeof(why));
        free(ipath);
        if (r < 0)
                return r;
        mailacct_stamp_of(path, st, &now);
        if (!index_stands_for(ix, &now) || ist.st_uid != st->st_uid || !(s = calloc(1, sizeof(*s)))) {
                mailacct_index_close(ix);
                return -ESTALE;
        }
        s->ix = ix;
        *out = s;
        return 0;
}

static int load(const char *path, bool check_mode, bool use_index, struct mailacct_secrets **out, char *err,
                size_t errlen);

int mailacct_secrets_synced_path(const char *index_path, char *buf, size_t len)
{
        return snprintf(buf, len, "%s%s", index_path, MAILACCT_SYNCED_SUFFIX) < (int)len ? 0 : -ERANGE;
}

int mailacct_secrets_open_synced(const char *index_path, struct mailacct_secrets **out, char *err, size_t errlen)
{
        struct mailacct_secrets *s;
        struct mailacct_index *ix;
        char path[PATH_MAX], why[512];
        int r;

        *out = NULL;
        if (mailacct_secrets_synced_path(index_path, path, sizeof(path)) < 0) {
                snprintf(err, errlen, "%s%s: path too long", index_path, MAILACCT_SYNCED_SUFFIX);
                return -ENAMETOOLONG;
        }
        /* the trust of a secrets file: root's, no access for others */
        r = mailacct_index_open_secrets(path, &ix, NULL, why, sizeof(why));
        if (r < 0) {
                /* why names the path already when the index code wrote it */
                if (strncmp(why, path, strlen(path)) == 0)
                        snprintf(err, errlen, "%s", why);
                else
                        snprintf(err, errlen, "%s: %s", path, why);
                return r;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                mailacct_index_close(ix);
                snprintf(err, errlen, "%s: out of memory", path);
                return -ENOMEM;
        }
        s->ix = ix;
        *out = s;
        return 0;
}

int mailacct_secrets_load(const char *path, bool check_mode, struct mailacct_secrets **out, char *err, size_t errlen)
{
        return load(path, check_mode, true, out, err, errlen);
}

int mailacct_secrets_load_file(const char *path, struct mailacct_secrets **out, char *err, size_t errlen)
{
        return load(path, true, false, out, err, errlen);
}

static int load(const char *path, bool check_mode, bool use_index, struct mailacct_secrets **out, char *err,
                size_t errlen)
{
        struct stat st;
        char *buf = NULL;
        size_t got = 0;
        int fd, r, bad = 0;

        *out = NULL;
        {
                char why[512];
                fd = mailacct_trust_open(path, check_mode ? MAILACCT_TRUST_SECRET : 0, &st, why, sizeof(why));
                if (fd < 0) {
                        snprintf(err, errlen, "%s: %s", path, why);
                        return fd;
                }
        }
        if ((unsigned long long)st.st_size > SECRETS_MAX_BYTES) {
                r = -EFBIG;
                snprintf(err, errlen, "%s: larger than %u bytes", path, SECRETS_MAX_BYTES);
                goto out;
        }
        r = use_index ? open_index(path, &st, out) : -ENOENT;
        if (r == 0)
                goto out;
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                r = -ENOMEM;
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        r = mailacct_secrets_parse(buf, got, out, &bad);
        if (r == 0) {
                (*out)->st = st;
                (*out)->from_file = true;
        }
        if (r == -EINVAL)
                snprintf(err, errlen, "%s:%d: malformed line (expected ADDRESS:CRYPT-HASH)", path, bad);
        else if (r < 0)
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
out:
        if (buf) {
                explicit_bzero(buf, got);
                free(buf);
        }
        close(fd);
        return r;
}

const char *mailacct_secrets_get(const struct mailacct_secrets *s, const char *address)
{
        uint32_t ids[64];
        size_t n;
        char *key;

        if (!s || !address)
                return NULL;
        if (s->ix) {
                bool damaged;
                return mailacct_index_secret(s->ix, address, &damaged);
        }
        key = mailacct_strdup_fold(address);
        if (!key)
                return NULL;
        n = mailacct_hashmap_get(s->map, key, ids, 64);
        free(key);
        if (n == 0)
                return NULL;
        /* more lines than ids: the latest may be among those not returned */
        if (n > 64) {
                for (size_t i = s->n; i-- > 0;)
                        if (mailacct_streq_fold(s->v[i].address, address))
                                return s->v[i].hash;
                return NULL;
        }
        /* values come back in probe order; pick the latest line */
        uint32_t best = ids[0];
        for (size_t i = 1; i < n && i < 64; i++)
                if (ids[i] > best)
                        best = ids[i];
        return s->v[best].hash;
}

static const char *entry_hash(size_t i, void *ctx)
{
        const struct mailacct_secrets *s = ctx;

        return s->v[i].hash;
}

static bool same_file(const struct stat *st)
{
        return timed.burn && timed.dev == st->st_dev && timed.ino == st->st_ino && timed.size == st->st_size &&
               timed.mtime.tv_sec == st->st_mtim.tv_sec && timed.mtime.tv_nsec == st->st_mtim.tv_nsec &&
               timed.ctime.tv_sec == st->st_ctim.tv_sec && timed.ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Memoised in s (hence the cast): the answer never changes for one s. */
static void find_burn(const struct mailacct_secrets *cs)
{
        struct mailacct_secrets *s = (struct mailacct_secrets *)cs;
        const char *best;

        s->burn_known = true;
        if (s->from_file) {
                pthread_mutex_lock(&timed.lock);
                if (same_file(&s->st)) {
                        s->burn = strdup(timed.burn);
                        s->burn_owned = s->burn != NULL;
                        s->settings = timed.settings;
                        pthread_mutex_unlock(&timed.lock);
                        if (s->burn)
                                return;
                        pthread_mutex_lock(&timed.lock);
                }
                pthread_mutex_unlock(&timed.lock);
        }
        best = mailacct_password_slowest(s->n, entry_hash, s, &s->settings);
        s->burn = best;
        if (!best || !s->from_file)
                return;
        pthread_mutex_lock(&timed.lock);
        if (timed.burn) {
                explicit_bzero(timed.burn, strlen(timed.burn));
                free(timed.burn);
        }
        timed.burn = strdup(best);
        timed.settings = s->settings;
        timed.dev = s->st.st_dev;
        timed.ino = s->st.st_ino;
        timed.size = s->st.st_size;
        timed.mtime = s->st.st_mtim;
        timed.ctime = s->st.st_ctim;
        pthread_mutex_unlock(&timed.lock);
}

const char *mailacct_secrets_any(const struct mailacct_secrets *s)
{
        if (!s)
                return NULL;
        if (s->ix)
                return mailacct_index_any_secret(s->ix);
        if (!s->burn_known)
                find_burn(s);
        return s->burn;
}

size_t mailacct_secrets_settings(const struct mailacct_secrets *s)
{
        if (!s || s->ix)
                return 0;
        if (!s->burn_known)
                find_burn(s);
        return s->settings;
}

size_t mailacct_secrets_count(const struct mailacct_secrets *s)
{
        return s ? s->n : 0;
}

int mailacct_secrets_line(const struct mailacct_secrets *s, size_t i)
{
        return s && !s->ix && i < s->n ? s->v[i].line : 0;
}

int mailacct_secrets_entry(const struct mailacct_secrets *s, size_t i, const char **address, const char **hash)
{
        /* an index answers lookups only; callers that list entries parse */
        if (!s || s->ix || i >= s->n)
                return -ENOENT;
        *address = s->v[i].address;
        *hash = s->v[i].hash;
        return 0;
}

static int entry_of(size_t i, void *ctx, const char **address, const char **hash)
{
        return mailacct_secrets_entry(ctx, i, address, hash);
}

int mailacct_secrets_write_index(const struct mailacct_secrets *s, const char *secrets_path, const struct stat *st,
                                 const char *path, char *err, size_t errlen)
{
        struct mailacct_stamp stamp;

        mailacct_stamp_of(secrets_path, st, &stamp);
        /* the slowest setting is timed here, once, for every reader after */
        return mailacct_index_write_secret_entries(mailacct_secrets_count(s), entry_of, (void *)s,
                                                   mailacct_secrets_any(s), &stamp, path, st, err, errlen);
}

struct synced_entries {
        int (*entry)(size_t i, void *ctx, const char **dn, const char **hash);
        void *ctx;
};

static const char *synced_hash(size_t i, void *ctx)
{
        const struct synced_entries *e = ctx;
        const char *dn, *hash;

        return e->entry(i, e->ctx, &dn, &hash) < 0 ? NULL : hash;
}

int mailacct_secrets_write_synced(const char *index_path, size_t n,
                                  int (*entry)(size_t i, void *ctx, const char **dn, const char **hash), void *ctx,
                                  int64_t pulled_ns, char *err, size_t errlen)
{
        struct synced_entries e = {.entry = entry, .ctx = ctx};
        struct stat like = {.st_mode = S_IFREG | 0600, .st_uid = geteuid(), .st_gid = getegid()};
        struct mailacct_stamp stamp = {.kind = MAILACCT_STAMP_LDAP, .mtime_ns = pulled_ns, .size = n};
        char path[PATH_MAX];

        if (mailacct_secrets_synced_path(index_path, path, sizeof(path)) < 0) {
                snprintf(err, errlen, "%s%s: path too long", index_path, MAILACCT_SYNCED_SUFFIX);
                return -ENAMETOOLONG;
        }
        if (n == 0) {
                /* no hash now is the directory's word: none is used */
                if (unlink(path) < 0 && errno != ENOENT) {
                        int r = -errno;
                        snprintf(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
                        return r;
                }
                return 0;
        }
        stamp.path = path;
        /* the slowest setting, timed once here for every reader after */
        return mailacct_index_write_secret_entries(n, entry, ctx, mailacct_password_slowest(n, synced_hash, &e, NULL),
                                                   &stamp, path, &like, err, errlen);
}
