/* SPDX-License-Identifier: MIT */
/* mailacct list: the mailboxes (or contacts) the modules see, from the
 * index when there is one, streamed: a million lines cost no memory. */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int list_contacts(const struct cli *c, const struct mailacct_dir *d, struct cli_json *j)
{
        size_t n = mailacct_dir_settings(d)->n_contacts;

        for (uint32_t i = 0; i < n; i++) {
                struct mailacct_contact_view v;
                if (mailacct_dir_contact(d, i, &v) < 0) {
                        fprintf(stderr, "mailacct: list: contact %u: the index is damaged\n", i);
                        return EXIT_CONFIG;
                }
                if (c->json) {
                        cli_json_object(j, NULL);
                        cli_json_str(j, "alias", v.alias);
                        cli_json_str(j, "address", v.address);
                        cli_json_end(j);
                } else
                        printf("%s\t%s\n", v.alias, v.address);
        }
        return EXIT_OK;
}

static int list_mailboxes(const struct cli *c, const struct mailacct_dir *d, uint32_t domain, struct cli_json *j)
{
        size_t n = mailacct_dir_settings(d)->n_mailboxes;

        for (uint32_t i = 0; i < n; i++) {
                struct mailacct_mbox_view v;
                uid_t uid = 0;
                gid_t gid = 0;
                bool ids;
                int r = mailacct_dir_mailbox(d, i, &v);
                /* a mailbox a delta removed: its id stays until the next full build */
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        fprintf(stderr, "mailacct: list: mailbox %u: the index is damaged\n", i);
                        return EXIT_CONFIG;
                }
                if (domain != MAILACCT_NONE && v.domain != domain)
                        continue;
                ids = mailacct_dir_ids(d, i, &uid, &gid) == 0;
                if (c->json) {
                        cli_json_object(j, NULL);
                        cli_json_str(j, "address", v.address);
                        if (ids) {
                                cli_json_int(j, "uid", uid);
                                cli_json_int(j, "gid", gid);
                        } else {
                                cli_json_str(j, "uid", NULL);
                                cli_json_str(j, "gid", NULL);
                        }
                        cli_json_bool(j, "enabled", v.enabled);
                        cli_json_str(j, "name", v.name);
                        cli_json_end(j);
                } else if (ids)
                        printf("%s\t%lu\t%s\t%s\n", v.address, (unsigned long)uid, v.enabled ? "enabled" : "disabled",
                               v.name ? v.name : "");
                else
                        printf("%s\t-\t%s\t%s\n", v.address, v.enabled ? "enabled" : "disabled", v.name ? v.name : "");
        }
        return EXIT_OK;
}

int cmd_list(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"domain", required_argument, NULL, 'd'},
                {"contacts", no_argument, NULL, 'C'},
                CLI_LONG_COMMON,
                CLI_LONG_JSON,
                {},
        };
        struct mailacct_source_status st;
        const char *domain_name = NULL;
        uint32_t domain = MAILACCT_NONE;
        bool contacts = false;
        struct mailacct_dir *d;
        struct cli_json j;
        int o, status;

        while ((o = getopt_long(argc, argv, CLI_SHORT("d:"), opts, NULL)) != -1) {
                if (o == 'd')
                        domain_name = optarg;
                else if (o == 'C')
                        contacts = true;
                else if ((status = cli_option(c, o)) != CLI_GO_ON)
                        return status;
        }
        if (optind != argc)
                return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
        if (contacts && domain_name)
                return cli_usage_error(c, "--domain lists mailboxes; contacts have no domain of their own");
        d = cli_open(c, &st);
        if (!d) {
                mailacct_source_status_free(&st);
                return EXIT_CONFIG;
        }
        if (domain_name) {
                domain = mailacct_dir_find_domain(d, domain_name);
                if (domain == MAILACCT_NONE) {
                        fprintf(stderr, "mailacct: list: %s: no hosted domain has this name, alias or NetBIOS name\n",
                                domain_name);
                        mailacct_dir_free(d);
                        mailacct_source_status_free(&st);
                        return EXIT_FAILED;
                }
        }
        if (c->json) {
                cli_json_start(&j, stdout);
                cli_json_array(&j, NULL);
        }
        status = contacts ? list_contacts(c, d, &j) : list_mailboxes(c, d, domain, &j);
        if (c->json)
                cli_json_end(&j);
        if (fflush(stdout) != 0 && status == EXIT_OK) {
                perror("mailacct: list");
                status = EXIT_FAILED;
        }
        mailacct_dir_free(d);
        mailacct_source_status_free(&st);
        return status;
}
