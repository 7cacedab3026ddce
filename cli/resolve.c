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

static void explain(const struct mailacct_dir *d, const char *login, const struct mailacct_result *r,
                    const struct mailacct_source_status *st)
{
        const struct mailacct_settings *set = mailacct_dir_settings(d);

        printf("login:      %s\n", login);
        printf("source:     %s\n", st->from_index ? "compiled index" : "configuration");
        if (st->index == MAILACCT_IX_CURRENT || st->index == MAILACCT_IX_STALE)
                printf("index:      %s (%s%s%s)\n", st->index_path, mailacct_index_state_name(st->index),
                       st->index == MAILACCT_IX_STALE ? ": " : "", st->index == MAILACCT_IX_STALE ? st->note : "");
        else
                printf("index:      %s (%s)\n", st->index_path, mailacct_index_state_name(st->index));
        printf("form:       %s (rule %s)\n", mailacct_form_name(r->form), r->rule);
        printf("domain:     %s\n", domain_name(d, r->domain));
        printf("policy:     bare_alias = %s, case_sensitive = %s, canonical = %s\n",
               mailacct_bare_policy_name(set->bare_alias), set->case_sensitive ? "true" : "false",
               mailacct_canonical_name(set->canonical));
        printf("candidates:");
        if (r->n_candidates == 0)
                printf(" none");
        for (size_t i = 0; i < r->n_candidates; i++)
                printf("%s %s", i ? "," : "", address(d, r->candidates[i]));
        printf("\n");
        if (r->reason == MAILACCT_OK) {
                struct mailacct_mbox_view v;
                const char *dn = NULL, *upn = NULL;
                printf("mailbox:    %s\n", address(d, r->mailbox));
                if (mailacct_dir_mailbox(d, r->mailbox, &v) == 0) {
                        if (mailacct_dir_names(d, r->mailbox, &dn, &upn) == 0 && dn)
                                printf("origin:     %s\n", dn);
                        else if (v.origin_file)
                                printf("origin:     %s:%d\n", v.origin_file, v.origin_line);
                }
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
        struct mailacct_source_status st;
        struct mailacct_result *r;
        struct mailacct_dir *d;
        int o, status = EXIT_OK;

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
        d = cli_open(c, &st);
        if (!d) {
                mailacct_source_status_free(&st);
                return EXIT_CONFIG;
        }
        r = malloc(sizeof(*r));
        if (!r) {
                mailacct_dir_free(d);
                mailacct_source_status_free(&st);
                return EXIT_SOFTWARE;
        }
        for (int i = optind; i < argc; i++) {
                int ok = mailacct_resolve(d, argv[i], r) == 0;
                if (want_explain)
                        explain(d, argv[i], r, &st);
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
        mailacct_source_status_free(&st);
        return status;
}
