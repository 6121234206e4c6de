-- Typed callbacks and function pointers (issue 12): callbacks that receive
-- typed pointers, function pointers read from fields and results or made
-- by dynlib.cast, called from Lua with checked arguments, and signatures
-- checked where a callback stands for a function pointer.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("fnptr_spec.lua", H.POSIX_TOOLS) then return end

local lib = assert(dynlib.open(H.fixture("calls/libcalls.so")))
local c = assert(dynlib.open("c"))
local qsort = c:func("void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))")

dynlib.cdef([[
struct fixture_ops { int (*binop)(int, int); const char *name; };
typedef int (*fixture_binop)(int, int);
]])

describe("typed callbacks", function()
  it("hand typed pointers to a qsort comparator of int32_t", function()
    local arr = dynlib.new("int32_t[?]", 6, {3, -1, 4, 1, -5, 9})
    local cmp = dynlib.callback("int (const int32_t *, const int32_t *)", function(a, b)
      return a[0] - b[0]
    end)
    qsort(arr, 6, 4, cmp)
    assert.same({-5, -1, 1, 3, 4, 9}, {arr[0], arr[1], arr[2], arr[3], arr[4], arr[5]})
    cmp:free()
  end)

  it("gives typed pointers that stay valid after the call returns, reused by address", function()
    local arr = dynlib.new("int32_t[?]", 2, {7, 8})
    local kept = {}
    local f = dynlib.callback("int (const int32_t *, const int32_t *)", function(a, b)
      kept[#kept + 1] = a
      kept[#kept + 1] = b
      return 0
    end)
    local call2 = lib:func("int call_cmp2(void *, const void *, const void *)")
    call2(f, arr, arr + 1)
    call2(f, arr + 1, arr)
    -- The second call did not rewrite the first's pointers: each still
    -- points where it pointed (and reads the memory as it is now).
    assert.equal(4, #kept)
    assert.same({7, 8, 8, 7}, {kept[1][0], kept[2][0], kept[3][0], kept[4][0]})
    arr[0] = 70
    assert.same({70, 8}, {kept[1][0], kept[2][0]})
    -- A pointer to an address seen before, of the same type, is the object
    -- made then (nothing about it differs); other addresses get others.
    assert.is_true(rawequal(kept[1], kept[4]))
    assert.is_true(rawequal(kept[2], kept[3]))
    assert.is_false(rawequal(kept[1], kept[2]))
    assert.equal("const int *", dynlib.typeof(kept[1])) -- typedefs leave no trace
    collectgarbage(); collectgarbage()
    call2(f, arr, arr + 1)
    assert.is_true(rawequal(kept[1], kept[5])) -- a kept one survives collections
    assert.same({70, 8, 70, 8}, {kept[1][0], kept[2][0], kept[5][0], kept[6][0]})
    f:free()
  end)

  it("makes no new objects for addresses it has seen", function()
    local call2 = lib:func("int call_cmp2(void *, const void *, const void *)")
    local arr = dynlib.new("int32_t[?]", 2, {3, 4})
    local f = dynlib.callback("int (const int32_t *, const int32_t *)", function(a, b)
      return a[0] - b[0]
    end)
    local p, q = arr + 0, arr + 1
    assert.equal(-1, call2(f, p, q))
    collectgarbage()
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 1000 do call2(f, p, q) end
    local grown = collectgarbage("count") - before
    collectgarbage("restart")
    -- Two new typed pointers a call would be about 200 KB.
    assert(grown < 16, ("%.1f KB allocated by 1000 calls"):format(grown))
    f:free()
  end)

  it("never hands a cached typed pointer to a callback of another pointer type", function()
    local arr = dynlib.new("int32_t[?]", 2, {-1, 2})
    local call2 = lib:func("int call_cmp2(void *, const void *, const void *)")
    local got = {}
    local function keep(a, b) got[#got + 1] = {a, b} return 0 end
    local types = {"const int32_t *", "int32_t *", "const uint32_t *", "const int16_t *"}
    local cbs = {}
    for i, t in ipairs(types) do
      cbs[i] = dynlib.callback(("int (%s, %s)"):format(t, t), keep)
      call2(cbs[i], arr, arr)
    end
    local names = {"const int *", "int *", "const unsigned int *", "const short *"}
    for i in ipairs(types) do
      assert.equal(names[i], dynlib.typeof(got[i][1]))
      assert.is_true(rawequal(got[i][1], got[i][2])) -- one type, one address
      for j = i + 1, #types do assert.is_false(rawequal(got[i][1], got[j][1])) end
    end
    assert.same({-1, -1, 4294967295, -1}, {got[1][1][0], got[2][1][0], got[3][1][0], got[4][1][0]})
    got[2][1][1] = 5 -- int32_t * writes; the const one refuses
    assert.equal(5, got[1][1][1])
    assert.has_error(function() got[1][1][1] = 6 end)
    assert.equal(-1, got[4][1][1]) -- int16_t: the high half of -1
    for _, cb in ipairs(cbs) do cb:free() end
  end)

  it("lets the collector free reused pointers no script keeps", function()
    local arr = dynlib.new("int32_t[?]", 2, {3, 4})
    local call2 = lib:func("int call_cmp2(void *, const void *, const void *)")
    local weak = setmetatable({}, {__mode = "v"})
    local f = dynlib.callback("int (const int32_t *, const int32_t *)", function(a, b)
      weak[1] = a
      return a[0] - b[0]
    end)
    assert.equal(-1, call2(f, arr, arr + 1))
    collectgarbage(); collectgarbage()
    assert.is_nil(weak[1]) -- the cache did not keep it
    -- Its key remains: the next call with that address makes a new one.
    assert.equal(1, call2(f, arr + 1, arr))
    assert.equal(-1, call2(f, arr, arr + 1))
    assert.equal(3, weak[1][0])
    f:free()
  end)

  it("reuses the pointers of 256 consecutive elements of any size", function()
    dynlib.cdef("struct fixture_rgb { int32_t r, g, b; };") -- 12 bytes: an odd stride of 4
    local call2 = lib:func("int call_cmp2(void *, const void *, const void *)")
    for _, t in ipairs({"int32_t", "double", "struct fixture_rgb", "char"}) do
      local arr = dynlib.new(t .. "[?]", 256)
      local seen = {}
      local f = dynlib.callback(("int (const %s *, const %s *)"):format(t, t), function(a)
        seen[#seen + 1] = a
        return 0
      end)
      local p = dynlib.cast(("const %s *"):format(t), arr)
      for _ = 1, 2 do
        for i = 0, 255 do call2(f, p + i, p + i) end
      end
      for i = 1, 256 do
        assert(rawequal(seen[i], seen[256 + i]), ("%s: element %d made again"):format(t, i - 1))
      end
      f:free()
    end
  end)

  it("sorts more elements than the pointer cache holds, collecting as it goes", function()
    local n = 3000
    local arr = dynlib.new("int32_t[?]", n)
    local seed = 12345
    for i = 0, n - 1 do
      seed = (seed * 1103515245 + 12345) % 2147483648
      arr[i] = seed % 100000 - 50000
    end
    local calls = 0
    local cmp = dynlib.callback("int (const int32_t *, const int32_t *)", function(a, b)
      calls = calls + 1
      if calls % 500 == 0 then collectgarbage() end -- keys outlive their objects
      return a[0] < b[0] and -1 or (a[0] > b[0] and 1 or 0)
    end)
    qsort(arr, n, 4, cmp)
    for i = 1, n - 1 do assert(arr[i - 1] <= arr[i], "unsorted at " .. i) end
    assert.is_true(calls > n)
    cmp:free()
  end)

  it("sorts C strings: an array of char * made of char[?] objects", function()
    local words = {"pear", "apple", "fig", "banana"}
    local objs = {}
    for i, w in ipairs(words) do objs[i] = dynlib.new("char[?]", #w + 1, w) end
    local arr = dynlib.new("char *[4]", objs) -- the objects' addresses, kept alive by arr
    local cmp = dynlib.callback("int (char *const *a, char *const *b)", function(a, b)
      local x, y = dynlib.string(a[0]), dynlib.string(b[0])
      return x < y and -1 or (x > y and 1 or 0)
    end)
    qsort(arr, 4, dynlib.sizeof("char *"), cmp)
    local got = {}
    for i = 0, 3 do got[#got + 1] = dynlib.string(arr[i]) end
    assert.same({"apple", "banana", "fig", "pear"}, got)
  end)

  it("takes const char * as a Lua string (nil for NULL) and other char pointers as pointers", function()
    local seen
    local f = dynlib.callback("void (const char *, char *)", function(s, p) seen = {s, p} end)
    local call_s = lib:func("void call_strs(void *, const char *, char *)")
    local buf = dynlib.new("char[?]", 3, "hi")
    call_s(f, "text", buf)
    assert.equal("text", seen[1])
    assert.equal("hi", dynlib.string(seen[2]))
    assert.equal("char *", dynlib.typeof(seen[2]))
    call_s(f, nil, nil)
    assert.is_nil(seen[1])
    assert.is_nil(seen[2])
  end)
end)

describe("typed callbacks by value", function()
  it("receive a struct by value as a new object", function()
    dynlib.cdef("struct fixture_pt { int32_t id; double w; };")
    local kept
    local f = dynlib.callback("double (struct fixture_pt p, int k)", function(p, k)
      kept = p
      return p.id * p.w + k
    end)
    assert.equal(2 * 1.5 + 3, lib:func("double call_pt(void *, int32_t, double)")(f, 2, 1.5))
    assert.equal("struct fixture_pt", dynlib.typeof(kept))
    assert.same({2, 1.5}, {kept.id, kept.w}) -- a copy: still there after the call
    f:free()
  end)
end)

describe("function pointers", function()
  it("calls a function pointer field, and C calls a callback stored in one", function()
    local ops = dynlib.cast("struct fixture_ops *", lib:func("void *fixture_ops(void)")())
    assert.equal(42, ops.binop(6, 7))
    assert.has_error(function() ops.binop(1, "x") end)
    assert.has_error(function() ops.binop(1) end)
    local mine = dynlib.new("struct fixture_ops")
    local sub = dynlib.callback("int (int, int)", function(a, b) return a - b end)
    mine.binop = sub
    assert.equal(2, lib:func("int ops_apply(void *, int, int)")(mine, 5, 3))
    assert.equal(-4, mine.binop(1, 5)) -- Lua -> C pointer -> the Lua callback
  end)

  it("calls a function pointer result", function()
    local get = lib:cdef("fixture_binop get_binop(int which);").get_binop
    assert.equal(5, get(0)(2, 3))
    assert.equal(6, get(1)(2, 3))
  end)

  it("makes one from any pointer with dynlib.cast", function()
    local add = dynlib.cast("int (*)(int, int)", lib:sym("add"))
    assert.equal(5, add(2, 3))
    assert.has_error(function() add(2 ^ 40, 1) end)
    assert.equal("int (*)(int, int)", dynlib.typeof(add))
    local same = dynlib.cast("fixture_binop", add)
    assert.equal(-1, same(1, -2))
    assert.is_nil(dynlib.cast("int (*)(int, int)", nil))
  end)

  it("checks a callback's signature against the function pointer's", function()
    local mine = dynlib.new("struct fixture_ops")
    local one = dynlib.callback("int (int)", function(a) return a end)
    local ok, err = pcall(function() mine.binop = one end)
    assert.is_false(ok)
    assert.matches("int %(%*%)%(int%)", err)
    assert.matches("int %(%*%)%(int, int%)", err)
    local dbl = dynlib.callback("double (double, double)", function(a) return a end)
    assert.has_error(function() mine.binop = dbl end)
    -- A declared qsort: void * on the function pointer's side takes any
    -- pointer on the callback's.
    local dqsort = c:cdef("void qsort(void *base, size_t n, size_t size, "
      .. "int (*cmp)(const void *, const void *));").qsort
    local cmp = dynlib.callback("int (const char *const *, const char *const *)", function() return 0 end)
    dqsort(nil, 0, 8, cmp)
    local wrong = dynlib.callback("int (const int32_t *)", function() return 0 end)
    ok, err = pcall(dqsort, nil, 0, 4, wrong)
    assert.is_false(ok)
    assert.matches("where .int %(%*%)%(const void %*, const void %*%). is expected", err)
  end)

  local sqlite = dynlib.open("sqlite3", {version = 0})
  H.it_if(sqlite, "no libsqlite3 here (.ci/deps installs it)")(
    "runs sqlite3_exec with a callback reading char **argv as typed pointers", function()
    local S = sqlite:cdef([[
      typedef struct sqlite3 sqlite3;
      int sqlite3_open(const char *filename, sqlite3 **ppDb);
      int sqlite3_exec(sqlite3 *db, const char *sql,
                       int (*callback)(void *, int, char **, char **), void *arg, char **errmsg);
      int sqlite3_close(sqlite3 *);
    ]])
    local pdb = dynlib.new("sqlite3 *[1]")
    assert.equal(0, S.sqlite3_open(":memory:", pdb))
    local db = pdb[0]
    local rows = {}
    local row = dynlib.callback("int (void *arg, int n, char **values, char **names)",
      function(_, n, values, names)
        local r = {}
        for i = 0, n - 1 do r[dynlib.string(names[i])] = dynlib.string(values[i]) end
        rows[#rows + 1] = r
        return 0
      end)
    assert.equal(0, S.sqlite3_exec(db, "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 'x'), (2, NULL);"
      .. " SELECT a, b FROM t ORDER BY a", row, nil, nil))
    assert.same({{a = "1", b = "x"}, {a = "2"}}, rows) -- NULL reads as nil
    -- Returning non-zero aborts: SQLITE_ABORT (4)
    local stop = dynlib.callback("int (void *, int, char **, char **)", function() return 1 end)
    assert.equal(4, S.sqlite3_exec(db, "SELECT a FROM t", stop, nil, nil))
    -- The declared parameter checks the callback's signature.
    local wrong = dynlib.callback("int (void *, int, char **)", function() return 0 end)
    assert.has_error(function() S.sqlite3_exec(db, "SELECT 1", wrong, nil, nil) end)
    assert.equal(0, S.sqlite3_close(db))
    row:free()
    stop:free()
  end)
end)
