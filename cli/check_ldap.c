/* SPDX-License-Identifier: MIT */
/* What `mailacct check` says of a configuration whose mailboxes come from a
 * directory: offline, the files the sync needs (the bind password, the CA)
 * and what the index and the store say of the last successful sync; with
 * --online, each server's connection, TLS and bind, the root DSE, each
 * base and how many entries the filters find there. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "declare.h"
#include "index.h"
#include "ixformat.h"
#include "map.h"
#include "pull.h"
#include "trust.h"

enum { EXIT_UNREACHABLE = 3 };

static void when(int64_t ns, char *buf, size_t len)
{
        time_t t = (time_t)(ns / 1000000000);
        struct tm tm;
        struct timespec now;
        int64_t s;
        char stamp[64];

        clock_gettime(CLOCK_REALTIME, &now);
        s = (int64_t)now.tv_sec - (int64_t)t;
        if (s < 0)
                s = 0;
        localtime_r(&t, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S %z", &tm);
        if (s < 120)
                snprintf(buf, len, "%lld s ago (%s)", (long long)s, stamp);
        else if (s < 7200)
                snprintf(buf, len, "%lld min ago (%s)", (long long)(s / 60), stamp);
        else if (s < 172800)
                snprintf(buf, len, "%lld h ago (%s)", (long long)(s / 3600), stamp);
        else
                snprintf(buf, len, "%lld days ago (%s)", (long long)(s / 86400), stamp);
}

/* A day without a successful sync is worth a look at the timer's journal. */
#define SYNC_STALE_S 86400

void cli_check_ldap_offline(const char *conf, const struct mailacct_ldap_conf *lc, struct mailacct_diags *diags,
                            char *status, size_t len)
{
        struct mailacct_index *ix = NULL, *dix = NULL;
        struct mailacct_ldap_store *s = NULL;
        char ipath[4096], spath[4200], dpath[4200], why[1024], built[128], synced[128];
        struct stat st;
        int fd, r;

        status[0] = '\0';
        if (lc->bind_password_file) {
                fd = mailacct_trust_open(lc->bind_password_file, MAILACCT_TRUST_SECRET, &st, why, sizeof(why));
                if (fd < 0)
                        mailacct_diag_add(diags, MAILACCT_ERROR, lc->file, lc->bind_password_file_line,
                                          "ldap: bind_password_file %s: %s", lc->bind_password_file, why);
                else
                        close(fd);
        }
        if (lc->tls_ca && access(lc->tls_ca, R_OK) < 0)
                mailacct_diag_add(diags, MAILACCT_ERROR, lc->file, lc->tls_ca_line, "ldap: tls_ca %s: %s", lc->tls_ca,
                                  strerror(errno));
        if (mailacct_writer_target(conf, ipath, sizeof(ipath)) < 0 ||
            mailacct_ldap_store_path(ipath, spath, sizeof(spath)) < 0)
                return;
        r = mailacct_ldap_store_open(spath, &s, why, sizeof(why));
        if (r == -ENOENT)
                mailacct_diag_add(diags, MAILACCT_ERROR, spath, 0,
                                  "no entries synced from the directory yet (the modules fail closed): run 'mailacct "
                                  "sync'");
        else if (r < 0)
                mailacct_diag_add(diags, MAILACCT_ERROR, spath, 0, "%s", why);
        else if (mailacct_ldap_store_fingerprint(s) != mailacct_ldap_conf_fingerprint(lc))
                mailacct_diag_add(diags, MAILACCT_WARNING, lc->file, lc->line,
                                  "ldap: schema, base, filter or map changed since the last sync; the index still "
                                  "answers as before: run 'mailacct sync'");
        if (mailacct_index_open(ipath, &ix, why, sizeof(why)) < 0) {
                mailacct_ldap_store_close(s);
                return; /* the index's own findings are check.c's */
        }
        when(mailacct_index_built(ix), built, sizeof(built));
        snprintf(status, len, "index %s written %s", ipath, built);
        /* after incremental runs the delta beside the index records the
         * last sync (the base records the last full one) */
        if (mailacct_delta_path(ipath, dpath, sizeof(dpath)) == 0 &&
            mailacct_delta_open(dpath, ix, &dix, why, sizeof(why)) == 0) {
                when(mailacct_index_built(dix), built, sizeof(built));
                snprintf(status + strlen(status), len - strlen(status), ", its delta %s", built);
        }
        for (size_t i = 0; i < mailacct_index_n_stamps(dix ? dix : ix); i++) {
                struct mailacct_stamp stamp;
                struct timespec now;
                if (mailacct_index_stamp(dix ? dix : ix, i, &stamp) < 0 || stamp.kind != MAILACCT_STAMP_LDAP)
                        continue;
                when(stamp.mtime_ns, synced, sizeof(synced));
                snprintf(status + strlen(status), len - strlen(status),
                         "; last successful sync %s from %s: %llu entries", synced, stamp.path ? stamp.path : "?",
                         (unsigned long long)stamp.size);
                clock_gettime(CLOCK_REALTIME, &now);
                if ((int64_t)now.tv_sec - stamp.mtime_ns / 1000000000 > SYNC_STALE_S)
                        mailacct_diag_add(diags, MAILACCT_WARNING, ipath, 0,
                                          "the last successful sync was %s: is mailacct-sync.timer running? "
                                          "(journalctl -u mailacct-sync)",
                                          synced);
        }
        if (!(mailacct_index_flags(ix) & IX_F_LDAP))
                mailacct_diag_add(diags, MAILACCT_WARNING, ipath, 0,
                                  "compiled before the configuration had an ldap group: run 'mailacct sync'");
        mailacct_index_close(dix);
        mailacct_index_close(ix);
        mailacct_ldap_store_close(s);
}

static int count_base(struct mailacct_ldap_session *ses, const char *base, const char *filter, const char *what,
                      size_t *n, struct mailacct_ldap_error *err)
{
        (void)what;
        return mailacct_ldap_search(ses, base, filter, MAILACCT_LDAP_MAILBOX, NULL, NULL, NULL, NULL, n, err);
}

int cli_check_ldap_online(const char *conf, const struct mailacct_ldap_conf *lc)
{
        char *password = NULL, *mfilter = NULL, *cfilter = NULL;
        int status = EXIT_UNREACHABLE, reachable = 0;
        bool oom = false;

        (void)conf;
        if (lc->bind_dn) {
                password = cli_read_bind_password(lc);
                if (!password)
                        return EXIT_CONFIG;
        }
        mfilter = mailacct_ldap_mailbox_filter(lc);
        cfilter = mailacct_ldap_contact_filter(lc, &oom);
        if (!mfilter || oom) {
                cli_free_bind_password(password);
                free(mfilter);
                return EXIT_SOFTWARE;
        }
        for (size_t i = 0; i < lc->n_uri; i++) {
                struct mailacct_ldap_session *ses;
                struct mailacct_ldap_root root;
                struct mailacct_ldap_error err;

                ses = NULL;
                if (mailacct_ldap_open(lc, lc->uri[i], password, &ses, &err) < 0 ||
                    mailacct_ldap_root_dse(ses, &root, &err) < 0) {
                        mailacct_ldap_close(ses);
                        printf("online: %s: %s\n", err.kind == MAILACCT_LDAP_UNREACHABLE ? "unreachable" : "error",
                               err.text);
                        if (err.kind != MAILACCT_LDAP_UNREACHABLE)
                                status = EXIT_CONFIG;
                        continue;
                }
                reachable++;
                printf("online: %s: connected; TLS: %s; bind: %s; incremental: %s\n", lc->uri[i],
                       mailacct_ldap_session_tls(ses), mailacct_ldap_session_bind(ses), root.method);
                /* uSNChanged sees deletions only through the tombstones */
                if (strcmp(root.method, "usn") == 0) {
                        const char *ncs[MAILACCT_LDAP_BASES_MAX];
                        size_t n_nc = mailacct_ldap_naming_contexts(lc, ncs);
                        for (size_t k = 0; k < n_nc; k++)
                                if (mailacct_ldap_deleted_readable(ses, ncs[k], &err) != 1)
                                        printf("online: %s: warning: the bind may not read the deleted objects of %s: "
                                               "every sync will be a full pull (let it list and read CN=Deleted "
                                               "Objects)\n",
                                               lc->uri[i], ncs[k]);
                }
                for (size_t b = 0; b < lc->n_base; b++) {
                        size_t nm = 0, nc = 0;
                        if (count_base(ses, lc->base[b], mfilter, "mailboxes", &nm, &err) < 0 ||
                            (cfilter && count_base(ses, lc->base[b], cfilter, "contacts", &nc, &err) < 0)) {
                                printf("online: %s: error: %s\n", lc->uri[i], err.text);
                                status = err.kind == MAILACCT_LDAP_UNREACHABLE ? status : EXIT_CONFIG;
                                continue;
                        }
                        printf("online: %s: base %s: %zu entries match the mailboxes' filter, %zu the contacts'\n",
                               lc->uri[i], lc->base[b], nm, nc);
                        if (nm == 0)
                                printf("online: %s: warning: no mailbox under %s: a wrong base, filter or ACL? (a "
                                       "sync would be refused by max_removal)\n",
                                       lc->uri[i], lc->base[b]);
                }
                mailacct_ldap_close(ses);
        }
        if (reachable && status == EXIT_UNREACHABLE)
                status = reachable == (int)lc->n_uri ? EXIT_OK : EXIT_FAILED;
        printf("online: %d of %zu servers reachable\n", reachable, lc->n_uri);
        cli_free_bind_password(password);
        free(mfilter);
        free(cfilter);
        return status;
}
