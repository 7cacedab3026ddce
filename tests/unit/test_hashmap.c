/* SPDX-License-Identifier: MIT */
/* The keyed multimap under every lookup table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hashmap.h"

/* Many keys from a map sized for none: it grows, and every key keeps its value. */
static void test_many_keys(void **state)
{
        struct mailacct_hashmap *m = mailacct_hashmap_new(0);
        const uint32_t n = 200000;
        char key[32];
        uint32_t v;

        (void)state;
        assert_non_null(m);
        for (uint32_t i = 0; i < n; i++) {
                snprintf(key, sizeof(key), "user%u@example.com", i);
                assert_int_equal(mailacct_hashmap_add(m, key, i), 0);
        }
        for (uint32_t i = 0; i < n; i++) {
                snprintf(key, sizeof(key), "user%u@example.com", i);
                v = UINT32_MAX;
                assert_int_equal(mailacct_hashmap_get(m, key, &v, 1), 1);
                assert_int_equal(v, i);
        }
        for (uint32_t i = n; i < n + 1000; i++) {
                snprintf(key, sizeof(key), "user%u@example.com", i);
                assert_int_equal(mailacct_hashmap_get(m, key, &v, 1), 0);
        }
        mailacct_hashmap_free(m);
}

/* Several values under one key: all come back; the count is the total
 * even when fewer fit; one value added twice counts once. */
static void test_duplicates(void **state)
{
        struct mailacct_hashmap *m = mailacct_hashmap_new(4);
        uint32_t out[8] = { 0 }, seen = 0;

        (void)state;
        assert_int_equal(mailacct_hashmap_add(m, "user", 1), 0);
        assert_int_equal(mailacct_hashmap_add(m, "user", 2), 0);
        assert_int_equal(mailacct_hashmap_add(m, "user", 3), 0);
        assert_int_equal(mailacct_hashmap_add(m, "user", 2), 0);
        assert_int_equal(mailacct_hashmap_add(m, "other", 9), 0);
        assert_int_equal(mailacct_hashmap_get(m, "user", out, 8), 3);
        for (int i = 0; i < 3; i++)
                seen |= 1u << out[i];
        assert_int_equal(seen, (1u << 1) | (1u << 2) | (1u << 3));
        /* room for one: the total is still told */
        assert_int_equal(mailacct_hashmap_get(m, "user", out, 1), 3);
        /* counting alone */
        assert_int_equal(mailacct_hashmap_get(m, "user", NULL, 0), 3);
        assert_int_equal(mailacct_hashmap_get(m, "other", out, 8), 1);
        assert_int_equal(out[0], 9);
        mailacct_hashmap_free(m);
}

/* Duplicates survive growth. */
static void test_duplicates_across_growth(void **state)
{
        struct mailacct_hashmap *m = mailacct_hashmap_new(1);
        char key[32];
        uint32_t out[4];

        (void)state;
        for (uint32_t i = 0; i < 5000; i++) {
                snprintf(key, sizeof(key), "k%u", i % 1000);
                assert_int_equal(mailacct_hashmap_add(m, key, i), 0);
        }
        for (uint32_t k = 0; k < 1000; k++) {
                snprintf(key, sizeof(key), "k%u", k);
                assert_int_equal(mailacct_hashmap_get(m, key, out, 4), 5);
        }
        mailacct_hashmap_free(m);
}

/* Keys are bytes: no folding, no patterns, the empty key is a key. */
static void test_exact_keys(void **state)
{
        struct mailacct_hashmap *m = mailacct_hashmap_new(8);
        uint32_t v;

        (void)state;
        assert_int_equal(mailacct_hashmap_add(m, "JDoe", 1), 0);
        assert_int_equal(mailacct_hashmap_add(m, "we*ird", 2), 0);
        assert_int_equal(mailacct_hashmap_add(m, "", 3), 0);
        assert_int_equal(mailacct_hashmap_get(m, "jdoe", &v, 1), 0);
        assert_int_equal(mailacct_hashmap_get(m, "we*", &v, 1), 0);
        assert_int_equal(mailacct_hashmap_get(m, "*", &v, 1), 0);
        assert_int_equal(mailacct_hashmap_get(m, "we*ird", &v, 1), 1);
        assert_int_equal(v, 2);
        assert_int_equal(mailacct_hashmap_get(m, "", &v, 1), 1);
        assert_int_equal(v, 3);
        mailacct_hashmap_free(m);
        mailacct_hashmap_free(NULL);
}

/* SipHash-1-3 depends on every key byte and every data byte. */
/* add_unique: the first value wins, the second learns whose the key is,
 * the same value again is no clash; places group equal keys in the order
 * they were first added */
static void test_add_unique(void **state)
{
        struct mailacct_hashmap *m = mailacct_hashmap_new(2);
        uint32_t other = 0, out[4];
        size_t pos = 0;
        const char *key;
        uint32_t value, first_place = 0, second_place = 0;
        char k[16];

        (void)state;
        assert_non_null(m);
        assert_int_equal(mailacct_hashmap_add_unique(m, "jdoe", 7, &other), 1);
        assert_int_equal(mailacct_hashmap_add_unique(m, "jdoe", 7, &other), 1);
        assert_int_equal(mailacct_hashmap_add_unique(m, "jdoe", 9, &other), 0);
        assert_int_equal(other, 7);
        assert_int_equal(mailacct_hashmap_get(m, "jdoe", out, 4), 1);
        assert_int_equal(out[0], 7);
        assert_int_equal(mailacct_hashmap_add(m, "later", 1), 0);
        /* past several growths, still one value per key */
        for (uint32_t i = 0; i < 1000; i++) {
                snprintf(k, sizeof(k), "k%u", i);
                assert_int_equal(mailacct_hashmap_add_unique(m, k, i, &other), 1);
                assert_int_equal(mailacct_hashmap_add_unique(m, k, i + 1, &other), 0);
                assert_int_equal(other, i);
        }
        assert_int_equal(mailacct_hashmap_size(m), 1002);
        while (mailacct_hashmap_next(m, &pos, &key, &value)) {
                assert_string_equal(mailacct_hashmap_key_at(m, mailacct_hashmap_key_place(m, key)), key);
                if (strcmp(key, "jdoe") == 0)
                        first_place = mailacct_hashmap_key_place(m, key);
                if (strcmp(key, "later") == 0)
                        second_place = mailacct_hashmap_key_place(m, key);
        }
        assert_true(first_place < second_place);
        mailacct_hashmap_free(m);
}

static void test_siphash(void **state)
{
        uint8_t k[16] = { 0 };
        uint64_t base;

        (void)state;
        base = mailacct_siphash13(k, "mailacct", 8);
        assert_true(base == mailacct_siphash13(k, "mailacct", 8));
        assert_true(base != mailacct_siphash13(k, "mailacct", 7));
        assert_true(base != mailacct_siphash13(k, "mailacc\x74\x00", 9));
        k[15] = 1;
        assert_true(base != mailacct_siphash13(k, "mailacct", 8));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_many_keys),
                cmocka_unit_test(test_duplicates),
                cmocka_unit_test(test_duplicates_across_growth),
                cmocka_unit_test(test_exact_keys),
                cmocka_unit_test(test_add_unique),
                cmocka_unit_test(test_siphash),
        };
        return cmocka_run_group_tests_name("hashmap", tests, NULL, NULL);
}
