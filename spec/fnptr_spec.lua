-- Typed callbacks and function pointers (issue 12): callbacks that receive
-- typed pointers, function pointers read from fields and results or made
-- by dynlib.cast, called from Lua with checked arguments, and signatures
-- checked where a callback stands for a function pointer.
local dynlib = require("dynlib")
local H = require("helper")

-- Structs and unions by value through function pointers: the conversion
-- declared functions use (ccall_spec.lua), reached through a pointer. The
-- ccall and calls fixtures are built for Windows too: the whole file runs
-- there.
local cclib = assert(dynlib.open(H.fixture("ccall/libccall." .. (H.windows and "dll" or "so"))))
local C = cclib:cdef(assert(H.read("spec/fixtures/ccall/ccall.h")))
local PACKED_IN_MEMORY = dynlib.arch == "x86_64" and not H.windows

-- A function pointer of type `ptype` to the fixture's function `name`.
local function fp(ptype, name)
  return dynlib.cast(ptype, assert(cclib:sym(name)))
end

local raised = H.err

describe("function pointers by value", function()
  it("pass a small integer struct as an object or a table, and return a new object", function()
    local ii_sum = fp("int (*)(struct s_ii)", "ii_sum")
    local ii_make = fp("struct s_ii (*)(int, int)", "ii_make")
    assert.equal(34, ii_sum({a = 3, b = 4}))
    assert.equal(30, ii_sum({a = 3}))                  -- the fields not given are zero
    local s = ii_make(5, 6)
    assert.equal("struct s_ii", dynlib.typeof(s))
    assert.same({5, 6}, {s.a, s.b})
    assert.equal(56, ii_sum(s))
    local c3 = fp("struct s_c3 (*)(char, char, char)", "c3_make")(4, 5, 6)
    assert.same({4, 5, 6}, {c3.a, c3.b, c3.c})
    assert.equal(456, fp("int (*)(struct s_c3)", "c3_sum")(c3))
  end)

  it("pass and return float-only structs (SSE; AArch64's homogeneous float aggregates)", function()
    assert.equal(12.5, fp("double (*)(struct s_dd)", "dd_sum")({x = 1, y = 2.5}))
    local dd = fp("struct s_dd (*)(double, double)", "dd_make")(3, 0.25)
    assert.same({3, 0.25}, {dd.x, dd.y})
    local f = fp("struct s_fff (*)(float, float, float)", "fff_make")(4, 5, 6)
    assert.same({4, 5, 6}, {f.a, f.b, f.c})
    assert.equal(456, fp("double (*)(struct s_fff)", "fff_sum")(f))
    local id = fp("struct s_id (*)(int, double)", "id_make")(3, 0.25)
    assert.equal(30.25, fp("double (*)(struct s_id)", "id_sum")(id))
  end)

  it("pass and return structs over 16 bytes (MEMORY), nested tables as well", function()
    local big_make = fp("struct s_big (*)(long long, long long, long long)", "big_make")
    local b = big_make(math.maxinteger, -1, 3)
    assert.same({math.maxinteger, -1, 3}, {b.a, b.b, b.c})
    assert.equal(10203, fp("long long (*)(struct s_big)", "big_sum")({a = 1, b = 2, c = 3}))
    local d4 = fp("struct s_d4 (*)(double, double, double, double)", "d4_make")(4, 5, 6, 7)
    assert.same({4, 5, 6, 7}, {d4.a, d4.b, d4.c, d4.d})
    assert.equal(4567, fp("double (*)(struct s_d4)", "d4_sum")(d4))
    assert.equal(123.5, fp("double (*)(struct s_nest)", "nest_sum")({p = {a = 1, b = 2}, d = 3.5}))
  end)

  it("pass and return unions", function()
    assert.equal(77, fp("int (*)(union u_if)", "uif_int")({i = 77}))
    assert.equal(1.5, fp("union u_if (*)(float)", "uif_float")(1.5).f)
    assert.equal(2.25, fp("double (*)(union u_fd, int)", "ufd_get")({d = 2.25}, 1))
    local u = fp("union u_id2 (*)(double, double)", "uid2_make")(3, 4)
    assert.equal("union u_id2", dynlib.typeof(u))
    assert.equal(34, fp("double (*)(union u_id2)", "uid2_sum")(u))
    local big = fp("union u_big (*)(int)", "ubig_make")(1)
    assert.equal(20 + 190, fp("int (*)(union u_big)", "ubig_sum")(big))
  end)

  it("take many by-value arguments at once, past the registers", function()
    local mixed = fp("double (*)(int, struct s_dd, struct s_ii, double, struct s_fff, "
      .. "struct s_big, struct s_id, struct s_dd, struct s_dd, float)", "mixed")
    local a, b, c = {x = 1, y = 2}, {a = 3, b = 4}, {a = 5, b = 6, c = 7}
    local e, f = {a = 8, b = 9, c = 10}, {i = 11, d = 12}
    local g, h = {x = 13, y = 14}, {x = 15, y = 16}
    local want = 17 + 12 + 34 + 18 + 567 + 80910 + 122 + 144 * 2 + 166 * 3 + 19
    assert.equal(want, mixed(17, a, b, 18, c, e, f, g, h, 19))
  end)

  it("are reached as a field and through a typedef, as any function pointer", function()
    dynlib.cdef([[
      typedef struct s_ii (*fnptr_ii_maker)(int, int);
      struct fnptr_makers { fnptr_ii_maker make; int (*sum)(struct s_ii); };
    ]])
    local m = dynlib.new("struct fnptr_makers", {make = cclib:sym("ii_make"), sum = cclib:sym("ii_sum")})
    assert.equal(12, m.sum(m.make(1, 2)))
    assert.equal(34, dynlib.cast("fnptr_ii_maker", cclib:sym("ii_make"))(3, 4).a * 10 + 4)
  end)

  it("refuse to call other typed values", function()
    local msg = "only function pointers are callable"
    assert.matches(msg, raised(function() return dynlib.new("int[2]")() end), 1, true)
    assert.matches(msg, raised(function() return dynlib.cast("int *", cclib:sym("ii_sum"))(1) end), 1, true)
    assert.matches(msg, raised(function() return dynlib.new("struct s_ii")() end), 1, true)
  end)

  it("take an enum's constant by name, as declared functions do", function()
    local color_value = fp("int (*)(enum color)", "color_value")
    assert.equal(5, color_value("GREEN"))
    assert.matches("no constant 'PURPLE' in enum color", raised(color_value, "PURPLE"))
  end)

  it("raise the errors a declared function raises, naming the pointer's type", function()
    local ii_sum = fp("int (*)(struct s_ii)", "ii_sum")
    local function same(...)
      local theirs = raised(C.ii_sum, ...):gsub("'ii_sum'", "'int (*)(struct s_ii)'")
      assert.equal(theirs, raised(ii_sum, ...))
      return theirs
    end
    assert.matches("argument #1 to 'int (*)(struct s_ii)': a table or a 'struct s_ii' expected, got number",
      same(42), 1, true)
    assert.matches("argument #1 to 'int (*)(struct s_ii)'", same(C.dd_make(1, 2)), 1, true)
    assert.matches("field 'a': number has no integer representation", same({a = 1.5}), 1, true)
    assert.matches("no field 'z'", same({z = 1}), 1, true)
    assert.matches("wrong number of arguments to 'int (*)(struct s_ii)' (1 expected, got 0)", same(), 1, true)
  end)

  if PACKED_IN_MEMORY then
    it("refuse a packed struct with misaligned members on x86-64 when called, saying why", function()
      local pk_sum = fp("long (*)(struct s_pk)", "pk_sum")
      assert.matches("struct s_pk cannot pass by value: it holds a packed member at a misaligned offset",
        raised(pk_sum, {c = 3, i = 45, s = 6}), 1, true)
    end)
  else
    it("pass a packed struct with misaligned members", function()
      assert.equal(3004506, fp("long (*)(struct s_pk)", "pk_sum")({c = 3, i = 45, s = 6}))
    end)
  end

  it("call variadic functions, typing the extra arguments as declared functions do", function()
    local libc = assert(dynlib.open(H.windows and "msvcrt" or "c"))
    local snprintf = dynlib.cast("int (*)(char *, size_t, const char *, ...)",
      libc:sym(H.windows and "_snprintf" or "snprintf"))
    local buf = dynlib.buffer(32)
    local n = snprintf(buf, 32, "%d %s %.1f", 7, "x", dynlib.new("float", 2.5))
    assert.equal("7 x 2.5", buf:read(0, n))
    assert.matches("wrong number of arguments to 'int %(%*%)%(char %*, [%w ]+, const char %*, %.%.%.%)' "
      .. "%(at least 3 expected, got 2%)", raised(snprintf, buf, 32))
  end)
end)

describe("callbacks returning structs and unions by value", function()
  it("return a table or an object to C, for every ABI class", function()
    local cases = {
      {"struct s_ii (int, int)", C.ii_from, {1, 2}, 23, function(a, b) return {a = a + 1, b = b + 1} end},
      {"struct s_ii (int, int)", C.ii_from, {1, 2}, 12, function(a, b) return C.ii_make(a, b) end},
      {"struct s_c3 (char, char, char)", C.c3_from, {1, 2, 3}, 123,
        function(a, b, c) return {a = a, b = b, c = c} end},
      {"struct s_dd (double, double)", C.dd_from, {1.5, 2}, 17, function(x, y) return {x = x, y = y} end},
      {"struct s_fff (float, float, float)", C.fff_from, {1, 2, 3}, 123,
        function(a, b, c) return {a = a, b = b, c = c} end},
      {"struct s_id (int, double)", C.id_from, {3, 0.25}, 30.25, function(i, d) return {i = i, d = d} end},
      {"struct s_big (long long, long long, long long)", C.big_from, {1, 2, 3}, 10203,
        function(a, b, c) return {a = a, b = b, c = c} end},
      {"union u_id2 (double, double)", C.uid2_from, {3, 4}, 34, function(a, b) return {d = {a, b}} end},
    }
    for _, case in ipairs(cases) do
      local proto, from, args, want, fn = table.unpack(case)
      local cb = dynlib.callback(proto, fn)
      assert.equal(want, from(cb, table.unpack(args)), proto)
      cb:free()
    end
  end)

  it("are called from Lua through a function pointer too", function()
    local cb = dynlib.callback("struct s_big mk(long long a, long long b, long long c)", function(a, b, c)
      return C.big_make(c, b, a)
    end)
    local big = dynlib.cast("struct s_big (*)(long long, long long, long long)", cb.ptr)(1, 2, 3)
    assert.equal("struct s_big", dynlib.typeof(big))
    assert.same({3, 2, 1}, {big.a, big.b, big.c})
    cb:free()
  end)

  it("raise a result of the wrong type when the outer call returns, naming the callback", function()
    local cb = dynlib.callback("struct s_ii mk(int a, int b)", function(a) return a end)
    assert.matches("result of callback 'mk': a table or a 'struct s_ii' expected, got number",
      raised(C.ii_from, cb, 1, 2), 1, true)
    local bad = dynlib.callback("struct s_ii (int, int)", function() return {z = 1} end)
    assert.matches("'struct s_ii' has no field 'z'", raised(C.ii_from, bad, 1, 2), 1, true)
    local good = dynlib.callback("struct s_ii (int, int)", function(a, b) return {a = a, b = b} end)
    assert.equal(12, C.ii_from(good, 1, 2)) -- the failed ones left nothing pending
    cb:free()
    bad:free()
    good:free()
  end)
end)

-- The calls fixture (a DLL on Windows) and the C library's qsort (msvcrt's
-- there).
local lib = assert(dynlib.open(H.fixture("calls/libcalls." .. H.SO)))
local c = assert(dynlib.open(H.LIBC))
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
  H.it_if(sqlite, H.windows and "no sqlite3.dll under wine (.ci/deps installs none for Windows)"
    or "no libsqlite3 here (.ci/deps installs it)")(
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
