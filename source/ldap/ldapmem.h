/* SPDX-License-Identifier: MIT */
/* libldap's copy of a password: for the two places that bind with one, the
 * sync (pull.c, the command) and the password bind (bind.c, the PAM
 * module). */
#pragma once

#include <lber.h>

/* libldap 2.5 encodes a bind request, password and all, in a buffer it
 * gets from plain malloc and frees without wiping (liblber's memory
 * functions serve only slapd's memory contexts: a client's calls never
 * reach them, measured). This pushes a layer above TLS on a connection's
 * Sockbuf that wipes each request as the layers below take it; call it
 * from libldap's connect callback. 0, or -1 (no layer: refuse the
 * connection). */
int mailacct_ldap_wipe_sent(Sockbuf *sb);
