/* SPDX-License-Identifier: MIT */
/* A step's progress on the terminal: a timer's signal rewrites one line
 * every second once the step has taken one. The step itself (a parse, an
 * index write) runs uninterrupted: SA_RESTART, and the handler
 * only formats digits and calls write(2). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static char label[256];
static size_t label_len;
static struct timespec started;
static volatile sig_atomic_t shown;
static bool running;
static struct sigaction saved;

static void tick(int sig)
{
        char buf[sizeof(label) + 48];
        struct timespec now;
        long s;
        size_t n = 0;
        char digits[24];
        int nd = 0;
        int saved_errno = errno;

        (void)sig;
        clock_gettime(CLOCK_MONOTONIC, &now);
        s = (long)(now.tv_sec - started.tv_sec);
        buf[n++] = '\r';
        memcpy(buf + n, label, label_len);
        n += label_len;
        buf[n++] = ' ';
        do
                digits[nd++] = (char)('0' + s % 10);
        while ((s /= 10) > 0 && nd < (int)sizeof(digits));
        while (nd > 0)
                buf[n++] = digits[--nd];
        memcpy(buf + n, " s\033[K", 5);
        n += 5;
        if (write(STDERR_FILENO, buf, n) > 0)
                shown = 1;
        errno = saved_errno;
}

void cli_progress_stop(void)
{
        static const struct itimerval off;

        if (!running)
                return;
        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &saved, NULL);
        running = false;
        if (shown && write(STDERR_FILENO, "\r\033[K", 4) < 0) {
                /* nothing to be done: the next line overwrites it */
        }
        shown = 0;
}

void cli_progress_start(const struct cli *c, const char *fmt, ...)
{
        const struct itimerval every = {.it_value = {.tv_sec = 1}, .it_interval = {.tv_sec = 1}};
        struct sigaction sa = {.sa_handler = tick, .sa_flags = SA_RESTART};
        va_list ap;
        int n;

        cli_progress_stop();
        if (!c->tty)
                return;
        va_start(ap, fmt);
        n = vsnprintf(label, sizeof(label), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        label_len = (size_t)n < sizeof(label) ? (size_t)n : sizeof(label) - 1;
        clock_gettime(CLOCK_MONOTONIC, &started);
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, &saved) < 0)
                return;
        running = true;
        setitimer(ITIMER_REAL, &every, NULL);
}
