# mailacct — see README.md. `make`, `make check`, `make demo`, `make install`.
VERSION    := 0.1.0
PREFIX     ?= /usr
DESTDIR    ?=
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null || gcc -print-multiarch)
LIBDIR     ?= $(PREFIX)/lib/$(MULTIARCH)
# PAM modules and NSS modules live in /lib/<triplet> on Debian whatever PREFIX says
PAMDIR     ?= /lib/$(MULTIARCH)/security
NSSDIR     ?= /lib/$(MULTIARCH)
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/mailacct
EXAMPLEDIR ?= $(DOCDIR)/examples
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# every unit in systemd/ (mailacct-compile.path/.service, ...) is installed
SYSTEMD_UNITS := $(wildcard systemd/*.path systemd/*.service systemd/*.timer)

BUILD      ?= build
CC         ?= cc
# Messages are cut to their buffers on purpose: -Wno-format-truncation.
WARN       := -Wall -Wextra -Wshadow -Wformat=2 -Wwrite-strings -Wmissing-prototypes -Wno-missing-field-initializers -Wno-format-truncation
WERROR     ?= $(if $(CI),-Werror,)
SAN        ?=
OPT        ?= -O2 -g
CFLAGS     ?=
CFLAGS     += -std=gnu11 $(OPT) -fPIC -fvisibility=hidden -D_GNU_SOURCE -DMAILACCT_VERSION='"$(VERSION)"' \
              $(WARN) $(WERROR) $(SAN) -fstack-protector-strong -D_FORTIFY_SOURCE=2
LDFLAGS    += -Wl,-z,relro -Wl,-z,now $(SAN)
CPPFLAGS   += -Ilib -Isource -Isource/file -Isource/import -Isource/ldap
# libconfig is no part of the product: the tests hold the parser of its
# syntax to it (tests/fuzz/fuzz_conflex.c, fuzz_cfparse.c) and read the test
# directories with it (tests/integration/agree.c).
LIBCONFIG_CFLAGS := $(shell pkg-config --cflags libconfig 2>/dev/null)
LIBCONFIG_LIBS   := $(shell pkg-config --libs libconfig 2>/dev/null || echo -lconfig)
CMOCKA_LIBS      := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

LIB_SRC    := $(wildcard lib/*.c)
# the sources of a directory (the configuration file, the directory) and the
# readers' choice between an index and a source (source/open.c, cache.c)
CONFIG_SRC := $(wildcard source/*.c source/file/*.c source/import/*.c)
# the directory source: its rules, the mapping and the store are plain C in
# the archive (the file source reads the `ldap` group; compile rebuilds from
# the store); talking LDAP is out of it: the sync (pull.c) is the command's,
# the password bind (bind.c, passwords = "ldap-bind") the PAM module's;
# the NSS module and the SASL plugin never link libldap
LDAP_NET_SRC  := source/ldap/pull.c source/ldap/ldapmem.c
LDAP_BIND_SRC := source/ldap/bind.c source/ldap/ldapmem.c
CONFIG_SRC += $(filter-out $(LDAP_NET_SRC) $(LDAP_BIND_SRC),$(wildcard source/ldap/*.c))
LDAP_LIBS  := -lldap -llber
CLI_SRC    := $(wildcard cli/*.c) $(LDAP_NET_SRC)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(CONFIG_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
ARCHIVE    := $(BUILD)/libmailacct.a

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Module fragments add to these.
ALL_TARGETS := $(BUILD)/mailacct
# Each entry is a command run by tests/run-suites; it exits 0 pass, 77 skip.
SUITES      = $(UNIT_BIN) tests/man/lint.sh tests/cli/run.sh tests/cli/caches.sh tests/cli/completion.sh tests/cli/install.sh tests/cli/progress.sh tests/cli/import.sh
INSTALL_TARGETS :=
UNINSTALL_FILES :=

all: build-all

-include pam_mailacct/module.mk
-include nss_mailacct/module.mk
-include sasl/module.mk
-include bench/bench.mk
-include tests/index/index.mk
-include tests/integration/agree.mk
-include tests/ldap/ldap.mk
-include tests/packages/packages.mk
# last: its final suite reads the logs of all the others
-include tests/fuzz/fuzz.mk

build-all: $(ALL_TARGETS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(ARCHIVE): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/mailacct: $(CLI_OBJ) $(ARCHIVE)
	$(CC) $(LDFLAGS) -pie -o $@ $(CLI_OBJ) $(ARCHIVE) -lcrypt $(LDAP_LIBS) $(CLI_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(ARCHIVE) -lcrypt $(CMOCKA_LIBS)

tests: $(UNIT_BIN)

check: build-all tests
	BUILD=$(abspath $(BUILD)) tests/run-suites $(SUITES)

asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" check

demo: build-all
	BUILD=$(abspath $(BUILD)) tests/demo.sh

FORMAT_SRC := lib/*.[ch] source/*.[ch] source/file/*.[ch] source/import/*.[ch] cli/*.[ch] \
	      $(wildcard pam_mailacct/*.[ch] nss_mailacct/*.[ch] sasl/*.[ch] source/ldap/*.[ch])

format:
	clang-format -i $(FORMAT_SRC)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

install: build-all $(INSTALL_TARGETS)
	install -D -m 0755 $(BUILD)/mailacct $(DESTDIR)$(SBINDIR)/mailacct
	install -D -m 0644 man/mailacct.8 $(DESTDIR)$(MANDIR)/man8/mailacct.8
	install -D -m 0644 man/mailacct.conf.5 $(DESTDIR)$(MANDIR)/man5/mailacct.conf.5
	install -D -m 0644 config/mailacct.conf.example $(DESTDIR)$(EXAMPLEDIR)/mailacct.conf.example
	install -D -m 0644 completion/mailacct.bash $(DESTDIR)$(BASHCOMPDIR)/mailacct
	@# the units name /usr/sbin/mailacct: point them at this SBINDIR
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(SYSTEMD_UNITS); do \
		sed 's|/usr/sbin/mailacct|$(SBINDIR)/mailacct|g' $$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} || exit 1; \
	done
	@# a format upgrade never leaves a site failing closed: an index that
	@# exists is compiled again by the new build (not into a DESTDIR staging)
	@if [ -z "$(DESTDIR)" ] && [ -f /etc/mailacct.conf ]; then \
		$(SBINDIR)/mailacct -c /etc/mailacct.conf compile --if-exists || \
		echo "make install: warning: mailacct compile failed; run it after fixing /etc/mailacct.conf" >&2; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mailacct $(DESTDIR)$(MANDIR)/man8/mailacct.8 \
		$(DESTDIR)$(MANDIR)/man5/mailacct.conf.5 $(DESTDIR)$(EXAMPLEDIR)/mailacct.conf.example \
		$(DESTDIR)$(BASHCOMPDIR)/mailacct \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(SYSTEMD_UNITS))) \
		$(addprefix $(DESTDIR),$(UNINSTALL_FILES))
	-rmdir $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf build

.PHONY: all build-all tests check asan demo format format-check install uninstall clean

# the objects' and the test programs' header dependencies (-MMD)
-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null) $(wildcard $(BUILD)/*.d $(BUILD)/tsan/*.d)
