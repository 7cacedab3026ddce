/* SPDX-License-Identifier: MIT */
#include "password.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int mailacct_password_verify(const char *hash, const char *password)
{
        struct crypt_data *cd = malloc(sizeof(*cd));
        const char *h;
        unsigned char diff = 0;
        size_t n;
        int r;

        if (!cd)
                return -ENOMEM;
        if (!hash || !*hash || !password) {
                free(cd);
                return -EINVAL;
        }
        r = run_crypt(password, hash, cd, &h);
        if (r == 0) {
                n = strlen(hash);
                if (strlen(h) != n)
                        diff = 1;
                else
                        for (size_t i = 0; i < n; i++)
                                diff |= (unsigned char)(h[i] ^ hash[i]);
                r = diff ? -EACCES : 0;
        }
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        return r;
}

void mailacct_password_burn(const char *setting, const char *password)
{
        struct crypt_data *cd = malloc(sizeof(*cd));
        const char *h;

        if (!cd)
                return;
        if (run_crypt(password ? password : "", setting ? setting : MAILACCT_DUMMY_HASH, cd, &h) < 0)
                (void)run_crypt(password ? password : "", MAILACCT_DUMMY_HASH, cd, &h);
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
