/* SPDX-License-Identifier: MIT */
/* What an RFC 4533 refreshOnly run reports, and which of the last sync's
 * entries stay (source/ldap/changes.c): a changed entry replaces its stored
 * self (the last copy of it wins, whole, even after the caller's buffers
 * are gone), a deleted entryUUID removes it, a present phase removes every
 * entry of its search it did not name, and a search without one leaves
 * the unnamed ones alone; AD's uSNChanged run names what it touched by
 * objectGUID, and only what a search sends again stays. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "changes.h"

static struct mailacct_ldap_entry entry(enum mailacct_ldap_kind kind, const char *dn, const char *uuid,
                                        struct mailacct_ldap_attr *attr, struct mailacct_ldap_val *val,
                                        const char *mail)
{
        *val = (struct mailacct_ldap_val){mail, strlen(mail)};
        *attr = (struct mailacct_ldap_attr){"mail", val, 1};
        return (struct mailacct_ldap_entry){kind, dn, strlen(dn), uuid, uuid ? strlen(uuid) : 0, attr, 1};
}

static void test_keeps(void **state)
{
        struct mailacct_ldap_changes *c = mailacct_ldap_changes_new(2);
        struct mailacct_ldap_attr a[4];
        struct mailacct_ldap_val v[4];
        struct mailacct_ldap_entry same = entry(MAILACCT_LDAP_MAILBOX, "uid=a,dc=x", "u-a", &a[0], &v[0], "a@x"),
                                   changed = entry(MAILACCT_LDAP_MAILBOX, "uid=b,dc=x", "u-b", &a[1], &v[1], "b@x"),
                                   gone = entry(MAILACCT_LDAP_MAILBOX, "uid=c,dc=x", "u-c", &a[2], &v[2], "c@x");
        char dn[32] = "uid=b2,dc=x", mail[16] = "b2@x";
        struct mailacct_ldap_entry renamed = entry(MAILACCT_LDAP_MAILBOX, dn, "u-b", &a[3], &v[3], mail);
        const struct mailacct_ldap_entry *e;

        (void)state;
        assert_non_null(c);
        assert_int_equal(mailacct_ldap_changes_entry(c, 0, &changed), 0);
        /* a second message for the same entry: its last state wins */
        assert_int_equal(mailacct_ldap_changes_entry(c, 0, &renamed), 0);
        assert_int_equal(mailacct_ldap_changes_uuid(c, 0, MAILACCT_LDAP_MAILBOX, "u-c", false), 0);
        mailacct_ldap_changes_done(c, 0, true);
        /* the copy is the changes' own */
        memset(dn, 'Z', sizeof(dn) - 1);
        memset(mail, 'Z', sizeof(mail) - 1);
        assert_true(mailacct_ldap_changes_keeps(c, 0, &same));
        assert_false(mailacct_ldap_changes_keeps(c, 0, &changed));
        assert_false(mailacct_ldap_changes_keeps(c, 0, &gone));
        assert_int_equal(mailacct_ldap_changes_count(c), 1);
        e = mailacct_ldap_changes_at(c, 0);
        assert_non_null(e);
        assert_string_equal(e->dn, "uid=b2,dc=x");
        assert_int_equal(e->n_attrs, 1);
        assert_memory_equal(e->attrs[0].v[0].p, "b2@x", 4);
        assert_null(mailacct_ldap_changes_at(c, 1));
        assert_int_equal(mailacct_ldap_changes_deleted(c), 1);
        mailacct_ldap_changes_free(c);
}

static void test_present_phase(void **state)
{
        struct mailacct_ldap_changes *c = mailacct_ldap_changes_new(2);
        struct mailacct_ldap_attr a[3];
        struct mailacct_ldap_val v[3];
        struct mailacct_ldap_entry named = entry(MAILACCT_LDAP_MAILBOX, "uid=a,dc=x", "u-a", &a[0], &v[0], "a@x"),
                                   unnamed = entry(MAILACCT_LDAP_MAILBOX, "uid=b,dc=x", "u-b", &a[1], &v[1], "b@x"),
                                   contact = entry(MAILACCT_LDAP_CONTACT, "cn=c,dc=x", "u-c", &a[2], &v[2], "c@y");

        (void)state;
        assert_int_equal(mailacct_ldap_changes_uuid(c, 0, MAILACCT_LDAP_MAILBOX, "u-a", true), 0);
        /* search 0 ran a present phase; search 1 (the contacts) did not */
        mailacct_ldap_changes_done(c, 0, false);
        mailacct_ldap_changes_done(c, 1, true);
        assert_true(mailacct_ldap_changes_keeps(c, 0, &named));
        assert_false(mailacct_ldap_changes_keeps(c, 0, &unnamed));
        assert_true(mailacct_ldap_changes_keeps(c, 1, &contact));
        /* an entry no search found (under no base): only a deletion removes it */
        assert_true(mailacct_ldap_changes_keeps(c, (size_t)-1, &unnamed));
        /* a search number out of range is refused */
        assert_int_equal(mailacct_ldap_changes_uuid(c, 5, MAILACCT_LDAP_MAILBOX, "u-z", false), -EINVAL);
        mailacct_ldap_changes_free(c);
        mailacct_ldap_changes_free(NULL);
}

/* AD's uSNChanged run: every object touched since the last USN is named
 * by its (binary) objectGUID first; of those, the entries a search sends
 * again stay (in their new state), whatever their kind, the rest go. */
static void test_touched(void **state)
{
        static const char guid_a[16] = {1, 0, 2, 0, 3}, guid_b[16] = {1, 0, 2, 0, 4}, guid_c[16] = {1, 0, 2, 0, 5},
                          guid_d[16] = {9};
        struct mailacct_ldap_changes *c = mailacct_ldap_changes_new(2);
        struct mailacct_ldap_attr a[5];
        struct mailacct_ldap_val v[5];
        struct mailacct_ldap_entry moved = entry(MAILACCT_LDAP_MAILBOX, "CN=A,DC=x", NULL, &a[0], &v[0], "a@x"),
                                   left = entry(MAILACCT_LDAP_MAILBOX, "CN=B,DC=x", NULL, &a[1], &v[1], "b@x"),
                                   contact = entry(MAILACCT_LDAP_CONTACT, "CN=C,DC=x", NULL, &a[2], &v[2], "c@y"),
                                   still = entry(MAILACCT_LDAP_MAILBOX, "CN=D,DC=x", NULL, &a[3], &v[3], "d@x"),
                                   back = entry(MAILACCT_LDAP_MAILBOX, "CN=A2,DC=x", NULL, &a[4], &v[4], "a@x");

        (void)state;
        moved.key = back.key = guid_a;
        left.key = guid_b;
        contact.key = guid_c;
        still.key = guid_d;
        moved.key_len = left.key_len = contact.key_len = still.key_len = back.key_len = 16;
        assert_non_null(c);
        assert_int_equal(mailacct_ldap_changes_touched(c, guid_a, 16), 0);
        assert_int_equal(mailacct_ldap_changes_touched(c, guid_b, 16), 0);
        assert_int_equal(mailacct_ldap_changes_touched(c, guid_c, 16), 0);
        assert_int_equal(mailacct_ldap_changes_touched(c, guid_d, 0), -EINVAL);
        /* the same GUID, a byte apart from another: not confused */
        assert_int_equal(mailacct_ldap_changes_entry(c, 0, &back), 0);
        mailacct_ldap_changes_done(c, 0, true);
        mailacct_ldap_changes_done(c, 1, true);
        assert_false(mailacct_ldap_changes_keeps(c, 0, &moved));
        assert_false(mailacct_ldap_changes_keeps(c, 0, &left));
        assert_false(mailacct_ldap_changes_keeps(c, 1, &contact));
        assert_true(mailacct_ldap_changes_keeps(c, 0, &still));
        assert_int_equal(mailacct_ldap_changes_count(c), 1);
        assert_string_equal(mailacct_ldap_changes_at(c, 0)->dn, "CN=A2,DC=x");
        mailacct_ldap_changes_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keeps),
                cmocka_unit_test(test_present_phase),
                cmocka_unit_test(test_touched),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
