/* SPDX-License-Identifier: MIT */
/* Passwords typed into `mailacct passwd` and `mailacct test`: read with
 * read(2) straight into a locked buffer (stdio would keep a copy in stdin's
 * buffer that no one wipes), the process made non-dumpable, the terminal
 * given its echo back even on Ctrl-C, every copy wiped. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static struct termios saved;
static volatile sig_atomic_t echo_off;

static void restore_terminal(int sig)
{
        if (echo_off)
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        echo_off = 0;
        /* then die of the signal, as the user asked */
        signal(sig, SIG_DFL);
        raise(sig);
}

void cli_secret_protect(void)
{
        struct sigaction sa;

        /* no core dump and no ptrace by the user's other processes */
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = restore_terminal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGQUIT, &sa, NULL);
}

char *cli_secret_alloc(size_t len)
{
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                return NULL;
        /* never swapped out, never in a core file; an mlock refused for
         * RLIMIT_MEMLOCK still leaves a buffer that is wiped */
        (void)mlock(p, len);
        (void)madvise(p, len, MADV_DONTDUMP);
        return p;
}

void cli_secret_free(char *p, size_t len)
{
        if (!p)
                return;
        explicit_bzero(p, len);
        munlock(p, len);
        munmap(p, len);
}

int cli_read_password(const char *prompt, char *buf, size_t len)
{
        return cli_read_line(prompt, true, buf, len);
}

int cli_read_line(const char *prompt, bool hide, char *buf, size_t len)
{
        struct termios quiet;
        bool tty = hide && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
        size_t n = 0;
        int r = 0;

        if (len < 2)
                return -EINVAL;
        if (tty) {
                fprintf(stderr, "%s", prompt);
                fflush(stderr);
                quiet = saved;
                quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
                quiet.c_lflag |= ICANON;
                echo_off = 1;
                if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0) {
                        echo_off = 0;
                        return -errno;
                }
        }
        /* a byte at a time: what follows the line (the next answer) stays
         * in the pipe, and no copy of the line is left in a buffer of ours */
        for (;;) {
                char c;
                ssize_t k = read(STDIN_FILENO, &c, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        break;
                }
                if (k == 0) {
                        if (n == 0)
                                r = -ENODATA;
                        break;
                }
                if (c == '\n')
                        break;
                if (n + 1 >= len) {
                        r = -E2BIG;
                        c = 0;
                        break;
                }
                buf[n++] = c;
                c = 0;
        }
        if (r == -E2BIG) {
                /* the rest of the over-long line is no one's next answer */
                char c;
                while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
                        ;
                c = 0;
        }
        buf[n] = '\0';
        if (tty) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
                echo_off = 0;
                fputc('\n', stderr);
        }
        if (r < 0) {
                explicit_bzero(buf, len);
                return r;
        }
        /* a password never ends in CR (a line from a Windows file) */
        if (n && buf[n - 1] == '\r')
                buf[--n] = '\0';
        return 0;
}
