/* SPDX-License-Identifier: MIT */
/* The secrets file as its writers (passwd, import) change it: locked,
 * read, and replaced whole, never edited in place: a module reading it while
 * we write sees the old file or the new one, never half of either. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "cli.h"
#include "strutil.h"

/* Opens and locks the current secrets file, creating it (0600) if missing.
 * A writer replaces the file by rename, so after the lock is ours the path
 * must still name the inode we locked, else we lost a race: try again. */
int cli_secrets_lock(const char *path, int *fd_out, struct stat *st, bool *created)
{
        for (int tries = 0; tries < 100; tries++) {
                struct stat now;
                int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

                *created = false;
                if (fd < 0 && errno == ENOENT) {
                        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
                        if (fd < 0 && errno == EEXIST)
                                continue;
                        *created = fd >= 0;
                }
                if (fd < 0)
                        return -errno;
                if (flock(fd, LOCK_EX) < 0 || fstat(fd, st) < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (stat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino) {
                        if (!S_ISREG(st->st_mode)) {
                                close(fd);
                                return -EINVAL;
                        }
                        *fd_out = fd;
                        return 0;
                }
                close(fd);
        }
        return -EAGAIN;
}

int cli_read_all(int fd, char **out, size_t *len)
{
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;
                if (n + 1 >= cap) {
                        char *nb = malloc(cap * 2);
                        if (!nb) {
                                explicit_bzero(buf, n);
                                free(buf);
                                return -ENOMEM;
                        }
                        memcpy(nb, buf, n);
                        explicit_bzero(buf, n);
                        free(buf);
                        buf = nb;
                        cap *= 2;
                }
                k = read(fd, buf + n, cap - n - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int e = errno;
                        explicit_bzero(buf, n);
                        free(buf);
                        return -e;
                }
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = '\0';
        *out = buf;
        *len = n;
        return 0;
}

/* ADDRESS:HASH and a newline, the hash never left in a buffer of ours */
static int write_line(struct mailacct_atomic *a, const struct cli_secret_line *l)
{
        int r = mailacct_atomic_write(a, l->address, strlen(l->address), 0);

        if (r == 0)
                r = mailacct_atomic_write(a, ":", 1, 0);
        if (r == 0)
                r = mailacct_atomic_write(a, l->hash, strlen(l->hash), 0);
        if (r == 0)
                r = mailacct_atomic_write(a, "\n", 1, 0);
        return r;
}

static bool line_is_for(const char *line, size_t len, const char *address)
{
        const char *colon = memchr(line, ':', len);
        size_t alen = strlen(address);

        if (!colon || line[0] == '#' || (size_t)(colon - line) != alen)
                return false;
        for (size_t i = 0; i < alen; i++)
                if (mailacct_fold_char(line[i]) != mailacct_fold_char(address[i]))
                        return false;
        return true;
}

/* Writes old with each line's address replaced by its new line (at the
 * first old line's place, or appended in the order given), through the
 * atomic writer, with the old owner and mode. */
int cli_secrets_write(const char *path, const struct stat *st, const char *old, size_t oldlen,
                      const struct cli_secret_line *lines, size_t n, char *err, size_t errlen)
{
        const char *p = old, *end = old + oldlen;
        struct mailacct_atomic *a;
        bool *done = calloc(n + 1, sizeof(*done));
        int r = 0;

        if (!done) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        a = mailacct_atomic_begin(path, st->st_mode & 07777, st->st_uid, st->st_gid, err, errlen);
        if (!a) {
                free(done);
                return -EIO;
        }
        while (p < end && r == 0) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                size_t l = eol ? (size_t)(eol - p) : (size_t)(end - p), k;

                for (k = 0; k < n; k++)
                        if (line_is_for(p, l, lines[k].address))
                                break;
                if (k < n) {
                        if (!done[k])
                                r = write_line(a, &lines[k]);
                        done[k] = true;
                } else {
                        r = mailacct_atomic_write(a, p, l, 0);
                        if (r == 0)
                                r = mailacct_atomic_write(a, "\n", 1, 0);
                }
                p += l + (eol ? 1 : 0);
        }
        for (size_t k = 0; r == 0 && k < n; k++)
                if (!done[k])
                        r = write_line(a, &lines[k]);
        free(done);
        if (r < 0) {
                snprintf(err, errlen, "%s", strerror(-r));
                mailacct_atomic_abort(a);
                return r;
        }
        return mailacct_atomic_commit(a, err, errlen);
}
