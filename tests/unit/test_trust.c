/* SPDX-License-Identifier: MIT */
/* Which files a process believes (lib/trust.c): owner, mode, links, FIFOs,
 * and every folder up to "/". The owner cases need root (chown); without it
 * they are left out and the rest still runs. */
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "trust.h"

static char base[PATH_MAX];

static const char *path_in(const char *sub, const char *name)
{
        static char p[4][PATH_MAX + 128];
        static int slot;

        slot = (slot + 1) % 4;
        snprintf(p[slot], sizeof(p[slot]), "%s/%s%s%s", base, sub, *sub ? "/" : "", name);
        return p[slot];
}

static void mkfile(const char *path, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(chmod(path, mode), 0);
}

/* 0 or the -errno of mailacct_trust_open(), and why has want (if given) */
static void expect(const char *path, unsigned flags, int ret, const char *want)
{
        struct stat st;
        char why[512] = "";
        int fd = mailacct_trust_open(path, flags, &st, why, sizeof(why));

        if (fd >= 0) {
                close(fd);
                fd = 0;
        }
        if (fd != ret)
                fail_msg("%s: %d (%s), expected %d", path, fd, why, ret);
        if (want && !strstr(why, want))
                fail_msg("%s: \"%s\" lacks \"%s\"", path, why, want);
}

static void test_modes(void **state)
{
        (void)state;
        mkfile(path_in("", "ok"), 0644);
        expect(path_in("", "ok"), 0, 0, NULL);
        mkfile(path_in("", "gw"), 0664);
        expect(path_in("", "gw"), 0, -EPERM, "mode 0664 lets others change it");
        mkfile(path_in("", "ow"), 0646);
        expect(path_in("", "ow"), 0, -EPERM, "mode 0646");
        /* secrets: no reading by others either; a group may read */
        expect(path_in("", "ok"), MAILACCT_TRUST_SECRET, -EPERM, "read password hashes");
        mkfile(path_in("", "secret"), 0640);
        expect(path_in("", "secret"), MAILACCT_TRUST_SECRET, 0, NULL);
        expect(path_in("", "missing"), 0, -ENOENT, "No such file");
}

static void test_kinds(void **state)
{
        (void)state;
        assert_int_equal(symlink(path_in("", "ok"), path_in("", "link")), 0);
        expect(path_in("", "link"), 0, -EPERM, "symbolic link");
        assert_int_equal(mkfifo(path_in("", "fifo"), 0644), 0);
        /* refused without waiting for a writer */
        expect(path_in("", "fifo"), 0, -EPERM, "not a regular file");
        expect(base, 0, -EPERM, "not a regular file");
}

static void test_folders(void **state)
{
        char why[512];

        (void)state;
        assert_int_equal(mkdir(path_in("", "open"), 0777), 0);
        assert_int_equal(chmod(path_in("", "open"), 0777), 0);
        mkfile(path_in("open", "f"), 0644);
        expect(path_in("open", "f"), 0, -EPERM, "lets its group or others replace the files in it");
        assert_int_equal(mailacct_trust_dir(path_in("", "open"), why, sizeof(why)), -EPERM);
        /* sticky, as /tmp: no one may replace another's file there */
        assert_int_equal(mkdir(path_in("", "sticky"), 0777), 0);
        assert_int_equal(chmod(path_in("", "sticky"), 01777), 0);
        mkfile(path_in("sticky", "f"), 0644);
        expect(path_in("sticky", "f"), 0, 0, NULL);
        assert_int_equal(mailacct_trust_dir(path_in("", "sticky"), why, sizeof(why)), 0);
        assert_int_equal(mailacct_trust_dir(base, why, sizeof(why)), 0);
        /* a link among the folders is followed to the real ones */
        assert_int_equal(symlink(path_in("", "open"), path_in("", "openlink")), 0);
        expect(path_in("openlink", "f"), 0, -EPERM, "folder");
}

/* A writer renames new files in place without a pause (as `sync` does
 * with the delta under busy readers): every open gets a whole file, none is
 * refused as "replaced while it was checked". */
static void test_replaced(void **state)
{
        const char *target = path_in("", "swapped"), *tmp = path_in("", "swapped.new");
        char keep_target[PATH_MAX + 128], keep_tmp[PATH_MAX + 128];
        int refused = 0, opened = 0;
        pid_t pid;

        (void)state;
        snprintf(keep_target, sizeof(keep_target), "%s", target);
        snprintf(keep_tmp, sizeof(keep_tmp), "%s", tmp);
        mkfile(keep_target, 0644);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                for (;;) {
                        int fd = open(keep_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        if (fd >= 0)
                                close(fd);
                        if (rename(keep_tmp, keep_target) < 0)
                                _exit(1);
                }
        }
        for (int i = 0; i < 20000; i++) {
                struct stat st;
                char why[512] = "";
                int fd = mailacct_trust_open(keep_target, 0, &st, why, sizeof(why));

                if (fd >= 0) {
                        opened++;
                        close(fd);
                } else {
                        refused++;
                        if (refused == 1)
                                print_message("refused: %s\n", why);
                }
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        assert_int_equal(refused, 0);
        assert_int_equal(opened, 20000);
}

static void test_owners(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                /* an unprivileged process trusts its own files */
                assert_true(mailacct_trust_owner(geteuid()));
                assert_true(mailacct_trust_owner(0));
                skip();
        }
        /* root trusts only root's files */
        assert_true(mailacct_trust_owner(0));
        assert_false(mailacct_trust_owner(65534));
        mkfile(path_in("", "nobodys"), 0644);
        assert_int_equal(chown(path_in("", "nobodys"), 65534, 65534), 0);
        expect(path_in("", "nobodys"), 0, -EPERM, "owned by nobody (mode 0644)");
        assert_int_equal(mkdir(path_in("", "nobodydir"), 0755), 0);
        mkfile(path_in("nobodydir", "f"), 0644);
        assert_int_equal(chown(path_in("", "nobodydir"), 65534, 65534), 0);
        expect(path_in("nobodydir", "f"), 0, -EPERM, "is owned by nobody");
}

static int setup(void **state)
{
        (void)state;
        /* the unit folder is 0700 under /tmp: a chain every test can trust */
        snprintf(base, sizeof(base), "%s", tu_tmpdir());
        return 0;
}

static int rm_tree(void)
{
        char cmd[PATH_MAX + 32];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        return system(cmd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_modes),
                cmocka_unit_test(test_kinds),
                cmocka_unit_test(test_folders),
                cmocka_unit_test(test_replaced),
                cmocka_unit_test(test_owners),
        };
        int failed = cmocka_run_group_tests_name("trust", tests, setup, NULL);

        (void)rm_tree();
        return failed ? 1 : 0;
}
