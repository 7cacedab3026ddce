/* SPDX-License-Identifier: MIT */
/* Dovecot's passwd-file (doc.dovecot.org, "Passwd-file"): one user a line,
 * user:password:uid:gid:(gecos):home:(shell):extra_fields, '#' comments.
 * The user is an address, or a name the --domain completes; the password
 * carries its scheme in braces ({SHA512-CRYPT}, {PLAIN}, ...), none meaning
 * CRYPT, Dovecot's default. */
#include <errno.h>
#include <string.h>

#include "import.h"

static void id_field(const struct mailacct_import_opts *o, struct mailacct_diags *diags, int line, const char *what,
                     const struct mailacct_import_field *f, uint32_t *v, bool *has)
{
        if (f->len == 0)
                return;
        *has = mailacct_import_id(f->p, f->len, v);
        if (!*has)
                mailacct_diag_add(diags, MAILACCT_WARNING, o->file, line,
                                  "%s \"%.*s\" is no number from 0 to 4294967294; not imported", what, (int)f->len,
                                  f->p);
}

int mailacct_import_dovecot(const char *buf, size_t len, const struct mailacct_import_opts *o,
                            struct mailacct_import_set *out, struct mailacct_diags *diags)
{
        const char *p = buf, *end = buf + len, *s;
        size_t l;
        int line = 0, r;

        while (mailacct_import_next_line(&p, end, &s, &l)) {
                struct mailacct_import_field f[8];
                struct mailacct_import_entry *e;
                size_t n;

                line++;
                if (l == 0 || s[0] == '#')
                        continue;
                if (memchr(s, '\0', l)) {
                        mailacct_diag_add(diags, MAILACCT_ERROR, o->file, line, "a NUL byte; line left out");
                        continue;
                }
                n = mailacct_import_split(s, l, ':', f, 8);
                e = mailacct_import_new_entry(out, line);
                if (!e)
                        return -ENOMEM;
                r = mailacct_import_address(e, f[0].p, f[0].len, o->domain);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (r == -EDESTADDRREQ)
                                mailacct_diag_add(diags, MAILACCT_ERROR, o->file, line,
                                                  "user \"%.*s\" has no domain: give --domain; line left out",
                                                  (int)f[0].len, f[0].p);
                        else
                                mailacct_diag_add(diags, MAILACCT_ERROR, o->file, line, "no user name; line left out");
                        mailacct_import_drop_last(out);
                        continue;
                }
                if (n > 1 && mailacct_import_password(e, f[1].p, f[1].len, false) < 0)
                        return -ENOMEM;
                if (n > 2)
                        id_field(o, diags, line, "uid", &f[2], &e->uid, &e->has_uid);
                if (n > 3)
                        id_field(o, diags, line, "gid", &f[3], &e->gid, &e->has_gid);
                if ((n > 4 && f[4].len && mailacct_import_set_str(&e->name, f[4].p, f[4].len) < 0) ||
                    (n > 5 && f[5].len && mailacct_import_set_str(&e->home, f[5].p, f[5].len) < 0) ||
                    (n > 6 && f[6].len && mailacct_import_set_str(&e->shell, f[6].p, f[6].len) < 0))
                        return -ENOMEM;
        }
        return 0;
}
