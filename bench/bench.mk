# `make bench`: mailacct's NSS module against the peer NSS modules (bench/README.md).
# Included by the top Makefile. Not part of `make` or `make check`: nothing is
# timed in the tests. Needs root (mount namespaces); installs nothing.
BENCH_N    ?= 1000 100000 1000000
BENCH_DATA ?= build/bench-data
BENCH_BIN  := $(BUILD)/nss_bench

# The harness links nothing of mailacct: it dlopens the module it measures.
$(BENCH_BIN): bench/nss_bench.c
	@mkdir -p $(dir $@)
	$(CC) -Itests/lib -MMD -MP $(CFLAGS) $(LDFLAGS) -o $@ $< -ldl

PAM_BENCH_BIN := $(BUILD)/pam_resolve

$(PAM_BENCH_BIN): bench/pam_resolve.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpam -ldl

# build-all: whatever of mailacct exists (the command, libnss_mailacct.so.2)
# is measured; what does not exist yet is reported as n/a.
bench: build-all $(BENCH_BIN) $(PAM_BENCH_BIN)
	BUILD=$(abspath $(BUILD)) BENCH_N="$(BENCH_N)" BENCH_DATA=$(abspath $(BENCH_DATA)) \
		python3 bench/run-bench.py

.PHONY: bench

# `make bench-sync`: a full `mailacct sync` from slapd on loopback at 100,000
# and 1,000,000 entries (bench/ldap-sync.py; root; data cached in BENCH_DATA).
BENCH_SYNC_N ?= 100000 1000000
bench-sync: build-all
	BUILD=$(abspath $(BUILD)) BENCH_SYNC_N="$(BENCH_SYNC_N)" BENCH_DATA=$(abspath $(BENCH_DATA)) \
		python3 bench/ldap-sync.py

.PHONY: bench-sync

# `make bench-incremental`: incremental syncs (RFC 4533) of 1, 100 and
# 10,000 changes at 100,000 entries, and lookups with a delta beside the
# index (bench/ldap-incremental.py; root; data cached in BENCH_DATA).
BENCH_INCR_N ?= 100000
bench-incremental: build-all $(BENCH_BIN)
	BUILD=$(abspath $(BUILD)) BENCH_INCR_N="$(BENCH_INCR_N)" BENCH_DATA=$(abspath $(BENCH_DATA)) \
		python3 bench/ldap-incremental.py

.PHONY: bench-incremental

# `make bench-delta`: lookups with a delta index beside the index, the delta
# written from a second configuration file (bench/delta-bench.py; no
# directory server; data cached in BENCH_DATA).
BENCH_DELTA_N ?= 100000
DELTA_GEN_BIN := $(BUILD)/bench/delta_gen
LOOKUP_BIN    := $(BUILD)/bench/nss_lookup

$(DELTA_GEN_BIN): bench/delta_gen.c $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ARCHIVE) -lcrypt

$(LOOKUP_BIN): bench/nss_lookup.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -ldl

bench-delta: build-all $(DELTA_GEN_BIN) $(LOOKUP_BIN)
	BUILD=$(abspath $(BUILD)) BENCH_DELTA_N="$(BENCH_DELTA_N)" BENCH_DATA=$(abspath $(BENCH_DATA)) \
		python3 bench/delta-bench.py

.PHONY: bench-delta
