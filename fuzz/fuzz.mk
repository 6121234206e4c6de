# libFuzzer targets over the parsers (clang, Debian's libclang-rt-14-dev).
#   make fuzz [FUZZ_SECONDS=60]        each target for FUZZ_SECONDS
#   make fuzz-short                    each target for FUZZ_SHORT_SECONDS
#                                      (8 s: CI's pass is about 30 s in all)
#   make fuzz FUZZ_TARGETS=elf         one target only
# A target NAME is fuzz/fuzz_NAME.c defining LLVMFuzzerTestOneInput; add one
# by appending its name, here or in another fuzz/*.mk:
#   FUZZ_TARGETS += NAME
# Every use of FUZZ_TARGETS below is in a recipe, so appends made after this
# file is read count too. Crashes are written to $(FUZZ_DIR)/crash-NAME-*.
FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 8
FUZZ_MAX_LEN ?= 131072
FUZZ_TARGETS += elf meta names sig pe cdef
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=c11 -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all
# The whole core: a parser's new helper file never breaks the link.
FUZZ_SRC = $(CORE_SRC)

.PHONY: fuzz fuzz-short fuzz-build fuzz-seeds

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(CORE_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FFI_CFLAGS) -o $@ $< $(FUZZ_SRC) $(CORE_LIBS)

fuzz-build:
	$(MAKE) $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

# Seeds, shared by the targets: the test fixtures (libraries of several
# machines, objects, executables, plugins), the smallest libraries of this
# machine (chosen by name, so the set is the same from run to run), copies
# without a section table, an ld script, ld.so.cache and C prototypes.
FUZZ_SYSLIBS := /usr/lib/x86_64-linux-gnu
FUZZ_SEEDS := $(FUZZ_DIR)/seeds
fuzz-seeds: fixtures
	@mkdir -p $(FUZZ_SEEDS)
	find $(FIX) -type f -size -256k ! -name '*.c' -exec cp {} $(FUZZ_SEEDS)/ \;
	find $(FUZZ_SYSLIBS) -maxdepth 1 -type f -name 'lib*.so.*' -size -128k 2>/dev/null \
	  | sort | head -n 40 | xargs -r cp -t $(FUZZ_SEEDS)/
	for l in libz.so.1 libffi.so.8; do \
	  cp $(FUZZ_SYSLIBS)/$$l $(FUZZ_SEEDS)/ 2>/dev/null || true; done
	for l in libsymbols libsymbols-sysv; do \
	  cp $(FIX)/elf/$$l.so $(FUZZ_SEEDS)/$$l-noshdr.so && \
	  dd if=/dev/zero of=$(FUZZ_SEEDS)/$$l-noshdr.so bs=1 seek=40 count=8 \
	    conv=notrunc 2>/dev/null && \
	  dd if=/dev/zero of=$(FUZZ_SEEDS)/$$l-noshdr.so bs=1 seek=60 count=4 \
	    conv=notrunc 2>/dev/null; \
	done
	cp $(FUZZ_SYSLIBS)/libm.so $(FUZZ_SEEDS)/ldscript-libm 2>/dev/null || true
	cp /etc/ld.so.cache $(FUZZ_SEEDS)/ld.so.cache 2>/dev/null || true
	printf '%s' 'int add(int a, int b)' > $(FUZZ_SEEDS)/proto-add
	printf '%s' 'void qsort(void *, size_t, size_t, int (*cmp)(const void *, const void *))' \
	  > $(FUZZ_SEEDS)/proto-qsort
	printf '%s' 'const char *f(long unsigned int, struct s *, ...)' > $(FUZZ_SEEDS)/proto-var
	printf '%s' 'typedef struct p { int a : 3; union { char c[4]; double d; }; struct p *n; } __attribute__((packed)) p_t; enum e { A = 1 << 3, B = sizeof(p_t) }; int (*f(int))(const void *, ...) __asm__("g");' \
	  > $(FUZZ_SEEDS)/cdef-mix
	cp spec/fixtures/layout/hdrsizes.c $(FUZZ_SEEDS)/cdef-c-source
	cp $(FIX)/layout/hdr_zlib.i $(FUZZ_SEEDS)/cdef-zlib.i 2>/dev/null || true

# Each target keeps its own corpus (grown from the seeds) between runs.
fuzz: fuzz-build fuzz-seeds
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus-$$t && \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crash-$$t- \
	    $(FUZZ_DIR)/corpus-$$t $(FUZZ_SEEDS) || exit 1; \
	done

fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS)
