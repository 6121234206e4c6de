-- The C API's reading without loading (dynlib.h: dynlib_metadata,
-- dynlib_metadata_record, dynlib_inspect, dynlib_scan, dynlib_scan_paths):
-- spec/c/capi.c checks the error cases and invariants, and dumps what it
-- reads; the dumps must say what dynlib.inspect, dynlib.metadata and
-- dynlib.scan say (the binding is built on the same functions).
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("capi_spec.lua", H.POSIX_TOOLS) then return end

local CAPI = H.build .. "/spec/capi"
local FIX = H.fixtures

local function run(...)
  local args = {}
  for i, a in ipairs({...}) do args[i] = H.quote(a) end
  return H.sh(H.program(H.quote(CAPI)) .. " " .. table.concat(args, " ") .. " 2>&1")
end

local function exists(path)
  return H.read(path) ~= nil
end

-- dynlib.inspect's table in capi.c's dump format.
local function inspect_dump(path)
  local out = {"inspect " .. path}
  local function add(...) out[#out + 1] = table.concat({...}, " ") end
  local t, msg, code = dynlib.inspect(path)
  if not t then
    add("error", code, msg)
    return table.concat(out, "\n") .. "\n"
  end
  local pe = t.format == "pe"
  add("format", t.format)
  add("class", t.class)
  add("endian", t.endian)
  add("machine", t.machine)
  add("type", t.type)
  add("compatible", t.compatible and 1 or 0)
  local b = function(v) return v and 1 or 0 end
  if pe then
    add("subsystem", t.subsystem)
    add("aslr", b(t.aslr))
    add("dep", b(t.dep))
    add("high_entropy_va", b(t.high_entropy_va))
    add("guard_cf", b(t.guard_cf))
    add("dll_characteristics", t.dll_characteristics)
    add("image_base", t.image_base)
    if t.dll_name then add("dll_name", t.dll_name) end
  else
    add("osabi", t.osabi)
    add("pie", b(t.pie))
    for _, k in ipairs({"soname", "interp", "build_id"}) do
      if t[k] then add(k, t[k]) end
    end
  end
  for _, n in ipairs(t.needed) do add("needed", n) end
  for _, n in ipairs(t.rpath or {}) do add("rpath", n) end
  for _, n in ipairs(t.runpath or {}) do add("runpath", n) end
  for _, s in ipairs(t.sections) do
    if pe then
      add("section", s.name, s.type, s.flags, s.size, s.offset, s.addr, s.raw_size,
        s.characteristics)
    else
      add("section", s.name, s.type, s.flags, s.size, s.offset, s.addr)
    end
  end
  for _, x in ipairs(t.exports) do
    if pe then add("export", x.name or "-", x.ordinal, x.kind, x.forward or "-")
    elseif x.version then add("export", x.name, x.kind, x.version, x.default and 1 or 0)
    else add("export", x.name, x.kind) end
  end
  return table.concat(out, "\n") .. "\n"
end

describe("the C API (dynlib.h) reading without loading", function()
  it("passes its own checks: errors with their codes and reasons, lists ended by NULL", function()
    local out, ok = run("check", FIX)
    assert.is_true(ok, out)
    assert.equal("ok\n", out)
  end)

  it("inspects ELF and PE files exactly as dynlib.inspect does", function()
    local files = {}
    for _, f in ipairs({"store/libdependent.so", "elf/libsymbols.so", "elf/librpath.so",
                        "elf/librunpath.so", "elf/libsymbols-sysv.so", "plugin/libmarker.so",
                        "check/tiny-pie", "pe/forward.dll", "pe/winplug.dll", "pe/app.exe",
                        "pe/bare32.dll", "pe/bare-arm64.dll", "plugin/huge.c",
                        "plugin/no-such.so"}) do
      local path = FIX .. "/" .. f
      if exists(path) or f:match("no%-such") then files[#files + 1] = path end
    end
    assert.is_true(#files >= 8)
    local want = {}
    for _, f in ipairs(files) do want[#want + 1] = inspect_dump(f) end
    local out, ok = run("inspect", table.unpack(files))
    assert.is_true(ok, out)
    assert.equal(table.concat(want), out)
    -- a real system library too: thousands of versioned exports
    local libc = H.read(H.libdir() .. "/libc.so.6") and H.libdir() .. "/libc.so.6"
    if libc then
      out = run("inspect", libc)
      assert.equal(inspect_dump(libc), out)
    end
  end)

  it("hands out the metadata's JSON text as dynlib.metadata reads it, and the same errors", function()
    for _, f in ipairs({"plugin/libmarker.so", "plugin/libcounter.so", "pe/winplug.dll",
                        "plugin/libhuge.so", "store/libbasic.so", "plugin/missing.so"}) do
      local path = FIX .. "/" .. f
      if exists(path) or not f:match("winplug") then
        local out, ok = run("metadata", path)
        assert.is_true(ok, out)
        local meta, info, code = dynlib.metadata(path)
        local want
        if meta then
          want = ("metadata %s\nformat %d\nabi %d\nsource %s\nlength %d\njson %s\n")
            :format(path, info.format, info.abi, info.source, #info.json, info.json)
        else
          want = ("metadata %s\nerror %s %s\n"):format(path, code, info)
        end
        assert.equal(want, out)
      end
    end
    -- JSON that does not parse is still handed out by C: parsing is the caller's
    local out = run("metadata", FIX .. "/plugin/libinvalid.so")
    assert.matches('json {"name": "broken",}', out, 1, true)
  end)

  it("scans a folder as dynlib.scan does: same items, codes and reasons", function()
    for _, args in ipairs({{FIX .. "/plugin"}, {"-r", FIX}}) do
      local dir = args[#args]
      local out, ok = run("scan", table.unpack(args))
      assert.is_true(ok, out)
      local found, skipped = dynlib.scan(dir, {recursive = args[1] == "-r"})
      local lua = {}
      for _, it in ipairs(found) do lua[it.path] = {code = "ok", meta = it.meta} end
      for _, it in ipairs(skipped) do lua[it.path] = {code = it.code, reason = it.reason} end
      local n = 0
      for line in out:gmatch("[^\n]+") do
        n = n + 1
        local path, code, rest = line:match("^item (%S+) (%S+) (.*)$")
        local l = assert(lua[path], "only C lists " .. tostring(path))
        if code == "ok" then
          if l.code == "ok" then
            local _, info = dynlib.metadata(path)
            assert.equal(info.json, rest:match("^%d+ (.*)$"), path)
          else -- the JSON does not parse: only the binding refuses it
            assert.equal("bad_metadata", l.code, path)
            assert.matches("bad metadata:", l.reason, 1, true)
          end
        else
          assert.equal(l.code, code, path)
          assert.equal(l.reason, rest, path)
        end
      end
      assert.equal(#found + #skipped, n)
    end
    local out = run("scan", FIX .. "/no-such-folder")
    local _, msg, code = dynlib.scan(FIX .. "/no-such-folder")
    assert.equal(("error %s %s\n"):format(code, msg), out)
  end)

  it("scans the caller's list of files, sorted, as dynlib.scan does", function()
    local paths = {FIX .. "/plugin/libmarker.so", FIX .. "/plugin/gone.so",
                   FIX .. "/store/libbasic.so"}
    local out, ok = run("scan-paths", table.unpack(paths))
    assert.is_true(ok, out)
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(3, #lines)
    assert.matches("^item " .. FIX:gsub("%p", "%%%0") .. "/plugin/gone%.so not_found ", lines[1])
    assert.matches("/plugin/libmarker.so ok 1 {", lines[2], 1, true)
    assert.matches("/store/libbasic.so no_metadata ", lines[3], 1, true)
    local _, skipped = dynlib.scan(paths)
    for _, it in ipairs(skipped) do
      assert.matches(it.reason, out, 1, true)
    end
  end)
end)
