/* SPDX-License-Identifier: MIT */
#include "account.h"

#include <errno.h>

#include "password.h"
#include "secrets.h"

static int secrets_verify(void *ctx, const struct mailacct_dir *d, uint32_t principal, const char *password)
{
        const struct mailacct_secrets *s = ctx;
        const char *hash = mailacct_secrets_get(s, mailacct_dir_address(d, principal));

        if (!hash)
                return -ENOENT;
        /* a password longer than crypt(3) takes is a wrong one, after the
         * same work (mailacct_password_verify) */
        return mailacct_password_verify(hash, password);
}

static int secrets_burn(void *ctx, const char *password)
{
        mailacct_password_burn(mailacct_secrets_any(ctx), password);
        return 0;
}

void mailacct_secrets_verifier(const struct mailacct_secrets *s, struct mailacct_verifier *v)
{
        v->verify = secrets_verify;
        v->burn = secrets_burn;
        v->ctx = (void *)s;
}

static int passwords_verify(void *ctx, const struct mailacct_dir *d, uint32_t principal, const char *password)
{
        const struct mailacct_hash_places *p = ctx;
        const char *hash = mailacct_secrets_get(p->file, mailacct_dir_address(d, principal));
        const char *dn = NULL, *upn = NULL;

        /* the file's line overrides the directory's hash for that address */
        if (!hash && p->synced && mailacct_dir_names(d, principal, &dn, &upn) == 0 && dn)
                hash = mailacct_secrets_get(p->synced, dn);
        if (!hash)
                return -ENOENT;
        return mailacct_password_verify(hash, password);
}

static int passwords_burn(void *ctx, const char *password)
{
        const struct mailacct_hash_places *p = ctx;

        mailacct_password_burn(p->burn, password);
        return 0;
}

void mailacct_passwords_verifier(struct mailacct_hash_places *p, const struct mailacct_secrets *file,
                                 const struct mailacct_secrets *synced, struct mailacct_verifier *v)
{
        p->file = file;
        p->synced = synced;
        /* timed now, whatever the login turns out to be */
        p->burn = mailacct_password_slower(mailacct_secrets_any(file), mailacct_secrets_any(synced));
        v->verify = passwords_verify;
        v->burn = passwords_burn;
        v->ctx = p;
}

enum mailacct_auth mailacct_authenticate_resolved(const struct mailacct_dir *d, const struct mailacct_result *r,
                                                  const char *password, const struct mailacct_verifier *v)
{
        if (r->reason != MAILACCT_OK)
                return v->burn(v->ctx, password) == -EHOSTUNREACH ? MAILACCT_AUTH_UNAVAILABLE
                                                                  : MAILACCT_AUTH_UNRESOLVED;
        switch (v->verify(v->ctx, d, r->principal, password)) {
        case 0:
                return MAILACCT_AUTH_OK;
        case -EACCES:
                return MAILACCT_AUTH_WRONG_PASSWORD;
        case -ENOENT:
                return v->burn(v->ctx, password) == -EHOSTUNREACH ? MAILACCT_AUTH_UNAVAILABLE
                                                                  : MAILACCT_AUTH_NO_PASSWORD;
        case -EHOSTUNREACH:
                return MAILACCT_AUTH_UNAVAILABLE;
        case -ENOMEM:
                return MAILACCT_AUTH_NO_MEMORY;
        default:
                /* refused at once by crypt(3): spend what a readable one costs */
                return v->burn(v->ctx, password) == -EHOSTUNREACH ? MAILACCT_AUTH_UNAVAILABLE : MAILACCT_AUTH_BAD_HASH;
        }
}

enum mailacct_auth mailacct_authenticate(const struct mailacct_dir *d, const char *login, const char *password,
                                         const struct mailacct_verifier *v, struct mailacct_result *r)
{
        mailacct_resolve(d, login, r);
        return mailacct_authenticate_resolved(d, r, password, v);
}

enum mailacct_acct mailacct_account(const struct mailacct_dir *d, uint32_t mailbox, uint32_t principal,
                                    const char *service)
{
        struct mailacct_mbox_view mb, pr;

        if (mailacct_dir_mailbox(d, mailbox, &mb) < 0 || mailacct_dir_mailbox(d, principal, &pr) < 0)
                return MAILACCT_ACCT_DAMAGED;
        /* the three-part form: the one who authenticates must be allowed in at all */
        if (principal != mailbox && !pr.enabled)
                return MAILACCT_ACCT_PRINCIPAL_DISABLED;
        if (!mb.enabled)
                return MAILACCT_ACCT_DISABLED;
        if (!mailacct_dir_allows_service(d, mailbox, service))
                return MAILACCT_ACCT_SERVICE_DENIED;
        return MAILACCT_ACCT_OK;
}
