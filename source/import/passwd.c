/* SPDX-License-Identifier: MIT */
/* /etc/passwd (name:x:uid:gid:gecos:home:shell), the hashes from a shadow
 * file (name:hash:...): every account at or above the first user uid
 * becomes NAME@DOMAIN. System accounts (below it, and nobody) are no one's
 * mailbox. A locked shadow hash ("!...") gives a disabled mailbox without
 * a password. */
#include <errno.h>
#include <string.h>

#include "hashmap.h"
#include "import.h"

/* The shadow file's names, each to where its line starts: one pass over it,
 * not one per account. */
static struct mailacct_hashmap *shadow_index(const struct mailacct_import_opts *o)
{
        const char *p = o->shadow, *end = o->shadow + o->shadow_len, *s;
        struct mailacct_hashmap *m = mailacct_hashmap_new(o->shadow_len / 64 + 1);
        size_t l;

        while (m && mailacct_import_next_line(&p, end, &s, &l)) {
                struct mailacct_import_field f[2];
                char name[256];
                if (mailacct_import_split(s, l, ':', f, 2) < 2 || f[0].len == 0 || f[0].len >= sizeof(name) ||
                    memchr(f[0].p, '\0', f[0].len) || s - o->shadow > UINT32_MAX)
                        continue;
                memcpy(name, f[0].p, f[0].len);
                name[f[0].len] = '\0';
                if (mailacct_hashmap_add(m, name, (uint32_t)(s - o->shadow)) < 0) {
                        mailacct_hashmap_free(m);
                        return NULL;
                }
        }
        return m;
}

/* name's hash (field 1) in the shadow text, or NULL */
static const char *shadow_hash(const struct mailacct_import_opts *o, const struct mailacct_hashmap *m, const char *name,
                               size_t nlen, size_t *hlen)
{
        char key[256];
        uint32_t at;
        const char *p, *s;
        size_t l;
        struct mailacct_import_field f[3];

        if (!m || nlen >= sizeof(key))
                return NULL;
        memcpy(key, name, nlen);
        key[nlen] = '\0';
        if (mailacct_hashmap_get(m, key, &at, 1) == 0)
                return NULL;
        p = o->shadow + at;
        if (!mailacct_import_next_line(&p, o->shadow + o->shadow_len, &s, &l) ||
            mailacct_import_split(s, l, ':', f, 3) < 2)
                return NULL;
        *hlen = f[1].len;
        return f[1].p;
}

int mailacct_import_passwd(const char *buf, size_t len, const struct mailacct_import_opts *o,
                           struct mailacct_import_set *out, struct mailacct_diags *diags)
{
        const char *p = buf, *end = buf + len, *s;
        struct mailacct_hashmap *shadow = NULL;
        size_t l;
        int line = 0, r = 0;

        if (!o->domain) {
                mailacct_diag_add(diags, MAILACCT_ERROR, o->file, 0, "passwd accounts have no domain: give --domain");
                return -EINVAL;
        }
        if (o->shadow && !(shadow = shadow_index(o)))
                return -ENOMEM;
        while (r == 0 && mailacct_import_next_line(&p, end, &s, &l)) {
                struct mailacct_import_field f[7], g[2];
                struct mailacct_import_entry *e;
                const char *hash;
                size_t hlen = 0;
                uint32_t uid, gid;

                line++;
                if (l == 0 || s[0] == '#')
                        continue;
                if (memchr(s, '\0', l) || mailacct_import_split(s, l, ':', f, 7) != 7 || f[0].len == 0 ||
                    !mailacct_import_id(f[2].p, f[2].len, &uid) || !mailacct_import_id(f[3].p, f[3].len, &gid)) {
                        mailacct_diag_add(diags, MAILACCT_ERROR, o->file, line,
                                          "not a passwd line (name:password:uid:gid:gecos:home:shell); left out");
                        continue;
                }
                /* NIS "+" and "-" lines, system accounts, nobody */
                if (f[0].p[0] == '+' || f[0].p[0] == '-' || uid < o->min_uid || uid == 65534) {
                        out->skipped++;
                        continue;
                }
                e = mailacct_import_new_entry(out, line);
                if (!e || mailacct_import_address(e, f[0].p, f[0].len, o->domain) < 0) {
                        r = -ENOMEM;
                        break;
                }
                e->uid = uid, e->has_uid = true;
                e->gid = gid, e->has_gid = true;
                /* the gecos' first comma field is the full name */
                mailacct_import_split(f[4].p, f[4].len, ',', g, 1);
                if ((g[0].len && mailacct_import_set_str(&e->name, g[0].p, g[0].len) < 0) ||
                    (f[5].len && mailacct_import_set_str(&e->home, f[5].p, f[5].len) < 0) ||
                    (f[6].len && mailacct_import_set_str(&e->shell, f[6].p, f[6].len) < 0)) {
                        r = -ENOMEM;
                        break;
                }
                hash = shadow_hash(o, shadow, f[0].p, f[0].len, &hlen);
                if (!hash && f[1].len > 1)
                        hash = f[1].p, hlen = f[1].len; /* a hash in passwd itself (no shadow) */
                /* locked: a disabled mailbox, and no password that would come
                 * back to life the day someone sets enabled = true */
                if (hash && hlen && hash[0] == '!') {
                        e->enabled = 0;
                        hash = NULL;
                }
                if (hash && hlen && !(hlen == 1 && (hash[0] == '*' || hash[0] == 'x')))
                        r = mailacct_import_password(e, hash, hlen, false);
        }
        mailacct_hashmap_free(shadow);
        return r;
}
