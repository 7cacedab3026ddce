/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* RFC 5321 caps an address at 254 octets of path; Exchange-style logins add a
 * domain and an account, so 320 leaves room without inviting abuse. */
#define MAILACCT_LOGIN_MAX 320

enum mailacct_form {
        MAILACCT_FORM_NONE = 0,
        MAILACCT_FORM_ADDRESS,   /* local@domain                          */
        MAILACCT_FORM_NTACCOUNT, /* DOMAIN\account or DOMAIN/account      */
        MAILACCT_FORM_DELEGATE,  /* DOMAIN\account\mailbox                */
        MAILACCT_FORM_BARE,      /* alias                                 */
};

/* A parsed login. Every pointer points into buf, which holds the parts as
 * NUL-separated copies; nothing is folded or interpreted yet. */
struct mailacct_login {
        enum mailacct_form form;
        const char *domain;  /* address: domain; NT forms: DOMAIN      */
        const char *account; /* address: local part; NT: account; bare */
        /* delegate form only: the mailbox part, itself a bare alias or an
         * address whose two halves are mbox_local and mbox_domain */
        const char *mbox_local;
        const char *mbox_domain; /* NULL when the mailbox part is bare */
        char buf[MAILACCT_LOGIN_MAX + 4];
};

/* Pure: no I/O. Returns 0, or -EINVAL with *why set to a static sentence. */
int mailacct_login_parse(const char *s, struct mailacct_login *out, const char **why);

const char *mailacct_form_name(enum mailacct_form f);
