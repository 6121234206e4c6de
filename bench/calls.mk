# The call benchmark's floor: hand-written bindings of the fixture functions.
BENCH_TARGETS += $(BUILD)/bench/handcalls.so

$(BUILD)/bench/handcalls.so: bench/calls/handcalls.c
	@mkdir -p $(dir $@)
	$(CC) -shared -O2 -fPIC $(WARN) -Wno-pedantic $(LUA_CFLAGS) $(FFI_CFLAGS) -o $@ $< $(FFI_LIBS) -ldl
