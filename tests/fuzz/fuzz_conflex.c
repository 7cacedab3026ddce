/* SPDX-License-Identifier: MIT */
/* Any bytes as a configuration, through the lexer that readers use to find
 * the `index` setting and the @included files (lib/conflex.c, lib/confscan.c)
 * and through libconfig itself: whenever libconfig reads the file, the lexer
 * must find the same top-level `index` (or none), and must have followed the
 * same @includes (the one thing it refuses that libconfig takes is a string
 * or comment cut off by the end of a file, which libconfig drops silently) (an input may @include the one other file, "inc.conf", that
 * the harness also writes). No crash, no read out of bounds whatever the
 * bytes: unterminated strings and comments, NUL bytes, @include anywhere. */
#include <libconfig.h>

#include "confscan.h"
#include "conflex.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the input splits at the first "\n--\n": the configuration, then inc.conf */
static void split(const uint8_t *data, size_t size, size_t *main_len, const uint8_t **inc, size_t *inc_len)
{
        const uint8_t *sep = memmem(data, size, "\n--\n", 4);

        *main_len = sep ? (size_t)(sep - data) + 1 : size;
        *inc = sep ? sep + 4 : NULL;
        *inc_len = sep ? size - (size_t)(sep + 4 - data) : 0;
}

static void lex_all(const uint8_t *data, size_t size)
{
        struct mailacct_lexer lx;
        struct mailacct_token t;
        size_t steps = 0;

        mailacct_lex_init(&lx, (const char *)data, size);
        while (mailacct_lex_next(&lx, &t) != MAILACCT_TOK_END) {
                FZ_ASSERT(t.text >= (const char *)data && t.text + t.len <= (const char *)data + size,
                          "token outside the buffer");
                FZ_ASSERT(++steps <= size + 1, "the lexer does not advance");
                if (t.kind == MAILACCT_TOK_STRING || t.kind == MAILACCT_TOK_INCLUDE) {
                        char out[64];
                        size_t used = 0;
                        (void)mailacct_lex_decode(&t, out, sizeof(out), &used);
                        FZ_ASSERT(used < sizeof(out), "decode overran its buffer");
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *conf = fz_path(0, "mailacct.conf"), *inc_path = fz_path(1, "inc.conf");
        struct mailacct_conf_scan scan, first;
        const uint8_t *inc;
        size_t main_len, inc_len;
        char why[512], dir[512];
        config_t cf;
        int r, r1;

        lex_all(data, size);
        split(data, size, &main_len, &inc, &inc_len);
        fz_write(conf, data, main_len, 0644);
        if (inc)
                fz_write(inc_path, inc, inc_len, 0644);
        else
                unlink(inc_path);

        r = mailacct_conf_scan(conf, 0, &scan, why, sizeof(why));
        r1 = mailacct_conf_scan(conf, MAILACCT_SCAN_INDEX_ONLY, &first, why, sizeof(why));
        /* stopping at the setting changes nothing about what it says */
        if (r == 0 && r1 == 0)
                FZ_ASSERT((scan.index == NULL) == (first.index == NULL) &&
                                  (!scan.index || strcmp(scan.index, first.index) == 0),
                          "index differs when the scan stops at it: %s / %s", scan.index ? scan.index : "-",
                          first.index ? first.index : "-");

        /* libconfig 1.5 calls exit() when an @include names something it
         * cannot read as a file (a folder: "@include \"\""): only what the
         * scan accepted (every included file a regular one) goes to it, or
         * a file that includes nothing */
        config_init(&cf);
        FZ_ASSERT(mailacct_conf_include_dir(conf, dir, sizeof(dir)) == 0, "no include dir");
        config_set_include_dir(&cf, dir);
        if ((r == 0 || !memmem(data, size, "@include", 8)) && config_read_file(&cf, conf) == CONFIG_TRUE) {
                const config_setting_t *ix = config_setting_get_member(config_root_setting(&cf), "index");
                const char *want = ix && config_setting_type(ix) == CONFIG_TYPE_STRING
                                           ? config_setting_get_string(ix)
                                           : NULL;
                char anchored[1024];

                /* what libconfig read, the lexer read, but for two refusals
                 * of its own: a string or comment that the file's end cuts
                 * off (libconfig drops it without a word), and a NUL byte in
                 * the index path or an @include name (libconfig cuts the
                 * string there); the loader refuses both */
                FZ_ASSERT(r == 0 || (r == -EINVAL && (strstr(why, "unterminated") || strstr(why, "NUL byte"))),
                          "libconfig read the file, the lexer refused it: %s", why);
                if (r != 0)
                        ;
                else if (want && *want) {
                        if (want[0] == '/')
                                snprintf(anchored, sizeof(anchored), "%s", want);
                        else
                                snprintf(anchored, sizeof(anchored), "%s/%s", dir, want);
                        FZ_ASSERT(scan.index && strcmp(scan.index, anchored) == 0,
                                  "libconfig's index is \"%s\", the lexer's \"%s\"", anchored,
                                  scan.index ? scan.index : "(none)");
                } else if (!want)
                        FZ_ASSERT(!scan.index || (ix && config_setting_type(ix) != CONFIG_TYPE_STRING),
                                  "the lexer found an index libconfig has not: %s", scan.index);
                if (r == 0)
                        FZ_ASSERT(scan.n_files >= 1 && strcmp(scan.files[0].path, conf) == 0,
                                  "the configuration is not the first file scanned");
        }
        config_destroy(&cf);
        if (r == 0)
                mailacct_conf_scan_free(&scan);
        if (r1 == 0)
                mailacct_conf_scan_free(&first);
        return 0;
}
