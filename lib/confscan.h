/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* libconfig 1.5 allows this many nested @include levels (and so does the
 * parser of its syntax, source/file/cfparse.c). */
#define MAILACCT_INCLUDE_DEPTH 10
/* A configuration and the files it includes, at most. */
#define MAILACCT_CONF_FILES_MAX 64

struct mailacct_conf_file {
        char *path;
        struct stat st;
};

/* What a reader learns of a configuration with the lexer (conflex.h),
 * without libconfig: the files it is made of, each opened and checked like
 * the configuration (trust.h), and its top-level `index` setting. */
struct mailacct_conf_scan {
        char *index; /* absolute (relative ones are taken from the configuration's folder); NULL: not set */
        const char *index_file;
        int index_line;
        bool has_ldap; /* a top-level `ldap` setting: mailboxes come from a directory */
        struct mailacct_conf_file files[MAILACCT_CONF_FILES_MAX]; /* [0] is the configuration */
        size_t n_files;
        char bad[4096]; /* on failure: the file at fault (why names no file) */
        int bad_line;   /* and the line, when one is at fault */
};

enum {
        /* stop at the first top-level `index`: a reader learning where the
         * index is need not read further (libconfig refuses a second one) */
        MAILACCT_SCAN_INDEX_ONLY = 1u << 0,
};

/* The folder @include names are taken from (libconfig's include_dir; the
 * loader takes them from the same): the configuration's own. buf gets it. */
int mailacct_conf_include_dir(const char *conf_path, char *buf, size_t len);

/* Scans conf_path and, in place, every file it @includes. Returns 0; -EPERM
 * when a file is not trusted; -EINVAL for what the lexer refuses where it
 * matters (an unterminated string or comment, an @include too deep, a name
 * with a NUL byte); -errno. why gets a sentence; s->bad and s->bad_line the
 * file and line at fault (s is otherwise emptied on failure). */
int mailacct_conf_scan(const char *conf_path, unsigned flags, struct mailacct_conf_scan *s, char *why, size_t len);
/* The same, with the configuration already opened by the caller through
 * mailacct_trust_open() (fd and its st; fd stays the caller's). */
int mailacct_conf_scan_fd(const char *conf_path, int fd, const struct stat *st, unsigned flags,
                          struct mailacct_conf_scan *s, char *why, size_t len);
void mailacct_conf_scan_free(struct mailacct_conf_scan *s);
