/* SPDX-License-Identifier: MIT */
/* libldap's memory wiped as it is freed: the bind request holds the
 * password, encoded, in such a block. For the two places that talk LDAP:
 * the sync (pull.c, the command) and the bind verifier (bind.c, the PAM
 * module). */
#pragma once

/* Installs liblber memory functions that behave as malloc's and wipe every
 * block before it is freed (process-wide; once). */
void mailacct_ldap_wipe_memory(void);
