/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "resolve.h"

static const char *domain_name(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_domain_view v;

        return id == MAILACCT_NONE || mailacct_dir_domain(d, id, &v) < 0 ? "-" : v.name;
}

static const char *address(const struct mailacct_dir *d, uint32_t id)
{
        const char *a = mailacct_dir_address(d, id);

        return a ? a : "?";
}

static void explain(const struct mailacct_dir *d, const char *login, const struct mailacct_result *r, bool from_index)
{
        printf("login:      %s\n", login);
        printf("source:     %s\n", from_index ? "compiled index" : "configuration");
        printf("form:       %s (rule %s)\n", mailacct_form_name(r->form), r->rule);
        printf("domain:     %s\n", domain_name(d, r->domain));
        printf("policy:     bare_alias = %s, case_sensitive = %s, canonical = %s\n",
               mailacct_bare_policy_name(d->bare_alias), d->case_sensitive ? "true" : "false",
               mailacct_canonical_name(d->canonical));
        printf("candidates:");
        if (r->n_candidates == 0)
                printf(" none");
        for (size_t i = 0; i < r->n_candidates; i++)
                printf("%s %s", i ? "," : "", address(d, r->candidates[i]));
        printf("\n");
        if (r->reason == MAILACCT_OK) {
                printf("mailbox:    %s\n", address(d, r->mailbox));
                printf("principal:  %s%s\n", address(d, r->principal),
                       r->principal == r->mailbox ? "" : " (authenticates with its own password)");
                printf("why:        %s\n", r->why);
                printf("canonical:  %s\n", r->canonical);
        } else {
                printf("result:     %s\n", mailacct_reason_name(r->reason));
                printf("message:    %s\n", r->message);
        }
        printf("\n");
}

int cmd_resolve(const struct cli *c, int argc, char **argv, bool want_explain)
{
        static const struct option opts[] = {
                {"explain", no_argument, NULL, 'e'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct mailacct_result *r;
        struct mailacct_dir *d;
        int o, status = EXIT_OK;
        bool from_index = false;

        while ((o = getopt_long(argc, argv, "+eh", opts, NULL)) != -1) {
                switch (o) {
                case 'e':
                        want_explain = true;
                        break;
                case 'h':
                        printf("Usage: mailacct [-c FILE] resolve [--explain] LOGIN...\n");
                        return EXIT_OK;
                default:
                        fprintf(stderr, "Usage: mailacct [-c FILE] resolve [--explain] LOGIN...\n");
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "mailacct: resolve: no login given\nUsage: mailacct [-c FILE] resolve [--explain] "
                                "LOGIN...\n");
                return EXIT_USAGE;
        }
        d = cli_open(c, &from_index);
        if (!d)
                return EXIT_CONFIG;
        r = malloc(sizeof(*r));
        if (!r) {
                mailacct_dir_free(d);
                return EXIT_SOFTWARE;
        }
        for (int i = optind; i < argc; i++) {
                int ok = mailacct_resolve(d, argv[i], r) == 0;
                if (want_explain)
                        explain(d, argv[i], r, from_index);
                else if (ok)
                        printf("%s\n", r->canonical);
                if (!ok) {
                        fflush(stdout);
                        fprintf(stderr, "mailacct: %s: %s: %s\n", argv[i], mailacct_reason_name(r->reason), r->message);
                        status = EXIT_FAILED;
                }
        }
        free(r);
        mailacct_dir_free(d);
        return status;
}
