/* SPDX-License-Identifier: MIT */
/* Name-service caches that keep answering from before a compile: nscd
 * (and unscd) cache getpwnam() answers for up to an hour, SSSD's
 * memory cache for minutes. What changed in the index reaches programs
 * only once the cache forgets: say so, with the command that makes it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
        const char *comm; /* /proc/PID/comm */
        const char *name, *flush;
        const char *when; /* the condition under which it matters, or "" */
} caches[] = {
        {"nscd", "nscd", "nscd -i passwd", ""},
        {"unscd", "unscd", "nscd -i passwd", ""},
        /* SSSD keeps its own domains' answers only: it matters when a
         * proxy domain of its serves this module's names */
        {"sssd_nss", "sssd", "sss_cache -E", " (if a proxy domain of it serves these names)"},
};

#define N_CACHES (sizeof(caches) / sizeof(caches[0]))

static int comm_of(const char *pid, char *buf, size_t len)
{
        char path[64];
        ssize_t n;
        int fd;

        if (snprintf(path, sizeof(path), "/proc/%s/comm", pid) >= (int)sizeof(path))
                return -1;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        n = read(fd, buf, len - 1);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

unsigned cli_running_caches(void)
{
        unsigned found = 0;
        struct dirent *e;
        DIR *dir = opendir("/proc");

        if (!dir)
                return 0;
        while ((e = readdir(dir)) != NULL) {
                char comm[32];
                if (e->d_name[0] < '0' || e->d_name[0] > '9' || comm_of(e->d_name, comm, sizeof(comm)) < 0)
                        continue;
                for (size_t i = 0; i < N_CACHES; i++)
                        if (strcmp(comm, caches[i].comm) == 0)
                                found |= 1u << i;
        }
        closedir(dir);
        return found;
}

void cli_cache_hints(FILE *f, unsigned running)
{
        for (size_t i = 0; i < N_CACHES; i++)
                if (running & (1u << i))
                        fprintf(f,
                                "mailacct: note: %s is running and may answer getpwnam() from its cache%s: run '%s' "
                                "after a change\n",
                                caches[i].name, caches[i].when, caches[i].flush);
}

void cli_cache_json(struct cli_json *j, unsigned running)
{
        cli_json_array(j, "caches");
        for (size_t i = 0; i < N_CACHES; i++)
                if (running & (1u << i)) {
                        cli_json_object(j, NULL);
                        cli_json_str(j, "name", caches[i].name);
                        cli_json_str(j, "flush", caches[i].flush);
                        cli_json_end(j);
                }
        cli_json_end(j);
}
