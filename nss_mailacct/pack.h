/* SPDX-License-Identifier: MIT */
#pragma once

#include <pwd.h>
#include <stddef.h>
#include <stdint.h>

#include "directory.h"

/* Fills pw for mailbox mbox with every string in buf. Measures first and
 * copies only when everything fits, so a short buffer never yields a
 * truncated entry. Returns 0, -ERANGE (buf too small: nothing written), or
 * -ENOENT when the mailbox has no passwd entry: no uid or gid, uid 0, or a
 * field a passwd line cannot carry (':' or a newline). */
int mailacct_nss_pack_passwd(const struct mailacct_dir *d, uint32_t mbox, struct passwd *pw, char *buf, size_t len);
