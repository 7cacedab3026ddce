/* SPDX-License-Identifier: MIT */
/* Format discipline: the bytes of a compiled index are a contract with every
 * reader already installed (a module in a running auth worker, an index on
 * disk from the last compile). A fixed directory compiled with a fixed key
 * and time must give the same bytes for as long as IX_VERSION stays the
 * same; a change of layout or of a key's spelling without a version bump
 * fails here. When the format changes on purpose: bump IX_VERSION in
 * lib/ixformat.h, then put the new version and the digest this test prints
 * below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "index.h"
#include "ixfile.h"
#include "ixformat.h"
#include "testutil.h"

/* the digest of the fixed directory's index in format EXPECT_VERSION */
#define EXPECT_VERSION 7
#define EXPECT_DIGEST  0xc6fee818af79186dULL

static const char fixed_conf[] =
        "default_domain = \"example.com\";\n"
        "canonical = \"address\";\n"
        "secrets = \"/etc/mailacct.secrets\";\n"
        "defaults = { uid = 5000; gid = 5000; home = \"/var/mail/%d/%n\"; shell = \"/usr/sbin/nologin\"; };\n"
        "domains = ( { name = \"example.com\"; netbios = \"EXAMPLE\"; aliases = [ \"example.org\" ]; },\n"
        "            { name = \"site1.org.com\"; netbios = \"SITE1\"; } );\n"
        "mailboxes = (\n"
        "  { address = \"jdoe@example.com\"; aliases = [ \"jdoe\", \"john.doe\" ]; addresses = [ \"john@example.com\" ];\n"
        "    nt_account = \"jdoe\"; name = \"John Doe\"; uid = 5001; services = [ \"imap\", \"pop3\" ];\n"
        "    delegates = [ \"EXAMPLE\\\\assistant\" ]; },\n"
        "  { address = \"assistant@example.com\"; aliases = [ \"assistant\" ]; nt_account = \"OTHER\\\\asst\"; uid = 5002; },\n"
        "  { address = \"user@site1.org.com\"; aliases = [ \"user\" ]; uid = 5003; enabled = false; }\n"
        ");\n"
        "contacts = ( { alias = \"partner\"; address = \"partner@elsewhere.net\"; } );\n";

/* FNV-1a, 64 bits: a digest, not a checksum against an attacker */
static uint64_t digest(const uint8_t *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < n; i++)
                h = (h ^ p[i]) * 0x100000001b3ULL;
        return h;
}

static void test_format(void **state)
{
        static const uint8_t key[16] = "mailacct-format";
        struct mailacct_stamp stamp = {
                .kind = MAILACCT_STAMP_FILE,
                .path = "/etc/mailacct.conf",
                .dev = 2049,
                .ino = 4242,
                .size = sizeof(fixed_conf) - 1,
                .mtime_ns = 1700000000000000000LL,
                .ctime_ns = 1700000000000000001LL,
        };
        struct mailacct_index_meta meta = { .conf_path = "/etc/mailacct.conf", .stamps = &stamp, .n_stamps = 1 };
        struct mailacct_dir *d = NULL;
        char path[PATH_MAX + 64], err[256];
        uint8_t *image;
        uint64_t got;
        struct stat st;
        FILE *f;

        (void)state;
        assert_int_equal(tu_load("format.conf", fixed_conf, &d, NULL), 0);
        snprintf(path, sizeof(path), "%s/format.idx", tu_tmpdir());
        mailacct_ix_fixed_key = key;
        mailacct_ix_fixed_time = 1700000000123456789LL;
        assert_int_equal(mailacct_index_write(d, &meta, path, 0644, err, sizeof(err)), 0);
        mailacct_ix_fixed_key = NULL;
        mailacct_ix_fixed_time = 0;
        assert_int_equal(stat(path, &st), 0);
        image = malloc((size_t)st.st_size);
        assert_non_null(image);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_int_equal(fread(image, 1, (size_t)st.st_size, f), (size_t)st.st_size);
        fclose(f);
        got = digest(image, (size_t)st.st_size);
        print_message("format %d: %lld bytes, digest 0x%016llxULL\n", IX_VERSION, (long long)st.st_size,
                      (unsigned long long)got);
        if (IX_VERSION != EXPECT_VERSION)
                fail_msg("IX_VERSION is %d, the digest below is for %d: put the new version and digest in %s",
                         IX_VERSION, EXPECT_VERSION, __FILE__);
        if (got != EXPECT_DIGEST)
                fail_msg("the index's bytes changed (digest 0x%016llx, expected 0x%016llx) while IX_VERSION stayed %d: "
                         "readers already installed would misread it; bump IX_VERSION (lib/ixformat.h)",
                         (unsigned long long)got, (unsigned long long)EXPECT_DIGEST, IX_VERSION);
        free(image);
        mailacct_dir_free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = { cmocka_unit_test(test_format) };
        int failed = cmocka_run_group_tests_name("index format", tests, NULL, NULL);

        tu_cleanup();
        return failed ? 1 : 0;
}
