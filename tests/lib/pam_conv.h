/* SPDX-License-Identifier: MIT */
/* Shared by the PAM applications of the tests (tests/pam/test_pam.c,
 * tests/hardening/pam_probe.c, tests/integration/agree.c, bench/): a
 * conversation that answers each prompt from a list, as a mail server
 * answers with what the client sent, and counts the prompts. */
#pragma once

#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

struct tl_answers {
        const char *login; /* for an echo-on prompt; NULL: the next answer */
        const char *v[4];  /* in order, for echo-off prompts (and echo-on without login) */
        int next;
        int prompts;
};

static inline int tl_converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        struct tl_answers *a = data;
        struct pam_response *r;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        r = calloc((size_t)n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                const char *text;
                if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
                        continue;
                a->prompts++;
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON && a->login)
                        text = a->login;
                else if (a->next < 4 && a->v[a->next])
                        text = a->v[a->next++];
                else
                        text = NULL;
                if (!text || !(r[i].resp = strdup(text))) {
                        for (int j = 0; j < i; j++)
                                free(r[j].resp);
                        free(r);
                        return text ? PAM_BUF_ERR : PAM_CONV_ERR;
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}
