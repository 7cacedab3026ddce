/* SPDX-License-Identifier: MIT */
/* mailacct passwd: sets one mailbox's password in the secrets file. The file
 * is replaced, never edited in place: a module reading it while we write sees
 * the old file or the new one, never half of either. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "atomic.h"
#include "cli.h"
#include "lock.h"
#include "password.h"
#include "resolve.h"
#include "secrets.h"
#include "strutil.h"

/* a page, locked: more than crypt(3) hashes (MAILACCT_PASSWORD_MAX) */
#define PASSWORD_BUF 4096
#define HASH_MAX     512

static const struct {
        const char *name;
        const char *prefix;
} schemes[] = {
        {"yescrypt", "$y$"},
        {"sha512", "$6$"},
        {"bcrypt", "$2b$"},
};

/* Reads the new password: twice from a terminal, once from a pipe. */
static int new_password(const char *address, char *pw, size_t len)
{
        char *again, prompt[512];
        int r;

        snprintf(prompt, sizeof(prompt), "New password for %s: ", address);
        r = cli_read_password(prompt, pw, len);
        if (r < 0) {
                fprintf(stderr, "mailacct: passwd: %s\n",
                        r == -ENODATA ? "no password given"
                        : r == -E2BIG ? "password too long"
                                      : strerror(-r));
                return r;
        }
        if (!*pw) {
                fprintf(stderr, "mailacct: passwd: empty password refused\n");
                return -EINVAL;
        }
        if (!isatty(STDIN_FILENO))
                return 0;
        again = cli_secret_alloc(len);
        if (!again)
                return -ENOMEM;
        r = cli_read_password("Retype new password: ", again, len);
        if (r == 0 && strcmp(pw, again) != 0) {
                fprintf(stderr, "mailacct: passwd: the passwords differ; nothing changed\n");
                r = -EINVAL;
        }
        cli_secret_free(again, len);
        return r;
}

/* The secrets file is keyed by primary address; any login that names one
 * mailbox by itself (address, alias, DOMAIN\account) picks that mailbox.
 * The three-part form names two accounts, so it is refused. */
static const char *find_mailbox(const struct mailacct_dir *d, const char *login)
{
        struct mailacct_result r;

        if (mailacct_resolve(d, login, &r) < 0) {
                fprintf(stderr, "mailacct: passwd: \"%s\" is not a mailbox of the configuration (%s: %s)\n", login,
                        mailacct_reason_name(r.reason), r.message);
                return NULL;
        }
        if (r.principal != r.mailbox || r.form == MAILACCT_FORM_DELEGATE) {
                fprintf(stderr,
                        "mailacct: passwd: \"%s\" names two accounts (%s opens %s); give one mailbox's address\n",
                        login, mailacct_dir_address(d, r.principal), mailacct_dir_address(d, r.mailbox));
                return NULL;
        }
        return mailacct_dir_address(d, r.mailbox);
}

int cmd_passwd(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"scheme", required_argument, NULL, 's'},
                CLI_LONG_COMMON,
                {},
        };
        const char *prefix = "$y$", *scheme = "yescrypt", *address, *secrets;
        char err[512], ipath[4096];
        int wlock = -1;
        char *pw = NULL, hash[HASH_MAX], *old = NULL;
        struct mailacct_secrets *check = NULL;
        struct mailacct_dir *d = NULL;
        size_t oldlen = 0;
        struct stat st;
        bool created = false, found;
        int o, fd = -1, r, bad = 0, status = EXIT_FAILED;

        while ((o = getopt_long(argc, argv, CLI_SHORT("s:"), opts, NULL)) != -1) {
                switch (o) {
                case 's':
                        found = false;
                        for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
                                if (strcmp(optarg, schemes[i].name) == 0) {
                                        prefix = schemes[i].prefix;
                                        scheme = schemes[i].name;
                                        found = true;
                                }
                        if (!found)
                                return cli_usage_error(c, "unknown scheme \"%s\"", optarg);
                        break;
                default:
                        if ((r = cli_option(c, o)) != CLI_GO_ON)
                                return r;
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(c, argc == optind ? "no address given" : "one address at a time");
        d = cli_load_all(c, false, NULL);
        if (!d)
                return EXIT_CONFIG;
        secrets = mailacct_dir_settings(d)->secrets;
        address = find_mailbox(d, argv[optind]);
        if (!address)
                goto out;
        if (!secrets) {
                fprintf(stderr, "mailacct: passwd: %s names no secrets file (secrets = \"...\";)\n", c->config);
                status = EXIT_CONFIG;
                goto out;
        }
        cli_secret_protect();
        pw = cli_secret_alloc(PASSWORD_BUF);
        if (!pw) {
                status = EXIT_SOFTWARE;
                goto out;
        }
        if (new_password(address, pw, PASSWORD_BUF) < 0)
                goto out;
        r = mailacct_password_hash(pw, prefix, hash, sizeof(hash));
        cli_secret_free(pw, PASSWORD_BUF);
        pw = NULL;
        if (r < 0) {
                fprintf(stderr, "mailacct: passwd: cannot hash with %s: %s\n", scheme, strerror(-r));
                status = EXIT_SOFTWARE;
                goto out;
        }
        /* the writers' lock (compile reads the secrets file too); a missing
         * state folder means there is no index to race with */
        if (mailacct_index_locate(c->config, ipath, sizeof(ipath)) == 0) {
                wlock = mailacct_lock_take(ipath, 30, err, sizeof(err));
                if (wlock < 0 && wlock != -ENOENT) {
                        fprintf(stderr, "mailacct: passwd: %s\n", err);
                        goto out;
                }
        }
        r = cli_secrets_lock(secrets, &fd, &st, &created);
        if (r == 0)
                r = cli_read_all(fd, &old, &oldlen);
        if (r < 0) {
                fprintf(stderr, "mailacct: passwd: %s: %s\n", secrets, strerror(-r));
                goto out;
        }
        /* never rewrite a file the modules would refuse anyway: say what to fix */
        r = mailacct_secrets_parse(old, oldlen, &check, &bad);
        mailacct_secrets_free(check);
        if (r == -EINVAL) {
                fprintf(stderr, "mailacct: passwd: %s:%d: malformed line; fix it first (ADDRESS:CRYPT-HASH)\n", secrets,
                        bad);
                status = EXIT_CONFIG;
                goto out;
        }
        if (!created) {
                char why[160];
                if (mailacct_secrets_check_mode(&st, why, sizeof(why)) < 0)
                        fprintf(stderr, "mailacct: passwd: warning: %s: %s (mode kept)\n", secrets, why);
        }
        {
                const struct cli_secret_line line = {.address = address, .hash = hash};
                r = cli_secrets_write(secrets, &st, old, oldlen, &line, 1, err, sizeof(err));
        }
        if (r < 0) {
                fprintf(stderr, "mailacct: passwd: cannot write %s: %s\n", secrets, err);
                if (created)
                        unlink(secrets);
                goto out;
        }
        printf("%s: password of %s set (%s)\n", secrets, address, scheme);
        status = EXIT_OK;
        /* a secrets index beside the file is rewritten at once, so that the
         * new password is read from it and not after a fall-back parse */
        {
                struct stat ist;
                if (snprintf(ipath, sizeof(ipath), "%s.idx", secrets) < (int)sizeof(ipath) && stat(ipath, &ist) == 0 &&
                    cli_compile_secrets(secrets, true) < 0)
                        fprintf(stderr, "mailacct: passwd: warning: %s not rewritten; run mailacct compile\n", ipath);
        }
out:
        mailacct_lock_release(wlock);
        cli_secret_free(pw, PASSWORD_BUF);
        if (fd >= 0)
                close(fd);
        if (old) {
                explicit_bzero(old, oldlen);
                free(old);
        }
        explicit_bzero(hash, sizeof(hash));
        mailacct_dir_free(d);
        return status;
}
