# The metadata benchmark (bench/meta_bench.lua): its floors (C open + read
# 4 KB + close, memmem, plain dlopen, a wall clock) and 1,000 generated
# plugins of mixed sizes.
BENCH_TARGETS += $(BUILD)/bench/floorio.so $(BUILD)/bench/plugins/.made

BENCH_META := $(BUILD)/bench/meta
# Four distinct plugins: size of their read-only data, interface.
BENCH_META_BASES := small:1:Physics 50k:32768:Audio 1m:1048576:Render small2:1:Input

$(BUILD)/bench/floorio.so: bench/meta/floorio.c
	@mkdir -p $(dir $@)
	$(CC) -shared -O2 -fPIC $(WARN) $(LUA_CFLAGS) -o $@ $< -ldl

$(BENCH_META)/.bases: bench/meta/plugin.c src/dynlib_plugin.h
	@mkdir -p $(dir $@)
	set -e; for b in $(BENCH_META_BASES); do \
	  name=$${b%%:*}; rest=$${b#*:}; blob=$${rest%%:*}; kind=$${rest#*:}; \
	  $(CC_FIX) -O2 -fPIC -shared -Isrc -DBLOB=$$blob '-DKIND="'$$kind'"' \
	    -o $(BENCH_META)/$$name.so $<; \
	done
	touch $@

# 1,000 plugins: copies of the four (15 KB, 48 KB, 1 MB, 15 KB; copied
# sparse, so their zero pages take no disk), every 100th stretched past
# 100 MB with a hole.
$(BUILD)/bench/plugins/.made: $(BENCH_META)/.bases
	rm -rf $(dir $@) && mkdir -p $(dir $@)
	set -e; for n in $$(seq 0 999); do i=$$(printf %03d $$n); \
	  case $$((n % 4)) in 0) s=small;; 1) s=50k;; 2) s=1m;; 3) s=small2;; esac; \
	  cp --sparse=always $(BENCH_META)/$$s.so $(dir $@)plugin-$$i.so; \
	  if [ $$((n % 100)) = 7 ]; then truncate -s 101M $(dir $@)plugin-$$i.so; fi; \
	done
	touch $@
