/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A multimap from byte-string keys to 32-bit values. Keys are copied into an
 * arena owned by the map. Several values may share a key: that is how the
 * directory records an alias held by two mailboxes (an ambiguity, not an
 * error). Hashing is keyed (SipHash-1-3) with a per-map random key, so names
 * chosen by an attacker cannot pile up in one chain. */
struct mailacct_hashmap;

struct mailacct_hashmap *mailacct_hashmap_new(size_t expect);
void mailacct_hashmap_free(struct mailacct_hashmap *m);
int mailacct_hashmap_add(struct mailacct_hashmap *m, const char *key, uint32_t value);
/* Adds (key, value) unless key is held by another value: then 0 with
 * *other set to that value and nothing added (the first value wins). One
 * hash and one probe where a get and an add would take two. 1 when added
 * (or present with this value already), -ENOMEM. */
int mailacct_hashmap_add_unique(struct mailacct_hashmap *m, const char *key, uint32_t value, uint32_t *other);
/* Writes up to max values for key into out; returns how many exist in all. */
size_t mailacct_hashmap_get(const struct mailacct_hashmap *m, const char *key, uint32_t *out, size_t max);

/* Walks every (key, value) pair; *pos starts at 0. Returns false at the end.
 * A key held by several values comes once per value. */
bool mailacct_hashmap_next(const struct mailacct_hashmap *m, size_t *pos, const char **key, uint32_t *value);
size_t mailacct_hashmap_size(const struct mailacct_hashmap *m);
/* Frees the slots and keeps the keys: the map answers nothing any more,
 * but the keys _next() gave stay readable until _free(). For a writer that
 * consumes the map. */
void mailacct_hashmap_drop_slots(struct mailacct_hashmap *m);
/* Where a key walked by mailacct_hashmap_next() sits in the map's arena:
 * equal keys share one place, and places rise in the order keys were first
 * added (an order a writer can sort by without comparing strings). */
uint32_t mailacct_hashmap_key_place(const struct mailacct_hashmap *m, const char *key);
const char *mailacct_hashmap_key_at(const struct mailacct_hashmap *m, uint32_t place);

uint64_t mailacct_siphash13(const uint8_t key[16], const void *data, size_t len);

/* The same hash over pieces given one after another: the result equals the
 * one-shot hash of their concatenation. */
struct mailacct_siphash {
        uint64_t v0, v1, v2, v3;
        uint8_t tail[8];
        size_t ntail, total;
};
void mailacct_siphash13_init(struct mailacct_siphash *s, const uint8_t key[16]);
void mailacct_siphash13_update(struct mailacct_siphash *s, const void *data, size_t len);
uint64_t mailacct_siphash13_final(struct mailacct_siphash *s);
