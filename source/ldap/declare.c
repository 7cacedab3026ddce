/* SPDX-License-Identifier: MIT */
/* The directory's entries into the builder (declare.h), and the writers'
 * load of a configuration whose mailboxes come from a directory. */
#include "declare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "confscan.h"
#include "source.h"
#include "strutil.h"

static bool hosts(void *ctx, const char *domain)
{
        struct mailacct_ldap_declarer *x = ctx;

        return mailacct_builder_hosts(x->b, domain);
}

/* The file's netbios for the AD domain, else the directory's crossRef. */
static const char *netbios(void *ctx, const char *dns)
{
        struct mailacct_ldap_declarer *x = ctx;
        const char *nb = mailacct_builder_netbios(x->b, dns);

        if (nb)
                return nb;
        for (size_t i = 0; i < x->n_netbios; i++)
                if (mailacct_streq_fold(x->dns[i], dns))
                        return x->netbios[i];
        return x->store ? mailacct_ldap_store_netbios(x->store, dns) : NULL;
}

int mailacct_ldap_declarer_init(struct mailacct_ldap_declarer *x, struct mailacct_builder *b,
                                const struct mailacct_ldap_conf *c, struct mailacct_diags *diags)
{
        memset(x, 0, sizeof(*x));
        x->b = b;
        x->diags = diags;
        x->m = mailacct_ldap_mapper_new(c);
        return x->m ? 0 : -ENOMEM;
}

void mailacct_ldap_declarer_clear(struct mailacct_ldap_declarer *x)
{
        mailacct_ldap_mapper_free(x->m);
        x->m = NULL;
}

int mailacct_ldap_declarer_netbios(struct mailacct_ldap_declarer *x, const char *dns, const char *nb)
{
        if (x->n_netbios == MAILACCT_LDAP_NETBIOS_MAX || strlen(dns) >= sizeof(x->dns[0]) ||
            strlen(nb) >= sizeof(x->netbios[0]))
                return -E2BIG;
        snprintf(x->dns[x->n_netbios], sizeof(x->dns[0]), "%s", dns);
        mailacct_fold(x->dns[x->n_netbios]);
        snprintf(x->netbios[x->n_netbios++], sizeof(x->netbios[0]), "%s", nb);
        return 0;
}

static void warn_fallback(struct mailacct_ldap_declarer *x, const char *dns, const char *dn)
{
        for (size_t i = 0; i < x->n_warned; i++)
                if (strcmp(x->warned[i], dns) == 0)
                        return;
        if (x->n_warned < sizeof(x->warned) / sizeof(x->warned[0]))
                snprintf(x->warned[x->n_warned++], sizeof(x->warned[0]), "%s", dns);
        mailacct_diag_add(x->diags, MAILACCT_WARNING, dn, 0,
                          "no NetBIOS name for AD domain %s (neither the file's domains nor a crossRef the bind may "
                          "read name one): its NT accounts are %s\\ACCOUNT",
                          dns, dns);
}

int mailacct_ldap_declare(struct mailacct_ldap_declarer *x, const struct mailacct_ldap_entry *e, uint32_t tag,
                          bool *declared)
{
        struct mailacct_ldap_env env = {.hosts = hosts, .netbios = netbios, .ctx = x};
        struct mailacct_ldap_mapped mp;
        const char *why;
        int r;

        *declared = false;
        r = mailacct_ldap_map(x->m, e, &env, &mp, &why);
        if (r < 0)
                return r;
        if (r == 1) {
                x->mapped_out++;
                /* as the builder words its own: "left out: why", at the DN */
                mailacct_diag_add(x->diags, MAILACCT_WARNING, e->dn ? e->dn : "(no DN)", 0, "left out: %s", why);
                return 0;
        }
        if (mp.nt_fallback)
                warn_fallback(x, mp.nt_fallback, e->dn);
        *declared = true;
        if (mp.kind == MAILACCT_LDAP_CONTACT) {
                mp.contact.origin.tag = tag;
                return mailacct_builder_contact(x->b, &mp.contact, MAILACCT_CLASH_LEAVE_OUT);
        }
        mp.mailbox.origin.tag = tag;
        return mailacct_builder_mailbox(x->b, &mp.mailbox, MAILACCT_CLASH_LEAVE_OUT);
}

int mailacct_ldap_store_path(const char *index_path, char *buf, size_t len)
{
        return snprintf(buf, len, "%s%s", index_path, MAILACCT_LDAP_STORE_SUFFIX) < (int)len ? 0 : -ERANGE;
}

int mailacct_writer_target(const char *conf, char *buf, size_t len)
{
        struct mailacct_conf_scan scan;
        char why[512];
        int n;

        if (mailacct_conf_scan(conf, MAILACCT_SCAN_INDEX_ONLY, &scan, why, sizeof(why)) < 0)
                return mailacct_index_default_path(conf, buf, len);
        if (!scan.index) {
                mailacct_conf_scan_free(&scan);
                return mailacct_index_default_path(conf, buf, len);
        }
        n = snprintf(buf, len, "%s", scan.index);
        mailacct_conf_scan_free(&scan);
        return n < (int)len ? 0 : -ERANGE;
}

/* ---- the writers' load ------------------------------------------------------ */

struct rebuild {
        const char *conf;
};

/* The stamp of the sync: what it pulled from, and when. */
static int add_sync_stamp(struct mailacct_file_info *info, const struct mailacct_ldap_store *s)
{
        const void *server = NULL, *bases = NULL;
        size_t sl = 0, bl = 0;
        struct mailacct_stamp *st = &info->stamps[info->n_stamps];
        char *text;

        (void)mailacct_ldap_store_state(s, MAILACCT_LDAP_STATE_SERVER, &server, &sl);
        (void)mailacct_ldap_store_state(s, MAILACCT_LDAP_STATE_BASES, &bases, &bl);
        if (asprintf(&text, "%.*s %.*s", (int)sl, server ? (const char *)server : "", (int)bl,
                     bases ? (const char *)bases : "") < 0)
                return -ENOMEM;
        for (char *p = text; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        memset(st, 0, sizeof(*st));
        st->kind = MAILACCT_STAMP_LDAP;
        st->path = text;
        st->mtime_ns = mailacct_ldap_store_pulled(s);
        st->size = mailacct_ldap_store_count(s);
        info->paths[info->n_stamps++] = text;
        return 0;
}

static int add_store(void *ctx, struct mailacct_builder *b, const struct mailacct_file_info *cinfo,
                     struct mailacct_diags *diags)
{
        struct rebuild *rb = ctx;
        struct mailacct_file_info *info = (struct mailacct_file_info *)cinfo;
        const struct mailacct_ldap_conf *c = info->ldap;
        struct mailacct_ldap_store *s = NULL;
        struct mailacct_ldap_store_iter *it = NULL;
        struct mailacct_ldap_declarer x;
        struct mailacct_ldap_entry e;
        char ipath[4096], spath[4200], why[1024];
        struct stat st;
        uint32_t ordinal;
        int r;

        if (!c)
                return 0;
        r = info->index ? (snprintf(ipath, sizeof(ipath), "%s", info->index) < (int)sizeof(ipath) ? 0 : -ERANGE)
                        : mailacct_index_default_path(rb->conf, ipath, sizeof(ipath));
        if (r == 0)
                r = mailacct_ldap_store_path(ipath, spath, sizeof(spath));
        if (r < 0)
                return r;
        r = mailacct_ldap_store_open(spath, &s, why, sizeof(why));
        if (r == -ENOENT) {
                mailacct_diag_add(diags, MAILACCT_ERROR, spath, 0,
                                  "no entries synced from the directory yet: run 'mailacct sync'");
                return -EINVAL;
        }
        if (r < 0) {
                mailacct_diag_add(diags, MAILACCT_ERROR, spath, 0, "%s%s", why,
                                  r == -EPERM ? "" : "; run 'mailacct sync --full'");
                return -EINVAL;
        }
        if (mailacct_ldap_store_fingerprint(s) != mailacct_ldap_conf_fingerprint(c)) {
                mailacct_diag_add(diags, MAILACCT_ERROR, c->file, c->line,
                                  "ldap: schema, base, filter or map changed since the last sync (%s holds what they "
                                  "gave then): run 'mailacct sync'",
                                  spath);
                mailacct_ldap_store_close(s);
                return -EINVAL;
        }
        r = mailacct_ldap_declarer_init(&x, b, c, diags);
        x.store = s;
        it = r == 0 ? mailacct_ldap_store_iter_new(s) : NULL;
        if (r == 0 && !it)
                r = -ENOMEM;
        while (r == 0 && (r = mailacct_ldap_store_next(it, &e, &ordinal, NULL, NULL)) == 1) {
                bool declared;
                r = mailacct_ldap_declare(&x, &e, ordinal, &declared);
        }
        if (r == -EBADMSG)
                mailacct_diag_add(diags, MAILACCT_ERROR, spath, 0,
                                  "damaged: entry %u does not decode; run 'mailacct sync --full'", ordinal);
        /* what the index is built from: the store as read, and the sync */
        if (r == 0 && info->n_stamps + 2 <= sizeof(info->stamps) / sizeof(info->stamps[0]) && stat(spath, &st) == 0) {
                if (!(info->paths[info->n_stamps] = strdup(spath)))
                        r = -ENOMEM;
                else {
                        mailacct_stamp_of(info->paths[info->n_stamps], &st, &info->stamps[info->n_stamps]);
                        info->n_stamps++;
                        r = add_sync_stamp(info, s);
                }
        }
        mailacct_ldap_store_iter_free(it);
        mailacct_ldap_declarer_clear(&x);
        mailacct_ldap_store_close(s);
        return r == -EBADMSG ? -EINVAL : r;
}

int mailacct_source_load(const char *conf_path, struct mailacct_dir **out, struct mailacct_diags *diags,
                         struct mailacct_file_info *info)
{
        struct mailacct_file_info local;
        struct rebuild rb = {.conf = conf_path};
        struct mailacct_file_hook hook = {.add = add_store, .ctx = &rb};
        int r = mailacct_file_load_with(conf_path, out, diags, info ? info : &local, &hook);

        if (!info && r == 0)
                mailacct_file_info_free(&local);
        return r;
}
