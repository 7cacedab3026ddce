# pam_mailacct.so, its tests, and what the mailacct command needs from PAM
# (`mailacct test` runs a PAM stack). Included by the top-level Makefile.

# with the password bind to the directory (passwords = "ldap-bind"): the
# module links libldap, the NSS module never does (docs/ARCHITECTURE.md)
PAM_SRC    := $(wildcard pam_mailacct/*.c) $(LDAP_BIND_SRC)
PAM_OBJ    := $(PAM_SRC:%.c=$(BUILD)/obj/%.o)
PAM_MODULE := $(BUILD)/pam_mailacct.so
PAM_MAP    := pam_mailacct/pam_mailacct.map

# -z nodelete: libpam dlcloses its modules at every pam_end(); staying loaded
# keeps the opened directory (index mapping or parsed file) across the
# logins of a long-running auth worker instead of reopening it per login.
$(PAM_MODULE): $(PAM_OBJ) $(ARCHIVE) $(PAM_MAP)
	$(CC) $(LDFLAGS) -shared -Wl,-z,nodelete -Wl,--no-undefined -Wl,--version-script=$(PAM_MAP) -Wl,-soname,pam_mailacct.so \
		-o $@ $(PAM_OBJ) $(ARCHIVE) -lpam -lcrypt $(LDAP_LIBS) -pthread

# Tests: a C driver on the real libpam (pam_start_confdir), and the suites.
PAM_TEST_BIN := $(BUILD)/tests/pam/test_pam

$(BUILD)/tests/pam/%: tests/pam/%.c $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(LDFLAGS) -o $@ $< $(ARCHIVE) -lpam -lcrypt -ldl

tests: $(PAM_TEST_BIN) $(PAM_MODULE)

ALL_TARGETS += $(PAM_MODULE)
CLI_LIBS    += -lpam
SUITES      += tests/pam/symbols.sh $(PAM_TEST_BIN) tests/pam/cli.sh tests/integration/dovecot.sh tests/integration/stacking.sh

install-pam: $(PAM_MODULE)
	install -D -m 0644 $(PAM_MODULE) $(DESTDIR)$(PAMDIR)/pam_mailacct.so
	install -D -m 0644 man/pam_mailacct.8 $(DESTDIR)$(MANDIR)/man8/pam_mailacct.8
	install -D -m 0644 config/pam.d-dovecot.example $(DESTDIR)$(EXAMPLEDIR)/pam.d-dovecot.example
	install -D -m 0644 config/dovecot-mailacct.conf.example $(DESTDIR)$(EXAMPLEDIR)/dovecot-mailacct.conf.example

INSTALL_TARGETS += install-pam
UNINSTALL_FILES += $(PAMDIR)/pam_mailacct.so $(MANDIR)/man8/pam_mailacct.8 \
		   $(EXAMPLEDIR)/pam.d-dovecot.example $(EXAMPLEDIR)/dovecot-mailacct.conf.example

.PHONY: install-pam
