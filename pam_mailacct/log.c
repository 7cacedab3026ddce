/* SPDX-License-Identifier: MIT */
/* The module's only way to the log. A login is attacker-chosen text: it is
 * quoted by mailacct_quote_login() so one login is one log line and cannot
 * forge another. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "login.h"
#include "pam_mailacct.h"
#include "strutil.h"

#define LINE_MAX_BYTES 2048

void mailacct_pam_log(pam_handle_t *pamh, const struct mailacct_pam_opts *o, int priority, const char *code,
                      const char *login, const char *fmt, ...)
{
        char detail[LINE_MAX_BYTES], quoted[MAILACCT_LOGIN_MAX * 4 + 8];
        va_list ap;

        if (priority == LOG_DEBUG && !(o && o->debug))
                return;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        /* details quote directory entries and parts of the login: no line breaks */
        for (char *p = detail; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        if (login && !(o && o->quiet)) {
                mailacct_quote_login(login, strnlen(login, MAILACCT_LOGIN_MAX + 1), quoted, sizeof(quoted));
                pam_syslog(pamh, priority, "%s login \"%s\": %s", code, quoted, detail);
        } else
                pam_syslog(pamh, priority, "%s: %s", code, detail);
}
