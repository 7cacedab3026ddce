/* SPDX-License-Identifier: MIT */
#include "secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashmap.h"
#include "index.h"
#include "login.h"
#include "strutil.h"

/* A secrets file beyond this is not a secrets file. */
#define SECRETS_MAX_BYTES (256u << 20)

struct entry {
        char *address;
        char *hash;
};

struct mailacct_secrets {
        struct entry *v;
        size_t n;
        struct mailacct_hashmap *map; /* folded address -> entry */
        /* or, in place of all the above, the compiled secrets index */
        struct mailacct_index *ix;
};

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
        mailacct_hashmap_free(s->map);
        mailacct_index_close(s->ix);
        free(s);
}

static int add_entry(struct mailacct_secrets *s, const char *addr, size_t alen, const char *hash, size_t hlen)
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
                r = add_entry(s, p, (size_t)(colon - p), colon + 1, (size_t)(p + l - colon - 1));
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
static int open_index(const char *path, const struct stat *st, struct mailacct_secrets **out)
{
        struct mailacct_index_source src;
        struct mailacct_secrets *s;
        struct mailacct_index *ix;
        struct stat ist;
        char *ipath, why[160];
        int r;

        if (asprintf(&ipath, "%s.idx", path) < 0)
                return -ENOMEM;
        r = mailacct_index_open_secrets(ipath, &ix, &ist);
        free(ipath);
        if (r < 0)
                return r;
        mailacct_index_source_of(st, &src);
        if (!mailacct_index_matches(ix, &src) || ist.st_uid != st->st_uid ||
            mailacct_secrets_check_mode(&ist, why, sizeof(why)) < 0 || !(s = calloc(1, sizeof(*s)))) {
                mailacct_index_close(ix);
                return -ESTALE;
        }
        s->ix = ix;
        *out = s;
        return 0;
}

static int load(const char *path, bool check_mode, bool use_index, struct mailacct_secrets **out, char *err,
                size_t errlen);

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
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                goto out;
        }
        {
                char why[160];
                r = mailacct_secrets_check_mode(&st, why, sizeof(why));
                if (r == -EACCES && !check_mode)
                        r = 0;
                if (r < 0) {
                        snprintf(err, errlen, "%s: refused: %s", path, why);
                        goto out;
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

const char *mailacct_secrets_any(const struct mailacct_secrets *s)
{
        if (s && s->ix)
                return mailacct_index_any_secret(s->ix);
        return s && s->n ? s->v[0].hash : NULL;
}

size_t mailacct_secrets_count(const struct mailacct_secrets *s)
{
        return s ? s->n : 0;
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
