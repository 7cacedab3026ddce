/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD shim for tests/hardening/memory.sh: the process stops itself
 * (SIGSTOP) as it exits, after main() returned and before its memory is
 * gone, so that the suite can search all of it (/proc/PID/mem) for the
 * password it was given. Loaded first, its destructor runs last. */
#include <signal.h>
#include <stdlib.h>

__attribute__((destructor)) static void stop_at_exit(void)
{
        if (getenv("STOP_AT_EXIT"))
                raise(SIGSTOP);
}
