/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef MAILACCT_VERSION
#define MAILACCT_VERSION "0.1"
#endif

static void usage(FILE *f)
{
        fputs("Usage: mailacct [-c FILE] COMMAND [ARGS...]\n"
              "\n"
              "Resolve mail logins (jdoe, EXAMPLE\\jdoe, EXAMPLE\\assistant\\jdoe, jdoe@example.com)\n"
              "to one canonical mailbox, as pam_mailacct(8) and libnss_mailacct(8) do.\n"
              "\n"
              "Commands:\n"
              "  resolve [--explain] LOGIN...  print the canonical identity of each login\n"
              "  explain LOGIN...              same as resolve --explain\n"
              "  check                         report every error and warning in the configuration\n"
              "  passwd [--scheme S] ADDRESS   set a mailbox's password in the secrets file\n"
              "  test [--service S] LOGIN      run LOGIN through the PAM stack of S (default dovecot)\n"
              "  compile [--output PATH]       write the compiled index the modules map\n"
              "  sync [--dry-run] [--force]    pull the mailboxes of the ldap group's directory\n"
              "\n"
              "Options:\n"
              "  -c, --config FILE  configuration (default: $MAILACCT_CONF, else " MAILACCT_CONF_DEFAULT ")\n"
              "  -h, --help         show this help\n"
              "  -V, --version      show the version\n"
              "\n"
              "Exit status: 0 success, 1 a login failed or check found warnings,\n"
              "2 configuration unusable or check found errors, 64 usage error.\n"
              "See mailacct(8) and mailacct.conf(5).\n",
              f);
}

void cli_print_diags(FILE *f, const struct mailacct_diags *d, const char *file)
{
        for (size_t i = 0; i < d->n; i++) {
                const struct mailacct_diag *e = &d->v[i];
                const char *sev = e->severity == MAILACCT_ERROR ? "error" : "warning";
                if (e->line > 0)
                        fprintf(f, "%s:%d: %s: %s\n", e->file ? e->file : file, e->line, sev, e->text);
                else
                        fprintf(f, "%s: %s: %s\n", e->file ? e->file : file, sev, e->text);
        }
}

struct mailacct_dir *cli_load(const struct cli *c, bool print_warnings, struct mailacct_file_info *info)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        int r;

        mailacct_diags_init(&diags);
        r = mailacct_file_load(c->config, &d, &diags, info);
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

struct mailacct_dir *cli_open(const struct cli *c, struct mailacct_source_status *st)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        int r;

        mailacct_diags_init(&diags);
        r = mailacct_source_open(c->config, &d, &diags, st);
        if (r < 0) {
                fflush(stdout);
                cli_print_diags(stderr, &diags, c->config);
                if (r == -EIO)
                        fprintf(stderr, "%s: %s: %s (the modules fail closed as well)\n", c->argv0, c->config,
                                st->note);
                else
                        fprintf(stderr, "%s: configuration %s is unusable%s\n", c->argv0, c->config,
                                r == -EINVAL ? " (see the errors above; run 'mailacct check')" : "");
        } else if (st->note[0])
                fprintf(stderr, "%s: note: %s; %s (run 'mailacct compile')\n", c->argv0, st->note,
                        st->from_index ? "the stale index answers" : "answering from the configuration");
        mailacct_diags_clear(&diags);
        return r < 0 ? NULL : d;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        struct cli c = {.argv0 = "mailacct"};
        const char *cmd;
        int o;

        c.config = secure_getenv("MAILACCT_CONF");
        if (!c.config || !*c.config)
                c.config = MAILACCT_CONF_DEFAULT;
        /* '+': options after the command belong to the command */
        while ((o = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
                switch (o) {
                case 'c':
                        c.config = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("mailacct %s\n", MAILACCT_VERSION);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "mailacct: no command given\n");
                usage(stderr);
                return EXIT_USAGE;
        }
        cmd = argv[optind];
        argc -= optind;
        argv += optind;
        optind = 1;
        if (strcmp(cmd, "resolve") == 0)
                return cmd_resolve(&c, argc, argv, false);
        if (strcmp(cmd, "explain") == 0)
                return cmd_resolve(&c, argc, argv, true);
        if (strcmp(cmd, "check") == 0)
                return cmd_check(&c, argc, argv);
        if (strcmp(cmd, "passwd") == 0)
                return cmd_passwd(&c, argc, argv);
        if (strcmp(cmd, "test") == 0)
                return cmd_test(&c, argc, argv);
        if (strcmp(cmd, "compile") == 0)
                return cmd_compile(&c, argc, argv);
        if (strcmp(cmd, "sync") == 0)
                return cmd_sync(&c, argc, argv);
        if (strcmp(cmd, "help") == 0) {
                usage(stdout);
                return EXIT_OK;
        }
        fprintf(stderr, "mailacct: unknown command \"%s\"\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
}
