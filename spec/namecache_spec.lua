-- The name cache (src/core/namecache.c): a bare name opened before is
-- reopened with one stat of the file its search chose, not the whole
-- search; any change of dynlib.path or LD_LIBRARY_PATH empties it; a file
-- deleted, replaced or relinked is noticed by that stat; trusted mode never
-- uses it. Each case runs in a child Lua (the cache is process-wide) with
-- DYNLIB_DEBUG=1, whose "cached" lines show when a hit was used.
local H = require("helper")
if H.posix_only("namecache_spec.lua", H.POSIX_TOOLS) then return end

local BASIC = H.fixture("store/libbasic.so")

-- Runs Lua code in a child with dynlib as `d`, the folders of `dirs` as
-- A, B (strings) and the environment assignments in env; returns its
-- output (stdout and stderr together).
local function child(code, dirs, env)
  local root = H.sh("pwd"):gsub("%s+$", "")
  local pre = ("local d = require('dynlib') local A, B = %q, %q "):format(dirs.a, dirs.b)
  local cmd = ("env DYNLIB_DEBUG=1 %s LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1"):format(
    env or "", H.quote(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;;"),
    H.quote(H.build .. "/lua/?.so;;"), H.lua, H.quote(pre .. code))
  return (H.sh(cmd))
end

-- Lines of a child's output that are not dynlib's debug log.
local function printed(out)
  local keep = {}
  for line in out:gmatch("[^\n]+") do
    if not line:find("^dynlib: ") then keep[#keep + 1] = line end
  end
  return table.concat(keep, "\n")
end

local function count(out, pattern)
  local n = 0
  for _ in out:gmatch(pattern) do n = n + 1 end
  return n
end

describe("the name cache", function()
  local dirs
  before_each(function()
    local root = H.tmpdir()
    dirs = {root = root, a = root .. "/a", b = root .. "/b"}
    H.sh(("mkdir %s %s"):format(H.quote(dirs.a), H.quote(dirs.b)))
    H.copy(BASIC, dirs.a .. "/libnc.so")
  end)
  after_each(function() H.rmdir(dirs.root) end)

  it("reopens a bare name whose library is open from the store: no search, no stat", function()
    local out = child([[
      d.path = {B, A}
      local one = assert(d.open("nc"))
      local two = assert(d.open("nc"))
      print(two.path == one.path, two:sym("basic_answer") ~= nil)]], dirs)
    assert.equal("true\ttrue", printed(out))
    assert.equal(1, count(out, "dynlib: nc: open already: [^\n]*/a/libnc%.so"))
    assert.equal(0, count(out, "dynlib: nc: cached"))
    -- the search logged its candidates once, for the first open only
    assert.equal(1, count(out, "candidate [^\n]*/b/libnc%.so: No such file"))
  end)

  it("answers from the open library even when its file was deleted, as dlopen does", function()
    local out = child([[
      d.path = {A}
      local keep = assert(d.open("nc"))
      os.remove(A .. "/libnc.so")
      local again = assert(d.open("nc"))
      print(again:func("int basic_answer(void)")(), again.path == keep.path)
      keep:close() again:close()
      print(select(3, d.open("nc")))]], dirs)
    -- once closed, the next open looks (one stat) and finds the file gone
    assert.equal("42\ttrue\nnot_found", printed(out))
    assert.equal(1, count(out, "dynlib: nc: cached [^\n]* changed or is gone"))
  end)

  it("serves a library no longer open, loading it again", function()
    local out = child([[
      d.path = {A}
      assert(d.open("nc")):close()
      local lib = assert(d.open("nc"))
      print(lib:func("int basic_answer(void)")())]], dirs)
    assert.equal("42", printed(out))
    assert.equal(1, count(out, "dynlib: nc: cached: "))
  end)

  it("keeps versions apart", function()
    H.copy(BASIC, dirs.a .. "/libnc.so.1")
    local out = child([[
      d.path = {A}
      local plain, one = assert(d.open("nc")), assert(d.open("nc", {version = 1}))
      local again = assert(d.open("nc", {version = 1}))
      print(plain.path == one.path, again.path == one.path)]], dirs)
    assert.equal("false\ttrue", printed(out))
  end)

  H.it_if(H.strace, H.NO_STRACE)("makes no system call while the library is open", function()
    local setup = ('d.path = {%q} local keep = assert(d.open("nc"))'):format(dirs.a)
    assert.same({}, H.syscall_lines('local again = assert(d.open("nc"))', setup))
  end)

  describe("is emptied", function()
    it("when dynlib.path changes, even to the same value", function()
      local out = child([[
        d.path = {B, A}
        local first = assert(d.open("nc")).path
        os.execute(("cp %q %q"):format(A .. "/libnc.so", B .. "/libnc.so"))
        local stale = assert(d.open("nc")).path -- the documented staleness
        d.path = d.path
        local fresh = assert(d.open("nc")).path
        print(first == stale, fresh:sub(-#"/b/libnc.so"))]], dirs)
      assert.equal("true\t/b/libnc.so", printed(out))
    end)

    it("when LD_LIBRARY_PATH changes", function()
      H.copy(BASIC, dirs.b .. "/libnc.so")
      local out = child([[
        d.path = {}
        local c = assert(d.open("c", {version = 6}))
        local setenv = c:func("int setenv(const char *, const char *, int)")
        local first = assert(d.open("nc")).path
        assert(setenv("LD_LIBRARY_PATH", B, 1) == 0)
        local second = assert(d.open("nc")).path
        print(first:sub(-#"/a/libnc.so"), second:sub(-#"/b/libnc.so"))]], dirs,
        "LD_LIBRARY_PATH=" .. H.quote(dirs.a))
      assert.equal("/a/libnc.so\t/b/libnc.so", printed(out))
    end)
  end)

  describe("notices with its stat, once the library was closed,", function()
    it("a file deleted", function()
      local out = child([[
        d.path = {A}
        assert(d.open("nc")):close()
        os.remove(A .. "/libnc.so")
        print(select(3, d.open("nc")))]], dirs)
      assert.equal("not_found", printed(out))
      assert.equal(1, count(out, "dynlib: nc: cached [^\n]* changed or is gone"))
    end)

    it("a file replaced by another at the same path", function()
      local out = child([[
        d.path = {A}
        assert(d.open("nc")):close()
        local f = assert(io.open(A .. "/libnc.so.new", "w")) f:write("not a library") f:close()
        assert(os.rename(A .. "/libnc.so.new", A .. "/libnc.so"))
        print(select(3, d.open("nc")))]], dirs)
      assert.equal("not_a_library", printed(out))
    end)

    it("a link moved to another file", function()
      H.sh(("mv %s %s && cp %s %s && ln -s libnc.so.1 %s"):format(
        H.quote(dirs.a .. "/libnc.so"), H.quote(dirs.a .. "/libnc.so.1"),
        H.quote(BASIC), H.quote(dirs.a .. "/libnc.so.2"), H.quote(dirs.a .. "/libnc.so")))
      local out = child([[
        d.path = {A}
        local one = assert(d.open("nc"))
        local first = one.path:match("[^/]+$")
        one:close()
        os.execute(("ln -sfn libnc.so.2 %q"):format(A .. "/libnc.so"))
        local two = assert(d.open("nc"))
        print(first, two.path:match("[^/]+$"))]], dirs)
      assert.equal("libnc.so.1\tlibnc.so.2", printed(out))
    end)
  end)

  it("is never used by trusted-mode opens, which check the path each time", function()
    local out = child([[
      d.path = {A}
      assert(d.open("nc"))
      local lib = assert(d.open("nc", {trusted = {A}}))
      assert(d.open("nc", {trusted = {A}}))
      os.execute(("chmod o+w %q"):format(A))
      print(select(3, d.open("nc", {trusted = {A}})), lib:is_open())]], dirs)
    assert.equal("untrusted\ttrue", printed(out))
    assert.equal(0, count(out, "dynlib: nc: cached"))
    -- searched each time: the first open, then each of the three trusted
    assert.equal(4, count(out, "candidate [^\n]*/a/libnc%.so: exists"))
  end)
end)
