/* SPDX-License-Identifier: MIT */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* Who this process trusts, looked up once per check. */
struct viewer {
        uid_t me;
        bool secure; /* set-id: the caller's files are not its own */
};

static struct viewer viewer(void)
{
        return (struct viewer){.me = geteuid(), .secure = getauxval(AT_SECURE) != 0};
}

static bool owner_ok(const struct viewer *v, uid_t uid)
{
        if (uid == 0)
                return true;
        /* a set-id program runs for someone else: the caller's files are not
         * its own, whatever the effective uid says */
        return v->me != 0 && uid == v->me && !v->secure;
}

bool mailacct_trust_owner(uid_t uid)
{
        struct viewer v = viewer();

        return owner_ok(&v, uid);
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

static int refuse_owner(const struct viewer *v, const char *folder, const struct stat *st, char *why, size_t len)
{
        const char *whom = v->me == 0 || v->secure ? "only root's files are trusted"
                                                   : "only root's and this user's files are trusted";
        char owner[32];

        mailacct_trust_owner_name(st->st_uid, owner, sizeof(owner));
        if (folder)
                snprintf(why, len, "refused: folder %s is owned by %s (mode %04o); %s", folder, owner,
                         (unsigned)(st->st_mode & 07777), whom);
        else
                snprintf(why, len, "refused: owned by %s (mode %04o); %s", owner, (unsigned)(st->st_mode & 07777),
                         whom);
        return -EPERM;
}

/* One folder of the chain, lstat'ed: a link where a folder should be is
 * either a change since the name was resolved (refused) or, on the first
 * walk of a name as given, the sign to resolve it (ENOTDIR to the caller). */
static int check_folder(const struct viewer *v, const char *dir, bool link_ok, char *why, size_t len)
{
        struct stat st;

        if (lstat(dir, &st) < 0) {
                int e = errno;
                snprintf(why, len, "folder %s: %s", dir, strerror(e));
                return -e;
        }
        if (link_ok && S_ISLNK(st.st_mode))
                return -ENOTDIR;
        if (!S_ISDIR(st.st_mode)) {
                snprintf(why, len, "refused: %s is not a folder", dir);
                return -EPERM;
        }
        if (!owner_ok(v, st.st_uid))
                return refuse_owner(v, dir, &st, why, len);
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
                snprintf(why, len,
                         "refused: folder %s (mode %04o) lets its group or others replace the files in it; "
                         "chmod go-w %s",
                         dir, (unsigned)(st.st_mode & 07777), dir);
                return -EPERM;
        }
        return 0;
}

/* Every folder of path from its parent up to "/"; path is absolute and
 * plain (no "." or ".." component, no "//"). path is cut up on the way. */
static int check_chain(const struct viewer *v, char *path, bool link_ok, char *why, size_t len)
{
        for (;;) {
                char *slash = strrchr(path, '/');
                int r;

                if (!slash)
                        return 0;
                if (slash == path)
                        return check_folder(v, "/", link_ok, why, len);
                *slash = '\0';
                r = check_folder(v, path, link_ok, why, len);
                if (r < 0)
                        return r;
        }
}

/* Whether path names its file without a detour through "." or "..": then,
 * if none of its folders is a link, it is its own realpath(). */
static bool plain(const char *path)
{
        if (path[0] != '/')
                return false;
        for (const char *p = path; *p; p++)
                if (p[0] == '/' && (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0' ||
                                                                    (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))))
                        return false;
        return true;
}

/* The folders of path: walked as given when it is plain and link-free (the
 * usual /etc/mailacct.conf: one lstat per folder), else resolved first. */
static int check_folders(const struct viewer *v, const char *path, char *why, size_t len)
{
        char *copy;
        int r;

        if (plain(path)) {
                copy = strdup(path);
                if (!copy)
                        return -ENOMEM;
                r = check_chain(v, copy, true, why, len);
                free(copy);
                if (r != -ENOTDIR)
                        return r;
        }
        copy = realpath(path, NULL);
        if (!copy) {
                r = -errno;
                snprintf(why, len, "%s", strerror(-r));
                return r;
        }
        r = check_chain(v, copy, false, why, len);
        free(copy);
        return r;
}

int mailacct_trust_dir(const char *dir, char *why, size_t len)
{
        struct viewer v = viewer();
        char *real = realpath(dir, NULL);
        int r;

        if (!real) {
                r = -errno;
                snprintf(why, len, "%s", strerror(-r));
                return r;
        }
        r = check_folder(&v, real, false, why, len);
        if (r == 0 && strcmp(real, "/") != 0)
                r = check_chain(&v, real, false, why, len);
        free(real);
        return r;
}

/* mailacct_trust_check(), but -ESTALE when path leads to another file than
 * st by now: a writer renamed a new one in place (the folders' checks keep
 * anyone else from doing so), and the caller may open it again. */
static int check_file(const char *path, const struct stat *st, unsigned flags, char *why, size_t len)
{
        struct viewer v = viewer();
        struct stat again;

        if (!S_ISREG(st->st_mode)) {
                snprintf(why, len, "refused: not a regular file");
                return -EPERM;
        }
        if (!owner_ok(&v, st->st_uid))
                return refuse_owner(&v, NULL, st, why, len);
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
        /* the name must still lead to the file that was checked */
        if (stat(path, &again) < 0 || again.st_dev != st->st_dev || again.st_ino != st->st_ino) {
                snprintf(why, len, "refused: replaced while it was checked");
                return -ESTALE;
        }
        return check_folders(&v, path, why, len);
}

int mailacct_trust_check(const char *path, const struct stat *st, unsigned flags, char *why, size_t len)
{
        int r = check_file(path, st, flags, why, len);

        return r == -ESTALE ? -EPERM : r;
}

/* A writer replaces a file by rename (lib/atomic.c): one replaced between
 * the open and the check is opened again, the new one checked in turn;
 * only a file replaced on every try is refused. An index rewritten every
 * second under busy readers made a lookup fail closed now and then. */
#define TRUST_REOPEN_TRIES 16

int mailacct_trust_open(const char *path, unsigned flags, struct stat *st, char *why, size_t len)
{
        int r = -ESTALE;

        for (int i = 0; i < TRUST_REOPEN_TRIES && r == -ESTALE; i++) {
                int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);

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
                r = check_file(path, st, flags, why, len);
                if (r == 0) {
                        /* O_NONBLOCK only kept a FIFO from stalling the open */
                        (void)fcntl(fd, F_SETFL, 0);
                        return fd;
                }
                close(fd);
        }
        return r == -ESTALE ? -EPERM : r;
}
