# The store benchmark's floor: a hand-written dlopen/dlclose binding.
BENCH_TARGETS += $(BUILD)/bench/rawdl.so

$(BUILD)/bench/rawdl.so: bench/store/rawdl.c
	@mkdir -p $(dir $@)
	$(CC) -shared -O2 -fPIC $(WARN) $(LUA_CFLAGS) -o $@ $< -ldl
