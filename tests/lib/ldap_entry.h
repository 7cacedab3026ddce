/* SPDX-License-Identifier: MIT */
/* A directory entry written as text, for the unit tests and the fuzzer of
 * the mapping (source/ldap/map.h). Lines end in '\n':
 *
 *   the first line         the DN
 *   "kind: contact"        a contact (default: a mailbox)
 *   "key: BYTES"           the entry's key (entryUUID, objectGUID)
 *   "NAME: VALUE"          a value of attribute NAME (lines of one NAME, in
 *                          any order, are one attribute, in the order seen)
 *
 * A value is every byte after ": " up to the line's end, NUL bytes
 * included (the length is the caller's, not strlen's). Lines without ": "
 * are skipped. Nothing is copied: the entry points into the text. */
#pragma once

#include <stddef.h>
#include <string.h>

#include "entry.h"

#define TL_ATTRS_MAX  64
#define TL_VALUES_MAX 2048
#define TL_NAME_MAX   64

struct tl_entry {
        struct mailacct_ldap_entry e;
        struct mailacct_ldap_attr attrs[TL_ATTRS_MAX];
        struct mailacct_ldap_val vals[TL_VALUES_MAX]; /* grouped by attribute */
        char names[TL_ATTRS_MAX][TL_NAME_MAX];
        char dn[4200];
};

/* Two passes: count each attribute's values, then place them. */
__attribute__((unused)) static void tl_entry_parse(const char *text, size_t len, struct tl_entry *t)
{
        const char *end = text + len, *p = memchr(text, '\n', len);
        size_t dn_len = p ? (size_t)(p - text) : len, n_vals = 0;
        size_t counts[TL_ATTRS_MAX] = {0};
        const char *line;

        memset(&t->e, 0, sizeof(t->e));
        t->e.kind = MAILACCT_LDAP_MAILBOX;
        if (dn_len >= sizeof(t->dn))
                dn_len = sizeof(t->dn) - 1;
        memcpy(t->dn, text, dn_len);
        t->dn[dn_len] = '\0';
        t->e.dn = t->dn;
        t->e.dn_len = strlen(t->dn); /* a NUL in the DN cuts it: the server's DN is a string */
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        size_t at = 0;
                        for (size_t i = 0; i < t->e.n_attrs; i++) {
                                t->attrs[i].v = &t->vals[at];
                                at += counts[i];
                                t->attrs[i].n = 0;
                        }
                }
                for (line = p ? p + 1 : end; line < end;) {
                        const char *eol = memchr(line, '\n', (size_t)(end - line));
                        const char *sep;
                        size_t ll, nl, k;
                        if (!eol)
                                eol = end;
                        ll = (size_t)(eol - line);
                        sep = memmem(line, ll, ": ", 2);
                        if (sep && (nl = (size_t)(sep - line)) > 0 && nl < TL_NAME_MAX) {
                                const char *v = sep + 2;
                                size_t vl = (size_t)(eol - v);
                                if (pass == 0 && nl == 4 && memcmp(line, "kind", 4) == 0) {
                                        if (vl == 7 && memcmp(v, "contact", 7) == 0)
                                                t->e.kind = MAILACCT_LDAP_CONTACT;
                                } else if (pass == 0 && nl == 3 && memcmp(line, "key", 3) == 0) {
                                        t->e.key = v;
                                        t->e.key_len = vl;
                                } else if (!(nl == 4 && memcmp(line, "kind", 4) == 0) &&
                                           !(nl == 3 && memcmp(line, "key", 3) == 0)) {
                                        for (k = 0; k < t->e.n_attrs; k++)
                                                if (strlen(t->names[k]) == nl && memcmp(t->names[k], line, nl) == 0)
                                                        break;
                                        if (pass == 0 && k == t->e.n_attrs && k < TL_ATTRS_MAX &&
                                            !memchr(line, '\0', nl)) {
                                                memcpy(t->names[k], line, nl);
                                                t->names[k][nl] = '\0';
                                                t->attrs[k].name = t->names[k];
                                                t->e.n_attrs++;
                                        }
                                        if (k < t->e.n_attrs) {
                                                if (pass == 0 && n_vals < TL_VALUES_MAX) {
                                                        counts[k]++;
                                                        n_vals++;
                                                } else if (pass == 1 && t->attrs[k].n < counts[k]) {
                                                        struct mailacct_ldap_val *slot =
                                                                (struct mailacct_ldap_val *)&t->attrs[k].v[t->attrs[k].n++];
                                                        slot->p = v;
                                                        slot->len = vl;
                                                }
                                        }
                                }
                        }
                        line = eol + 1;
                }
        }
        t->e.attrs = t->attrs;
}
