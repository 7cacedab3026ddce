/* SPDX-License-Identifier: MIT */
/* The directory's entries declared to the builder (lib/build.h), from a
 * pull or from the store: each mapped by the schema's rules (map.h), left
 * out with a warning naming its DN when the rules refuse it, declared with
 * the directory's clash policy (MAILACCT_CLASH_LEAVE_OUT: the file wins,
 * two entries claiming one address are both left out) otherwise. No
 * libldap type. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "conf.h"
#include "entry.h"
#include "file.h"
#include "map.h"
#include "store.h"

#define MAILACCT_LDAP_NETBIOS_MAX 64

struct mailacct_ldap_declarer {
        struct mailacct_builder *b;
        struct mailacct_diags *diags;
        struct mailacct_ldap_mapper *m;
        const struct mailacct_ldap_store *store; /* its crossRef names (a rebuild) */
        /* the crossRef names of a pull: DNS name (folded) and NetBIOS name */
        char dns[MAILACCT_LDAP_NETBIOS_MAX][256], netbios[MAILACCT_LDAP_NETBIOS_MAX][64];
        size_t n_netbios;
        /* AD domains told about once: no NetBIOS name, the DNS name serves */
        char warned[16][256];
        size_t n_warned;
        size_t mapped_out; /* entries the mapping left out */
};

int mailacct_ldap_declarer_init(struct mailacct_ldap_declarer *x, struct mailacct_builder *b,
                                const struct mailacct_ldap_conf *c, struct mailacct_diags *diags);
void mailacct_ldap_declarer_clear(struct mailacct_ldap_declarer *x);
/* A crossRef's name, as a pull reads it. 0, -E2BIG (too many). */
int mailacct_ldap_declarer_netbios(struct mailacct_ldap_declarer *x, const char *dns, const char *netbios);

/* Maps e and declares it with tag (the store's ordinal). *declared: the
 * builder has it (it may still be left out on a clash at finish). 0 or
 * -ENOMEM. */
int mailacct_ldap_declare(struct mailacct_ldap_declarer *x, const struct mailacct_ldap_entry *e, uint32_t tag,
                          bool *declared);

/* The store beside an index: INDEX.ldap. */
int mailacct_ldap_store_path(const char *index_path, char *buf, size_t len);

/* The writers' load of a configuration (compile, passwd): the file and,
 * when it has an `ldap` group, the entries of the last sync from its store,
 * through the same rules a sync applies; the store's stamp and the sync's
 * (MAILACCT_STAMP_LDAP) are added to info's. A store that is missing, not
 * trusted, damaged, or pulled with other ldap settings (schema, base,
 * filter, map) is an error naming what to run. info may be NULL. */
int mailacct_source_load(const char *conf_path, struct mailacct_dir **out, struct mailacct_diags *diags,
                         struct mailacct_file_info *info);
/* The index a writer writes for conf_path: its `index` setting (as the
 * lexer reads it, as readers do), else the default place. */
int mailacct_writer_target(const char *conf_path, char *buf, size_t len);
