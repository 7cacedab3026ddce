/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD shim for tests/hardening/hashwork.sh: every crypt_r() call a
 * process makes is passed on to libcrypt and noted, with its setting's
 * scheme and cost (never the password, never the salt or hash), as a line
 * "crypt_r SCHEME-AND-COST" appended to $CRYPT_COUNT_LOG ("crypt_r-calibration"
 * for the module timing a setting, lib/password.c). A login that skips
 * the dummy verification shows as a missing line; a cheaper dummy as a
 * different cost. */
#include <dlfcn.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <crypt.h>

typedef char *(*crypt_r_fn)(const char *, const char *, struct crypt_data *);

/* "$y$j9T$salt$hash" -> "$y$j9T$"; "$6$rounds=N$salt$" -> "$6$rounds=N$";
 * "$6$salt$" -> "$6$"; "$2b$05$..." -> "$2b$05$". */
static void cost_of(const char *setting, char *out, size_t len)
{
        size_t end = 0, dollars = 0, want = 2;

        if (!setting || setting[0] != '$') {
                snprintf(out, len, "%.2s", setting ? setting : "");
                return;
        }
        if (strncmp(setting, "$y$", 3) == 0 || strncmp(setting, "$gy$", 4) == 0 || strncmp(setting, "$2", 2) == 0)
                want = 3;
        else if ((strncmp(setting, "$5$", 3) == 0 || strncmp(setting, "$6$", 3) == 0) &&
                 strncmp(setting + 3, "rounds=", 7) == 0)
                want = 3;
        /* through the want-th '$' */
        for (; setting[end]; end++)
                if (setting[end] == '$' && ++dollars == want)
                        break;
        snprintf(out, len, "%.*s", (int)(setting[end] ? end + 1 : end), setting);
}

char *crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
        static crypt_r_fn real;
        const char *log = getenv("CRYPT_COUNT_LOG");
        char line[128], cost[64];

        /* The module that calls crypt_r() is dlopen'ed with its libcrypt
         * local to it, out of RTLD_NEXT's sight: ask that library itself. */
        if (!real)
                real = (crypt_r_fn)dlsym(RTLD_NEXT, "crypt_r");
        if (!real) {
                void *h = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
                if (h)
                        real = (crypt_r_fn)dlsym(h, "crypt_r");
        }
        if (log) {
                int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        cost_of(setting, cost, sizeof(cost));
                        /* the module's timing of each setting (once per
                         * file and process) is told apart from a login's
                         * verification by its fixed phrase */
                        snprintf(line, sizeof(line), "%s %s\n",
                                 phrase && strcmp(phrase, "mailacct-calibration") == 0 ? "crypt_r-calibration"
                                                                                        : "crypt_r",
                                 cost);
                        if (write(fd, line, strlen(line)) < 0)
                                perror(log);
                        close(fd);
                }
        }
        return real ? real(phrase, setting, data) : NULL;
}
