/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "index.h"
#include "lint.h"
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
        else if (!secrets) {
                struct mailacct_source_status sst;
                struct mailacct_diags none;
                struct mailacct_dir *d = NULL;
                /* what a module makes of it: the same policy, the same words */
                mailacct_diags_init(&none);
                (void)mailacct_source_open(conf, &d, &none, &sst);
                if (sst.index == MAILACCT_IX_STALE)
                        mailacct_diag_add(diags, MAILACCT_WARNING, ipath, 0, "%s; %s until 'mailacct compile'",
                                          after_path(sst.note, ipath),
                                          sst.from_index ? "the stale index answers"
                                                         : "the modules parse the configuration");
                mailacct_dir_free(d);
                mailacct_source_status_free(&sst);
                mailacct_diags_clear(&none);
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
        if (mailacct_file_load(c->config, &d, &diags, NULL) == 0) {
                const char *secrets = mailacct_dir_settings(d)->secrets;
                mailacct_lint(d, c->config, &diags);
                if (mailacct_index_locate(c->config, ipath, sizeof(ipath)) == 0)
                        index_findings(c->config, ipath, false, &diags);
                if (secrets && snprintf(ipath, sizeof(ipath), "%s.idx", secrets) < (int)sizeof(ipath))
                        index_findings(c->config, ipath, true, &diags);
        }
        cli_print_diags(stdout, &diags, c->config);
        status = diags.errors ? EXIT_CONFIG : diags.warnings ? EXIT_FAILED : EXIT_OK;
        if (status == EXIT_OK && d)
                printf("%s: ok: %zu domains, %zu mailboxes, %zu contacts\n", c->config,
                       mailacct_dir_settings(d)->n_domains, mailacct_dir_settings(d)->n_mailboxes,
                       mailacct_dir_settings(d)->n_contacts);
        else
                printf("%s: %zu errors, %zu warnings\n", c->config, diags.errors, diags.warnings);
        mailacct_diags_clear(&diags);
        mailacct_dir_free(d);
        return status;
}
