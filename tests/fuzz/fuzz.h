/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer harnesses (not a harness itself). Each harness
 * feeds the real code the bytes it gets and checks what must hold whatever
 * they are: no crash or sanitizer report (ASan, UBSan), no answer that
 * breaks the resolver's contract, and the same answer from a parsed
 * configuration and from its compiled index. A broken invariant aborts, so
 * libFuzzer keeps the input as a crash. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "diag.h"
#include "directory.h"
#include "index.h"
#include "login.h"
#include "resolve.h"

#ifndef FUZZ_DATA_DIR
#define FUZZ_DATA_DIR "tests/data"
#endif

#define FZ_ASSERT(cond, ...)                                                                  \
        do {                                                                                  \
                if (!(cond)) {                                                                \
                        fprintf(stderr, "fuzz: invariant broken at %s:%d: %s\n  ", __FILE__, \
                                __LINE__, #cond);                                             \
                        fprintf(stderr, __VA_ARGS__);                                         \
                        fputc('\n', stderr);                                                  \
                        abort();                                                              \
                }                                                                             \
        } while (0)

/* A private folder on tmpfs when there is one: the loader and the index
 * writer need real files, and a disk would make every run an fsync. */
static char fz_dir[256];

static void fz_cleanup(void)
{
        char p[600];
        struct dirent *e;
        DIR *dp;

        if (!fz_dir[0])
                return;
        /* flat: the harnesses write files only, never folders */
        dp = opendir(fz_dir);
        while (dp && (e = readdir(dp)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                        snprintf(p, sizeof(p), "%s/%s", fz_dir, e->d_name);
                        unlink(p);
                }
        if (dp)
                closedir(dp);
        rmdir(fz_dir);
}

__attribute__((unused)) static const char *fz_tmpdir(void)
{
        if (!fz_dir[0]) {
                struct stat st;
                /* FUZZ_TMPDIR: a folder the caller removes, even after a crash */
                const char *base = getenv("FUZZ_TMPDIR");
                if (!base || !*base)
                        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
                snprintf(fz_dir, sizeof(fz_dir), "%s/mailacct-fuzz-XXXXXX", base);
                if (!mkdtemp(fz_dir)) {
                        perror("mkdtemp");
                        abort();
                }
                atexit(fz_cleanup);
        }
        return fz_dir;
}

/* name inside the private folder, in a static buffer per slot */
__attribute__((unused)) static const char *fz_path(int slot, const char *name)
{
        static char paths[4][512];

        snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", fz_tmpdir(), name);
        return paths[slot];
}

__attribute__((unused)) static void fz_write(const char *path, const void *data, size_t len, mode_t mode)
{
        int fd;

        unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
                perror(path);
                abort();
        }
        close(fd);
        chmod(path, mode); /* whatever the umask says */
}

__attribute__((unused)) static struct mailacct_dir *fz_load(const char *path)
{
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;

        mailacct_diags_init(&diags);
        if (mailacct_file_load(path, &d, &diags, NULL) < 0)
                d = NULL;
        mailacct_diags_clear(&diags);
        return d;
}

/* The directory as the modules see it when the index is current. */
__attribute__((unused)) static struct mailacct_dir *fz_from_index(const char *path)
{
        char why_unused[512];
        struct mailacct_dir *d;

        if (mailacct_dir_open_index(path, &d, why_unused, sizeof(why_unused)) < 0)
                return NULL;
        return d;
}

/* Compiles d (loaded from conf) to path; aborts on a failure that only a bug
 * can cause for a directory that loaded. Returns 0, or -E2BIG for a value
 * longer than the index holds. */
__attribute__((unused)) static int fz_compile(const struct mailacct_dir *d, const char *conf, const char *path)
{
        struct mailacct_index_meta meta = {.conf_path = conf, .n_stamps = 1};
        struct mailacct_stamp stamp;
        struct stat st;
        char err[512];
        int r;

        memset(&st, 0, sizeof(st));
        if (stat(conf, &st) < 0)
                abort();
        mailacct_stamp_of(conf, &st, &stamp);
        meta.stamps = &stamp;
        r = mailacct_index_write(d, &meta, path, 0644, err, sizeof(err));
        /* refused only for a value readers would refuse (over 4095 bytes) */
        FZ_ASSERT(r == 0 || (r == -E2BIG && st.st_size > 4095), "mailacct_index_write of a loaded directory failed: %s",
                  err);
        return r;
}

__attribute__((unused)) static bool fz_same(const struct mailacct_result *a, const struct mailacct_result *b)
{
        return a->reason == b->reason && a->form == b->form && strcmp(a->rule, b->rule) == 0 &&
               a->mailbox == b->mailbox && a->principal == b->principal && a->domain == b->domain &&
               a->n_candidates == b->n_candidates &&
               memcmp(a->candidates, b->candidates, a->n_candidates * sizeof(uint32_t)) == 0 &&
               strcmp(a->canonical, b->canonical) == 0 && strcmp(a->why, b->why) == 0 &&
               strcmp(a->message, b->message) == 0;
}

/* Everything a module asks about one mailbox; the answers are only used so
 * that the compiler keeps the calls. Returns 0 or -EBADMSG (a damaged
 * index, which callers of an undamaged one treat as a bug). */
__attribute__((unused)) static int fz_mailbox(const struct mailacct_dir *d, uint32_t m, char *sum, size_t sumlen)
{
        struct mailacct_mbox_view v;
        char home[1024] = "", canon[MAILACCT_LOGIN_MAX + 1] = "";
        const char *shell;
        uid_t uid = 0;
        gid_t gid = 0;
        int r = 0, k;

        if (mailacct_dir_mailbox(d, m, &v) < 0)
                return -EBADMSG;
        k = mailacct_dir_canonical(d, m, canon, sizeof(canon));
        if (k < 0)
                canon[0] = '\0';
        if (k == -EBADMSG)
                r = k;
        k = mailacct_dir_home(d, m, home, sizeof(home));
        if (k < 0)
                home[0] = '\0';
        if (k == -EBADMSG)
                r = k;
        shell = mailacct_dir_shell(d, m);
        if (!shell)
                r = -EBADMSG;
        if (mailacct_dir_ids(d, m, &uid, &gid) == -EBADMSG)
                r = -EBADMSG;
        snprintf(sum, sumlen, "%s|%s|%s|%s|%u|%u|%d%d%d|%s", v.address, canon, home, shell ? shell : "",
                 (unsigned)uid, (unsigned)gid, mailacct_dir_enabled(d, m), mailacct_dir_allows_service(d, m, "imap"),
                 mailacct_dir_is_delegate(d, m, 0), v.name ? "name" : "-");
        (void)mailacct_dir_find_uid(d, uid);
        /* the lists and names the listings read (a damaged index must say
         * so there too, never read out of bounds) */
        for (int li = MAILACCT_LIST_ALIASES; li <= MAILACCT_LIST_SERVICES; li++)
                for (uint32_t i = 0; i < 300; i++) {
                        const char *str;
                        int line, x = mailacct_dir_list(d, m, (enum mailacct_list)li, i, &str, &line);
                        if (x == -ENOENT)
                                break;
                        if (x < 0) {
                                r = x;
                                break;
                        }
                        size_t o = strlen(sum);
                        snprintf(sum + o, sumlen - o, "|%s", str);
                }
        for (uint32_t i = 0; i < v.n_delegates && i < 300; i++) {
                uint32_t p;
                if (mailacct_dir_delegate(d, m, i, &p) < 0)
                        r = -EBADMSG;
        }
        {
                const char *dn, *upn;
                if (mailacct_dir_names(d, m, &dn, &upn) < 0)
                        r = -EBADMSG;
        }
        return r;
}

/* Every entry of d through the accessors, as enumeration does. */
__attribute__((unused)) static void fz_walk(const struct mailacct_dir *d, size_t cap)
{
        char sum[2048];

        const struct mailacct_settings *s = mailacct_dir_settings(d);

        for (uint32_t i = 0; i < s->n_mailboxes && i < cap; i++)
                (void)fz_mailbox(d, i, sum, sizeof(sum));
        for (uint32_t i = 0; i < s->n_domains && i < cap; i++) {
                struct mailacct_domain_view v;
                (void)mailacct_dir_domain(d, i, &v);
        }
        for (uint32_t i = 0; i < s->n_contacts && i < cap; i++) {
                struct mailacct_contact_view v;
                (void)mailacct_dir_contact(d, i, &v);
        }
}

/* What holds for any answer of the resolver, whatever the directory. */
__attribute__((unused)) static void fz_check_result(const struct mailacct_dir *d, const char *login, int ret,
                                                    const struct mailacct_result *r)
{
        struct mailacct_login l;

        FZ_ASSERT((ret == 0) == (r->reason == MAILACCT_OK), "\"%s\": returned %d with reason %s", login, ret,
                  mailacct_reason_name(r->reason));
        FZ_ASSERT((unsigned)r->reason < _MAILACCT_REASON_MAX, "\"%s\": reason %d", login, r->reason);
        FZ_ASSERT(r->n_candidates <= MAILACCT_MAX_CANDIDATES, "\"%s\": %zu candidates", login, r->n_candidates);
        FZ_ASSERT(memchr(r->canonical, '\0', sizeof(r->canonical)) && memchr(r->why, '\0', sizeof(r->why)) &&
                          memchr(r->message, '\0', sizeof(r->message)),
                  "\"%s\": an unterminated string in the result", login);
        /* rule 6: what the parser refuses is refused before any lookup */
        if (mailacct_login_parse(login, &l, NULL) < 0)
                FZ_ASSERT(r->reason == MAILACCT_INVALID_LOGIN, "\"%s\": the parser refuses it, the resolver says %s",
                          login, mailacct_reason_name(r->reason));
        else
                FZ_ASSERT(r->reason != MAILACCT_INVALID_LOGIN, "\"%s\": the parser takes it, the resolver refuses it",
                          login);
        if (r->reason == MAILACCT_OK) {
                char canon[MAILACCT_LOGIN_MAX + 1];
                size_t nm = mailacct_dir_settings(d)->n_mailboxes;
                FZ_ASSERT(r->mailbox < nm && r->principal < nm, "\"%s\": mailbox %u principal %u of %zu", login,
                          r->mailbox, r->principal, nm);
                FZ_ASSERT(r->canonical[0], "\"%s\": success without a canonical name", login);
                FZ_ASSERT(mailacct_dir_canonical(d, r->mailbox, canon, sizeof(canon)) == 0 &&
                                  strcmp(canon, r->canonical) == 0,
                          "\"%s\": canonical \"%s\" is not the mailbox's", login, r->canonical);
                FZ_ASSERT(mailacct_dir_is_delegate(d, r->mailbox, r->principal) == 1,
                          "\"%s\": %u opens %u without being a delegate", login, r->principal, r->mailbox);
        } else {
                FZ_ASSERT(r->mailbox == MAILACCT_NONE && r->canonical[0] == '\0',
                          "\"%s\": failure %s names mailbox %u \"%s\"", login, mailacct_reason_name(r->reason),
                          r->mailbox, r->canonical);
        }
}
