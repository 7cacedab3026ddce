/* SPDX-License-Identifier: MIT */
/* Shared by the C harnesses that read what the PAM module logs (tests/pam/
 * test_pam.c, tests/hardening/pam_probe.c): pam_syslog() writes to
 * /dev/log, which this machine lacks and a test must not create. The
 * process moves into a mount namespace of its own (as root, or through a
 * user namespace), puts a tmpfs on /dev there and listens on /dev/log
 * itself. Returns the socket (non-blocking) or -errno. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static inline void tl_write_proc(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd >= 0) {
                if (write(fd, text, strlen(text)) < 0)
                        perror(path);
                close(fd);
        }
}

static inline int tl_devlog_open(void)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uid_t uid = getuid();
        gid_t gid = getgid();
        int fd;

        if (unshare(CLONE_NEWNS) < 0) {
                /* not root: a user namespace grants the mount */
                char map[64];
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                        return -errno;
                tl_write_proc("/proc/self/setgroups", "deny");
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
                tl_write_proc("/proc/self/uid_map", map);
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
                tl_write_proc("/proc/self/gid_map", map);
        }
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") < 0)
                return -errno;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        strcpy(sa.sun_path, "/dev/log");
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}
