/* SPDX-License-Identifier: MIT */
#pragma once

#include "diag.h"
#include "directory.h"

/* The warnings of `mailacct check` that need the whole directory: aliases
 * shared across domains or inside one, contacts shadowed by mailboxes, NT
 * accounts equal to other aliases, mailboxes without ids, and the secrets
 * file (lines for no mailbox, hashes crypt(3) cannot verify, mixed schemes,
 * mailboxes without a line). Read through the directory's views, so it runs
 * on a built directory and on an index alike; each finding names the
 * entry's origin. Reads the secrets file: never called from a module. */
void mailacct_lint(const struct mailacct_dir *d, const char *file, struct mailacct_diags *diags);
