/* SPDX-License-Identifier: MIT */
#include "lock.h"

#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int mailacct_lock_take(const char *index_path, unsigned timeout_s, char *err, size_t errlen)
{
        char path[4096];
        struct timespec pause = {0, 50 * 1000 * 1000};
        int fd;

        if (snprintf(path, sizeof(path), "%s.lock", index_path) >= (int)sizeof(path)) {
                snprintf(err, errlen, "%s.lock: path too long", index_path);
                return -ENAMETOOLONG;
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0) {
                int e = errno;
                snprintf(err, errlen, "%s: %s", path, strerror(e));
                return -e;
        }
        {
                /* a lock someone else made could be held by them forever */
                struct stat st;
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !mailacct_trust_owner(st.st_uid)) {
                        snprintf(err, errlen, "%s: refused: not a file of this writer's (owner uid %lu)", path,
                                 (unsigned long)st.st_uid);
                        close(fd);
                        return -EPERM;
                }
        }
        for (unsigned tries = 0;; tries++) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return fd;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        break;
                if (tries >= timeout_s * 20u) {
                        errno = EWOULDBLOCK;
                        break;
                }
                nanosleep(&pause, NULL);
        }
        {
                int e = errno;
                snprintf(err, errlen, "%s: %s", path,
                         e == EWOULDBLOCK ? "another writer (compile, passwd, sync, import) holds it" : strerror(e));
                close(fd);
                return -e;
        }
}

void mailacct_lock_release(int fd)
{
        if (fd >= 0)
                close(fd); /* closing drops the flock */
}
