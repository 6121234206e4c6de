# The example game's plugins (make demo). Version 2 of physics lives in the
# build folder; the demo copies it over version 1 to show a hot reload.
EX := examples/plugins
EXB := $(BUILD)/examples
EX_CFLAGS := -O2 -fPIC -shared -Wall -Wextra -Werror -Isrc
DEMO_TARGETS += $(EX)/libphysics.so $(EX)/libaudio.so $(EX)/libfuture.so \
                $(EX)/libhelper.so $(EX)/libscoreboard.so $(EX)/README.txt \
                $(EXB)/libphysics-v1.so $(EXB)/libphysics-v2.so

$(EXB)/libphysics-v%.so: examples/src/physics.c src/dynlib_plugin.h
	@mkdir -p $(dir $@)
	$(CC_FIX) $(EX_CFLAGS) -DPHYSICS_VERSION=$* -o $@ $<

$(EX)/libphysics.so: $(EXB)/libphysics-v1.so
	@mkdir -p $(dir $@)
	cp $< $@

# A Lua-facing plugin needs Lua's headers (not its library: the game's
# interpreter provides the Lua API).
$(EX)/libscoreboard.so: examples/src/scoreboard.c src/dynlib_plugin.h
	@mkdir -p $(dir $@)
	$(CC_FIX) $(EX_CFLAGS) $(LUA_CFLAGS) -o $@ $<

$(EX)/lib%.so: examples/src/%.c src/dynlib_plugin.h
	@mkdir -p $(dir $@)
	$(CC_FIX) $(EX_CFLAGS) -o $@ $<

$(EX)/README.txt:
	@mkdir -p $(dir $@)
	echo "Plugins for the example game. Not a library." > $@
