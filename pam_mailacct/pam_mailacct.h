/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <security/pam_modules.h>

#include "resolve.h"

/* principal=: how resolve_only names the principal to the next module */
enum mailacct_principal_form {
        MAILACCT_PRINCIPAL_ADDRESS = 0, /* its primary address (the default) */
        MAILACCT_PRINCIPAL_LOCAL,       /* the address's local part (pam_unix's user) */
        MAILACCT_PRINCIPAL_NETBIOS,     /* DOMAIN\account (pam_winbind's) */
        MAILACCT_PRINCIPAL_UPN,         /* the entry's userPrincipalName (pam_krb5's, pam_sss's) */
        MAILACCT_PRINCIPAL_MAILBOX,     /* the mailbox's canonical name, as before principal= existed:
                                           for a module that knows mailboxes, not people (no delegate form) */
};

/* The module's options, as parsed from the PAM service file. */
struct mailacct_pam_opts {
        const char *config;   /* points into argv, or the default */
        const char *protocol; /* protocol=NAME: what the services check compares, not PAM_SERVICE */
        enum mailacct_principal_form principal;
        bool resolve_only; /* canonicalise only; a later module checks the password */
        bool nocanon;      /* leave PAM_USER as typed */
        bool use_first_pass;
        bool try_first_pass;
        bool debug;
        bool quiet; /* leave the login as typed out of the log */
};

/* Every outcome the module logs. The resolver's own failures are one entry
 * here (UNRESOLVED); its reason code names them in the log. */
enum mailacct_pam_decision {
        MAILACCT_PAM_OK = 0,
        MAILACCT_PAM_UNRESOLVED, /* unknown, ambiguous, contact, ... */
        MAILACCT_PAM_WRONG_PASSWORD,
        MAILACCT_PAM_NO_PASSWORD, /* the mailbox has no line in the secrets file */
        MAILACCT_PAM_NO_AUTHTOK,  /* use_first_pass, and no module before us asked */
        MAILACCT_PAM_CONV_FAILED,
        MAILACCT_PAM_CONFIG_UNAVAILABLE,
        MAILACCT_PAM_SECRETS_UNAVAILABLE,
        MAILACCT_PAM_BAD_HASH, /* a secrets line crypt(3) cannot read */
        MAILACCT_PAM_DISABLED,
        MAILACCT_PAM_PRINCIPAL_DISABLED,
        MAILACCT_PAM_SERVICE_DENIED,
        MAILACCT_PAM_NO_MEMORY,
        MAILACCT_PAM_CHAUTHTOK,
        MAILACCT_PAM_USER_CHANGED,          /* PAM_USER names another mailbox in acct_mgmt */
        MAILACCT_PAM_DIRECTORY_UNAVAILABLE, /* the verifier's directory cannot be reached */
        _MAILACCT_PAM_DECISION_MAX,
};

/* codes.c: the one place where outcomes become PAM return codes. */
int mailacct_pam_code(enum mailacct_pam_decision d);
const char *mailacct_pam_decision_name(enum mailacct_pam_decision d);
int mailacct_pam_priority(enum mailacct_pam_decision d);
int mailacct_pam_reason_code(enum mailacct_reason r);

/* log.c: the one function that writes to syslog (pam_syslog, authpriv).
 * Writes "CODE login "LOGIN": DETAIL", or "CODE: DETAIL" when login is NULL
 * or the quiet option is set. LOG_DEBUG lines only with the debug option.
 * Never pass a password here. */
__attribute__((format(printf, 6, 7))) void mailacct_pam_log(pam_handle_t *pamh, const struct mailacct_pam_opts *o,
                                                            int priority, const char *code, const char *login,
                                                            const char *fmt, ...);
