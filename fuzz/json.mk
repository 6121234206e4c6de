# The metadata JSON reader under libFuzzer (fuzz/fuzz_json.c); seeds are
# fuzz.mk's shared ones (the plugin fixtures hold JSON records).
FUZZ_TARGETS += json
