/* SPDX-License-Identifier: MIT */
/* passwords = "ldap-bind": the directory checks the password. A verifier
 * for the account library's seam (lib/account.h) that makes one simple
 * bind as the principal's DN, over TLS or ldapi:// only, a timeout on
 * every call, the next `uri` when a server cannot be reached. Only
 * pam_mailacct.so links this file (with libldap): see docs/ARCHITECTURE.md,
 * "Passwords by an LDAP bind". */
#pragma once

#include "account.h"
#include "conf.h"

struct mailacct_bind;

/* c (the `ldap` group: uri, starttls, tls_ca, timeout, base) is kept, not
 * copied, and must outlive the verifier. fallback checks the principals
 * without a DN (the file's mailboxes): the secrets file's verifier, or
 * NULL when there is none (they have no password). 0 or -ENOMEM. */
int mailacct_bind_new(const struct mailacct_ldap_conf *c, const struct mailacct_verifier *fallback,
                      struct mailacct_bind **out);
void mailacct_bind_free(struct mailacct_bind *b);
void mailacct_bind_verifier(struct mailacct_bind *b, struct mailacct_verifier *v);

/* What the last verification came to, for the log: the server that
 * answered and how, or why none did. Never the password. */
const char *mailacct_bind_note(const struct mailacct_bind *b);
