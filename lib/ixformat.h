/* SPDX-License-Identifier: MIT */
/* The layout of a compiled index file, for the code that writes and reads it
 * (lib/ixfile.c, lib/ixdir.c, lib/ixsecrets.c) and for the tools and
 * fuzzers that look inside one (tests/hardening/ixtool.c,
 * tests/fuzz/fuzz_index.c). A change here that changes a byte of a written
 * index needs IX_VERSION bumped: tests/index/format.sh fails otherwise.
 *
 * Layout (native byte order; the header records it): header | string pool,
 * ending in the mailbox blocks | domain records | contact records | stamps |
 * table entries | table slots. A mailbox block is its record followed by its
 * own strings and lists, so that the record and what an answer reads of it
 * share a page; the few mailboxes whose strings do not fit the block keep
 * them in the pool before the blocks.
 *
 * Each table is open addressing over 16-byte slots {h32, entry, check,
 * hint}; each entry is {check, key length, count, key, NUL, pad, ids}.
 * Records, entries and slots carry a checksum seeded by the index's key, so
 * a flipped byte is seen as damage (-EBADMSG) instead of being read as
 * another mailbox. */
#pragma once

#include <stdint.h>

#include "directory.h"

#define IX_MAGIC "MAILACIX"
/* 2: the header's checksum covers the strings it points to; slots start at
 * a scaled hash (1 masked it). 3: records and entries are summed by
 * check_mix, not SipHash; mailbox blocks. 4: 16-byte slots with a hint.
 * 5: stamps of every source, the configuration's path and flags; a
 * mailbox's aliases, addresses, DN, userPrincipalName and origin; domain
 * aliases and origins; contacts' DN and origin. 6: the delta index's
 * fields (the base it names, its ids); a mailbox may be a tombstone.
 * 7: a delta's filter of its keys (the header's filter_*). */
#define IX_VERSION        7
#define IX_ENDIAN         0x01020304u
#define IX_STR_MAX        4096 /* longest string a record may hold */
#define IX_UID_KEEP       2    /* a uid table entry only needs to say "one" or "many" */
#define IX_KIND_DIRECTORY 1
#define IX_KIND_SECRETS   2
#define IX_KIND_DELTA     3 /* changes beside a base (docs/ARCHITECTURE.md, the delta index) */
#define IX_BLOCK_MIN      128
#define IX_BLOCK_MAX      1024
#define IX_LIST_MAX       256 /* values in one of a mailbox's lists */
#define IX_STAMPS_MAX     65
#define IX_FILTER_BLOCK   64 /* bytes in a block of a delta's filter: one cache line */
#define IX_FILTER_BITS    8  /* bits of a delta's filter per key */

/* header flags */
enum {
        IX_F_INDEX_SETTING = 1, /* the configuration named its index (`index = ...`) */
        IX_F_LDAP = 2,          /* mailboxes from a directory: the index is the data */
        IX_F_NO_ENUMERATE = 4,  /* `enumerate = false`: getpwent() lists nothing (absent: true, as before) */
        IX_F_LDAP_BIND = 8,     /* `passwords = "ldap-bind"` (absent: the secrets file, as before) */
};

struct ix_table {
        uint64_t slots_off;
        uint32_t cap;
        uint32_t nkeys;
};

struct ix_stamp {
        uint32_t kind; /* enum mailacct_stamp_kind */
        uint32_t path; /* pool */
        uint64_t dev, ino, size;
        int64_t mtime_ns, ctime_ns;
};

struct ix_header {
        char magic[8];
        uint32_t version, endian;
        uint32_t kind; /* IX_KIND_* */
        uint32_t flags;
        uint64_t file_size;
        uint8_t sipkey[16];
        int64_t built_ns;   /* CLOCK_REALTIME when written */
        uint32_t conf_path; /* pool: the configuration it was compiled from */
        uint32_t n_stamps;
        uint64_t stamps_off;
        uint32_t any_hash; /* secrets index: the hash failures without one verify against */
        uint32_t secrets;  /* directory index: the configuration's secrets path */
        uint32_t bare_alias, case_sensitive, canonical, default_domain;
        uint32_t def_uid, def_gid, def_flags, def_home, def_shell;
        uint32_t n_domains, n_mailboxes, n_contacts;
        uint32_t mailbox_stride; /* bytes from one mailbox block to the next */
        uint64_t pool_off, pool_size;
        uint64_t domains_off, mailboxes_off, contacts_off;
        uint64_t entries_off, entries_size;
        struct ix_table tables[_MAILACCT_T_MAX];
        /* a delta: the base it holds the changes of (its built_ns and
         * check), how many mailboxes and contacts the pair holds, and
         * where the ids of its own mailbox records are (pool: n_mailboxes
         * uint32, ascending, summed in ids_check); 0 in a base */
        int64_t base_built_ns;
        uint64_t base_check;
        uint32_t total_mailboxes, base_mailboxes;
        uint32_t ids_off, ids_check;
        /* a delta: a blocked Bloom filter of the keys of all its tables
         * (pool: filter_blocks blocks of IX_FILTER_BLOCK bytes, summed in
         * filter_check; ixfile.h, ix_filter_*), so that a lookup of a key
         * the delta does not hold reads one cache line of it, not the
         * delta's table; 0 in a base */
        uint32_t filter_off, filter_blocks, filter_check, filter_pad;
        uint64_t check; /* siphash of everything above, the stamps and the strings they point to */
};

/* F_DELETED: a delta's tombstone, a mailbox of its base that is gone: it
 * answers nothing, and no table of the pair names it */
enum { F_HAS_UID = 1, F_HAS_GID = 2, F_ENABLED = 4, F_HAS_SERVICES = 8, F_DELETED = 16 };

/* file: 1 + the index of the stamp naming the origin's file; 0: none */
struct ix_domain {
        uint32_t check;
        uint32_t name, netbios, home, shell, uid, gid, flags;
        uint32_t aliases, n_aliases; /* pool: n NUL-terminated strings in a row */
        uint32_t file, line;
};

/* In the block, what an answer reads: the strings below and lists (the
 * services as NUL-terminated strings in a row, then n_delegates uint32
 * ids), all under check. Elsewhere in the pool, what only listings read:
 * extras (the aliases, then the secondary addresses, as strings in a row),
 * the DN and the userPrincipalName, under extras_check (which check covers). */
struct ix_mailbox {
        uint32_t check;
        uint32_t address, local, nt_domain, nt_account, name, home, shell;
        uint32_t domain, uid, gid, flags;
        uint32_t lists, n_services, n_delegates;
        uint32_t extras, n_aliases, n_addresses, dn, upn, extras_check;
        uint32_t file, line;
};

struct ix_contact {
        uint32_t check;
        uint32_t alias, address, dn;
        uint32_t file, line;
};

/* hint: the first id of the entry, for tables of mailboxes (else
 * MAILACCT_NONE). Only a prefetch address: the entry's ids are the answer,
 * so the hint is outside the slot's checksum and a damaged one costs a
 * useless prefetch, nothing else. */
struct ix_slot {
        uint32_t h32, entry, check, hint;
};

/* For tools and fuzzers: recomputes every checksum of an index image in
 * memory (header, records, entries, slots), as someone who can write the
 * index could; bounds-checked, it leaves what it cannot reach as it is.
 * 0, or -EBADMSG when the header itself is out of bounds. */
int mailacct_ix_seal(uint8_t *image, size_t len);
