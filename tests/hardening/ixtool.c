/* SPDX-License-Identifier: MIT */
/* What the damage suites need to know about, or do to, a compiled index.
 * It reads the layout from lib/ixformat.h and seals what it changes with
 * mailacct_ix_seal() (nothing here is a reader or a writer of its own).
 *
 *   ixtool info FILE            "SECTION OFFSET LENGTH" per line: header, pool,
 *                               domains, mailboxes, contacts, entries, slots,
 *                               and the strings only the header points to
 *   ixtool poison-slots FILE    every table slot overwritten with 0xff, the
 *                               header left valid: the index opens, and every
 *                               lookup in it fails its check
 *   ixtool forge FILE CONF      the index claims to be CONF's, built from CONF
 *                               as it is now (its first stamp and the
 *                               configuration's path), every checksum made
 *                               good again: what someone who can write the
 *                               index could do */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ixformat.h"
#include "stamp.h"

static int read_all(const char *path, uint8_t **out, size_t *len)
{
        struct stat st;
        FILE *f = fopen(path, "re");

        if (!f || fstat(fileno(f), &st) < 0 || (size_t)st.st_size < sizeof(struct ix_header)) {
                fprintf(stderr, "ixtool: %s: not an index\n", path);
                if (f)
                        fclose(f);
                return -1;
        }
        *len = (size_t)st.st_size;
        *out = malloc(*len);
        if (!*out || fread(*out, 1, *len, f) != *len) {
                fclose(f);
                return -1;
        }
        fclose(f);
        return 0;
}

/* Replaced by rename, as mailacct compile does; mode kept. */
static int write_back(const char *path, const uint8_t *b, size_t len)
{
        char tmp[4096];
        struct stat st;
        FILE *f;

        if (stat(path, &st) < 0 || snprintf(tmp, sizeof(tmp), "%s.ixtool", path) >= (int)sizeof(tmp))
                return -1;
        f = fopen(tmp, "we");
        if (!f || fwrite(b, 1, len, f) != len || fclose(f) != 0 || chmod(tmp, st.st_mode & 07777) < 0 ||
            rename(tmp, path) < 0) {
                perror(tmp);
                return -1;
        }
        return 0;
}

static int run(int argc, char **argv, uint8_t **b, size_t *len);

/* Appends s to the pool: everything after the pool moves on by the string's
 * (8-aligned) length. Returns its pool offset, 0 on failure. */
static uint32_t pool_append(uint8_t **b, size_t *len, const char *s)
{
        struct ix_header h;
        size_t n = strlen(s) + 1, grow = (n + 7) & ~(size_t)7, end;
        uint8_t *nb;
        uint32_t at;

        memcpy(&h, *b, sizeof(h));
        end = h.pool_off + h.pool_size;
        if (end > *len || !(nb = realloc(*b, *len + grow)))
                return 0;
        memmove(nb + end + grow, nb + end, *len - end);
        memset(nb + end, 0, grow);
        memcpy(nb + end, s, n);
        at = (uint32_t)h.pool_size;
        h.pool_size += grow;
        h.domains_off += grow;
        h.contacts_off += grow;
        h.entries_off += grow;
        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                h.tables[t].slots_off += grow;
        *len += grow;
        h.file_size = *len;
        memcpy(nb, &h, sizeof(h));
        *b = nb;
        return at;
}

int main(int argc, char **argv)
{
        uint8_t *b = NULL;
        size_t len = 0;
        int r;

        if (argc < 3 || read_all(argv[2], &b, &len) < 0) {
                fprintf(stderr, "usage: ixtool info|poison-slots FILE | ixtool forge FILE CONF\n");
                free(b);
                return 2;
        }
        r = run(argc, argv, &b, &len);
        free(b);
        return r;
}

static int run(int argc, char **argv, uint8_t **bp, size_t *lenp)
{
        struct ix_header h;
        uint64_t slots = UINT64_MAX;
        uint8_t *b = *bp;
        size_t len = *lenp;

        memcpy(&h, b, sizeof(h));
        for (int t = 0; t < _MAILACCT_T_MAX; t++)
                if (h.tables[t].slots_off < slots)
                        slots = h.tables[t].slots_off;
        if (strcmp(argv[1], "info") == 0 && argc == 3) {
                printf("header 0 %zu\n", sizeof(h));
                printf("pool %llu %llu\n", (unsigned long long)h.pool_off, (unsigned long long)h.pool_size);
                printf("domains %llu %zu\n", (unsigned long long)h.domains_off,
                       (size_t)h.n_domains * sizeof(struct ix_domain));
                printf("mailboxes %llu %zu\n", (unsigned long long)h.mailboxes_off,
                       (size_t)h.n_mailboxes * h.mailbox_stride);
                printf("contacts %llu %zu\n", (unsigned long long)h.contacts_off,
                       (size_t)h.n_contacts * sizeof(struct ix_contact));
                printf("entries %llu %llu\n", (unsigned long long)h.entries_off,
                       (unsigned long long)h.entries_size);
                printf("slots %llu %llu\n", (unsigned long long)slots, (unsigned long long)(len - slots));
                /* the strings only the header points to */
                {
                        const struct { const char *name; uint32_t off; } strs[] = {
                                { "default-home", h.def_home }, { "default-shell", h.def_shell },
                                { "secrets-path", h.secrets }, { "dummy-hash", h.any_hash } };
                        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
                                uint64_t at = h.pool_off + strs[i].off;
                                if (strs[i].off && at < len && memchr(b + at, '\0', len - at))
                                        printf("%s %llu %zu\n", strs[i].name, (unsigned long long)at,
                                               strlen((const char *)b + at));
                        }
                }
                return 0;
        }
        if (strcmp(argv[1], "poison-slots") == 0 && argc == 3) {
                for (int t = 0; t < _MAILACCT_T_MAX; t++) {
                        const struct ix_table *tb = &h.tables[t];
                        if (tb->slots_off + (uint64_t)tb->cap * sizeof(struct ix_slot) <= len)
                                memset(b + tb->slots_off, 0xff, (size_t)tb->cap * sizeof(struct ix_slot));
                }
                return write_back(argv[2], b, len) < 0;
        }
        if (strcmp(argv[1], "forge") == 0 && argc == 4) {
                struct mailacct_stamp now;
                struct ix_stamp first;
                uint32_t path;
                struct stat st;
                if (stat(argv[3], &st) < 0) {
                        perror(argv[3]);
                        return 2;
                }
                if (h.n_stamps == 0 || (path = pool_append(bp, lenp, argv[3])) == 0) {
                        fprintf(stderr, "ixtool: %s: no stamp to forge\n", argv[2]);
                        return 2;
                }
                b = *bp;
                len = *lenp;
                memcpy(&h, b, sizeof(h));
                mailacct_stamp_of(argv[3], &st, &now);
                memcpy(&first, b + h.pool_off + h.stamps_off, sizeof(first));
                first.path = path;
                first.dev = now.dev;
                first.ino = now.ino;
                first.size = now.size;
                first.mtime_ns = now.mtime_ns;
                first.ctime_ns = now.ctime_ns;
                memcpy(b + h.pool_off + h.stamps_off, &first, sizeof(first));
                h.conf_path = path;
                memcpy(b, &h, sizeof(h));
                if (mailacct_ix_seal(b, len) < 0) {
                        fprintf(stderr, "ixtool: %s: cannot seal\n", argv[2]);
                        return 2;
                }
                return write_back(argv[2], b, len) < 0;
        }
        fprintf(stderr, "usage: ixtool info|poison-slots FILE | ixtool forge FILE CONF\n");
        return 2;
}
