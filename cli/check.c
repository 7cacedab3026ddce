/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli.h"
#include "config.h"

int cmd_check(const struct cli *c, int argc, char **argv)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        int status;

        (void)argv;
        if (argc > 1) {
                fprintf(stderr, "Usage: mailacct [-c FILE] check\n");
                return EXIT_USAGE;
        }
        mailacct_diags_init(&diags);
        if (mailacct_config_load(c->config, &d, &diags) == 0)
                mailacct_config_warnings(d, c->config, &diags);
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
