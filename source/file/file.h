/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "confscan.h"
#include "diag.h"
#include "directory.h"
#include "stamp.h"

#define MAILACCT_CONF_DEFAULT "/etc/mailacct.conf"

struct mailacct_ldap_conf;

/* What a load learnt about the configuration besides its directory: the
 * files it is made of (each trusted, each a stamp), its `index` setting,
 * how large it is. */
struct mailacct_file_info {
        /* the files, then (a configuration with an `ldap` group, as the
         * writers load it) the store of synced entries and the sync */
        struct mailacct_stamp stamps[MAILACCT_CONF_FILES_MAX + 2];
        char *paths[MAILACCT_CONF_FILES_MAX + 2]; /* the stamps' paths, owned */
        size_t n_stamps;
        char *index;                     /* the `index` setting, anchored; NULL: none */
        bool has_index;                  /* the lexer saw one (readers learn it without a parse) */
        bool has_ldap;                   /* an `ldap` group: mailboxes come from a directory */
        struct mailacct_ldap_conf *ldap; /* that group, read (NULL: none) */
        uint64_t bytes;                  /* the configuration and its includes */
};
void mailacct_file_info_free(struct mailacct_file_info *info);

/* Reads the configuration file at path (libconfig's syntax, source/file/
 * cfparse.h) into a directory through the builder
 * (for the command: check, compile, passwd).
 * Every finding goes to diags with file and line. Returns 0 when usable
 * (warnings allowed), -EINVAL when the file has errors, -EPERM when a file
 * is not trusted, or -errno when it cannot be read; *out is set only on
 * success. info (may be NULL) is filled on success and must be freed. */
int mailacct_file_load(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags,
                       struct mailacct_file_info *info);

/* A second source's entries, added after the file's and before the
 * builder finishes (the store of synced entries, a pull from the
 * directory). add returns 0, or a negative errno that ends the load. It is
 * called only when the file itself has no error. */
struct mailacct_file_hook {
        int (*add)(void *ctx, struct mailacct_builder *b, const struct mailacct_file_info *info,
                   struct mailacct_diags *diags);
        void *ctx;
};
/* mailacct_file_load() with a second source; info must not be NULL. */
int mailacct_file_load_with(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags,
                            struct mailacct_file_info *info, const struct mailacct_file_hook *hook);

/* For a reader (a module): the same, but never more than max_bytes of
 * configuration (-EFBIG, before it is parsed), and never a
 * configuration whose mailboxes come from a directory (-EREMOTE: only its
 * index holds them). */
int mailacct_file_load_reader(const char *path, uint64_t max_bytes, struct mailacct_dir **out,
                              struct mailacct_diags *diags, struct mailacct_file_info *info);

/* For a reader that binds to the directory (passwords = "ldap-bind"): only
 * the configuration's `ldap` group (where the servers are), with the same
 * trust checks and limit as mailacct_file_load_reader(); the rest of the
 * file is checked for syntax only. 0 with *out (free with
 * mailacct_ldap_conf_clear() and free()); -ENOENT without the group;
 * -EINVAL, -EPERM, -EFBIG, -errno as a load, with the findings in diags. */
int mailacct_file_read_ldap(const char *path, uint64_t max_bytes, struct mailacct_ldap_conf **out,
                            struct mailacct_diags *diags);
