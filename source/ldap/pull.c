/* SPDX-License-Identifier: MIT */
/* The directory over LDAP (pull.h), with OpenLDAP's libldap. */
#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lber.h>
#include <ldap.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ldapmem.h"
#include "map.h"
#include "strutil.h"

/* ---- libldap ---------------------------------------------------------------- */

void mailacct_ldap_library_init(void)
{
        static int done;

        if (done++)
                return;
        /* what a sync does is its configuration's alone: no ldap.conf, no
         * ~/.ldaprc, no LDAPTLS_REQCERT=never from the environment */
        setenv("LDAPNOINIT", "1", 1);
}

/* ---- errors ------------------------------------------------------------------ */

struct mailacct_ldap_session {
        LDAP *ld;
        const struct mailacct_ldap_conf *c;
        char *uri;
        const char *tls, *bind;
        char bind_text[1100];
        struct timeval tv;
};

__attribute__((format(printf, 5, 6))) static int fail(struct mailacct_ldap_error *err, enum mailacct_ldap_failure kind,
                                                      int code, const char *uri, const char *fmt, ...)
{
        char text[900];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        err->kind = kind;
        err->code = code;
        snprintf(err->text, sizeof(err->text), "%s: %s", uri, text);
        return -1;
}

static const char *diag_of(LDAP *ld, char *buf, size_t len)
{
        char *d = NULL;

        buf[0] = '\0';
        if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &d) == LDAP_OPT_SUCCESS && d && *d &&
            strcmp(d, "(unknown error code)") != 0)
                snprintf(buf, len, " (%s)", d);
        ldap_memfree(d);
        return buf;
}

/* What a result code means for the sync: the transport failed or the
 * server cannot serve now (the next server may), or the configuration
 * asked for something the directory refuses (it will refuse it again). */
static enum mailacct_ldap_failure classify(int code)
{
        switch (code) {
        case LDAP_SERVER_DOWN:
        case LDAP_TIMEOUT:
        case LDAP_CONNECT_ERROR:
        case LDAP_UNAVAILABLE:
        case LDAP_BUSY:
        case LDAP_TIMELIMIT_EXCEEDED:
        case LDAP_LOCAL_ERROR:
        case LDAP_ENCODING_ERROR:
        case LDAP_DECODING_ERROR:
                return MAILACCT_LDAP_UNREACHABLE;
        case LDAP_NO_MEMORY:
                return MAILACCT_LDAP_NOMEM;
        default:
                return MAILACCT_LDAP_CONFIG;
        }
}

static int ldap_fail(struct mailacct_ldap_error *err, LDAP *ld, int code, const char *uri, const char *what)
{
        char diag[600];

        return fail(err, classify(code), code, uri, "%s: %s (%d)%s", what, ldap_err2string(code), code,
                    diag_of(ld, diag, sizeof(diag)));
}

/* ---- a watchdog for what libldap does not time ---------------------------------- */

/* libldap 2.5 (Debian 12) runs the TLS handshake of ldaps:// and StartTLS
 * on a blocking socket whatever LDAP_OPT_NETWORK_TIMEOUT says: a server
 * that accepts the connection and then says nothing (hung, stopped) would
 * hold the sync forever. So each blocking step runs under an interval
 * timer whose handler shuts the connection's socket down (shutdown(2) is
 * async-signal-safe): the step fails, and the sync goes on to the next
 * server. The socket is learnt from libldap's connection callback. */
static volatile sig_atomic_t watch_fd = -1, watch_fired;

static void on_alarm(int sig)
{
        (void)sig;
        watch_fired = 1;
        if (watch_fd >= 0)
                (void)shutdown(watch_fd, SHUT_RDWR);
}

static int conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr, struct ldap_conncb *ctx)
{
        ber_socket_t fd = -1;

        (void)ld;
        (void)srv;
        (void)addr;
        (void)ctx;
        if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1)
                watch_fd = fd;
        /* the bind request, with the password, wiped as it is sent */
        return mailacct_ldap_wipe_sent(sb) < 0 ? LDAP_LOCAL_ERROR : LDAP_SUCCESS;
}

static void conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
        (void)ld;
        (void)sb;
        (void)ctx;
        watch_fd = -1;
}

static struct sigaction watch_old;

static void watch_start(unsigned seconds)
{
        struct sigaction sa;
        struct itimerval it = {.it_value = {.tv_sec = seconds}};

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked read returns */
        sigemptyset(&sa.sa_mask);
        watch_fired = 0;
        sigaction(SIGALRM, &sa, &watch_old);
        setitimer(ITIMER_REAL, &it, NULL);
}

/* true when the timer fired: the step timed out */
static bool watch_stop(void)
{
        struct itimerval off = {0};

        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &watch_old, NULL);
        return watch_fired;
}

/* ---- connecting ------------------------------------------------------------- */

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether a TCP connection to uri's host and port opens within timeout_s:
 * after a failed ldaps:// connect, it tells a server that is not there
 * from one whose TLS handshake failed (libldap reports both alike). */
static bool tcp_reachable(const char *uri, unsigned timeout_s)
{
        LDAPURLDesc *u = NULL;
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
        char port[16];
        bool ok = false;

        if (ldap_url_parse(uri, &u) != LDAP_URL_SUCCESS || !u->lud_host || !*u->lud_host) {
                ldap_free_urldesc(u);
                return false;
        }
        snprintf(port, sizeof(port), "%d", u->lud_port ? u->lud_port : 636);
        if (getaddrinfo(u->lud_host, port, &hints, &ai) == 0) {
                for (struct addrinfo *a = ai; a && !ok; a = a->ai_next) {
                        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
                        struct pollfd p = {.fd = fd, .events = POLLOUT};
                        int e = 0;
                        socklen_t el = sizeof(e);
                        if (fd < 0)
                                continue;
                        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
                                ok = true;
                        else if (errno == EINPROGRESS && poll(&p, 1, (int)timeout_s * 1000) == 1 &&
                                 getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
                                ok = true;
                        close(fd);
                }
                freeaddrinfo(ai);
        }
        ldap_free_urldesc(u);
        return ok;
}

static int sasl_quiet(LDAP *ld, unsigned flags, void *defaults, void *in)
{
        (void)ld;
        (void)flags;
        (void)defaults;
        (void)in;
        return LDAP_SUCCESS; /* EXTERNAL asks nothing */
}

static int set_options(struct mailacct_ldap_session *s, struct mailacct_ldap_error *err)
{
        const struct mailacct_ldap_conf *c = s->c;
        int v3 = LDAP_VERSION3, hard = LDAP_OPT_X_TLS_HARD, zero = 0;
        struct timeval tv = s->tv;
        static struct ldap_conncb cb = {.lc_add = conn_add, .lc_del = conn_del};

        if (ldap_set_option(s->ld, LDAP_OPT_CONNECT_CB, &cb) != LDAP_OPT_SUCCESS ||
            ldap_set_option(s->ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
            ldap_set_option(s->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
            ldap_set_option(s->ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
            /* the connect (and TLS handshake), and each synchronous call */
            ldap_set_option(s->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(s->ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            /* a certificate that does not verify, or names another host, is refused */
            ldap_set_option(s->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard) != LDAP_OPT_SUCCESS ||
            (c->tls_ca && ldap_set_option(s->ld, LDAP_OPT_X_TLS_CACERTFILE, c->tls_ca) != LDAP_OPT_SUCCESS) ||
            ldap_set_option(s->ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS)
                return fail(err, MAILACCT_LDAP_CONFIG, LDAP_PARAM_ERROR, s->uri,
                            "TLS settings refused by libldap (tls_ca \"%s\" unreadable?)", c->tls_ca ? c->tls_ca : "");
        return 0;
}

static int do_bind(struct mailacct_ldap_session *s, const char *scheme, const char *password,
                   struct mailacct_ldap_error *err)
{
        const struct mailacct_ldap_conf *c = s->c;
        int rc;

        if (c->bind_dn) {
                struct berval cred = {.bv_val = (char *)password, .bv_len = password ? strlen(password) : 0};
                /* an empty password is an unauthenticated bind, which succeeds:
                 * never taken for a bind as the DN */
                if (!cred.bv_len)
                        return fail(err, MAILACCT_LDAP_CONFIG, LDAP_INVALID_CREDENTIALS, s->uri,
                                    "bind as %s: the password file gives an empty password", c->bind_dn);
                rc = ldap_sasl_bind_s(s->ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
                snprintf(s->bind_text, sizeof(s->bind_text), "simple as %s", c->bind_dn);
                s->bind = s->bind_text;
                if (rc != LDAP_SUCCESS) {
                        char what[1100];
                        snprintf(what, sizeof(what), "bind as %s", c->bind_dn);
                        return ldap_fail(err, s->ld, rc, s->uri, what);
                }
        } else if (strcmp(scheme, "ldapi") == 0) {
                rc = ldap_sasl_interactive_bind_s(s->ld, NULL, "EXTERNAL", NULL, NULL, LDAP_SASL_QUIET, sasl_quiet,
                                                  NULL);
                s->bind = "SASL EXTERNAL";
                if (rc != LDAP_SUCCESS)
                        return ldap_fail(err, s->ld, rc, s->uri, "SASL EXTERNAL bind");
        } else
                s->bind = "anonymous";
        return 0;
}

int mailacct_ldap_open(const struct mailacct_ldap_conf *c, const char *uri, const char *password,
                       struct mailacct_ldap_session **out, struct mailacct_ldap_error *err)
{
        struct mailacct_ldap_session *s = calloc(1, sizeof(*s));
        const char *scheme = mailacct_ldap_uri_scheme(uri);
        double t0;
        int rc;

        *out = NULL;
        memset(err, 0, sizeof(*err));
        mailacct_ldap_library_init();
        if (!s || !(s->uri = strdup(uri))) {
                free(s);
                return fail(err, MAILACCT_LDAP_NOMEM, LDAP_NO_MEMORY, uri, "out of memory");
        }
        s->c = c;
        s->tv.tv_sec = c->timeout;
        if (!scheme) {
                mailacct_ldap_close(s);
                return fail(err, MAILACCT_LDAP_CONFIG, LDAP_PARAM_ERROR, uri,
                            "not an ldap://, ldaps:// or ldapi:// uri");
        }
        rc = ldap_initialize(&s->ld, uri);
        if (rc != LDAP_SUCCESS) {
                mailacct_ldap_close(s);
                return fail(err, MAILACCT_LDAP_CONFIG, rc, uri, "not a uri libldap takes: %s", ldap_err2string(rc));
        }
        if (set_options(s, err) < 0) {
                mailacct_ldap_close(s);
                return -1;
        }
        t0 = now();
        watch_start(c->timeout);
        rc = ldap_connect(s->ld);
        if (watch_stop() && rc != LDAP_SUCCESS) {
                fail(err, MAILACCT_LDAP_UNREACHABLE, LDAP_TIMEOUT, uri,
                     "connect: no answer within %u s (the TLS handshake hung)", c->timeout);
                mailacct_ldap_close(s);
                return -1;
        }
        if (rc != LDAP_SUCCESS) {
                /* ldaps://: a server that is there and a handshake that failed
                 * look alike to libldap; a quick failure with the port open
                 * is the certificate (a timeout is the server's) */
                if (strcmp(scheme, "ldaps") == 0 && rc == LDAP_SERVER_DOWN && now() - t0 < 0.8 * c->timeout &&
                    tcp_reachable(uri, c->timeout)) {
                        fail(err, MAILACCT_LDAP_CONFIG, rc, uri,
                             "TLS handshake failed: the server's certificate does not verify against %s%s or does not "
                             "name the host",
                             c->tls_ca ? "tls_ca " : "the system's trust store", c->tls_ca ? c->tls_ca : "");
                } else
                        ldap_fail(err, s->ld, rc, uri,
                                  now() - t0 >= 0.8 * c->timeout ? "connect (timed out)" : "connect");
                mailacct_ldap_close(s);
                return -1;
        }
        s->tls = strcmp(scheme, "ldaps") == 0 ? "ldaps" : strcmp(scheme, "ldapi") == 0 ? "none (ldapi://)" : "none";
        if (strcmp(scheme, "ldap") == 0 && c->starttls) {
                t0 = now();
                watch_start(c->timeout);
                rc = ldap_start_tls_s(s->ld, NULL, NULL);
                if (watch_stop() && rc != LDAP_SUCCESS) {
                        fail(err, MAILACCT_LDAP_UNREACHABLE, LDAP_TIMEOUT, uri,
                             "StartTLS: no answer within %u s (the TLS handshake hung)", c->timeout);
                        mailacct_ldap_close(s);
                        return -1;
                }
                if (rc != LDAP_SUCCESS) {
                        /* connected already: what fails now is the server's
                         * answer or the handshake, unless it stopped answering */
                        if (rc == LDAP_CONNECT_ERROR && now() - t0 < 0.8 * c->timeout)
                                fail(err, MAILACCT_LDAP_CONFIG, rc, uri,
                                     "StartTLS handshake failed: the server's certificate does not verify against "
                                     "%s%s or does not name the host",
                                     c->tls_ca ? "tls_ca " : "the system's trust store", c->tls_ca ? c->tls_ca : "");
                        else
                                ldap_fail(err, s->ld, rc, uri, "StartTLS");
                        mailacct_ldap_close(s);
                        return -1;
                }
                s->tls = "StartTLS";
        }
        if (do_bind(s, scheme, password, err) < 0) {
                mailacct_ldap_close(s);
                return -1;
        }
        *out = s;
        return 0;
}

void mailacct_ldap_close(struct mailacct_ldap_session *s)
{
        if (!s)
                return;
        if (s->ld)
                ldap_unbind_ext_s(s->ld, NULL, NULL);
        free(s->uri);
        free(s);
}

const char *mailacct_ldap_session_tls(const struct mailacct_ldap_session *s)
{
        return s->tls;
}

const char *mailacct_ldap_session_bind(const struct mailacct_ldap_session *s)
{
        return s->bind;
}

const char *mailacct_ldap_session_uri(const struct mailacct_ldap_session *s)
{
        return s->uri;
}

/* ---- searching -------------------------------------------------------------- */

/* What one entry's message is turned into, reused from entry to entry. */
struct scratch {
        char *buf; /* the DN and the attribute names, NUL-terminated */
        size_t len, cap;
        struct mailacct_ldap_attr *attrs;
        size_t n_attrs, cap_attrs;
        struct berval **bvals; /* libldap's value arrays, freed per entry */
        size_t cap_bvals;
        struct mailacct_ldap_val *vals;
        size_t n_vals, cap_vals;
};

static bool grow(void **v, size_t *cap, size_t need, size_t size)
{
        size_t nc;
        void *nv;

        if (need <= *cap)
                return true;
        nc = *cap ? *cap : 32;
        while (nc < need)
                nc *= 2;
        nv = realloc(*v, nc * size);
        if (!nv)
                return false;
        *v = nv;
        *cap = nc;
        return true;
}

/* offset of a NUL-terminated copy of bv in the scratch buffer, or -1 */
static long keep(struct scratch *x, const struct berval *bv)
{
        long at = (long)x->len;

        if (!grow((void **)&x->buf, &x->cap, x->len + bv->bv_len + 1, 1))
                return -1;
        memcpy(x->buf + x->len, bv->bv_val, bv->bv_len);
        x->buf[x->len + bv->bv_len] = '\0';
        x->len += bv->bv_len + 1;
        return at;
}

static void scratch_free(struct scratch *x)
{
        free(x->buf);
        free(x->attrs);
        free(x->bvals);
        free(x->vals);
}

/* Hands one entry message to fn. 0, 1 (fn stopped), -ENOMEM, -EBADMSG. */
static int one_entry(struct mailacct_ldap_session *s, LDAPMessage *msg, enum mailacct_ldap_kind kind,
                     const char *key_attr, int (*fn)(void *ctx, const struct mailacct_ldap_entry *e), void *ctx,
                     struct scratch *x)
{
        struct mailacct_ldap_entry e = {.kind = kind};
        BerElement *ber = NULL;
        struct berval dn, name, *vals = NULL;
        long dn_at;
        int rc, r = 0;

        x->len = x->n_attrs = x->n_vals = 0;
        if (ldap_get_dn_ber(s->ld, msg, &ber, &dn) != LDAP_SUCCESS)
                return -EBADMSG;
        if ((dn_at = keep(x, &dn)) < 0) {
                ber_free(ber, 0);
                return -ENOMEM;
        }
        /* the values stay in the message (no copy); each attribute's array
         * is libldap's, freed below */
        for (rc = ldap_get_attribute_ber(s->ld, msg, ber, &name, &vals); rc == LDAP_SUCCESS && name.bv_val;
             rc = ldap_get_attribute_ber(s->ld, msg, ber, &name, &vals)) {
                long at = keep(x, &name);
                size_t n = 0;
                while (vals && vals[n].bv_val)
                        n++;
                if (at < 0 || !grow((void **)&x->attrs, &x->cap_attrs, x->n_attrs + 1, sizeof(*x->attrs)) ||
                    !grow((void **)&x->bvals, &x->cap_bvals, x->n_attrs + 1, sizeof(*x->bvals)) ||
                    !grow((void **)&x->vals, &x->cap_vals, x->n_vals + n, sizeof(*x->vals))) {
                        ber_memfree(vals);
                        r = -ENOMEM;
                        break;
                }
                /* names are offsets until the buffer stops moving */
                x->attrs[x->n_attrs].name = (const char *)(uintptr_t)at;
                x->attrs[x->n_attrs].v = (const struct mailacct_ldap_val *)(uintptr_t)x->n_vals;
                x->attrs[x->n_attrs].n = n;
                x->bvals[x->n_attrs] = vals;
                for (size_t k = 0; k < n; k++)
                        x->vals[x->n_vals + k] = (struct mailacct_ldap_val){vals[k].bv_val, vals[k].bv_len};
                x->n_vals += n;
                x->n_attrs++;
                vals = NULL;
        }
        if (r == 0 && rc != LDAP_SUCCESS)
                r = -EBADMSG;
        if (r == 0) {
                for (size_t i = 0; i < x->n_attrs; i++) {
                        x->attrs[i].name = x->buf + (uintptr_t)x->attrs[i].name;
                        x->attrs[i].v = x->vals + (uintptr_t)x->attrs[i].v;
                        if (key_attr && strcasecmp(x->attrs[i].name, key_attr) == 0 && x->attrs[i].n == 1) {
                                e.key = x->attrs[i].v[0].p;
                                e.key_len = x->attrs[i].v[0].len;
                        }
                }
                e.dn = x->buf + dn_at;
                e.dn_len = dn.bv_len;
                e.attrs = x->attrs;
                e.n_attrs = x->n_attrs;
                r = fn(ctx, &e) ? 1 : 0;
        }
        for (size_t i = 0; i < x->n_attrs; i++)
                ber_memfree(x->bvals[i]);
        ber_free(ber, 0);
        return r;
}

/* Waits for the next message of msgid; 0 with *msg, or -1 with err. */
static int next_message(struct mailacct_ldap_session *s, int msgid, LDAPMessage **msg, const char *what,
                        struct mailacct_ldap_error *err)
{
        struct timeval tv = s->tv;
        int rc = ldap_result(s->ld, msgid, LDAP_MSG_ONE, &tv, msg);

        if (rc == 0) {
                ldap_abandon_ext(s->ld, msgid, NULL, NULL);
                return fail(err, MAILACCT_LDAP_UNREACHABLE, LDAP_TIMEOUT, s->uri, "%s: no answer within %u s", what,
                            s->c->timeout);
        }
        if (rc < 0) {
                int code = LDAP_OTHER;
                ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &code);
                return ldap_fail(err, s->ld, code, s->uri, what);
        }
        return 0;
}

/* A paged search, with one more control when extra is given (AD's Show
 * Deleted for the uSNChanged run). */
static int search_with(struct mailacct_ldap_session *s, const char *base, const char *filter,
                       enum mailacct_ldap_kind kind, const char *const *attrs, const char *key_attr,
                       int (*fn)(void *ctx, const struct mailacct_ldap_entry *e), void *ctx, size_t *count,
                       LDAPControl *extra, struct mailacct_ldap_error *err)
{
        static char no_attrs_name[] = LDAP_NO_ATTRS;
        static char *no_attrs[] = {no_attrs_name, NULL};
        struct berval cookie = {0, NULL};
        struct scratch x = {0};
        char what[1200];
        int ret = -1;

        *count = 0;
        snprintf(what, sizeof(what), "search of %s for %s", base, filter);
        do {
                LDAPControl *page = NULL, *ctrls[3] = {NULL, NULL, NULL}, **sctrls = NULL, *pr;
                struct timeval tv = s->tv;
                LDAPMessage *msg = NULL;
                int msgid, rc, code = LDAP_SUCCESS, done = 0;
                char *matched = NULL, *text = NULL;
                struct berval next = {0, NULL};
                ber_int_t estimate;

                /* critical: a server that cannot page must not answer with
                 * whatever its size limit lets through */
                rc = ldap_create_page_control(s->ld, (ber_int_t)s->c->page_size, &cookie, 1, &page);
                if (rc != LDAP_SUCCESS) {
                        ldap_fail(err, s->ld, rc, s->uri, "paged results control");
                        goto out;
                }
                ctrls[0] = page;
                ctrls[1] = extra;
                rc = ldap_search_ext(s->ld, base, LDAP_SCOPE_SUBTREE, filter, attrs ? (char **)attrs : no_attrs, 0,
                                     ctrls, NULL, &tv, LDAP_NO_LIMIT, &msgid);
                ldap_control_free(page);
                if (rc != LDAP_SUCCESS) {
                        ldap_fail(err, s->ld, rc, s->uri, what);
                        goto out;
                }
                while (!done) {
                        if (next_message(s, msgid, &msg, what, err) < 0)
                                goto out;
                        switch (ldap_msgtype(msg)) {
                        case LDAP_RES_SEARCH_ENTRY:
                                (*count)++;
                                if (fn) {
                                        int r = one_entry(s, msg, kind, key_attr, fn, ctx, &x);
                                        if (r != 0) {
                                                ldap_msgfree(msg);
                                                ldap_abandon_ext(s->ld, msgid, NULL, NULL);
                                                if (r == 1)
                                                        fail(err, MAILACCT_LDAP_STOPPED, 0, s->uri, "stopped");
                                                else if (r == -ENOMEM)
                                                        fail(err, MAILACCT_LDAP_NOMEM, LDAP_NO_MEMORY, s->uri,
                                                             "out of memory");
                                                else
                                                        fail(err, MAILACCT_LDAP_UNREACHABLE, LDAP_DECODING_ERROR,
                                                             s->uri, "%s: an entry that does not decode", what);
                                                goto out;
                                        }
                                }
                                break;
                        case LDAP_RES_SEARCH_REFERENCE:
                                /* another partition (AD): not followed; its base is listed if wanted */
                                break;
                        case LDAP_RES_SEARCH_RESULT:
                                done = 1;
                                rc = ldap_parse_result(s->ld, msg, &code, &matched, &text, NULL, &sctrls, 0);
                                if (rc != LDAP_SUCCESS)
                                        code = rc;
                                break;
                        default:
                                break;
                        }
                        ldap_msgfree(msg);
                        msg = NULL;
                }
                if (code != LDAP_SUCCESS) {
                        if (code == LDAP_NO_SUCH_OBJECT)
                                fail(err, MAILACCT_LDAP_CONFIG, code, s->uri, "base %s does not exist: %s (%d)%s%s",
                                     base, ldap_err2string(code), code, matched && *matched ? "; the server has " : "",
                                     matched ? matched : "");
                        else if (code == LDAP_SIZELIMIT_EXCEEDED || code == LDAP_ADMINLIMIT_EXCEEDED)
                                fail(err, MAILACCT_LDAP_CONFIG, code, s->uri,
                                     "%s: %s (%d): the server sent part of the directory only; raise its limit for "
                                     "the bind_dn (slapd: limits ... size.prtotal=unlimited)",
                                     what, ldap_err2string(code), code);
                        else
                                fail(err, classify(code), code, s->uri, "%s: %s (%d)%s%s", what, ldap_err2string(code),
                                     code, text && *text ? ": " : "", text ? text : "");
                        ldap_memfree(matched);
                        ldap_memfree(text);
                        ldap_controls_free(sctrls);
                        goto out;
                }
                ldap_memfree(matched);
                ldap_memfree(text);
                pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls, NULL);
                if (!pr) {
                        ldap_controls_free(sctrls);
                        /* a server that ignored the (critical) control */
                        fail(err, MAILACCT_LDAP_CONFIG, LDAP_UNAVAILABLE_CRITICAL_EXTENSION, s->uri,
                             "%s: the server answered without paging (RFC 2696)", what);
                        goto out;
                }
                rc = ldap_parse_pageresponse_control(s->ld, pr, &estimate, &next);
                ldap_controls_free(sctrls);
                if (rc != LDAP_SUCCESS) {
                        ldap_fail(err, s->ld, rc, s->uri, "paged results response");
                        goto out;
                }
                ber_memfree(cookie.bv_val);
                cookie = next;
        } while (cookie.bv_val && cookie.bv_len > 0);
        ret = 0;
out:
        ber_memfree(cookie.bv_val);
        scratch_free(&x);
        return ret;
}

int mailacct_ldap_search(struct mailacct_ldap_session *s, const char *base, const char *filter,
                         enum mailacct_ldap_kind kind, const char *const *attrs, const char *key_attr,
                         int (*fn)(void *ctx, const struct mailacct_ldap_entry *e), void *ctx, size_t *count,
                         struct mailacct_ldap_error *err)
{
        return search_with(s, base, filter, kind, attrs, key_attr, fn, ctx, count, NULL, err);
}

/* ---- Active Directory's uSNChanged ---------------------------------------------- */

/* Show Deleted (MS-ADTS 3.1.1.3.4.1.14): tombstones keep their objectGUID
 * and take a new uSNChanged as they are deleted. Critical: a server that
 * ignored it would hide every deletion. */
static char show_deleted_oid[] = "1.2.840.113556.1.4.417";

/* The first value of attr of the entry dn (a base search, with ctrls):
 * 1 with *v (free with ldap_value_free_len), 0 when the entry or the value
 * cannot be read, -1 with err when the server could not be asked. */
static int base_value(struct mailacct_ldap_session *s, const char *dn, char *attr, LDAPControl **ctrls,
                      struct berval ***v, struct mailacct_ldap_error *err)
{
        char *attrs[] = {attr, NULL};
        struct timeval tv = s->tv;
        LDAPMessage *res = NULL, *e;
        int rc = ldap_search_ext_s(s->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, ctrls, NULL, &tv, 1, &res);

        *v = NULL;
        if (rc != LDAP_SUCCESS && classify(rc) != MAILACCT_LDAP_CONFIG) {
                ldap_msgfree(res);
                return ldap_fail(err, s->ld, rc, s->uri, dn);
        }
        if (rc == LDAP_SUCCESS && (e = ldap_first_entry(s->ld, res)))
                *v = ldap_get_values_len(s->ld, e, attr);
        ldap_msgfree(res);
        if (*v && !(*v)[0]) {
                ldap_value_free_len(*v);
                *v = NULL;
        }
        return *v ? 1 : 0;
}

int mailacct_ldap_usn_touched(struct mailacct_ldap_session *s, const char *nc, unsigned long long since,
                              int (*fn)(void *ctx, const struct mailacct_ldap_entry *e), void *ctx, size_t *count,
                              struct mailacct_ldap_error *err)
{
        static const char *const attrs[] = {"objectGUID", NULL};
        LDAPControl deleted = {.ldctl_oid = show_deleted_oid, .ldctl_iscritical = 1};
        char filter[64];

        if (since == ULLONG_MAX)
                return fail(err, MAILACCT_LDAP_CONFIG, LDAP_PARAM_ERROR, s->uri,
                            "highestCommittedUSN %llu: nothing above it to ask for", since);
        /* uSNChanged >= since + 1: LDAP filters have no "greater than" */
        snprintf(filter, sizeof(filter), "(uSNChanged>=%llu)", since + 1);
        return search_with(s, nc, filter, MAILACCT_LDAP_MAILBOX, attrs, "objectGUID", fn, ctx, count, &deleted, err);
}

int mailacct_ldap_deleted_readable(struct mailacct_ldap_session *s, const char *nc, struct mailacct_ldap_error *err)
{
        static char guid[] = "objectGUID";
        LDAPControl deleted = {.ldctl_oid = show_deleted_oid, .ldctl_iscritical = 1}, *ctrls[] = {&deleted, NULL};
        struct berval **v;
        char dn[1200];
        int r;

        /* the well-known GUID of the Deleted Objects container (MS-ADTS
         * 6.1.1.4), wherever the domain keeps it */
        if ((size_t)snprintf(dn, sizeof(dn), "<WKGUID=18E2EA80684F11D2B9AA00C04F79F805,%s>", nc) >= sizeof(dn))
                return 0;
        r = base_value(s, dn, guid, ctrls, &v, err);
        ldap_value_free_len(v);
        return r;
}

/* ---- the root DSE and AD's domains -------------------------------------------- */

static int first_value(LDAP *ld, LDAPMessage *e, const char *attr, char *buf, size_t len)
{
        struct berval **v = ldap_get_values_len(ld, e, attr);
        int found = 0;

        buf[0] = '\0';
        if (v && v[0] && v[0]->bv_len < len && !memchr(v[0]->bv_val, '\0', v[0]->bv_len)) {
                memcpy(buf, v[0]->bv_val, v[0]->bv_len);
                buf[v[0]->bv_len] = '\0';
                found = 1;
        }
        ldap_value_free_len(v);
        return found;
}

/* The invocationId of the DC's NTDS Settings object (dsServiceName), in
 * hex: 0, or -1 when there is none to read (that DC is not judged by USN). */
static int invocation_of(struct mailacct_ldap_session *s, const char *service, char out[33])
{
        static char a0[] = "invocationId";
        static const char hex[] = "0123456789abcdef";
        struct mailacct_ldap_error err;
        struct berval **v = NULL;
        int r = -1;

        out[0] = '\0';
        if (*service && base_value(s, service, a0, NULL, &v, &err) == 1 && v[0]->bv_len == 16) {
                for (size_t i = 0; i < 16; i++) {
                        out[2 * i] = hex[(unsigned char)v[0]->bv_val[i] >> 4];
                        out[2 * i + 1] = hex[(unsigned char)v[0]->bv_val[i] & 15];
                }
                out[32] = '\0';
                r = 0;
        }
        ldap_value_free_len(v);
        return r;
}

int mailacct_ldap_root_dse(struct mailacct_ldap_session *s, struct mailacct_ldap_root *root,
                           struct mailacct_ldap_error *err)
{
        static char a0[] = "supportedControl", a1[] = "configurationNamingContext", a2[] = "highestCommittedUSN",
                    a3[] = "dsServiceName";
        static char *attrs[] = {a0, a1, a2, a3, NULL};
        char service[1024];
        struct timeval tv = s->tv;
        LDAPMessage *res = NULL, *e;
        int rc;

        memset(root, 0, sizeof(*root));
        snprintf(root->method, sizeof(root->method), "none");
        rc = ldap_search_ext_s(s->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL, &tv, 1, &res);
        if (rc != LDAP_SUCCESS) {
                ldap_msgfree(res);
                /* a server that hides its root DSE still serves the directory */
                if (classify(rc) == MAILACCT_LDAP_CONFIG)
                        return 0;
                return ldap_fail(err, s->ld, rc, s->uri, "root DSE");
        }
        e = ldap_first_entry(s->ld, res);
        if (e) {
                struct berval **v = ldap_get_values_len(s->ld, e, "supportedControl");
                bool sync = false, dirsync = false;
                for (size_t i = 0; v && v[i]; i++) {
                        if (v[i]->bv_len == 24 && memcmp(v[i]->bv_val, "1.3.6.1.4.1.4203.1.9.1.1", 24) == 0)
                                sync = true;
                        if (v[i]->bv_len == 22 && memcmp(v[i]->bv_val, "1.2.840.113556.1.4.841", 22) == 0)
                                dirsync = true;
                }
                ldap_value_free_len(v);
                first_value(s->ld, e, "configurationNamingContext", root->configuration, sizeof(root->configuration));
                first_value(s->ld, e, "highestCommittedUSN", root->usn, sizeof(root->usn));
                first_value(s->ld, e, "dsServiceName", service, sizeof(service));
                root->dirsync = dirsync;
                /* uSNChanged before DirSync: it needs no more than read
                 * access and sends whole entries (DirSync wants the
                 * "Replicating Directory Changes" right and sends only the
                 * attributes that changed) */
                snprintf(root->method, sizeof(root->method), "%s",
                         sync           ? "rfc4533"
                         : root->usn[0] ? "usn"
                         : dirsync      ? "dirsync"
                                        : "none");
        }
        ldap_msgfree(res);
        /* a USN counts one DC's writes only: its database's invocationId
         * names the counter (another DC, or this one restored from a
         * backup, has another) */
        if (strcmp(root->method, "usn") == 0 && invocation_of(s, service, root->invocation) < 0)
                snprintf(root->method, sizeof(root->method), "%s", root->dirsync ? "dirsync" : "none");
        return 0;
}

struct netbios_ctx {
        int (*fn)(void *ctx, const char *dns, const char *netbios);
        void *ctx;
        const char *nc_attr, *nb_attr;
};

static int one_crossref(void *ctx, const struct mailacct_ldap_entry *e)
{
        struct netbios_ctx *n = ctx;
        const struct mailacct_ldap_val *nc = NULL, *nb = NULL;
        char dn[1024], netbios[64], dns[256];

        for (size_t i = 0; i < e->n_attrs; i++) {
                if (strcasecmp(e->attrs[i].name, "nCName") == 0 && e->attrs[i].n == 1)
                        nc = &e->attrs[i].v[0];
                if (strcasecmp(e->attrs[i].name, "nETBIOSName") == 0 && e->attrs[i].n == 1)
                        nb = &e->attrs[i].v[0];
        }
        if (!nc || !nb || nc->len >= sizeof(dn) || nb->len >= sizeof(netbios) || memchr(nb->p, '\0', nb->len) ||
            memchr(nc->p, '\0', nc->len))
                return 0;
        memcpy(dn, nc->p, nc->len);
        dn[nc->len] = '\0';
        memcpy(netbios, nb->p, nb->len);
        netbios[nb->len] = '\0';
        if (mailacct_ldap_dn_domain(dn, nc->len, dns, sizeof(dns)) < 0)
                return 0;
        return n->fn(n->ctx, dns, netbios);
}

int mailacct_ldap_netbios_names(struct mailacct_ldap_session *s, const struct mailacct_ldap_root *root,
                                int (*fn)(void *ctx, const char *dns, const char *netbios), void *ctx,
                                struct mailacct_ldap_error *err)
{
        static const char *const attrs[] = {"nCName", "nETBIOSName", NULL};
        struct netbios_ctx n = {fn, ctx, "nCName", "nETBIOSName"};
        char base[1100];
        size_t count;

        if (!root->configuration[0])
                return 0;
        snprintf(base, sizeof(base), "CN=Partitions,%s", root->configuration);
        if (mailacct_ldap_search(s, base, "(&(objectClass=crossRef)(nETBIOSName=*))", MAILACCT_LDAP_MAILBOX, attrs,
                                 NULL, one_crossref, &n, &count, err) < 0) {
                /* an account that may not read the configuration partition:
                 * the file's netbios names, or the DNS names, serve */
                if (err->kind == MAILACCT_LDAP_CONFIG) {
                        memset(err, 0, sizeof(*err));
                        return 0;
                }
                return -1;
        }
        return 0;
}

/* ---- RFC 4533 content synchronisation (refreshOnly) ---------------------------- */

struct sync_run {
        struct mailacct_ldap_session *s;
        enum mailacct_ldap_kind kind;
        const char *key_attr;
        const struct mailacct_ldap_sync_ops *ops;
        void *ctx;
        struct scratch x;
        int failed;         /* a callback's error: 1 stopped, -errno */
        int code;           /* the search's result code */
        bool done, deletes; /* the result came; refreshDeletes */
        size_t received;
};

/* libldap's refreshOnly loop waits on the server without a limit: every
 * message that comes sets the watchdog again (pull.c's, which shuts the
 * socket down), so a server that stops answering midway ends the run
 * within the timeout instead of never. */
static void sync_alive(const struct sync_run *r)
{
        struct itimerval it = {.it_value = {.tv_sec = r->s->c->timeout}};

        setitimer(ITIMER_REAL, &it, NULL);
}

/* An entryUUID of the sync state control (16 bytes) as slapd spells the
 * attribute: lower-case hex, 8-4-4-4-12. */
static bool uuid_text(const struct berval *u, char out[37])
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        if (!u || u->bv_len != 16)
                return false;
        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[(unsigned char)u->bv_val[i] >> 4];
                out[o++] = hex[(unsigned char)u->bv_val[i] & 15];
        }
        out[o] = '\0';
        return true;
}

static int sync_uuid(struct sync_run *r, const struct berval *u, bool present)
{
        char text[37];

        if (!uuid_text(u, text)) {
                r->failed = -EBADMSG;
                return 1;
        }
        r->failed = r->ops->uuid(r->ctx, text, present);
        return r->failed ? 1 : 0;
}

static int sync_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid, ldap_sync_refresh_t phase)
{
        struct sync_run *r = ls->ls_private;

        sync_alive(r);
        r->received++;
        switch (phase) {
        case LDAP_SYNC_CAPI_ADD:
        case LDAP_SYNC_CAPI_MODIFY:
                r->failed = one_entry(r->s, msg, r->kind, r->key_attr, r->ops->entry, r->ctx, &r->x);
                return r->failed ? 1 : 0;
        case LDAP_SYNC_CAPI_PRESENT:
        case LDAP_SYNC_CAPI_DELETE:
                return sync_uuid(r, uuid, phase == LDAP_SYNC_CAPI_PRESENT);
        default:
                return 0;
        }
}

static int sync_reference(ldap_sync_t *ls, LDAPMessage *msg)
{
        (void)msg;
        sync_alive(ls->ls_private);
        return 0;
}

static int sync_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids, ldap_sync_refresh_t phase)
{
        struct sync_run *r = ls->ls_private;

        (void)msg;
        sync_alive(r);
        if (phase != LDAP_SYNC_CAPI_PRESENTS_IDSET && phase != LDAP_SYNC_CAPI_DELETES_IDSET)
                return 0;
        for (size_t i = 0; uuids && uuids[i].bv_val; i++)
                if (sync_uuid(r, &uuids[i], phase == LDAP_SYNC_CAPI_PRESENTS_IDSET))
                        return 1;
        return 0;
}

static int sync_result(ldap_sync_t *ls, LDAPMessage *msg, int refresh_deletes)
{
        struct sync_run *r = ls->ls_private;
        int code = LDAP_OTHER;

        /* the code itself: libldap's return does not always carry it */
        if (ldap_parse_result(ls->ls_ld, msg, &code, NULL, NULL, NULL, NULL, 0) != LDAP_SUCCESS)
                code = LDAP_OTHER;
        r->code = code;
        r->done = true;
        r->deletes = refresh_deletes != 0;
        return 0;
}

int mailacct_ldap_sync(struct mailacct_ldap_session *s, const char *base, const char *filter,
                       enum mailacct_ldap_kind kind, const char *const *attrs, const char *key_attr, const void *cookie,
                       size_t cookie_len, const struct mailacct_ldap_sync_ops *ops, void *ctx,
                       struct mailacct_ldap_sync_result *res, struct mailacct_ldap_error *err)
{
        static char no_attrs_name[] = LDAP_NO_ATTRS;
        static char *no_attrs[] = {no_attrs_name, NULL};
        struct sync_run run = {.s = s, .kind = kind, .key_attr = key_attr, .ops = ops, .ctx = ctx};
        ldap_sync_t ls;
        char what[1200];
        int rc, ret = -1;
        bool fired;

        memset(res, 0, sizeof(*res));
        snprintf(what, sizeof(what), "content sync (RFC 4533) of %s for %s", base, filter);
        ldap_sync_initialize(&ls);
        ls.ls_base = (char *)base;
        ls.ls_scope = LDAP_SCOPE_SUBTREE;
        ls.ls_filter = (char *)filter;
        ls.ls_attrs = attrs ? (char **)attrs : no_attrs;
        ls.ls_timelimit = 0;
        ls.ls_sizelimit = 0;
        ls.ls_timeout = (int)s->c->timeout;
        ls.ls_search_entry = sync_entry;
        ls.ls_search_reference = sync_reference;
        ls.ls_intermediate = sync_intermediate;
        ls.ls_search_result = sync_result;
        ls.ls_private = &run;
        ls.ls_ld = s->ld;
        if (cookie && cookie_len && !ber_mem2bv((char *)cookie, cookie_len, 1, &ls.ls_cookie))
                return fail(err, MAILACCT_LDAP_NOMEM, LDAP_NO_MEMORY, s->uri, "out of memory");
        watch_start(s->c->timeout);
        rc = ldap_sync_init_refresh_only(&ls);
        fired = watch_stop();
        if (run.failed) {
                if (run.failed == 1)
                        fail(err, MAILACCT_LDAP_STOPPED, 0, s->uri, "stopped");
                else if (run.failed == -ENOMEM)
                        fail(err, MAILACCT_LDAP_NOMEM, LDAP_NO_MEMORY, s->uri, "out of memory");
                else
                        fail(err, MAILACCT_LDAP_UNREACHABLE, LDAP_DECODING_ERROR, s->uri,
                             "%s: a message that does not decode", what);
                goto out;
        }
        if (fired) {
                fail(err, MAILACCT_LDAP_UNREACHABLE, LDAP_TIMEOUT, s->uri, "%s: no answer within %u s", what,
                     s->c->timeout);
                goto out;
        }
        if (run.done && run.code != LDAP_SUCCESS)
                rc = run.code;
        if (rc == LDAP_SYNC_REFRESH_REQUIRED) {
                fail(err, MAILACCT_LDAP_REFRESH, rc, s->uri,
                     "%s: the server cannot continue from the state (e-syncRefreshRequired)", what);
                goto out;
        }
        /* slapd's answer to a cookie newer than its own state: a replica
         * that is behind the server the cookie came from */
        if (cookie_len && rc == LDAP_UNWILLING_TO_PERFORM) {
                char diag[600];
                fail(err, MAILACCT_LDAP_REFRESH, rc, s->uri, "%s: the server refuses the state: %s (%d)%s", what,
                     ldap_err2string(rc), rc, diag_of(s->ld, diag, sizeof(diag)));
                goto out;
        }
        if (rc != LDAP_SUCCESS || !run.done) {
                if (rc == LDAP_SUCCESS)
                        rc = LDAP_OTHER;
                ldap_fail(err, s->ld, rc, s->uri, what);
                goto out;
        }
        if (ls.ls_cookie.bv_val && ls.ls_cookie.bv_len) {
                res->cookie = malloc(ls.ls_cookie.bv_len);
                if (!res->cookie) {
                        fail(err, MAILACCT_LDAP_NOMEM, LDAP_NO_MEMORY, s->uri, "out of memory");
                        goto out;
                }
                memcpy(res->cookie, ls.ls_cookie.bv_val, ls.ls_cookie.bv_len);
                res->cookie_len = ls.ls_cookie.bv_len;
        }
        res->refresh_deletes = run.deletes;
        res->received = run.received;
        ret = 0;
out:
        ber_memfree(ls.ls_cookie.bv_val);
        scratch_free(&run.x);
        return ret;
}

/* ---- RFC 4533 refreshAndPersist: waiting for a change --------------------------- */

int mailacct_ldap_persist_start(struct mailacct_ldap_session *s, const char *base, const char *filter,
                                const void *cookie, size_t cookie_len, struct mailacct_ldap_error *err)
{
        static char no_attrs_name[] = LDAP_NO_ATTRS;
        static char *no_attrs[] = {no_attrs_name, NULL};
        struct berval value = {0, NULL}, ck = {cookie_len, (char *)cookie};
        LDAPControl *ctrl = NULL, *ctrls[2] = {NULL, NULL};
        BerElement *ber = ber_alloc_t(LBER_USE_DER);
        int rc, msgid;

        if (!ber)
                return fail(err, MAILACCT_LDAP_NOMEM, LDAP_NO_MEMORY, s->uri, "out of memory");
        /* syncRequestValue: mode, the cookie; reloadHint FALSE is DER's default */
        rc = cookie_len ? ber_printf(ber, "{eO}", (ber_int_t)LDAP_SYNC_REFRESH_AND_PERSIST, &ck)
                        : ber_printf(ber, "{e}", (ber_int_t)LDAP_SYNC_REFRESH_AND_PERSIST);
        if (rc < 0 || ber_flatten2(ber, &value, 0) < 0 ||
            ldap_control_create(LDAP_CONTROL_SYNC, 1, &value, 1, &ctrl) != LDAP_SUCCESS) {
                ber_free(ber, 1);
                return fail(err, MAILACCT_LDAP_NOMEM, LDAP_NO_MEMORY, s->uri, "out of memory");
        }
        ber_free(ber, 1);
        ctrls[0] = ctrl;
        /* no attribute: a change is only a reason to run an incremental sync */
        rc = ldap_search_ext(s->ld, base, LDAP_SCOPE_SUBTREE, filter, no_attrs, 0, ctrls, NULL, NULL, LDAP_NO_LIMIT,
                             &msgid);
        ldap_control_free(ctrl);
        if (rc != LDAP_SUCCESS)
                return ldap_fail(err, s->ld, rc, s->uri, "content sync (refreshAndPersist)");
        return 0;
}

/* Whether an entry message tells a change: its sync state is add, modify
 * or delete (present: the entry is as the cookie knew it). */
static bool entry_changed(LDAP *ld, LDAPMessage *msg)
{
        LDAPControl **ctrls = NULL, *st;
        BerElement *ber;
        ber_int_t state = LDAP_SYNC_ADD;

        if (ldap_get_entry_controls(ld, msg, &ctrls) != LDAP_SUCCESS)
                return true;
        st = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL);
        if (st && (ber = ber_init(&st->ldctl_value))) {
                if (ber_scanf(ber, "{e", &state) == LBER_ERROR)
                        state = LDAP_SYNC_ADD;
                ber_free(ber, 1);
        }
        ldap_controls_free(ctrls);
        return state != LDAP_SYNC_PRESENT;
}

/* Whether a syncInfo message tells a change: a syncIdSet of deletions
 * (refreshDeletes TRUE); the phase markers and a new cookie do not. */
static bool info_changed(LDAP *ld, LDAPMessage *msg)
{
        struct berval *data = NULL;
        char *oid = NULL;
        bool changed = false;

        if (ldap_parse_intermediate(ld, msg, &oid, &data, NULL, 0) != LDAP_SUCCESS)
                return true;
        if (oid && strcmp(oid, LDAP_SYNC_INFO) == 0 && data && data->bv_len &&
            (unsigned char)data->bv_val[0] == LDAP_TAG_SYNC_ID_SET) {
                BerElement *ber = ber_init(data);
                ber_tag_t tag;
                ber_len_t len;
                ber_int_t deletes = 0;
                changed = true;
                if (ber && ber_skip_tag(ber, &len) != LBER_ERROR) {
                        tag = ber_peek_tag(ber, &len);
                        if (tag == LDAP_TAG_SYNC_COOKIE) {
                                struct berval skip;
                                (void)ber_scanf(ber, "m", &skip);
                                tag = ber_peek_tag(ber, &len);
                        }
                        /* refreshDeletes absent: FALSE, the ids are present ones */
                        if (tag == LBER_BOOLEAN && ber_scanf(ber, "b", &deletes) != LBER_ERROR)
                                changed = deletes != 0;
                        else if (tag != LBER_BOOLEAN)
                                changed = false;
                }
                if (ber)
                        ber_free(ber, 1);
        }
        ldap_memfree(oid);
        ber_bvfree(data);
        return changed;
}

int mailacct_ldap_persist_wait(struct mailacct_ldap_session *s, unsigned seconds, struct mailacct_ldap_error *err)
{
        struct timeval tv = {.tv_sec = seconds};
        LDAPMessage *msg = NULL;
        int rc = ldap_result(s->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &msg), type, code = LDAP_OTHER, changed = 0;

        if (rc == 0)
                return 0;
        if (rc < 0) {
                ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &code);
                return ldap_fail(err, s->ld, code, s->uri, "content sync (refreshAndPersist)");
        }
        type = ldap_msgtype(msg);
        if (type == LDAP_RES_SEARCH_ENTRY)
                changed = entry_changed(s->ld, msg);
        else if (type == LDAP_RES_INTERMEDIATE)
                changed = info_changed(s->ld, msg);
        else if (type == LDAP_RES_SEARCH_RESULT) {
                /* the server ended the search (shutting down, or it cannot
                 * continue the state): the caller syncs and starts again */
                if (ldap_parse_result(s->ld, msg, &code, NULL, NULL, NULL, NULL, 0) != LDAP_SUCCESS)
                        code = LDAP_OTHER;
                ldap_msgfree(msg);
                return fail(err, code == LDAP_SYNC_REFRESH_REQUIRED ? MAILACCT_LDAP_REFRESH : classify(code), code,
                            s->uri, "content sync (refreshAndPersist) ended: %s (%d)", ldap_err2string(code), code);
        }
        ldap_msgfree(msg);
        return changed;
}
