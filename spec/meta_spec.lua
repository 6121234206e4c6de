-- Plugin metadata read without loading: found through PT_NOTE, the section
-- table or the fallback search; hostile records refused with a reason; no
-- plugin code ever runs.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("meta_spec.lua", H.POSIX_TOOLS) then return end
local E = require("elfpatch")

local PFIX = H.fixture("plugin")
local MARKER = PFIX .. "/libmarker.so"

-- A patched copy of the marker plugin in a fresh folder.
local function patched(fn, name)
  local dir = H.tmpdir()
  local path = dir .. "/" .. (name or "libpatched.so")
  E.write(path, fn(E.read(MARKER)))
  return path, dir
end

-- Offset of the JSON text of the marker plugin's record.
local function json_at(data)
  return assert(E.find(data, '{"name": "marker"'))
end

describe("dynlib.metadata", function()
  it("reads a plugin's JSON: strings, integers as integers, reals, booleans, null, arrays, objects", function()
    local meta, info = dynlib.metadata(MARKER)
    assert.is_table(meta, info)
    assert.equal("marker", meta.name)
    assert.equal("test.Marker/1", meta.iid)
    assert.equal(42, meta.size)
    assert.equal("integer", math.type(meta.size))
    assert.equal(0.5, meta.ratio)
    assert.is_true(meta.on)
    assert.equal(dynlib.null, meta.none)
    assert.equal(4, #meta.list)
    assert.same({1, "two"}, {meta.list[1], meta.list[2]})
    assert.equal(dynlib.null, meta.list[3])
    assert.equal(-7, meta.nested.x)
    assert.equal("note", info.source)
    assert.equal(1, info.format)
    assert.equal(dynlib.abi, info.abi)
  end)

  -- Reads a patched copy of the marker plugin: its record is found, through
  -- `source`.
  local function found_through(source, fn)
    local path, dir = patched(fn)
    local meta, info = dynlib.metadata(path)
    assert.equal("marker", meta and meta.name, info)
    assert.equal(source, info.source)
    H.rmdir(dir)
  end

  -- The plugin with its PT_NOTE program headers turned into PT_NULL ones.
  local function no_notes(d)
    for _, ph in ipairs(E.phdrs(d)) do
      if ph.type == E.PT_NOTE then d = E.set(d, ph.at, 4, E.PT_NULL) end
    end
    return d
  end

  local function no_notes_no_sections(d)
    return E.strip_sections(no_notes(d))
  end

  it("finds the record with the section table zeroed (through PT_NOTE)", function()
    found_through("note", function(d)
      local shoff, n = E.field(d, "shoff"), E.field(d, "shnum")
      return E.splice(d, shoff, string.rep("\0", n * E.field(d, "shentsize")))
    end)
  end)

  it("finds the record with the section table removed (through PT_NOTE)", function()
    found_through("note", E.strip_sections)
  end)

  it("finds the record through the section table when no PT_NOTE lists it", function()
    found_through("section", no_notes)
  end)

  it("falls back to searching the file when neither points at the record", function()
    found_through("search", no_notes_no_sections)
  end)

  it("searches shared objects only: a core dump or an executable is not searched", function()
    for _, t in ipairs({2, 4}) do -- ET_EXEC, ET_CORE
      local path, dir = patched(function(d) return E.patch(no_notes_no_sections(d), "type", t) end)
      local meta, msg, code = dynlib.metadata(path)
      assert.is_nil(meta, msg)
      assert.equal("no_metadata", code)
      H.rmdir(dir)
    end
  end)

  it("finds a record straddling two search chunks, and one past a 100 MB hole", function()
    local d = no_notes_no_sections(E.read(MARKER))
    local j = json_at(d)
    local note = d:sub(j - 32 + 1, j + 400)       -- header, name, record, JSON
    d = E.splice(d, j - 20, "xxxxxx")             -- hide the original note
    local dir = H.tmpdir()
    -- The search reads 256 KiB chunks: put the note's header across the
    -- first boundary.
    local boundary = 256 * 1024
    local straddle = d .. string.rep("\0", boundary - 10 - #d) .. note
    E.write(dir .. "/libstraddle.so", straddle)
    local meta, info = dynlib.metadata(dir .. "/libstraddle.so")
    assert.equal("marker", meta and meta.name, info)
    assert.equal("search", info.source)
    -- Sparse: the note after a 100 MB hole (holes are skipped, not read).
    local f = assert(io.open(dir .. "/libsparse.so", "wb"))
    f:write(d)
    f:seek("set", 100 * 1024 * 1024)
    f:write(note)
    f:close()
    meta, info = dynlib.metadata(dir .. "/libsparse.so")
    assert.equal("marker", meta and meta.name, info)
    H.rmdir(dir)
  end)

  it("never finds a record in dynlib's own module, even by searching it", function()
    local module = assert(package.searchpath("dynlib.core", package.cpath))
    local magic = string.pack("<I4", 0x64790001) .. "dynlib\0\0"
    assert.is_nil(E.read(module):find(magic, 1, true))
    -- Without its section table the reader falls back to the search.
    local dir = H.tmpdir()
    local path = dir .. "/core.so"
    local d = E.read(module)
    E.write(path, E.strip_sections(d))
    local meta, msg, code = dynlib.metadata(path)
    assert.is_nil(meta, msg)
    assert.equal("no_metadata", code)
    H.rmdir(dir)
  end)

  it("gives no_metadata for a library without a record", function()
    local meta, msg, code = dynlib.metadata(H.fixture("store/libbasic.so"))
    assert.is_nil(meta)
    assert.equal("no_metadata", code)
    assert.matches("libbasic.so: no dynlib plugin metadata", msg, 1, true)
  end)

  it("refuses hostile records, each with its reason", function()
    local cases = {
      {"length past its note", function(d) return E.set(d, json_at(d) - 4, 4, 0x7fffffff) end,
       "metadata length 2147483647 runs past its note"},
      {"wrong format version", function(d) return E.set(d, json_at(d) - 12, 4, 7) end,
       "metadata record format 7 is not supported"},
      {"invalid JSON", function(d) return E.splice(d, json_at(d), "!") end, "invalid JSON"},
    }
    for _, c in ipairs(cases) do
      local path, dir = patched(c[2])
      local meta, msg, code = dynlib.metadata(path)
      assert.is_nil(meta, c[1])
      assert.equal("bad_metadata", code, c[1])
      assert.matches(c[3], msg, 1, true)
      assert.matches("libpatched.so", msg, 1, true)
      H.rmdir(dir)
    end
  end)

  it("refuses metadata over 1 MiB, saying its size, the limit and the way out", function()
    local meta, msg, code = dynlib.metadata(PFIX .. "/libhuge.so")
    assert.is_nil(meta)
    assert.equal("bad_metadata", code)
    assert.matches("libhuge.so: metadata is 1099997 bytes, over the limit of 1048576 bytes (1 MiB)",
      msg, 1, true)
    assert.matches("keep the plugin's metadata smaller", msg, 1, true)
    assert.not_matches("runs past", msg, 1, true)
    -- a scan gives the same reason for the item
    local dir = H.tmpdir()
    H.copy(PFIX .. "/libhuge.so", dir .. "/libhuge.so")
    local found, skipped = dynlib.scan(dir)
    assert.same({}, found)
    assert.equal("bad_metadata", skipped[1].code)
    assert.matches("over the limit of 1048576 bytes", skipped[1].reason, 1, true)
    H.rmdir(dir)
  end)

  it("says how much room a note has when the length runs past it", function()
    local path, dir = patched(function(d) return E.set(d, json_at(d) - 4, 4, 0x100000) end)
    local meta, msg, code = dynlib.metadata(path)
    assert.is_nil(meta)
    assert.equal("bad_metadata", code)
    assert.matches("libpatched.so: metadata length 1048576 runs past its note %(which has room for %d+ bytes%)",
      msg)
    H.rmdir(dir)
  end)

  it("refuses metadata text that is not UTF-8 before parsing it, naming the byte", function()
    local path, dir = patched(function(d) return E.splice(d, json_at(d) + 10, "\xff") end)
    local meta, msg, code = dynlib.metadata(path)
    assert.is_nil(meta)
    assert.equal("bad_metadata", code)
    assert.matches("libpatched.so: metadata text is not valid UTF-8 (byte 10 of ", msg, 1, true)
    -- an overlong form and a surrogate are not UTF-8 either
    for _, bytes in ipairs({"\xc0\xae", "\xed\xa0\x80"}) do
      E.write(path, E.splice(E.read(MARKER), json_at(E.read(MARKER)) + 10, bytes))
      _, msg = dynlib.metadata(path)
      assert.matches("not valid UTF-8 (byte 10 of ", msg, 1, true)
    end
    -- the byte named wherever it lies in the ASCII runs the check skips a
    -- word at a time, also after a multi-byte character
    for at = 1, 19 do
      E.write(path, E.splice(E.read(MARKER), json_at(E.read(MARKER)) + at, "\x80"))
      msg = select(2, dynlib.metadata(path))
      assert.matches(("not valid UTF-8 (byte %d of "):format(at), msg, 1, true)
      if at >= 2 then -- past the two bytes of the character at 2
        E.write(path, E.splice(E.splice(E.read(MARKER), json_at(E.read(MARKER)) + 2, "\xc3\xa9"),
          json_at(E.read(MARKER)) + 2 + at, "\xff"))
        msg = select(2, dynlib.metadata(path))
        assert.matches(("not valid UTF-8 (byte %d of "):format(2 + at), msg, 1, true)
      end
    end
    -- multi-byte characters are fine
    E.write(path, E.splice(E.read(MARKER), json_at(E.read(MARKER)) + 10, "\xc3\xa9"))
    meta = dynlib.metadata(path)
    assert.equal("\xc3\xa9rker", meta and meta.name)
    H.rmdir(dir)
  end)

  it("says how a plugin declares metadata when a library has none", function()
    local _, msg = dynlib.metadata(H.fixture("store/libbasic.so"))
    assert.matches("(a plugin declares it with DYNLIB_PLUGIN from dynlib_plugin.h)", msg, 1, true)
  end)

  it("refuses JSON that is not an object, invalid JSON and nesting deeper than the bound", function()
    local cases = {
      {"libarray.so", "the JSON is not an object"},
      {"libinvalid.so", "invalid JSON"},
      {"libdeep.so", "nested deeper than 32 levels"},
    }
    for _, c in ipairs(cases) do
      local meta, msg, code = dynlib.metadata(PFIX .. "/" .. c[1])
      assert.is_nil(meta, c[1])
      assert.equal("bad_metadata", code)
      assert.matches(c[2], msg, 1, true)
    end
  end)

  it("gives the file's own reason for what is not an ELF file", function()
    local dir = H.tmpdir()
    H.write(dir .. "/notes.txt", "just text\n")
    local _, msg, code = dynlib.metadata(dir .. "/notes.txt")
    assert.equal("not_a_library", code)
    assert.matches("not an ELF file", msg, 1, true)
    _, _, code = dynlib.metadata(dir .. "/missing.so")
    assert.equal("not_found", code)
    _, _, code = dynlib.metadata(dir)
    assert.equal("not_a_library", code)
    H.rmdir(dir)
  end)

  it("never runs plugin code (checked in a child process)", function()
    local dir = H.tmpdir()
    local path = H.copy(MARKER, dir .. "/libmarker.so")
    local code = ([[
      local d = require("dynlib")
      assert(d.metadata(%q))
      local found = d.scan(%q)
      assert(#found == 1)
      if d.inspect then assert(d.inspect(%q)) end
      print("done")]]):format(path, dir, path)
    local out = H.sh(("LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1"):format(
      H.quote(package.path), H.quote(package.cpath), H.lua, H.quote(code)))
    assert.equal("done\n", out)
    assert.is_nil(H.read(path .. ".ran"))
    -- The marker works: loading the plugin does run its constructor.
    local lib = assert(dynlib.open(path))
    assert.is_truthy(H.read(path .. ".ran"))
    lib:close()
    H.rmdir(dir)
  end)
end)
