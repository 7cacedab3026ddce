/* SPDX-License-Identifier: MIT */
/* A Sockbuf layer that wipes what libldap sends (ldapmem.h). */
#include "ldapmem.h"

#include <string.h>

/* Nothing reads a request once it is sent: the sync and the bind never
 * follow referrals, the only reason libldap would send one again. */
static ber_slen_t wipe_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
        ber_slen_t n = LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);

        if (n > 0)
                explicit_bzero(buf, (size_t)n);
        return n;
}

static ber_slen_t wipe_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
        return LBER_SBIOD_READ_NEXT(sbiod, buf, len);
}

static int wipe_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
        return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

static Sockbuf_IO wipe_io = {
        .sbi_ctrl = wipe_ctrl,
        .sbi_read = wipe_read,
        .sbi_write = wipe_write,
};

int mailacct_ldap_wipe_sent(Sockbuf *sb)
{
        /* above TLS (LBER_SBIOD_LEVEL_TRANSPORT; StartTLS slides it in
         * under this one later), under a SASL security layer: the request
         * as libldap encoded it, in libldap's own buffer */
        return ber_sockbuf_add_io(sb, &wipe_io, LBER_SBIOD_LEVEL_TRANSPORT + 1, NULL) < 0 ? -1 : 0;
}
