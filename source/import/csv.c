/* SPDX-License-Identifier: MIT */
/* CSV (RFC 4180): a header row names the fields, one mailbox a record.
 * Quoted fields may hold commas, doubled quotes and line breaks. Lists
 * (aliases, addresses, services) are separated by ';' or white space inside
 * their field. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import.h"

enum col {
        COL_ADDRESS = 0,
        COL_ALIASES,
        COL_ADDRESSES,
        COL_NT_ACCOUNT,
        COL_NAME,
        COL_UID,
        COL_GID,
        COL_HOME,
        COL_SHELL,
        COL_PASSWORD_HASH,
        COL_SERVICES,
        COL_ENABLED,
        COL_MAX,
};

static const char *const col_names[COL_MAX] = {"address", "aliases",       "addresses", "nt_account",
                                               "name",    "uid",           "gid",       "home",
                                               "shell",   "password_hash", "services",  "enabled"};

#define FIELDS_MAX 64

/* One record's fields, unquoted, into a buffer of its own. */
struct record {
        char *buf;
        size_t cap, used;
        size_t off[FIELDS_MAX], len[FIELDS_MAX];
        size_t n;
        int line; /* where it starts */
};

static int put(struct record *r, char c)
{
        if (r->used == r->cap) {
                size_t nc = r->cap ? r->cap * 2 : 256;
                char *nb = realloc(r->buf, nc);
                if (!nb)
                        return -ENOMEM;
                r->buf = nb;
                r->cap = nc;
        }
        r->buf[r->used++] = c;
        return 0;
}

/* Reads one record at *p; 1 with r filled, 0 at the end, -EINVAL for a
 * quote left open or too many fields (*line advanced past it), -ENOMEM. */
static int next_record(const char **p, const char *end, int *line, struct record *r)
{
        const char *s = *p;
        bool quoted = false, was_quoted = false;

        r->used = r->n = 0;
        r->line = *line;
        if (s >= end)
                return 0;
        r->off[0] = 0;
        for (;;) {
                char c;
                if (s >= end) {
                        if (quoted) {
                                *p = s;
                                return -EINVAL;
                        }
                        break;
                }
                c = *s++;
                if (quoted) {
                        if (c == '"' && s < end && *s == '"') {
                                s++;
                                if (put(r, '"') < 0)
                                        return -ENOMEM;
                        } else if (c == '"')
                                quoted = false;
                        else {
                                if (c == '\n')
                                        (*line)++;
                                if (put(r, c) < 0)
                                        return -ENOMEM;
                        }
                        continue;
                }
                if (c == '"' && r->used == r->off[r->n] && !was_quoted) {
                        quoted = was_quoted = true;
                        continue;
                }
                if (c == ',' || c == '\n') {
                        r->len[r->n] = r->used - r->off[r->n];
                        /* CRLF: the CR is the line's end, not the field's */
                        if (c == '\n' && r->len[r->n] && r->buf[r->used - 1] == '\r' && !was_quoted)
                                r->len[r->n]--;
                        if (++r->n == FIELDS_MAX) {
                                while (s < end && s[-1] != '\n')
                                        s++;
                                (*line)++;
                                *p = s;
                                return -EINVAL;
                        }
                        r->off[r->n] = r->used;
                        was_quoted = false;
                        if (c == '\n') {
                                (*line)++;
                                *p = s;
                                return 1;
                        }
                        continue;
                }
                if (put(r, c) < 0)
                        return -ENOMEM;
        }
        r->len[r->n] = r->used - r->off[r->n];
        if (r->len[r->n] && r->buf[r->used - 1] == '\r')
                r->len[r->n]--;
        r->n++;
        (*line)++;
        *p = s;
        return 1;
}

static const char *field(const struct record *r, size_t i, size_t *len)
{
        *len = r->len[i];
        /* a record of empty fields has put no byte yet: no buffer */
        return r->buf ? r->buf + r->off[i] : "";
}

static int list_field(struct mailacct_import_list *l, const char *v, size_t len)
{
        size_t i = 0;

        while (i < len) {
                size_t j;
                while (i < len && (v[i] == ';' || v[i] == ' ' || v[i] == '\t'))
                        i++;
                j = i;
                while (j < len && v[j] != ';' && v[j] != ' ' && v[j] != '\t')
                        j++;
                if (j > i && mailacct_import_list_add(l, v + i, j - i) < 0)
                        return -ENOMEM;
                i = j;
        }
        return 0;
}

static int bool_field(const char *v, size_t len)
{
        static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0"};

        for (size_t i = 0; i < 3; i++) {
                if (strlen(yes[i]) == len && strncasecmp(v, yes[i], len) == 0)
                        return 1;
                if (strlen(no[i]) == len && strncasecmp(v, no[i], len) == 0)
                        return 0;
        }
        return -1;
}

static int fill(struct mailacct_import_entry *e, enum col c, const char *v, size_t len,
                const struct mailacct_import_opts *o, struct mailacct_diags *diags, int line)
{
        switch (c) {
        case COL_ADDRESS:
                return mailacct_import_address(e, v, len, o->domain);
        case COL_ALIASES:
                return list_field(&e->aliases, v, len);
        case COL_ADDRESSES:
                return list_field(&e->addresses, v, len);
        case COL_SERVICES:
                return list_field(&e->services, v, len);
        case COL_NT_ACCOUNT:
                return mailacct_import_set_str(&e->nt_account, v, len);
        case COL_NAME:
                return mailacct_import_set_str(&e->name, v, len);
        case COL_HOME:
                return mailacct_import_set_str(&e->home, v, len);
        case COL_SHELL:
                return mailacct_import_set_str(&e->shell, v, len);
        case COL_PASSWORD_HASH:
                return mailacct_import_password(e, v, len, false);
        case COL_UID:
        case COL_GID: {
                bool ok = mailacct_import_id(v, len, c == COL_UID ? &e->uid : &e->gid);
                if (c == COL_UID)
                        e->has_uid = ok;
                else
                        e->has_gid = ok;
                if (!ok)
                        mailacct_diag_add(diags, MAILACCT_WARNING, o->file, line,
                                          "%s \"%.*s\" is no number from 0 to 4294967294; not imported", col_names[c],
                                          (int)len, v);
                return 0;
        }
        case COL_ENABLED:
                e->enabled = bool_field(v, len);
                if (e->enabled < 0)
                        mailacct_diag_add(diags, MAILACCT_WARNING, o->file, line,
                                          "enabled \"%.*s\" is not true or false; not imported", (int)len, v);
                return 0;
        case COL_MAX:
                break;
        }
        return 0;
}

int mailacct_import_csv(const char *buf, size_t len, const struct mailacct_import_opts *o,
                        struct mailacct_import_set *out, struct mailacct_diags *diags)
{
        const char *p = buf, *end = buf + len;
        struct record r = {0};
        enum col cols[FIELDS_MAX];
        size_t ncols;
        bool have_address = false;
        int line = 1, k, ret = 0;

        if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                p += 3; /* a spreadsheet's byte order mark */
        k = next_record(&p, end, &line, &r);
        if (k <= 0) {
                free(r.buf);
                if (k == -ENOMEM)
                        return k;
                mailacct_diag_add(diags, MAILACCT_ERROR, o->file, 1,
                                  "no header row naming the fields (address, aliases, name, uid, ...)");
                return -EINVAL;
        }
        ncols = r.n;
        for (size_t i = 0; i < ncols; i++) {
                size_t fl;
                const char *f = field(&r, i, &fl);
                size_t c;
                while (fl && (f[fl - 1] == ' ' || f[fl - 1] == '\t'))
                        fl--;
                while (fl && (*f == ' ' || *f == '\t'))
                        f++, fl--;
                for (c = 0; c < COL_MAX; c++)
                        if (strlen(col_names[c]) == fl && strncasecmp(f, col_names[c], fl) == 0)
                                break;
                if (c == COL_MAX) {
                        mailacct_diag_add(diags, MAILACCT_ERROR, o->file, 1,
                                          "unknown field \"%.*s\" in the header row (known: address, aliases, "
                                          "addresses, nt_account, name, uid, gid, home, shell, password_hash, "
                                          "services, enabled)",
                                          (int)(fl < 64 ? fl : 64), f);
                        free(r.buf);
                        return -EINVAL;
                }
                cols[i] = (enum col)c;
                have_address |= c == COL_ADDRESS;
        }
        if (!have_address) {
                mailacct_diag_add(diags, MAILACCT_ERROR, o->file, 1, "the header row names no \"address\" field");
                free(r.buf);
                return -EINVAL;
        }
        while ((k = next_record(&p, end, &line, &r)) != 0) {
                struct mailacct_import_entry *e;
                if (k == -ENOMEM) {
                        ret = k;
                        break;
                }
                if (k < 0) {
                        mailacct_diag_add(diags, MAILACCT_ERROR, o->file, r.line,
                                          "a quoted field left open, or more than %d fields; record left out",
                                          FIELDS_MAX - 1);
                        continue;
                }
                if (r.n == 1 && r.len[0] == 0)
                        continue; /* an empty line */
                if (r.n != ncols) {
                        mailacct_diag_add(diags, MAILACCT_ERROR, o->file, r.line,
                                          "%zu fields where the header has %zu; record left out", r.n, ncols);
                        continue;
                }
                e = mailacct_import_new_entry(out, r.line);
                if (!e) {
                        ret = -ENOMEM;
                        break;
                }
                for (size_t i = 0; i < ncols && ret == 0; i++) {
                        size_t fl;
                        const char *f = field(&r, i, &fl);
                        if (memchr(f, '\0', fl)) {
                                mailacct_diag_add(diags, MAILACCT_ERROR, o->file, r.line,
                                                  "a NUL byte in field \"%s\"; record left out", col_names[cols[i]]);
                                ret = -EINVAL;
                                break;
                        }
                        if (fl)
                                ret = fill(e, cols[i], f, fl, o, diags, r.line);
                }
                if (ret == -ENOMEM)
                        break;
                if (ret < 0 || !e->address) {
                        if (ret == 0 || ret == -EDESTADDRREQ)
                                mailacct_diag_add(diags, MAILACCT_ERROR, o->file, r.line,
                                                  ret == -EDESTADDRREQ ? "the address has no domain: give --domain; "
                                                                         "record left out"
                                                                       : "no address; record left out");
                        mailacct_import_drop_last(out);
                        ret = 0;
                }
        }
        if (r.buf)
                explicit_bzero(r.buf, r.cap);
        free(r.buf);
        return ret;
}
