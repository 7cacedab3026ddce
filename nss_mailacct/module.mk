# libnss_mailacct.so.2 — the glibc NSS module (included by the top Makefile).
NSS_SRC    := $(wildcard nss_mailacct/*.c)
NSS_OBJ    := $(NSS_SRC:%.c=$(BUILD)/obj/%.o)
NSS_MODULE := $(BUILD)/libnss_mailacct.so.2
NSS_TEST   := $(BUILD)/tests/nss-dlopen

ALL_TARGETS     += $(NSS_MODULE)
SUITES          += $(NSS_TEST) tests/nss/symbols.sh tests/nss/glibc.sh
INSTALL_TARGETS += install-nss
UNINSTALL_FILES += $(NSSDIR)/libnss_mailacct.so.2 $(MANDIR)/man8/libnss_mailacct.8

# No libcrypt: the module never reads the secrets file, so nothing that
# verifies a password may be linked in (--no-undefined would say so).
$(NSS_MODULE): $(NSS_OBJ) $(ARCHIVE) nss_mailacct/nss_mailacct.sym
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libnss_mailacct.so.2 \
		-Wl,--version-script=nss_mailacct/nss_mailacct.sym -Wl,--no-undefined -Wl,--gc-sections \
		-o $@ $(NSS_OBJ) $(ARCHIVE) -pthread

# The dlopen harness knows nothing of the core: it checks the module the way
# glibc uses it, through the five symbols.
$(NSS_TEST): tests/nss/dlopen.c
	@mkdir -p $(dir $@)
	$(CC) -Itests/lib $(CFLAGS) $(LDFLAGS) -o $@ $< -ldl -pthread

tests: $(NSS_TEST)

install-nss: $(NSS_MODULE)
	install -D -m 0644 $(NSS_MODULE) $(DESTDIR)$(NSSDIR)/libnss_mailacct.so.2
	install -D -m 0644 man/libnss_mailacct.8 $(DESTDIR)$(MANDIR)/man8/libnss_mailacct.8

.PHONY: install-nss
