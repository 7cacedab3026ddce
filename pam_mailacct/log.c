/* SPDX-License-Identifier: MIT */
/* The module's only way to the log. A login is attacker-chosen text: it is
 * quoted and its control bytes escaped so one login is one log line and
 * cannot forge another. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "login.h"
#include "pam_mailacct.h"

#define LINE_MAX_BYTES 2048

/* Control bytes and '"' become escapes; '\' stays as typed, since
 * EXAMPLE\jdoe is what the administrator will search for. */
static void quote_login(const char *login, char *out, size_t len)
{
        size_t o = 0, n = strnlen(login, MAILACCT_LOGIN_MAX + 1);

        for (size_t i = 0; i < n && o + 5 < len; i++) {
                unsigned char c = (unsigned char)login[i];
                if (c < 0x20 || c == 0x7f)
                        o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
                else if (c == '"') {
                        out[o++] = '\\';
                        out[o++] = '"';
                } else
                        out[o++] = (char)c;
        }
        if (n > MAILACCT_LOGIN_MAX && o + 4 < len) {
                memcpy(out + o, "...", 3);
                o += 3;
        }
        out[o] = '\0';
}

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
                quote_login(login, quoted, sizeof(quoted));
                pam_syslog(pamh, priority, "%s login \"%s\": %s", code, quoted, detail);
        } else
                pam_syslog(pamh, priority, "%s: %s", code, detail);
}
