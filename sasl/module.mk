# The Cyrus SASL canon_user plugin (included by the top-level Makefile):
# $(BUILD)/sasl2/libmailacct.so, its tests, and its installation into the
# folder libsasl2 loads plugins from.
SASL_SRC    := $(wildcard sasl/*.c)
SASL_OBJ    := $(SASL_SRC:%.c=$(BUILD)/obj/%.o)
SASL_PLUGIN := $(BUILD)/sasl2/libmailacct.so
SASL_MAP    := sasl/libmailacct.map
SASLDIR     ?= $(PREFIX)/lib/$(MULTIARCH)/sasl2
SASL_TEST   := $(BUILD)/tests/sasl/test_sasl

# No libcrypt and no libsasl2: the plugin never verifies a password, and
# everything it needs from libsasl2 comes through the utils it is handed
# (--no-undefined says so if that changes).
$(SASL_PLUGIN): $(SASL_OBJ) $(ARCHIVE) $(SASL_MAP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,--gc-sections -Wl,--version-script=$(SASL_MAP) \
		-Wl,-soname,libmailacct.so -o $@ $(SASL_OBJ) $(ARCHIVE) -pthread

# The driver knows nothing of the core: it runs the plugin inside the real
# libsasl2 (sasl_checkpass, the PLAIN mechanism) and dlopens it.
$(SASL_TEST): tests/sasl/test_sasl.c
	@mkdir -p $(dir $@)
	$(CC) -Itests/lib -MMD -MP $(CFLAGS) $(LDFLAGS) -o $@ $< -lsasl2 -ldl

ALL_TARGETS += $(SASL_PLUGIN)
tests: $(SASL_TEST)
SUITES      += tests/sasl/symbols.sh tests/sasl/run.sh tests/sasl/valgrind.sh

install-sasl: $(SASL_PLUGIN)
	install -D -m 0644 $(SASL_PLUGIN) $(DESTDIR)$(SASLDIR)/libmailacct.so
	install -D -m 0644 man/sasl_mailacct.8 $(DESTDIR)$(MANDIR)/man8/sasl_mailacct.8

INSTALL_TARGETS += install-sasl
UNINSTALL_FILES += $(SASLDIR)/libmailacct.so $(MANDIR)/man8/sasl_mailacct.8

.PHONY: install-sasl

# The real servers that use the modules and the plugin (tests/servers/;
# fetch.sh unpacks those that conflict with Dovecot). Not rerun by the ASan
# build: the servers are not instrumented.
SERVER_SUITES := tests/servers/cyrus.sh tests/servers/postfix.sh tests/servers/courier.sh tests/servers/mailutils.sh
ifeq ($(SAN),)
SUITES += $(SERVER_SUITES)
endif
