/* SPDX-License-Identifier: MIT */
/* Outcome -> PAM return code, log name and syslog priority, in one table, so
 * that what an administrator reads in the log and what the application gets
 * back cannot drift apart. */
#include <security/_pam_types.h>
#include <syslog.h>

#include "pam_mailacct.h"

static const struct {
        const char *name;
        int code;
        int priority;
} decisions[_MAILACCT_PAM_DECISION_MAX] = {
        [MAILACCT_PAM_OK] = {"ok", PAM_SUCCESS, LOG_INFO},
        /* the resolver's reason names these; see mailacct_pam_reason_code() */
        [MAILACCT_PAM_UNRESOLVED] = {"unresolved", PAM_USER_UNKNOWN, LOG_NOTICE},
        [MAILACCT_PAM_WRONG_PASSWORD] = {"wrong-password", PAM_AUTH_ERR, LOG_NOTICE},
        [MAILACCT_PAM_NO_PASSWORD] = {"no-password", PAM_AUTH_ERR, LOG_NOTICE},
        [MAILACCT_PAM_NO_AUTHTOK] = {"no-authtok", PAM_AUTH_ERR, LOG_ERR},
        [MAILACCT_PAM_CONV_FAILED] = {"conversation-failed", PAM_CONV_ERR, LOG_ERR},
        [MAILACCT_PAM_CONFIG_UNAVAILABLE] = {"config-unavailable", PAM_AUTHINFO_UNAVAIL, LOG_ERR},
        [MAILACCT_PAM_SECRETS_UNAVAILABLE] = {"secrets-unavailable", PAM_AUTHINFO_UNAVAIL, LOG_ERR},
        [MAILACCT_PAM_BAD_HASH] = {"bad-hash", PAM_AUTHINFO_UNAVAIL, LOG_ERR},
        [MAILACCT_PAM_DISABLED] = {"disabled", PAM_ACCT_EXPIRED, LOG_NOTICE},
        [MAILACCT_PAM_PRINCIPAL_DISABLED] = {"principal-disabled", PAM_ACCT_EXPIRED, LOG_NOTICE},
        [MAILACCT_PAM_SERVICE_DENIED] = {"service-denied", PAM_PERM_DENIED, LOG_NOTICE},
        [MAILACCT_PAM_NO_MEMORY] = {"no-memory", PAM_BUF_ERR, LOG_CRIT},
        [MAILACCT_PAM_CHAUTHTOK] = {"chauthtok-unsupported", PAM_SERVICE_ERR, LOG_ERR},
        [MAILACCT_PAM_USER_CHANGED] = {"user-changed", PAM_PERM_DENIED, LOG_WARNING},
        [MAILACCT_PAM_DIRECTORY_UNAVAILABLE] = {"directory-unavailable", PAM_AUTHINFO_UNAVAIL, LOG_ERR},
};

int mailacct_pam_code(enum mailacct_pam_decision d)
{
        /* an outcome missing from the table must never read as PAM_SUCCESS */
        if ((unsigned)d >= _MAILACCT_PAM_DECISION_MAX || (d != MAILACCT_PAM_OK && decisions[d].code == PAM_SUCCESS))
                return PAM_SERVICE_ERR;
        return decisions[d].code;
}

const char *mailacct_pam_decision_name(enum mailacct_pam_decision d)
{
        return (unsigned)d < _MAILACCT_PAM_DECISION_MAX && decisions[d].name ? decisions[d].name : "internal-error";
}

int mailacct_pam_priority(enum mailacct_pam_decision d)
{
        return (unsigned)d < _MAILACCT_PAM_DECISION_MAX && decisions[d].name ? decisions[d].priority : LOG_ERR;
}

/* Every way a login fails to name exactly one mailbox is "no such user" to
 * the application: unknown, ambiguous, a contact, not delegated, invalid. A
 * damaged index names no one either, but that is the directory's fault, not
 * the user's: the application must hear "unavailable". */
int mailacct_pam_reason_code(enum mailacct_reason r)
{
        if (r == MAILACCT_OK)
                return PAM_SUCCESS;
        return r == MAILACCT_UNAVAILABLE ? PAM_AUTHINFO_UNAVAIL : PAM_USER_UNKNOWN;
}
