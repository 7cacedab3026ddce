/* SPDX-License-Identifier: MIT */
#include "login.h"

#include <errno.h>
#include <string.h>

#include "strutil.h"

static bool is_sep(char c)
{
        return c == '\\' || c == '/';
}

/* Length of the white-space character at p (at most avail bytes), or 0.
 * Besides ' ' and tab, the Unicode White_Space characters above U+007F: a
 * no-break space pasted after a name is as invisible as a blank. (U+0085 is
 * a C1 control and is refused as such.) */
static size_t space_len(const char *s, size_t avail)
{
        const unsigned char *p = (const unsigned char *)s;

        if (avail >= 1 && (p[0] == ' ' || p[0] == '\t'))
                return 1;
        if (avail >= 2 && p[0] == 0xc2 && p[1] == 0xa0) /* U+00A0 */
                return 2;
        if (avail < 3)
                return 0;
        if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) || /* U+1680 */
            (p[0] == 0xe2 && p[1] == 0x80 &&
             ((p[2] >= 0x80 && p[2] <= 0x8a) ||                 /* U+2000..200A */
              p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) || /* 2028 2029 202F */
            (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||   /* U+205F */
            (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))     /* U+3000 */
                return 3;
        return 0;
}

static bool space_around(const char *p, size_t n)
{
        if (n == 0)
                return false;
        /* every white space but ' ' and tab is a multi-byte character, whose
         * last byte is above 0x7f: plain ASCII ends need two compares */
        if ((unsigned char)p[0] < 0x80 && (unsigned char)p[n - 1] < 0x80)
                return p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t';
        if (space_len(p, n))
                return true;
        for (size_t k = 1; k <= 3 && k <= n; k++)
                if (space_len(p + n - k, k) == k)
                        return true;
        return false;
}

/* A part must be non-empty and carry no white space at either end: a client
 * that pads "EXAMPLE\ jdoe" has a bug we report rather than paper over. */
static const char *check_part(const char *p)
{
        size_t n = strlen(p);

        if (n == 0)
                return "empty part";
        if (space_around(p, n))
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

/* Everything but the copy: the parts point into buf, which is only read up
 * to the NUL this parse writes. (Every getpwnam() parses a login.) */
static void clear(struct mailacct_login *l)
{
        l->form = MAILACCT_FORM_NONE;
        l->domain = l->account = l->mbox_local = l->mbox_domain = NULL;
        l->buf[0] = '\0';
}

static bool printable_ascii(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;

        for (size_t i = 0; i < len; i++)
                if (p[i] < 0x20 || p[i] >= 0x7f)
                        return false;
        return true;
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

        clear(out);
        if (!s || !*s) {
                err = "empty login";
                goto fail;
        }
        len = strnlen(s, MAILACCT_LOGIN_MAX + 1);
        if (len > MAILACCT_LOGIN_MAX) {
                err = "longer than 320 bytes";
                goto fail;
        }
        /* printable ASCII, nearly every login, needs no UTF-8 or C1 check */
        if (!printable_ascii(s, len)) {
                if (mailacct_has_control(s, len)) {
                        err = "control character";
                        goto fail;
                }
                if (mailacct_utf8_invalid(s, len)) {
                        err = "invalid UTF-8";
                        goto fail;
                }
        }
        if (space_around(s, len)) {
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
        clear(out);
        if (why)
                *why = err;
        return -EINVAL;
}
