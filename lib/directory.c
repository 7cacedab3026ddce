/* SPDX-License-Identifier: MIT */
/* The directory's read side, the same on both backings: settings, views and
 * lists through the backing's operations (dir_priv.h), the spelling of the
 * lookup keys, and what an answer is made of (canonical name, home, ids,
 * services, delegation). */
#include "directory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir_priv.h"
#include "protocol.h"
#include "strutil.h"

#define DEFAULT_HOME  "/var/mail/%d/%n"
#define DEFAULT_SHELL "/usr/sbin/nologin"

/* Marks NT domains that no hosted domain names, so that "OTHERDOM\jdoe" keys
 * can never collide with the DNS-name keys of hosted domains. */
#define FOREIGN_NT_PREFIX "\001"

const struct mailacct_settings *mailacct_dir_settings(const struct mailacct_dir *d)
{
        return &d->s;
}

void mailacct_dir_free(struct mailacct_dir *d)
{
        if (d)
                d->ops->release(d);
}

int mailacct_dir_mailbox(const struct mailacct_dir *d, uint32_t id, struct mailacct_mbox_view *v)
{
        if (id >= d->s.n_mailboxes)
                return -EBADMSG;
        return d->ops->mailbox(d, id, v);
}

int mailacct_dir_domain(const struct mailacct_dir *d, uint32_t id, struct mailacct_domain_view *v)
{
        if (id >= d->s.n_domains)
                return -EBADMSG;
        return d->ops->domain(d, id, v);
}

int mailacct_dir_contact(const struct mailacct_dir *d, uint32_t id, struct mailacct_contact_view *v)
{
        if (id >= d->s.n_contacts)
                return -EBADMSG;
        return d->ops->contact(d, id, v);
}

int mailacct_dir_list(const struct mailacct_dir *d, uint32_t mbox, enum mailacct_list k, uint32_t i, const char **s,
                      int *line)
{
        int dummy;

        if (mbox >= d->s.n_mailboxes)
                return -EBADMSG;
        return d->ops->list(d, mbox, k, i, s, line ? line : &dummy);
}

int mailacct_dir_delegate(const struct mailacct_dir *d, uint32_t mbox, uint32_t i, uint32_t *principal)
{
        if (mbox >= d->s.n_mailboxes)
                return -EBADMSG;
        return d->ops->delegate(d, mbox, i, principal);
}

int mailacct_dir_names(const struct mailacct_dir *d, uint32_t mbox, const char **dn, const char **upn)
{
        if (mbox >= d->s.n_mailboxes)
                return -EBADMSG;
        return d->ops->names(d, mbox, dn, upn);
}

int mailacct_dir_domain_alias(const struct mailacct_dir *d, uint32_t dom, uint32_t i, const char **s)
{
        if (dom >= d->s.n_domains)
                return -EBADMSG;
        return d->ops->domain_alias(d, dom, i, s);
}

const char *mailacct_bare_policy_name(enum mailacct_bare_policy p)
{
        switch (p) {
        case MAILACCT_BARE_DEFAULT_DOMAIN:
                return "default-domain";
        case MAILACCT_BARE_UNIQUE:
                return "unique";
        default:
                return "prefer-default-domain";
        }
}

const char *mailacct_canonical_name(enum mailacct_canonical c)
{
        switch (c) {
        case MAILACCT_CANON_LOCAL:
                return "local";
        case MAILACCT_CANON_NETBIOS:
                return "netbios";
        default:
                return "address";
        }
}

/* a, b and c joined into buf; -ERANGE when they do not fit. Called for
 * every key of every mailbox at load: memcpy, not snprintf. */
static int copy_out(char *buf, size_t len, const char *a, const char *b, const char *c)
{
        const char *parts[3] = {a, b, c};
        size_t o = 0;

        for (int i = 0; i < 3; i++) {
                size_t n = parts[i] ? strlen(parts[i]) : 0;
                if (o + n >= len)
                        return -ERANGE;
                if (n) /* memcpy from NULL is undefined even for 0 bytes */
                        memcpy(buf + o, parts[i], n);
                o += n;
        }
        buf[o] = '\0';
        return 0;
}

int mailacct_dir_key_local(const struct mailacct_dir *d, const char *local, char *buf, size_t len)
{
        if (copy_out(buf, len, local, NULL, NULL) < 0)
                return -ERANGE;
        if (!d->s.case_sensitive)
                mailacct_fold(buf);
        return 0;
}

int mailacct_dir_key_address(const struct mailacct_dir *d, const char *local, const char *domain, char *buf, size_t len)
{
        char *at;

        if (mailacct_dir_key_local(d, local, buf, len) < 0)
                return -ERANGE;
        at = buf + strlen(buf);
        if (copy_out(at, len - (size_t)(at - buf), "@", domain, NULL) < 0)
                return -ERANGE;
        mailacct_fold(at);
        return 0;
}

int mailacct_dir_key_nt(const struct mailacct_dir *d, const char *hosted, const char *foreign, const char *account,
                        char *buf, size_t len)
{
        size_t n;
        int r;

        if (hosted)
                r = copy_out(buf, len, hosted, "\\", NULL);
        else
                r = copy_out(buf, len, FOREIGN_NT_PREFIX, foreign, "\\");
        if (r < 0)
                return r;
        mailacct_fold(buf);
        n = strlen(buf);
        return mailacct_dir_key_local(d, account, buf + n, len - n);
}

int mailacct_dir_lookup_domain(const struct mailacct_dir *d, enum mailacct_table t, const char *name, uint32_t *id)
{
        char key[MAILACCT_LOGIN_MAX + 8];
        long n;

        *id = MAILACCT_NONE;
        if (copy_out(key, sizeof(key), name, NULL, NULL) < 0)
                return 0;
        mailacct_fold(key);
        n = mailacct_dir_get(d, t, key, id, 1);
        if (n < 0)
                return (int)n;
        if (n != 1)
                *id = MAILACCT_NONE;
        return n == 1;
}

static uint32_t find_in(const struct mailacct_dir *d, enum mailacct_table t, const char *name)
{
        uint32_t id;

        mailacct_dir_lookup_domain(d, t, name, &id);
        return id;
}

uint32_t mailacct_dir_find_domain(const struct mailacct_dir *d, const char *name)
{
        return find_in(d, MAILACCT_T_DOMAIN, name);
}

/* domain_names also holds NetBIOS names, for rule 2; a mail domain is a DNS
 * name or a domain alias only */
uint32_t mailacct_dir_find_mail_domain(const struct mailacct_dir *d, const char *name)
{
        return find_in(d, MAILACCT_T_MAILDOMAIN, name);
}

void mailacct_dir_prefetch(const struct mailacct_dir *d, enum mailacct_table t, const char *key)
{
        if (d->ops->prefetch)
                d->ops->prefetch(d, t, key);
}

long mailacct_dir_get(const struct mailacct_dir *d, enum mailacct_table t, const char *key, uint32_t *out, size_t max)
{
        if ((unsigned)t >= _MAILACCT_T_MAX)
                return -EINVAL;
        return d->ops->get(d, t, key, out, max);
}

const char *mailacct_dir_address(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_mbox_view v;

        return mailacct_dir_mailbox(d, id, &v) < 0 ? NULL : v.address;
}

bool mailacct_dir_enabled(const struct mailacct_dir *d, uint32_t id)
{
        struct mailacct_mbox_view v;

        return mailacct_dir_mailbox(d, id, &v) == 0 && v.enabled;
}

/* A mailbox's own value, else its domain's default, else the global one.
 * Read once per answer: the canonical name, home, shell and ids of one
 * passwd entry all come from the same three views. */
struct effective {
        struct mailacct_mbox_view m;
        struct mailacct_domain_view dom, all;
};

static int effective(const struct mailacct_dir *d, uint32_t mbox, struct effective *e)
{
        int r = mailacct_dir_mailbox(d, mbox, &e->m);

        /* a mailbox a delta removed (lib/ixdelta.c) is no one's */
        if (r == -ENOENT)
                return r;
        if (r < 0 || mailacct_dir_domain(d, e->m.domain, &e->dom) < 0 || d->ops->defaults(d, &e->all) < 0)
                return -EBADMSG;
        return 0;
}

static int canonical_of(const struct mailacct_dir *d, const struct effective *e, char *buf, size_t len)
{
        const struct mailacct_mbox_view *m = &e->m;

        switch (d->s.canonical) {
        case MAILACCT_CANON_LOCAL:
                return copy_out(buf, len, m->local, NULL, NULL);
        case MAILACCT_CANON_NETBIOS:
                if (m->nt_account && m->nt_domain) {
                        /* an NT domain that is a hosted domain (written as its DNS name,
                         * or in another case) is spelled as that domain's NetBIOS name,
                         * so that one mailbox has one canonical spelling */
                        struct mailacct_domain_view nt;
                        uint32_t id;
                        if (mailacct_dir_lookup_domain(d, MAILACCT_T_DOMAIN, m->nt_domain, &id) < 0)
                                return -EBADMSG; /* a damaged index names no one */
                        if (id == MAILACCT_NONE)
                                return copy_out(buf, len, m->nt_domain, "\\", m->nt_account);
                        if (mailacct_dir_domain(d, id, &nt) < 0)
                                return -EBADMSG;
                        if (nt.netbios)
                                return copy_out(buf, len, nt.netbios, "\\", m->nt_account);
                        return copy_out(buf, len, m->address, NULL, NULL);
                }
                if (e->dom.netbios)
                        return copy_out(buf, len, e->dom.netbios, "\\", m->nt_account ? m->nt_account : m->local);
                return copy_out(buf, len, m->address, NULL, NULL);
        default:
                return copy_out(buf, len, m->address, NULL, NULL);
        }
}

static int home_of(const struct effective *e, char *buf, size_t len)
{
        const char *t = e->m.home ? e->m.home : e->dom.home ? e->dom.home : e->all.home;
        size_t o = 0;

        if (!t)
                t = DEFAULT_HOME;
        /* literal runs are copied whole: every getpwnam() formats a home */
        while (*t) {
                const char *pct = strchrnul(t, '%'), *sub = NULL;
                size_t n = (size_t)(pct - t);
                if (n) {
                        if (o + n >= len)
                                return -ERANGE;
                        memcpy(buf + o, t, n);
                        o += n;
                        t = pct;
                        continue;
                }
                switch (t[1]) {
                case 'd':
                        sub = e->dom.name;
                        break;
                case 'n':
                        sub = e->m.local;
                        break;
                case 'u':
                        sub = e->m.address;
                        break;
                case '%':
                        sub = "%";
                        break;
                }
                /* an unknown escape, or a '%' at the end, stands for itself */
                if (!sub) {
                        sub = "%";
                        t += 1;
                } else
                        t += 2;
                n = strlen(sub);
                if (o + n >= len)
                        return -ERANGE;
                memcpy(buf + o, sub, n);
                o += n;
        }
        if (o >= len)
                return -ERANGE;
        buf[o] = '\0';
        return 0;
}

static const char *shell_of(const struct effective *e)
{
        return e->m.shell ? e->m.shell : e->dom.shell ? e->dom.shell : e->all.shell ? e->all.shell : DEFAULT_SHELL;
}

static int ids_of(const struct effective *e, uid_t *uid, gid_t *gid)
{
        if (e->m.has_uid)
                *uid = e->m.uid;
        else if (e->dom.has_uid)
                *uid = e->dom.uid;
        else if (e->all.has_uid)
                *uid = e->all.uid;
        else
                return -ENODATA;
        if (e->m.has_gid)
                *gid = e->m.gid;
        else if (e->dom.has_gid)
                *gid = e->dom.gid;
        else if (e->all.has_gid)
                *gid = e->all.gid;
        else
                return -ENODATA;
        return 0;
}

int mailacct_dir_canonical(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return -EBADMSG;
        return canonical_of(d, &e, buf, len);
}

int mailacct_dir_home(const struct mailacct_dir *d, uint32_t mbox, char *buf, size_t len)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return -EBADMSG;
        return home_of(&e, buf, len);
}

const char *mailacct_dir_shell(const struct mailacct_dir *d, uint32_t mbox)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return NULL;
        return shell_of(&e);
}

int mailacct_dir_ids(const struct mailacct_dir *d, uint32_t mbox, uid_t *uid, gid_t *gid)
{
        struct effective e;

        if (effective(d, mbox, &e) < 0)
                return -EBADMSG;
        return ids_of(&e, uid, gid);
}

int mailacct_dir_passwd(const struct mailacct_dir *d, uint32_t mbox, struct mailacct_pwent *pw)
{
        struct effective e;
        int r;

        if (mbox >= d->s.n_mailboxes)
                return -ENOENT;
        r = effective(d, mbox, &e);
        if (r < 0)
                return r == -ENOENT ? r : -EBADMSG;
        r = ids_of(&e, &pw->uid, &pw->gid);
        if (r == 0)
                r = canonical_of(d, &e, pw->name, sizeof(pw->name));
        if (r == 0)
                r = home_of(&e, pw->home, sizeof(pw->home));
        if (r < 0)
                return r;
        pw->gecos = e.m.name;
        pw->shell = shell_of(&e);
        return 0;
}

bool mailacct_dir_allows_service(const struct mailacct_dir *d, uint32_t mbox, const char *protocol)
{
        struct mailacct_mbox_view m;
        const char *s;

        if (mailacct_dir_mailbox(d, mbox, &m) < 0)
                return false;
        if (!m.has_services)
                return true;
        if (!protocol)
                return false;
        for (uint32_t i = 0; i < m.n_services; i++)
                if (mailacct_dir_list(d, mbox, MAILACCT_LIST_SERVICES, i, &s, NULL) == 0 &&
                    mailacct_protocol_same(s, protocol))
                        return true;
        return false;
}

int mailacct_dir_is_delegate(const struct mailacct_dir *d, uint32_t mbox, uint32_t principal)
{
        struct mailacct_mbox_view m;

        if (mailacct_dir_mailbox(d, mbox, &m) < 0)
                return -EBADMSG;
        if (mbox == principal)
                return 1;
        for (uint32_t i = 0; i < m.n_delegates; i++) {
                uint32_t p;
                int r = mailacct_dir_delegate(d, mbox, i, &p);
                if (r < 0)
                        return r;
                if (p == principal)
                        return 1;
        }
        return 0;
}

uint32_t mailacct_dir_find_uid(const struct mailacct_dir *d, uid_t uid)
{
        char key[24], *p = key + sizeof(key) - 1;
        unsigned long v = uid;
        uint32_t id;

        /* the table's keys are decimal uids, formatted by hand: this runs
         * for every getpwuid() and snprintf() costs more than the lookup */
        *p = '\0';
        do
                *--p = (char)('0' + v % 10);
        while (v /= 10);
        return mailacct_dir_get(d, MAILACCT_T_UID, p, &id, 1) == 1 ? id : MAILACCT_NONE;
}
