/* SPDX-License-Identifier: MIT */
#include "login.h"

#include <errno.h>
#include <string.h>

#include "strutil.h"

static bool is_sep(char c)
{
        return c == '\\' || c == '/';
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t';
}

/* A part must be non-empty and carry no white space at either end: a client
 * that pads "EXAMPLE\ jdoe" has a bug we report rather than paper over. */
static const char *check_part(const char *p)
{
        size_t n = strlen(p);

        if (n == 0)
                return "empty part";
        if (is_space(p[0]) || is_space(p[n - 1]))
                return "white space around a part";
        return NULL;
}

/* Splits local@domain in place; exactly one '@' with both halves present. */
static const char *split_address(char *s, const char **local, const char **domain)
{
        char *at = strchr(s, '@');
        const char *why;

        if (!at)
                return "no '@'";
        if (strchr(at + 1, '@'))
                return "more than one '@'";
        *at = '\0';
        if (*s == '\0')
                return "empty local part";
        if (at[1] == '\0')
                return "empty domain";
        why = check_part(s);
        if (!why)
                why = check_part(at + 1);
        *local = s;
        *domain = at + 1;
        return why;
}

const char *mailacct_form_name(enum mailacct_form f)
{
        switch (f) {
        case MAILACCT_FORM_ADDRESS:
                return "address";
        case MAILACCT_FORM_NTACCOUNT:
                return "DOMAIN\\account";
        case MAILACCT_FORM_DELEGATE:
                return "DOMAIN\\account\\mailbox";
        case MAILACCT_FORM_BARE:
                return "bare alias";
        default:
                return "none";
        }
}

int mailacct_login_parse(const char *s, struct mailacct_login *out, const char **why)
{
        const char *err = NULL;
        char *parts[4];
        size_t len, nparts = 0;

        memset(out, 0, sizeof(*out));
        if (!s || !*s) {
                err = "empty login";
                goto fail;
        }
        len = strnlen(s, MAILACCT_LOGIN_MAX + 1);
        if (len > MAILACCT_LOGIN_MAX) {
                err = "longer than 320 bytes";
                goto fail;
        }
        if (mailacct_has_control(s, len)) {
                err = "control character";
                goto fail;
        }
        if (mailacct_utf8_invalid(s, len)) {
                err = "invalid UTF-8";
                goto fail;
        }
        if (is_space(s[0]) || is_space(s[len - 1])) {
                err = "leading or trailing white space";
                goto fail;
        }
        memcpy(out->buf, s, len + 1);

        /* Split on both separators; at most three parts are meaningful. */
        parts[nparts++] = out->buf;
        for (char *p = out->buf; *p; p++) {
                if (!is_sep(*p))
                        continue;
                if (nparts == 3) {
                        err = "more than three parts";
                        goto fail;
                }
                *p = '\0';
                parts[nparts++] = p + 1;
        }
        for (size_t i = 0; i < nparts; i++) {
                err = check_part(parts[i]);
                if (err)
                        goto fail;
        }

        switch (nparts) {
        case 1:
                if (strchr(parts[0], '@')) {
                        err = split_address(parts[0], &out->account, &out->domain);
                        if (err)
                                goto fail;
                        out->form = MAILACCT_FORM_ADDRESS;
                } else {
                        out->account = parts[0];
                        out->form = MAILACCT_FORM_BARE;
                }
                break;
        case 2:
        case 3:
                /* "EXAMPLE\jdoe@example.com" mixes two forms: refuse, never guess */
                if (strchr(parts[0], '@') || strchr(parts[1], '@')) {
                        err = "mixed forms ('@' inside DOMAIN\\account)";
                        goto fail;
                }
                out->domain = parts[0];
                out->account = parts[1];
                out->form = MAILACCT_FORM_NTACCOUNT;
                if (nparts == 3) {
                        out->form = MAILACCT_FORM_DELEGATE;
                        if (strchr(parts[2], '@')) {
                                err = split_address(parts[2], &out->mbox_local, &out->mbox_domain);
                                if (err)
                                        goto fail;
                        } else
                                out->mbox_local = parts[2];
                }
                break;
        }
        if (why)
                *why = NULL;
        return 0;
fail:
        memset(out, 0, sizeof(*out));
        if (why)
                *why = err;
        return -EINVAL;
}
