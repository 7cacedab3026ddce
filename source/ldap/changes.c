/* SPDX-License-Identifier: MIT */
#include "changes.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct copy {
        struct mailacct_ldap_entry e;
        void *block; /* everything e points to */
        size_t size; /* block's, wiped as it is freed (userPassword's values) */
        uint64_t id;
        size_t search;
        bool dropped; /* a later message for the same entry replaced it */
};

struct ids {
        uint64_t *v;
        size_t n, cap;
        bool sorted;
};

struct mailacct_ldap_changes {
        struct copy *copies;
        size_t n, cap;
        struct ids changed, deleted;
        struct ids *present; /* per search */
        bool *present_phase; /* per search: refreshDeletes was false */
        size_t searches;
        bool final;
};

static int ids_add(struct ids *s, uint64_t id)
{
        if (s->n == s->cap) {
                size_t nc = s->cap ? s->cap * 2 : 256;
                uint64_t *nv = realloc(s->v, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                s->v = nv;
                s->cap = nc;
        }
        s->v[s->n++] = id;
        s->sorted = false;
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

static bool ids_has(struct ids *s, uint64_t id)
{
        if (!s->n)
                return false;
        if (!s->sorted) {
                qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
                s->sorted = true;
        }
        return bsearch(&id, s->v, s->n, sizeof(id), cmp_u64) != NULL;
}

struct mailacct_ldap_changes *mailacct_ldap_changes_new(size_t searches)
{
        struct mailacct_ldap_changes *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->searches = searches;
        c->present = calloc(searches + 1, sizeof(*c->present));
        c->present_phase = calloc(searches + 1, sizeof(*c->present_phase));
        if (!c->present || !c->present_phase) {
                mailacct_ldap_changes_free(c);
                return NULL;
        }
        return c;
}

void mailacct_ldap_changes_free(struct mailacct_ldap_changes *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++) {
                explicit_bzero(c->copies[i].block, c->copies[i].size);
                free(c->copies[i].block);
        }
        for (size_t i = 0; c->present && i < c->searches; i++)
                free(c->present[i].v);
        free(c->present);
        free(c->present_phase);
        free(c->changed.v);
        free(c->deleted.v);
        free(c->copies);
        free(c);
}

/* One block for the whole entry: the DN, the key, the attributes, their
 * values and every byte they point to. */
static int copy_entry(const struct mailacct_ldap_entry *e, struct mailacct_ldap_entry *out, void **blockp,
                      size_t *sizep)
{
        size_t nv = 0, bytes = e->dn_len + 1 + e->key_len + 1;
        struct mailacct_ldap_attr *attrs;
        struct mailacct_ldap_val *vals;
        char *block, *p;

        for (size_t i = 0; i < e->n_attrs; i++) {
                nv += e->attrs[i].n;
                bytes += strlen(e->attrs[i].name) + 1;
                for (size_t k = 0; k < e->attrs[i].n; k++)
                        bytes += e->attrs[i].v[k].len + 1;
        }
        *sizep = e->n_attrs * sizeof(*attrs) + nv * sizeof(*vals) + bytes + 1;
        block = malloc(*sizep);
        if (!block)
                return -ENOMEM;
        attrs = (struct mailacct_ldap_attr *)(void *)block;
        vals = (struct mailacct_ldap_val *)(void *)(attrs + e->n_attrs);
        p = (char *)(vals + nv);
        *out = *e;
        memcpy(p, e->dn, e->dn_len);
        p[e->dn_len] = '\0';
        out->dn = p;
        p += e->dn_len + 1;
        if (e->key_len) {
                memcpy(p, e->key, e->key_len);
                out->key = p;
                p += e->key_len + 1;
        } else
                out->key = NULL;
        for (size_t i = 0; i < e->n_attrs; i++) {
                size_t nl = strlen(e->attrs[i].name) + 1;
                memcpy(p, e->attrs[i].name, nl);
                attrs[i].name = p;
                p += nl;
                attrs[i].v = vals;
                attrs[i].n = e->attrs[i].n;
                for (size_t k = 0; k < e->attrs[i].n; k++) {
                        memcpy(p, e->attrs[i].v[k].p, e->attrs[i].v[k].len);
                        vals[k] = (struct mailacct_ldap_val){p, e->attrs[i].v[k].len};
                        p += e->attrs[i].v[k].len + 1;
                }
                vals += e->attrs[i].n;
        }
        out->attrs = attrs;
        *blockp = block;
        return 0;
}

int mailacct_ldap_changes_entry(struct mailacct_ldap_changes *c, size_t search, const struct mailacct_ldap_entry *e)
{
        struct copy *cp;
        int r;

        if (c->n == c->cap) {
                size_t nc = c->cap ? c->cap * 2 : 64;
                struct copy *nv = realloc(c->copies, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                c->copies = nv;
                c->cap = nc;
        }
        cp = &c->copies[c->n];
        memset(cp, 0, sizeof(*cp));
        r = copy_entry(e, &cp->e, &cp->block, &cp->size);
        if (r < 0)
                return r;
        cp->id = mailacct_ldap_entry_identity(e);
        cp->search = search;
        c->n++;
        return ids_add(&c->changed, cp->id);
}

static uint64_t uuid_identity(enum mailacct_ldap_kind kind, const char *uuid)
{
        struct mailacct_ldap_entry e = {.kind = kind, .dn = "", .key = uuid, .key_len = strlen(uuid)};

        return mailacct_ldap_entry_identity(&e);
}

int mailacct_ldap_changes_uuid(struct mailacct_ldap_changes *c, size_t search, enum mailacct_ldap_kind kind,
                               const char *uuid, bool present)
{
        if (search >= c->searches)
                return -EINVAL;
        return ids_add(present ? &c->present[search] : &c->deleted, uuid_identity(kind, uuid));
}

int mailacct_ldap_changes_touched(struct mailacct_ldap_changes *c, const char *key, size_t key_len)
{
        struct mailacct_ldap_entry m = {.kind = MAILACCT_LDAP_MAILBOX, .dn = "", .key = key, .key_len = key_len};
        struct mailacct_ldap_entry k = m;
        int r;

        if (!key_len)
                return -EINVAL;
        k.kind = MAILACCT_LDAP_CONTACT;
        r = ids_add(&c->deleted, mailacct_ldap_entry_identity(&m));
        return r < 0 ? r : ids_add(&c->deleted, mailacct_ldap_entry_identity(&k));
}

void mailacct_ldap_changes_done(struct mailacct_ldap_changes *c, size_t search, bool refresh_deletes)
{
        if (search < c->searches)
                c->present_phase[search] = !refresh_deletes;
}

/* Once every search is done: an entry named twice keeps its last copy. */
static void finalize(struct mailacct_ldap_changes *c)
{
        if (c->final)
                return;
        c->final = true;
        for (size_t i = c->n; i-- > 0;) {
                if (c->copies[i].dropped)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (!c->copies[j].dropped && c->copies[j].id == c->copies[i].id)
                                c->copies[j].dropped = true;
        }
}

bool mailacct_ldap_changes_keeps(struct mailacct_ldap_changes *c, size_t search, const struct mailacct_ldap_entry *e)
{
        uint64_t id = mailacct_ldap_entry_identity(e);

        finalize(c);
        if (ids_has(&c->changed, id) || ids_has(&c->deleted, id))
                return false;
        if (search < c->searches && c->present_phase[search] && !ids_has(&c->present[search], id))
                return false;
        return true;
}

size_t mailacct_ldap_changes_count(const struct mailacct_ldap_changes *c)
{
        size_t n = 0;

        finalize((struct mailacct_ldap_changes *)c);
        for (size_t i = 0; i < c->n; i++)
                n += !c->copies[i].dropped;
        return n;
}

const struct mailacct_ldap_entry *mailacct_ldap_changes_at(const struct mailacct_ldap_changes *c, size_t i)
{
        for (size_t k = 0; k < c->n; k++)
                if (!c->copies[k].dropped && i-- == 0)
                        return &c->copies[k].e;
        return NULL;
}

size_t mailacct_ldap_changes_deleted(const struct mailacct_ldap_changes *c)
{
        return c->deleted.n;
}
