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

struct mailacct_secrets;
/* The same, with the hashes a sync kept from the directory (synced, at
 * synced_path; NULL: none): a directory mailbox with a synced hash needs
 * no line in the secrets file, and the secrets file may be left out. */
void mailacct_lint_passwords(const struct mailacct_dir *d, const char *file, const struct mailacct_secrets *synced,
                             const char *synced_path, struct mailacct_diags *diags);
