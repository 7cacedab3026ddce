/* SPDX-License-Identifier: MIT */
/* The writers' load of the configuration (compile, passwd): the file and,
 * when its mailboxes come from a directory, the store the last sync left
 * beside the index. */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "declare.h"

struct mailacct_dir *cli_load_all(const struct cli *c, bool print_warnings, struct mailacct_file_info *info)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        int r;

        mailacct_diags_init(&diags);
        r = mailacct_source_load(c->config, &d, &diags, info);
        if (r < 0 || print_warnings) {
                /* findings belong on stderr when stdout carries answers */
                fflush(stdout);
                cli_print_diags(stderr, &diags, c->config);
        }
        if (r < 0)
                fprintf(stderr, "%s: configuration %s is unusable%s\n", c->argv0, c->config,
                        r == -EINVAL ? " (see the errors above; run 'mailacct check')" : "");
        mailacct_diags_clear(&diags);
        return r < 0 ? NULL : d;
}
