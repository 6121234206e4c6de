# The example game's plugins (make demo). Version 2 of physics lives in the
# build folder; the demo copies it over version 1 to show a hot reload.
# A cross build keeps its plugins in its own build folder (the native ones
# stay where the README shows them); on Windows they are DLLs.
EX := $(if $(CROSS),$(BUILD)/examples/plugins,examples/plugins)
EXB := $(BUILD)/examples
EX_CFLAGS := -O2 -fPIC -shared -Wall -Wextra -Werror -Isrc
DEMO_TARGETS += $(EX)/libphysics.$(SO) $(EX)/libaudio.$(SO) $(EX)/libfuture.$(SO) \
                $(EX)/libhelper.$(SO) $(EX)/libscoreboard.$(SO) $(EX)/README.txt \
                $(EXB)/libphysics-v1.$(SO) $(EXB)/libphysics-v2.$(SO)
DEMO_ENV := $(if $(CROSS),DYNLIB_DEMO_PLUGINS="$(EX)")

$(EXB)/libphysics-v%.$(SO): examples/src/physics.c src/dynlib_plugin.h
	@mkdir -p $(dir $@)
	$(CC_FIX) $(EX_CFLAGS) -DPHYSICS_VERSION=$* -o $@ $<

$(EX)/libphysics.$(SO): $(EXB)/libphysics-v1.$(SO)
	@mkdir -p $(dir $@)
	cp $< $@

# A Lua-facing plugin needs Lua's headers (on Linux not its library: the
# game's interpreter provides the Lua API; a Windows DLL links lua54.dll).
$(EX)/libscoreboard.$(SO): examples/src/scoreboard.c src/dynlib_plugin.h
	@mkdir -p $(dir $@)
	$(CC_FIX) $(EX_CFLAGS) $(LUA_CFLAGS) -o $@ $< $(MODULE_LIBS)

$(EX)/lib%.$(SO): examples/src/%.c src/dynlib_plugin.h
	@mkdir -p $(dir $@)
	$(CC_FIX) $(EX_CFLAGS) -o $@ $<

$(EX)/README.txt:
	@mkdir -p $(dir $@)
	echo "Plugins for the example game. Not a library." > $@
