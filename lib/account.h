/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

#include "directory.h"
#include "resolve.h"

/* Authentication and the account phase, for every face (the PAM module, a
 * SASL face, the command): the timing-sensitive part lives here once. No
 * PAM header: a face maps these answers to its own codes. */

/* How a password is checked for a principal: the secrets file
 * (mailacct_secrets_verifier()), with the hashes synced from a directory
 * (mailacct_passwords_verifier()), or a bind to the directory as the
 * principal's DN (source/ldap/bind.h, the PAM module's). */
struct mailacct_verifier {
        /* 0 match; -EACCES wrong (after the work); -ENOENT no password for
         * this principal; -EINVAL a stored hash crypt(3) cannot read (no
         * work done); -EHOSTUNREACH the place that checks it cannot be
         * reached; -ENOMEM */
        int (*verify)(void *ctx, const struct mailacct_dir *d, uint32_t principal, const char *password);
        /* the work of one verification, always failing: 0, or -EHOSTUNREACH
         * when the place that checks passwords could not be reached (an
         * outage then answers alike for the logins that exist and the
         * others) */
        int (*burn)(void *ctx, const char *password);
        void *ctx;
};

struct mailacct_secrets;
/* The secrets file's verifier: the principal's line, else a burn at the
 * file's slowest setting (mailacct_secrets_any()). */
void mailacct_secrets_verifier(const struct mailacct_secrets *s, struct mailacct_verifier *v);

/* The secrets file and the hashes synced from the directory, together
 * (docs/ARCHITECTURE.md, "Passwords from the directory"): the principal's
 * line in the file (by address), else the synced hash of its DN (a mailbox
 * of the file has none), else no password. A failure that knows no hash
 * burns at the slower of the two places' slowest settings, chosen when
 * the verifier is set up (before any password is looked at). Either place
 * may be NULL; p must outlive v. */
struct mailacct_hash_places {
        const struct mailacct_secrets *file, *synced;
        const char *burn;
};
void mailacct_passwords_verifier(struct mailacct_hash_places *p, const struct mailacct_secrets *file,
                                 const struct mailacct_secrets *synced, struct mailacct_verifier *v);

enum mailacct_auth {
        MAILACCT_AUTH_OK = 0,
        MAILACCT_AUTH_UNRESOLVED, /* the result's reason says why */
        MAILACCT_AUTH_WRONG_PASSWORD,
        MAILACCT_AUTH_NO_PASSWORD, /* the principal has no password */
        MAILACCT_AUTH_BAD_HASH,    /* its stored hash is unreadable */
        MAILACCT_AUTH_UNAVAILABLE, /* the verifier's place cannot be reached */
        MAILACCT_AUTH_NO_MEMORY,
};

/* Checks password for a login already resolved (r): the principal's through
 * v; a login that names no one, a principal without a password and a hash
 * crypt(3) cannot read all cost one verification's work, so that the time
 * taken does not tell which logins exist. */
enum mailacct_auth mailacct_authenticate_resolved(const struct mailacct_dir *d, const struct mailacct_result *r,
                                                  const char *password, const struct mailacct_verifier *v);
/* The same from the login as typed: resolves it into r first. */
enum mailacct_auth mailacct_authenticate(const struct mailacct_dir *d, const char *login, const char *password,
                                         const struct mailacct_verifier *v, struct mailacct_result *r);

enum mailacct_acct {
        MAILACCT_ACCT_OK = 0,
        MAILACCT_ACCT_DISABLED,
        MAILACCT_ACCT_PRINCIPAL_DISABLED, /* the three-part form: the one who authenticated */
        MAILACCT_ACCT_SERVICE_DENIED,
        MAILACCT_ACCT_DAMAGED, /* the index failed a check: fail closed */
};

/* The account phase: the principal (when it is not the mailbox) and the
 * mailbox enabled, and the mailbox's services allowing service (a PAM
 * service name or a protocol: lib/protocol.h maps them). */
enum mailacct_acct mailacct_account(const struct mailacct_dir *d, uint32_t mailbox, uint32_t principal,
                                    const char *service);
