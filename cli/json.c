/* SPDX-License-Identifier: MIT */
/* The --json writer: small, streaming, no tree in memory (a list of a
 * million mailboxes is written as it is read). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_json_start(struct cli_json *j, FILE *f)
{
        *j = (struct cli_json){.f = f};
}

/* the length of the UTF-8 sequence at s (n bytes left), 0 when invalid */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t len;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        /* overlong forms, surrogates and past U+10FFFF are no UTF-8 */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

static void string(FILE *f, const char *v)
{
        const unsigned char *s = (const unsigned char *)v;
        size_t n = strlen(v);

        fputc('"', f);
        while (n > 0) {
                size_t len = utf8_len(s, n);
                if (len == 0) {
                        fputs("\\ufffd", f);
                        len = 1;
                } else if (*s == '"' || *s == '\\')
                        fprintf(f, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", f);
                else if (*s == '\t')
                        fputs("\\t", f);
                else if (*s < 0x20 || *s == 0x7f)
                        fprintf(f, "\\u%04x", *s);
                else
                        fwrite(s, 1, len, f);
                s += len;
                n -= len;
        }
        fputc('"', f);
}

/* The comma and the key before a value at the current depth. */
static void member(struct cli_json *j, const char *key)
{
        if (j->more[j->depth])
                fputc(',', j->f);
        j->more[j->depth] = true;
        if (key) {
                string(j->f, key);
                fputc(':', j->f);
        }
}

static void open_(struct cli_json *j, const char *key, char open, char close)
{
        member(j, key);
        fputc(open, j->f);
        /* deeper than any document of ours: a bug, kept from overrunning */
        if (j->depth + 1 >= CLI_JSON_DEPTH)
                abort();
        j->depth++;
        j->more[j->depth] = false;
        j->close[j->depth] = close;
}

void cli_json_object(struct cli_json *j, const char *key)
{
        open_(j, key, '{', '}');
}

void cli_json_array(struct cli_json *j, const char *key)
{
        open_(j, key, '[', ']');
}

void cli_json_end(struct cli_json *j)
{
        if (j->depth == 0)
                abort();
        fputc(j->close[j->depth], j->f);
        j->depth--;
        if (j->depth == 0)
                fputc('\n', j->f);
}

void cli_json_str(struct cli_json *j, const char *key, const char *v)
{
        member(j, key);
        if (v)
                string(j->f, v);
        else
                fputs("null", j->f);
}

void cli_json_int(struct cli_json *j, const char *key, long long v)
{
        member(j, key);
        fprintf(j->f, "%lld", v);
}

void cli_json_bool(struct cli_json *j, const char *key, bool v)
{
        member(j, key);
        fputs(v ? "true" : "false", j->f);
}
