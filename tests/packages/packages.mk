# Debian packages (debian/; included by the top-level Makefile).
#   make deb             builds them into $(BUILD)/deb (tests/packages/build.sh)
#   make check-packages  lintian, then a debootstrap chroot that installs them
#                        and logs in through them (tests/packages/chroot.sh)

# built again when a file of the tree (tracked, or new and not ignored) changes
DEB_INPUTS := $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null))

$(BUILD)/deb/stamp: $(DEB_INPUTS)
	BUILD=$(abspath $(BUILD)) tests/packages/build.sh

deb: $(BUILD)/deb/stamp

# its own log folder: make check's logs stay as they were
check-packages: deb
	BUILD=$(abspath $(BUILD)) MAILACCT_TEST_LOGS=$(abspath $(BUILD))/test-logs-packages \
		tests/run-suites tests/packages/lintian.sh tests/packages/chroot.sh

.PHONY: deb check-packages
