/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory.h"
#include "login.h"

/* One code per failure; the CLI prints the name, the PAM module logs it and
 * maps it, the NSS module answers NOTFOUND for every one of them. */
enum mailacct_reason {
        MAILACCT_OK = 0,
        MAILACCT_INVALID_LOGIN,
        MAILACCT_DOMAIN_NOT_HOSTED,
        MAILACCT_NOT_FOUND,
        MAILACCT_AMBIGUOUS,
        MAILACCT_CONTACT,
        MAILACCT_NOT_DELEGATED,
        MAILACCT_UNAVAILABLE, /* the compiled index is damaged: fail closed */
        _MAILACCT_REASON_MAX,
};

#define MAILACCT_MAX_CANDIDATES 16

struct mailacct_result {
        enum mailacct_reason reason;
        enum mailacct_form form;
        const char *rule;   /* "1".."6": the DESIGN.md rule that decided (6: the login's own form is refused) */
        uint32_t mailbox;   /* the mailbox opened (MAILACCT_NONE on failure) */
        uint32_t principal; /* who authenticates; differs in the delegate form */
        uint32_t domain;    /* hosted domain the login named, or MAILACCT_NONE */
        size_t n_candidates;
        uint32_t candidates[MAILACCT_MAX_CANDIDATES];
        char canonical[MAILACCT_LOGIN_MAX + 1];
        char why[512];      /* why the winner won, or what was tried */
        char message[1024]; /* on failure: what an administrator needs */
        bool damaged;       /* internal: a read of the index failed its check */
        bool quiet;         /* internal: MAILACCT_RESOLVE_QUIET */
};

/* Resolves login against d. Returns 0 when a mailbox was found (r->reason ==
 * MAILACCT_OK) and -ENOENT otherwise; r is filled in either case. Pure:
 * no I/O, no logging. */
int mailacct_resolve(const struct mailacct_dir *d, const char *login, struct mailacct_result *r);

/* The same for a login already parsed. MAILACCT_RESOLVE_QUIET: the answer
 * only (reason, mailbox, principal, candidates); why, message and canonical
 * stay empty, and damage is seen only in what the rules read: the caller
 * reads the mailbox's entry itself and must treat -EBADMSG there as damage. */
#define MAILACCT_RESOLVE_QUIET 1u
int mailacct_resolve_login(const struct mailacct_dir *d, const struct mailacct_login *l, unsigned flags,
                           struct mailacct_result *r);

const char *mailacct_reason_name(enum mailacct_reason r);
