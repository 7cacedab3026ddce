/* SPDX-License-Identifier: MIT */
#include "resolve.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dir_priv.h"
#include "strutil.h"

/* Candidates gathered before the default-domain filter; an alias shared by
 * more mailboxes than this is reported with the first ones only. */
#define GATHER_MAX 256
#define KEY_MAX    (2 * MAILACCT_LOGIN_MAX + 16)

static const char *const reason_names[_MAILACCT_REASON_MAX] = {
        [MAILACCT_OK] = "ok",
        [MAILACCT_INVALID_LOGIN] = "invalid-login",
        [MAILACCT_DOMAIN_NOT_HOSTED] = "domain-not-hosted",
        [MAILACCT_NOT_FOUND] = "not-found",
        [MAILACCT_AMBIGUOUS] = "ambiguous",
        [MAILACCT_CONTACT] = "contact",
        [MAILACCT_NOT_DELEGATED] = "not-delegated",
        [MAILACCT_UNAVAILABLE] = "unavailable",
};

const char *mailacct_reason_name(enum mailacct_reason r)
{
        return (unsigned)r < _MAILACCT_REASON_MAX ? reason_names[r] : "unknown";
}

/* Explanations are for people (the CLI, the PAM log); a quiet resolution
 * (NSS: every getpwnam()) only wants the answer and skips formatting them. */
#define SAY(r, buf, ...)                                         \
        do {                                                     \
                if (!(r)->quiet)                                 \
                        snprintf(buf, sizeof(buf), __VA_ARGS__); \
        } while (0)

__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t len, const char *fmt, ...)
{
        size_t o = strnlen(buf, len);
        va_list ap;

        if (o + 1 >= len)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + o, len - o, fmt, ap);
        va_end(ap);
}

__attribute__((format(printf, 3, 4))) static int fail(struct mailacct_result *r, enum mailacct_reason reason,
                                                      const char *fmt, ...)
{
        va_list ap;

        r->reason = reason;
        r->mailbox = MAILACCT_NONE;
        if (r->quiet)
                return -ENOENT;
        va_start(ap, fmt);
        vsnprintf(r->message, sizeof(r->message), fmt, ap);
        va_end(ap);
        return -ENOENT;
}

static int found(struct mailacct_result *r, uint32_t mbox)
{
        r->reason = MAILACCT_OK;
        r->mailbox = mbox;
        r->n_candidates = 1;
        r->candidates[0] = mbox;
        return 0;
}

static void set_candidates(struct mailacct_result *r, const uint32_t *ids, size_t n)
{
        r->n_candidates = n < MAILACCT_MAX_CANDIDATES ? n : MAILACCT_MAX_CANDIDATES;
        memcpy(r->candidates, ids, r->n_candidates * sizeof(*ids));
}

/* Reads of the directory that note damage in r instead of failing on the
 * spot: mailacct_resolve() turns any damage into "unavailable" at the end,
 * whatever the rules had concluded from the damaged data. */
static size_t get(const struct mailacct_dir *d, struct mailacct_result *r, enum mailacct_table t, const char *key,
                  uint32_t *out, size_t max)
{
        long n = mailacct_dir_get(d, t, key, out, max);

        if (n < 0) {
                r->damaged = true;
                return 0;
        }
        /* configuration order: the same candidates in the same order from the
         * in-memory tables and from the index, and the first-written first */
        for (size_t i = 1; i < (size_t)n && i < max; i++)
                for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
                        uint32_t t2 = out[j];
                        out[j] = out[j - 1];
                        out[j - 1] = t2;
                }
        return (size_t)n;
}

static uint32_t find_domain(const struct mailacct_dir *d, struct mailacct_result *r, enum mailacct_table t,
                            const char *name)
{
        uint32_t id;

        if (mailacct_dir_lookup_domain(d, t, name, &id) < 0)
                r->damaged = true;
        return id;
}

static const char *address_of(const struct mailacct_dir *d, struct mailacct_result *r, uint32_t id)
{
        struct mailacct_mbox_view v;

        if (mailacct_dir_mailbox(d, id, &v) < 0) {
                r->damaged = true;
                return "?";
        }
        return v.address;
}

static uint32_t domain_of(const struct mailacct_dir *d, struct mailacct_result *r, uint32_t id)
{
        struct mailacct_mbox_view v;

        if (mailacct_dir_mailbox(d, id, &v) < 0) {
                r->damaged = true;
                return MAILACCT_NONE;
        }
        return v.domain;
}

static bool local_is(const struct mailacct_dir *d, struct mailacct_result *r, uint32_t id, const char *local)
{
        struct mailacct_mbox_view v;

        if (mailacct_dir_mailbox(d, id, &v) < 0) {
                r->damaged = true;
                return false;
        }
        return mailacct_streq_fold(v.local, local);
}

static const char *dom_name(const struct mailacct_dir *d, struct mailacct_result *r, uint32_t id)
{
        struct mailacct_domain_view v;

        if (id == MAILACCT_NONE)
                return "-";
        if (mailacct_dir_domain(d, id, &v) < 0) {
                r->damaged = true;
                return "?";
        }
        return v.name;
}

static const char *dom_netbios(const struct mailacct_dir *d, struct mailacct_result *r, uint32_t id)
{
        struct mailacct_domain_view v;

        if (id == MAILACCT_NONE)
                return NULL;
        if (mailacct_dir_domain(d, id, &v) < 0) {
                r->damaged = true;
                return NULL;
        }
        return v.netbios;
}

static struct mailacct_contact_view contact_of(const struct mailacct_dir *d, struct mailacct_result *r, uint32_t id)
{
        struct mailacct_contact_view v = {"?", NULL};

        if (mailacct_dir_contact(d, id, &v) < 0)
                r->damaged = true;
        return v;
}

static int key_address(const struct mailacct_dir *d, struct mailacct_result *r, uint32_t dom, const char *local,
                       char *key)
{
        return mailacct_dir_key_address(d, local, dom_name(d, r, dom), key, KEY_MAX);
}

/* The mailboxes of domain dom whose bare-alias set holds alias: the bare
 * table filtered by domain, so that the index needs no second table of
 * alias@domain keys. ids holds GATHER_MAX. */
static size_t aliases_in(const struct mailacct_dir *d, struct mailacct_result *r, const char *alias, uint32_t dom,
                         uint32_t *ids)
{
        uint32_t all[GATHER_MAX];
        char key[KEY_MAX];
        size_t n, k = 0;

        if (mailacct_dir_key_local(d, alias, key, sizeof(key)) < 0)
                return 0;
        n = get(d, r, MAILACCT_T_BARE, key, all, GATHER_MAX);
        for (size_t i = 0; i < n && i < GATHER_MAX; i++)
                if (domain_of(d, r, all[i]) == dom)
                        ids[k++] = all[i];
        return k;
}

/* Rule 5: only asked once no mailbox matched, so a contact never wins. */
static int contact_or_not_found(const struct mailacct_dir *d, struct mailacct_result *r, const char *local,
                                const char *address_key, const char *what)
{
        char key[KEY_MAX];
        uint32_t c;

        /* A contact's alias counts only when no mailbox anywhere has it: a
         * mailbox out of this login's reach (another domain, the bare_alias
         * policy) must not be reported as "a contact" (seed Q198704). */
        if ((address_key && get(d, r, MAILACCT_T_CONTACT_ADDRESS, address_key, &c, 1)) ||
            (mailacct_dir_key_local(d, local, key, sizeof(key)) == 0 &&
             get(d, r, MAILACCT_T_CONTACT_ALIAS, key, &c, 1) && !get(d, r, MAILACCT_T_BARE, key, NULL, 0))) {
                struct mailacct_contact_view cv = contact_of(d, r, c);
                r->rule = "5";
                return fail(r, MAILACCT_CONTACT,
                            "\"%s\" is the contact %s <%s>, not a mailbox: contacts receive mail "
                            "elsewhere and never log in",
                            local, cv.alias, cv.address ? cv.address : "");
        }
        return fail(r, MAILACCT_NOT_FOUND, "%s", what);
}

/* Lists every candidate and, for each, the forms that reach it alone (seed
 * Q198143: "the requested mailbox is not available" told nobody anything). */
static int ambiguous(const struct mailacct_dir *d, struct mailacct_result *r, const char *typed, const uint32_t *ids,
                     size_t n);

/* probe: called by ambiguous() to test a DOMAIN\alias suggestion; it must
 * not build an ambiguity message itself (that would recurse without end). */
static int resolve_nt(const struct mailacct_dir *d, const char *domain, const char *account, struct mailacct_result *r,
                      bool probe);

/* The address key as typed (right whenever the domain is typed as its
 * hosted name, as it nearly always is) starts on its way from memory while
 * the domain is looked up: at a million mailboxes the slot is a cache miss
 * that would otherwise come after the domain lookup, not beside it. */
static void prefetch_address(const struct mailacct_dir *d, const char *local, const char *domain)
{
        char key[KEY_MAX];

        if (mailacct_dir_key_address(d, local, domain, key, sizeof(key)) == 0)
                mailacct_dir_prefetch(d, MAILACCT_T_ADDRESS, key);
}

static int resolve_address(const struct mailacct_dir *d, const char *local, const char *domain,
                           struct mailacct_result *r)
{
        char key[KEY_MAX], what[MAILACCT_LOGIN_MAX * 2 + 128];
        uint32_t ids[GATHER_MAX], dom;
        size_t n;

        prefetch_address(d, local, domain);
        dom = find_domain(d, r, MAILACCT_T_MAILDOMAIN, domain);

        r->rule = "1";
        r->domain = dom;
        if (dom == MAILACCT_NONE) {
                const char *parent = NULL;
                if (snprintf(key, sizeof(key), "%s@%s", local, domain) < (int)sizeof(key)) {
                        uint32_t c;
                        char fk[KEY_MAX];
                        if (mailacct_dir_key_address(d, local, domain, fk, sizeof(fk)) == 0) {
                                if (get(d, r, MAILACCT_T_CONTACT_ADDRESS, fk, &c, 1)) {
                                        r->rule = "5";
                                        return fail(r, MAILACCT_CONTACT,
                                                    "\"%s\" is the address of the contact %s, not a mailbox: contacts "
                                                    "receive mail elsewhere and never log in",
                                                    key, contact_of(d, r, c).alias);
                                }
                        }
                }
                for (const char *p = strchr(domain, '.'); p && !parent; p = strchr(p + 1, '.')) {
                        uint32_t id = find_domain(d, r, MAILACCT_T_MAILDOMAIN, p + 1);
                        if (id != MAILACCT_NONE)
                                parent = dom_name(d, r, id);
                }
                /* rule 1: "jdoe@EXAMPLE" names a NetBIOS name, not a mail domain */
                uint32_t nb = find_domain(d, r, MAILACCT_T_DOMAIN, domain);
                if (nb != MAILACCT_NONE)
                        return fail(r, MAILACCT_DOMAIN_NOT_HOSTED,
                                    "\"%s\" is the NetBIOS name of %s, not a mail domain: log in as %s\\%s or %s@%s",
                                    domain, dom_name(d, r, nb), domain, local, local, dom_name(d, r, nb));
                if (parent)
                        return fail(r, MAILACCT_DOMAIN_NOT_HOSTED,
                                    "domain \"%s\" is not hosted here; it looks like a host name inside hosted domain "
                                    "%s: log in as %s@%s",
                                    domain, parent, local, parent);
                return fail(r, MAILACCT_DOMAIN_NOT_HOSTED,
                            "domain \"%s\" is not hosted here (not a domain name or domain alias in the directory); "
                            "the client may point at the wrong server or hold a wrong address",
                            domain);
        }
        if (key_address(d, r, dom, local, key) < 0)
                return fail(r, MAILACCT_NOT_FOUND, "login too long");
        n = get(d, r, MAILACCT_T_ADDRESS, key, ids, GATHER_MAX);
        if (n == 1) {
                SAY(r, r->why, "%s is %s address of %s", key,
                    local_is(d, r, ids[0], local) && domain_of(d, r, ids[0]) == dom ? "the primary" : "an",
                    address_of(d, r, ids[0]));
                return found(r, ids[0]);
        }
        n = aliases_in(d, r, local, dom, ids);
        set_candidates(r, ids, n);
        if (n == 1) {
                SAY(r, r->why, "\"%s\" is an alias of %s in %s", local, address_of(d, r, ids[0]), dom_name(d, r, dom));
                return found(r, ids[0]);
        }
        if (n > 1)
                return ambiguous(d, r, local, ids, n);
        SAY(r, what, "no mailbox in %s has the address or alias \"%s\"", dom_name(d, r, dom), local);
        return contact_or_not_found(d, r, local, key, what);
}

static int resolve_nt(const struct mailacct_dir *d, const char *domain, const char *account, struct mailacct_result *r,
                      bool probe)
{
        uint32_t ids[GATHER_MAX], dom = find_domain(d, r, MAILACCT_T_DOMAIN, domain);
        char key[KEY_MAX], what[MAILACCT_LOGIN_MAX * 2 + 128];
        size_t n;

        r->rule = "2";
        r->domain = dom;
        if (dom == MAILACCT_NONE) {
                char fk[KEY_MAX];
                snprintf(fk, sizeof(fk), "%s", domain);
                mailacct_fold(fk);
                if (!get(d, r, MAILACCT_T_NTDOMAIN, fk, ids, 1))
                        return fail(r, MAILACCT_DOMAIN_NOT_HOSTED,
                                    "\"%s\" is not the NetBIOS or DNS name of a hosted domain, nor the NT domain of "
                                    "any mailbox's nt_account",
                                    domain);
        }
        if (mailacct_dir_key_nt(d, dom == MAILACCT_NONE ? NULL : dom_name(d, r, dom), domain, account, key,
                                sizeof(key)) < 0)
                return fail(r, MAILACCT_NOT_FOUND, "login too long");
        n = get(d, r, MAILACCT_T_NT, key, ids, GATHER_MAX);
        if (n == 1) {
                SAY(r, r->why, "%s\\%s is the NT account of %s", domain, account, address_of(d, r, ids[0]));
                return found(r, ids[0]);
        }
        if (dom == MAILACCT_NONE) {
                /* name the account: "this NT account" told an administrator nothing */
                SAY(r, what, "no mailbox has the NT account %s\\%s", domain, account);
                return contact_or_not_found(d, r, account, NULL, what);
        }
        /* Exchange assumed alias == NT account (seed Q198704) */
        if (key_address(d, r, dom, account, key) < 0)
                return fail(r, MAILACCT_NOT_FOUND, "login too long");
        n = aliases_in(d, r, account, dom, ids);
        set_candidates(r, ids, n);
        if (n == 1) {
                SAY(r, r->why, "no NT account \"%s\" in %s; \"%s\" is the alias of %s", account, dom_name(d, r, dom),
                    account, address_of(d, r, ids[0]));
                return found(r, ids[0]);
        }
        if (n > 1)
                return probe ? fail(r, MAILACCT_AMBIGUOUS, "ambiguous") : ambiguous(d, r, account, ids, n);
        SAY(r, what, "no mailbox in %s has the NT account or alias \"%s\"", dom_name(d, r, dom), account);
        return contact_or_not_found(d, r, account, NULL, what);
}

static int resolve_bare(const struct mailacct_dir *d, const char *alias, struct mailacct_result *r)
{
        uint32_t all[GATHER_MAX], dflt[GATHER_MAX], def = d->s.default_domain;
        const uint32_t *use = all;
        char key[KEY_MAX], what[1024] = "";
        size_t n, n_all, n_def = 0;
        const char *scope;

        r->rule = "4";
        r->domain = def;
        if (mailacct_dir_key_local(d, alias, key, sizeof(key)) < 0)
                return fail(r, MAILACCT_NOT_FOUND, "login too long");
        n_all = get(d, r, MAILACCT_T_BARE, key, all, GATHER_MAX);
        if (n_all > GATHER_MAX)
                n_all = GATHER_MAX;
        for (size_t i = 0; i < n_all; i++)
                if (domain_of(d, r, all[i]) == def)
                        dflt[n_def++] = all[i];

        n = n_all;
        scope = "in any domain";
        if (d->s.bare_alias == MAILACCT_BARE_DEFAULT_DOMAIN ||
            (d->s.bare_alias == MAILACCT_BARE_PREFER_DEFAULT && n_def > 0)) {
                use = dflt;
                n = n_def;
                scope = "in the default domain";
        }
        set_candidates(r, use, n);
        if (n == 1) {
                SAY(r, r->why, "\"%s\" is an alias of %s, unique %s%s%s (bare_alias = %s)", alias,
                    address_of(d, r, use[0]), scope, use == dflt ? " " : "", use == dflt ? dom_name(d, r, def) : "",
                    mailacct_bare_policy_name(d->s.bare_alias));
                return found(r, use[0]);
        }
        if (n > 1)
                return ambiguous(d, r, alias, use, n);

        if (def == MAILACCT_NONE && d->s.bare_alias == MAILACCT_BARE_DEFAULT_DOMAIN)
                SAY(r, what, "bare_alias = default-domain but no default_domain is set");
        else if (use == dflt && n_all > 0 && !r->quiet) {
                /* default-domain policy: say where the alias does exist */
                SAY(r, what,
                    "no mailbox in the default domain %s has the alias \"%s\" "
                    "(bare_alias = default-domain); it exists as",
                    dom_name(d, r, def), alias);
                for (size_t i = 0; i < n_all && i < MAILACCT_MAX_CANDIDATES; i++)
                        append(what, sizeof(what), "%s %s", i ? "," : "", address_of(d, r, all[i]));
                append(what, sizeof(what), ": log in with the address");
        } else
                SAY(r, what, "no mailbox has the alias \"%s\" %s%s", alias,
                    use == dflt && def != MAILACCT_NONE ? "in the default domain " : "in any domain",
                    use == dflt && def != MAILACCT_NONE ? dom_name(d, r, def) : "");
        return contact_or_not_found(d, r, alias, NULL, what);
}

static int ambiguous(const struct mailacct_dir *d, struct mailacct_result *r, const char *typed, const uint32_t *ids,
                     size_t n)
{
        size_t shown = n < MAILACCT_MAX_CANDIDATES ? n : MAILACCT_MAX_CANDIDATES;
        char *msg = r->message;

        set_candidates(r, ids, n);
        r->reason = MAILACCT_AMBIGUOUS;
        r->mailbox = MAILACCT_NONE;
        if (r->quiet)
                return -ENOENT;
        msg[0] = '\0';
        for (size_t i = 0; i < shown; i++)
                append(msg, sizeof(r->message), "%s%s", i ? ", " : "", address_of(d, r, ids[i]));
        if (shown < n)
                append(msg, sizeof(r->message), " and %zu more", n - shown);
        append(msg, sizeof(r->message), "; log in as ");
        for (size_t i = 0; i < shown; i++) {
                const char *nb = dom_netbios(d, r, domain_of(d, r, ids[i]));
                struct mailacct_result probe;

                append(msg, sizeof(r->message), "%s", i ? ", or as " : "");
                /* offer DOMAIN\alias only where it reaches this mailbox alone */
                memset(&probe, 0, sizeof(probe));
                if (nb && resolve_nt(d, nb, typed, &probe, true) == 0 && probe.mailbox == ids[i])
                        append(msg, sizeof(r->message), "%s\\%s or ", nb, typed);
                r->damaged |= probe.damaged;
                append(msg, sizeof(r->message), "%s", address_of(d, r, ids[i]));
        }
        return -ENOENT;
}

static void result_init(struct mailacct_result *r, unsigned flags)
{
        /* the text buffers are most of the result: only their first byte */
        memset(r, 0, offsetof(struct mailacct_result, canonical));
        r->canonical[0] = r->why[0] = r->message[0] = '\0';
        r->damaged = false;
        r->quiet = flags & MAILACCT_RESOLVE_QUIET;
        r->mailbox = r->principal = r->domain = MAILACCT_NONE;
        r->rule = "6";
}

int mailacct_resolve(const struct mailacct_dir *d, const char *login, struct mailacct_result *r)
{
        struct mailacct_login l;
        const char *why;

        if (mailacct_login_parse(login, &l, &why) < 0) {
                result_init(r, 0);
                return fail(r, MAILACCT_INVALID_LOGIN, "%s", why);
        }
        return mailacct_resolve_login(d, &l, 0, r);
}

int mailacct_resolve_login(const struct mailacct_dir *d, const struct mailacct_login *l, unsigned flags,
                           struct mailacct_result *r)
{
        int ret;

        result_init(r, flags);
        r->form = l->form;

        switch (l->form) {
        case MAILACCT_FORM_ADDRESS:
                ret = resolve_address(d, l->account, l->domain, r);
                break;
        case MAILACCT_FORM_NTACCOUNT:
                ret = resolve_nt(d, l->domain, l->account, r, false);
                break;
        case MAILACCT_FORM_BARE:
                ret = resolve_bare(d, l->account, r);
                break;
        case MAILACCT_FORM_DELEGATE: {
                uint32_t principal;
                int dr;
                char pwhy[sizeof(r->why)];

                ret = resolve_nt(d, l->domain, l->account, r, false);
                if (ret < 0) {
                        char inner[sizeof(r->message)];
                        if (r->quiet)
                                break;
                        memcpy(inner, r->message, sizeof(inner));
                        snprintf(r->message, sizeof(r->message), "account part %s\\%s: %s", l->domain, l->account,
                                 inner);
                        break;
                }
                principal = r->mailbox;
                memcpy(pwhy, r->why, sizeof(pwhy));
                /* the third part is resolved as if typed alone */
                ret = l->mbox_domain ? resolve_address(d, l->mbox_local, l->mbox_domain, r)
                                     : resolve_bare(d, l->mbox_local, r);
                r->form = MAILACCT_FORM_DELEGATE;
                if (ret < 0) {
                        char inner[sizeof(r->message)];
                        if (r->quiet)
                                break;
                        memcpy(inner, r->message, sizeof(inner));
                        snprintf(r->message, sizeof(r->message), "mailbox part \"%s%s%s\": %s", l->mbox_local,
                                 l->mbox_domain ? "@" : "", l->mbox_domain ? l->mbox_domain : "", inner);
                        break;
                }
                r->rule = "3";
                dr = mailacct_dir_is_delegate(d, r->mailbox, principal);
                if (dr < 0)
                        r->damaged = true;
                if (dr != 1) {
                        uint32_t mb = r->mailbox;
                        r->principal = principal;
                        ret = fail(r, MAILACCT_NOT_DELEGATED,
                                   "%s\\%s (%s) may not open %s: it is not that mailbox's owner and not in its "
                                   "delegates",
                                   l->domain, l->account, address_of(d, r, principal), address_of(d, r, mb));
                        break;
                }
                r->principal = principal;
                if (!r->quiet)
                        snprintf(r->why + strlen(r->why), sizeof(r->why) - strlen(r->why), "; %s%s", pwhy,
                                 principal == r->mailbox ? " (its own mailbox)" : ", a delegate of the mailbox");
                break;
        }
        default:
                ret = fail(r, MAILACCT_INVALID_LOGIN, "unrecognised form");
                break;
        }
        if (ret == 0 && r->principal == MAILACCT_NONE)
                r->principal = r->mailbox;
        /* quiet callers read the entry they need themselves (and see damage
         * there): the canonical name is not formatted twice */
        if (ret == 0 && !r->quiet && mailacct_dir_canonical(d, r->mailbox, r->canonical, sizeof(r->canonical)) < 0)
                r->damaged = true;
        /* an answer drawn from damaged data is no answer: fail closed */
        if (r->damaged) {
                r->principal = MAILACCT_NONE;
                r->canonical[0] = '\0';
                return fail(r, MAILACCT_UNAVAILABLE,
                            "the compiled index is damaged; run 'mailacct compile' (lookups fall back to the "
                            "configuration once the index is removed or rebuilt)");
        }
        return ret;
}
