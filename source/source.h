/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "directory.h"
#include "file/file.h"
#include "index.h"

/* The state folder: where an index lives unless the configuration names
 * another place (docs/ARCHITECTURE.md, "Where the index lives"). */
#ifndef MAILACCT_STATE_DIR
#define MAILACCT_STATE_DIR "/var/lib/mailacct"
#endif
/* A configuration (with its includes) up to this size is parsed by a reader
 * when its index is not current; a larger one never is. The environment can
 * lower it (MAILACCT_PARSE_LIMIT, read with secure_getenv), for tests. */
#define MAILACCT_PARSE_LIMIT (1u << 20)

/* The default place of conf_path's index: MAILACCT_STATE_DIR/NAME.idx. */
int mailacct_index_default_path(const char *conf_path, char *buf, size_t len);

/* Where readers find conf_path's index: the default place when the index
 * there says it is this configuration's and that the configuration names
 * no other place; else the configuration's `index` setting, found by the
 * lexer wherever it stands; else the default place. */
int mailacct_index_locate(const char *conf_path, char *buf, size_t len);

enum mailacct_index_state {
        MAILACCT_IX_CURRENT = 0,
        MAILACCT_IX_STALE,         /* a file it was built from changed since */
        MAILACCT_IX_MISSING,       /* none where readers look */
        MAILACCT_IX_UNTRUSTED,     /* someone else could have written it */
        MAILACCT_IX_OTHER_VERSION, /* another format: a compile is due */
        MAILACCT_IX_DAMAGED,       /* its header failed a bound or checksum */
};
const char *mailacct_index_state_name(enum mailacct_index_state s);

/* What a reader opened, and why. */
struct mailacct_source_status {
        bool from_index; /* the directory is the index's */
        enum mailacct_index_state index;
        bool ldap; /* mailboxes come from a directory */
        char index_path[PATH_MAX];
        /* the delta beside it: missing when opened (its appearance is a
         * change), or watched with the other files */
        char delta_path[PATH_MAX];
        bool delta_missing;
        int64_t index_built_ns; /* when the index found was written (0: none) */
        char note[1024];        /* why the index was not used, or is stale: for one log line */
        /* the files to watch for a change (the configuration, its includes,
         * the index), as they were when opened */
        struct mailacct_stamp watch[MAILACCT_CONF_FILES_MAX + 1];
        char *watch_paths[MAILACCT_CONF_FILES_MAX + 1];
        size_t n_watch;
};
void mailacct_source_status_free(struct mailacct_source_status *st);

/* Opens conf_path's directory for a reader, by the policy of
 * docs/ARCHITECTURE.md: the index when current; a configuration within the
 * parse limit parsed when its index is stale, missing, not trusted, of
 * another version or damaged; a larger one, or one whose mailboxes come from
 * a directory, answered by a stale index and otherwise failing closed.
 * Returns 0, -EIO when it fails closed (st->note says why), -EINVAL/-EPERM/
 * -errno when the configuration is unusable (diags says why), -ENOMEM. */
int mailacct_source_open(const char *conf_path, struct mailacct_dir **out, struct mailacct_diags *diags,
                         struct mailacct_source_status *st);
