/* SPDX-License-Identifier: MIT */
/* Shared by the unit tests (not a test itself: the Makefile builds only
 * tests/unit/test_*.c). Directories are written as real configuration files
 * into a private temporary folder and read by the real loader, so the tests
 * exercise the same path as the command and the modules. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "diag.h"
#include "directory.h"
#include "resolve.h"

static char tu_dir[PATH_MAX];

/* A fresh folder per test program; removed by tu_cleanup(). */
__attribute__((unused)) static const char *tu_tmpdir(void)
{
        if (!tu_dir[0]) {
                const char *t = getenv("TMPDIR");
                snprintf(tu_dir, sizeof(tu_dir), "%s/mailacct-unit-XXXXXX", t && *t ? t : "/tmp");
                if (!mkdtemp(tu_dir)) {
                        perror("mkdtemp");
                        abort();
                }
        }
        return tu_dir;
}

__attribute__((unused)) static void tu_cleanup(void)
{
        DIR *dp;
        struct dirent *e;
        char p[PATH_MAX + 256];

        if (!tu_dir[0])
                return;
        dp = opendir(tu_dir);
        while (dp && (e = readdir(dp))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                snprintf(p, sizeof(p), "%s/%s", tu_dir, e->d_name);
                unlink(p);
        }
        if (dp)
                closedir(dp);
        rmdir(tu_dir);
        tu_dir[0] = '\0';
}

/* Writes text to name inside the temporary folder with mode; returns the path
 * (a static buffer per call site is not needed: callers copy if they keep it). */
__attribute__((unused)) static const char *tu_write(const char *name, const char *text, mode_t mode)
{
        static char path[PATH_MAX + 256];
        int fd;
        size_t n = strlen(text);

        snprintf(path, sizeof(path), "%s/%s", tu_tmpdir(), name);
        unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, n) != (ssize_t)n) {
                perror(path);
                abort();
        }
        close(fd);
        chmod(path, mode); /* whatever the umask says */
        return path;
}

/* Loads text as a configuration file. Returns the loader's code; *out is the
 * directory on success. diags receives the findings (pass NULL to ignore). */
__attribute__((unused)) static int tu_load(const char *name, const char *text, struct mailacct_dir **out, struct mailacct_diags *diags)
{
        struct mailacct_diags local;
        int r;

        if (!diags) {
                mailacct_diags_init(&local);
                diags = &local;
        }
        r = mailacct_file_load(tu_write(name, text, 0644), out, diags, NULL);
        if (diags == &local) {
                if (r < 0)
                        for (size_t i = 0; i < local.n; i++)
                                fprintf(stderr, "  %s:%d: %s\n", local.v[i].file ? local.v[i].file : "-",
                                        local.v[i].line, local.v[i].text);
                mailacct_diags_clear(&local);
        }
        return r;
}

/* The mailbox whose primary address is addr, or MAILACCT_NONE. */
__attribute__((unused)) static uint32_t tu_mailbox(const struct mailacct_dir *d, const char *addr)
{
        for (uint32_t i = 0; i < mailacct_dir_settings(d)->n_mailboxes; i++)
                if (strcmp(mailacct_dir_address(d, i), addr) == 0)
                        return i;
        return MAILACCT_NONE;
}
