/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mailacct_diags_init(struct mailacct_diags *d)
{
        memset(d, 0, sizeof(*d));
}

void mailacct_diags_clear(struct mailacct_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->v[i].file);
                free(d->v[i].text);
        }
        free(d->v);
        mailacct_diags_init(d);
}

void mailacct_diag_add(struct mailacct_diags *d, enum mailacct_severity s, const char *file, int line, const char *fmt,
                       ...)
{
        struct mailacct_diag *e;
        va_list ap;
        char *text;

        if (d->n == d->cap) {
                size_t ncap = d->cap ? d->cap * 2 : 16;
                struct mailacct_diag *nv = realloc(d->v, ncap * sizeof(*nv));
                if (!nv)
                        abort(); /* a checker that silently drops findings is worse */
                d->v = nv;
                d->cap = ncap;
        }
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                abort();
        va_end(ap);
        e = &d->v[d->n++];
        e->severity = s;
        e->line = line;
        e->file = file ? strdup(file) : NULL;
        e->text = text;
        if (s == MAILACCT_ERROR)
                d->errors++;
        else
                d->warnings++;
}

const char *mailacct_diag_place(char *buf, size_t len, const char *here, const char *there, int line)
{
        if (!line)
                snprintf(buf, len, "%s", there ? there : "?");
        else if (here == there || (here && there && strcmp(here, there) == 0))
                snprintf(buf, len, "line %d", line);
        else
                snprintf(buf, len, "%s:%d", there ? there : "?", line);
        return buf;
}
