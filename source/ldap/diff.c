/* SPDX-License-Identifier: MIT */
/* The sync against the last one (diff.h). The old entries go into an
 * open-addressing table keyed by their 64-bit identity (a collision between
 * two of a million entries has odds of about 1 in 30 million, and could
 * only miscount); the new ones are a few bits and an index each. */
#include "diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

enum { OLD_ACCEPTED = 1, OLD_MAILBOX = 2, OLD_HIT = 4 };

/* 16 bytes a slot: a million old entries in 32 MiB. 32 bits of the content
 * hash tell a change (a change missed once in 4 billion is a miscount,
 * nothing else). */
struct old {
        uint64_t id; /* 0: an empty slot (identities are never 0, see ident()) */
        uint32_t content;
        uint32_t flags;
};

struct mailacct_ldap_diff {
        struct old *slots;
        size_t cap;       /* a power of two */
        uint32_t *old_of; /* per old ordinal: its slot, for _removed() */
        uint32_t n_old;
        uint32_t last_mailboxes;
        uint32_t *match; /* per new ordinal: the slot of its old entry, or NONE */
        uint8_t *flags;  /* per new ordinal */
        uint32_t n_new, cap_new;
};

enum { NEW_ACCEPTED = 1, NEW_CHANGED = 2, NEW_MAILBOX = 4 };

static uint64_t ident(const struct mailacct_ldap_entry *e)
{
        uint64_t id = mailacct_ldap_entry_identity(e);

        return id ? id : 1;
}

static struct old *find(const struct mailacct_ldap_diff *d, uint64_t id)
{
        if (!d->cap)
                return NULL;
        for (size_t j = id & (d->cap - 1);; j = (j + 1) & (d->cap - 1)) {
                if (d->slots[j].id == id)
                        return &d->slots[j];
                if (!d->slots[j].id)
                        return NULL;
        }
}

struct mailacct_ldap_diff *mailacct_ldap_diff_new(const struct mailacct_ldap_store *old)
{
        struct mailacct_ldap_diff *d = calloc(1, sizeof(*d));
        struct mailacct_ldap_store_iter *it = NULL;
        struct mailacct_ldap_entry e;
        uint32_t ordinal;
        bool accepted;
        uint64_t content;
        int r;

        if (!d)
                return NULL;
        if (!old)
                return d;
        d->n_old = mailacct_ldap_store_count(old);
        for (d->cap = 16; d->cap < 2 * (size_t)d->n_old; d->cap *= 2)
                ;
        d->slots = calloc(d->cap, sizeof(*d->slots));
        d->old_of = malloc(((size_t)d->n_old + 1) * sizeof(*d->old_of));
        it = mailacct_ldap_store_iter_new(old);
        if (!d->slots || !d->old_of || !it)
                goto fail;
        while ((r = mailacct_ldap_store_next(it, &e, &ordinal, &accepted, &content)) == 1) {
                uint64_t id = ident(&e);
                size_t j = id & (d->cap - 1);
                while (d->slots[j].id && d->slots[j].id != id)
                        j = (j + 1) & (d->cap - 1);
                /* the same identity twice (a server's duplicate): the first counts */
                if (d->slots[j].id) {
                        d->old_of[ordinal] = NONE;
                        continue;
                }
                d->slots[j] = (struct old){.id = id,
                                           .content = (uint32_t)content,
                                           .flags = (accepted ? OLD_ACCEPTED : 0u) |
                                                    (e.kind == MAILACCT_LDAP_MAILBOX ? OLD_MAILBOX : 0u)};
                d->old_of[ordinal] = (uint32_t)j;
                if (accepted && e.kind == MAILACCT_LDAP_MAILBOX)
                        d->last_mailboxes++;
        }
        if (r < 0)
                goto fail;
        mailacct_ldap_store_iter_free(it);
        return d;
fail:
        mailacct_ldap_store_iter_free(it);
        mailacct_ldap_diff_free(d);
        return NULL;
}

void mailacct_ldap_diff_free(struct mailacct_ldap_diff *d)
{
        if (!d)
                return;
        free(d->slots);
        free(d->old_of);
        free(d->match);
        free(d->flags);
        free(d);
}

int mailacct_ldap_diff_note(struct mailacct_ldap_diff *d, uint32_t ordinal, const struct mailacct_ldap_entry *e,
                            uint64_t content)
{
        struct old *o;

        if (ordinal != d->n_new)
                return -EINVAL;
        if (d->n_new == d->cap_new) {
                uint32_t nc = d->cap_new ? d->cap_new * 2 : 4096;
                uint32_t *nm = realloc(d->match, nc * sizeof(*nm));
                uint8_t *nf;
                if (!nm)
                        return -ENOMEM;
                d->match = nm;
                nf = realloc(d->flags, nc);
                if (!nf)
                        return -ENOMEM;
                d->flags = nf;
                d->cap_new = nc;
        }
        o = find(d, ident(e));
        d->match[ordinal] = o ? (uint32_t)(o - d->slots) : NONE;
        d->flags[ordinal] = (uint8_t)((o && o->content != (uint32_t)content ? NEW_CHANGED : 0) |
                                      (e->kind == MAILACCT_LDAP_MAILBOX ? NEW_MAILBOX : 0));
        d->n_new++;
        return 0;
}

void mailacct_ldap_diff_accept(struct mailacct_ldap_diff *d, uint32_t ordinal, bool accepted)
{
        if (ordinal >= d->n_new)
                return;
        if (accepted)
                d->flags[ordinal] |= NEW_ACCEPTED;
        else
                d->flags[ordinal] &= (uint8_t)~NEW_ACCEPTED;
}

enum mailacct_ldap_change mailacct_ldap_diff_change(const struct mailacct_ldap_diff *d, uint32_t ordinal)
{
        const struct old *o;

        if (ordinal >= d->n_new || !(d->flags[ordinal] & NEW_ACCEPTED))
                return MAILACCT_LDAP_LEFT_OUT;
        o = d->match[ordinal] == NONE ? NULL : &d->slots[d->match[ordinal]];
        /* an entry left out last time comes in now: an addition */
        if (!o || !(o->flags & OLD_ACCEPTED))
                return MAILACCT_LDAP_ADDED;
        return d->flags[ordinal] & NEW_CHANGED ? MAILACCT_LDAP_CHANGED : MAILACCT_LDAP_SAME;
}

void mailacct_ldap_diff_count(struct mailacct_ldap_diff *d, struct mailacct_ldap_counts *c)
{
        memset(c, 0, sizeof(*c));
        c->seen = d->n_new;
        c->last_mailboxes = d->last_mailboxes;
        for (size_t j = 0; j < d->cap; j++)
                d->slots[j].flags &= ~(uint32_t)OLD_HIT;
        for (uint32_t i = 0; i < d->n_new; i++) {
                switch (mailacct_ldap_diff_change(d, i)) {
                case MAILACCT_LDAP_ADDED:
                        c->added++;
                        break;
                case MAILACCT_LDAP_CHANGED:
                        c->changed++;
                        break;
                case MAILACCT_LDAP_LEFT_OUT:
                        c->left_out++;
                        continue;
                default:
                        break;
                }
                if (d->match[i] != NONE)
                        d->slots[d->match[i]].flags |= OLD_HIT;
        }
        /* what the last sync had and this one has not: gone, or left out now */
        for (size_t j = 0; j < d->cap; j++) {
                const struct old *o = &d->slots[j];
                if (!o->id || !(o->flags & OLD_ACCEPTED) || (o->flags & OLD_HIT))
                        continue;
                c->removed++;
                if (o->flags & OLD_MAILBOX)
                        c->removed_mailboxes++;
        }
}

bool mailacct_ldap_diff_removed(const struct mailacct_ldap_diff *d, uint32_t old_ordinal)
{
        const struct old *o;

        if (old_ordinal >= d->n_old || d->old_of[old_ordinal] == NONE)
                return false;
        o = &d->slots[d->old_of[old_ordinal]];
        return (o->flags & OLD_ACCEPTED) && !(o->flags & OLD_HIT);
}

bool mailacct_ldap_removal_refused(uint32_t last_mailboxes, uint32_t removed_mailboxes, unsigned max_removal)
{
        return removed_mailboxes > 3 && (uint64_t)removed_mailboxes * 100 > (uint64_t)max_removal * last_mailboxes;
}
