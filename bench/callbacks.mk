# The callback benchmark's floor: a comparator written by hand against the
# Lua API, and the loop that calls comparators from C.
BENCH_TARGETS += $(BUILD)/bench/handcmp.so

$(BUILD)/bench/handcmp.so: bench/callbacks/handcmp.c
	@mkdir -p $(dir $@)
	$(CC) -shared -O2 -fPIC $(WARN) -Wno-pedantic $(LUA_CFLAGS) -o $@ $<
