/* SPDX-License-Identifier: MIT */
/* The glibc NSS entry points for `passwd: files mailacct`. Only this file
 * speaks NSS; the rules live in the core, the directory cache in cache.c,
 * the buffer packing in pack.c. Nothing here prints or logs, and nothing
 * here calls getpw*() or getgr*(): the module would be asked again. */
#include <errno.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>

#include "cache.h"
#include "file.h"
#include "login.h"
#include "pack.h"
#include "resolve.h"

#define _public_ __attribute__((visibility("default")))

enum nss_status _nss_mailacct_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
                                         int *errnop) _public_;
enum nss_status _nss_mailacct_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop) _public_;
enum nss_status _nss_mailacct_setpwent(int stayopen) _public_;
enum nss_status _nss_mailacct_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop) _public_;
enum nss_status _nss_mailacct_endpwent(void) _public_;

/* Enumeration holds its own snapshot, so a reload or a getpwnam() in between
 * neither restarts nor skips it. Single lookups never touch this. */
static struct {
        pthread_mutex_t lock;
        struct mailacct_snapshot *snap;
        uint32_t next;
} ent = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The one place where results become NSS answers. glibc passes &errno as
 * errnop, so errno is restored first and errnop written after: the caller's
 * errno is untouched on success and on "not found", and carries the cause of
 * TRYAGAIN (ERANGE: glibc retries with a larger buffer) and UNAVAIL. */
static enum nss_status answer(int r, int *errnop, int saved_errno)
{
        errno = saved_errno;
        switch (r) {
        case 0:
                return NSS_STATUS_SUCCESS;
        case -ENOENT:
                return NSS_STATUS_NOTFOUND;
        case -ERANGE:
        case -ENOMEM:
                *errnop = -r;
                return NSS_STATUS_TRYAGAIN;
        default:
                *errnop = -r;
                return NSS_STATUS_UNAVAIL;
        }
}

/* secure_getenv: a setuid program must not be pointed at a directory of the
 * caller's choosing. */
static const char *config_path(void)
{
        const char *p = secure_getenv("MAILACCT_CONF");

        return p && *p ? p : MAILACCT_CONF_DEFAULT;
}

static int lookup_name(const char *name, struct passwd *pw, char *buf, size_t buflen)
{
        struct mailacct_snapshot *s;
        struct mailacct_login l;
        struct mailacct_result res;
        int r;

        /* A name the parser refuses (too long, control characters, bad
         * UTF-8, ...) can name no mailbox: answered without touching the
         * configuration. */
        if (!name || mailacct_login_parse(name, &l, NULL) < 0)
                return -ENOENT;
        r = mailacct_snapshot_get(config_path(), &s);
        if (r < 0)
                return r;
        /* every failure reason (unknown, ambiguous, contact, not delegated)
         * is simply "no such user" to NSS; a damaged index is UNAVAIL */
        if (mailacct_resolve_login(s->dir, &l, MAILACCT_RESOLVE_QUIET, &res) < 0)
                r = res.reason == MAILACCT_UNAVAILABLE ? -EIO : -ENOENT;
        else
                r = mailacct_nss_pack_passwd(s->dir, res.mailbox, pw, buf, buflen);
        mailacct_snapshot_put(s);
        return r;
}

/* Only a uid that names exactly one mailbox answers: the shared vmail uid of
 * `defaults` is left to the other sources, never given to an arbitrary
 * mailbox. */
static int lookup_uid(uid_t uid, struct passwd *pw, char *buf, size_t buflen)
{
        struct mailacct_snapshot *s;
        uint32_t mbox;
        int r;

        if (uid == 0 || uid == (uid_t)-1)
                return -ENOENT;
        r = mailacct_snapshot_get(config_path(), &s);
        if (r < 0)
                return r;
        mbox = mailacct_dir_find_uid(s->dir, uid);
        r = mbox == MAILACCT_NONE ? -ENOENT : mailacct_nss_pack_passwd(s->dir, mbox, pw, buf, buflen);
        mailacct_snapshot_put(s);
        return r;
}

enum nss_status _nss_mailacct_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
        int saved_errno = errno;

        return answer(lookup_name(name, pw, buf, buflen), errnop, saved_errno);
}

enum nss_status _nss_mailacct_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
        int saved_errno = errno;

        return answer(lookup_uid(uid, pw, buf, buflen), errnop, saved_errno);
}

static void ent_reset_locked(void)
{
        mailacct_snapshot_put(ent.snap);
        ent.snap = NULL;
        ent.next = 0;
}

enum nss_status _nss_mailacct_setpwent(int stayopen)
{
        int saved_errno = errno, unused, r;

        (void)stayopen;
        pthread_mutex_lock(&ent.lock);
        ent_reset_locked();
        r = mailacct_snapshot_get(config_path(), &ent.snap);
        pthread_mutex_unlock(&ent.lock);
        return answer(r, &unused, saved_errno);
}

/* Each mailbox once, in directory order, under its canonical name; mailboxes
 * without a passwd entry (no uid, ...) are passed over and contacts are never
 * visited. A short buffer leaves the position where it was, so the caller's
 * retry with a larger one gets the same entry. */
static int next_entry_locked(struct passwd *pw, char *buf, size_t buflen)
{
        int r;

        if (!ent.snap) {
                r = mailacct_snapshot_get(config_path(), &ent.snap);
                if (r < 0)
                        return r;
        }
        /* `enumerate = false`: a million entries are no list for getent
         * passwd (nor for a program walking the users); lookups by name
         * and uid still answer */
        if (!mailacct_dir_settings(ent.snap->dir)->enumerate)
                return -ENOENT;
        for (; ent.next < mailacct_dir_settings(ent.snap->dir)->n_mailboxes; ent.next++) {
                r = mailacct_nss_pack_passwd(ent.snap->dir, ent.next, pw, buf, buflen);
                if (r == -ENOENT)
                        continue;
                if (r == 0)
                        ent.next++;
                return r;
        }
        return -ENOENT;
}

enum nss_status _nss_mailacct_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
        int saved_errno = errno, r;

        pthread_mutex_lock(&ent.lock);
        r = next_entry_locked(pw, buf, buflen);
        pthread_mutex_unlock(&ent.lock);
        return answer(r, errnop, saved_errno);
}

enum nss_status _nss_mailacct_endpwent(void)
{
        pthread_mutex_lock(&ent.lock);
        ent_reset_locked();
        pthread_mutex_unlock(&ent.lock);
        return NSS_STATUS_SUCCESS;
}

/* A child forked while another thread held a lock would wait forever on
 * its first lookup: the locks are taken around fork(), in the one order
 * used everywhere (enumeration, then cache). */
static void fork_prepare(void)
{
        pthread_mutex_lock(&ent.lock);
        mailacct_cache_lock();
}

static void fork_done(void)
{
        mailacct_cache_unlock();
        pthread_mutex_unlock(&ent.lock);
}

__attribute__((constructor)) static void module_init(void)
{
        pthread_atfork(fork_prepare, fork_done, fork_done);
}

__attribute__((destructor)) static void module_release(void)
{
        pthread_mutex_lock(&ent.lock);
        ent_reset_locked();
        pthread_mutex_unlock(&ent.lock);
}
