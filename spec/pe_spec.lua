-- Windows PE/COFF files read without loading them: inspect agrees with
-- mingw-w64's objdump (machine, class, type, characteristics, subsystem,
-- imports, exports with forwarders and ordinals, sections); plugin metadata
-- from the section .dynlib; open refuses every PE file on Linux
-- (wrong_arch), and the Windows rules (a DLL of this machine, not an EXE,
-- not ELF) hold when PE is the native format; hostile files are refused
-- with their own reasons and never crash.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("pe_spec.lua", H.POSIX_TOOLS) then return end
local E = require("elfpatch")

local PEFIX = H.fixture("pe")
local OBJDUMP = "x86_64-w64-mingw32-objdump"
local have = function(f) return H.read(PEFIX .. "/" .. f) ~= nil end
local HAVE_MINGW = have("winplug.dll")
local HAVE_LLD = have("bare32.dll")
local HAVE_OBJDUMP = select(2, H.sh("command -v " .. OBJDUMP .. " >/dev/null"))
local it_mingw = H.it_if(HAVE_MINGW, "no x86_64-w64-mingw32-gcc: PE fixtures not built")
local it_objdump = H.it_if(HAVE_MINGW and HAVE_OBJDUMP, "no mingw-w64 objdump or fixtures")
local it_lld = H.it_if(HAVE_LLD, "no ld.lld: i686/aarch64 PE fixtures not built")
local it_lld_objdump = H.it_if(HAVE_LLD and HAVE_OBJDUMP, "no ld.lld or no mingw-w64 objdump")

local PLUGIN = PEFIX .. "/winplug.dll"

-- ---- what objdump says --------------------------------------------------

local machines = {["pei-x86-64"] = "x86_64", ["pei-i386"] = "i386",
                  ["pei-aarch64-little"] = "aarch64"}
local subsystems = {["Windows GUI"] = "windows_gui", ["Windows CUI"] = "windows_cui"}

local function objdump_p(path)
  local out = H.sh(OBJDUMP .. " -p " .. H.quote(path))
  local d = {needed = {}, exports = {}}
  d.machine = machines[out:match("file format (%S+)")]
  d.class = ({PE32 = 32, ["PE32+"] = 64})[out:match("Magic%s+%x+%s+%((PE32%+?)%)")]
  local chars = out:match("Characteristics 0x%x+\n(.-)\n\n")
  d.type = chars:match("\tDLL") and "dll" or "exe"
  local dllc = out:match("DllCharacteristics%s+%x+\n(.-)\nSizeOfStackReserve") or ""
  d.aslr = dllc:match("DYNAMIC_BASE") ~= nil
  d.dep = dllc:match("NX_COMPAT") ~= nil
  d.high_entropy_va = dllc:match("HIGH_ENTROPY_VA") ~= nil
  d.subsystem = subsystems[out:match("Subsystem%s+%x+%s+%(([^)]+)%)")]
  for name in out:gmatch("DLL Name: (%S+)") do d.needed[#d.needed + 1] = name end
  local base = tonumber(out:match("Ordinal Base%s+(%d+)"))
  if base then
    local eat = {}
    for idx, ord, rva, rest in out:gmatch("%[%s*(%d+)%] %+base%[%s*(%d+)%] (%x+) ([^\n]*)") do
      eat[tonumber(idx)] = {ordinal = tonumber(ord), rva = tonumber(rva, 16),
                            forward = rest:match("Forwarder RVA %-%- (%S+)")}
    end
    local names = out:match("%[Ordinal/Name Pointer%] Table\n(.-)\n\n") or ""
    local named = {}
    for idx, name in names:gmatch("%[%s*(%d+)%] (%S+)") do
      idx = tonumber(idx)
      named[idx] = true
      d.exports[#d.exports + 1] = {name = name, ordinal = base + idx,
                                   forward = eat[idx] and eat[idx].forward}
    end
    for idx, x in pairs(eat) do
      if not named[idx] and x.rva ~= 0 then
        d.exports[#d.exports + 1] = {ordinal = base + idx, forward = x.forward}
      end
    end
  end
  return d
end

-- "name@ordinal->forward" for every export, sorted.
local function export_keys(list)
  local keys = {}
  for _, x in ipairs(list) do
    keys[#keys + 1] = ("%s@%d->%s"):format(x.name or "", x.ordinal, x.forward or "")
  end
  table.sort(keys)
  return keys
end

local function objdump_h(path)
  local out = H.sh(OBJDUMP .. " -h " .. H.quote(path))
  local list = {}
  for name, size, vma, off in out:gmatch("\n%s+%d+ (%S+)%s+(%x+)%s+(%x+)%s+%x+%s+(%x+)") do
    list[#list + 1] = {name = name, size = tonumber(size, 16), vma = tonumber(vma, 16),
                       offset = tonumber(off, 16)}
  end
  return list
end

local function agrees(path)
  local info, msg = dynlib.inspect(path)
  assert.is_table(info, msg)
  local d = objdump_p(path)
  assert.equal("pe", info.format, path)
  assert.equal(d.machine, info.machine, path)
  assert.equal(d.class, info.class, path)
  assert.equal(d.type, info.type, path)
  assert.equal(d.aslr, info.aslr, path)
  assert.equal(d.dep, info.dep, path)
  assert.equal(d.high_entropy_va, info.high_entropy_va, path)
  assert.equal(d.subsystem, info.subsystem, path)
  assert.same(d.needed, info.needed, path)
  assert.same(export_keys(d.exports), export_keys(info.exports), path)
  local secs = objdump_h(path)
  assert.equal(#secs, #info.sections, path)
  for i, s in ipairs(secs) do
    local o = info.sections[i]
    assert.equal(s.name, o.name, path)
    assert.equal(s.size, o.size, path .. " " .. s.name)
    assert.equal(s.vma - info.image_base, o.addr, path .. " " .. s.name)
    if o.type ~= "nobits" then assert.equal(s.offset, o.offset, path .. " " .. s.name) end
  end
  assert.is_false(info.compatible, path) -- never loadable on Linux
  return info
end

local function by_name(info)
  local t = {}
  for _, x in ipairs(info.exports) do
    if x.name then t[x.name] = x end
  end
  return t
end

-- ---- byte surgery on PE files -------------------------------------------

local P = {}
function P.lfanew(d) return E.get(d, 0x3c, 4) end
function P.coff(d) return P.lfanew(d) + 4 end
function P.opt(d) return P.coff(d) + 20 end
function P.nsections(d) return E.get(d, P.coff(d) + 2, 2) end
function P.opt_size(d) return E.get(d, P.coff(d) + 16, 2) end
function P.sections_at(d) return P.opt(d) + P.opt_size(d) end
-- Data directory i of a PE32+ file: offset of its {rva, size}.
function P.dir_at(d, i) return P.opt(d) + 112 + 8 * i end
-- File offset of an RVA, through the section table.
function P.rva_off(d, rva)
  for i = 0, P.nsections(d) - 1 do
    local s = P.sections_at(d) + 40 * i
    local vsize, va = E.get(d, s + 8, 4), E.get(d, s + 12, 4)
    local raw, ptr = E.get(d, s + 16, 4), E.get(d, s + 20, 4)
    if rva >= va and rva < va + math.max(vsize, raw) then return ptr + rva - va end
  end
end

local function refused_everywhere(path, want)
  local info, msg, code = dynlib.inspect(path)
  assert.is_nil(info, path)
  assert.equal("not_a_library", code, msg)
  assert.matches(want, msg, 1, true)
  assert.matches(path:match("[^/]+$"), msg, 1, true)
  local meta, mmsg, mcode = dynlib.metadata(path)
  assert.is_nil(meta)
  assert.equal("not_a_library", mcode, mmsg)
  local lib, omsg, ocode = dynlib.open(path)
  assert.is_nil(lib)
  assert.equal("not_a_library", ocode, omsg)
  assert.matches(want, omsg, 1, true)
end

-- End (file offset) of the bytes of the section holding file offset off.
function P.section_end(d, off)
  for i = 0, P.nsections(d) - 1 do
    local s = P.sections_at(d) + 40 * i
    local vsize, raw, ptr = E.get(d, s + 8, 4), E.get(d, s + 16, 4), E.get(d, s + 20, 4)
    local len = (vsize ~= 0 and vsize < raw) and vsize or raw
    if off >= ptr and off < ptr + len then return ptr + len end
  end
end

-- ---- specs ----------------------------------------------------------------

describe("dynlib.inspect on PE files", function()
  it_objdump("agrees with objdump -p and -h on the x86_64 DLLs and EXE", function()
    for _, f in ipairs({"winplug.dll", "winplug-stripped.dll", "forward.dll", "plain.dll",
                        "app.exe"}) do
      agrees(PEFIX .. "/" .. f)
    end
  end)

  it_lld_objdump("agrees with objdump on an i386 DLL (clang + lld)", function()
    local info = agrees(PEFIX .. "/bare32.dll")
    assert.equal("i386", info.machine)
    assert.equal(32, info.class)
  end)

  it_lld("reads an aarch64 DLL (objdump here cannot)", function()
    local info = assert(dynlib.inspect(PEFIX .. "/bare-arm64.dll"))
    local d = E.read(PEFIX .. "/bare-arm64.dll")
    assert.equal(0xaa64, E.get(d, P.coff(d), 2))
    assert.equal("aarch64", info.machine)
    assert.equal(64, info.class)
    assert.equal("dll", info.type)
    local x = by_name(info)
    assert.equal("func", x.bare_add.kind)
    assert.equal("object", x.bare_value.kind)
  end)

  it_mingw("reports a plugin DLL: type, machine, imports in order, exports with kinds", function()
    local info = agrees(PLUGIN)
    assert.equal("dll", info.type)
    assert.equal("x86_64", info.machine)
    assert.equal("winplug.dll", info.dll_name)
    assert.same({"KERNEL32.dll", "msvcrt.dll"}, info.needed)
    local x = by_name(info)
    assert.equal("func", x.pe_add.kind)
    assert.equal("func", x.dynlib_plugin_instance.kind)
    assert.equal("object", x.pe_counter_value.kind)
    assert.is_nil(x.pe_add.forward)
    assert.is_true(info.aslr and info.dep and info.high_entropy_va)
    assert.equal("windows_cui", info.subsystem)
    local names = {}
    for _, s in ipairs(info.sections) do names[s.name] = s end
    assert.equal("AX", names[".text"].flags)
    assert.equal("WA", names[".data"].flags)
    assert.equal("A", names[".dynlib"].flags)
    assert.equal("nobits", names[".bss"].type)
    assert.is_table(names[".debug_info"]) -- a long name, through the string table
  end)

  it_mingw("marks forwarders and exports by ordinal only", function()
    local info = agrees(PEFIX .. "/forward.dll")
    local x = by_name(info)
    assert.equal("winplug.pe_add", x.pe_add_fwd.forward)
    assert.equal("forward", x.pe_add_fwd.kind)
    assert.equal("KERNEL32.HeapAlloc", x.HeapAllocAlias.forward)
    assert.equal("func", x.own_func.kind)
    local by_ordinal
    for _, e in ipairs(info.exports) do
      if e.name == nil then by_ordinal = e end
    end
    assert.is_table(by_ordinal)
    assert.equal(7, by_ordinal.ordinal) -- hidden_func @7 NONAME
    assert.is_nil(x.hidden_func)
  end)

  it_mingw("reports the characteristics a DLL was linked without, and the subsystem", function()
    local info = agrees(PEFIX .. "/plain.dll")
    assert.is_false(info.aslr)
    assert.is_false(info.dep)
    assert.is_false(info.high_entropy_va)
    assert.equal("windows_gui", info.subsystem)
    assert.equal("exe", agrees(PEFIX .. "/app.exe").type)
  end)

  it_mingw("keeps long section names raw (/N) when the string table is gone", function()
    local d = E.read(PLUGIN)
    -- Drop the COFF symbol table pointer: /4 can no longer be resolved.
    local dir = H.tmpdir()
    local path = E.write(dir .. "/nosyms.dll", E.set(d, P.coff(d) + 8, 4, 0))
    local info = assert(dynlib.inspect(path))
    local raw = 0
    for _, s in ipairs(info.sections) do
      if s.name:match("^/%d+$") then raw = raw + 1 end
      assert.is_nil(s.name:match("^%.debug"))
    end
    assert.is_true(raw > 0)
    H.rmdir(dir)
  end)

  it("adds format = \"elf\" to ELF files", function()
    local info = assert(dynlib.inspect(H.fixture("check/libtiny.so")))
    assert.equal("elf", info.format)
    local flags = {}
    for _, s in ipairs(info.sections) do flags[s.name] = s.flags end
    assert.equal("AX", flags[".text"])
    assert.equal("WA", flags[".data"])
  end)

  it_mingw("gives a PE section's bytes (dynlib.section)", function()
    local bytes = assert(dynlib.section(PLUGIN, ".dynlib"))
    assert.matches('"name": "winplug"', bytes, 1, true)
    local _, msg, code = dynlib.section(PLUGIN, ".nothere")
    assert.equal("not_found", code, msg)
  end)
end)

describe("plugin metadata in PE files", function()
  it_mingw("reads DYNLIB_PLUGIN's record from the section .dynlib (mingw-w64)", function()
    for _, f in ipairs({"winplug.dll", "winplug-stripped.dll"}) do
      local meta, info = dynlib.metadata(PEFIX .. "/" .. f)
      assert.is_table(meta, info)
      assert.equal("winplug", meta.name)
      assert.equal("test.WinPlugin/1", meta.iid)
      assert.equal(7, meta.size)
      assert.equal("integer", math.type(meta.size))
      assert.equal("section", info.source)
      assert.equal(dynlib.abi, info.abi)
    end
  end)

  it_mingw("puts the record in a section of 8 characters or fewer, no string table needed", function()
    local d = E.read(PLUGIN)
    local found = false
    for i = 0, P.nsections(d) - 1 do
      if d:sub(P.sections_at(d) + 40 * i + 1, P.sections_at(d) + 40 * i + 8) == ".dynlib\0" then
        found = true
      end
    end
    assert.is_true(found)
  end)

  it_lld("reads it from i686 and aarch64 DLLs (clang + lld)", function()
    for _, f in ipairs({"bare32.dll", "bare-arm64.dll"}) do
      local meta, info = dynlib.metadata(PEFIX .. "/" .. f)
      assert.equal("bare", meta and meta.name, info)
    end
  end)

  it_mingw("says no_metadata for a DLL or EXE without the section", function()
    for _, f in ipairs({"forward.dll", "plain.dll", "app.exe"}) do
      local meta, msg, code = dynlib.metadata(PEFIX .. "/" .. f)
      assert.is_nil(meta)
      assert.equal("no_metadata", code, msg)
    end
  end)

  it_mingw("says bad_metadata for a broken record", function()
    local d = E.read(PLUGIN)
    local at = assert(E.find(d, '{"name": "winplug"'))
    local dir = H.tmpdir()
    -- format (12 bytes before the JSON), then the JSON length past the section
    local cases = {
      {E.set(d, at - 12, 4, 99), "format 99"},
      {E.set(d, at - 4, 4, 0x100000), "runs past its note"},
      {E.splice(d, at - 32, "\0\0\0\0\0\0\0\0"), "no dynlib metadata record"},
    }
    for i, c in ipairs(cases) do
      local path = E.write(dir .. "/bad" .. i .. ".dll", c[1])
      local meta, msg, code = dynlib.metadata(path)
      assert.is_nil(meta, i)
      assert.equal("bad_metadata", code, msg)
      assert.matches(c[2], msg, 1, true)
    end
    H.rmdir(dir)
  end)

  it_mingw("is found by dynlib.scan, next to ELF plugins", function()
    local dir = H.tmpdir()
    H.copy(PLUGIN, dir .. "/winplug.dll")
    H.copy(H.fixture("plugin/libmarker.so"), dir .. "/libmarker.so")
    H.copy(PEFIX .. "/plain.dll", dir .. "/plain.dll")
    local found, skipped = dynlib.scan(dir)
    local names = {}
    for _, p in ipairs(found) do names[#names + 1] = p.meta.name end
    table.sort(names)
    assert.same({"marker", "winplug"}, names)
    local codes = {}
    for _, s in ipairs(skipped) do codes[s.path:match("[^/]+$")] = s.code end
    assert.equal("no_metadata", codes["plain.dll"])
    H.rmdir(dir)
  end)
end)

describe("checks before loading a PE file", function()
  it_mingw("open refuses a DLL and an EXE on Linux with wrong_arch, naming them", function()
    local lib, msg, code = dynlib.open(PLUGIN)
    assert.is_nil(lib)
    assert.equal("wrong_arch", code, msg)
    assert.matches("winplug.dll", msg, 1, true)
    assert.matches("Windows PE DLL for x86_64", msg, 1, true)
    lib, msg, code = dynlib.open(PEFIX .. "/app.exe")
    assert.is_nil(lib)
    assert.equal("wrong_arch", code, msg)
    assert.matches("Windows PE EXE for x86_64", msg, 1, true)
    local plugin, pmsg, pcode = dynlib.plugin(PLUGIN)
    assert.is_nil(plugin)
    assert.equal("wrong_arch", pcode, pmsg)
  end)

  it_lld("names the machine of i386 and aarch64 DLLs", function()
    local _, msg, code = dynlib.open(PEFIX .. "/bare32.dll")
    assert.equal("wrong_arch", code, msg)
    assert.matches("Windows PE DLL for i386", msg, 1, true)
    _, msg, code = dynlib.open(PEFIX .. "/bare-arm64.dll")
    assert.equal("wrong_arch", code, msg)
    assert.matches("Windows PE DLL for aarch64", msg, 1, true)
  end)

  it_mingw("under the Windows rules: a DLL of this machine passes, an EXE, another machine and ELF do not", function()
    local prog = H.build .. "/spec/pe_check"
    local files = {PLUGIN, PEFIX .. "/app.exe", H.fixture("check/libtiny.so")}
    if HAVE_LLD then
      files[#files + 1] = PEFIX .. "/bare32.dll"
      files[#files + 1] = PEFIX .. "/bare-arm64.dll"
    end
    local quoted = {}
    for i, f in ipairs(files) do quoted[i] = H.quote(f) end
    local out, ok = H.sh(H.program(prog) .. " " .. table.concat(quoted, " "))
    assert.is_true(ok, out)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    local native = {x86_64 = PLUGIN, i386 = PEFIX .. "/bare32.dll",
                    aarch64 = PEFIX .. "/bare-arm64.dll"}
    for i, f in ipairs(files) do
      local code = lines[i]:match("^(%S+)")
      if f == native[dynlib.arch] then
        assert.equal("ok", code, lines[i])
      elseif f:match("%.exe$") then
        assert.equal(dynlib.arch == "x86_64" and "not_a_library" or "wrong_arch", code, lines[i])
      else
        assert.equal("wrong_arch", code, lines[i])
      end
    end
    if dynlib.arch == "x86_64" then
      assert.matches("is a Windows executable (EXE), not a DLL", lines[2], 1, true)
    end
    assert.matches("is an ELF file", lines[3], 1, true)
  end)
end)

describe("hostile PE files", function()
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() H.rmdir(dir) end)

  local function write(name, data) return E.write(dir .. "/" .. name, data) end

  it_mingw("refuse truncated copies at many lengths, with a reason", function()
    local data = E.read(PLUGIN)
    local lengths = {1, 2, 3, 40, 63, 64, 65, 100, 127, 128, 131, 132, 150, 151, 152,
                     200, 300, 400, 500, 600, 1000}
    for n = 1024, #data - 1, 997 do lengths[#lengths + 1] = n end
    for _, n in ipairs(lengths) do
      local path = write("cut.dll", data:sub(1, n))
      local info, msg, code = dynlib.inspect(path)
      assert.is_nil(info, n)
      assert.equal("not_a_library", code, n .. ": " .. tostring(msg))
      assert.matches("cut.dll", msg, 1, true)
      local meta, mmsg, mcode = dynlib.metadata(path)
      assert.is_nil(meta, n)
      assert.equal("not_a_library", mcode, n .. ": " .. tostring(mmsg))
      local lib, _, ocode = dynlib.open(path)
      assert.is_nil(lib, n)
      assert.equal("not_a_library", ocode, n)
    end
    refused_everywhere(write("cut.dll", data:sub(1, 40)), "truncated DOS header")
    refused_everywhere(write("cut.dll", data:sub(1, 2000)), "extends past the end of the file")
  end)

  it_mingw("refuse e_lfanew past the end, absurd e_lfanew, and no PE signature", function()
    local d = E.read(PLUGIN)
    refused_everywhere(write("a.dll", E.set(d, 0x3c, 4, #d + 100)), "points past the end of the file")
    refused_everywhere(write("b.dll", E.set(d, 0x3c, 4, 0xfffffff0)), "is absurd")
    refused_everywhere(write("c.dll", E.splice(d, P.lfanew(d), "NE\0\0")), "no PE signature")
    refused_everywhere(write("d.dll", "MZ" .. string.rep("\0", 62)), "points into the MZ magic")
  end)

  it_mingw("refuse an absurd section count, and none", function()
    local d = E.read(PLUGIN)
    refused_everywhere(write("a.dll", E.set(d, P.coff(d) + 2, 2, 0xffff)), "section count 65535 is absurd")
    refused_everywhere(write("b.dll", E.set(d, P.coff(d) + 2, 2, 0)), "has no sections")
    -- 96 is allowed by the count, but the table then runs over the sections' bytes
    local info, msg = dynlib.inspect(write("c.dll", E.set(d, P.coff(d) + 2, 2, 96)))
    assert.is_nil(info)
    assert.is_string(msg)
  end)

  it_mingw("refuse an optional header past the file, too small, or with too many directories", function()
    local d = E.read(PLUGIN)
    local small = d:sub(1, 1024)
    refused_everywhere(write("a.dll", E.set(small, P.coff(d) + 16, 2, 0xfff0)),
      "optional header (65520 bytes) extends past the end of the file")
    refused_everywhere(write("b.dll", E.set(d, P.coff(d) + 16, 2, 100)), "too small for PE32+")
    refused_everywhere(write("c.dll", E.set(d, P.opt(d) + 108, 4, 0x7fffffff)),
      "data directories do not fit the optional header")
    refused_everywhere(write("d.dll", E.set(d, P.opt(d), 2, 0x999)), "unknown optional header magic")
    refused_everywhere(write("e.dll", E.set(d, P.coff(d) + 16, 2, 0)), "has no optional header")
  end)

  it_mingw("refuse a directory RVA outside every section, and a section past the end", function()
    local d = E.read(PLUGIN)
    refused_everywhere(write("a.dll", E.set(d, P.dir_at(d, 1), 4, 0x7ff00000)),
      "data directory 1 (import) at RVA 0x7ff00000 is outside every section")
    refused_everywhere(write("b.dll", E.set(d, P.dir_at(d, 0), 4, 0x7ff00000)),
      "data directory 0 (export) at RVA 0x7ff00000 is outside every section")
    local s0 = P.sections_at(d)
    refused_everywhere(write("c.dll", E.set(d, s0 + 20, 4, #d - 16)),
      "section 0 (.text) extends past the end of the file")
  end)

  it_mingw("refuse huge export counts and broken export tables", function()
    local d = E.read(PLUGIN)
    local edir = assert(P.rva_off(d, E.get(d, P.dir_at(d, 0), 4)))
    local function inspect_refuses(name, data, want)
      local info, msg, code = dynlib.inspect(write(name, data))
      assert.is_nil(info, name)
      assert.equal("not_a_library", code, msg)
      assert.matches(want, msg, 1, true)
    end
    inspect_refuses("a.dll", E.set(d, edir + 20, 4, 0xffffffff), "export address table (4294967295 entries) is absurd")
    inspect_refuses("b.dll", E.set(d, edir + 20, 4, 60000), "export address table (60000 entries) extends past its section")
    inspect_refuses("c.dll", E.set(d, edir + 24, 4, 0xffffff), "more exported names")
    inspect_refuses("d.dll", E.set(d, edir + 36, 4, 0x7ff00000),
      "export ordinal table at RVA 0x7ff00000 is outside every section")
    -- a name index pointing past the address table
    local ords = P.rva_off(d, E.get(d, edir + 36, 4))
    inspect_refuses("e.dll", E.set(d, ords, 2, 500), "refers to function 500")
    -- metadata does not need the exports: still read
    local meta = dynlib.metadata(dir .. "/a.dll")
    assert.equal("winplug", meta and meta.name)
  end)

  it_mingw("refuse an import directory without its terminator", function()
    local d = E.read(PLUGIN)
    local idir = assert(P.rva_off(d, E.get(d, P.dir_at(d, 1), 4)))
    -- Fill the rest of the import section's bytes with copies of the first
    -- descriptor: no all-zero one is left.
    local stop = P.section_end(d, idir)
    local desc = d:sub(idir + 1, idir + 20)
    local fill = string.rep(desc, (stop - idir) // 20 + 1):sub(1, stop - idir)
    local info, msg, code = dynlib.inspect(write("a.dll", E.splice(d, idir, fill)))
    assert.is_nil(info)
    assert.equal("not_a_library", code, msg)
    assert.matches("import directory is not terminated within its section", msg, 1, true)
    -- Point the name of the first DLL outside every section.
    info, msg, code = dynlib.inspect(write("b.dll", E.set(d, idir + 12, 4, 0x7ff00000)))
    assert.is_nil(info)
    assert.equal("not_a_library", code, msg)
    assert.matches("imported DLL name at RVA 0x7ff00000 is outside every section", msg, 1, true)
  end)

  it_mingw("survive random bytes after a valid MZ header", function()
    math.randomseed(7)
    local d = E.read(PLUGIN)
    for i = 1, 40 do
      local t = {}
      for k = 1, 32 do t[k] = string.char(math.random(0, 255)) end
      -- Random bytes over the headers and the first section table entries.
      local at = math.random(2, P.sections_at(d) + 200)
      local path = write("r.dll", E.splice(d, at, table.concat(t)))
      local info, msg, code = dynlib.inspect(path)
      if not info then assert.is_string(code, i .. ": " .. tostring(msg)) end
      dynlib.metadata(path)
      local lib = dynlib.open(path)
      assert.is_nil(lib)
    end
  end)
end)
