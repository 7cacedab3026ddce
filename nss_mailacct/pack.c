/* SPDX-License-Identifier: MIT */
#include "pack.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "login.h"

enum { F_NAME, F_PASSWD, F_GECOS, F_DIR, F_SHELL, F_MAX };

/* Callers such as getent print the entry as a passwd(5) line: a ':' or a
 * newline would shift or split its fields. */
static bool fits_passwd_line(const char *s)
{
        return !strpbrk(s, ":\n");
}

int mailacct_nss_pack_passwd(const struct mailacct_dir *d, uint32_t mbox, struct passwd *pw, char *buf, size_t len)
{
        struct mailacct_pwent e;
        const char *field[F_MAX];
        char *out[F_MAX];
        size_t need = 0, size[F_MAX];
        int r;

        /* the same function names the mailbox in the PAM module's PAM_USER */
        r = mailacct_dir_passwd(d, mbox, &e);
        if (r == -EBADMSG)
                return -EIO; /* a damaged index: UNAVAIL, never a guess */
        if (r < 0)
                return -ENOENT;
        /* A mail login never becomes a second root. */
        if (e.uid == 0)
                return -ENOENT;
        field[F_NAME] = e.name;
        field[F_PASSWD] = "x";
        field[F_GECOS] = e.gecos ? e.gecos : "";
        field[F_DIR] = e.home;
        field[F_SHELL] = e.shell;

        for (int i = 0; i < F_MAX; i++) {
                if (!fits_passwd_line(field[i]))
                        return -ENOENT;
                size[i] = strlen(field[i]) + 1;
                need += size[i];
        }
        if (need > len)
                return -ERANGE;

        for (int i = 0; i < F_MAX; i++) {
                out[i] = memcpy(buf, field[i], size[i]);
                buf += size[i];
        }
        pw->pw_name = out[F_NAME];
        pw->pw_passwd = out[F_PASSWD];
        pw->pw_uid = e.uid;
        pw->pw_gid = e.gid;
        pw->pw_gecos = out[F_GECOS];
        pw->pw_dir = out[F_DIR];
        pw->pw_shell = out[F_SHELL];
        return 0;
}
