/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef MAILACCT_VERSION
#define MAILACCT_VERSION "0.1"
#endif

static const struct cli_command commands[] = {
        {"resolve", cmd_resolve, "[--explain] [--json] LOGIN...", "print the canonical identity of each login",
         "Prints the canonical name of each LOGIN, as the modules give it, one per line;\n"
         "a login that does not resolve is reported on stderr with its reason code.\n"
         "  -e, --explain  how each was decided (the form, the rule, the candidates)\n"
         "  --json         one JSON document (schema in mailacct(8))\n"},
        {"explain", cmd_resolve, "[--json] LOGIN...", "same as resolve --explain",
         "Shows how each LOGIN resolves: its form, the rule that decided, the\n"
         "candidates, the mailbox, who authenticates and where the answer came from.\n"
         "  --json  one JSON document (schema in mailacct(8))\n"},
        {"show", cmd_show, "[--json] LOGIN|ADDRESS", "everything about one mailbox",
         "Shows the mailbox LOGIN resolves to: its addresses, aliases, NT account,\n"
         "every login that reaches it, its origin, services, delegates, passwd entry\n"
         "and whether it has a password.\n"
         "  --json  one JSON document (schema in mailacct(8))\n"},
        {"list", cmd_list, "[--domain DOMAIN] [--contacts] [--json]", "list the mailboxes (or contacts)",
         "Lists the mailboxes, one per line: address, uid, enabled, name.\n"
         "  -d, --domain DOMAIN  only those of DOMAIN (its name, an alias or NetBIOS name)\n"
         "  --contacts           the contacts instead (alias, address)\n"
         "  --json               one JSON document (schema in mailacct(8))\n"},
        {"check", cmd_check, "[--json] [--online]", "report every error and warning",
         "Reads the configuration, its secrets file and its index as the modules\n"
         "would and reports every finding. Exit 0: clean; 1: warnings; 2: errors.\n"
         "With an `ldap` group: the index's age and the last successful sync.\n"
         "  --json    one JSON document (schema in mailacct(8))\n"
         "  --online  test each server of the `ldap` group: connection, TLS, bind,\n"
         "            each base and its counts (3: none reachable)\n"},
        {"compile", cmd_compile, "[--output PATH] [--if-exists]", "write the compiled index the modules map",
         "Writes the compiled index (and the secrets file's index) where the\n"
         "modules look for it: the configuration's `index` setting, else\n"
         "" MAILACCT_STATE_DIR "/NAME.idx.\n"
         "  -o, --output PATH  write there instead (the modules do not look there)\n"
         "  --if-exists        only when an index exists already (make install's upgrade)\n"},
        {"sync", cmd_sync, "[--dry-run] [--force] [--full] [--watch] [--json]",
         "pull the mailboxes of the ldap group's directory",
         "Pulls the mailboxes and contacts of the configuration's `ldap` group from the\n"
         "first server of `uri` that answers and writes the index (and the store of\n"
         "synced entries beside it). Incremental (RFC 4533 refreshOnly, from the last\n"
         "sync's cookies; on Active Directory uSNChanged, from the DC's last USN) when\n"
         "the server offers it and the last sync left a state for this\n"
         "configuration: the changes go to a delta beside the index. Else,\n"
         "and with --full, a full pull; the summary says which, and why. Exit 0:\n"
         "synced; 2: the configuration (or a certificate, credentials, a base); 3: no\n"
         "server reachable; 4: refused by max_removal.\n"
         "  -n, --dry-run  print what would be added, changed and removed; write nothing\n"
         "  -f, --force    write even when more than max_removal percent would go\n"
         "  --full         a full pull and a new index, whatever the state allows\n"
         "  --watch        stay: a sync, then another each time the directory reports a\n"
         "                 change (RFC 4533 refreshAndPersist; AD: its USN, read every\n"
         "                 2 s; else every minute)\n"
         "  --json         the summary as one JSON document (schema in mailacct(8))\n"},
        {"import", cmd_import, "[--dry-run] [--update] [--domain D] [--shadow FILE] [--min-uid N] FORMAT FILE",
         "bring accounts in from what a site has",
         "Adds the mailboxes of FILE to the configuration (creating it when it does not\n"
         "exist) and their password hashes to its secrets file. FORMAT: dovecot-passwd\n"
         "(a passwd-file, {SCHEME} prefixes), passwd (with --shadow and --domain), csv\n"
         "(a header row naming the fields: address, aliases, addresses, nt_account,\n"
         "name, uid, gid, home, shell, password_hash, services, enabled), ldif.\n"
         "An account already there with the same data is skipped; one that differs is\n"
         "reported and left as it is. Crypt hashes are carried over, clear text is\n"
         "hashed (yescrypt), other schemes are listed, never guessed.\n"
         "  -n, --dry-run        say what would change; write nothing\n"
         "  -u, --update         change the mailboxes that differ\n"
         "  -d, --domain DOMAIN  the domain of names without one\n"
         "  -s, --shadow FILE    passwd: the hashes (/etc/shadow)\n"
         "  -m, --min-uid N      passwd: the first user uid (default 1000)\n"},
        {"passwd", cmd_passwd, "[--scheme yescrypt|sha512|bcrypt] ADDRESS", "set a mailbox's password",
         "Sets ADDRESS's password in the secrets file, asked twice on the terminal\n"
         "or read as one line from standard input.\n"
         "  -s, --scheme S  yescrypt (default), sha512 or bcrypt\n"},
        {"test", cmd_test, "[--service SERVICE] [--pam-dir DIR] LOGIN", "run a login through a PAM stack",
         "Runs LOGIN through the PAM stack of SERVICE (default imap): pam_authenticate,\n"
         "then pam_acct_mgmt, and prints the final PAM_USER and pam_mailacct's reason\n"
         "code. The password is asked on the terminal, or read as one line from\n"
         "standard input.\n"
         "  -s, --service SERVICE  the PAM service (the file in /etc/pam.d)\n"
         "  -d, --pam-dir DIR      read the service file from DIR instead of /etc/pam.d\n"
         "The stack names its own configuration (pam_mailacct config=): -c is not used.\n"},
};

static const struct cli_command *find_command(const char *name)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

static void usage(FILE *f)
{
        fputs("Usage: mailacct [-c FILE] COMMAND [ARGS...]\n"
              "\n"
              "Resolve mail logins (jdoe, EXAMPLE\\jdoe, EXAMPLE\\assistant\\jdoe, jdoe@example.com)\n"
              "to one canonical mailbox, as pam_mailacct(8) and libnss_mailacct(8) do.\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
        fputs("\n"
              "Options (before or after the command):\n"
              "  -c, --config FILE  configuration (default: $MAILACCT_CONF, else " MAILACCT_CONF_DEFAULT ")\n"
              "  -h, --help         show this help, or a command's (mailacct COMMAND --help)\n"
              "Before a command only:\n"
              "  -V, --version      show the version\n"
              "\n"
              "Exit status: 0 success; 1 a login failed or check found warnings;\n"
              "2 configuration unusable or check found errors; 64 usage error;\n"
              "70 internal error (out of memory). See mailacct(8) and mailacct.conf(5).\n",
              f);
}

static void command_usage(const struct cli_command *cmd, FILE *f)
{
        fprintf(f, "Usage: mailacct [-c FILE] %s %s\n", cmd->name, cmd->args);
}

int cli_option(struct cli *c, int o)
{
        switch (o) {
        case 'c':
                c->config = optarg;
                return CLI_GO_ON;
        case 'j':
                c->json = true;
                return CLI_GO_ON;
        case 'h':
                command_usage(c->cmd, stdout);
                fputs("\n", stdout);
                fputs(c->cmd->help, stdout);
                fputs("  -c, --config FILE  the configuration\n"
                      "  -h, --help         this help\n"
                      "See mailacct(8).\n",
                      stdout);
                return EXIT_OK;
        default:
                /* getopt has said what was wrong */
                command_usage(c->cmd, stderr);
                fprintf(stderr, "Try 'mailacct %s --help'.\n", c->cmd->name);
                return EXIT_USAGE;
        }
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "mailacct: %s: ", c->cmd->name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        command_usage(c->cmd, stderr);
        fprintf(stderr, "Try 'mailacct %s --help'.\n", c->cmd->name);
        return EXIT_USAGE;
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

struct mailacct_dir *cli_load_with(const struct cli *c, cli_loader *load, bool print_warnings,
                                   struct mailacct_file_info *info)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        int r;

        mailacct_diags_init(&diags);
        r = load(c->config, &d, &diags, info);
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

struct mailacct_dir *cli_load(const struct cli *c, bool print_warnings, struct mailacct_file_info *info)
{
        return cli_load_with(c, mailacct_file_load, print_warnings, info);
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
        c.tty = isatty(STDERR_FILENO) == 1;
        /* '+': what follows the command is the command's to parse */
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
        /* 0, not 1: glibc then forgets the "+" of the scan above and
         * permutes, so that options may follow a command's operands */
        optind = 0;
        if (strcmp(cmd, "help") == 0) {
                /* mailacct help [COMMAND] */
                if (argc > 1 && (c.cmd = find_command(argv[1])) != NULL)
                        return cli_option(&c, 'h');
                if (argc > 1 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
                        fprintf(stderr, "mailacct: help: unknown command \"%s\"\n", argv[1]);
                        usage(stderr);
                        return EXIT_USAGE;
                }
                usage(stdout);
                return EXIT_OK;
        }
        c.cmd = find_command(cmd);
        if (!c.cmd) {
                fprintf(stderr, "mailacct: unknown command \"%s\"\n", cmd);
                usage(stderr);
                return EXIT_USAGE;
        }
        return c.cmd->run(&c, argc, argv);
}
