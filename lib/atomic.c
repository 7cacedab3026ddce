/* SPDX-License-Identifier: MIT */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mailacct_atomic {
        char *path, *tmp;
        int fd;
        int error; /* the first write error, reported at commit */
};

struct mailacct_atomic *mailacct_atomic_begin(const char *path, mode_t mode, uid_t uid, gid_t gid, char *err,
                                              size_t errlen)
{
        struct mailacct_atomic *a = calloc(1, sizeof(*a));

        if (!a || !(a->path = strdup(path)) || asprintf(&a->tmp, "%s.tmp.XXXXXX", path) < 0) {
                if (a)
                        free(a->path);
                free(a);
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        a->fd = mkostemp(a->tmp, O_CLOEXEC);
        if (a->fd < 0) {
                snprintf(err, errlen, "%s: %s", a->tmp, strerror(errno));
                free(a->tmp);
                free(a->path);
                free(a);
                return NULL;
        }
        /* owner and mode first: the name must never point at a file that
         * shows more than the file it stands for (fchown may clear set-id
         * bits, which fchmod then sets) */
        if (((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(a->fd, uid, gid) < 0) || fchmod(a->fd, mode) < 0) {
                snprintf(err, errlen, "%s: %s", a->tmp, strerror(errno));
                mailacct_atomic_abort(a);
                return NULL;
        }
        return a;
}

int mailacct_atomic_fd(const struct mailacct_atomic *a)
{
        return a->fd;
}

const char *mailacct_atomic_temp_path(const struct mailacct_atomic *a)
{
        return a->tmp;
}

int mailacct_atomic_write(struct mailacct_atomic *a, const void *p, size_t n, size_t chunk)
{
        const char *c = p;

        while (n && !a->error) {
                size_t want = chunk && n > chunk ? chunk : n;
                ssize_t k = write(a->fd, c, want);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        a->error = k < 0 ? errno : EIO;
                else {
                        c += k;
                        n -= (size_t)k;
                }
        }
        return -a->error;
}

int mailacct_atomic_commit(struct mailacct_atomic *a, char *err, size_t errlen)
{
        char *dircopy;
        int r = -a->error, dfd;

        if (r == 0 && fsync(a->fd) < 0)
                r = -errno;
        if (close(a->fd) < 0 && r == 0)
                r = -errno;
        a->fd = -1;
        if (r == 0 && rename(a->tmp, a->path) < 0)
                r = -errno;
        if (r < 0) {
                snprintf(err, errlen, "%s: %s", a->path, strerror(-r));
                mailacct_atomic_abort(a);
                return r;
        }
        /* the rename is durable once the folder is */
        dircopy = strdup(a->path);
        if (dircopy) {
                dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0) {
                        if (fsync(dfd) < 0)
                                r = -errno;
                        close(dfd);
                }
        }
        free(dircopy);
        if (r < 0)
                snprintf(err, errlen, "%s: fsync of its folder: %s", a->path, strerror(-r));
        free(a->tmp);
        free(a->path);
        free(a);
        return r;
}

void mailacct_atomic_abort(struct mailacct_atomic *a)
{
        if (!a)
                return;
        if (a->fd >= 0)
                close(a->fd);
        unlink(a->tmp);
        free(a->tmp);
        free(a->path);
        free(a);
}
