/* SPDX-License-Identifier: MIT */
/* mailacct compile: the configuration (and its secrets file) to the indexes
 * the readers map, under the writer lock, where the readers look. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "declare.h"
#include "confscan.h"
#include "index.h"
#include "ixformat.h"
#include "lock.h"
#include "secrets.h"
#include "source.h"
#include "trust.h"

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

int cli_index_folder(const char *index_path, char *err, size_t len)
{
        int r = make_parent(index_path);

        if (r == 0)
                return trusted_folder(index_path, err, len);
        snprintf(err, len, "%s", strerror(-r));
        return r;
}

int cli_compile_secrets(const char *path, bool quiet)
{
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
        r = mailacct_secrets_write_index(s, path, &st, ipath, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "mailacct: compile: %s\n", err);
        else if (!quiet)
                printf("%s: %zu secrets, owner and mode of %s\n", ipath, mailacct_secrets_count(s), path);
        mailacct_secrets_free(s);
        return r;
}

/* An index left at the default place that names this configuration would
 * be taken for the current one by readers (docs/ARCHITECTURE.md): removed
 * once the index lives elsewhere. */
static void retire_default(const char *conf, const char *target)
{
        struct mailacct_index *ix;
        char dflt[4096], why[512];
        const char *named;

        if (mailacct_index_default_path(conf, dflt, sizeof(dflt)) < 0 || strcmp(dflt, target) == 0 ||
            mailacct_index_open(dflt, &ix, why, sizeof(why)) < 0)
                return;
        named = mailacct_index_conf_path(ix);
        if (named && strcmp(named, conf) == 0 && unlink(dflt) == 0)
                printf("%s: removed (the index of %s is %s now)\n", dflt, conf, target);
        mailacct_index_close(ix);
}

int cmd_compile(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"if-exists", no_argument, NULL, 'e'},
                CLI_LONG_COMMON,
                {},
        };
        struct mailacct_file_info info;
        bool if_exists = false;
        struct mailacct_index_meta meta;
        const char *output = NULL, *secrets;
        struct mailacct_dir *d;
        char target[4096], err[512];
        double t0 = now(), t1;
        int o, r, lock = -1, status = EXIT_FAILED;

        while ((o = getopt_long(argc, argv, CLI_SHORT("o:"), opts, NULL)) != -1) {
                switch (o) {
                case 'o':
                        output = optarg;
                        break;
                case 'e':
                        if_exists = true;
                        break;
                default:
                        if ((r = cli_option(c, o)) != CLI_GO_ON)
                                return r;
                }
        }
        if (optind != argc)
                return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
        if (mailacct_writer_target(c->config, target, sizeof(target)) < 0) {
                fprintf(stderr, "mailacct: compile: index path too long\n");
                return EXIT_CONFIG;
        }
        if (!output)
                output = target;
        if (if_exists) {
                struct stat ist;
                if (stat(output, &ist) < 0)
                        return EXIT_OK; /* nothing was compiled: nothing to upgrade */
        }
        r = cli_index_folder(output, err, sizeof(err));
        if (r < 0) {
                /* readers would refuse an index there: never write one */
                fprintf(stderr, "mailacct: compile: %s: %s\n", output, err);
                return EXIT_CONFIG;
        }
        /* one writer at a time, for the whole read-build-write */
        lock = mailacct_lock_take(output, 30, err, sizeof(err));
        if (lock < 0) {
                fprintf(stderr, "mailacct: compile: %s\n", err);
                return EXIT_FAILED;
        }
        cli_progress_start(c, "mailacct: compile: reading %s", c->config);
        d = cli_load_all(c, false, &info);
        cli_progress_stop();
        if (!d) {
                mailacct_lock_release(lock);
                return EXIT_CONFIG;
        }
        /* the index records what it was built from: the files parsed, not
         * ones replaced meanwhile; and it goes where the file now says */
        for (size_t i = 0; i < info.n_stamps; i++)
                if (!mailacct_stamp_current(&info.stamps[i])) {
                        fprintf(stderr, "mailacct: %s changed while it was read; run compile again\n", info.paths[i]);
                        goto out;
                }
        if (output == target && (info.index ? strcmp(info.index, target) != 0 : info.has_index)) {
                fprintf(stderr, "mailacct: %s: the index setting changed while it was read; run compile again\n",
                        c->config);
                goto out;
        }
        t1 = now();
        meta = (struct mailacct_index_meta){
                .conf_path = c->config,
                /* with an ldap group the index is the data (source/open.c) */
                .flags = (info.index ? IX_F_INDEX_SETTING : 0) | (info.ldap ? IX_F_LDAP : 0),
                .stamps = info.stamps,
                .n_stamps = info.n_stamps,
        };
        cli_progress_start(c, "mailacct: compile: writing %s (%zu mailboxes)", output,
                           mailacct_dir_settings(d)->n_mailboxes);
        /* d is freed once written: its tables go as the index's are written */
        r = mailacct_index_write_consume(d, &meta, output, 0644, err, sizeof(err));
        cli_progress_stop();
        if (r < 0) {
                fprintf(stderr, "mailacct: compile: %s\n", err);
                status = r == -ENOMEM ? EXIT_SOFTWARE : EXIT_FAILED;
                goto out;
        }
        {
                const struct mailacct_settings *s = mailacct_dir_settings(d);
                struct stat ist;
                double t2 = now();
                if (stat(output, &ist) == 0)
                        printf("%s: %zu mailboxes, %zu domains, %zu contacts; %.1f MiB; parse %.2f s, write %.2f s\n",
                               output, s->n_mailboxes, s->n_domains, s->n_contacts,
                               (double)ist.st_size / (1024.0 * 1024.0), t1 - t0, t2 - t1);
        }
        status = EXIT_OK;
        /* a delta beside the old base names that base: readers ignore it
         * now (the new base holds its changes); gone, it is not read at all */
        if (output == target) {
                char dpath[4200];
                if (mailacct_delta_path(target, dpath, sizeof(dpath)) == 0 && unlink(dpath) < 0 && errno != ENOENT)
                        fprintf(stderr, "mailacct: compile: %s: %s (readers ignore it)\n", dpath, strerror(errno));
        }
        if (output == target)
                retire_default(c->config, target);
        secrets = mailacct_dir_settings(d)->secrets;
        if (secrets && output == target && cli_compile_secrets(secrets, false) < 0)
                status = EXIT_FAILED;
        /* a cache keeps the old answers until told: name it and the cure */
        if (output == target)
                cli_cache_hints(stderr, cli_running_caches());
out:
        mailacct_file_info_free(&info);
        mailacct_dir_free(d);
        mailacct_lock_release(lock);
        return status;
}
