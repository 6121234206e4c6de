-- dynlib.scan: a folder (or a list of files) read by metadata alone, sorted
-- by path, every non-plugin skipped with a reason, nothing loaded, FIFOs
-- and devices never opened, the same answer on one thread or several.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("scan_spec.lua", H.POSIX_TOOLS) then return end

local PFIX = H.fixture("plugin")

local function names(list)
  local t = {}
  for i, e in ipairs(list) do t[i] = e.path:match("[^/]+$") end
  return t
end

local function by_name(list)
  local t = {}
  for _, e in ipairs(list) do t[e.path:match("[^/]+$")] = e end
  return t
end

local function sorted(list)
  for i = 2, #list do
    if list[i - 1].path >= list[i].path then return false end
  end
  return true
end

local function nothing_loaded_from(dir)
  for _, e in ipairs(dynlib.loaded()) do
    if e.path:find(dir, 1, true) then return false end
  end
  return true
end

describe("dynlib.scan", function()
  local dir
  setup(function()
    dir = H.tmpdir()
    H.copy(PFIX .. "/libmarker.so", dir .. "/libmarker.so")
    H.copy(PFIX .. "/libcounter.so", dir .. "/libcounter.so")
    H.copy(H.fixture("store/libbasic.so"), dir .. "/libplain.so")
    H.write(dir .. "/readme.txt", "not a plugin\n")
    H.write(dir .. "/empty.so", "")
    H.sh("mkdir " .. H.quote(dir .. "/sub") .. " " .. H.quote(dir .. "/sub/deeper"))
    H.copy(PFIX .. "/libreload-v1.so", dir .. "/sub/libreload.so")
    H.copy(PFIX .. "/libluaplugin.so", dir .. "/sub/deeper/libluaplugin.so")
    H.sh("mkfifo " .. H.quote(dir .. "/pipe.so"))
    H.sh("ln -s " .. H.quote(dir .. "/gone.so") .. " " .. H.quote(dir .. "/broken.so"))
    H.sh("ln -s /dev/null " .. H.quote(dir .. "/null.so"))
    H.sh("ln -s libcounter.so " .. H.quote(dir .. "/liblink.so"))
    H.sh("ln -s sub " .. H.quote(dir .. "/sublink"))
  end)
  teardown(function() H.rmdir(dir) end)

  it("lists plugins sorted by path and everything else with a reason, loading nothing", function()
    local found, skipped = dynlib.scan(dir)
    assert.same({"libcounter.so", "liblink.so", "libmarker.so"}, names(found))
    assert.equal("counter", found[1].meta.name)
    assert.equal("integer", math.type(by_name(found)["libmarker.so"].meta.size))
    assert.equal(dir .. "/libmarker.so", found[3].path)
    local s = by_name(skipped)
    assert.equal("no_metadata", s["libplain.so"].code)
    assert.matches("libplain.so: no dynlib plugin metadata", s["libplain.so"].reason, 1, true)
    assert.equal("not_a_library", s["readme.txt"].code)
    assert.matches("not an ELF file", s["readme.txt"].reason, 1, true)
    assert.equal("not_a_library", s["empty.so"].code)
    assert.matches("empty file", s["empty.so"].reason, 1, true)
    assert.equal("not_a_library", s["pipe.so"].code)
    assert.matches("pipe.so: a FIFO, not a library", s["pipe.so"].reason, 1, true)
    assert.equal("not_a_library", s["null.so"].code)
    assert.matches("a device, not a library", s["null.so"].reason, 1, true)
    assert.equal("not_found", s["broken.so"].code)
    assert.matches("broken.so: a broken symbolic link", s["broken.so"].reason, 1, true)
    -- Sub-folders (and links to them) are neither entered nor listed.
    assert.is_nil(s["sub"])
    assert.is_nil(s["sublink"])
    assert.is_nil(s["libreload.so"])
    assert.equal(6, #skipped)
    assert.is_true(sorted(found) and sorted(skipped))
    assert.is_nil(H.read(dir .. "/libmarker.so.ran"))
    assert.is_true(nothing_loaded_from(dir))
  end)

  it("enters real sub-folders when asked, never links to folders", function()
    local found = dynlib.scan(dir, {recursive = true})
    -- In path order: "sub/deeper/..." sorts before "sub/libreload.so".
    assert.same({"libcounter.so", "liblink.so", "libmarker.so", "libluaplugin.so", "libreload.so"},
      names(found))
    assert.equal(dir .. "/sub/deeper/libluaplugin.so", found[4].path)
    assert.is_true(sorted(found))
    for _, f in ipairs(found) do assert.is_nil(f.path:find("sublink", 1, true)) end
  end)

  it("filters by interface, interface prefix and predicate", function()
    local found, skipped = dynlib.scan(dir, {iid = "test.Marker/1"})
    assert.same({"libmarker.so"}, names(found))
    local counter = by_name(skipped)["libcounter.so"]
    assert.equal("filtered", counter.code)
    assert.matches("interface test.Counter/1, wanted test.Marker/1", counter.reason, 1, true)
    assert.same({"libcounter.so", "liblink.so", "libmarker.so"},
      names(dynlib.scan(dir, {iid_prefix = "test."})))
    assert.same({}, names(dynlib.scan(dir, {iid_prefix = "game."})))
    local seen = {}
    found = dynlib.scan(dir, {predicate = function(meta, path)
      seen[#seen + 1] = path
      return meta.version == "2.1.0"
    end})
    assert.same({"libcounter.so", "liblink.so"}, names(found))
    assert.same({dir .. "/libcounter.so", dir .. "/liblink.so", dir .. "/libmarker.so"}, seen)
  end)

  it("takes a list of files instead of a folder, sorted the same way", function()
    local found, skipped = dynlib.scan({dir .. "/readme.txt", dir .. "/libmarker.so",
                                        dir .. "/pipe.so", dir .. "/missing.so", dir .. "/sub"})
    assert.same({"libmarker.so"}, names(found))
    assert.same({"missing.so", "pipe.so", "readme.txt", "sub"}, names(skipped))
    local s = by_name(skipped)
    assert.equal("not_found", s["missing.so"].code)
    assert.matches("a FIFO", s["pipe.so"].reason, 1, true)
    assert.matches("a directory", s["sub"].reason, 1, true)
    local none, nothing = dynlib.scan({})
    assert.same({}, none)
    assert.same({}, nothing)
  end)

  it("gives nil, message, code for a folder it cannot list and raises on misuse", function()
    local found, msg, code = dynlib.scan(dir .. "/nope")
    assert.is_nil(found)
    assert.equal("not_found", code)
    assert.matches("nope: no such folder", msg, 1, true)
    found, msg, code = dynlib.scan(dir .. "/readme.txt")
    assert.is_nil(found)
    assert.equal("not_a_library", code)
    assert.matches("readme.txt: not a folder", msg, 1, true)
    assert.has_error(function() dynlib.scan(42) end)
    assert.has_error(function() dynlib.scan({1}) end)
    assert.has_error(function() dynlib.scan({"a\0b"}) end)
    assert.has_error(function() dynlib.scan(dir .. "\0x") end)
    assert.has_error(function() dynlib.scan(dir, "iid") end)
    assert.has_error(function() dynlib.scan(dir, {threads = -1}) end)
    assert.has_error(function() dynlib.scan(dir, {threads = 1.5}) end)
  end)
end)

describe("dynlib.scan of a large folder", function()
  local dir
  setup(function()
    -- 200 files: enough for several reading threads. Good plugins and
    -- hostile records (parsed on those threads) side by side.
    dir = H.tmpdir()
    local kinds = {"libcounter.so", "libmarker.so", "libarray.so", "libdeep.so", "libinvalid.so"}
    local cmds = {}
    for i = 0, 199 do
      local src = kinds[i % #kinds + 1]
      cmds[#cmds + 1] = ("cp %s %s"):format(H.quote(PFIX .. "/" .. src),
        H.quote(("%s/p%03d-%s"):format(dir, i, src)))
    end
    H.sh(table.concat(cmds, " && "))
    H.write(dir .. "/notes.txt", "text\n")
  end)
  teardown(function() H.rmdir(dir) end)

  it("gives the same answer on one thread and several, each reason as dynlib.metadata gives it", function()
    local found1, skipped1 = dynlib.scan(dir, {threads = 1})
    local found, skipped = dynlib.scan(dir)
    local found4, skipped4 = dynlib.scan(dir, {threads = 4})
    assert.equal(80, #found)
    assert.equal(121, #skipped)
    assert.same(found1, found)
    assert.same(skipped1, skipped)
    assert.same(found1, found4)
    assert.same(skipped1, skipped4)
    assert.is_true(sorted(found) and sorted(skipped))
    for _, s in ipairs(skipped) do
      local meta, msg, code = dynlib.metadata(s.path)
      assert.is_nil(meta)
      assert.equal(code, s.code)
      assert.equal(msg, s.reason)
    end
    local reasons = {}
    for _, s in ipairs(skipped) do
      reasons[s.reason:match("bad metadata: ([%a ]+)") or s.code] = true
    end
    assert.same({["invalid JSON at line "] = true, ["the JSON is not an object"] = true,
                 ["nested deeper than "] = true, not_a_library = true}, reasons)
    assert.is_true(nothing_loaded_from(dir))
  end)
end)

describe("dynlib.scan's memory for paths and texts", function()
  it("keeps every path and text whole across blocks and threads, large texts too", function()
    -- 300 plugins fill several 16 KB blocks; a 20 KB text needs one of its own
    local dir = H.tmpdir()
    local cmds = {}
    for i = 0, 299 do
      local src = i % 50 == 7 and "libbig.so" or "libmarker.so"
      cmds[#cmds + 1] = ("cp %s %s"):format(H.quote(PFIX .. "/" .. src),
        H.quote(("%s/plugin-with-a-longer-name-%03d.so"):format(dir, i)))
    end
    H.sh(table.concat(cmds, " && "))
    for _, threads in ipairs({1, 4}) do
      local found, skipped = dynlib.scan(dir, {threads = threads})
      assert.equal(300, #found)
      assert.same({}, skipped)
      for i, f in ipairs(found) do
        assert.equal(("%s/plugin-with-a-longer-name-%03d.so"):format(dir, i - 1), f.path)
        assert.same(assert(dynlib.metadata(f.path)), f.meta)
      end
      assert.equal(("y"):rep(20000), found[8].meta.pad)
    end
    H.rmdir(dir)
  end)
end)

-- System calls counted by name under strace (native runs only).
describe("dynlib.scan's system calls", function()
  H.it_if(H.strace, H.NO_STRACE)(
    "reads each plugin with one open, one pread and one close, and no stat", function()
    local dir = H.tmpdir()
    for i = 1, 20 do
      H.copy(PFIX .. "/libmarker.so", ("%s/libmarker%02d.so"):format(dir, i))
    end
    local by = H.syscalls_by_name(("assert(#d.scan(%q, {threads = 1}) == 20)"):format(dir))
    -- the folder: one open, one fstat, its getdents and close
    assert.equal(21, (by.openat or 0) + (by.open or 0))
    assert.equal(20, by.pread64)
    assert.equal(21, by.close)
    assert.is_true((by.newfstatat or 0) + (by.fstat or 0) + (by.statx or 0) <= 1)
    assert.is_nil(by.lseek)
    -- a file the head cannot answer for (no record) takes the careful path
    H.write(dir .. "/notes.txt", "not a plugin")
    by = H.syscalls_by_name(("local f, s = d.scan(%q, {threads = 1})"
      .. " assert(#f == 20 and #s == 1)"):format(dir))
    assert.equal(22, (by.openat or 0) + (by.open or 0))
    assert.equal(21, by.pread64)
    assert.is_true((by.newfstatat or 0) + (by.fstat or 0) + (by.statx or 0) <= 2)
    H.rmdir(dir)
  end)

  H.it_if(H.strace, H.NO_STRACE)(
    "reads one plugin's metadata with a stat, an open, one pread and a close", function()
    local by = H.syscalls_by_name(("assert(d.metadata(%q))"):format(PFIX .. "/libmarker.so"))
    -- the stat before the open (FIFOs and devices are never opened), and
    -- no fstat after it (memory calls vary: a sanitizer's runtime adds some)
    local stats = (by.newfstatat or 0) + (by.fstat or 0) + (by.statx or 0) + (by.stat or 0)
    assert.same({1, 1, 1, 1}, {stats, (by.openat or 0) + (by.open or 0), by.pread64, by.close})
  end)
end)
