/* SPDX-License-Identifier: MIT */
/* mailacct test: runs a login through the system's PAM stack for a service,
 * as the mail server would (authenticate, then acct_mgmt, then read
 * PAM_USER back), and prints each step. Like pamtester or sssctl
 * user-checks, but it answers the question "which mailbox does this open?". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <security/pam_appl.h>

#include "cli.h"

#define ANSWER_MAX 1024

/* Answers the stack's prompts: echo-off ones with the password, echo-on
 * ones with a line typed in; messages go to stderr. */
static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        struct pam_response *r;

        (void)data;
        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        r = calloc((size_t)n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                switch (msg[i]->msg_style) {
                case PAM_PROMPT_ECHO_OFF:
                case PAM_PROMPT_ECHO_ON:
                        if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
                                fprintf(stderr, "%s", msg[i]->msg);
                                fflush(stderr);
                        }
                        /* the answer goes to libpam, which frees it: read
                         * into a buffer of its own, never through stdio */
                        r[i].resp = calloc(1, ANSWER_MAX + 2);
                        if (!r[i].resp)
                                goto fail;
                        if (cli_read_line(msg[i]->msg, msg[i]->msg_style == PAM_PROMPT_ECHO_OFF, r[i].resp,
                                          ANSWER_MAX + 2) < 0)
                                goto fail;
                        break;
                case PAM_ERROR_MSG:
                case PAM_TEXT_INFO:
                        fprintf(stderr, "%s\n", msg[i]->msg);
                        break;
                default:
                        goto fail;
                }
        }
        *resp = r;
        return PAM_SUCCESS;
fail:
        for (int i = 0; i < n; i++)
                if (r[i].resp) {
                        explicit_bzero(r[i].resp, ANSWER_MAX + 2);
                        free(r[i].resp);
                }
        free(r);
        return PAM_CONV_ERR;
}

static void step(const char *name, pam_handle_t *pamh, int ret)
{
        printf("%-17s %s (%d)\n", name, pam_strerror(pamh, ret), ret);
        fflush(stdout);
}

int cmd_test(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"service", required_argument, NULL, 's'},
                {"pam-dir", required_argument, NULL, 'd'},
                CLI_LONG_COMMON,
                {},
        };
        const struct pam_conv conv = {converse, NULL};
        /* imap: the service the README sets up; a stock "dovecot" file is
         * Debian's pam_unix stack, which knows no mail login */
        const char *service = "imap", *confdir = NULL, *login, *reason;
        const void *user = NULL;
        pam_handle_t *pamh = NULL;
        int o, ret, status = EXIT_FAILED;

        /* -c is accepted but the stack names its own configuration
         * (pam_mailacct config=) */
        while ((o = getopt_long(argc, argv, CLI_SHORT("s:d:"), opts, NULL)) != -1) {
                switch (o) {
                case 's':
                        service = optarg;
                        break;
                case 'd':
                        confdir = optarg;
                        break;
                default:
                        if ((ret = cli_option(c, o)) != CLI_GO_ON)
                                return ret;
                }
        }
        if (!*service)
                return cli_usage_error(c, "empty service name");
        if (argc - optind != 1)
                return cli_usage_error(c, argc == optind ? "no login given" : "one login at a time");
        login = argv[optind];
        cli_secret_protect();
        ret = confdir ? pam_start_confdir(service, login, &conv, confdir, &pamh)
                      : pam_start(service, login, &conv, &pamh);
        if (ret != PAM_SUCCESS) {
                fprintf(stderr, "mailacct: test: pam_start(%s): %s\n", service, pam_strerror(pamh, ret));
                return EXIT_SOFTWARE;
        }
        printf("%-17s %s%s%s\n", "service:", service, confdir ? " in " : "", confdir ? confdir : "");
        printf("%-17s %s\n", "login:", login);
        ret = pam_authenticate(pamh, 0);
        step("pam_authenticate:", pamh, ret);
        /* as Dovecot does: the account phase only after a good password */
        if (ret == PAM_SUCCESS) {
                ret = pam_acct_mgmt(pamh, 0);
                step("pam_acct_mgmt:", pamh, ret);
        }
        if (pam_get_item(pamh, PAM_USER, &user) == PAM_SUCCESS && user)
                printf("%-17s %s%s\n", "PAM_USER:", (const char *)user,
                       strcmp(user, login) != 0 ? " (changed by the stack)" : "");
        /* pam_mailacct leaves its reason code in the PAM environment (a
         * stack without it has none: the PAM error is all there is) */
        reason = pam_getenv(pamh, "MAILACCT_REASON");
        if (ret == PAM_SUCCESS) {
                printf("%-17s ok\n", "result:");
                status = EXIT_OK;
        } else if (reason && *reason)
                printf("%-17s refused (%s)\n", "result:", reason);
        else
                printf("%-17s refused (%s)\n", "result:", pam_strerror(pamh, ret));
        pam_end(pamh, ret);
        return status;
}
