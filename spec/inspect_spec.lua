-- dynlib.inspect and dynlib.section: what a file is, without loading it,
-- checked against binutils (readelf, nm) on fixtures and on this machine's
-- own libraries; hostile files refused with their own reasons.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("inspect_spec.lua", H.POSIX_TOOLS) then return end
local E = require("elfpatch")

local EFIX = H.fixture("elf")

-- ---- what binutils says ---------------------------------------------------

local machines = {["Advanced Micro Devices X86-64"] = "x86_64", ["Intel 80386"] = "i386",
                  ["AArch64"] = "aarch64", ["IBM S/390"] = "s390", ["PowerPC64"] = "ppc64",
                  ["PowerPC"] = "ppc"}

local function readelf_h(path)
  local out = H.sh("readelf -hW " .. H.quote(path))
  return {
    class = out:match("Class:%s+ELF(%d+)") and tonumber(out:match("Class:%s+ELF(%d+)")),
    endian = out:match("Data:%s+2's complement, (%a+) endian"),
    type = ({DYN = "dyn", EXEC = "exec", REL = "rel", CORE = "core"})[out:match("Type:%s+(%u+)")],
    machine = machines[out:match("Machine:%s+([^\n]-)%s*\n")] or out:match("Machine:%s+([^\n]-)%s*\n"),
  }
end

local function readelf_d(path)
  local out = H.sh("readelf -dW " .. H.quote(path) .. " 2>/dev/null")
  local d = {needed = {}, rpath = {}, runpath = {}}
  d.soname = out:match("%(SONAME%)%s+Library soname: %[(.-)%]")
  for lib in out:gmatch("%(NEEDED%)%s+Shared library: %[(.-)%]") do d.needed[#d.needed + 1] = lib end
  local rpath = out:match("%(RPATH%)%s+Library rpath: %[(.-)%]")
  local runpath = out:match("%(RUNPATH%)%s+Library runpath: %[(.-)%]")
  for p in (rpath or ""):gmatch("[^:]+") do d.rpath[#d.rpath + 1] = p end
  for p in (runpath or ""):gmatch("[^:]+") do d.runpath[#d.runpath + 1] = p end
  return d
end

-- The set of "name", "name@VER" and "name@@VER" nm lists as defined.
local function nm_exports(path)
  local set, n = {}, 0
  for line in H.sh("nm -D --defined-only " .. H.quote(path) .. " 2>/dev/null"):gmatch("[^\n]+") do
    local kind, sym = line:match("^%x*%s+(%a)%s+(%S+)$")
    if kind and kind ~= "A" then
      set[sym] = true
      n = n + 1
    end
  end
  return set, n
end

local function our_exports(info)
  local set, n = {}, 0
  for _, x in ipairs(info.exports) do
    local key = x.name
    if x.version then key = key .. (x.default and "@@" or "@") .. x.version end
    set[key] = true
    n = n + 1
  end
  return set, n
end

local function agrees(path)
  local info, err = dynlib.inspect(path)
  assert.is_table(info, err)
  local h = readelf_h(path)
  assert.equal(h.class, info.class, path)
  assert.equal(h.endian, info.endian, path)
  assert.equal(h.type, info.type, path)
  assert.equal(h.machine, info.machine, path)
  local d = readelf_d(path)
  assert.equal(d.soname, info.soname, path)
  assert.equal(H.sh("readelf -nW " .. H.quote(path) .. " 2>/dev/null"):match("Build ID: (%x+)"),
    info.build_id, path)
  assert.same(d.needed, info.needed, path)
  assert.same(d.rpath, info.rpath, path)
  assert.same(d.runpath, info.runpath, path)
  local want, nw = nm_exports(path)
  local got, ng = our_exports(info)
  assert.same(want, got, path)
  assert.equal(nw, ng, path)
  return info
end

-- ---- specs ------------------------------------------------------------

describe("dynlib.inspect", function()
  it("agrees with readelf and nm on the fixtures", function()
    local files = {}
    for _, dir in ipairs({"elf", "store", "calls", "check", "plugin"}) do
      for f in H.sh("ls " .. H.quote(H.fixture(dir))):gmatch("[^\n]+") do
        if f:match("%.so[.%d]*$") and not f:match("debug") then files[#files + 1] = H.fixture(dir .. "/" .. f) end
      end
    end
    assert.is_true(#files >= 20)
    for _, f in ipairs(files) do agrees(f) end
  end)

  it("agrees with readelf and nm on 40 of this machine's libraries", function()
    local list = H.sh("find " .. H.quote(H.libdir()) .. " -maxdepth 1 -type f -name 'lib*.so.*' | sort")
    local n = 0
    for path in list:gmatch("[^\n]+") do
      if n == 40 then break end
      if H.sh("head -c 4 " .. H.quote(path)) == "\127ELF" then
        agrees(path)
        n = n + 1
      end
    end
    assert.equal(40, n)
  end)

  it("reports soname, needed, rpath, runpath, exports with kinds and versions", function()
    local info = agrees(EFIX .. "/libsymbols.so")
    assert.equal("libsymbols.so.3", info.soname)
    local by = {}
    for _, x in ipairs(info.exports) do by[x.name .. (x.default and "@@" or "@") .. tostring(x.version)] = x end
    assert.equal("func", by["api@@VERS_2.0"].kind)
    assert.equal("func", by["api@VERS_1.0"].kind)
    assert.is_false(by["api@VERS_1.0"].default)
    assert.equal("object", by["an_object@@VERS_1.0"].kind)
    assert.equal("tls", by["tls_var@@VERS_2.0"].kind)
    assert.equal("ifunc", by["picked@@VERS_2.0"].kind)
    assert.same({"/opt/a", "/opt/b"}, dynlib.inspect(EFIX .. "/librpath.so").rpath)
    local rp = dynlib.inspect(EFIX .. "/librunpath.so")
    assert.same({"$ORIGIN/lib"}, rp.runpath)
    assert.same({"libm.so.6", "libc.so.6"}, rp.needed)
    local z = dynlib.inspect(H.libdir() .. "/libz.so.1")
    local unversioned
    for _, x in ipairs(z.exports) do if x.name == "inflateEnd" then unversioned = x end end
    assert.is_nil(unversioned.version)
  end)

  it("finds the exports through DT_GNU_HASH or DT_HASH when the section table is stripped", function()
    for _, name in ipairs({"libsymbols.so", "libsymbols-sysv.so", "libz-copy"}) do
      local src = name == "libz-copy" and H.libdir() .. "/libz.so.1" or EFIX .. "/" .. name
      local want = our_exports(assert(dynlib.inspect(src)))
      local data = E.strip_sections(E.read(src))
      local dir = H.tmpdir()
      local info, err = dynlib.inspect(E.write(dir .. "/libstripped.so", data))
      assert.is_table(info, err)
      assert.same({}, info.sections)
      assert.same(want, our_exports(info), name)
      assert.is_true(next(want) ~= nil)
      H.rmdir(dir)
    end
    local sysv = H.sh("readelf -dW " .. H.quote(EFIX .. "/libsymbols-sysv.so"))
    assert.matches("%(HASH%)", sysv)
    assert.is_nil(sysv:find("GNU_HASH", 1, true))
  end)

  -- Built with ld.lld (spec/fixtures/elf.mk); skipped when it is missing.
  -- One of the five is this machine's: the other four are foreign on every
  -- target (other machine, class or byte order).
  local foreign = {ppc64 = {64, "big"}, ppc = {32, "big"}, aarch64 = {64, "little"},
                   i386 = {32, "little"}, x86_64 = {64, "little"}}
  foreign[dynlib.arch] = nil
  local have_foreign = H.read(EFIX .. "/foreign/libppc64.so") ~= nil
  ;(have_foreign and it or pending)("reads shared objects of other machines, classes and byte orders", function()
    local n = 0
    for _ in pairs(foreign) do n = n + 1 end
    assert.equal(4, n)
    for arch, want in pairs(foreign) do
      local path = EFIX .. "/foreign/lib" .. arch .. ".so"
      local info = agrees(path)
      assert.equal(want[1], info.class, arch)
      assert.equal(want[2], info.endian, arch)
      assert.equal(arch, info.machine)
      assert.is_false(info.compatible, arch)
      assert.equal("libforeign-" .. arch .. ".so.1", info.soname)
      assert.same({"libforeigndep.so.1"}, info.needed)
      assert.same({"/opt/" .. arch, "$ORIGIN"}, arch == "ppc64" and info.rpath or info.runpath)
      local got = our_exports(info)
      for _, key in ipairs({"api@VERS_1.0", "api@@VERS_2.0", "plain@@VERS_1.0", "tls_var@@VERS_2.0"}) do
        assert.is_true(got[key], arch .. " " .. key)
      end
      local kinds = {}
      for _, x in ipairs(info.exports) do kinds[x.name] = x.kind end
      assert.same({api = "func", plain = "func", an_object = "object", tls_var = "tls",
                   picked = "ifunc"}, kinds, arch)
      agrees(EFIX .. "/foreign/libdep-" .. arch .. ".so")
    end
    -- The fifth, built the same way for this machine, is no foreign file.
    assert.is_true(agrees(EFIX .. "/foreign/lib" .. dynlib.arch .. ".so").compatible)
  end)

  ;(have_foreign and it or pending)("refuses to open them: wrong_arch, naming class, order and machine", function()
    for arch, want in pairs(foreign) do
      local path = EFIX .. "/foreign/lib" .. arch .. ".so"
      local lib, msg, code = dynlib.open(path)
      assert.is_nil(lib, arch)
      assert.equal("wrong_arch", code, msg)
      assert.matches(("lib%s.so: file is for a different processor (%d-bit %s-endian %s;")
        :format(arch, want[1], want[2], arch), msg, 1, true)
    end
  end)

  it("reads 32-bit and big-endian files, and says they are not for this process", function()
    -- The other class: on i686 the 32-bit file is this process's, so a
    -- 64-bit one stands for it there (spec/fixtures/check.mk).
    local other = dynlib.arch == "i386" and {"check/lib64.so", 64, "x86_64"} or {"check/lib32.so", 32, "i386"}
    local oc = assert(dynlib.inspect(H.fixture(other[1])))
    assert.equal(other[2], oc.class)
    assert.equal(other[3], oc.machine)
    assert.is_false(oc.compatible)
    assert.same({tiny_value = true}, our_exports(oc))
    local be = assert(dynlib.inspect(EFIX .. "/tiny-be.o"))
    assert.equal("big", be.endian)
    assert.equal("rel", be.type)
    assert.equal("s390", be.machine)
    assert.is_false(be.compatible)
    assert.is_true(#be.sections > 3)
    assert.is_true(dynlib.inspect(EFIX .. "/libsymbols.so").compatible)
  end)

  it("tells executables and PIEs apart", function()
    local ls = assert(dynlib.inspect("/bin/ls"))
    assert.equal("dyn", ls.type)
    assert.is_true(ls.pie)
    assert.matches("ld%-linux", ls.interp)
    assert.is_false(dynlib.inspect(EFIX .. "/libsymbols.so").pie)
    assert.equal("exec", dynlib.inspect(H.fixture("check/tiny-exec")).type)
  end)

  it("lists the sections", function()
    local info = assert(dynlib.inspect(EFIX .. "/libsymbols.so"))
    local names = {}
    for _, s in ipairs(info.sections) do names[s.name] = s end
    assert.equal("dynsym", names[".dynsym"].type)
    assert.equal("nobits", names[".bss"].type)
    assert.equal("dynamic", names[".dynamic"].type)
    local readelf = H.sh("readelf -SW " .. H.quote(EFIX .. "/libsymbols.so"))
    assert.equal(tonumber(readelf:match("There are (%d+) section headers")), #info.sections)
  end)
end)

describe("dynlib.section", function()
  it("returns a section's bytes", function()
    local path = EFIX .. "/libsymbols.so"
    local note = assert(dynlib.section(path, ".note.gnu.build-id"))
    local hex = note:sub(17):gsub(".", function(c) return ("%02x"):format(c:byte()) end)
    assert.matches("Build ID: " .. hex, H.sh("readelf -n " .. H.quote(path)), 1, true)
    assert.matches("^VERS_1.0", assert(dynlib.section(path, ".dynstr")):match("VERS_1%.0.*") or "")
  end)

  it("refuses NOBITS and missing sections clearly", function()
    local b, msg, code = dynlib.section(EFIX .. "/libsymbols.so", ".bss")
    assert.is_nil(b)
    assert.equal("not_found", code)
    assert.matches("section .bss has no bytes in the file (NOBITS)", msg, 1, true)
    b, msg, code = dynlib.section(EFIX .. "/libsymbols.so", ".nope")
    assert.is_nil(b)
    assert.equal("not_found", code)
    assert.matches("no section named .nope", msg, 1, true)
  end)
end)

describe("hostile files", function()
  local GOOD = EFIX .. "/libsymbols.so"
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() H.rmdir(dir) end)

  local function fails(data, want)
    local path = E.write(dir .. "/libhostile.so", data)
    local info, msg, code = dynlib.inspect(path)
    assert.is_nil(info, want)
    assert.equal("not_a_library", code, msg)
    assert.matches("libhostile.so", msg, 1, true)
    assert.matches(want, msg, 1, true)
  end

  -- Values that fit the file's class: an address far outside every
  -- PT_LOAD, and a string offset far past any table.
  local function far(data) return E.layout(data).class == 64 and 0x7fff00000000 or 0x7fff0000 end
  local function huge(data) return E.layout(data).class == 64 and 1 << 40 or 0xfffffff0 end

  it("refuses each broken header field with its own reason", function()
    local data = E.read(GOOD)
    fails(E.splice(data, 0, "\127ELX"), "not an ELF file (bad magic)")
    fails(E.patch(data, "class", 3), "invalid ELF class 3")
    fails(E.patch(data, "data", 0), "invalid ELF byte order 0")
    fails(E.patch(data, "version", 2), "invalid ELF version 2")
    fails(E.patch(data, "file_version", 0), "invalid ELF file version 0")
    -- type and machine are facts, not defects: reported as they are.
    local t = assert(dynlib.inspect(E.write(dir .. "/libt.so", E.patch(data, "type", 77))))
    assert.equal("unknown", t.type)
    local m = assert(dynlib.inspect(E.write(dir .. "/libm.so", E.patch(data, "machine", 999))))
    assert.equal(999, m.machine)
    assert.is_false(m.compatible)
  end)

  it("refuses broken tables, each with its own reason", function()
    local data = E.read(GOOD)
    fails(E.patch(data, "phoff", #data - 8), "program header table extends past the end of the file")
    fails(E.patch(data, "phentsize", 0), "program header table entry size 0 is too small")
    fails(E.patch(data, "phentsize", 20), "program header table entry size 20 is too small")
    fails(E.patch(data, "shoff", #data - 8), "section header table extends past the end of the file")
    fails(E.patch(data, "shnum", 0xffff), "section header table extends past the end of the file")
    fails(E.patch(data, "shentsize", 12), "section header table entry size 12 is too small")
    fails(E.patch(data, "shstrndx", 0xfff0), "section name table index 65520 is out of range")
    local strndx = E.field(data, "shstrndx")
    fails(E.sh_set(data, strndx, "offset", #data + 100), "extends past the end of the file")
    fails(E.sh_set(data, 3, "name", 0x7fffff00), "the name of section 3 is past the end of its table")
    local text = assert(E.section_index(data, ".text"))
    fails(E.sh_set(data, text, "offset", #data - 4), "section " .. text .. " extends past the end of the file")
    -- offset + size overflows (in ELF32, the offset is 2^32 - 16)
    fails(E.sh_set(E.sh_set(data, text, "offset", -16), text, "size", 64),
      "section " .. text .. " extends past the end of the file")
    local dynsym = assert(E.section_index(data, ".dynsym"))
    fails(E.sh_set(data, dynsym, "size", E.layout(data).symsize * 1000000),
      "section " .. dynsym .. " extends past the end")
  end)

  it("refuses a DT_STRTAB outside every PT_LOAD", function()
    local data = E.read(GOOD)
    local n = 0
    for _, d in ipairs(E.dynamic(data)) do
      if d.tag == E.DT_STRTAB then
        data = E.set(data, d.value_at, E.layout(data).word, far(data))
        n = n + 1
      end
    end
    assert.equal(1, n)
    fails(data, "DT_STRTAB is outside every PT_LOAD segment")
  end)

  it("refuses the rarer defects, each with its own reason", function()
    local data = E.read(GOOD)
    local L = E.layout(data)
    local function dyn_get(tag) return E.get(data, assert(E.dyn_value_at(data, tag), tag), L.word) end
    local function dyn_set(tag, v) return E.set(data, assert(E.dyn_value_at(data, tag), tag), L.word, v) end
    fails(E.patch(data, "phnum", 0xffff), "extended program header count (PN_XNUM) is not supported")
    fails(E.patch(data, "shstrndx", 0xffff), "extended section name table index (SHN_XINDEX) is not supported")
    -- shnum 0 with a table whose first entry holds the real count
    fails(E.sh_set(E.patch(data, "shnum", 0), 0, "size", 70000),
      "extended section count (more than 65279 sections) is not supported")
    -- a PT_LOAD that holds DT_STRTAB but runs past the end of the file
    local strtab, found = dyn_get(E.DT_STRTAB), 0
    for i, ph in ipairs(E.phdrs(data)) do
      if ph.type == E.PT_LOAD and strtab >= ph.vaddr and strtab < ph.vaddr + ph.filesz then
        fails(E.ph_set(data, ph, "filesz", #data * 4), "PT_LOAD segment " .. (i - 1) .. " extends past the end of the file")
        found = found + 1
      end
    end
    assert.equal(1, found)
    -- DT_STRSZ cuts the soname short: the string has no end in its table
    local soname = dyn_get(E.DT_SONAME)
    fails(dyn_set(E.DT_STRSZ, soname + 3), "unterminated string in a string table")
    fails(dyn_set(E.DT_SONAME, huge(data)), "string offset " .. huge(data) .. " is past the end of its table")
    local dynsym, versym = E.section_index(data, ".dynsym"), E.section_index(data, ".gnu.version")
    local dynstr, verdef = E.section_index(data, ".dynstr"), E.section_index(data, ".gnu.version_d")
    fails(E.sh_set(data, dynsym, "entsize", 12), "dynamic symbol entry size 12, expected " .. L.symsize)
    fails(E.sh_set(data, versym, "size", 2), "symbol version table is shorter than the symbol table")
    fails(E.sh_set(data, dynstr, "size", 1), "is past the end of its table")
    fails(E.sh_set(data, verdef, "size", 10), "version definitions extend past their section")
    fails(E.sh_set(data, dynsym, "link", 0xffff), "the dynamic symbol table's string table is invalid")
  end)

  it("refuses broken hash tables when the section table is stripped", function()
    local data = E.strip_sections(E.read(GOOD))
    local word = E.layout(data).word
    assert.is_true(#assert(dynlib.inspect(E.write(dir .. "/libok.so", data))).exports > 3)
    local at = assert(E.dyn_value_at(data, E.DT_GNU_HASH))
    fails(E.set(data, at, word, far(data)), "DT_GNU_HASH is outside every PT_LOAD segment")
    local hash = assert(E.offset_of(data, E.get(data, at, word)))
    fails(E.set(data, hash, 4, 0x7fffffff), "GNU hash table extends past the end of the file")
    fails(E.set(data, assert(E.dyn_value_at(data, E.DT_SYMTAB)), word, far(data)),
      "DT_SYMTAB is outside every PT_LOAD segment")
  end)

  it("survives truncations at many lengths and random bytes", function()
    local data = E.read(GOOD)
    for n = 1, #data - 1, 97 do
      local path = E.write(dir .. "/libcut.so", data:sub(1, n))
      local info, msg = dynlib.inspect(path)
      assert.is_true(info == nil and type(msg) == "string" or type(info) == "table")
    end
    math.randomseed(7)
    for i = 1, 30 do
      local t = {"\127ELF\2\1\1"}
      for k = 2, 200 + i * 13 do t[k] = string.char(math.random(0, 255)) end
      local info, msg = dynlib.inspect(E.write(dir .. "/librnd.so", table.concat(t)))
      assert.is_true(info == nil and type(msg) == "string" or type(info) == "table")
    end
  end)
end)
