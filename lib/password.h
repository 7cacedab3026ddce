/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Stands in for a hash when an account has none, so the time taken is that of
 * a real yescrypt verification at libxcrypt's default cost. */
#define MAILACCT_DUMMY_HASH "$y$j9T$mailacctDummySalt0000/$"

/* The longest password crypt(3) hashes (libxcrypt refuses longer ones). A
 * longer one is a wrong password, after the same work as any other. */
#define MAILACCT_PASSWORD_MAX 511

/* 0 when password matches hash, -EACCES when it does not (a password over
 * MAILACCT_PASSWORD_MAX never does, after the same work), -EINVAL when hash
 * is not something crypt(3) accepts (no work was done: the caller burns).
 * Compares in constant time. */
int mailacct_password_verify(const char *hash, const char *password);

/* Spends the same work as verifying against setting, and always fails.
 * For unknown users: timing must not tell who exists. */
void mailacct_password_burn(const char *setting, const char *password);

/* New hash; prefix "$y$" (yescrypt, default when NULL), "$6$", "$2b$". */
int mailacct_password_hash(const char *password, const char *prefix, char *out, size_t len);

/* The part of a hash that sets the cost of verifying it, salt and hash left
 * out: "$y$j9T$", "$6$", "$6$rounds=5000$", "$2b$12$". Two hashes with the
 * same setting cost the same. */
void mailacct_password_setting(const char *hash, char *buf, size_t len);

/* Whether this system's crypt(3) can verify hash (crypt_checksalt). */
bool mailacct_password_usable(const char *hash);

/* Of n hashes (get(i, ctx) gives hash i), the one whose setting is the
 * slowest to verify, found by timing one verification per distinct setting
 * (at most MAILACCT_SETTINGS_TIMED of them; hashes crypt(3) cannot read are
 * passed over). NULL when none is usable. *distinct (if given) gets how many
 * distinct usable settings there are. */
#define MAILACCT_SETTINGS_TIMED 64
const char *mailacct_password_slowest(size_t n, const char *(*get)(size_t i, void *ctx), void *ctx, size_t *distinct);

/* Of two hashes (either may be NULL), the one slower to verify: equal
 * settings need no timing; otherwise each is timed once, and the answer is
 * kept per process for that pair of settings, so that the burn of a login
 * that draws on two places (the secrets file and the hashes synced from a
 * directory) costs the slower of them. Call it before the password is
 * looked at: the first timing is then paid by every outcome alike. */
const char *mailacct_password_slower(const char *a, const char *b);
