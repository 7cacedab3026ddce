/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "index.h"
#include "secrets.h"
#include "source.h"
#include "trust.h"

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* mkdir -p of the index's folder, for the default /var/lib/mailacct */
static int make_parent(const char *path)
{
        char *copy = strdup(path), *dir;
        struct stat st;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        if (stat(dir, &st) < 0) {
                r = make_parent(dir);
                if (r == 0 && mkdir(dir, 0755) < 0 && errno != EEXIST)
                        r = -errno;
        }
        free(copy);
        return r;
}

/* The folder a file is about to be written to passes the readers' test. */
static int trusted_folder(const char *path, char *err, size_t len)
{
        char *copy = strdup(path);
        int r;

        if (!copy)
                return -ENOMEM;
        r = mailacct_trust_dir(dirname(copy), err, len);
        free(copy);
        return r;
}

int cli_compile_secrets(const char *path, bool quiet)
{
        struct mailacct_index_source src;
        struct mailacct_secrets *s;
        char ipath[4096], err[512];
        struct stat st;
        int r;

        /* the index is written only for a file the modules would accept */
        r = mailacct_secrets_load_file(path, &s, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "mailacct: compile: secrets index not written: %s\n", err);
                return r;
        }
        if (stat(path, &st) < 0 || snprintf(ipath, sizeof(ipath), "%s.idx", path) >= (int)sizeof(ipath)) {
                mailacct_secrets_free(s);
                return -EIO;
        }
        mailacct_index_source_of(&st, &src);
        r = mailacct_secrets_write_index(s, &src, ipath, &st, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "mailacct: compile: %s\n", err);
        else if (!quiet)
                printf("%s: %zu secrets, owner and mode of %s\n", ipath, mailacct_secrets_count(s), path);
        mailacct_secrets_free(s);
        return r;
}

int cmd_compile(const struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *output = NULL;
        struct mailacct_index_source src;
        struct mailacct_dir *d;
        struct stat before, after;
        char ipath[4096], err[512];
        double t0 = now(), t1;
        bool explicit_output;
        int o, r;

        while ((o = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
                switch (o) {
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        printf("Usage: mailacct [-c FILE] compile [--output PATH]\n");
                        return EXIT_OK;
                default:
                        fprintf(stderr, "Usage: mailacct [-c FILE] compile [--output PATH]\n");
                        return EXIT_USAGE;
                }
        }
        if (optind != argc) {
                fprintf(stderr, "Usage: mailacct [-c FILE] compile [--output PATH]\n");
                return EXIT_USAGE;
        }
        if (stat(c->config, &before) < 0) {
                fprintf(stderr, "mailacct: %s: %s\n", c->config, strerror(errno));
                return EXIT_CONFIG;
        }
        d = cli_load(c, false);
        if (!d)
                return EXIT_CONFIG;
        /* the index records which file it was built from: that must be the
         * file that was parsed, not one replaced meanwhile */
        if (stat(c->config, &after) < 0 || !same_stat(&before, &after)) {
                fprintf(stderr, "mailacct: %s changed while it was read; run compile again\n", c->config);
                mailacct_dir_free(d);
                return EXIT_CONFIG;
        }
        if (mailacct_source_index_path(c->config, ipath, sizeof(ipath)) < 0) {
                fprintf(stderr, "mailacct: index path too long\n");
                mailacct_dir_free(d);
                return EXIT_CONFIG;
        }
        explicit_output = output != NULL;
        if (!output)
                output = ipath;
        t1 = now();
        mailacct_index_source_of(&after, &src);
        r = make_parent(output);
        if (r == 0)
                r = trusted_folder(output, err, sizeof(err));
        else
                snprintf(err, sizeof(err), "%s: %s", output, strerror(-r));
        if (r == -EPERM) {
                /* readers would refuse an index there: never write one */
                fprintf(stderr, "mailacct: compile: %s: %s\n", output, err);
                mailacct_dir_free(d);
                return EXIT_CONFIG;
        }
        if (r == 0)
                r = mailacct_index_write(d, &src, output, 0644, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "mailacct: compile: %s\n", err);
                mailacct_dir_free(d);
                return r == -ENOMEM ? EXIT_SOFTWARE : EXIT_FAILED;
        }
        {
                struct stat ist;
                double t2 = now();
                if (stat(output, &ist) == 0)
                        printf("%s: %zu mailboxes, %zu domains, %zu contacts; %.1f MiB; parse %.2f s, write %.2f s\n",
                               output, d->n_mailboxes, d->n_domains, d->n_contacts,
                               (double)ist.st_size / (1024.0 * 1024.0), t1 - t0, t2 - t1);
        }
        if (d->secrets && !explicit_output && cli_compile_secrets(d->secrets, false) < 0) {
                mailacct_dir_free(d);
                return EXIT_FAILED;
        }
        mailacct_dir_free(d);
        return EXIT_OK;
}
