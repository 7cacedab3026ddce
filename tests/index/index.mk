# The compiled index under concurrent readers (included by the top Makefile).
INDEX_READER := $(BUILD)/tests/index-reader

SUITES += tests/index/concurrent.sh

$(INDEX_READER): tests/index/reader.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -ldl -pthread

tests: $(INDEX_READER)
