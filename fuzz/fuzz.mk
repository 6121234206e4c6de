# libFuzzer targets over the parsers (clang, Debian's libclang-rt-14-dev).
#   make fuzz [FUZZ_SECONDS=60]   each target for FUZZ_SECONDS
#   make fuzz-short               each target for 8 s (CI: about 30 s in all)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := elf meta names sig
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_FLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all
FUZZ_SRC := src/elf.c src/check.c src/inspect.c src/meta.c src/file.c src/error.c \
            src/ldcache.c src/ldscript.c src/names.c src/sig.c

.PHONY: fuzz fuzz-short fuzz-build

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_SRC) src/*.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC)

# Seeds: the test fixtures, the example plugins and a few system libraries.
$(FUZZ_DIR)/seeds: fixtures
	@mkdir -p $@
	find $(FIX) -type f \( -name '*.so*' -o -name '*.o' -o -name 'tiny-exec' \) \
	  -size -2M -exec cp {} $@/ \;
	for l in libz.so.1 libm.so.6 libffi.so.8; do \
	  cp /usr/lib/x86_64-linux-gnu/$$l $@/ 2>/dev/null || true; done
	cp /usr/lib/x86_64-linux-gnu/libm.so $@/ldscript-libm 2>/dev/null || true
	cp /etc/ld.so.cache $@/ld.so.cache 2>/dev/null || true
	printf '%s' 'int add(int a, int b)' > $@/proto-add
	printf '%s' 'void qsort(void *, size_t, size_t, int (*cmp)(const void *, const void *))' > $@/proto-qsort
	printf '%s' 'const char *f(long unsigned int, struct s *, ...)' > $@/proto-var

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

fuzz: fuzz-build $(FUZZ_DIR)/seeds
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus-$$t && \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -print_final_stats=1 $(FUZZ_DIR)/corpus-$$t $(FUZZ_DIR)/seeds || exit 1; \
	done

fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=8
