# Hardening (included by the top Makefile): libFuzzer harnesses built with
# clang into $(BUILD)/fuzzer, their smoke run, and the fault, leak, race and
# security suites of tests/hardening. See tests/fuzz/README.section.md.
#
#   make fuzz [FUZZ_SECONDS=600] [FUZZ_JOBS=2] [FUZZ_TARGETS="fuzz_login ..."]
#
# The core is compiled again with clang and -fsanitize=fuzzer-no-link: the
# gcc objects of $(BUILD)/obj carry no coverage instrumentation.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_OUT     := $(BUILD)/fuzzer
FUZZ_NAMES   := fuzz_login fuzz_config fuzz_secrets fuzz_conflex fuzz_cfparse fuzz_index fuzz_index_sealed \
		fuzz_import fuzz_ldap_map
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_OUT)/%)
FUZZ_TARGETS ?= $(FUZZ_NAMES)

# clang with its libFuzzer runtime (libclang-rt-14-dev), or nothing to build:
# the smoke suite then skips.
FUZZ_HAVE := $(shell printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' | \
	$(FUZZ_CC) -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1 && echo yes)

FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -fPIC -D_GNU_SOURCE -DMAILACCT_VERSION='"$(VERSION)"' \
		-Wall -Wextra -Wshadow -Wformat=2 -Wwrite-strings -Wmissing-prototypes \
		-Wno-missing-field-initializers $(WERROR) $(FUZZ_SAN) \
		-DFUZZ_DATA_DIR='"$(abspath tests/data)"' -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_OUT)/obj/%.o) $(CONFIG_SRC:%.c=$(FUZZ_OUT)/obj/%.o)
# libconfig: the oracle of fuzz_conflex and fuzz_cfparse
FUZZ_LIBS    := $(LIBCONFIG_LIBS) -lcrypt

$(FUZZ_OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OUT)/fuzz_login $(FUZZ_OUT)/fuzz_config $(FUZZ_OUT)/fuzz_secrets $(FUZZ_OUT)/fuzz_conflex \
$(FUZZ_OUT)/fuzz_cfparse $(FUZZ_OUT)/fuzz_import: $(FUZZ_OUT)/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(LIBCONFIG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(FUZZ_LIBS)

# the directory's entries (tests/lib/ldap_entry.h's text form) through the
# mapping, the builder and the store
$(FUZZ_OUT)/fuzz_ldap_map: tests/fuzz/fuzz_ldap_map.c tests/fuzz/fuzz.h tests/lib/ldap_entry.h $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(LIBCONFIG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(FUZZ_LIBS)

# fuzz_index.c includes the index's layout header (lib/ixformat.h) and
# reseals through mailacct_ix_seal().
$(FUZZ_OUT)/fuzz_index: tests/fuzz/fuzz_index.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(LIBCONFIG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(FUZZ_LIBS)

$(FUZZ_OUT)/fuzz_index_sealed: tests/fuzz/fuzz_index.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(LIBCONFIG_CFLAGS) $(FUZZ_CFLAGS) -DFUZZ_RESEAL -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_LIB_OBJ) $(FUZZ_LIBS)

ifeq ($(FUZZ_HAVE),yes)
fuzz-build: $(FUZZ_BINS)
tests: $(FUZZ_BINS)
else
fuzz-build:
	@echo "fuzz: $(FUZZ_CC) with libFuzzer not found (apt-get install clang libclang-rt-14-dev)"; exit 1
endif

# Each harness for FUZZ_SECONDS on a working copy of its committed corpus;
# new inputs stay in $(FUZZ_OUT)/corpus, crashes in $(FUZZ_OUT)/artifacts.
fuzz: fuzz-build
	BUILD=$(abspath $(BUILD)) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
		tests/fuzz/run.sh $(FUZZ_TARGETS)

# ---- tests/hardening ---------------------------------------------------------

HZ_OUT  := $(BUILD)/tests/hardening
HZ_BINS := $(HZ_OUT)/pam_probe $(HZ_OUT)/nss_driver $(HZ_OUT)/ixtool $(HZ_OUT)/crypt_count.so \
	   $(HZ_OUT)/stop_at_exit.so

# libcrypt linked though unused: ASan intercepts crypt_r() and finds the real
# one at start-up only in libraries loaded then, not in the module's own
# (dlopen'ed later, RTLD_LOCAL). A mail server links libcrypt itself.
$(HZ_OUT)/pam_probe: tests/hardening/pam_probe.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/lib -MMD -MP $(CFLAGS) $(LDFLAGS) -o $@ $< -lpam -Wl,--no-as-needed -lcrypt -Wl,--as-needed

$(HZ_OUT)/nss_driver: tests/hardening/nss_driver.c
	@mkdir -p $(dir $@)
	$(CC) -Itests/lib -MMD -MP $(CFLAGS) $(LDFLAGS) -o $@ $< -ldl -pthread

# ixtool.c includes the index's layout header (lib/ixformat.h).
$(HZ_OUT)/ixtool: tests/hardening/ixtool.c lib/ixformat.h $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ARCHIVE) -lcrypt

# An LD_PRELOAD shim: never sanitized, so that it loads into any program.
$(HZ_OUT)/crypt_count.so: tests/hardening/crypt_count.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -fPIC -shared -D_GNU_SOURCE $(WARN) $(WERROR) -o $@ $< -ldl

$(HZ_OUT)/stop_at_exit.so: tests/hardening/stop_at_exit.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -fPIC -shared -D_GNU_SOURCE $(WARN) $(WERROR) -o $@ $<

tests: $(HZ_BINS)

# ThreadSanitizer: the core and the NSS module built again with clang
# -fsanitize=thread, and the threaded driver; the module takes the TSan
# runtime from the driver (so: no --no-undefined).
TSAN_OUT  := $(BUILD)/tsan
TSAN_HAVE := $(shell printf 'int main(void) { return 0; }\n' | \
	$(FUZZ_CC) -x c -fsanitize=thread -o /dev/null - >/dev/null 2>&1 && echo yes)
TSAN_CFLAGS := -std=gnu11 -O1 -g -fPIC -fvisibility=hidden -D_GNU_SOURCE -DMAILACCT_VERSION='"$(VERSION)"' \
		-fsanitize=thread -fno-omit-frame-pointer
TSAN_LIB  := $(LIB_SRC:%.c=$(TSAN_OUT)/obj/%.o) $(CONFIG_SRC:%.c=$(TSAN_OUT)/obj/%.o)
TSAN_NSS  := $(NSS_SRC:%.c=$(TSAN_OUT)/obj/%.o)

$(TSAN_OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(TSAN_CFLAGS) -MMD -MP -c $< -o $@

# an archive, as for the real module: only what NSS needs is linked (no libcrypt)
$(TSAN_OUT)/libmailacct.a: $(TSAN_LIB)
	rm -f $@
	$(AR) rcs $@ $^

$(TSAN_OUT)/libnss_mailacct.so.2: $(TSAN_NSS) $(TSAN_OUT)/libmailacct.a nss_mailacct/nss_mailacct.sym
	$(FUZZ_CC) -fsanitize=thread -shared -Wl,-soname,libnss_mailacct.so.2 -Wl,--gc-sections \
		-Wl,--version-script=nss_mailacct/nss_mailacct.sym -o $@ $(TSAN_NSS) $(TSAN_OUT)/libmailacct.a \
		-pthread

$(TSAN_OUT)/nss_driver: tests/hardening/nss_driver.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -Itests/lib -MMD -MP $(TSAN_CFLAGS) -o $@ $< -ldl -pthread

ifeq ($(TSAN_HAVE),yes)
tests: $(TSAN_OUT)/libnss_mailacct.so.2 $(TSAN_OUT)/nss_driver
endif

-include $(shell find $(TSAN_OUT)/obj -name '*.d' 2>/dev/null)

# no-secrets.sh reads the logs of every suite before it: it comes last.
SUITES += tests/fuzz/smoke.sh tests/hardening/index-damage.sh tests/hardening/files.sh \
	  tests/hardening/security.sh tests/hardening/trust.sh tests/hardening/memory.sh tests/hardening/hashwork.sh tests/hardening/valgrind.sh \
	  tests/hardening/tsan.sh tests/hardening/no-secrets.sh

.PHONY: fuzz fuzz-build

-include $(shell find $(FUZZ_OUT)/obj -name '*.d' 2>/dev/null)
