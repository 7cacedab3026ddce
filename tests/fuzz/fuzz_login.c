/* SPDX-License-Identifier: MIT */
/* Any bytes as a login: the parser, then the resolver against fixed
 * directories (tests/data), each once as the parsed configuration and once
 * as its compiled index. Both must give the same answer, and every answer
 * must keep the resolver's contract (fuzz.h: fz_check_result). */
#include "fuzz.h"

static const char *const confs[] = { "seeds.conf", "unique.conf", "netbios.conf", "clean.conf", "warnings.conf" };

static struct {
        struct mailacct_dir *conf, *index;
} dirs[sizeof(confs) / sizeof(confs[0])];
static size_t n_dirs;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
                char conf[512], name[64];
                snprintf(conf, sizeof(conf), "%s/%s", FUZZ_DATA_DIR, confs[i]);
                dirs[n_dirs].conf = fz_load(conf);
                if (!dirs[n_dirs].conf) {
                        fprintf(stderr, "fuzz_login: %s does not load\n", conf);
                        abort();
                }
                snprintf(name, sizeof(name), "login-%zu.idx", i);
                fz_compile(dirs[n_dirs].conf, conf, fz_path(0, name));
                dirs[n_dirs].index = fz_from_index(fz_path(0, name));
                if (!dirs[n_dirs].index) {
                        fprintf(stderr, "fuzz_login: the index of %s does not open\n", conf);
                        abort();
                }
                n_dirs++;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mailacct_result a, b;
        struct mailacct_login l;
        const char *why = NULL;
        char *login;

        /* a C string, as PAM and NSS hand it over: it ends at the first NUL */
        login = malloc(size + 1);
        if (!login)
                return 0;
        memcpy(login, data, size);
        login[size] = '\0';

        if (mailacct_login_parse(login, &l, &why) == 0) {
                FZ_ASSERT(l.form != MAILACCT_FORM_NONE && l.account && *l.account, "\"%s\": parsed without an account",
                          login);
                FZ_ASSERT(strlen(login) <= MAILACCT_LOGIN_MAX, "\"%s\": %zu bytes accepted", login, strlen(login));
                FZ_ASSERT((l.form == MAILACCT_FORM_BARE) == (l.domain == NULL), "\"%s\": form and domain disagree",
                          login);
                FZ_ASSERT((l.form == MAILACCT_FORM_DELEGATE) == (l.mbox_local != NULL),
                          "\"%s\": form and mailbox part disagree", login);
                for (const char *p = login; *p; p++)
                        FZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f, "\"%s\": a control character accepted",
                                  login);
        } else
                FZ_ASSERT(why && *why, "refused without a reason");

        for (size_t i = 0; i < n_dirs; i++) {
                int ra = mailacct_resolve(dirs[i].conf, login, &a);
                int rb = mailacct_resolve(dirs[i].index, login, &b);
                fz_check_result(dirs[i].conf, login, ra, &a);
                fz_check_result(dirs[i].index, login, rb, &b);
                FZ_ASSERT(ra == rb && fz_same(&a, &b),
                          "%s: \"%s\": configuration says %s \"%s\" (%s), index says %s \"%s\" (%s)", confs[i], login,
                          mailacct_reason_name(a.reason), a.canonical, a.message, mailacct_reason_name(b.reason),
                          b.canonical, b.message);
                FZ_ASSERT(b.reason != MAILACCT_UNAVAILABLE, "%s: \"%s\": an undamaged index is unavailable",
                          confs[i], login);
        }
        free(login);
        return 0;
}
