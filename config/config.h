/* SPDX-License-Identifier: MIT */
#pragma once

#include "diag.h"
#include "directory.h"

#define MAILACCT_CONF_DEFAULT "/etc/mailacct.conf"

/* Reads the libconfig file at path into a finalised directory. Every finding
 * goes to diags with file and line. Returns 0 when usable (warnings allowed),
 * -EINVAL when the file has errors, or -errno when it cannot be read; *out is
 * set only on success. */
int mailacct_config_load(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags);

/* The warnings of `mailacct check` that need more than the file itself:
 * shared aliases, contacts shadowed by mailboxes, NT accounts equal to other
 * aliases, and the secrets file (entries, mode). Never reads the secrets
 * file from a module: only the command calls this. */
void mailacct_config_warnings(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags);
