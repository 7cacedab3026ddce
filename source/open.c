/* SPDX-License-Identifier: MIT */
/* What a reader (a module, the SASL plugin, `mailacct resolve`) opens for a
 * configuration: where its index is, and the one policy for an index that is
 * not current (docs/ARCHITECTURE.md). */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "confscan.h"
#include "ixformat.h"
#include "trust.h"

int mailacct_index_default_path(const char *conf_path, char *buf, size_t len)
{
        const char *base = strrchr(conf_path, '/');
        size_t n;

        base = base ? base + 1 : conf_path;
        n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
                n -= 5;
        if (n == 0)
                return -EINVAL;
        return snprintf(buf, len, "%s/%.*s.idx", MAILACCT_STATE_DIR, (int)n, base) < (int)len ? 0 : -ERANGE;
}

/* The default place answers alone when the index there says it is this
 * configuration's (its path) and that the configuration named no other
 * place: no reading of the configuration at all. Its ix is handed back. */
static bool default_answers(const char *conf_path, const char *dflt, struct mailacct_index **ix)
{
        char why[512];
        const char *conf;

        if (mailacct_index_open(dflt, ix, why, sizeof(why)) < 0)
                return false;
        conf = mailacct_index_conf_path(*ix);
        if (conf && strcmp(conf, conf_path) == 0 && !(mailacct_index_flags(*ix) & IX_F_INDEX_SETTING))
                return true;
        mailacct_index_close(*ix);
        *ix = NULL;
        return false;
}

/* conf_fd: the configuration as the caller opened it (trust.h), or -1. */
static int locate(const char *conf_path, int conf_fd, const struct stat *conf, char *buf, size_t len,
                  struct mailacct_index **ix)
{
        struct mailacct_conf_scan scan;
        char dflt[PATH_MAX], why[512];
        int r, n;

        if (ix)
                *ix = NULL;
        r = mailacct_index_default_path(conf_path, dflt, sizeof(dflt));
        if (r < 0)
                return r;
        if (ix && default_answers(conf_path, dflt, ix))
                return snprintf(buf, len, "%s", dflt) < (int)len ? 0 : -ERANGE;
        /* the lexer, not the parser: a reader learns where
         * the index is without building the configuration's tree */
        if (mailacct_conf_scan_fd(conf_path, conf_fd, conf, MAILACCT_SCAN_INDEX_ONLY, &scan, why, sizeof(why)) < 0)
                return snprintf(buf, len, "%s", dflt) < (int)len ? 0 : -ERANGE;
        n = snprintf(buf, len, "%s", scan.index ? scan.index : dflt);
        mailacct_conf_scan_free(&scan);
        return n < (int)len ? 0 : -ERANGE;
}

int mailacct_index_locate(const char *conf_path, char *buf, size_t len)
{
        struct mailacct_index *ix = NULL;
        int r = locate(conf_path, -1, NULL, buf, len, &ix);

        mailacct_index_close(ix);
        return r;
}

const char *mailacct_index_state_name(enum mailacct_index_state s)
{
        static const char *const names[] = {"current", "stale", "missing", "not trusted", "of another format version",
                                            "damaged"};

        return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

void mailacct_source_status_free(struct mailacct_source_status *st)
{
        for (size_t i = 0; i < st->n_watch; i++)
                free(st->watch_paths[i]);
        st->n_watch = 0;
}

static bool watched(const struct mailacct_source_status *st, const char *path)
{
        for (size_t i = 0; i < st->n_watch; i++)
                if (strcmp(st->watch_paths[i], path) == 0)
                        return true;
        return false;
}

static void watch(struct mailacct_source_status *st, const char *path, const struct stat *sb)
{
        if (st->n_watch == sizeof(st->watch) / sizeof(st->watch[0]) || watched(st, path))
                return;
        st->watch_paths[st->n_watch] = strdup(path);
        if (!st->watch_paths[st->n_watch])
                return;
        mailacct_stamp_of(st->watch_paths[st->n_watch], sb, &st->watch[st->n_watch]);
        st->n_watch++;
}

/* The files an index was built from, watched as they are now (a stale one's
 * files changed: the reader reopens when they change again). */
static void watch_index(struct mailacct_source_status *st, const struct mailacct_index *ix)
{
        struct stat sb;

        for (size_t i = 0; i < mailacct_index_n_stamps(ix); i++) {
                struct mailacct_stamp s;
                if (mailacct_index_stamp(ix, i, &s) == 0 && s.kind == MAILACCT_STAMP_FILE && s.path &&
                    !watched(st, s.path) && stat(s.path, &sb) == 0)
                        watch(st, s.path, &sb);
        }
}

/* The configuration's bytes with its includes, as watched (the index, if
 * watched, is not counted: it is no configuration). */
static uint64_t watched_bytes(const struct mailacct_source_status *st)
{
        uint64_t n = 0;

        for (size_t i = 0; i < st->n_watch; i++)
                if (strcmp(st->watch_paths[i], st->index_path) != 0)
                        n += st->watch[i].size;
        return n;
}

static uint64_t parse_limit(void)
{
        const char *e = secure_getenv("MAILACCT_PARSE_LIMIT");
        char *end;
        unsigned long long v;

        if (!e || !*e)
                return MAILACCT_PARSE_LIMIT;
        v = strtoull(e, &end, 10);
        /* only lowered: a raise would let a reader parse what it must not */
        return *end || v >= MAILACCT_PARSE_LIMIT ? MAILACCT_PARSE_LIMIT : v;
}

/* The index is current when it names this configuration first and every
 * file it was built from is as it was. */
/* Whether ix was built from conf_path as it is now, and from every other
 * file it names; *changed: the first one that changed since, else NULL. */
static bool current(const struct mailacct_index *ix, const char *conf_path, const struct stat *conf,
                    const char **changed)
{
        struct mailacct_stamp first, now;

        *changed = conf_path;
        if (mailacct_index_n_stamps(ix) == 0 || mailacct_index_stamp(ix, 0, &first) < 0)
                return false;
        mailacct_stamp_of(conf_path, conf, &now);
        if (!first.path || strcmp(first.path, conf_path) != 0 || !mailacct_stamp_same(&first, &now))
                return false;
        *changed = mailacct_index_changed(ix);
        return *changed == NULL;
}

static void age(char *buf, size_t len, int64_t built_ns)
{
        struct timespec now;
        int64_t s;

        clock_gettime(CLOCK_REALTIME, &now);
        s = (int64_t)now.tv_sec - built_ns / 1000000000;
        if (s < 0)
                s = 0;
        if (s < 120)
                snprintf(buf, len, "%lld s", (long long)s);
        else if (s < 7200)
                snprintf(buf, len, "%lld min", (long long)(s / 60));
        else if (s < 172800)
                snprintf(buf, len, "%lld h", (long long)(s / 3600));
        else
                snprintf(buf, len, "%lld days", (long long)(s / 86400));
}

/* The delta beside the index (docs/ARCHITECTURE.md, the delta index): *dix
 * when it names this base; none, or an obsolete one (a new base holds its
 * changes), is no delta. One that is there and damaged, not trusted or of
 * another format: -EBADMSG, st says why (the pair fails as a damaged index
 * does). Watched either way, so that a new one is seen. */
static int open_delta(struct mailacct_source_status *st, const struct mailacct_index *ix, struct mailacct_index **dix)
{
        char why[1024];
        struct stat sb;
        int r;

        *dix = NULL;
        if (mailacct_delta_path(st->index_path, st->delta_path, sizeof(st->delta_path)) < 0)
                return 0;
        r = mailacct_delta_open(st->delta_path, ix, dix, why, sizeof(why));
        if (r == -ENOENT) {
                st->delta_missing = true;
                return 0;
        }
        if (stat(st->delta_path, &sb) == 0)
                watch(st, st->delta_path, &sb);
        if (r == 0 || r == -ESTALE)
                return 0;
        st->index = MAILACCT_IX_DAMAGED;
        snprintf(st->note, sizeof(st->note), "%s", why);
        return -EBADMSG;
}

int mailacct_source_open(const char *conf_path, struct mailacct_dir **out, struct mailacct_diags *diags,
                         struct mailacct_source_status *st)
{
        struct mailacct_file_info info;
        struct mailacct_index *ix = NULL, *dix = NULL;
        struct stat conf, sb;
        char why[1024], old[32];
        uint64_t limit = parse_limit();
        int r, fd;

        *out = NULL;
        memset(st, 0, sizeof(*st));
        st->index = MAILACCT_IX_MISSING;
        /* a configuration this process may not trust is refused by the
         * loader below, with the reason; its index is never looked at */
        fd = mailacct_trust_open(conf_path, 0, &conf, why, sizeof(why));
        if (fd < 0)
                return mailacct_file_load(conf_path, out, diags, NULL);
        watch(st, conf_path, &conf);
        r = locate(conf_path, fd, &conf, st->index_path, sizeof(st->index_path), &ix);
        close(fd);
        if (r < 0)
                return mailacct_file_load(conf_path, out, diags, NULL);
        if (!ix) {
                r = mailacct_index_open(st->index_path, &ix, why, sizeof(why));
                st->index = r == 0         ? MAILACCT_IX_CURRENT
                            : r == -ENOENT ? MAILACCT_IX_MISSING
                            : r == -EPERM  ? MAILACCT_IX_UNTRUSTED
                            : r == -EPROTO ? MAILACCT_IX_OTHER_VERSION
                                           : MAILACCT_IX_DAMAGED;
                if (r < 0 && r != -ENOENT)
                        snprintf(st->note, sizeof(st->note), "%s", why);
        } else
                st->index = MAILACCT_IX_CURRENT;
        if (stat(st->index_path, &sb) == 0)
                watch(st, st->index_path, &sb);
        if (ix && open_delta(st, ix, &dix) < 0) {
                /* a delta that is there and cannot be used: the pair is
                 * damaged, whatever the base says */
                st->ldap = mailacct_index_flags(ix) & IX_F_LDAP;
                mailacct_index_close(ix);
                ix = NULL;
        }
        if (ix) {
                st->index_built_ns = mailacct_index_built(dix ? dix : ix);
                st->ldap = mailacct_index_flags(ix) & IX_F_LDAP;
                /* a delta records what the pair was built from */
                const char *changed;
                if (!current(dix ? dix : ix, conf_path, &conf, &changed)) {
                        st->index = MAILACCT_IX_STALE;
                        age(old, sizeof(old), st->index_built_ns);
                        /* (a sync writes its store, then the index: a
                         * reader in between names the store) */
                        snprintf(st->note, sizeof(st->note), "%s is stale: compiled %s ago, %s changed since",
                                 st->index_path, old, changed);
                }
                watch_index(st, dix ? dix : ix);
                /* a stale index of a large configuration, or of one whose
                 * mailboxes come from a directory, answers: never a parse of
                 * the whole directory in every process */
                if (st->index == MAILACCT_IX_CURRENT || st->ldap || watched_bytes(st) > limit) {
                        const char *damaged = st->index_path;
                        r = mailacct_dir_from_index(ix, out);
                        if (r == 0 && dix) {
                                struct mailacct_dir *base = *out;
                                /* the pair takes the delta, on failure too */
                                r = mailacct_dir_with_delta(base, dix, out);
                                dix = NULL;
                                if (r < 0) {
                                        /* the base goes with ix: the pair is damaged */
                                        mailacct_dir_free(base);
                                        *out = NULL;
                                        ix = NULL;
                                        if (r == -ENOMEM)
                                                return r;
                                        damaged = st->delta_path;
                                }
                        }
                        if (r == 0) {
                                st->from_index = true;
                                return 0;
                        }
                        st->index = MAILACCT_IX_DAMAGED;
                        snprintf(st->note, sizeof(st->note), "%s: damaged settings in its header", damaged);
                }
                mailacct_index_close(dix);
                mailacct_index_close(ix);
                if (st->ldap) {
                        mailacct_diag_add(diags, MAILACCT_ERROR, st->index_path, 0, "%s", st->note);
                        return -EIO;
                }
        }
        /* the file itself, within the limit; a larger one, or one whose
         * mailboxes only the index holds, fails closed */
        r = mailacct_file_load_reader(conf_path, limit, out, diags, &info);
        if (r == -EFBIG || r == -EREMOTE) {
                char first[512] = "";
                if (st->index != MAILACCT_IX_MISSING)
                        snprintf(first, sizeof(first), "%s; ", st->note);
                snprintf(st->note, sizeof(st->note), "%sthe index %s is %s and %s", first, st->index_path,
                         mailacct_index_state_name(st->index),
                         r == -EFBIG ? "the configuration is too large to parse in every process"
                                     : "the mailboxes come from a directory");
                return -EIO;
        }
        if (r == 0) {
                for (size_t i = 1; i < info.n_stamps; i++)
                        if (stat(info.paths[i], &sb) == 0)
                                watch(st, info.paths[i], &sb);
                mailacct_file_info_free(&info);
        }
        return r;
}
