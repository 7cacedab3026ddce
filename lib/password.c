/* SPDX-License-Identifier: MIT */
#include "password.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int run_crypt(const char *password, const char *setting, struct crypt_data *cd, const char **out)
{
        const char *h;

        memset(cd, 0, sizeof(*cd));
        h = crypt_r(password, setting, cd);
        /* libxcrypt signals failure with a string starting with '*' */
        if (!h || h[0] == '*')
                return -EINVAL;
        *out = h;
        return 0;
}

/* A password crypt(3) refuses for its length is verified by its first
 * MAILACCT_PASSWORD_MAX bytes instead: the same work as any password, and
 * never a match (the caller says so). *cut tells whether it was cut. */
static const char *within_limit(const char *password, char *buf, bool *cut)
{
        size_t n = strnlen(password, MAILACCT_PASSWORD_MAX + 1);

        *cut = n > MAILACCT_PASSWORD_MAX;
        if (!*cut)
                return password;
        memcpy(buf, password, MAILACCT_PASSWORD_MAX);
        buf[MAILACCT_PASSWORD_MAX] = '\0';
        return buf;
}

int mailacct_password_verify(const char *hash, const char *password)
{
        struct crypt_data *cd;
        char cutbuf[MAILACCT_PASSWORD_MAX + 1];
        const char *h, *pw;
        unsigned char diff = 0;
        bool cut;
        size_t n;
        int r;

        if (!hash || !*hash || !password)
                return -EINVAL;
        cd = malloc(sizeof(*cd));
        if (!cd)
                return -ENOMEM;
        pw = within_limit(password, cutbuf, &cut);
        r = run_crypt(pw, hash, cd, &h);
        if (r == 0) {
                n = strlen(hash);
                if (strlen(h) != n)
                        diff = 1;
                else
                        for (size_t i = 0; i < n; i++)
                                diff |= (unsigned char)(h[i] ^ hash[i]);
                r = diff || cut ? -EACCES : 0;
        }
        explicit_bzero(cutbuf, sizeof(cutbuf));
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        return r;
}

void mailacct_password_burn(const char *setting, const char *password)
{
        struct crypt_data *cd = malloc(sizeof(*cd));
        char cutbuf[MAILACCT_PASSWORD_MAX + 1];
        const char *h, *pw;
        bool cut;

        if (!cd)
                return;
        pw = within_limit(password ? password : "", cutbuf, &cut);
        if (run_crypt(pw, setting ? setting : MAILACCT_DUMMY_HASH, cd, &h) < 0)
                (void)run_crypt(pw, MAILACCT_DUMMY_HASH, cd, &h);
        explicit_bzero(cutbuf, sizeof(cutbuf));
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
}

int mailacct_password_hash(const char *password, const char *prefix, char *out, size_t len)
{
        struct crypt_data *cd = malloc(sizeof(*cd));
        char setting[CRYPT_GENSALT_OUTPUT_SIZE];
        const char *h;
        int r;

        if (!cd)
                return -ENOMEM;
        if (strnlen(password, MAILACCT_PASSWORD_MAX + 1) > MAILACCT_PASSWORD_MAX) {
                free(cd);
                return -E2BIG;
        }
        if (!crypt_gensalt_rn(prefix ? prefix : "$y$", 0, NULL, 0, setting, sizeof(setting))) {
                free(cd);
                return -EINVAL;
        }
        r = run_crypt(password, setting, cd, &h);
        if (r == 0) {
                if (strlen(h) >= len)
                        r = -ERANGE;
                else
                        memcpy(out, h, strlen(h) + 1);
        }
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        return r;
}

void mailacct_password_setting(const char *hash, char *buf, size_t len)
{
        size_t end = 0, dollars = 0, want = 2;

        if (!hash || hash[0] != '$') {
                /* DES and the like: the first two characters are the salt */
                snprintf(buf, len, "%s", hash && *hash ? "des" : "");
                return;
        }
        /* yescrypt, gost-yescrypt, bcrypt and scrypt carry their cost in the
         * second field; sha256/sha512-crypt only when it says rounds= */
        if (strncmp(hash, "$y$", 3) == 0 || strncmp(hash, "$gy$", 4) == 0 || strncmp(hash, "$2", 2) == 0 ||
            strncmp(hash, "$7$", 3) == 0)
                want = 3;
        else if ((strncmp(hash, "$5$", 3) == 0 || strncmp(hash, "$6$", 3) == 0) && strncmp(hash + 3, "rounds=", 7) == 0)
                want = 3;
        for (; hash[end]; end++)
                if (hash[end] == '$' && ++dollars == want)
                        break;
        snprintf(buf, len, "%.*s", (int)(hash[end] ? end + 1 : end), hash);
}

bool mailacct_password_usable(const char *hash)
{
        return hash && *hash && crypt_checksalt(hash) == CRYPT_SALT_OK;
}

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
static uint64_t mailacct_fuzz_cost(const char *setting)
{
        uint64_t h = 1469598103934665603ULL;

        for (; *setting; setting++)
                h = (h ^ (unsigned char)*setting) * 1099511628211ULL;
        return h;
}
#endif

__attribute__((unused)) static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *mailacct_password_slowest(size_t n, const char *(*get)(size_t i, void *ctx), void *ctx, size_t *distinct)
{
        char seen[MAILACCT_SETTINGS_TIMED][64];
        const char *best = NULL;
        uint64_t best_ns = 0;
        size_t n_seen = 0;
        struct crypt_data *cd = malloc(sizeof(*cd));

        if (distinct)
                *distinct = 0;
        if (!cd)
                return NULL;
        for (size_t i = 0; i < n && n_seen < MAILACCT_SETTINGS_TIMED; i++) {
                const char *hash = get(i, ctx), *out;
                char setting[64];
                bool known = false;
                uint64_t t0, ns;

                if (!mailacct_password_usable(hash))
                        continue;
                mailacct_password_setting(hash, setting, sizeof(setting));
                for (size_t k = 0; k < n_seen && !known; k++)
                        known = strcmp(seen[k], setting) == 0;
                if (known)
                        continue;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
                /* a fuzzer's mutated cost would run crypt(3) for minutes, and
                 * time is no oracle: a fixed stand-in keeps the choice
                 * deterministic (the same from a file, an index, a copy) */
                (void)out;
                (void)t0;
                ns = mailacct_fuzz_cost(setting);
#else
                t0 = now_ns();
                /* one verification, as a login makes: its time is the cost */
                if (run_crypt("mailacct-calibration", hash, cd, &out) < 0)
                        continue;
                ns = now_ns() - t0;
#endif
                memcpy(seen[n_seen++], setting, sizeof(setting));
                if (!best || ns > best_ns) {
                        best = hash;
                        best_ns = ns;
                }
        }
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        if (distinct)
                *distinct = n_seen;
        return best;
}

static const char *pair_hash(size_t i, void *ctx)
{
        return ((const char *const *)ctx)[i];
}

/* The last pair of settings timed, and which of them won. */
static struct {
        pthread_mutex_t lock;
        char a[64], b[64];
        int winner; /* 0: a, 1: b, -1: none yet */
} pair = {.lock = PTHREAD_MUTEX_INITIALIZER, .winner = -1};

const char *mailacct_password_slower(const char *a, const char *b)
{
        const char *both[2] = {a, b}, *best;
        char sa[64], sb[64];
        int winner = -1;

        if (!mailacct_password_usable(a))
                return mailacct_password_usable(b) ? b : a;
        if (!mailacct_password_usable(b))
                return a;
        mailacct_password_setting(a, sa, sizeof(sa));
        mailacct_password_setting(b, sb, sizeof(sb));
        if (strcmp(sa, sb) == 0)
                return a;
        pthread_mutex_lock(&pair.lock);
        if (pair.winner >= 0 && strcmp(pair.a, sa) == 0 && strcmp(pair.b, sb) == 0)
                winner = pair.winner;
        pthread_mutex_unlock(&pair.lock);
        if (winner >= 0)
                return both[winner];
        best = mailacct_password_slowest(2, pair_hash, (void *)both, NULL);
        winner = best == b ? 1 : 0;
        pthread_mutex_lock(&pair.lock);
        memcpy(pair.a, sa, sizeof(sa));
        memcpy(pair.b, sb, sizeof(sb));
        pair.winner = winner;
        pthread_mutex_unlock(&pair.lock);
        return both[winner];
}
