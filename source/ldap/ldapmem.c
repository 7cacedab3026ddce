/* SPDX-License-Identifier: MIT */
/* liblber memory functions that wipe what they free (ldapmem.h). */
#include "ldapmem.h"

#include <lber.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void wipe_free(void *p, void *ctx)
{
        (void)ctx;
        if (!p)
                return;
        explicit_bzero(p, malloc_usable_size(p));
        free(p);
}

static void *plain_malloc(ber_len_t n, void *ctx)
{
        (void)ctx;
        return malloc(n ? n : 1);
}

static void *plain_calloc(ber_len_t n, ber_len_t size, void *ctx)
{
        (void)ctx;
        return calloc(n ? n : 1, size ? size : 1);
}

/* realloc() would leave the old block unwiped when it moves it */
static void *wipe_realloc(void *p, ber_len_t n, void *ctx)
{
        size_t old;
        void *np;

        if (!p)
                return plain_malloc(n, ctx);
        old = malloc_usable_size(p);
        if (n <= old)
                return p;
        np = malloc(n);
        if (!np)
                return NULL;
        memcpy(np, p, old);
        wipe_free(p, ctx);
        return np;
}

void mailacct_ldap_wipe_memory(void)
{
        /* malloc's own blocks either way: one libldap may free what it
         * allocated before these were installed, and the reverse */
        static struct lber_memory_fns fns = {plain_malloc, plain_calloc, wipe_realloc, wipe_free};
        static int done;

        if (done++)
                return;
        (void)ber_set_option(NULL, LBER_OPT_MEMORY_FNS, &fns);
}
