# The typed-memory benchmark's floor: a hand-written binding of one struct
# and one int32_t array (bench/cdata/handcdata.c).
BENCH_TARGETS += $(BUILD)/bench/handcdata.so

$(BUILD)/bench/handcdata.so: bench/cdata/handcdata.c
	@mkdir -p $(dir $@)
	$(CC) -shared -O2 -fPIC $(WARN) $(LUA_CFLAGS) -o $@ $<
