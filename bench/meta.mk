# The metadata benchmark's floors and its 1,000 generated plugins.
BENCH_TARGETS += $(BUILD)/bench/floorio.so $(BUILD)/bench/plugins/.made

$(BUILD)/bench/floorio.so: bench/meta/floorio.c
	@mkdir -p $(dir $@)
	$(CC) -shared -O2 -fPIC $(WARN) $(LUA_CFLAGS) -o $@ $<

# 1,000 plugins of mixed sizes: copies of four fixture plugins, every 100th
# stretched past 100 MB with a hole (sparse: no disk used).
$(BUILD)/bench/plugins/.made: fixtures
	rm -rf $(dir $@) && mkdir -p $(dir $@)
	set -e; for n in $$(seq 0 999); do i=$$(printf %03d $$n); \
	  case $$((n % 4)) in 0) s=libmarker;; 1) s=libcounter;; 2) s=libreload-v1;; 3) s=libluaplugin;; esac; \
	  cp $(FIX)/plugin/$$s.so $(dir $@)plugin-$$i.so; \
	  if [ $$((n % 100)) = 7 ]; then truncate -s 101M $(dir $@)plugin-$$i.so; fi; \
	done
	touch $@
