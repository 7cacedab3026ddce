/* SPDX-License-Identifier: MIT */
/* The password checked by a bind to the directory (bind.h). */
#include "bind.h"

#include <errno.h>
#include <ldap.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ldapmem.h"

struct mailacct_bind {
        const struct mailacct_ldap_conf *c;
        struct mailacct_verifier fallback;
        bool has_fallback;
        /* the DN the equal work binds as: no entry has it */
        char nobody[1200];
        char note[1024];
};

/* libldap 2.5 runs the TLS handshake (ldaps://, StartTLS) on a blocking
 * socket whatever LDAP_OPT_NETWORK_TIMEOUT says, and retries a read that
 * would block for as long as it would block: a server that accepts the
 * connection and then says nothing would hold the login forever (a
 * timeout on the socket, SO_RCVTIMEO, only makes that loop spin). So a
 * layer of our own sits under TLS on the connection's Sockbuf: each read
 * and write waits in poll(2) at most `timeout`, and the connection as a
 * whole (connect, StartTLS, bind) at most three times that; past it the
 * layer fails the call with ETIMEDOUT, which TLS and libldap take as the
 * connection lost. No signal, no timer in the application's process. */
struct clock {
        int timeout_ms;
        struct timespec deadline;
};

static int ms_left(const struct clock *k)
{
        struct timespec now;
        long long ms;

        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = (long long)(k->deadline.tv_sec - now.tv_sec) * 1000 + (k->deadline.tv_nsec - now.tv_nsec) / 1000000;
        if (ms <= 0)
                return 0;
        return ms < k->timeout_ms ? (int)ms : k->timeout_ms;
}

/* 1 when fd is ready, else -1 with errno ETIMEDOUT (or poll's) */
static int wait_for(Sockbuf_IO_Desc *sbiod, short events)
{
        const struct clock *k = sbiod->sbiod_pvt;
        ber_socket_t fd = -1;
        struct pollfd p;
        int n, ms;

        if (ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0) {
                errno = EBADF;
                return -1;
        }
        p = (struct pollfd){.fd = fd, .events = events};
        do {
                ms = ms_left(k);
                if (ms == 0) {
                        errno = ETIMEDOUT;
                        return -1;
                }
                n = poll(&p, 1, ms);
        } while (n < 0 && errno == EINTR);
        if (n == 0)
                errno = ETIMEDOUT;
        return n > 0 ? 1 : -1;
}

static int clock_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
        sbiod->sbiod_pvt = arg;
        return 0;
}

static int clock_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
        return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

static ber_slen_t clock_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
        if (wait_for(sbiod, POLLIN) < 0)
                return -1;
        return LBER_SBIOD_READ_NEXT(sbiod, buf, len);
}

static ber_slen_t clock_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
        if (wait_for(sbiod, POLLOUT) < 0)
                return -1;
        return LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);
}

static Sockbuf_IO clock_io = {
        .sbi_setup = clock_setup,
        .sbi_ctrl = clock_ctrl,
        .sbi_read = clock_read,
        .sbi_write = clock_write,
};

/* libldap's connect callback: the connection is made, TLS not begun */
static int conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr, struct ldap_conncb *ctx)
{
        struct clock *k = ctx->lc_arg;

        (void)ld;
        (void)srv;
        (void)addr;
        clock_gettime(CLOCK_MONOTONIC, &k->deadline);
        k->deadline.tv_sec += 3 * (k->timeout_ms / 1000);
        /* just above the socket (LBER_SBIOD_LEVEL_PROVIDER), under TLS */
        if (ber_sockbuf_add_io(sb, &clock_io, LBER_SBIOD_LEVEL_PROVIDER + 1, k) < 0)
                return LDAP_LOCAL_ERROR; /* no clock, no connection */
        /* libldap's copy of the password, wiped as it is sent */
        if (mailacct_ldap_wipe_sent(sb) < 0)
                return LDAP_LOCAL_ERROR;
        return LDAP_SUCCESS;
}

static void conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
        (void)ld;
        (void)sb;
        (void)ctx;
}

/* A result code that says the server could not serve the bind at all: the
 * next server may. Any other answer to the bind is the directory's
 * verdict on this password. */
static bool unreachable(int rc)
{
        switch (rc) {
        case LDAP_SERVER_DOWN:
        case LDAP_TIMEOUT:
        case LDAP_CONNECT_ERROR:
        case LDAP_UNAVAILABLE:
        case LDAP_BUSY:
        case LDAP_LOCAL_ERROR:
        case LDAP_ENCODING_ERROR:
        case LDAP_DECODING_ERROR:
        case LDAP_PARAM_ERROR:
        case LDAP_NOT_SUPPORTED:
        case LDAP_OTHER:
                return true;
        default:
                return false;
        }
}

__attribute__((format(printf, 2, 3))) static void note(struct mailacct_bind *b, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(b->note, sizeof(b->note), fmt, ap);
        va_end(ap);
}

/* One connection to uri, TLS, one simple bind as dn. 0: the password is
 * right; -EACCES: the server refused it; -EHOSTUNREACH: this server could
 * not say (the next one may); -ENOMEM. */
static int bind_one(struct mailacct_bind *b, const char *uri, const char *dn, const char *password)
{
        const struct mailacct_ldap_conf *c = b->c;
        const char *scheme = mailacct_ldap_uri_scheme(uri);
        struct timeval tv = {.tv_sec = c->timeout};
        struct clock k = {.timeout_ms = (int)c->timeout * 1000};
        struct ldap_conncb cb = {.lc_add = conn_add, .lc_del = conn_del, .lc_arg = &k};
        struct berval cred = {.bv_len = strlen(password), .bv_val = (char *)password};
        int v3 = LDAP_VERSION3, hard = LDAP_OPT_X_TLS_HARD, zero = 0, tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, min = 0;
        const char *step = "connect";
        LDAP *ld = NULL;
        int rc;

        /* the loader refuses such a uri; never send a password in clear anyway */
        if (!scheme || (strcmp(scheme, "ldap") == 0 && !c->starttls)) {
                note(b, "%s: not used: a password would cross the network in clear", uri);
                return -EHOSTUNREACH;
        }
        rc = ldap_initialize(&ld, uri);
        if (rc != LDAP_SUCCESS) {
                note(b, "%s: not a uri libldap takes: %s", uri, ldap_err2string(rc));
                return rc == LDAP_NO_MEMORY ? -ENOMEM : -EHOSTUNREACH;
        }
        /* libldap reads ldap.conf, an ldaprc in the application's folder
         * and LDAP* variables: they cannot weaken the check. The
         * certificate is required here; NEWCTX makes the handle's TLS
         * context from scratch (no CA, certificate or key of theirs: no
         * tls_ca is the system's trust store); TLS 1.2 at least. */
        (void)ldap_get_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min);
        if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &cb) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard) != LDAP_OPT_SUCCESS ||
            (min < tls12 && ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != LDAP_OPT_SUCCESS) ||
            (c->tls_ca && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, c->tls_ca) != LDAP_OPT_SUCCESS) ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
                note(b, "%s: TLS settings refused by libldap (tls_ca \"%s\" unreadable?)", uri,
                     c->tls_ca ? c->tls_ca : "");
                ldap_unbind_ext_s(ld, NULL, NULL);
                return -EHOSTUNREACH;
        }
        rc = ldap_connect(ld);
        if (rc == LDAP_SUCCESS && strcmp(scheme, "ldap") == 0) {
                step = "StartTLS";
                rc = ldap_start_tls_s(ld, NULL, NULL);
        }
        if (rc == LDAP_SUCCESS) {
                step = "bind";
                rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
        }
        ldap_unbind_ext_s(ld, NULL, NULL);
        if (rc == LDAP_SUCCESS) {
                note(b, "%s: bind as %s", uri, dn);
                return 0;
        }
        note(b, "%s: %s: %s (%d)", uri, step, ldap_err2string(rc), rc);
        if (rc == LDAP_NO_MEMORY)
                return -ENOMEM;
        /* a failed connect or handshake is the server's, whatever the code */
        if (strcmp(step, "bind") != 0 || unreachable(rc))
                return -EHOSTUNREACH;
        return -EACCES;
}

/* The servers in order until one answers the bind. */
static int bind_any(struct mailacct_bind *b, const char *dn, const char *password)
{
        char why[1024] = "";
        int r = -EHOSTUNREACH;

        for (size_t i = 0; i < b->c->n_uri; i++) {
                r = bind_one(b, b->c->uri[i], dn, password);
                if (r != -EHOSTUNREACH)
                        return r;
                /* keep every server's reason for the log line */
                snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s", why[0] ? "; " : "", b->note);
        }
        if (b->c->n_uri == 0)
                snprintf(why, sizeof(why), "no uri in the ldap group");
        note(b, "%s", why);
        return r;
}

static int bind_verify(void *ctx, const struct mailacct_dir *d, uint32_t principal, const char *password)
{
        struct mailacct_bind *b = ctx;
        const char *dn = NULL, *upn = NULL;

        b->note[0] = '\0';
        if (mailacct_dir_names(d, principal, &dn, &upn) < 0 || !dn || !*dn) {
                /* a mailbox of the file: its line in the secrets file */
                if (b->has_fallback)
                        return b->fallback.verify(b->fallback.ctx, d, principal, password);
                return -ENOENT;
        }
        /* an empty password makes an unauthenticated bind, which succeeds */
        if (!password || !*password) {
                note(b, "an empty password (refused before any bind)");
                return -EACCES;
        }
        return bind_any(b, dn, password);
}

static int bind_burn(void *ctx, const char *password)
{
        struct mailacct_bind *b = ctx;

        b->note[0] = '\0';
        if (!password || !*password)
                return 0; /* as bind_verify: no bind at all */
        return bind_any(b, b->nobody, password) == -EHOSTUNREACH ? -EHOSTUNREACH : 0;
}

int mailacct_bind_new(const struct mailacct_ldap_conf *c, const struct mailacct_verifier *fallback,
                      struct mailacct_bind **out)
{
        struct mailacct_bind *b = calloc(1, sizeof(*b));
        unsigned char rnd[16];
        char hex[33];

        *out = NULL;
        if (!b)
                return -ENOMEM;
        b->c = c;
        if (fallback) {
                b->fallback = *fallback;
                b->has_fallback = true;
        }
        /* 128 random bits: no entry is named so, so this bind cannot succeed */
        if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
                /* only uniqueness matters here, not secrecy */
                struct timespec ts;
                uint64_t t, pid = (uint64_t)getpid();
                clock_gettime(CLOCK_REALTIME, &ts);
                t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
                memcpy(rnd, &t, sizeof(t));
                memcpy(rnd + sizeof(t), &pid, sizeof(pid));
        }
        for (size_t i = 0; i < sizeof(rnd); i++)
                snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
        snprintf(b->nobody, sizeof(b->nobody), "cn=mailacct-nobody-%s%s%s", hex, c->n_base ? "," : "",
                 c->n_base ? c->base[0] : "");
        *out = b;
        return 0;
}

void mailacct_bind_free(struct mailacct_bind *b)
{
        free(b);
}

void mailacct_bind_verifier(struct mailacct_bind *b, struct mailacct_verifier *v)
{
        v->verify = bind_verify;
        v->burn = bind_burn;
        v->ctx = b;
}

const char *mailacct_bind_note(const struct mailacct_bind *b)
{
        return b->note;
}
