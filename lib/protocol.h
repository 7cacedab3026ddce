/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Mail servers name their PAM services differently for one protocol
 * (Dovecot "imap"/"pop3", Cyrus "imap"/"pop", popa3d "popa3d", Postfix
 * "smtp"...). A mailbox's `services` and the service a login comes through
 * are compared as protocols: imap, pop3, smtp, sieve; a name this table
 * does not know stands for itself (compared without case). */
const char *mailacct_protocol_of(const char *service);
bool mailacct_protocol_same(const char *a, const char *b);
