/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"
#include "index.h"
#include "source.h"

/* why as mailacct_index_open() gives it, without the path the finding names */
static const char *after_path(const char *why, const char *path)
{
        size_t n = strlen(path);

        return strncmp(why, path, n) == 0 && why[n] == ':' ? why + n + 2 : why;
}

/* What the modules make of an index: not trusted (someone else could have
 * written it), damaged, of another format, or built from another version of
 * the configuration. A missing index is no finding: the file answers. */
static void index_findings(const char *conf, const char *ipath, bool secrets, struct mailacct_diags *diags)
{
        struct mailacct_index *ix = NULL;
        struct stat st;
        char why[1024];
        int r;

        if (lstat(ipath, &st) < 0)
                return;
        r = secrets ? mailacct_index_open_secrets(ipath, &ix, NULL, why, sizeof(why))
                    : mailacct_index_open(ipath, &ix, why, sizeof(why));
        if (r == -EPERM)
                mailacct_diag_add(diags, MAILACCT_ERROR, ipath, 0,
                                  "%s; the modules ignore it (remove it, then run "
                                  "'mailacct compile')",
                                  after_path(why, ipath));
        else if (r == -EPROTO)
                mailacct_diag_add(diags, MAILACCT_WARNING, ipath, 0, "%s", after_path(why, ipath));
        else if (r < 0)
                mailacct_diag_add(diags, MAILACCT_ERROR, ipath, 0, "%s", after_path(why, ipath));
        else if (!secrets && stat(conf, &st) == 0) {
                struct mailacct_index_source src;
                mailacct_index_source_of(&st, &src);
                if (!mailacct_index_matches(ix, &src))
                        mailacct_diag_add(diags, MAILACCT_WARNING, ipath, 0,
                                          "stale: compiled from another version of %s; the modules parse the "
                                          "configuration until 'mailacct compile'",
                                          conf);
        }
        mailacct_index_close(ix);
}

int cmd_check(const struct cli *c, int argc, char **argv)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        char ipath[4096];
        int status;

        (void)argv;
        if (argc > 1) {
                fprintf(stderr, "Usage: mailacct [-c FILE] check\n");
                return EXIT_USAGE;
        }
        mailacct_diags_init(&diags);
        if (mailacct_config_load(c->config, &d, &diags) == 0) {
                mailacct_config_warnings(d, c->config, &diags);
                if (mailacct_source_index_path(c->config, ipath, sizeof(ipath)) == 0)
                        index_findings(c->config, ipath, false, &diags);
                if (d->secrets && snprintf(ipath, sizeof(ipath), "%s.idx", d->secrets) < (int)sizeof(ipath))
                        index_findings(c->config, ipath, true, &diags);
        }
        cli_print_diags(stdout, &diags, c->config);
        status = diags.errors ? EXIT_CONFIG : diags.warnings ? EXIT_FAILED : EXIT_OK;
        if (status == EXIT_OK && d)
                printf("%s: ok: %zu domains, %zu mailboxes, %zu contacts\n", c->config, d->n_domains, d->n_mailboxes,
                       d->n_contacts);
        else
                printf("%s: %zu errors, %zu warnings\n", c->config, diags.errors, diags.warnings);
        mailacct_diags_clear(&diags);
        mailacct_dir_free(d);
        return status;
}
