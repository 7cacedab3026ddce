/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "diag.h"
#include "directory.h"
#include "file.h"
#include "source.h"

/* Exit codes: stable, documented in mailacct(8) and the README. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,   /* a login did not resolve; check found warnings */
        EXIT_CONFIG = 2,   /* configuration unusable; check found errors */
        EXIT_USAGE = 64,   /* EX_USAGE */
        EXIT_SOFTWARE = 70 /* EX_SOFTWARE: out of memory and the like */
};

struct cli;

/* One command: its entry point and the words its --help prints. */
struct cli_command {
        const char *name;
        int (*run)(struct cli *c, int argc, char **argv);
        const char *args;    /* what follows the name, for the usage line */
        const char *summary; /* one line, for mailacct --help */
        const char *help;    /* what it does, its options, one per line */
};

struct cli {
        const char *config;
        const char *argv0;
        const struct cli_command *cmd; /* the command running */
        bool json;                     /* --json: one JSON document on stdout */
        bool tty;                      /* stderr is a terminal: progress may be shown */
};

/* The options every command takes wherever they stand after its name
 * (getopt_long permutes): -c FILE, --help; --json where the command lists
 * it. A command's switch hands every option it does not know itself to
 * cli_option(), which returns CLI_GO_ON or the exit code to return. */
#define CLI_SHORT(s) "c:h" s
#define CLI_LONG_COMMON                           \
        {"config", required_argument, NULL, 'c'}, \
        {                                         \
                "help", no_argument, NULL, 'h'    \
        }
#define CLI_LONG_JSON                          \
        {                                      \
                "json", no_argument, NULL, 'j' \
        }
#define CLI_GO_ON (-1)
int cli_option(struct cli *c, int o);
/* "mailacct: CMD: what" and the usage line on stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A loader of the configuration (mailacct_file_load, mailacct_source_load). */
typedef int cli_loader(const char *path, struct mailacct_dir **out, struct mailacct_diags *diags,
                       struct mailacct_file_info *info);
/* Loads with load, printing the findings on stderr as check does (all of
 * them with print_warnings, else only when the load fails); info may be
 * NULL. Returns NULL (after printing why) when it is unusable. */
struct mailacct_dir *cli_load_with(const struct cli *c, cli_loader *load, bool print_warnings,
                                   struct mailacct_file_info *info);
/* The configuration itself (the file source). */
struct mailacct_dir *cli_load(const struct cli *c, bool print_warnings, struct mailacct_file_info *info);
/* The same as a writer loads it (compile, passwd): with an `ldap` group,
 * the file and the store of the last sync (source/ldap/declare.h). */
struct mailacct_dir *cli_load_all(const struct cli *c, bool print_warnings, struct mailacct_file_info *info);
/* For answering lookups as the modules do (mailacct_source_open(): the
 * index or the file, by the policy); st must be freed. */
struct mailacct_dir *cli_open(const struct cli *c, struct mailacct_source_status *st);
void cli_print_diags(FILE *f, const struct mailacct_diags *d, const char *file);

int cmd_resolve(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_passwd(struct cli *c, int argc, char **argv);
int cmd_test(struct cli *c, int argc, char **argv);
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
int cmd_compile(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_show(struct cli *c, int argc, char **argv);
int cmd_sync(struct cli *c, int argc, char **argv);
/* One sync (cli/sync.c): incremental when it can be, else a full pull. */
int cli_sync_once(struct cli *c, bool dry_run, bool force, bool full_asked);
/* `sync --watch` (cli/watch.c): a sync, then one more each time the
 * directory says something changed, until killed. */
int cli_sync_watch(struct cli *c, bool force, bool full_first);
/* The RFC 4533 cookies a sync left in the store, one per search (2 a base:
 * mailboxes, contacts; NULL where none): 0, or -ENOENT when the store
 * holds none for n searches. Free with cli_sync_cookies_free(). */
struct mailacct_ldap_store;
int cli_sync_cookies(const struct mailacct_ldap_store *s, size_t n, char **cookies, size_t *lens);
void cli_sync_cookies_free(size_t n, char **cookies);
/* The highestCommittedUSN and the DC's invocationId (hex) the last sync
 * recorded (AD's uSNChanged run): 0, or -ENOENT when the store holds no
 * USN (or none that is a number); invocation (NULL: not asked) "" when
 * none. */
int cli_sync_usn(const struct mailacct_ldap_store *s, unsigned long long *usn, char invocation[33]);
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

/* json.c: one JSON document written as it goes, members in the order given.
 * Strings are escaped; bytes that are not UTF-8 become U+FFFD. key is NULL
 * for an array's element and for the document itself. */
#define CLI_JSON_DEPTH 16
struct cli_json {
        FILE *f;
        int depth;
        bool more[CLI_JSON_DEPTH]; /* a member was written at this depth: a comma first */
        char close[CLI_JSON_DEPTH];
};
void cli_json_start(struct cli_json *j, FILE *f);
void cli_json_object(struct cli_json *j, const char *key);
void cli_json_array(struct cli_json *j, const char *key);
void cli_json_end(struct cli_json *j); /* the innermost object or array; a newline after the document */
void cli_json_str(struct cli_json *j, const char *key, const char *v); /* NULL: null */
void cli_json_int(struct cli_json *j, const char *key, long long v);
void cli_json_bool(struct cli_json *j, const char *key, bool v);

/* progress.c: what a long step is doing, on stderr, only when it is a
 * terminal (c->tty) and only once the step has taken a second: a line
 * rewritten in place ("mailacct: compile: reading FILE … 4 s"), erased when
 * the step ends. Nothing when stderr is not a terminal. */
void cli_progress_start(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_stop(void);

/* caches.c: the name-service caches running (a bit set), and what to tell
 * the administrator about them after a change. */
unsigned cli_running_caches(void);
void cli_cache_hints(FILE *f, unsigned running);
void cli_cache_json(struct cli_json *j, unsigned running);

/* secretsfile.c: the secrets file for its writers. _lock opens and locks it
 * (creating it 0600 when missing: *created); _read_all reads a descriptor
 * whole; _write replaces it (atomically, owner and mode kept) with each
 * line's address set to its hash, at the old line's place or appended. */
struct cli_secret_line {
        const char *address, *hash;
};
int cli_secrets_lock(const char *path, int *fd, struct stat *st, bool *created);
int cli_read_all(int fd, char **out, size_t *len);
int cli_secrets_write(const char *path, const struct stat *st, const char *old, size_t oldlen,
                      const struct cli_secret_line *lines, size_t n, char *err, size_t errlen);

/* confedit.c: text positions in a configuration (offsets into buf), for
 * writers that keep everything else byte for byte. find_setting: the value
 * of the setting `name` at the top level of [from, to) (from its first byte
 * to just past its last); list_shape: of a list or array value [open, close
 * + 1): empty, ending in a comma; find_group: in such a list, the group
 * whose `key` string equals value (case folded): its "{" and "}". Each 0,
 * -ENOENT or -EINVAL. */
int cli_conf_find_setting(const char *buf, size_t len, size_t from, size_t to, const char *name, size_t *vstart,
                          size_t *vend);
int cli_conf_list_shape(const char *buf, size_t open, size_t close, bool *empty, bool *trailing_comma);
int cli_conf_find_group(const char *buf, size_t open, size_t close, const char *key, const char *value, size_t *gopen,
                        size_t *gclose);
/* A growing text; oom stays set once an addition failed. */
struct cli_text {
        char *p;
        size_t len, cap;
        bool oom;
};
int cli_text_add(struct cli_text *t, const char *s, size_t n);
int cli_text_str(struct cli_text *t, const char *s);
/* s as a libconfig string, quotes and escapes. */
void cli_conf_quote(struct cli_text *t, const char *s);
