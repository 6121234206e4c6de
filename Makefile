# dynlib - build, test, demo, bench, install.
#
#   make demo       build and run the example game (examples/game.lua)
#   make test       install what the tests need, build, run the whole suite
#   make test-asan  the same suite against an ASan+UBSan build
#   make bench      benchmarks, printed as ratios from one run
#   make fuzz       libFuzzer over the parsers (FUZZ_SECONDS=60)
#   make install    PREFIX=/usr/local DESTDIR= (library, headers, Lua module,
#                   the dynlib command and its man page)
#
#   make CROSS=aarch64-linux-gnu [test|install]   another architecture,
#                   into build/<triplet>/ (mk/cross.mk, .ci/targets)
#
# Area-specific rules live beside their sources and are included below:
# spec/fixtures/*.mk (test fixtures), fuzz/*.mk, bench/*.mk, examples/*.mk.

# First: a cross build sets BUILD, the compilers and pkg-config before the
# defaults below.
include mk/cross.mk

BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config
# LUA runs build-time generators (host); RUN_LUA is the interpreter that
# loads the module (the target's when cross-building).
LUA     ?= lua5.4
RUN_LUA ?= $(LUA)
BUSTED  ?= $(RUN_LUA) /usr/bin/busted
OBJCOPY ?= objcopy
BUSTED_FLAGS ?= -o utfTerminal
SPECS   ?= spec

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
LUA_LMOD ?= $(PREFIX)/share/lua/5.4
LUA_CMOD ?= $(PREFIX)/lib/lua/5.4
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

# Windows (mk/windows.mk) has no .pc files: it sets these to its sysroot.
ifneq ($(TARGET_OS),windows)
LUA_CFLAGS := $(shell $(PKG_CONFIG) --cflags lua5.4 2>/dev/null)
FFI_CFLAGS := $(shell $(PKG_CONFIG) --cflags libffi 2>/dev/null)
FFI_LIBS   := $(shell $(PKG_CONFIG) --libs libffi 2>/dev/null || echo -lffi)
endif

WARN    := -Wall -Wextra -Werror
# 64-bit file offsets on 32-bit targets (a no-op on 64-bit ones): without
# it glibc's readdir fails with EOVERFLOW on 64-bit directory cookies
# (qemu-i386 passes the host's), so dynlib.scan saw empty folders on i686.
LFS     := -D_FILE_OFFSET_BITS=64
OPT     ?= -O2 -g
SAN     ?=
CFLAGS_ALL = -std=c11 $(OPT) -fPIC -fvisibility=hidden -DDYNLIB_BUILDING -Isrc $(LFS) $(OS_CFLAGS) $(WARN) $(SAN) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

# src/ is arranged by layer, top to bottom: binding (the Lua module), core
# (store, names, checks, trust, scan, copies), formats (ELF, metadata, the
# loader's cache and scripts), calls (prototypes, typed calls), os (the one
# seam to the operating system), base (errors). Includes only point down.
# TARGET_OS picks src/os/os_<file>.c; the Linux-only readers (ld.so.cache,
# GNU ld scripts) are built only for Linux.
TARGET_OS ?= linux
OS_FILE := $(if $(filter windows,$(TARGET_OS)),win32,posix)
LINUX_ONLY := src/formats/ldcache.c src/formats/ldscript.c
# The other system's library-name conventions (formats/libname_*.c).
OTHER_NAMES := src/formats/libname_$(if $(filter windows,$(TARGET_OS)),elf,pe).c
CORE_DIRS := core formats calls ctype os base
CORE_SRC := $(filter-out $(filter-out src/os/os_$(OS_FILE).c,$(wildcard src/os/os_*.c)) \
              $(if $(filter linux,$(TARGET_OS)),,$(LINUX_ONLY)) $(OTHER_NAMES), \
              $(foreach d,$(CORE_DIRS),$(wildcard src/$(d)/*.c)))
BIND_SRC := $(wildcard src/binding/*.c)
HEADERS  := $(wildcard src/*.h src/*/*.h)
CORE_OBJ := $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
BIND_OBJ := $(BIND_SRC:src/%.c=$(BUILD)/obj/%.o)
# What differs by OS (mk/windows.mk sets its own): C flags, the libraries
# the core needs from the system, the shared-object suffix, what the module
# links besides the core (Linux: nothing, see $(MODULE)), how the core
# library is linked, and what objects wait for (a target's sysroot;
# order-only).
OS_CFLAGS ?=
OS_LIBS ?= -ldl -pthread
SO ?= so
MODULE_LIBS ?=
CORELIB_LDFLAGS ?= -Wl,-soname,libdynlib.so.0
BUILD_DEPS ?=
CORE_LIBS := $(FFI_LIBS) $(OS_LIBS)

MODULE  := $(BUILD)/lua/dynlib/core.$(SO)
CORELIB := $(BUILD)/libdynlib.$(SO)
COREA   := $(BUILD)/libdynlib.a

# Test fixtures live in $(FIX); they are never built with sanitizers (they
# stand for foreign code).
FIX := $(BUILD)/fixtures
CC_FIX ?= gcc
FIXTURE_CFLAGS ?= -O1 -g -fPIC -Wall -Wextra -Werror

# Targets the test suite needs besides the module; fragments append.
# (TEST_TOOLS: what running it needs, e.g. mk/cross.mk's launcher.)
FIXTURES :=
BENCH_TARGETS :=
DEMO_TARGETS :=

.PHONY: FORCE all module core deps test test-asan test-c demo bench fuzz install \
        install-lua lint clean fixtures test-run-asan test-tsan test-valgrind

all: module core

module: $(MODULE)
core: $(CORELIB) $(COREA) $(BUILD)/dynlib.pc

# -fno-plt: the binding calls the Lua API on every typed call; through the
# GOT directly it skips one jump per call.
$(BUILD)/obj/binding/%.o: src/binding/%.c $(HEADERS) | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fno-plt $(LUA_CFLAGS) $(FFI_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: src/%.c $(HEADERS) | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FFI_CFLAGS) -c $< -o $@

# The Lua module links the core in statically: one file to install, and no
# dependency on an installed libdynlib.so. On Linux it does not link liblua:
# the interpreter that loads it provides the Lua API (Windows: MODULE_LIBS).
$(MODULE): $(BIND_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS_ALL) -o $@ $^ $(CORE_LIBS) $(MODULE_LIBS)

$(CORELIB): $(CORE_OBJ)
	$(CC) -shared $(LDFLAGS_ALL) $(CORELIB_LDFLAGS) -Wl,--no-undefined -o $@ $^ $(CORE_LIBS)

$(COREA): $(CORE_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

# dynlib.pc is written for the PREFIX, LIBDIR and INCDIR of this make run:
# dynlib.pc.vars records them and changes only when they do, so `make` then
# `make install PREFIX=/opt/x` rewrites the .pc for /opt/x before installing it.
PC_VARS := prefix=$(PREFIX) libdir=$(LIBDIR) includedir=$(INCDIR) libs=$(CORE_LIBS)
$(BUILD)/dynlib.pc.vars: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(PC_VARS)' | cmp -s - $@ || printf '%s\n' '$(PC_VARS)' > $@
FORCE:

$(BUILD)/dynlib.pc: Makefile $(BUILD)/dynlib.pc.vars
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	  'Name: dynlib' 'Description: safe, fast loading of shared libraries and plugins' \
	  'Version: 0.1.0' 'Libs: -L$${libdir} -ldynlib' 'Libs.private: $(CORE_LIBS)' \
	  'Cflags: -I$${includedir}' > $@

# Fixtures: the ELF ones everywhere but Windows, whose own are in windows.mk
# (and the layout fixture, made for every target).
ifeq ($(TARGET_OS),windows)
FIXTURE_MK := spec/fixtures/windows.mk spec/fixtures/layout.mk
else
FIXTURE_MK := $(filter-out spec/fixtures/windows.mk,$(wildcard spec/fixtures/*.mk))
endif
-include $(FIXTURE_MK) $(wildcard fuzz/*.mk bench/*.mk examples/*.mk)

fixtures: $(FIXTURES)

# Installs the Debian packages the build and the tests need (root), or says
# which ones are missing.
deps:
	@sh .ci/deps $(CROSS)

# DYNLIB_CROSS and DYNLIB_CC: what the install spec builds with.
TEST_ENV = LUA_PATH="lua/?.lua;lua/?/init.lua;spec/?.lua;;" \
           LUA_CPATH="$(BUILD)/lua/?.$(SO);;" DYNLIB_BUILD="$(abspath $(BUILD))" \
           DYNLIB_CROSS="$(CROSS)" DYNLIB_CC="$(CC)"

# The demo's plugins too: the README's examples (spec/docs_spec.lua) use them.
test: deps
	$(MAKE) module core fixtures $(DEMO_TARGETS) $(TEST_TOOLS)
	$(TEST_ENV) $(BUSTED) $(BUSTED_FLAGS) $(SPECS)

# ASan+UBSan: the interpreter is not instrumented, so the runtime is
# preloaded. Leak checking is off: the interpreter exits without closing
# every state. RTLD_DEEPBIND aborts under ASan: those specs skip themselves.
ASAN_BUILD ?= build-asan
test-asan: deps
	$(MAKE) BUILD=$(ASAN_BUILD) CC=gcc OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" module core fixtures
	$(MAKE) BUILD=$(ASAN_BUILD) test-run-asan

test-run-asan:
	LD_PRELOAD="$$(gcc -print-file-name=libasan.so)" \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 DYNLIB_SANITIZER=address \
	$(TEST_ENV) $(BUSTED) $(BUSTED_FLAGS) $(SPECS)

# The suite under valgrind's memcheck (slow: minutes). The interpreter is
# run by valgrind, not the busted script (docs/design.md section 8).
VALGRIND_SPECS ?= spec/store_spec.lua spec/call_spec.lua spec/calls_diff_spec.lua \
  spec/callback_spec.lua spec/meta_spec.lua spec/inspect_spec.lua spec/check_spec.lua \
  spec/plugin_spec.lua
test-valgrind: deps
	$(MAKE) module core fixtures
	$(TEST_ENV) valgrind --error-exitcode=9 --suppressions=.ci/valgrind.supp \
	  $(LUA) /usr/bin/busted $(BUSTED_FLAGS) $(VALGRIND_SPECS)

# The store under ThreadSanitizer (threads opening, resolving, closing).
TSAN_BUILD ?= build-tsan
test-tsan: deps
	$(MAKE) BUILD=$(TSAN_BUILD) CC=clang SAN=-fsanitize=thread \
	  $(TSAN_BUILD)/spec/store_threads $(TSAN_BUILD)/fixtures/store/libbasic.so \
	  $(TSAN_BUILD)/fixtures/store/libinstance.so \
	  $(TSAN_BUILD)/fixtures/store/libreentrant.so
	TSAN_OPTIONS=halt_on_error=1 $(TSAN_BUILD)/spec/store_threads \
	  $(TSAN_BUILD)/fixtures/store

demo: deps
	$(MAKE) module $(DEMO_TARGETS) $(TEST_TOOLS)
	$(TEST_ENV) $(DEMO_ENV) $(RUN_LUA) examples/game.lua

bench: deps
	$(MAKE) OPT="-O2 -g" module fixtures $(BENCH_TARGETS) $(TEST_TOOLS)
	$(TEST_ENV) $(RUN_LUA) bench/run.lua

lint:
	luacheck --std lua54 lua bench bin/dynlib $(wildcard examples/*.lua)
	luacheck --std lua54+busted spec

# The shared core: a versioned .so with its development link; on Windows
# the DLL beside the programs (bin/) and its import library in lib/.
ifeq ($(TARGET_OS),windows)
INSTALL_CORELIB = install -d $(DESTDIR)$(PREFIX)/bin && \
  install -m 755 $(CORELIB) $(DESTDIR)$(PREFIX)/bin/ && \
  install -m 644 $(BUILD)/libdynlib.dll.a $(DESTDIR)$(LIBDIR)/
else
INSTALL_CORELIB = install -m 755 $(CORELIB) $(DESTDIR)$(LIBDIR)/libdynlib.so.0 && \
  ln -sf libdynlib.so.0 $(DESTDIR)$(LIBDIR)/libdynlib.so
endif

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)
	install -m 644 src/dynlib.h src/dynlib_plugin.h $(DESTDIR)$(INCDIR)/
	$(INSTALL_CORELIB)
	install -m 644 $(COREA) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(BUILD)/dynlib.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	$(MAKE) install-lua
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 doc/dynlib.1 $(DESTDIR)$(MANDIR)/man1/

# The Lua module and the dynlib command (bin/dynlib, a Lua script on it);
# luarocks installs the command itself (the rockspec's build.install.bin).

install-lua: module
	install -d $(DESTDIR)$(LUA_LMOD)/dynlib $(DESTDIR)$(LUA_CMOD)/dynlib
	install -m 644 lua/dynlib/*.lua $(DESTDIR)$(LUA_LMOD)/dynlib/
	install -m 755 $(MODULE) $(DESTDIR)$(LUA_CMOD)/dynlib/core.$(SO)
ifneq ($(NO_BIN),1)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 bin/dynlib $(DESTDIR)$(BINDIR)/dynlib
endif

clean:
	rm -rf build build-* examples/plugins/*.so
