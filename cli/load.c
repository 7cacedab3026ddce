/* SPDX-License-Identifier: MIT */
/* The writers' load of the configuration (compile, passwd): the file and,
 * when its mailboxes come from a directory, the store the last sync left
 * beside the index. */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "declare.h"

struct mailacct_dir *cli_load_all(const struct cli *c, bool print_warnings, struct mailacct_file_info *info)
{
        return cli_load_with(c, mailacct_source_load, print_warnings, info);
}
