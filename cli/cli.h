/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "directory.h"
#include "file.h"
#include "source.h"

/* Exit codes: stable, documented in mailacct(8). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,   /* a login did not resolve; check found warnings */
        EXIT_CONFIG = 2,   /* configuration unusable; check found errors */
        EXIT_USAGE = 64,   /* EX_USAGE */
        EXIT_SOFTWARE = 70 /* EX_SOFTWARE: out of memory and the like */
};

struct cli {
        const char *config;
        const char *argv0;
};

/* Loads the configuration itself (the file source), printing findings as
 * check does; info (may be NULL) as mailacct_file_load() fills it. Returns
 * NULL (after printing why) when it is unusable. */
struct mailacct_dir *cli_load(const struct cli *c, bool print_warnings, struct mailacct_file_info *info);
/* The same as a writer loads it (compile, passwd): with an `ldap` group,
 * the file and the store of the last sync (source/ldap/declare.h). */
struct mailacct_dir *cli_load_all(const struct cli *c, bool print_warnings, struct mailacct_file_info *info);
/* For answering lookups as the modules do (mailacct_source_open(): the
 * index or the file, by the policy); st must be freed. */
struct mailacct_dir *cli_open(const struct cli *c, struct mailacct_source_status *st);
void cli_print_diags(FILE *f, const struct mailacct_diags *d, const char *file);

int cmd_resolve(const struct cli *c, int argc, char **argv, bool explain);
int cmd_check(const struct cli *c, int argc, char **argv);
int cmd_passwd(const struct cli *c, int argc, char **argv);
int cmd_test(const struct cli *c, int argc, char **argv);
/* secret.c. Reads one line into buf with echo off when stdin is a terminal
 * (prompt on stderr), else one line of stdin, with read(2): no stdio copy.
 * Strips the line end. 0 or -errno (-ENODATA: nothing to read, -E2BIG:
 * longer than buf; the rest of the line is read and dropped). */
int cli_read_password(const char *prompt, char *buf, size_t len);
/* The same with echo left on unless hide (for a prompt that shows what is typed). */
int cli_read_line(const char *prompt, bool hide, char *buf, size_t len);
/* Makes the process non-dumpable and has SIGINT/SIGTERM/SIGHUP/SIGQUIT give
 * the terminal its echo back before dying. */
void cli_secret_protect(void);
/* A locked, zeroed buffer of len bytes kept out of core dumps; freed wiped. */
char *cli_secret_alloc(size_t len);
void cli_secret_free(char *p, size_t len);
int cmd_compile(const struct cli *c, int argc, char **argv);
int cmd_sync(const struct cli *c, int argc, char **argv);
struct mailacct_ldap_conf;
/* sync.c: the first line of bind_password_file (trusted as the secrets
 * file is) in a locked buffer; NULL after printing why. Freed wiped. */
char *cli_read_bind_password(const struct mailacct_ldap_conf *c);
void cli_free_bind_password(char *password);
/* check_ldap.c: the offline findings of a configuration with an ldap group
 * and a status line (the index's age, the last successful sync); the
 * --online tests, printed, with an exit status (3: no server reachable). */
void cli_check_ldap_offline(const char *conf, const struct mailacct_ldap_conf *lc, struct mailacct_diags *diags,
                            char *status, size_t len);
int cli_check_ldap_online(const char *conf, const struct mailacct_ldap_conf *lc);
/* The index's folder made (mkdir -p) and judged as readers judge it: a
 * writer never writes where readers would refuse the file. 0 or -errno
 * with err set. */
int cli_index_folder(const char *index_path, char *err, size_t len);
/* Writes PATH.idx, the secrets index, with the owner and mode of PATH. */
int cli_compile_secrets(const char *path, bool quiet);
