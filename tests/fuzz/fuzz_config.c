/* SPDX-License-Identifier: MIT */
/* Any bytes as a configuration file: the file loader and every check
 * behind it. When the file loads, it is compiled to an index and the logins
 * it names (each address, alias, NT account and delegate form, and their
 * upper-case spellings) are resolved through both: the answers must agree
 * and keep the resolver's contract. */
#include <ctype.h>
#include <stdarg.h>

#include "fuzz.h"
#include "lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LOGINS 400

struct logins {
        char *v[MAX_LOGINS];
        size_t n;
};

__attribute__((format(printf, 2, 3))) static void add(struct logins *l, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (l->n + 2 > MAX_LOGINS)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        l->v[l->n++] = s;
        /* and in upper case: domains always fold, local parts unless case_sensitive */
        s = strdup(s);
        if (!s)
                abort();
        for (char *p = s; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        l->v[l->n++] = s;
}

static void gather(const struct mailacct_dir *d, struct logins *l)
{
        static const char *const fixed[] = { "jdoe", "EXAMPLE\\jdoe", "EXAMPLE\\assistant\\jdoe", "jdoe@example.com",
                                             "user", "partner", "a@b", "x\\y", "*", "%" };
        const struct mailacct_settings *s = mailacct_dir_settings(d);

        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                add(l, "%s", fixed[i]);
        for (uint32_t i = 0; i < s->n_mailboxes && i < 24; i++) {
                struct mailacct_mbox_view m;
                struct mailacct_domain_view dv, *dom = NULL;
                const char *v;

                if (mailacct_dir_mailbox(d, i, &m) < 0)
                        continue;
                if (mailacct_dir_domain(d, m.domain, &dv) == 0)
                        dom = &dv;
                add(l, "%s", m.address);
                add(l, "%s", m.local);
                for (uint32_t k = 0; k < m.n_addresses && k < 4; k++)
                        if (mailacct_dir_list(d, i, MAILACCT_LIST_ADDRESSES, k, &v, NULL) == 0)
                                add(l, "%s", v);
                for (uint32_t k = 0; k < m.n_aliases && k < 4; k++) {
                        if (mailacct_dir_list(d, i, MAILACCT_LIST_ALIASES, k, &v, NULL) < 0)
                                continue;
                        add(l, "%s", v);
                        if (dom) {
                                add(l, "%s@%s", v, dom->name);
                                add(l, "%s\\%s", dom->name, v);
                                if (dom->netbios)
                                        add(l, "%s\\%s", dom->netbios, v);
                        }
                }
                if (m.nt_account) {
                        const char *ntd = m.nt_domain ? m.nt_domain : dom && dom->netbios ? dom->netbios : "X";
                        add(l, "%s\\%s", ntd, m.nt_account);
                        add(l, "%s/%s/%s", ntd, m.nt_account, m.local);
                        for (uint32_t j = 0; j < s->n_mailboxes && j < 8; j++)
                                add(l, "%s\\%s\\%s", ntd, m.nt_account, mailacct_dir_address(d, j));
                }
                /* each delegate (its principal's NT form) opening this mailbox */
                for (uint32_t k = 0; k < m.n_delegates && k < 4; k++) {
                        struct mailacct_mbox_view p;
                        struct mailacct_domain_view pd;
                        uint32_t pid;
                        if (mailacct_dir_delegate(d, i, k, &pid) < 0 || pid == MAILACCT_NONE ||
                            mailacct_dir_mailbox(d, pid, &p) < 0 || mailacct_dir_domain(d, p.domain, &pd) < 0)
                                continue;
                        add(l, "%s\\%s\\%s", p.nt_domain ? p.nt_domain : pd.netbios ? pd.netbios : pd.name,
                            p.nt_account ? p.nt_account : p.local, m.local);
                        add(l, "%s\\%s\\%s", pd.name, p.local, m.address);
                }
        }
        for (uint32_t i = 0; i < s->n_contacts && i < 8; i++) {
                struct mailacct_contact_view c;
                if (mailacct_dir_contact(d, i, &c) < 0)
                        continue;
                add(l, "%s", c.alias);
                if (c.address)
                        add(l, "%s", c.address);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *conf = fz_path(0, "mailacct.conf"), *ipath = fz_path(1, "mailacct.idx");
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL, *x;
        struct logins l = { .n = 0 };
        struct mailacct_result a, b;
        int r;

        fz_write(conf, data, size, 0644);
        mailacct_diags_init(&diags);
        r = mailacct_file_load(conf, &d, &diags, NULL);
        for (size_t i = 0; i < diags.n; i++)
                FZ_ASSERT(diags.v[i].text && diags.v[i].text[0], "finding %zu without a text", i);
        if (r < 0) {
                FZ_ASSERT(d == NULL, "a directory handed out with error %d", r);
                FZ_ASSERT(diags.errors > 0 || r != -EINVAL, "refused (%d) without naming an error", r);
                mailacct_diags_clear(&diags);
                return 0;
        }
        FZ_ASSERT(d, "loaded without a directory");
        mailacct_lint(d, conf, &diags);
        mailacct_diags_clear(&diags);

        if (fz_compile(d, conf, ipath) < 0) {
                mailacct_dir_free(d);
                return 0;
        }
        x = fz_from_index(ipath);
        FZ_ASSERT(x, "the index of a loaded configuration does not open");
        FZ_ASSERT(mailacct_dir_settings(x)->n_mailboxes == mailacct_dir_settings(d)->n_mailboxes &&
                          mailacct_dir_settings(x)->n_domains == mailacct_dir_settings(d)->n_domains &&
                          mailacct_dir_settings(x)->n_contacts == mailacct_dir_settings(d)->n_contacts,
                  "the index counts differ");
        gather(d, &l);
        for (size_t i = 0; i < l.n; i++) {
                int ra = mailacct_resolve(d, l.v[i], &a), rb = mailacct_resolve(x, l.v[i], &b);
                fz_check_result(d, l.v[i], ra, &a);
                fz_check_result(x, l.v[i], rb, &b);
                FZ_ASSERT(ra == rb && fz_same(&a, &b),
                          "\"%s\": configuration says %s \"%s\" (%s | %s), index says %s \"%s\" (%s | %s)", l.v[i],
                          mailacct_reason_name(a.reason), a.canonical, a.message, a.why,
                          mailacct_reason_name(b.reason), b.canonical, b.message, b.why);
                free(l.v[i]);
        }
        /* what NSS and PAM ask about each mailbox, the same from both */
        for (uint32_t m = 0; m < mailacct_dir_settings(d)->n_mailboxes && m < 64; m++) {
                char s1[2048], s2[2048];
                FZ_ASSERT(fz_mailbox(d, m, s1, sizeof(s1)) == 0 && fz_mailbox(x, m, s2, sizeof(s2)) == 0,
                          "mailbox %u unreadable", m);
                FZ_ASSERT(strcmp(s1, s2) == 0, "mailbox %u: configuration \"%s\", index \"%s\"", m, s1, s2);
        }
        mailacct_dir_free(x);
        mailacct_dir_free(d);
        unlink(ipath);
        return 0;
}
