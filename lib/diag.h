/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

enum mailacct_severity { MAILACCT_WARNING = 1, MAILACCT_ERROR = 2 };

struct mailacct_diag {
        enum mailacct_severity severity;
        int line; /* 0: no line fits (a file's permissions, say) */
        char *file;
        char *text;
};

/* What `mailacct check` prints: one entry per finding, in the order found. */
struct mailacct_diags {
        struct mailacct_diag *v;
        size_t n, cap;
        size_t errors, warnings;
};

void mailacct_diags_init(struct mailacct_diags *d);
void mailacct_diags_clear(struct mailacct_diags *d);
__attribute__((format(printf, 5, 6))) void mailacct_diag_add(struct mailacct_diags *d, enum mailacct_severity s,
                                                             const char *file, int line, const char *fmt, ...);
/* How a finding made at here (a file, or a DN) names another entry's place,
 * there:line: "line N" in the same file, "FILE:N" in another (an include),
 * there alone when line is 0 (a DN). Into buf; returns it. */
const char *mailacct_diag_place(char *buf, size_t len, const char *here, const char *there, int line);
