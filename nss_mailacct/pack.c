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
        char name[MAILACCT_LOGIN_MAX + 1], home[PATH_MAX];
        const char *field[F_MAX];
        char *out[F_MAX];
        size_t need = 0, size[F_MAX];
        uid_t uid;
        gid_t gid;

        if (mbox >= d->n_mailboxes || mailacct_dir_ids(d, mbox, &uid, &gid) < 0)
                return -ENOENT;
        /* A mail login never becomes a second root. */
        if (uid == 0)
                return -ENOENT;
        /* the same function names the mailbox in the PAM module's PAM_USER */
        if (mailacct_dir_canonical(d, mbox, name, sizeof(name)) < 0 ||
            mailacct_dir_home(d, mbox, home, sizeof(home)) < 0)
                return -ENOENT;
        field[F_NAME] = name;
        field[F_PASSWD] = "x";
        field[F_GECOS] = mailacct_dir_display_name(d, mbox);
        if (!field[F_GECOS])
                field[F_GECOS] = "";
        field[F_DIR] = home;
        field[F_SHELL] = mailacct_dir_shell(d, mbox);
        if (!field[F_SHELL])
                return -EIO; /* a damaged index: UNAVAIL, never a guess */

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
        pw->pw_uid = uid;
        pw->pw_gid = gid;
        pw->pw_gecos = out[F_GECOS];
        pw->pw_dir = out[F_DIR];
        pw->pw_shell = out[F_SHELL];
        return 0;
}
