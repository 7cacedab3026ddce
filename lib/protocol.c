/* SPDX-License-Identifier: MIT */
#include "protocol.h"

#include <stddef.h>

#include "strutil.h"

static const struct {
        const char *name, *protocol;
} names[] = {
        {"imap", "imap"},  {"imaps", "imap"},  {"imap4", "imap"},        {"pop", "pop3"},  {"pop3", "pop3"},
        {"pop3s", "pop3"}, {"popa3d", "pop3"}, {"solid-pop3d", "pop3"},  {"smtp", "smtp"}, {"submission", "smtp"},
        {"smtps", "smtp"}, {"sieve", "sieve"}, {"managesieve", "sieve"},
};

const char *mailacct_protocol_of(const char *service)
{
        if (!service)
                return NULL;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (mailacct_streq_fold(service, names[i].name))
                        return names[i].protocol;
        return service;
}

bool mailacct_protocol_same(const char *a, const char *b)
{
        const char *pa = mailacct_protocol_of(a), *pb = mailacct_protocol_of(b);

        return pa && pb && mailacct_streq_fold(pa, pb);
}
