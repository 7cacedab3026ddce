/* SPDX-License-Identifier: MIT */
/* The NSS module seen the way glibc sees it: dlopen(RTLD_NOW), then the five
 * entry points, nothing else. Expected entries are written out here, not
 * computed with the core, so that a core bug cannot agree with itself.
 * Run from the repository root with BUILD set (tests/run-suites does). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nss.h>

#include "nss_status.h"
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATA "tests/nss/data"

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getpwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*setpwent_fn)(int);
typedef enum nss_status (*getpwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*endpwent_fn)(void);

static struct {
        void *dl;
        getpwnam_fn getpwnam_r;
        getpwuid_fn getpwuid_r;
        setpwent_fn setpwent;
        getpwent_fn getpwent_r;
        endpwent_fn endpwent;
} m;

static char module_path[4096], tmpdir[] = "/tmp/nss-dlopen.XXXXXX";
static unsigned checks, failures;

__attribute__((format(printf, 2, 3))) static bool check(bool ok, const char *fmt, ...)
{
        va_list ap;

        checks++;
        if (ok)
                return true;
        failures++;
        printf("FAIL: ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        return false;
}

static void load_module(void)
{
        m.dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
        if (!m.dl) {
                printf("FAIL: dlopen %s: %s\n", module_path, dlerror());
                exit(1);
        }
        m.getpwnam_r = (getpwnam_fn)dlsym(m.dl, "_nss_mailacct_getpwnam_r");
        m.getpwuid_r = (getpwuid_fn)dlsym(m.dl, "_nss_mailacct_getpwuid_r");
        m.setpwent = (setpwent_fn)dlsym(m.dl, "_nss_mailacct_setpwent");
        m.getpwent_r = (getpwent_fn)dlsym(m.dl, "_nss_mailacct_getpwent_r");
        m.endpwent = (endpwent_fn)dlsym(m.dl, "_nss_mailacct_endpwent");
        if (!m.getpwnam_r || !m.getpwuid_r || !m.setpwent || !m.getpwent_r || !m.endpwent) {
                printf("FAIL: %s lacks an entry point\n", module_path);
                exit(1);
        }
}

static void use_config(const char *path)
{
        setenv("MAILACCT_CONF", path, 1);
}

/* ---- expected entries ---------------------------------------------------- */

struct entry {
        const char *name;
        uid_t uid;
        gid_t gid;
        const char *gecos, *dir, *shell;
};

static const struct entry JDOE = {"jdoe@example.com", 5001, 5000, "John Doe", "/var/mail/example.com/jdoe",
                                  "/usr/sbin/nologin"};
static const struct entry ASSISTANT = {
        "assistant@example.com", 5002, 5000, "Executive Assistant", "/var/mail/example.com/assistant",
        "/usr/sbin/nologin"};
static const struct entry MARY = {"mary.major@example.com", 5010, 5000, "Mary Major", "/srv/mail/mary", "/bin/false"};
static const struct entry USER1 = {"user@site1.org.com", 5003, 5000, "User at Site 1", "/var/mail/site1/user",
                                   "/usr/sbin/nologin"};
static const struct entry USER2 = {"user@site2.org.com", 5004, 5000, "User at Site 2", "/var/mail/site2/user",
                                   "/usr/sbin/nologin"};
static const struct entry WEIRD = {"we*ird@example.com", 5005, 5000, "Wildcard Test", "/var/mail/example.com/we*ird",
                                   "/usr/sbin/nologin"};
static const struct entry SALES = {"sales@example.com", 5000, 5000, "Sales Desk", "/var/mail/example.com/sales",
                                   "/usr/sbin/nologin"};
static const struct entry SUPPORT = {"support@example.com", 5000, 5000, "Support Desk", "/var/mail/example.com/support",
                                     "/usr/sbin/nologin"};
static const struct entry FORMER = {"former@example.com", 5008, 5000, "Former Employee", "/var/mail/example.com/former",
                                    "/usr/sbin/nologin"};
static const struct entry LONGNAME = {"longname@example.com",
                                      5011,
                                      5000,
                                      "A Display Name Long Enough To Need More Than One Small Buffer Of The Usual "
                                      "Sizes",
                                      "/var/mail/example.com/longname",
                                      "/usr/sbin/nologin"};

/* getpwent order is directory order; noids@noids.test has no entry */
static const struct entry *const ALL[] = {&JDOE,  &ASSISTANT, &MARY,    &USER1,  &USER2,
                                          &WEIRD, &SALES,     &SUPPORT, &FORMER, &LONGNAME};
#define N_ALL (sizeof(ALL) / sizeof(ALL[0]))

static size_t entry_size(const struct entry *e)
{
        return strlen(e->name) + 1 + 2 + strlen(e->gecos) + 1 + strlen(e->dir) + 1 + strlen(e->shell) + 1;
}

static bool inside(const char *p, const char *buf, size_t len)
{
        return p >= buf && p < buf + len;
}

static bool same_entry(const struct passwd *pw, const char *buf, size_t len, const struct entry *e, const char *what)
{
        return check(pw->pw_name && strcmp(pw->pw_name, e->name) == 0, "%s: pw_name \"%s\", want \"%s\"", what,
                     pw->pw_name ? pw->pw_name : "(null)", e->name) &&
               check(strcmp(pw->pw_passwd, "x") == 0, "%s: pw_passwd \"%s\"", what, pw->pw_passwd) &&
               check(pw->pw_uid == e->uid && pw->pw_gid == e->gid, "%s: uid/gid %u/%u, want %u/%u", what,
                     (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, (unsigned)e->uid, (unsigned)e->gid) &&
               check(strcmp(pw->pw_gecos, e->gecos) == 0, "%s: gecos \"%s\"", what, pw->pw_gecos) &&
               check(strcmp(pw->pw_dir, e->dir) == 0, "%s: home \"%s\", want \"%s\"", what, pw->pw_dir, e->dir) &&
               check(strcmp(pw->pw_shell, e->shell) == 0, "%s: shell \"%s\"", what, pw->pw_shell) &&
               check(inside(pw->pw_name, buf, len) && inside(pw->pw_passwd, buf, len) &&
                             inside(pw->pw_gecos, buf, len) && inside(pw->pw_dir, buf, len) &&
                             inside(pw->pw_shell, buf, len),
                     "%s: a string points outside the caller's buffer", what);
}

/* ---- lookups by name ----------------------------------------------------- */

static void expect_name(const char *login, const struct entry *e)
{
        char buf[1024];
        struct passwd pw;
        int err = 0;
        enum nss_status s;

        memset(&pw, 0, sizeof(pw));
        s = m.getpwnam_r(login, &pw, buf, sizeof(buf), &err);
        if (!e) {
                check(s == NSS_STATUS_NOTFOUND, "getpwnam_r(\"%s\") = %s, want NOTFOUND", login, tl_nss_status_name(s));
                return;
        }
        if (check(s == NSS_STATUS_SUCCESS, "getpwnam_r(\"%s\") = %s (errno %d), want %s", login, tl_nss_status_name(s), err,
                  e->name))
                same_entry(&pw, buf, sizeof(buf), e, login);
}

static void test_forms(void)
{
        static const struct {
                const char *login;
                const struct entry *e;
        } cases[] = {
                {"jdoe", &JDOE},                                 /* bare alias */
                {"john.doe", &JDOE},                             /* second alias */
                {"JDOE", &JDOE},                                 /* any case */
                {"EXAMPLE\\jdoe", &JDOE},                        /* NetBIOS\account */
                {"example\\JDoe", &JDOE},                        /* ... any case */
                {"EXAMPLE/jdoe", &JDOE},                         /* slash */
                {"example.com\\jdoe", &JDOE},                    /* DNS\account */
                {"example.org/jdoe", &JDOE},                     /* domain alias\account */
                {"jdoe@example.com", &JDOE},                     /* address */
                {"JDoe@Example.COM", &JDOE},                     /* ... any case */
                {"john@example.com", &JDOE},                     /* secondary address */
                {"jdoe@example.org", &JDOE},                     /* domain alias */
                {"john.doe@EXAMPLE.ORG", &JDOE},                 /* alias at a domain alias */
                {"EXAMPLE\\jdoe\\jdoe", &JDOE},                  /* delegate form, own mailbox */
                {"EXAMPLE\\assistant\\jdoe", &JDOE},             /* delegate form */
                {"EXAMPLE/assistant/jdoe@example.com", &JDOE},   /* delegate form with address */
                {"example\\ASSISTANT\\John@Example.org", &JDOE}, /* ... any case, secondary, alias domain */
                {"assistant", &ASSISTANT},
                {"EXAMPLE\\assistant", &ASSISTANT},
                {"EXAMPLE\\MaryM", &MARY}, /* NT account != alias (Q198704) */
                {"EXAMPLE\\marym", &MARY},
                {"EXAMPLE\\mmajor", &MARY}, /* alias where no NT account matches */
                {"mmajor", &MARY},
                {"mary.major@example.com", &MARY},
                {"SITE1\\user", &USER1}, /* unique forms of a shared alias */
                {"user@site1.org.com", &USER1},
                {"SITE2/user", &USER2},
                {"we*ird", &WEIRD}, /* wildcards are characters (KB932605) */
                {"100%", &WEIRD},
                {"we*ird@example.com", &WEIRD},
                {"sales", &SALES}, /* the mailbox beats the contact */
                {"help", &SUPPORT},
                {"former", &FORMER}, /* disabled: PAM refuses, the entry stays */
                /* misses */
                {"root", NULL},
                {"nobody-here", NULL},
                {"user", NULL},                  /* ambiguous (Q198143) */
                {"partner", NULL},               /* contact */
                {"partner@elsewhere.net", NULL}, /* contact address */
                {"jdoe@elsewhere.net", NULL},    /* domain not hosted (Q230373) */
                {"jdoe@mail1.example.com", NULL},
                {"OTHER\\jdoe", NULL},
                {"EXAMPLE\\sales\\jdoe", NULL}, /* not a delegate */
                {"EXAMPLE\\assistant\\nobody", NULL},
                {"j*", NULL}, /* no wildcard meaning */
                {"%", NULL},
                {"*", NULL},
                {"noids", NULL}, /* mailbox without uid */
                {"noids@noids.test", NULL},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                expect_name(cases[i].login, cases[i].e);
}

static void test_invalid(void)
{
        char longname[400], at320[330];
        static const char *const bad[] = {
                "",
                " jdoe",
                "jdoe ",
                "jd\001oe",
                "jdoe\n",
                "jdoe\r",
                "jd\x7foe",
                "jd\xffoe",
                "\xc3(",
                "jdoe\xc3",
                "\xed\xa0\x80", /* a UTF-16 surrogate */
                "\xc0\xaf",     /* over-long '/' */
                "EXAMPLE\\",
                "\\jdoe",
                "EXAMPLE\\\\jdoe",
                "A\\B\\C\\D",
                "EXAMPLE\\jdoe@example.com",
                "jdoe@",
                "@example.com",
                "jdoe@@example.com",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                expect_name(bad[i], NULL);
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        expect_name(longname, NULL);
        /* 321 bytes: one past the limit, and the tail still names jdoe */
        memset(at320, 'a', sizeof(at320));
        memcpy(at320 + 321 - strlen("jdoe@example.com"), "jdoe@example.com", strlen("jdoe@example.com") + 1);
        check(strlen(at320) == 321, "test setup: %zu", strlen(at320));
        expect_name(at320, NULL);
        expect_name(NULL, NULL);
}

/* ---- buffer sizes -------------------------------------------------------- */

enum lookup_kind { BY_NAME, BY_UID, BY_ENT };

static enum nss_status lookup(enum lookup_kind k, const char *login, uid_t uid, struct passwd *pw, char *buf,
                              size_t len, int *err)
{
        switch (k) {
        case BY_NAME:
                return m.getpwnam_r(login, pw, buf, len, err);
        case BY_UID:
                return m.getpwuid_r(uid, pw, buf, len, err);
        default:
                return m.getpwent_r(pw, buf, len, err);
        }
}

/* Every size below the entry's must give TRYAGAIN/ERANGE and leave the buffer
 * as it was; the exact size must give the whole entry. Each buffer is its own
 * allocation of exactly that size, so ASan sees one byte too many. */
static void walk_sizes(enum lookup_kind k, const char *login, uid_t uid, const struct entry *e)
{
        size_t need = entry_size(e);
        unsigned bad = 0;

        /* getpwent moves on after a success: stop at the first size that fits */
        for (size_t len = 0; len <= (k == BY_ENT ? need : need + 2); len++) {
                char *buf = malloc(len ? len : 1);
                struct passwd pw;
                int err = 0;
                enum nss_status s;
                bool untouched = true;

                memset(buf, 0xA5, len);
                memset(&pw, 0, sizeof(pw));
                errno = 4242;
                s = lookup(k, login, uid, &pw, buf, len, &err);
                if (len < need) {
                        for (size_t i = 0; i < len; i++)
                                untouched &= (unsigned char)buf[i] == 0xA5;
                        if (!check(s == NSS_STATUS_TRYAGAIN && err == ERANGE && untouched && !pw.pw_name,
                                   "%s len %zu of %zu: %s err %d%s", login, len, need, tl_nss_status_name(s), err,
                                   untouched ? "" : ", buffer written"))
                                bad++;
                } else if (check(s == NSS_STATUS_SUCCESS, "%s len %zu of %zu: %s err %d", login, len, need,
                                 tl_nss_status_name(s), err)) {
                        same_entry(&pw, buf, len, e, login);
                        check(errno == 4242, "%s: errno changed to %d on success", login, errno);
                }
                free(buf);
                if (bad > 3)
                        break;
        }
}

static void test_buffer_sizes(void)
{
        walk_sizes(BY_NAME, "EXAMPLE\\jdoe", 0, &JDOE);
        walk_sizes(BY_NAME, "longname", 0, &LONGNAME);
        walk_sizes(BY_NAME, "EXAMPLE\\assistant\\jdoe", 0, &JDOE);
        walk_sizes(BY_UID, "uid 5010", 5010, &MARY);

        /* enumeration: a short buffer must not skip the entry */
        check(m.setpwent(0) == NSS_STATUS_SUCCESS, "setpwent");
        walk_sizes(BY_ENT, "getpwent #1", 0, &JDOE);
        walk_sizes(BY_ENT, "getpwent #2", 0, &ASSISTANT);
        m.endpwent();
}

/* ---- by uid -------------------------------------------------------------- */

static void expect_uid(uid_t uid, const struct entry *e)
{
        char buf[1024];
        struct passwd pw;
        int err = 0;
        enum nss_status s = m.getpwuid_r(uid, &pw, buf, sizeof(buf), &err);

        if (!e) {
                check(s == NSS_STATUS_NOTFOUND, "getpwuid_r(%u) = %s, want NOTFOUND", (unsigned)uid, tl_nss_status_name(s));
                return;
        }
        if (check(s == NSS_STATUS_SUCCESS, "getpwuid_r(%u) = %s, want %s", (unsigned)uid, tl_nss_status_name(s), e->name))
                same_entry(&pw, buf, sizeof(buf), e, "getpwuid_r");
}

static void test_uid(void)
{
        for (size_t i = 0; i < N_ALL; i++)
                if (ALL[i]->uid != 5000)
                        expect_uid(ALL[i]->uid, ALL[i]);
        expect_uid(5000, NULL); /* shared by sales and support */
        expect_uid(4242, NULL);
        expect_uid(0, NULL);
        expect_uid((uid_t)-1, NULL);
}

/* ---- enumeration --------------------------------------------------------- */

static void enumerate(bool interleave, const char *what)
{
        bool seen[N_ALL] = {false};
        unsigned n = 0;
        enum nss_status s;

        check(m.setpwent(1) == NSS_STATUS_SUCCESS, "%s: setpwent", what);
        for (;;) {
                char buf[1024];
                struct passwd pw;
                int err = 0;
                size_t i;

                s = m.getpwent_r(&pw, buf, sizeof(buf), &err);
                if (s != NSS_STATUS_SUCCESS)
                        break;
                n++;
                for (i = 0; i < N_ALL && strcmp(ALL[i]->name, pw.pw_name) != 0; i++)
                        ;
                if (!check(i < N_ALL, "%s: unexpected entry \"%s\"", what, pw.pw_name))
                        continue;
                check(!seen[i], "%s: \"%s\" listed twice", what, pw.pw_name);
                check(i + 1 == n, "%s: \"%s\" listed at %u, want directory order", what, pw.pw_name, n);
                seen[i] = true;
                same_entry(&pw, buf, sizeof(buf), ALL[i], what);
                /* the canonical name leads back to the same entry: what Dovecot's
                 * userdb asks after PAM handed it that name */
                expect_name(pw.pw_name, ALL[i]);
                if (interleave) {
                        /* single lookups in between must not move the cursor */
                        expect_name("EXAMPLE\\jdoe", &JDOE);
                        expect_name("user", NULL);
                        expect_uid(5010, &MARY);
                }
        }
        check(s == NSS_STATUS_NOTFOUND, "%s: enumeration ended with %s", what, tl_nss_status_name(s));
        check(n == N_ALL, "%s: %u entries, want %zu", what, n, N_ALL);
        /* past the end stays at the end */
        {
                char buf[256];
                struct passwd pw;
                int err = 0;
                check(m.getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND, "%s: after the end", what);
        }
        check(m.endpwent() == NSS_STATUS_SUCCESS, "%s: endpwent", what);
}

static void test_enumeration(void)
{
        enumerate(false, "enumeration");
        enumerate(true, "enumeration with lookups in between");
}

/* ---- configuration: broken, missing, changed ----------------------------- */

static void write_file(const char *path, const char *text, mode_t mode)
{
        char tmp[4200];
        FILE *f;

        /* rename into place, as an administrator's editor or a deploy would */
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        f = fopen(tmp, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(tmp, mode) < 0 || rename(tmp, path) < 0) {
                printf("FAIL: cannot write %s\n", path);
                exit(1);
        }
        /* the module looks at its files again at most once a second */
        usleep(1100000);
}

static char *read_file(const char *path)
{
        FILE *f = fopen(path, "r");
        char *text = calloc(1, 65536);

        if (!f || !text || fread(text, 1, 65535, f) == 0) {
                printf("FAIL: cannot read %s\n", path);
                exit(1);
        }
        fclose(f);
        return text;
}

static void expect_unavail(const char *what)
{
        char buf[1024];
        struct passwd pw;
        int err = 0;
        enum nss_status s;

        s = m.getpwnam_r("jdoe", &pw, buf, sizeof(buf), &err);
        check(s == NSS_STATUS_UNAVAIL && err != 0, "%s: getpwnam_r = %s err %d, want UNAVAIL", what, tl_nss_status_name(s),
              err);
        err = 0;
        s = m.getpwuid_r(5001, &pw, buf, sizeof(buf), &err);
        check(s == NSS_STATUS_UNAVAIL && err != 0, "%s: getpwuid_r = %s err %d, want UNAVAIL", what, tl_nss_status_name(s),
              err);
        s = m.setpwent(0);
        check(s == NSS_STATUS_UNAVAIL, "%s: setpwent = %s, want UNAVAIL", what, tl_nss_status_name(s));
        err = 0;
        s = m.getpwent_r(&pw, buf, sizeof(buf), &err);
        check(s == NSS_STATUS_UNAVAIL, "%s: getpwent_r = %s, want UNAVAIL", what, tl_nss_status_name(s));
        m.endpwent();
        /* an invalid login is not found whatever the configuration says */
        s = m.getpwnam_r("jd\001oe", &pw, buf, sizeof(buf), &err);
        check(s == NSS_STATUS_NOTFOUND, "%s: invalid login = %s, want NOTFOUND", what, tl_nss_status_name(s));
}

static void test_config(void)
{
        char path[256];
        char *good = read_file(DATA "/mailacct.conf");

        use_config(DATA "/broken.conf");
        expect_unavail("syntax error");
        use_config(DATA "/invalid.conf");
        expect_unavail("duplicate address");
        use_config(DATA "/does-not-exist.conf");
        expect_unavail("missing file");
        use_config(DATA);
        expect_unavail("a folder");

        snprintf(path, sizeof(path), "%s/changing.conf", tmpdir);
        use_config(path);
        write_file(path, good, 0664);
        expect_unavail("group-writable file");
        write_file(path, good, 0644);
        expect_name("jdoe", &JDOE);
        expect_name("newbie", NULL);

        /* a new mailbox appears without restarting the process */
        {
                static const char add[] = "\n  { address = \"newbie@example.com\"; name = \"New\"; uid = 5099; },";
                size_t n = strlen(good), off = (size_t)(strstr(good, "mailboxes = (") - good) + strlen("mailboxes = (");
                char *more = malloc(n + sizeof(add));

                /* the new mailbox goes first in the list */
                memcpy(more, good, off);
                memcpy(more + off, add, sizeof(add) - 1);
                memcpy(more + off + sizeof(add) - 1, good + off, n + 1 - off);
                write_file(path, more, 0644);
                expect_name("newbie", &(struct entry){"newbie@example.com", 5099, 5000, "New",
                                                      "/var/mail/example.com/newbie", "/usr/sbin/nologin"});
                expect_uid(5099, &(struct entry){"newbie@example.com", 5099, 5000, "New",
                                                 "/var/mail/example.com/newbie", "/usr/sbin/nologin"});

                /* an enumeration started before a change lists the directory it started with */
                check(m.setpwent(0) == NSS_STATUS_SUCCESS, "setpwent before a change");
                write_file(path, good, 0644);
                expect_name("newbie", NULL);
                {
                        char buf[1024];
                        struct passwd pw;
                        int err = 0;
                        unsigned n_ent = 0;
                        bool newbie = false;
                        while (m.getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
                                n_ent++;
                                newbie |= strcmp(pw.pw_name, "newbie@example.com") == 0;
                        }
                        check(n_ent == N_ALL + 1 && newbie, "enumeration across a reload: %u entries%s", n_ent,
                              newbie ? "" : ", newbie missing");
                }
                m.endpwent();
                free(more);
        }

        /* broken in place, then repaired: UNAVAIL is not sticky */
        write_file(path, "mailboxes = ( { address = ", 0644);
        expect_unavail("broken in place");
        write_file(path, good, 0644);
        expect_name("jdoe", &JDOE);
        unlink(path);
        free(good);
        use_config(DATA "/mailacct.conf");
}

static void test_other_configs(void)
{
        static const struct entry NB_JDOE = {"EXAMPLE\\jdoe",    5001, 5000, "John Doe", "/var/mail/example.com/jdoe",
                                             "/usr/sbin/nologin"};
        static const struct entry NB_MARY = {
                "EXAMPLE\\MaryM", 5010, 5000, "Mary Major", "/var/mail/example.com/mary.major", "/usr/sbin/nologin"};
        static const struct entry EDGE_OK = {"fine@example.com", 6001, 6000, "Fine", "/var/mail/example.com/fine",
                                             "/usr/sbin/nologin"};

        /* canonical = "netbios": pw_name is DOMAIN\account, and it resolves back */
        use_config(DATA "/netbios.conf");
        expect_name("jdoe@example.com", &NB_JDOE);
        expect_name("EXAMPLE\\jdoe", &NB_JDOE);
        expect_name("jdoe", &NB_JDOE);
        expect_name("mary.major@example.com", &NB_MARY);
        expect_name("EXAMPLE\\MaryM", &NB_MARY);
        expect_uid(5001, &NB_JDOE);

        /* entries a passwd line cannot carry, or that would be root */
        use_config(DATA "/edge.conf");
        expect_name("fine", &EDGE_OK);
        expect_name("rooty", NULL);
        expect_name("rooty@example.com", NULL);
        expect_uid(0, NULL);
        expect_name("co:lon@example.com", NULL);
        expect_uid(6002, NULL);
        {
                char buf[1024];
                struct passwd pw;
                int err = 0;
                unsigned n = 0;
                check(m.setpwent(0) == NSS_STATUS_SUCCESS, "edge: setpwent");
                while (m.getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
                        n++;
                        check(strcmp(pw.pw_name, "fine@example.com") == 0, "edge: enumerated \"%s\"", pw.pw_name);
                }
                check(n == 1, "edge: %u entries, want 1", n);
                m.endpwent();
        }
        use_config(DATA "/mailacct.conf");
}

/* ---- errno --------------------------------------------------------------- */

static void test_errno(void)
{
        char buf[1024], tiny[4];
        struct passwd pw;
        int err = 0;

        errno = 777;
        check(m.getpwnam_r("jdoe", &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS && errno == 777,
              "errno after a hit: %d", errno);
        errno = 778;
        check(m.getpwuid_r(5001, &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS && errno == 778,
              "errno after getpwuid_r: %d", errno);
        errno = 779;
        check(m.setpwent(0) == NSS_STATUS_SUCCESS && errno == 779, "errno after setpwent: %d", errno);
        check(m.getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS && errno == 779,
              "errno after getpwent_r: %d", errno);
        m.endpwent();
        check(errno == 779, "errno after endpwent: %d", errno);
        /* glibc passes &errno as errnop: the cause must survive */
        errno = 0;
        check(m.getpwnam_r("jdoe", &pw, tiny, sizeof(tiny), &errno) == NSS_STATUS_TRYAGAIN && errno == ERANGE,
              "errnop == &errno: errno %d after a short buffer, want ERANGE", errno);
}

/* ---- threads ------------------------------------------------------------- */

#define THREADS 8
#define LOOKUPS 20000

static const struct {
        const char *login;
        const struct entry *e;
} mix[] = {
        {"jdoe", &JDOE},
        {"EXAMPLE\\jdoe", &JDOE},
        {"EXAMPLE/assistant/jdoe", &JDOE},
        {"john@example.org", &JDOE},
        {"EXAMPLE\\MaryM", &MARY},
        {"SITE2\\user", &USER2},
        {"user@site1.org.com", &USER1},
        {"100%", &WEIRD},
        {"Sales", &SALES},
        {"longname@EXAMPLE.com", &LONGNAME},
        {"user", NULL},
        {"partner", NULL},
        {"nobody", NULL},
        {"jd\xffoe", NULL},
};

static volatile bool writer_stop;
static char thread_conf[256];

static bool quiet_same(const struct passwd *pw, const struct entry *e)
{
        return strcmp(pw->pw_name, e->name) == 0 && strcmp(pw->pw_passwd, "x") == 0 && pw->pw_uid == e->uid &&
               pw->pw_gid == e->gid && strcmp(pw->pw_gecos, e->gecos) == 0 && strcmp(pw->pw_dir, e->dir) == 0 &&
               strcmp(pw->pw_shell, e->shell) == 0;
}

static void *lookup_thread(void *arg)
{
        unsigned seed = (unsigned)(uintptr_t)arg, wrong = 0;

        for (unsigned i = 0; i < LOOKUPS; i++) {
                size_t k = (i + seed * 7) % (sizeof(mix) / sizeof(mix[0]));
                char buf[512];
                struct passwd pw;
                int err = 0;
                enum nss_status s;

                if (i % 5 == 4) {
                        s = m.getpwuid_r(5010, &pw, buf, sizeof(buf), &err);
                        wrong += s != NSS_STATUS_SUCCESS || !quiet_same(&pw, &MARY);
                        continue;
                }
                s = m.getpwnam_r(mix[k].login, &pw, buf, sizeof(buf), &err);
                if (mix[k].e)
                        wrong += s != NSS_STATUS_SUCCESS || !quiet_same(&pw, mix[k].e);
                else
                        wrong += s != NSS_STATUS_NOTFOUND;
        }
        return (void *)(uintptr_t)wrong;
}

/* Rewrites the configuration (same content, new inode and mtime) while the
 * lookups run: every one of them must still get a right answer. */
static void *writer_thread(void *arg)
{
        const char *good = arg;
        uintptr_t n = 0;

        while (!writer_stop) {
                write_file(thread_conf, good, 0644);
                n++;
                usleep(2000);
        }
        return (void *)n;
}

static void test_threads(void)
{
        pthread_t t[THREADS], w;
        char *good = read_file(DATA "/mailacct.conf");
        uintptr_t wrong_total = 0;
        void *ret;

        snprintf(thread_conf, sizeof(thread_conf), "%s/threads.conf", tmpdir);
        write_file(thread_conf, good, 0644);
        use_config(thread_conf);
        writer_stop = false;
        pthread_create(&w, NULL, writer_thread, good);
        for (uintptr_t i = 0; i < THREADS; i++)
                pthread_create(&t[i], NULL, lookup_thread, (void *)i);
        for (int i = 0; i < THREADS; i++) {
                pthread_join(t[i], &ret);
                wrong_total += (uintptr_t)ret;
        }
        writer_stop = true;
        pthread_join(w, &ret);
        check(wrong_total == 0, "threads: %lu wrong answers out of %d", (unsigned long)wrong_total, THREADS * LOOKUPS);
        printf("threads: %d x %d lookups while the configuration was replaced %lu times\n", THREADS, LOOKUPS,
               (unsigned long)(uintptr_t)ret);
        unlink(thread_conf);
        free(good);
        use_config(DATA "/mailacct.conf");
}

/* ---- the module unloaded and loaded again (Dovecot's workers do this) ---- */

static void test_reload_module(void)
{
        check(m.setpwent(0) == NSS_STATUS_SUCCESS, "setpwent before dlclose");
        check(dlclose(m.dl) == 0, "dlclose: %s", dlerror());
        load_module();
        expect_name("EXAMPLE\\jdoe", &JDOE);
        enumerate(false, "enumeration after dlopen again");
}

/* Locks are taken around fork(): a child's first lookup must not hang, also
 * after the module was unloaded (its fork handlers must be gone with it). */
static void test_fork(bool loaded)
{
        pid_t pid = fork();
        int status = 0;

        if (pid == 0) {
                if (loaded)
                        expect_name("EXAMPLE\\jdoe", &JDOE);
                _exit(failures ? 1 : 0);
        }
        check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "fork %s: child status %d", loaded ? "with the module loaded" : "after dlclose", status);
}

int main(int argc, char **argv)
{
        const char *build = getenv("BUILD");

        if (argc > 1)
                snprintf(module_path, sizeof(module_path), "%s", argv[1]);
        else
                snprintf(module_path, sizeof(module_path), "%s/libnss_mailacct.so.2", build ? build : "build");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        load_module();
        use_config(DATA "/mailacct.conf");

        test_forms();
        test_invalid();
        test_buffer_sizes();
        test_uid();
        test_enumeration();
        test_errno();
        test_config();
        test_other_configs();
        test_threads();
        test_reload_module();
        test_fork(true);

        dlclose(m.dl);
        test_fork(false);
        rmdir(tmpdir);
        printf("nss-dlopen: %u checks, %u failed\n", checks, failures);
        return failures ? 1 : 0;
}
