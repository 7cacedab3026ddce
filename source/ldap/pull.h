/* SPDX-License-Identifier: MIT */
/* Talking to the directory (libldap): one server of `uri` at a time, every
 * call under the configuration's timeout, TLS that verifies or nothing,
 * RFC 2696 paged searches handing each entry to a callback as it arrives
 * (nothing of a page is kept after it is handed on). Only the command links
 * this file: the modules never talk to a directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "entry.h"

/* Why a step failed, which decides what the sync does next. */
enum mailacct_ldap_failure {
        MAILACCT_LDAP_OK = 0,
        /* refused, timed out, down, busy, lost midway: the next server */
        MAILACCT_LDAP_UNREACHABLE,
        /* the configuration's fault: a certificate that does not verify,
         * invalid credentials, a base that does not exist, a filter the
         * server refuses... (exit 2) */
        MAILACCT_LDAP_CONFIG,
        MAILACCT_LDAP_NOMEM,
        /* the callback asked to stop (its own error) */
        MAILACCT_LDAP_STOPPED,
        /* the server cannot continue from the sync state (RFC 4533's
         * e-syncRefreshRequired): a full pull is due */
        MAILACCT_LDAP_REFRESH,
};

struct mailacct_ldap_error {
        enum mailacct_ldap_failure kind;
        int code;        /* the LDAP result code, or libldap's (negative) */
        char text[1024]; /* "URI: what failed: the LDAP result (code)" */
};

/* Before any other call: libldap reads no ldap.conf, ~/.ldaprc or LDAP*
 * variable. (The bind request, with the password, is wiped as it is sent:
 * ldapmem.h.) */
void mailacct_ldap_library_init(void);

struct mailacct_ldap_session;

/* Connects to uri (one of c->uri), with StartTLS when asked (ldap://),
 * verifying the certificate against c->tls_ca (else the system's store),
 * then binds: simple with bind_dn and password, SASL EXTERNAL over ldapi://
 * without bind_dn, else anonymously. password: NUL-terminated, never
 * copied but into libldap's request (wiped, see above). */
int mailacct_ldap_open(const struct mailacct_ldap_conf *c, const char *uri, const char *password,
                       struct mailacct_ldap_session **out, struct mailacct_ldap_error *err);
void mailacct_ldap_close(struct mailacct_ldap_session *s);
/* What the TLS and bind came to, for `check --online`: "ldaps", "StartTLS",
 * "none (ldapi://)", "none"; "simple as DN", "SASL EXTERNAL", "anonymous". */
const char *mailacct_ldap_session_tls(const struct mailacct_ldap_session *s);
const char *mailacct_ldap_session_bind(const struct mailacct_ldap_session *s);
const char *mailacct_ldap_session_uri(const struct mailacct_ldap_session *s);

/* The root DSE: the incremental method the sync would use with this
 * server (rfc4533; usn: AD's uSNChanged, when the DC names its
 * invocationId; dirsync: offered, not used; none) and, on AD, where crossRef
 * entries are. */
struct mailacct_ldap_root {
        char method[16];
        char configuration[1024]; /* configurationNamingContext, "" when none */
        char usn[32];             /* highestCommittedUSN, "" when none */
        char invocation[33];      /* the DC's invocationId in hex, "" when none */
        bool dirsync;             /* DirSync offered too */
};
int mailacct_ldap_root_dse(struct mailacct_ldap_session *s, struct mailacct_ldap_root *root,
                           struct mailacct_ldap_error *err);

/* AD's domains: fn(ctx, dns, netbios) for each crossRef with a nETBIOSName
 * under CN=Partitions of the configuration partition. */
int mailacct_ldap_netbios_names(struct mailacct_ldap_session *s, const struct mailacct_ldap_root *root,
                                int (*fn)(void *ctx, const char *dns, const char *netbios), void *ctx,
                                struct mailacct_ldap_error *err);

/* A paged subtree search of base: fn(ctx, entry) for each entry as it
 * arrives (kind as given, key from key_attr, which attrs must name); a
 * non-zero return stops the search (MAILACCT_LDAP_STOPPED). attrs NULL:
 * none (counting only). Returns 0 or -1 with err. *count: entries seen. */
int mailacct_ldap_search(struct mailacct_ldap_session *s, const char *base, const char *filter,
                         enum mailacct_ldap_kind kind, const char *const *attrs, const char *key_attr,
                         int (*fn)(void *ctx, const struct mailacct_ldap_entry *e), void *ctx, size_t *count,
                         struct mailacct_ldap_error *err);

/* Active Directory's uSNChanged (MS-ADTS 3.1.1.1.9): fn(ctx, entry) with
 * the objectGUID as key for every object under nc (a naming context) whose
 * uSNChanged is above since, deleted ones (tombstones, under the
 * Show Deleted control) included: every object that changed, moved away or
 * went since. 0 or -1 with err. */
int mailacct_ldap_usn_touched(struct mailacct_ldap_session *s, const char *nc, unsigned long long since,
                              int (*fn)(void *ctx, const struct mailacct_ldap_entry *e), void *ctx, size_t *count,
                              struct mailacct_ldap_error *err);

/* Whether the bind may read the tombstones of nc (AD's Deleted Objects
 * container, under Show Deleted): without that, deletions are invisible to
 * the uSNChanged run. 1, 0, or -1 with err when the server cannot be asked. */
int mailacct_ldap_deleted_readable(struct mailacct_ldap_session *s, const char *nc, struct mailacct_ldap_error *err);

/* RFC 4533 content synchronisation, refreshOnly, of base for filter: with
 * cookie (the last run's), what changed since; without, every entry (as
 * a full pull, its cookie the start of the next run). ops->entry gets each
 * entry added or changed (whole, as mailacct_ldap_search() gives it);
 * ops->uuid each entryUUID (as text) deleted, or present in a present
 * phase. Callbacks return 0, or -errno to stop. Afterwards res holds the
 * new cookie (malloc'd, NULL if none came) and refreshDeletes: when it is
 * false, the server ran a present phase, and every entry of the last run
 * it named neither present nor changed is gone. Returns 0 or -1 with err;
 * MAILACCT_LDAP_REFRESH when the server refuses the cookie. */
struct mailacct_ldap_sync_ops {
        int (*entry)(void *ctx, const struct mailacct_ldap_entry *e);
        int (*uuid)(void *ctx, const char *uuid, bool present);
};
struct mailacct_ldap_sync_result {
        char *cookie;
        size_t cookie_len;
        bool refresh_deletes;
        size_t received; /* messages about entries */
};
int mailacct_ldap_sync(struct mailacct_ldap_session *s, const char *base, const char *filter,
                       enum mailacct_ldap_kind kind, const char *const *attrs, const char *key_attr, const void *cookie,
                       size_t cookie_len, const struct mailacct_ldap_sync_ops *ops, void *ctx,
                       struct mailacct_ldap_sync_result *res, struct mailacct_ldap_error *err);

/* RFC 4533 refreshAndPersist, for `sync --watch`: a search of base for
 * filter that stays open from cookie on, asking no attribute (a change is
 * only a reason to run an incremental sync). 0 or -1 with err. */
int mailacct_ldap_persist_start(struct mailacct_ldap_session *s, const char *base, const char *filter,
                                const void *cookie, size_t cookie_len, struct mailacct_ldap_error *err);
/* Waits up to seconds for the next message of the session's persistent
 * searches: 1 when it tells a change (an entry added, modified, renamed or
 * deleted), 0 when not or nothing came, -1 with err when the connection is
 * lost or the server ended a search (MAILACCT_LDAP_REFRESH: it cannot
 * continue the cookie). */
int mailacct_ldap_persist_wait(struct mailacct_ldap_session *s, unsigned seconds, struct mailacct_ldap_error *err);
