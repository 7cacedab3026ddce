/* SPDX-License-Identifier: MIT */
/* mailacct sync: the directory's mailboxes and contacts into the index.
 * Incremental when it can be (RFC 4533 refreshOnly from the last sync's
 * cookies, the changes applied to the store and written as a delta beside
 * the index), else a full pull (RFC 2696 pages) from the first server of
 * `uri` that answers,
 * through the builder with the file's own entries, under the writer lock;
 * the pulled entries go to the store beside the index (so that compile
 * rebuilds without a pull), then the index. Nothing is written when a
 * server fails midway (the next one is asked, from the start), when none
 * answers (3), when the configuration is at fault (2), or when the sync
 * would remove more than max_removal percent of the last sync's mailboxes
 * (4, unless --force). With schema openldap the pull also asks for
 * userPassword: the first {CRYPT} hash of each mailbox that makes it into
 * the index goes to INDEX.secrets (root's, 0600), never to the store or
 * the index; other schemes are counted in the summary (docs/
 * ARCHITECTURE.md, "Passwords from the directory"). An incremental run
 * carries the hashes of the entries that did not change from the last
 * sync's INDEX.secrets (by DN), and takes the changed ones' from the values
 * sent: the file ends as a full pull would leave it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "changes.h"
#include "cli.h"
#include "declare.h"
#include "diff.h"
#include "index.h"
#include "ixformat.h"
#include "lock.h"
#include "password.h"
#include "pull.h"
#include "secrets.h"
#include "trust.h"
#include "userpassword.h"

enum { EXIT_UNREACHABLE = 3, EXIT_REFUSED = 4 };

/* a page, locked: the bind password's first line fits, or is refused */
#define PASSWORD_BUF 4096

/* ---- the bind password ------------------------------------------------------- */

/* The first line of bind_password_file, a file trusted as the secrets are
 * (root's, not readable by others), read with read(2) into a locked
 * buffer. NULL after printing why. */
char *cli_read_bind_password(const struct mailacct_ldap_conf *c)
{
        char why[1024], *buf, *nl;
        struct stat st;
        size_t n = 0;
        int fd;

        fd = mailacct_trust_open(c->bind_password_file, MAILACCT_TRUST_SECRET, &st, why, sizeof(why));
        if (fd < 0) {
                fprintf(stderr, "%s:%d: bind_password_file %s: %s\n", c->file, c->bind_password_file_line,
                        c->bind_password_file, why);
                return NULL;
        }
        buf = cli_secret_alloc(PASSWORD_BUF);
        if (!buf) {
                close(fd);
                fprintf(stderr, "mailacct: sync: out of memory\n");
                return NULL;
        }
        while (n < PASSWORD_BUF - 1) {
                ssize_t k = read(fd, buf + n, PASSWORD_BUF - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t)k;
                if (memchr(buf, '\n', n))
                        break;
        }
        close(fd);
        nl = memchr(buf, '\n', n);
        if (!nl && n == PASSWORD_BUF - 1) {
                fprintf(stderr, "%s: its first line is longer than %d bytes\n", c->bind_password_file,
                        PASSWORD_BUF - 1);
                cli_secret_free(buf, PASSWORD_BUF);
                return NULL;
        }
        if (nl)
                n = (size_t)(nl - buf);
        /* what follows the first line is no one's business */
        explicit_bzero(buf + n, PASSWORD_BUF - n);
        if (n && buf[n - 1] == '\r')
                buf[--n] = '\0';
        if (!n || memchr(buf, '\0', n)) {
                fprintf(stderr, "%s: %s\n", c->bind_password_file,
                        n ? "the password holds a NUL byte" : "the first line is empty (no password)");
                cli_secret_free(buf, PASSWORD_BUF);
                return NULL;
        }
        return buf;
}

void cli_free_bind_password(char *password)
{
        if (password)
                cli_secret_free(password, PASSWORD_BUF);
}

/* ---- one pull ------------------------------------------------------------------ */

/* A {CRYPT} hash kept from an entry, until the index is written. */
struct kept {
        uint32_t ordinal;
        bool in;      /* the entry made it into the directory */
        bool carried; /* from the last sync's INDEX.secrets (an unchanged entry) */
        char *dn, *hash;
};

struct pull {
        const struct mailacct_ldap_conf *c;
        struct mailacct_ldap_session *session;
        struct mailacct_ldap_root root;
        struct mailacct_ldap_store_writer *w;
        struct mailacct_ldap_diff *diff;
        struct mailacct_ldap_declarer x;
        struct mailacct_ldap_error err;
        char *mailbox_filter, *contact_filter;
        /* a dry run lists its changes: the DNs of the entries noted */
        bool dry_run;
        char **dns;
        uint32_t n_dns, cap_dns;
        int status;        /* the failure's exit status */
        uint32_t unstored; /* entries seen and left out before the store */
        /* RFC 4533: one search a base and kind (mailboxes 2j, contacts
         * 2j+1); the cookies of the last sync and of this one */
        const struct mailacct_ldap_store *old;
        bool incremental, want_cookies;
        size_t n_searches;
        char **cookie_in, **cookie_out;
        size_t *cookie_in_len, *cookie_out_len;
        size_t received;
        const char *no_cookie; /* why this full pull leaves no cookie */
        /* AD's uSNChanged: the last sync's highestCommittedUSN (what this
         * run asks what changed after); this run records the DC's */
        unsigned long long usn_in;
        bool have_usn, want_usn;
        /* what the index got, for the summary (--json: one document) */
        bool json, wrote_delta;
        struct mailacct_delta_stats delta;
        char rebuilt[1024]; /* why an incremental run made a new index; "" */
        /* userPassword (schema openldap): asked for, kept apart, counted */
        bool passwords;
        const char **attrs;
        struct mailacct_ldap_attr *strip; /* an entry's attributes but userPassword */
        size_t cap_strip;
        struct kept *kept; /* in ordinal order */
        uint32_t n_kept, cap_kept;
        struct mailacct_ldap_password_counts pw_counts;
        /* an incremental run: the last sync's hashes (INDEX.secrets, keyed
         * by DN), carried for the entries of the store that did not change */
        struct mailacct_secrets *old_secrets;
        bool carry;
        uint32_t carried;
};

static void kept_clear(struct pull *p)
{
        for (uint32_t i = 0; i < p->n_kept; i++) {
                free(p->kept[i].dn);
                explicit_bzero(p->kept[i].hash, strlen(p->kept[i].hash));
                free(p->kept[i].hash);
        }
        p->n_kept = 0;
        p->carried = 0;
        memset(&p->pw_counts, 0, sizeof(p->pw_counts));
}

static struct kept *kept_find(struct pull *p, uint32_t ordinal)
{
        uint32_t lo = 0, hi = p->n_kept;

        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (p->kept[mid].ordinal == ordinal)
                        return &p->kept[mid];
                if (p->kept[mid].ordinal < ordinal)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static int kept_add(struct pull *p, uint32_t ordinal, const char *dn, const char *hash)
{
        struct kept *k;

        if (p->n_kept == p->cap_kept) {
                uint32_t nc = p->cap_kept ? p->cap_kept * 2 : 256;
                struct kept *nv = realloc(p->kept, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                p->kept = nv;
                p->cap_kept = nc;
        }
        k = &p->kept[p->n_kept];
        k->ordinal = ordinal;
        k->in = true;
        k->carried = false;
        k->dn = strdup(dn);
        k->hash = strdup(hash);
        if (!k->dn || !k->hash) {
                free(k->dn);
                free(k->hash);
                return -ENOMEM;
        }
        p->n_kept++;
        return 0;
}

/* e without its userPassword, for the store and the mapping: the hash
 * lives in INDEX.secrets alone. */
static int without_password(struct pull *p, const struct mailacct_ldap_entry *e, struct mailacct_ldap_entry *out)
{
        size_t n = 0;

        *out = *e;
        if (e->n_attrs > p->cap_strip) {
                struct mailacct_ldap_attr *nv = realloc(p->strip, e->n_attrs * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                p->strip = nv;
                p->cap_strip = e->n_attrs;
        }
        for (size_t i = 0; i < e->n_attrs; i++) {
                if (mailacct_ldap_is_userpassword(e->attrs[i].name))
                        continue;
                p->strip[n++] = e->attrs[i];
        }
        out->attrs = p->strip;
        out->n_attrs = n;
        return 0;
}

static void on_leave_out(void *ctx, uint32_t tag)
{
        struct pull *p = ctx;

        struct kept *k = kept_find(p, tag);

        mailacct_ldap_diff_accept(p->diff, tag, false);
        (void)mailacct_ldap_store_accept(p->w, tag, false);
        if (k)
                k->in = false;
}

static int keep_dn(struct pull *p, const char *dn)
{
        if (p->n_dns == p->cap_dns) {
                uint32_t nc = p->cap_dns ? p->cap_dns * 2 : 1024;
                char **nv = realloc(p->dns, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                p->dns = nv;
                p->cap_dns = nc;
        }
        p->dns[p->n_dns] = strdup(dn);
        return p->dns[p->n_dns++] ? 0 : -ENOMEM;
}

/* An entry's userPassword: counted, its {CRYPT} hash kept for ordinal
 * (the hash is never part of a message). */
static int take_password(struct pull *p, const struct mailacct_ldap_entry *e, uint32_t ordinal)
{
        struct mailacct_ldap_password pw;
        int r = 0;

        if (e->kind != MAILACCT_LDAP_MAILBOX || !mailacct_ldap_password(e, &pw))
                return 0;
        if (pw.hash[0] && strlen(e->dn) >= 512) {
                /* past what a lookup key holds (lib/ixsecrets.c) */
                mailacct_ldap_password_clear(&pw);
                pw.refused = "its DN is too long to key a hash by";
        }
        mailacct_ldap_password_count(&p->pw_counts, &pw);
        if (pw.refused)
                mailacct_diag_add(p->x.diags, MAILACCT_WARNING, e->dn, 0,
                                  "userPassword not synced: %s; the mailbox logs in only with a line in the secrets "
                                  "file",
                                  pw.refused);
        if (pw.hash[0])
                r = kept_add(p, ordinal, e->dn, pw.hash);
        mailacct_ldap_password_clear(&pw);
        return r;
}

/* An entry of the last sync's store that did not change (an incremental
 * run): the hash the last sync kept for its DN, if any. A DN is the key, so
 * a renamed entry, which arrives as a change, never takes its old DN's. */
static int carry_password(struct pull *p, const struct mailacct_ldap_entry *e, uint32_t ordinal)
{
        const char *hash;
        int r;

        if (e->kind != MAILACCT_LDAP_MAILBOX || !p->old_secrets ||
            !(hash = mailacct_secrets_get(p->old_secrets, e->dn)))
                return 0;
        r = kept_add(p, ordinal, e->dn, hash);
        if (r == 0)
                p->kept[p->n_kept - 1].carried = true;
        return r;
}

static int one(void *ctx, const struct mailacct_ldap_entry *full)
{
        struct pull *p = ctx;
        struct mailacct_ldap_entry stripped;
        const struct mailacct_ldap_entry *e = full;
        uint32_t ordinal;
        uint64_t content;
        bool declared;
        int r = 0;

        if (p->passwords) {
                r = without_password(p, full, &stripped);
                e = &stripped;
        }
        if (r == 0)
                r = mailacct_ldap_store_put(p->w, e, &ordinal, &content);
        if (r == -E2BIG) {
                /* beyond what the store holds: left out here, never stored */
                mailacct_diag_add(p->x.diags, MAILACCT_WARNING, e->dn, 0,
                                  "left out: more attributes or values than an entry may hold");
                p->unstored++;
                return 0;
        }
        if (r == 0)
                r = mailacct_ldap_diff_note(p->diff, ordinal, e, content);
        if (r == 0 && p->dry_run)
                r = keep_dn(p, e->dn);
        /* in, until the mapping or the builder leaves it out: the builder
         * says so (on_leave_out) while it is declared, or at finish */
        if (r == 0) {
                mailacct_ldap_diff_accept(p->diff, ordinal, true);
                r = mailacct_ldap_store_accept(p->w, ordinal, true);
        }
        if (r == 0 && p->passwords)
                r = p->carry ? carry_password(p, full, ordinal) : take_password(p, full, ordinal);
        if (r == 0)
                r = mailacct_ldap_declare(&p->x, e, ordinal, &declared);
        if (r == 0 && !declared) {
                struct kept *k = kept_find(p, ordinal);
                mailacct_ldap_diff_accept(p->diff, ordinal, false);
                r = mailacct_ldap_store_accept(p->w, ordinal, false);
                if (k)
                        k->in = false;
        }
        if (r < 0) {
                p->status = EXIT_SOFTWARE;
                return 1;
        }
        return 0;
}

static int add_netbios(void *ctx, const char *dns, const char *netbios)
{
        struct pull *p = ctx;
        int r = mailacct_ldap_declarer_netbios(&p->x, dns, netbios);

        if (r == 0)
                r = mailacct_ldap_store_put_netbios(p->w, dns, netbios);
        return r == -E2BIG ? 0 : r;
}

/* The attributes a search asks for: the mapping's, and userPassword when
 * the sync keeps passwords. NULL when out of memory. */
static const char *const *pull_attrs(struct pull *p)
{
        const char *const *attrs = mailacct_ldap_mapper_attrs(p->x.m);
        size_t n = 0;

        if (!p->passwords)
                return attrs;
        while (attrs[n])
                n++;
        free(p->attrs);
        p->attrs = calloc(n + 2, sizeof(*p->attrs));
        if (!p->attrs)
                return NULL;
        memcpy(p->attrs, attrs, n * sizeof(*attrs));
        p->attrs[n] = MAILACCT_LDAP_USERPASSWORD;
        return p->attrs;
}

/* What a pull does first, a full or an incremental one: the declarer over
 * b, the hook for the entries left out, the directory's NetBIOS names, and
 * the attributes to ask for. */
static int pull_begin(struct pull *p, struct mailacct_builder *b, struct mailacct_diags *diags,
                      const char *const **attrs)
{
        int r = mailacct_ldap_declarer_init(&p->x, b, p->c, diags);

        if (r < 0)
                return r;
        mailacct_builder_on_leave_out(b, on_leave_out, p);
        if (mailacct_ldap_netbios_names(p->session, &p->root, add_netbios, p, &p->err) < 0)
                return -EIO;
        *attrs = pull_attrs(p);
        return *attrs ? 0 : -ENOMEM;
}

/* ---- RFC 4533: cookies and changes --------------------------------------------- */

static const char *search_filter(const struct pull *p, size_t i)
{
        return i % 2 ? p->contact_filter : p->mailbox_filter;
}

static enum mailacct_ldap_kind search_kind(size_t i)
{
        return i % 2 ? MAILACCT_LDAP_CONTACT : MAILACCT_LDAP_MAILBOX;
}

static int ignore_entry(void *ctx, const struct mailacct_ldap_entry *e)
{
        (void)ctx;
        (void)e;
        return 0;
}

static int ignore_uuid(void *ctx, const char *uuid, bool present)
{
        (void)ctx;
        (void)uuid;
        (void)present;
        return 0;
}

/* Before a full pull from a server that offers RFC 4533: the cookie of
 * each search, from a refreshOnly run that asks for no attribute. Taken
 * first, so that whatever changes during the pull comes again in the next
 * run (an entry sent twice is the same entry). A run that fails leaves no
 * cookie, and the next sync is a full one again. */
static void take_cookies(struct pull *p)
{
        static const struct mailacct_ldap_sync_ops ops = {ignore_entry, ignore_uuid};

        for (size_t i = 0; i < p->n_searches; i++) {
                struct mailacct_ldap_sync_result res;
                struct mailacct_ldap_error err;
                if (!search_filter(p, i))
                        continue;
                if (mailacct_ldap_sync(p->session, p->c->base[i / 2], search_filter(p, i), search_kind(i), NULL, NULL,
                                       NULL, 0, &ops, NULL, &res, &err) < 0 ||
                    !res.cookie) {
                        free(res.cookie);
                        fprintf(stderr, "mailacct: sync: no RFC 4533 cookie (%s): the next sync is a full one too\n",
                                err.kind ? err.text : "the server sent none");
                        p->no_cookie = "no cookie";
                        return;
                }
                free(p->cookie_out[i]);
                p->cookie_out[i] = res.cookie;
                p->cookie_out_len[i] = res.cookie_len;
        }
}

struct sync_ctx {
        struct mailacct_ldap_changes *ch;
        size_t search;
        enum mailacct_ldap_kind kind;
};

static int change_entry(void *ctx, const struct mailacct_ldap_entry *e)
{
        struct sync_ctx *s = ctx;

        return mailacct_ldap_changes_entry(s->ch, s->search, e);
}

static int change_uuid(void *ctx, const char *uuid, bool present)
{
        struct sync_ctx *s = ctx;

        return mailacct_ldap_changes_uuid(s->ch, s->search, s->kind, uuid, present);
}

/* The search of the last sync that found e: its kind, and the first base
 * its DN is under (SIZE_MAX when none is: no present phase judges it). */
static size_t search_of(const struct pull *p, const struct mailacct_ldap_entry *e)
{
        for (size_t j = 0; j < p->c->n_base; j++) {
                size_t bl = strlen(p->c->base[j]);
                if (e->dn_len >= bl && strncasecmp(e->dn + e->dn_len - bl, p->c->base[j], bl) == 0 &&
                    (e->dn_len == bl || e->dn[e->dn_len - bl - 1] == ','))
                        return 2 * j + (e->kind == MAILACCT_LDAP_CONTACT);
        }
        return SIZE_MAX;
}

/* A search of an incremental run failed: -ENOMEM when the callback stopped
 * it (its own error) or memory ran out, else -EIO (p->err says why). */
static int failed_search(const struct pull *p)
{
        return p->err.kind == MAILACCT_LDAP_STOPPED || p->err.kind == MAILACCT_LDAP_NOMEM ? -ENOMEM : -EIO;
}

/* RFC 4533: what changed since each search's cookie. 0, -ENOMEM, -EIO
 * (p->err). */
static int changes_rfc4533(struct pull *p, struct mailacct_ldap_changes *ch, const char *const *attrs, const char *key)
{
        static const struct mailacct_ldap_sync_ops ops = {change_entry, change_uuid};

        for (size_t i = 0; i < p->n_searches; i++) {
                struct sync_ctx sc = {ch, i, search_kind(i)};
                struct mailacct_ldap_sync_result res;
                if (!search_filter(p, i))
                        continue;
                if (mailacct_ldap_sync(p->session, p->c->base[i / 2], search_filter(p, i), search_kind(i), attrs, key,
                                       p->cookie_in[i], p->cookie_in_len[i], &ops, &sc, &res, &p->err) < 0)
                        return failed_search(p);
                mailacct_ldap_changes_done(ch, i, res.refresh_deletes);
                p->received += res.received;
                /* no new cookie: the old one still stands */
                free(p->cookie_out[i]);
                p->cookie_out[i] = res.cookie;
                p->cookie_out_len[i] = res.cookie_len;
                if (!res.cookie && p->cookie_in_len[i]) {
                        p->cookie_out[i] = malloc(p->cookie_in_len[i]);
                        if (!p->cookie_out[i])
                                return -ENOMEM;
                        memcpy(p->cookie_out[i], p->cookie_in[i], p->cookie_in_len[i]);
                        p->cookie_out_len[i] = p->cookie_in_len[i];
                }
        }
        return 0;
}

static int change_touched(void *ctx, const struct mailacct_ldap_entry *e)
{
        return e->key_len ? mailacct_ldap_changes_touched(ctx, e->key, e->key_len) : 0;
}

/* AD's uSNChanged: first every object of the bases' naming contexts
 * touched since the last sync's USN (changed, moved, deleted: the last
 * sync's entry of each is dropped), then each search for what of that is in
 * its base and filter now (whole entries, which come back). In this order,
 * an object touched between the two searches is sent by the second; one
 * touched after both comes in the next run (its USN is above the one this
 * run records, read before either). */
static int changes_usn(struct pull *p, struct mailacct_ldap_changes *ch, const char *const *attrs, const char *key)
{
        const char *ncs[MAILACCT_LDAP_BASES_MAX];
        size_t count, n_nc = mailacct_ldap_naming_contexts(p->c, ncs);

        for (size_t j = 0; j < n_nc; j++)
                if (mailacct_ldap_usn_touched(p->session, ncs[j], p->usn_in, change_touched, ch, &count, &p->err) < 0)
                        return failed_search(p);
        for (size_t i = 0; i < p->n_searches; i++) {
                struct sync_ctx sc = {ch, i, search_kind(i)};
                char *filter;
                int r;
                if (!search_filter(p, i))
                        continue;
                if (asprintf(&filter, "(&%s(uSNChanged>=%llu))", search_filter(p, i), p->usn_in + 1) < 0)
                        return -ENOMEM;
                r = mailacct_ldap_search(p->session, p->c->base[i / 2], filter, search_kind(i), attrs, key,
                                         change_entry, &sc, &count, &p->err);
                free(filter);
                if (r < 0)
                        return failed_search(p);
                mailacct_ldap_changes_done(ch, i, true);
                p->received += count;
        }
        return 0;
}

/* AD tombstones live tombstoneLifetime (60 or 180 days) and then go: a
 * state older than the shorter is no basis for finding deletions */
#define USN_STATE_MAX_AGE_S (30LL * 86400)

/* Whether an incremental uSNChanged run can see everything that went:
 * NULL, or why not. */
static const char *usn_usable(struct pull *p, const struct mailacct_ldap_store *old)
{
        const char *ncs[MAILACCT_LDAP_BASES_MAX];
        size_t n_nc = mailacct_ldap_naming_contexts(p->c, ncs);
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        if ((long long)now.tv_sec - mailacct_ldap_store_pulled(old) / 1000000000LL > USN_STATE_MAX_AGE_S)
                return "last sync over 30 days ago";
        for (size_t j = 0; j < n_nc; j++) {
                struct mailacct_ldap_error err;
                const char *nc = ncs[j];
                if (mailacct_ldap_deleted_readable(p->session, nc, &err) != 1) {
                        fprintf(stderr,
                                "mailacct: sync: %s: the bind may not read the deleted objects of %s (Show Deleted): "
                                "uSNChanged would not see deletions, so this sync is a full pull; let the bind_dn list "
                                "and read CN=Deleted Objects (dsacls \"CN=Deleted Objects,%s\" /takeownership, then "
                                "/G ACCOUNT:LCRP), or bind as an account that may\n",
                                mailacct_ldap_session_uri(p->session), nc, nc);
                        return "deleted objects not readable";
                }
        }
        return NULL;
}

/* The hook of an incremental run: what changed since the cookies, then
 * the store's entries that stay and the changed ones, each as a pull
 * declares it. */
static int pull_changes(void *ctx, struct mailacct_builder *b, const struct mailacct_file_info *info,
                        struct mailacct_diags *diags)
{
        struct pull *p = ctx;
        const char *const *attrs;
        const char *key = mailacct_ldap_key_attr(p->c->schema);
        struct mailacct_ldap_changes *ch;
        struct mailacct_ldap_store_iter *it = NULL;
        struct mailacct_ldap_entry e;
        uint32_t ordinal;
        int r = 0;

        (void)info;
        r = pull_begin(p, b, diags, &attrs);
        if (r < 0)
                return r;
        ch = mailacct_ldap_changes_new(p->n_searches);
        if (!ch)
                return -ENOMEM;
        r = p->want_usn ? changes_usn(p, ch, attrs, key) : changes_rfc4533(p, ch, attrs, key);
        if (r < 0) {
                mailacct_ldap_changes_free(ch);
                return r;
        }
        /* the entries that stay keep the hash the last sync kept for
         * them; the changed ones take theirs from the values sent */
        it = mailacct_ldap_store_iter_new(p->old);
        p->carry = true;
        while (r == 0 && it && (r = mailacct_ldap_store_next(it, &e, &ordinal, NULL, NULL)) == 1) {
                r = 0;
                if (mailacct_ldap_changes_keeps(ch, search_of(p, &e), &e) && one(p, &e))
                        r = -ENOMEM;
        }
        p->carry = false;
        if (!it)
                r = -ENOMEM;
        mailacct_ldap_store_iter_free(it);
        for (size_t i = 0; r == 0 && i < mailacct_ldap_changes_count(ch); i++)
                if (one(p, mailacct_ldap_changes_at(ch, i)))
                        r = -ENOMEM;
        mailacct_ldap_changes_free(ch);
        if (r < 0 && r != -ENOMEM) {
                fprintf(stderr, "mailacct: sync: the last sync's store: %s\n", strerror(-r));
                return -ENOMEM;
        }
        return r;
}

/* The hook of the file's load: the directory's entries after the file's. */
static int pull_all(void *ctx, struct mailacct_builder *b, const struct mailacct_file_info *info,
                    struct mailacct_diags *diags)
{
        struct pull *p = ctx;
        const char *const *attrs;
        const char *key = mailacct_ldap_key_attr(p->c->schema);
        size_t count;
        int r;

        (void)info;
        r = pull_begin(p, b, diags, &attrs);
        if (r < 0)
                return r;
        if (p->want_cookies)
                take_cookies(p);
        for (size_t i = 0; i < p->c->n_base; i++) {
                if (mailacct_ldap_search(p->session, p->c->base[i], p->mailbox_filter, MAILACCT_LDAP_MAILBOX, attrs,
                                         key, one, p, &count, &p->err) < 0)
                        return p->err.kind == MAILACCT_LDAP_STOPPED ? -ENOMEM : -EIO;
                if (p->contact_filter &&
                    mailacct_ldap_search(p->session, p->c->base[i], p->contact_filter, MAILACCT_LDAP_CONTACT, attrs,
                                         key, one, p, &count, &p->err) < 0)
                        return p->err.kind == MAILACCT_LDAP_STOPPED ? -ENOMEM : -EIO;
        }
        return 0;
}

static void pull_reset(struct pull *p)
{
        mailacct_ldap_declarer_clear(&p->x);
        mailacct_ldap_store_abort(p->w);
        p->w = NULL;
        mailacct_ldap_diff_free(p->diff);
        p->diff = NULL;
        mailacct_ldap_close(p->session);
        p->session = NULL;
        for (uint32_t i = 0; i < p->n_dns; i++)
                free(p->dns[i]);
        p->n_dns = 0;
        kept_clear(p);
        for (size_t i = 0; p->cookie_out && i < p->n_searches; i++) {
                free(p->cookie_out[i]);
                p->cookie_out[i] = NULL;
                p->cookie_out_len[i] = 0;
        }
        p->received = 0;
        p->no_cookie = NULL;
}

/* ---- the sync state ----------------------------------------------------------- */

#define STATE_URIS "uris" /* the configured servers, one a line: another list is another directory's state */
/* how many {CRYPT} hashes the sync kept in INDEX.secrets, in decimal ("0":
 * none, the file absent); absent: the sync did not ask for userPassword */
#define STATE_PASSWORDS "passwords"

/* An incremental run of a sync that keeps passwords carries the hashes of
 * the entries that did not change from the last sync's INDEX.secrets: NULL
 * when it can (p->old_secrets open, or no file where the last sync kept
 * none), else why a full pull is due. */
static const char *open_old_secrets(struct pull *p, const struct mailacct_ldap_store *old, const char *target)
{
        const void *v;
        size_t len;
        char why[1024];
        int r;

        if (mailacct_ldap_store_state(old, STATE_PASSWORDS, &v, &len) < 0 || !len)
                return "passwords not synced before";
        r = mailacct_secrets_open_synced(target, &p->old_secrets, why, sizeof(why));
        if (r == -ENOENT)
                return len == 1 && *(const char *)v == '0' ? NULL : "synced hashes missing";
        if (r < 0) {
                fprintf(stderr, "mailacct: sync: %s: a full pull instead\n", why);
                return "synced hashes unusable";
        }
        return NULL;
}

/* The configured uris, one a line, into buf. */
static void uris_text(const struct mailacct_ldap_conf *lc, char *buf, size_t len)
{
        buf[0] = '\0';
        for (size_t i = 0; i < lc->n_uri; i++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "\n" : "", lc->uri[i]);
}

static int hexval(char ch)
{
        return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* The cookies of the last sync, one a line in hex (empty: that search has
 * none): false when the state holds none or not as many as this run makes. */
int cli_sync_cookies(const struct mailacct_ldap_store *s, size_t n, char **cookies, size_t *lens)
{
        const void *v;
        const char *at, *end;
        size_t len, i = 0;

        for (size_t k = 0; k < n; k++)
                cookies[k] = NULL, lens[k] = 0;
        if (!s || mailacct_ldap_store_state(s, MAILACCT_LDAP_STATE_COOKIE, &v, &len) < 0 || !len)
                return -ENOENT;
        at = v;
        end = at + len;
        while (i < n) {
                const char *nl = memchr(at, '\n', (size_t)(end - at));
                size_t m = (size_t)((nl ? nl : end) - at);
                if (m % 2)
                        break;
                if (m) {
                        cookies[i] = malloc(m / 2);
                        if (!cookies[i])
                                break;
                        for (size_t k = 0; k < m / 2; k++) {
                                int hi = hexval(at[2 * k]), lo = hexval(at[2 * k + 1]);
                                if (hi < 0 || lo < 0)
                                        goto bad;
                                cookies[i][k] = (char)(hi << 4 | lo);
                        }
                        lens[i] = m / 2;
                }
                i++;
                if (!nl)
                        break;
                at = nl + 1;
        }
        if (i == n)
                return 0;
bad:
        cli_sync_cookies_free(n, cookies);
        return -ENOENT;
}

void cli_sync_cookies_free(size_t n, char **cookies)
{
        for (size_t k = 0; k < n; k++) {
                free(cookies[k]);
                cookies[k] = NULL;
        }
}

/* The last sync's cookies: one for every search this run makes. */
static bool read_cookies(struct pull *p, const struct mailacct_ldap_store *old)
{
        if (cli_sync_cookies(old, p->n_searches, p->cookie_in, p->cookie_in_len) < 0)
                return false;
        for (size_t i = 0; i < p->n_searches; i++)
                if (search_filter(p, i) && !p->cookie_in_len[i])
                        return false;
        return true;
}

int cli_sync_usn(const struct mailacct_ldap_store *s, unsigned long long *usn, char invocation[33])
{
        const void *v;
        size_t len;
        char text[32], *end;

        if (invocation) {
                invocation[0] = '\0';
                if (mailacct_ldap_store_state(s, MAILACCT_LDAP_STATE_INVOCATION, &v, &len) == 0 && len == 32) {
                        memcpy(invocation, v, 32);
                        invocation[32] = '\0';
                }
        }
        if (mailacct_ldap_store_state(s, MAILACCT_LDAP_STATE_USN, &v, &len) < 0 || !len || len >= sizeof(text))
                return -ENOENT;
        memcpy(text, v, len);
        text[len] = '\0';
        errno = 0;
        *usn = strtoull(text, &end, 10);
        /* digits only, and room for the next one (the runs ask above it) */
        if (strspn(text, "0123456789") != len || *end || errno || *usn == ULLONG_MAX)
                return -ENOENT;
        return 0;
}

static int put_cookies(struct pull *p)
{
        static const char hex[] = "0123456789abcdef";
        size_t len = 0, at = 0;
        char *buf;
        int r;

        for (size_t i = 0; i < p->n_searches; i++) {
                if (search_filter(p, i) && !p->cookie_out[i])
                        return 0; /* a search without one: no state to continue from */
                len += 2 * p->cookie_out_len[i] + 1;
        }
        buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_searches; i++) {
                for (size_t k = 0; k < p->cookie_out_len[i]; k++) {
                        buf[at++] = hex[(unsigned char)p->cookie_out[i][k] >> 4];
                        buf[at++] = hex[(unsigned char)p->cookie_out[i][k] & 15];
                }
                if (i + 1 < p->n_searches)
                        buf[at++] = '\n';
        }
        r = mailacct_ldap_store_put_state(p->w, MAILACCT_LDAP_STATE_COOKIE, buf, at);
        free(buf);
        return r;
}

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- reporting ---------------------------------------------------------------- */

static void one_change(struct cli_json *j, const char *what, const char *dn)
{
        if (!j) {
                printf("%s %s\n", what, dn);
                return;
        }
        cli_json_object(j, NULL);
        cli_json_str(j, "change", what);
        cli_json_str(j, "dn", dn);
        cli_json_end(j);
}

/* A dry run's changes, by DN: lines "add DN", or (j) the members of the
 * array j is in. */
static void print_changes(struct pull *p, const struct mailacct_ldap_store *old, struct cli_json *j)
{
        for (uint32_t i = 0; i < p->n_dns; i++) {
                enum mailacct_ldap_change k = mailacct_ldap_diff_change(p->diff, i);
                if (k == MAILACCT_LDAP_ADDED)
                        one_change(j, "add", p->dns[i]);
                else if (k == MAILACCT_LDAP_CHANGED)
                        one_change(j, "change", p->dns[i]);
        }
        if (old) {
                struct mailacct_ldap_store_iter *it = mailacct_ldap_store_iter_new(old);
                struct mailacct_ldap_entry e;
                uint32_t ordinal;
                while (it && mailacct_ldap_store_next(it, &e, &ordinal, NULL, NULL) == 1)
                        if (mailacct_ldap_diff_removed(p->diff, ordinal))
                                one_change(j, "remove", e.dn);
                mailacct_ldap_store_iter_free(it);
        }
}

/* --json: the sync's one document (mailacct(8), JSON OUTPUT). */
static void json_summary(struct pull *p, const struct mailacct_ldap_store *old, const char *config, const char *reason,
                         const struct mailacct_ldap_counts *counts, bool dry_run, bool refused, bool written)
{
        const struct mailacct_ldap_password_counts *pc = &p->pw_counts;
        struct cli_json j;

        cli_json_start(&j, stdout);
        cli_json_object(&j, NULL);
        cli_json_str(&j, "config", config);
        cli_json_str(&j, "server", mailacct_ldap_session_uri(p->session));
        cli_json_bool(&j, "incremental", p->incremental);
        cli_json_str(&j, "method", p->incremental ? p->root.method : NULL);
        cli_json_str(&j, "reason", p->incremental ? NULL : reason);
        if (p->incremental)
                cli_json_int(&j, "received", (long long)p->received);
        else
                cli_json_int(&j, "seen", counts->seen);
        cli_json_int(&j, "added", counts->added);
        cli_json_int(&j, "changed", counts->changed);
        cli_json_int(&j, "removed", counts->removed);
        cli_json_int(&j, "left_out", counts->left_out);
        cli_json_bool(&j, "dry_run", dry_run);
        cli_json_bool(&j, "refused", refused);
        cli_json_bool(&j, "written", written);
        if (p->wrote_delta) {
                cli_json_object(&j, "delta");
                cli_json_int(&j, "keys", (long long)p->delta.keys);
                cli_json_int(&j, "mailboxes", p->delta.mailboxes);
                cli_json_int(&j, "added", p->delta.added);
                cli_json_int(&j, "changed", p->delta.changed);
                cli_json_int(&j, "removed", p->delta.removed);
                cli_json_end(&j);
        } else
                cli_json_str(&j, "delta", NULL);
        cli_json_str(&j, "rebuilt", p->rebuilt[0] ? p->rebuilt : NULL);
        if (p->passwords) {
                cli_json_object(&j, "passwords");
                cli_json_int(&j, "kept", pc->kept);
                cli_json_int(&j, "carried", p->carried);
                cli_json_int(&j, "several", pc->several);
                cli_json_int(&j, "refused", pc->refused);
                cli_json_int(&j, "not_kept", pc->not_kept);
                cli_json_end(&j);
        }
        if (dry_run) {
                cli_json_array(&j, "changes");
                print_changes(p, old, &j);
                cli_json_end(&j);
        }
        cli_json_end(&j);
        fflush(stdout);
}

/* The kept hashes of the entries that made it in. */
static uint32_t kept_in(struct pull *p)
{
        uint32_t n = 0;

        p->carried = 0;
        for (uint32_t i = 0; i < p->n_kept; i++)
                if (p->kept[i].in) {
                        p->carried += p->kept[i].carried;
                        p->kept[n++] = p->kept[i];
                } else {
                        free(p->kept[i].dn);
                        explicit_bzero(p->kept[i].hash, strlen(p->kept[i].hash));
                        free(p->kept[i].hash);
                }
        p->n_kept = n;
        return n;
}

static int kept_entry(size_t i, void *ctx, const char **dn, const char **hash)
{
        const struct pull *p = ctx;

        if (i >= p->n_kept)
                return -ENOENT;
        *dn = p->kept[i].dn;
        *hash = p->kept[i].hash;
        return 0;
}

/* The settings (scheme and cost) of the kept hashes, as "$y$jAT$, $6$":
 * an unknown user costs the slowest, so users of a cheaper one answer a
 * wrong password sooner. How many there are (at most 8 listed). */
static size_t kept_settings(const struct pull *p, char *list, size_t len)
{
        char seen[8][64];
        size_t n = 0, more = 0;

        list[0] = '\0';
        for (uint32_t i = 0; i < p->n_kept; i++) {
                char one[64];
                bool known = false;
                mailacct_password_setting(p->kept[i].hash, one, sizeof(one));
                for (size_t k = 0; k < n && !known; k++)
                        known = strcmp(seen[k], one) == 0;
                if (known)
                        continue;
                if (n == 8) {
                        more = 1; /* at least one more */
                        continue;
                }
                memcpy(seen[n++], one, sizeof(one));
                snprintf(list + strlen(list), len - strlen(list), "%s%s", n > 1 ? ", " : "", one);
        }
        return n + more;
}

/* INDEX.secrets: replaced, or removed when no hash was kept. */
static int write_passwords(struct pull *p, const char *target, int64_t pulled_ns, char *err, size_t errlen)
{
        return mailacct_secrets_write_synced(target, p->n_kept, kept_entry, p, pulled_ns, err, errlen);
}

/* The store, then the index that records it: a failure between the two
 * leaves an index that `check` calls stale and `compile` rebuilds. */
/* The delta's limit; MAILACCT_DELTA_LIMIT (keys) can lower it, for tests. */
static size_t delta_limit(const struct mailacct_index *base)
{
        size_t limit = mailacct_delta_limit(base);
        const char *e = secure_getenv("MAILACCT_DELTA_LIMIT");
        char *end;
        unsigned long long v;

        if (!e || !*e)
                return limit;
        v = strtoull(e, &end, 10);
        return *end || v >= limit ? limit : (size_t)v;
}

/* The index: a delta beside the one in place after an incremental run,
 * unless it cannot hold the change (then, and after a full pull, a new
 * base, then the delta removed: a reader sees the old pair, the new base
 * with an obsolete delta it ignores, or the new base alone). */
static int write_index(struct pull *p, struct mailacct_dir *d, const struct mailacct_index_meta *meta,
                       const char *target, char *err, size_t errlen)
{
        char dpath[4200], why[1024];
        struct mailacct_dir *base = NULL;
        struct mailacct_delta_stats st;
        int r;

        if (mailacct_delta_path(target, dpath, sizeof(dpath)) < 0) {
                snprintf(err, errlen, "index path too long");
                return -ENAMETOOLONG;
        }
        if (p->incremental) {
                r = mailacct_dir_open_index(target, &base, why, sizeof(why));
                if (r == 0 && !(mailacct_index_flags(mailacct_dir_index(base)) & IX_F_LDAP)) {
                        snprintf(why, sizeof(why), "%s holds no directory's mailboxes", target);
                        r = -EINVAL;
                }
                if (r == 0) {
                        r = mailacct_delta_write(base, d, meta, dpath, delta_limit(mailacct_dir_index(base)), &st, why,
                                                 sizeof(why));
                        if (r == 0) {
                                p->wrote_delta = true;
                                p->delta = st;
                        }
                        if (r == 0 && !p->json)
                                printf("sync: delta: %zu keys, %u mailboxes (%u added, %u changed, %u removed) beside "
                                       "%s\n",
                                       st.keys, st.mailboxes, st.added, st.changed, st.removed, target);
                }
                mailacct_dir_free(base);
                if (r == 0)
                        return 0;
                /* no usable base in place: a new one replaces it */
                if (r != -EXDEV && r != -ENOENT && r != -EBADMSG && r != -EPROTO && r != -EINVAL && r != -EPERM) {
                        snprintf(err, errlen, "%s", why);
                        return r;
                }
                snprintf(p->rebuilt, sizeof(p->rebuilt), "%s", why);
                if (!p->json)
                        printf("sync: index rebuilt: %s\n", why);
        }
        /* the directory is freed next: its tables go as they are written */
        r = mailacct_index_write_consume(d, meta, target, 0644, err, errlen);
        if (r == 0 && unlink(dpath) < 0 && errno != ENOENT) {
                snprintf(err, errlen, "%s: %s", dpath, strerror(errno));
                return -errno;
        }
        return r;
}

static int write_all(const struct cli *c, struct pull *p, struct mailacct_file_info *info, struct mailacct_dir *d,
                     const char *target, const char *spath, int64_t pulled_ns, uint32_t seen)
{
        const struct mailacct_ldap_conf *lc = p->c;
        struct mailacct_stamp stamps[MAILACCT_CONF_FILES_MAX + 2];
        struct mailacct_index_meta meta;
        const char *server = mailacct_ldap_session_uri(p->session);
        char bases[8192] = "", uris[8192], sync_text[8400], err[1024];
        struct stat st;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < lc->n_base; i++)
                snprintf(bases + strlen(bases), sizeof(bases) - strlen(bases), "%s%s", i ? "\n" : "", lc->base[i]);
        uris_text(lc, uris, sizeof(uris));
        if ((r = mailacct_ldap_store_put_state(p->w, MAILACCT_LDAP_STATE_SERVER, server, strlen(server))) < 0 ||
            (r = mailacct_ldap_store_put_state(p->w, MAILACCT_LDAP_STATE_METHOD, p->root.method,
                                               strlen(p->root.method))) < 0 ||
            (r = mailacct_ldap_store_put_state(p->w, MAILACCT_LDAP_STATE_BASES, bases, strlen(bases))) < 0 ||
            (r = mailacct_ldap_store_put_state(p->w, STATE_URIS, uris, strlen(uris))) < 0 ||
            (!p->no_cookie && (r = put_cookies(p)) < 0) ||
            (p->want_usn &&
             ((r = mailacct_ldap_store_put_state(p->w, MAILACCT_LDAP_STATE_USN, p->root.usn, strlen(p->root.usn))) <
                      0 ||
              (r = mailacct_ldap_store_put_state(p->w, MAILACCT_LDAP_STATE_INVOCATION, p->root.invocation,
                                                 strlen(p->root.invocation))) < 0))) {
                fprintf(stderr, "mailacct: sync: %s\n", strerror(-r));
                return EXIT_SOFTWARE;
        }
        if (p->passwords) {
                char kept[16];
                snprintf(kept, sizeof(kept), "%u", p->n_kept);
                r = mailacct_ldap_store_put_state(p->w, STATE_PASSWORDS, kept, strlen(kept));
                if (r < 0) {
                        fprintf(stderr, "mailacct: sync: %s\n", strerror(-r));
                        return EXIT_SOFTWARE;
                }
        }
        /* the directory's hashes, before the store that holds the cookies:
         * an incremental run carries the hashes of the entries that did not
         * change since the cookies from this file, so it is never older
         * than them (a store not written after it leaves the old cookies,
         * and the changes come again) */
        r = write_passwords(p, target, pulled_ns, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "mailacct: sync: %s; nothing changed\n", err);
                return r == -ENOMEM ? EXIT_SOFTWARE : EXIT_FAILED;
        }
        r = mailacct_ldap_store_commit(p->w, err, sizeof(err));
        p->w = NULL;
        if (r < 0) {
                fprintf(stderr, "mailacct: sync: %s; nothing changed\n", err);
                return EXIT_FAILED;
        }
        /* what the index is built from: the files, the store, the sync */
        for (size_t i = 0; i < info->n_stamps && n < MAILACCT_CONF_FILES_MAX; i++)
                stamps[n++] = info->stamps[i];
        if (stat(spath, &st) == 0)
                mailacct_stamp_of(spath, &st, &stamps[n++]);
        for (char *b = bases; *b; b++)
                if (*b == '\n')
                        *b = ' ';
        snprintf(sync_text, sizeof(sync_text), "%s %s", server, bases);
        stamps[n] = (struct mailacct_stamp){
                .kind = MAILACCT_STAMP_LDAP, .path = sync_text, .mtime_ns = pulled_ns, .size = seen};
        n++;
        meta = (struct mailacct_index_meta){
                .conf_path = c->config,
                .flags = IX_F_LDAP | (info->index ? IX_F_INDEX_SETTING : 0),
                .stamps = stamps,
                .n_stamps = n,
        };
        r = write_index(p, d, &meta, target, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr,
                        "mailacct: sync: %s (the store is written: 'mailacct compile' builds the index from "
                        "it)\n",
                        err);
                return r == -ENOMEM ? EXIT_SOFTWARE : EXIT_FAILED;
        }
        return EXIT_OK;
}

/* ---- the command ---------------------------------------------------------------- */

int cmd_sync(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"full", no_argument, NULL, 'U'},
                {"dry-run", no_argument, NULL, 'n'},
                {"force", no_argument, NULL, 'f'},
                {"watch", no_argument, NULL, 'W'},
                CLI_LONG_JSON,
                CLI_LONG_COMMON,
                {},
        };
        bool dry_run = false, force = false, full_asked = false, watch = false;
        int o, r;

        while ((o = getopt_long(argc, argv, CLI_SHORT("nf"), opts, NULL)) != -1) {
                switch (o) {
                case 'U':
                        full_asked = true;
                        break;
                case 'n':
                        dry_run = true;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'W':
                        watch = true;
                        break;
                default:
                        if ((r = cli_option(c, o)) != CLI_GO_ON)
                                return r;
                }
        }
        if (optind != argc)
                return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
        if (watch && dry_run)
                return cli_usage_error(c, "--watch writes: it takes no --dry-run");
        return watch ? cli_sync_watch(c, force, full_asked) : cli_sync_once(c, dry_run, force, full_asked);
}

int cli_sync_once(struct cli *c, bool dry_run, bool force, bool full_asked)
{
        bool have_cookies = false;
        const char *why_full = NULL, *reason = NULL;
        char uris[8192];
        struct mailacct_file_info info0 = {0}, info = {0};
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        struct mailacct_ldap_store *old = NULL;
        struct pull p = {0};
        struct mailacct_ldap_counts counts;
        char target[4096], spath[4200], why[1024], err[1024], *password = NULL, invocation_in[33] = "";
        const struct mailacct_ldap_conf *lc;
        int r, lock = -1, status = EXIT_CONFIG, reached = 0;
        int64_t pulled_ns = 0;

        mailacct_diags_init(&diags);
        if (mailacct_writer_target(c->config, target, sizeof(target)) < 0 ||
            mailacct_ldap_store_path(target, spath, sizeof(spath)) < 0) {
                fprintf(stderr, "mailacct: sync: index path too long\n");
                return EXIT_CONFIG;
        }
        if (!dry_run) {
                if (cli_index_folder(target, err, sizeof(err)) < 0) {
                        fprintf(stderr, "mailacct: sync: %s: %s\n", target, err);
                        return EXIT_CONFIG;
                }
                /* one writer at a time, for the whole read-pull-write */
                lock = mailacct_lock_take(target, 30, err, sizeof(err));
                if (lock < 0) {
                        fprintf(stderr, "mailacct: sync: %s\n", err);
                        return EXIT_FAILED;
                }
        }
        /* the configuration first: its ldap group says where to go */
        r = mailacct_file_load(c->config, &d, &diags, &info0);
        mailacct_dir_free(d);
        d = NULL;
        if (r < 0) {
                cli_print_diags(stderr, &diags, c->config);
                fprintf(stderr, "mailacct: sync: configuration %s is unusable (see the errors above)\n", c->config);
                goto out;
        }
        lc = info0.ldap;
        if (!lc) {
                fprintf(stderr, "mailacct: sync: %s has no ldap group: there is no directory to sync from\n",
                        c->config);
                goto out;
        }
        mailacct_diags_clear(&diags);
        mailacct_diags_init(&diags);
        if (lc->tls_ca && access(lc->tls_ca, R_OK) < 0) {
                fprintf(stderr, "%s:%d: tls_ca %s: %s\n", lc->file, lc->tls_ca_line, lc->tls_ca, strerror(errno));
                goto out;
        }
        if (lc->bind_dn) {
                cli_secret_protect();
                password = cli_read_bind_password(lc);
                if (!password)
                        goto out;
        }
        /* the last sync: what this one adds, changes and removes */
        r = mailacct_ldap_store_open(spath, &old, why, sizeof(why));
        if (r < 0 && r != -ENOENT) {
                /* a store that cannot be read is no baseline: the index
                 * then holds the last word, and --force must say so */
                fprintf(stderr, "mailacct: sync: %s\n", why);
                if (!force) {
                        fprintf(stderr, "mailacct: sync: without the last sync's entries the removal limit cannot "
                                        "be judged; run with --force to sync anyway\n");
                        status = EXIT_REFUSED;
                        goto out;
                }
        }
        p.c = lc;
        p.old = old;
        p.dry_run = dry_run;
        p.json = c->json;
        p.passwords = lc->schema == MAILACCT_LDAP_SCHEMA_OPENLDAP;
        p.mailbox_filter = mailacct_ldap_mailbox_filter(lc);
        p.n_searches = 2 * lc->n_base;
        p.cookie_in = calloc(p.n_searches, sizeof(*p.cookie_in));
        p.cookie_out = calloc(p.n_searches, sizeof(*p.cookie_out));
        p.cookie_in_len = calloc(p.n_searches, sizeof(*p.cookie_in_len));
        p.cookie_out_len = calloc(p.n_searches, sizeof(*p.cookie_out_len));
        {
                bool oom;
                p.contact_filter = mailacct_ldap_contact_filter(lc, &oom);
                if (!p.mailbox_filter || oom || !p.cookie_in || !p.cookie_out || !p.cookie_in_len ||
                    !p.cookie_out_len) {
                        status = EXIT_SOFTWARE;
                        goto out;
                }
        }
        /* what the last sync left decides whether this one can continue
         * from it; the server's offer is asked once connected */
        uris_text(lc, uris, sizeof(uris));
        if (full_asked)
                why_full = "--full";
        else if (dry_run)
                why_full = "dry run";
        else if (!old)
                why_full = r == -ENOENT ? "first sync" : "sync state unusable";
        else if (mailacct_ldap_store_fingerprint(old) != mailacct_ldap_conf_fingerprint(lc) ||
                 mailacct_ldap_store_schema(old) != lc->schema)
                why_full = "schema, base, filter or map changed";
        else {
                const void *v;
                size_t len;
                if (mailacct_ldap_store_state(old, STATE_URIS, &v, &len) < 0 || len != strlen(uris) ||
                    memcmp(v, uris, len) != 0)
                        why_full = "uri changed";
                have_cookies = read_cookies(&p, old);
                p.have_usn = cli_sync_usn(old, &p.usn_in, invocation_in) == 0;
                if (!why_full && have_cookies && p.passwords)
                        why_full = open_old_secrets(&p, old, target);
        }
        /* the servers in order: one that cannot be reached sends the sync
         * on; one that refuses what the configuration asks ends it */
        status = EXIT_UNREACHABLE;
        for (size_t i = 0; i < lc->n_uri; i++) {
                struct mailacct_file_hook hook = {.add = pull_all, .ctx = &p};
                pull_reset(&p);
                p.status = 0;
                p.unstored = 0;
                memset(&p.err, 0, sizeof(p.err));
                pulled_ns = now_ns();
                if (mailacct_ldap_open(lc, lc->uri[i], password, &p.session, &p.err) < 0 ||
                    mailacct_ldap_root_dse(p.session, &p.root, &p.err) < 0) {
                        fprintf(stderr, "mailacct: sync: %s\n", p.err.text);
                        if (p.err.kind == MAILACCT_LDAP_UNREACHABLE)
                                continue;
                        status = p.err.kind == MAILACCT_LDAP_NOMEM ? EXIT_SOFTWARE : EXIT_CONFIG;
                        goto out;
                }
                reached++;
                /* incremental: RFC 4533 with cookies from this very
                 * configuration, entries named by entryUUID (the deletions
                 * name them so) */
                {
                        bool rfc4533 = strcmp(p.root.method, "rfc4533") == 0;
                        bool usn = strcmp(p.root.method, "usn") == 0;
                        bool uuid_key = strcmp(mailacct_ldap_key_attr(lc->schema), "entryUUID") == 0;
                        if (!rfc4533 && !usn && i == 0)
                                fprintf(stderr,
                                        "mailacct: sync: %s offers no incremental method this build implements "
                                        "(%s): every sync is a full pull\n",
                                        lc->uri[i],
                                        strcmp(p.root.method, "none") == 0 ? "it offers none" : p.root.method);
                        reason = why_full                                ? why_full
                                 : strcmp(p.root.method, "none") == 0    ? "none offered"
                                 : strcmp(p.root.method, "dirsync") == 0 ? "dirsync offered, not implemented"
                                 : rfc4533 && !uuid_key                  ? "key is objectGUID"
                                 : usn && uuid_key                       ? "key is entryUUID"
                                 : rfc4533 && !have_cookies              ? "no cookie"
                                 : usn && !p.have_usn                    ? "no USN"
                                 : usn && strcmp(invocation_in, p.root.invocation) != 0 ? "invocationId changed"
                                                                                        : NULL;
                        if (usn && !reason)
                                reason = usn_usable(&p, old);
                        p.incremental = !reason;
                        p.want_cookies = !dry_run && rfc4533 && uuid_key && reason;
                        p.want_usn = usn && !uuid_key;
                }
                /* a dry run creates no file at all, not even a temporary one */
                p.w = mailacct_ldap_store_begin(dry_run ? NULL : spath, lc->schema, mailacct_ldap_conf_fingerprint(lc),
                                                pulled_ns, err, sizeof(err));
                p.diff = mailacct_ldap_diff_new(old);
                if (!p.w || !p.diff) {
                        fprintf(stderr, "mailacct: sync: %s\n", p.w ? "out of memory" : err);
                        status = p.w ? EXIT_SOFTWARE : EXIT_FAILED;
                        goto out;
                }
                mailacct_file_info_free(&info);
                mailacct_diags_clear(&diags);
                mailacct_diags_init(&diags);
                hook.add = p.incremental ? pull_changes : pull_all;
                r = mailacct_file_load_with(c->config, &d, &diags, &info, &hook);
                if (r == 0) {
                        status = EXIT_OK;
                        break;
                }
                if (r == -EIO && p.err.kind == MAILACCT_LDAP_REFRESH) {
                        /* the server cannot continue from the cookies: a
                         * full pull from it, at once */
                        fprintf(stderr, "mailacct: sync: %s; a full pull instead\n", p.err.text);
                        why_full = "cookie refused";
                        mailacct_dir_free(d);
                        d = NULL;
                        i--;
                        continue;
                }
                if (r == -EIO) {
                        fprintf(stderr, "mailacct: sync: %s\n", p.err.text);
                        if (p.err.kind == MAILACCT_LDAP_UNREACHABLE)
                                continue; /* lost midway: the next server, from the start */
                        status = p.err.kind == MAILACCT_LDAP_NOMEM ? EXIT_SOFTWARE : EXIT_CONFIG;
                        goto out;
                }
                cli_print_diags(stderr, &diags, c->config);
                fprintf(stderr, "mailacct: sync: %s\n",
                        r == -ENOMEM || p.status == EXIT_SOFTWARE ? "out of memory"
                                                                  : "the configuration is unusable (see above)");
                status = r == -ENOMEM || p.status == EXIT_SOFTWARE ? EXIT_SOFTWARE : EXIT_CONFIG;
                goto out;
        }
        if (status == EXIT_UNREACHABLE) {
                fprintf(stderr, "mailacct: sync: %s of %zu servers reachable; nothing changed\n",
                        reached ? "none" : "no", lc->n_uri);
                goto out;
        }
        /* the file's findings and the entries left out, each naming its DN */
        cli_print_diags(stderr, &diags, c->config);
        for (size_t i = 0; i < info0.n_stamps && i < info.n_stamps; i++)
                if (!mailacct_stamp_same(&info0.stamps[i], &info.stamps[i])) {
                        fprintf(stderr, "mailacct: sync: %s changed during the sync; nothing changed, run it again\n",
                                info.paths[i]);
                        status = EXIT_FAILED;
                        goto out;
                }
        mailacct_ldap_diff_count(p.diff, &counts);
        counts.seen += p.unstored;
        counts.left_out += p.unstored;
        if (dry_run && !p.json)
                print_changes(&p, old, NULL);
        if (p.json)
                ; /* one document at the end */
        else if (p.incremental)
                printf("sync: incremental (%s), %zu received, %u added, %u changed, %u removed, %u left out\n",
                       p.root.method, p.received, counts.added, counts.changed, counts.removed, counts.left_out);
        else
                printf("sync: full (%s), %u seen, %u added, %u changed, %u removed, %u left out\n", reason, counts.seen,
                       counts.added, counts.changed, counts.removed, counts.left_out);
        if (p.passwords) {
                const struct mailacct_ldap_password_counts *pc = &p.pw_counts;
                char line[1024], synced[4200];
                bool had =
                        mailacct_secrets_synced_path(target, synced, sizeof(synced)) == 0 && access(synced, F_OK) == 0;
                /* only the entries that made it in keep theirs */
                p.pw_counts.kept = kept_in(&p);
                mailacct_ldap_password_summary(pc, line, sizeof(line));
                /* a bind that may not read userPassword sees none: said
                 * only when it ends hashes an earlier sync kept */
                if (!p.json && (pc->kept || pc->refused || pc->not_kept || pc->several))
                        printf("sync: passwords: %s\n", line);
                if (!p.json && p.incremental && p.carried)
                        printf("sync: passwords: %u of the %u hashes kept from the last sync's %s (entries unchanged "
                               "since), the rest from the entries received\n",
                               p.carried, pc->kept, synced);
                if (kept_settings(&p, line, sizeof(line)) > 1)
                        fprintf(stderr,
                                "mailacct: sync: warning: the directory's {CRYPT} hashes mix schemes or costs (%s): "
                                "an unknown user costs the slowest, so users of a cheaper one can be told apart by "
                                "time: re-set their passwords at one setting\n",
                                line);
                else if (had && !pc->kept)
                        fprintf(p.json ? stderr : stdout,
                                "sync: passwords: no userPassword value readable (the bind's ACL?): the hashes the "
                                "last sync kept %s removed\n",
                                dry_run ? "would be" : "are");
        }
        if (mailacct_ldap_removal_refused(counts.last_mailboxes, counts.removed_mailboxes, lc->max_removal) && !force) {
                fprintf(stderr,
                        "mailacct: sync: refused: %u of the %u mailboxes of the last sync would go (gone from the "
                        "directory, or left out now), more than max_removal = %u%%; nothing changed. A wrong base, "
                        "filter or ACL gives an empty result: check them (mailacct check --online), or run "
                        "'mailacct sync --force' if the directory did shrink\n",
                        counts.removed_mailboxes, counts.last_mailboxes, lc->max_removal);
                status = EXIT_REFUSED;
                if (p.json)
                        json_summary(&p, old, c->config, reason, &counts, dry_run, true, false);
                goto out;
        }
        if (dry_run) {
                fprintf(stderr, "mailacct: sync: dry run: nothing written\n");
                if (p.json)
                        json_summary(&p, old, c->config, reason, &counts, true, false, false);
                goto out;
        }
        status = write_all(c, &p, &info, d, target, spath, pulled_ns, counts.seen);
        if (p.json && status == EXIT_OK)
                json_summary(&p, old, c->config, reason, &counts, false, false, true);
out:
        cli_free_bind_password(password);
        pull_reset(&p);
        free(p.dns);
        for (size_t i = 0; p.cookie_in && i < p.n_searches; i++)
                free(p.cookie_in[i]);
        free(p.cookie_in);
        free(p.cookie_out);
        free(p.cookie_in_len);
        free(p.cookie_out_len);
        mailacct_secrets_free(p.old_secrets);
        free(p.kept);
        free(p.strip);
        free(p.attrs);
        free(p.mailbox_filter);
        free(p.contact_filter);
        mailacct_ldap_store_close(old);
        mailacct_dir_free(d);
        mailacct_file_info_free(&info);
        mailacct_file_info_free(&info0);
        mailacct_diags_clear(&diags);
        mailacct_lock_release(lock);
        return status;
}
