/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Stands in for a hash when an account has none, so the time taken is that of
 * a real yescrypt verification at libxcrypt's default cost. */
#define MAILACCT_DUMMY_HASH "$y$j9T$mailacctDummySalt0000/$"

/* 0 when password matches hash, -EACCES when it does not, -EINVAL when hash
 * is not something crypt(3) accepts. Compares in constant time. */
int mailacct_password_verify(const char *hash, const char *password);

/* Spends the same work as verifying against setting, and always fails.
 * For unknown users: timing must not tell who exists. */
void mailacct_password_burn(const char *setting, const char *password);

/* New hash; prefix "$y$" (yescrypt, default when NULL), "$6$", "$2b$". */
int mailacct_password_hash(const char *password, const char *prefix, char *out, size_t len);
