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
        if (st->index == MAILACCT_IX_STALE) {
                /* the note names the index first: said once here */
                size_t n = strlen(st->index_path);
                const char *why =
                        strncmp(st->note, st->index_path, n) == 0 && strncmp(st->note + n, " is stale: ", 11) == 0
                                ? st->note + n + 11
                                : st->note;
                printf("index:      %s (stale: %s)\n", st->index_path, why);
        } else if (st->index == MAILACCT_IX_CURRENT)
                printf("index:      %s (%s)\n", st->index_path, mailacct_index_state_name(st->index));
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

/* The --json form of one answer (mailacct(8) has the schema). */
static void json_result(struct cli_json *j, const struct mailacct_dir *d, const char *login,
                        const struct mailacct_result *r, bool explain, const struct mailacct_source_status *st)
{
        cli_json_object(j, NULL);
        cli_json_str(j, "login", login);
        cli_json_str(j, "result", r->reason == MAILACCT_OK ? "ok" : mailacct_reason_name(r->reason));
        cli_json_str(j, "canonical", r->reason == MAILACCT_OK ? r->canonical : NULL);
        cli_json_str(j, "mailbox", r->reason == MAILACCT_OK ? address(d, r->mailbox) : NULL);
        cli_json_str(j, "principal", r->reason == MAILACCT_OK ? address(d, r->principal) : NULL);
        cli_json_str(j, "message", r->reason == MAILACCT_OK ? NULL : r->message);
        if (explain) {
                const struct mailacct_settings *set = mailacct_dir_settings(d);
                struct mailacct_mbox_view v;
                const char *dn = NULL, *upn = NULL;
                cli_json_str(j, "form", mailacct_form_name(r->form));
                cli_json_str(j, "rule", r->rule);
                cli_json_str(j, "domain", r->domain == MAILACCT_NONE ? NULL : domain_name(d, r->domain));
                cli_json_array(j, "candidates");
                for (size_t i = 0; i < r->n_candidates; i++)
                        cli_json_str(j, NULL, address(d, r->candidates[i]));
                cli_json_end(j);
                cli_json_str(j, "why", r->reason == MAILACCT_OK ? r->why : NULL);
                cli_json_object(j, "origin");
                if (r->reason == MAILACCT_OK && mailacct_dir_mailbox(d, r->mailbox, &v) == 0) {
                        if (mailacct_dir_names(d, r->mailbox, &dn, &upn) == 0 && dn)
                                cli_json_str(j, "dn", dn);
                        else if (v.origin_file) {
                                cli_json_str(j, "file", v.origin_file);
                                cli_json_int(j, "line", v.origin_line);
                        }
                }
                cli_json_end(j);
                cli_json_object(j, "policy");
                cli_json_str(j, "bare_alias", mailacct_bare_policy_name(set->bare_alias));
                cli_json_bool(j, "case_sensitive", set->case_sensitive);
                cli_json_str(j, "canonical", mailacct_canonical_name(set->canonical));
                cli_json_end(j);
                cli_json_str(j, "source", st->from_index ? "index" : "configuration");
                cli_json_object(j, "index");
                cli_json_str(j, "path", st->index_path);
                cli_json_str(j, "state", mailacct_index_state_name(st->index));
                cli_json_end(j);
        }
        cli_json_end(j);
}

int cmd_resolve(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"explain", no_argument, NULL, 'e'},
                CLI_LONG_COMMON,
                CLI_LONG_JSON,
                {},
        };
        bool want_explain = strcmp(c->cmd->name, "explain") == 0;
        struct mailacct_source_status st;
        struct mailacct_result *r;
        struct mailacct_dir *d;
        struct cli_json j;
        int o, status = EXIT_OK;

        while ((o = getopt_long(argc, argv, CLI_SHORT("e"), opts, NULL)) != -1) {
                if (o == 'e')
                        want_explain = true;
                else if ((status = cli_option(c, o)) != CLI_GO_ON)
                        return status;
        }
        status = EXIT_OK;
        if (optind >= argc)
                return cli_usage_error(c, "no login given");
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
        if (c->json) {
                cli_json_start(&j, stdout);
                cli_json_array(&j, NULL);
        }
        for (int i = optind; i < argc; i++) {
                int ok = mailacct_resolve(d, argv[i], r) == 0;
                if (c->json)
                        json_result(&j, d, argv[i], r, want_explain, &st);
                else if (want_explain)
                        explain(d, argv[i], r, &st);
                else if (ok)
                        printf("%s\n", r->canonical);
                if (!ok) {
                        if (!c->json) {
                                fflush(stdout);
                                fprintf(stderr, "mailacct: %s: %s: %s\n", argv[i], mailacct_reason_name(r->reason),
                                        r->message);
                        }
                        status = EXIT_FAILED;
                }
        }
        if (c->json)
                cli_json_end(&j);
        free(r);
        mailacct_dir_free(d);
        mailacct_source_status_free(&st);
        return status;
}
