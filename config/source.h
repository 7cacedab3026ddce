/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "directory.h"

#define MAILACCT_INDEX_DEFAULT "/var/lib/mailacct/mailacct.idx"

/* Where readers look for the compiled index of the configuration at
 * conf_path: its top-level `index = "...";` setting, wherever it stands,
 * found by a lexer of libconfig's syntax (lib/confscan.h) that stops at it,
 * else MAILACCT_INDEX_DEFAULT. A relative path is taken from the
 * configuration's folder, as the loader does. */
int mailacct_source_index_path(const char *conf_path, char *buf, size_t len);

enum mailacct_source_kind {
        MAILACCT_SOURCE_CONFIG = 0, /* parsed the configuration */
        MAILACCT_SOURCE_INDEX,      /* mapped the compiled index */
};

/* Opens the directory for a reader: the compiled index when it was built from
 * the configuration file as it is now, else the configuration itself. *stale
 * tells a caller that an index exists but was not used (it may log that once).
 * diags receives the configuration's findings when it was parsed. */
int mailacct_source_open(const char *conf_path, struct mailacct_dir **out, struct mailacct_diags *diags,
                         enum mailacct_source_kind *kind, bool *stale);
/* The same with the index path already found by mailacct_source_index_path()
 * (NULL: none), for a caller that has just read the configuration's head. */
int mailacct_source_open_at(const char *conf_path, const char *index_path, struct mailacct_dir **out,
                            struct mailacct_diags *diags, enum mailacct_source_kind *kind, bool *stale);
/* The same; note (if given) gets why an index that exists was not used
 * (stale, not trusted, damaged, another format version), for one log line. */
int mailacct_source_open_note(const char *conf_path, const char *index_path, struct mailacct_dir **out,
                              struct mailacct_diags *diags, enum mailacct_source_kind *kind, bool *stale, char *note,
                              size_t notelen);
