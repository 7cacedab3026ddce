/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* ASCII-only folding: Unicode case mapping depends on locale and version,
 * and two processes must always agree on what a key means. */
static inline char mailacct_fold_char(char c)
{
        return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

void mailacct_fold(char *s);
bool mailacct_streq_fold(const char *a, const char *b);
/* Returns a pointer to the first byte that is not valid UTF-8, or NULL. */
const char *mailacct_utf8_invalid(const char *s, size_t len);
bool mailacct_has_control(const char *s, size_t len);
char *mailacct_strdup_fold(const char *s);
/* A login as a log shows it: control bytes (NUL included) as \xNN and '"'
 * as \", so that one login is one log line and cannot forge another; '\'
 * stays as typed, since EXAMPLE\jdoe is what an administrator searches for.
 * At most MAILACCT_LOGIN_MAX + 1 bytes of s are shown (one more than any
 * login may hold), then "..." when s is longer than a login may be. out
 * holds 4 * MAILACCT_LOGIN_MAX + 8 bytes for the whole of any login. */
void mailacct_quote_login(const char *s, size_t len, char *out, size_t outlen);
