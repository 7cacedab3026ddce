/* SPDX-License-Identifier: MIT */
/*
 * libconfig for the modules, loaded when a module first parses a
 * configuration file rather than when the module itself is loaded.
 *
 * A process that looks up one name through NSS (id, ls -l, su) or one login
 * through PAM answers from the compiled index and never parses anything;
 * linking libconfig would make every such process map and relocate it first
 * (about 80 µs of the 150 µs a first lookup cost here). The mailacct command
 * and the tests link libconfig itself; only the two modules link this file,
 * which defines, hidden inside the module, the ten libconfig functions that
 * config.c calls. The macros of <libconfig.h> (config_error_text() and the
 * like) read fields of config_t and need nothing from here.
 */
#include <dlfcn.h>
#include <libconfig.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#ifndef LIBCONFIG_SONAME
#define LIBCONFIG_SONAME "libconfig.so.9"
#endif

static struct {
        void (*init)(config_t *);
        void (*destroy)(config_t *);
        int (*read_file)(config_t *, const char *);
        long long (*get_int64)(const config_setting_t *);
        int (*get_bool)(const config_setting_t *);
        const char *(*get_string)(const config_setting_t *);
        int (*length)(const config_setting_t *);
        config_setting_t *(*get_elem)(const config_setting_t *, unsigned int);
        config_setting_t *(*get_member)(const config_setting_t *, const char *);
        void (*set_include_dir)(config_t *, const char *);
} lc;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

static void load(void)
{
        /* never unloaded: settings handed out point into its allocations,
         * and a module is not unloaded either (-z nodelete, or glibc's NSS) */
        void *h = dlopen(LIBCONFIG_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);

        if (!h)
                return;
        *(void **)&lc.init = dlsym(h, "config_init");
        *(void **)&lc.destroy = dlsym(h, "config_destroy");
        *(void **)&lc.read_file = dlsym(h, "config_read_file");
        *(void **)&lc.get_int64 = dlsym(h, "config_setting_get_int64");
        *(void **)&lc.get_bool = dlsym(h, "config_setting_get_bool");
        *(void **)&lc.get_string = dlsym(h, "config_setting_get_string");
        *(void **)&lc.length = dlsym(h, "config_setting_length");
        *(void **)&lc.get_elem = dlsym(h, "config_setting_get_elem");
        *(void **)&lc.get_member = dlsym(h, "config_setting_get_member");
        *(void **)&lc.set_include_dir = dlsym(h, "config_set_include_dir");
        loaded = lc.init && lc.destroy && lc.read_file && lc.get_int64 && lc.get_bool && lc.get_string && lc.length &&
                 lc.get_elem && lc.get_member && lc.set_include_dir;
}

static bool ready(void)
{
        pthread_once(&once, load);
        return loaded;
}

/* Without libconfig every configuration fails to load, with a reason that
 * says which library is missing; nothing fails open. */
void config_init(config_t *config)
{
        if (ready()) {
                lc.init(config);
                return;
        }
        memset(config, 0, sizeof(*config));
}

int config_read_file(config_t *config, const char *filename)
{
        if (ready())
                return lc.read_file(config, filename);
        config->error_text = "cannot load " LIBCONFIG_SONAME " (is libconfig installed?)";
        config->error_file = NULL;
        config->error_line = 0;
        config->error_type = CONFIG_ERR_FILE_IO;
        return CONFIG_FALSE;
}

void config_set_include_dir(config_t *config, const char *include_dir)
{
        if (ready())
                lc.set_include_dir(config, include_dir);
}

void config_destroy(config_t *config)
{
        if (ready())
                lc.destroy(config);
}

/* Settings exist only once a file was read, so libconfig is loaded here. */
long long config_setting_get_int64(const config_setting_t *s)
{
        return lc.get_int64(s);
}

int config_setting_get_bool(const config_setting_t *s)
{
        return lc.get_bool(s);
}

const char *config_setting_get_string(const config_setting_t *s)
{
        return lc.get_string(s);
}

int config_setting_length(const config_setting_t *s)
{
        return lc.length(s);
}

config_setting_t *config_setting_get_elem(const config_setting_t *s, unsigned int idx)
{
        return lc.get_elem(s, idx);
}

config_setting_t *config_setting_get_member(const config_setting_t *s, const char *name)
{
        return lc.get_member(s, name);
}
