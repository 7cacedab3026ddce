/* SPDX-License-Identifier: MIT */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

bool mailacct_trust_owner(uid_t uid)
{
        uid_t me = geteuid();

        if (uid == 0)
                return true;
        /* a set-id program runs for someone else: the caller's files are not
         * its own, whatever the effective uid says */
        return me != 0 && uid == me && !getauxval(AT_SECURE);
}

void mailacct_trust_owner_name(uid_t uid, char *buf, size_t len)
{
        /* no getpwuid(): the NSS module must never call back into NSS */
        if (uid == 0)
                snprintf(buf, len, "root");
        else if (uid == 65534)
                snprintf(buf, len, "nobody");
        else
                snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

static const char *whom(void)
{
        return geteuid() == 0 || getauxval(AT_SECURE) ? "only root's files are trusted"
                                                      : "only root's and this user's files are trusted";
}

static int refuse_owner(const char *folder, const struct stat *st, char *why, size_t len)
{
        char owner[32];

        mailacct_trust_owner_name(st->st_uid, owner, sizeof(owner));
        if (folder)
                snprintf(why, len, "refused: folder %s is owned by %s (mode %04o); %s", folder, owner,
                         (unsigned)(st->st_mode & 07777), whom());
        else
                snprintf(why, len, "refused: owned by %s (mode %04o); %s", owner, (unsigned)(st->st_mode & 07777),
                         whom());
        return -EPERM;
}

/* One folder of the chain: lstat'ed, since the chain comes from realpath()
 * and a link appearing in it since then is itself a change to refuse. */
static int check_folder(const char *dir, char *why, size_t len)
{
        struct stat st;

        if (lstat(dir, &st) < 0) {
                int e = errno;
                snprintf(why, len, "folder %s: %s", dir, strerror(e));
                return -e;
        }
        if (!S_ISDIR(st.st_mode)) {
                snprintf(why, len, "refused: %s is not a folder", dir);
                return -EPERM;
        }
        if (!mailacct_trust_owner(st.st_uid))
                return refuse_owner(dir, &st, why, len);
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
                snprintf(why, len,
                         "refused: folder %s (mode %04o) lets its group or others replace the files in it; "
                         "chmod go-w %s",
                         dir, (unsigned)(st.st_mode & 07777), dir);
                return -EPERM;
        }
        return 0;
}

/* Every folder of real from its parent up to "/"; real is absolute and has
 * no links (realpath()). */
static int check_chain(char *real, char *why, size_t len)
{
        for (;;) {
                char *slash = strrchr(real, '/');
                int r;

                if (!slash)
                        return 0;
                if (slash == real) {
                        return check_folder("/", why, len);
                }
                *slash = '\0';
                r = check_folder(real, why, len);
                if (r < 0)
                        return r;
        }
}

int mailacct_trust_dir(const char *dir, char *why, size_t len)
{
        char *real = realpath(dir, NULL);
        int r;

        if (!real) {
                r = -errno;
                snprintf(why, len, "%s", strerror(-r));
                return r;
        }
        r = check_folder(real, why, len);
        if (r == 0 && strcmp(real, "/") != 0)
                r = check_chain(real, why, len);
        free(real);
        return r;
}

int mailacct_trust_check(const char *path, const struct stat *st, unsigned flags, char *why, size_t len)
{
        struct stat again;
        char *real;
        int r;

        if (!S_ISREG(st->st_mode)) {
                snprintf(why, len, "refused: not a regular file");
                return -EPERM;
        }
        if (!mailacct_trust_owner(st->st_uid))
                return refuse_owner(NULL, st, why, len);
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                snprintf(why, len, "refused: mode %04o lets others change it; chmod go-w %s",
                         (unsigned)(st->st_mode & 07777), path);
                return -EPERM;
        }
        if ((flags & MAILACCT_TRUST_SECRET) && (st->st_mode & S_IROTH)) {
                snprintf(why, len, "refused: mode %04o lets others read password hashes; chmod 0600 %s",
                         (unsigned)(st->st_mode & 07777), path);
                return -EPERM;
        }
        real = realpath(path, NULL);
        if (!real) {
                r = -errno;
                snprintf(why, len, "%s", strerror(-r));
                return r;
        }
        /* the name must still lead to the file that was checked */
        if (stat(real, &again) < 0 || again.st_dev != st->st_dev || again.st_ino != st->st_ino) {
                snprintf(why, len, "refused: replaced while it was checked");
                free(real);
                return -EPERM;
        }
        r = check_chain(real, why, len);
        free(real);
        return r;
}

int mailacct_trust_open(const char *path, unsigned flags, struct stat *st, char *why, size_t len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK), r;

        if (fd < 0) {
                r = -errno;
                if (r == -ELOOP) {
                        snprintf(why, len, "refused: a symbolic link (give the file it points to)");
                        return -EPERM;
                }
                snprintf(why, len, "%s", strerror(-r));
                return r;
        }
        if (fstat(fd, st) < 0) {
                r = -errno;
                snprintf(why, len, "%s", strerror(-r));
                close(fd);
                return r;
        }
        r = mailacct_trust_check(path, st, flags, why, len);
        if (r < 0) {
                close(fd);
                return r;
        }
        /* O_NONBLOCK only kept a FIFO from stalling the open */
        (void)fcntl(fd, F_SETFL, 0);
        return fd;
}
