# Both modules together (included by the top-level Makefile): the agreement
# test (PAM_USER of pam_mailacct.so == pw_name of libnss_mailacct.so.2 ==
# `mailacct resolve`, for every login form of the test directories) and
# Dovecot with passdb pam + userdb passwd.
AGREE_TEST := $(BUILD)/tests/agree

# Knows nothing of the core: it drives the modules through libpam and dlopen
# and reads the test directories with libconfig itself.
$(AGREE_TEST): tests/integration/agree.c
	@mkdir -p $(dir $@)
	$(CC) -Itests/lib -MMD -MP $(LIBCONFIG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpam $(LIBCONFIG_LIBS) -ldl

tests: $(AGREE_TEST)

SUITES += $(AGREE_TEST) tests/integration/dovecot-nss.sh tests/integration/readme.sh
