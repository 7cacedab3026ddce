/* SPDX-License-Identifier: MIT */
/* mailacct sync --watch: a sync, then a wait on the directory for the next
 * change, then an incremental sync, for as long as it runs. The wait is an
 * RFC 4533 refreshAndPersist search per base and filter, from the cookies
 * the last sync left, asking no attribute: a change the server reports is
 * only a reason to run `sync` again, so that every write goes the one way
 * a sync writes (the store, then a delta or a new index, under the writer
 * lock). A lost connection or a failed sync waits 1, 2, 4 ... 60 s and
 * syncs again, from the first server of `uri` that answers (failover, and
 * a directory that restarted). An Active Directory DC (the last sync
 * recorded its highestCommittedUSN) is polled: its root DSE every
 * WATCH_USN_POLL_S, a sync when the USN moved on. A server that offers
 * neither: a sync every WATCH_POLL_S. A configuration at fault or a sync the removal
 * limit refuses ends the watch (its unit restarts it, and says why). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "declare.h"
#include "file.h"
#include "pull.h"
#include "store.h"

#define BACKOFF_MAX_S    60
#define WATCH_POLL_S     60         /* a server that offers no incremental method */
#define WATCH_USN_POLL_S 2          /* AD: its root DSE's highestCommittedUSN */
#define WAIT_STEP_S      30         /* ldap_result at most this long at a time */
#define DEBOUNCE_NS      200000000L /* changes that come together, one sync */

struct watch {
        struct mailacct_file_info info;
        struct mailacct_ldap_session *session;
        char *password;
        char *cookies[2 * MAILACCT_LDAP_BASES_MAX];
        size_t lens[2 * MAILACCT_LDAP_BASES_MAX];
        char *filters[2];
        /* AD: the USN the last sync recorded (polled for; not on RFC 4533) */
        bool by_usn;
        unsigned long long usn;
};

static void watch_close(struct watch *w)
{
        mailacct_ldap_close(w->session);
        w->session = NULL;
        cli_sync_cookies_free(2 * MAILACCT_LDAP_BASES_MAX, w->cookies);
        cli_free_bind_password(w->password);
        w->password = NULL;
        free(w->filters[0]);
        free(w->filters[1]);
        w->filters[0] = w->filters[1] = NULL;
        mailacct_file_info_free(&w->info);
        memset(&w->info, 0, sizeof(w->info));
}

/* The persistent searches on the first server that answers: 1 open, 0
 * when there is nothing to wait on (no cookies: the server offers no RFC
 * 4533, or the schema cannot use it), -1 when none could be opened. */
static int watch_open(const struct cli *c, struct watch *w)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        struct mailacct_ldap_store *store = NULL;
        const struct mailacct_ldap_conf *lc;
        char target[4096], spath[4200], why[1024];
        bool oom = false;
        int r;

        mailacct_diags_init(&diags);
        r = mailacct_file_load(c->config, &d, &diags, &w->info);
        mailacct_dir_free(d);
        mailacct_diags_clear(&diags);
        lc = w->info.ldap;
        if (r < 0 || !lc)
                return -1;
        if (mailacct_writer_target(c->config, target, sizeof(target)) < 0 ||
            mailacct_ldap_store_path(target, spath, sizeof(spath)) < 0 ||
            mailacct_ldap_store_open(spath, &store, why, sizeof(why)) < 0)
                return -1;
        r = cli_sync_cookies(store, 2 * lc->n_base, w->cookies, w->lens);
        w->by_usn = (r < 0 || !w->lens[0]) && cli_sync_usn(store, &w->usn, NULL) == 0;
        mailacct_ldap_store_close(store);
        if (!w->by_usn && (r < 0 || !w->lens[0]))
                return 0;
        w->filters[0] = mailacct_ldap_mailbox_filter(lc);
        w->filters[1] = mailacct_ldap_contact_filter(lc, &oom);
        if (!w->filters[0] || oom)
                return -1;
        if (lc->bind_dn && !(w->password = cli_read_bind_password(lc)))
                return -1;
        for (size_t u = 0; u < lc->n_uri; u++) {
                struct mailacct_ldap_error err;
                bool ok = true;
                if (mailacct_ldap_open(lc, lc->uri[u], w->password, &w->session, &err) < 0) {
                        fprintf(stderr, "mailacct: sync --watch: %s\n", err.text);
                        continue;
                }
                for (size_t i = 0; ok && !w->by_usn && i < 2 * lc->n_base; i++) {
                        if (!w->filters[i % 2] || !w->lens[i])
                                continue;
                        if (mailacct_ldap_persist_start(w->session, lc->base[i / 2], w->filters[i % 2], w->cookies[i],
                                                        w->lens[i], &err) < 0) {
                                fprintf(stderr, "mailacct: sync --watch: %s\n", err.text);
                                ok = false;
                        }
                }
                if (ok)
                        return 1;
                mailacct_ldap_close(w->session);
                w->session = NULL;
        }
        return -1;
}

static void pause_ns(long long ns)
{
        struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000LL), .tv_nsec = (long)(ns % 1000000000LL)};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* 1: a change; -1: the connection or the search is gone. */
static int watch_wait(struct watch *w)
{
        while (w->by_usn) {
                struct mailacct_ldap_root root;
                struct mailacct_ldap_error err;
                pause_ns((long long)WATCH_USN_POLL_S * 1000000000LL);
                if (mailacct_ldap_root_dse(w->session, &root, &err) < 0) {
                        fprintf(stderr, "mailacct: sync --watch: %s\n", err.text);
                        return -1;
                }
                /* another DC answering, or this one restored: the sync
                 * judges (a full pull) */
                if (strtoull(root.usn, NULL, 10) != w->usn)
                        return 1;
        }
        for (;;) {
                struct mailacct_ldap_error err;
                int r = mailacct_ldap_persist_wait(w->session, WAIT_STEP_S, &err);
                if (r > 0)
                        return 1;
                if (r < 0) {
                        fprintf(stderr, "mailacct: sync --watch: %s\n", err.text);
                        return -1;
                }
        }
}

int cli_sync_watch(struct cli *c, bool force, bool full_first)
{
        struct watch w;
        unsigned backoff = 1;
        bool full = full_first;

        memset(&w, 0, sizeof(w));
        for (;;) {
                int st = cli_sync_once(c, false, force, full), r;

                fflush(stdout);
                full = false;
                /* the configuration, the removal limit, memory: a person
                 * must look (the unit restarts the watch, and logs it) */
                if (st != EXIT_OK && st != EXIT_FAILED && st != 3)
                        return st;
                if (st != EXIT_OK) {
                        fprintf(stderr, "mailacct: sync --watch: syncing again in %u s\n", backoff);
                        pause_ns((long long)backoff * 1000000000LL);
                        backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
                        continue;
                }
                r = watch_open(c, &w);
                if (r == 0) {
                        watch_close(&w);
                        pause_ns((long long)WATCH_POLL_S * 1000000000LL);
                        continue;
                }
                if (r < 0 || watch_wait(&w) < 0) {
                        watch_close(&w);
                        fprintf(stderr, "mailacct: sync --watch: syncing again in %u s\n", backoff);
                        pause_ns((long long)backoff * 1000000000LL);
                        backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
                        continue;
                }
                watch_close(&w);
                backoff = 1;
                pause_ns(DEBOUNCE_NS);
        }
}
