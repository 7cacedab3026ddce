/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "declare.h"
#include "index.h"
#include "lint.h"
#include "password.h"
#include "secrets.h"
#include "source.h"

/* why as mailacct_index_open() gives it, without the path the finding names */
static const char *after_path(const char *why, const char *path)
{
        size_t n = strlen(path);

        return strncmp(why, path, n) == 0 && why[n] == ':' ? why + n + 2 : why;
}

/* What the modules make of an index: not trusted (someone else could have
 * written it), damaged, of another format, or built from another version of
 * the configuration. A missing index is no finding: the file answers. */
static void index_findings(const char *conf, const char *ipath, bool secrets, struct mailacct_diags *diags)
{
        struct mailacct_index *ix = NULL;
        struct stat st;
        char why[1024];
        int r;

        if (lstat(ipath, &st) < 0)
                return;
        r = secrets ? mailacct_index_open_secrets(ipath, &ix, NULL, why, sizeof(why))
                    : mailacct_index_open(ipath, &ix, why, sizeof(why));
        if (r == -EPERM)
                mailacct_diag_add(diags, MAILACCT_ERROR, ipath, 0,
                                  "%s; the modules ignore it (remove it, then run "
                                  "'mailacct compile')",
                                  after_path(why, ipath));
        else if (r == -EPROTO)
                mailacct_diag_add(diags, MAILACCT_WARNING, ipath, 0, "%s", after_path(why, ipath));
        else if (r < 0)
                mailacct_diag_add(diags, MAILACCT_ERROR, ipath, 0, "%s", after_path(why, ipath));
        else if (!secrets) {
                struct mailacct_source_status sst;
                struct mailacct_diags none;
                struct mailacct_dir *d = NULL;
                /* what a module makes of it: the same policy, the same words */
                mailacct_diags_init(&none);
                (void)mailacct_source_open(conf, &d, &none, &sst);
                if (sst.index == MAILACCT_IX_STALE)
                        mailacct_diag_add(diags, MAILACCT_WARNING, ipath, 0, "%s; %s until 'mailacct compile'",
                                          after_path(sst.note, ipath),
                                          sst.from_index ? "the stale index answers"
                                                         : "the modules parse the configuration");
                mailacct_dir_free(d);
                mailacct_source_status_free(&sst);
                mailacct_diags_clear(&none);
        }
        mailacct_index_close(ix);
}

/* The hashes the last sync kept (INDEX.secrets): how many, of what
 * cost, and whether the modules trust the file; NULL when there is none
 * they would use. */
static struct mailacct_secrets *synced_findings(const char *conf, char *path, size_t len, struct mailacct_diags *diags,
                                                char *status, size_t slen)
{
        struct mailacct_secrets *s = NULL;
        struct mailacct_index *ix = NULL;
        struct mailacct_stamp stamp;
        char ipath[4096], why[1024], setting[64];
        int r;

        if (mailacct_writer_target(conf, ipath, sizeof(ipath)) < 0 ||
            mailacct_secrets_synced_path(ipath, path, len) < 0)
                return NULL;
        r = mailacct_secrets_open_synced(ipath, &s, why, sizeof(why));
        if (r == -ENOENT)
                return NULL;
        if (r < 0) {
                mailacct_diag_add(diags, MAILACCT_ERROR, path, 0,
                                  "%s; pam_mailacct refuses every login while it stands (run 'mailacct sync', or "
                                  "remove it)",
                                  after_path(why, path));
                return NULL;
        }
        mailacct_password_setting(mailacct_secrets_any(s), setting, sizeof(setting));
        if (mailacct_index_open_secrets(path, &ix, NULL, why, sizeof(why)) == 0 &&
            mailacct_index_stamp(ix, 0, &stamp) == 0)
                snprintf(status + strlen(status), slen - strlen(status),
                         "%s%llu password hashes synced from the directory in %s (slowest setting %s)",
                         status[0] ? "; " : "", (unsigned long long)stamp.size, path, setting);
        mailacct_index_close(ix);
        return s;
}

static void json_report(const struct cli *c, const struct mailacct_diags *diags, const struct mailacct_dir *d,
                        const char *sync_status, unsigned caches)
{
        struct cli_json j;

        cli_json_start(&j, stdout);
        cli_json_object(&j, NULL);
        cli_json_str(&j, "config", c->config);
        cli_json_int(&j, "errors", (long long)diags->errors);
        cli_json_int(&j, "warnings", (long long)diags->warnings);
        cli_json_array(&j, "findings");
        for (size_t i = 0; i < diags->n; i++) {
                const struct mailacct_diag *e = &diags->v[i];
                cli_json_object(&j, NULL);
                cli_json_str(&j, "severity", e->severity == MAILACCT_ERROR ? "error" : "warning");
                cli_json_str(&j, "file", e->file ? e->file : c->config);
                if (e->line > 0)
                        cli_json_int(&j, "line", e->line);
                else
                        cli_json_str(&j, "line", NULL);
                cli_json_str(&j, "message", e->text);
                cli_json_end(&j);
        }
        cli_json_end(&j);
        if (d) {
                const struct mailacct_settings *s = mailacct_dir_settings(d);
                cli_json_int(&j, "domains", (long long)s->n_domains);
                cli_json_int(&j, "mailboxes", (long long)s->n_mailboxes);
                cli_json_int(&j, "contacts", (long long)s->n_contacts);
        }
        /* a directory source: the index's age and the last successful sync */
        if (sync_status && *sync_status)
                cli_json_str(&j, "sync", sync_status);
        cli_cache_json(&j, caches);
        cli_json_end(&j);
}

int cmd_check(struct cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"online", no_argument, NULL, 'O'},
                CLI_LONG_COMMON,
                CLI_LONG_JSON,
                {},
        };
        struct mailacct_file_info info = {0};
        struct mailacct_diags diags;
        struct mailacct_dir *d = NULL;
        char ipath[4096], synced_path[4200] = "", sync_status[2048] = "";
        struct mailacct_secrets *synced = NULL;
        unsigned caches;
        bool online = false;
        int o, status, online_status = EXIT_OK;

        while ((o = getopt_long(argc, argv, CLI_SHORT(""), opts, NULL)) != -1) {
                if (o == 'O') {
                        online = true;
                        continue;
                }
                if ((status = cli_option(c, o)) != CLI_GO_ON)
                        return status;
        }
        if (optind != argc)
                return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
        mailacct_diags_init(&diags);
        cli_progress_start(c, "mailacct: check: reading %s", c->config);
        if (mailacct_file_load(c->config, &d, &diags, &info) == 0) {
                const char *secrets;
                if (info.ldap) {
                        /* the directory as the last sync left it: the file's
                         * findings and the directory's (entries left out) */
                        struct mailacct_diags full;
                        struct mailacct_dir *fd = NULL;
                        mailacct_diags_init(&full);
                        if (mailacct_source_load(c->config, &fd, &full, NULL) == 0) {
                                mailacct_dir_free(d);
                                d = fd;
                                mailacct_diags_clear(&diags);
                                diags = full;
                        } else
                                mailacct_diags_clear(&full);
                        cli_check_ldap_offline(c->config, info.ldap, &diags, sync_status, sizeof(sync_status));
                }
                secrets = mailacct_dir_settings(d)->secrets;
                if (info.ldap)
                        synced = synced_findings(c->config, synced_path, sizeof(synced_path), &diags, sync_status,
                                                 sizeof(sync_status));
                cli_progress_start(c, "mailacct: check: checking %zu mailboxes", mailacct_dir_settings(d)->n_mailboxes);
                mailacct_lint_passwords(d, c->config, synced, synced_path, &diags);
                mailacct_secrets_free(synced);
                cli_progress_start(c, "mailacct: check: checking the index");
                if (mailacct_index_locate(c->config, ipath, sizeof(ipath)) == 0)
                        index_findings(c->config, ipath, false, &diags);
                if (secrets && snprintf(ipath, sizeof(ipath), "%s.idx", secrets) < (int)sizeof(ipath))
                        index_findings(c->config, ipath, true, &diags);
        }
        cli_progress_stop();
        caches = cli_running_caches();
        status = diags.errors ? EXIT_CONFIG : diags.warnings ? EXIT_FAILED : EXIT_OK;
        if (c->json)
                json_report(c, &diags, d, sync_status, caches);
        else {
                cli_print_diags(stdout, &diags, c->config);
                if (sync_status[0])
                        printf("%s: %s\n", c->config, sync_status);
                if (status == EXIT_OK && d)
                        printf("%s: ok: %zu domains, %zu mailboxes, %zu contacts\n", c->config,
                               mailacct_dir_settings(d)->n_domains, mailacct_dir_settings(d)->n_mailboxes,
                               mailacct_dir_settings(d)->n_contacts);
                else
                        printf("%s: %zu errors, %zu warnings\n", c->config, diags.errors, diags.warnings);
                fflush(stdout);
                cli_cache_hints(stderr, caches);
        }
        /* --online: the directory itself (text only: each server, each base) */
        if (online && info.ldap && !c->json)
                online_status = cli_check_ldap_online(c->config, info.ldap);
        else if (online && d && !c->json)
                printf("online: %s has no ldap group: nothing to test\n", c->config);
        mailacct_diags_clear(&diags);
        mailacct_dir_free(d);
        mailacct_file_info_free(&info);
        /* the directory unreachable (3) or refusing (2) says more than the
         * file's warnings; otherwise the worse of the two */
        if (online_status == EXIT_CONFIG || online_status == 3)
                return online_status;
        return status > online_status ? status : online_status;
}
