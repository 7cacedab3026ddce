/* SPDX-License-Identifier: MIT */
#include "strutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "login.h"

void mailacct_fold(char *s)
{
        for (; *s; s++)
                *s = mailacct_fold_char(*s);
}

bool mailacct_streq_fold(const char *a, const char *b)
{
        for (; *a && *b; a++, b++)
                if (mailacct_fold_char(*a) != mailacct_fold_char(*b))
                        return false;
        return *a == *b;
}

char *mailacct_strdup_fold(const char *s)
{
        char *r = strdup(s);
        if (r)
                mailacct_fold(r);
        return r;
}

const char *mailacct_utf8_invalid(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s, *end = p + len;

        while (p < end) {
                unsigned char c = *p;
                uint32_t cp;
                size_t n;

                if (c < 0x80) {
                        p++;
                        continue;
                } else if (c >= 0xc2 && c <= 0xdf) {
                        n = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 3;
                        cp = c & 0x07;
                } else
                        return (const char *)p;

                if ((size_t)(end - p) <= n)
                        return (const char *)p;
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return (const char *)p;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                /* overlong forms, UTF-16 surrogates, beyond Unicode */
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return (const char *)p;
                p += n + 1;
        }
        return NULL;
}

bool mailacct_has_control(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;

        for (size_t i = 0; i < len; i++) {
                if (p[i] < 0x20 || p[i] == 0x7f)
                        return true;
                /* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F */
                if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
                        return true;
        }
        return false;
}

void mailacct_quote_login(const char *s, size_t len, char *out, size_t outlen)
{
        size_t o = 0, n = len > MAILACCT_LOGIN_MAX + 1 ? MAILACCT_LOGIN_MAX + 1 : len;

        if (!outlen)
                return;
        for (size_t i = 0; i < n && o + 5 < outlen; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x20 || c == 0x7f)
                        o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
                else if (c == '"') {
                        out[o++] = '\\';
                        out[o++] = '"';
                } else
                        out[o++] = (char)c;
        }
        if (len > MAILACCT_LOGIN_MAX && o + 4 < outlen) {
                memcpy(out + o, "...", 3);
                o += 3;
        }
        out[o] = '\0';
}
