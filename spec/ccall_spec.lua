-- Typed calls past scalars (issue 12): errno, which values pass as
-- pointers, declared functions (lib:cdef), structs and unions by value on
-- every ABI (spec/fixtures/ccall/ccall.c covers the classes), enums and
-- variadic typed values. Real libraries are in realapi_spec.lua.
local dynlib = require("dynlib")
local H = require("helper")

-- The C library: glibc's on Linux, msvcrt on Windows (its errno is the one
-- our own C runtime shares).
local libc = assert(dynlib.open(H.windows and "msvcrt" or "c"))
local EBADF, ERANGE = 9, 34 -- the same numbers in glibc and msvcrt

describe("{errno = true}", function()
  it("returns errno read right after the call, after the result", function()
    local close = libc:func(H.windows and "int _close(int)" or "int close(int)", {errno = true})
    local rc, err = close(-1)
    assert.equal(-1, rc)
    assert.equal(EBADF, err)
  end)

  it("clears errno before the call: a success reports 0", function()
    local strtol = libc:func("long strtol(const char *, char **, int)", {errno = true})
    local v, err = strtol("99999999999999999999999", nil, 10)
    assert.equal(ERANGE, err)
    assert.is_true(v > 0)
    v, err = strtol("42", nil, 10)
    assert.equal(42, v)
    assert.equal(0, err)
  end)

  it("works for variadic functions and with void results", function()
    local snprintf = libc:func(H.windows and "int _snprintf(char *, size_t, const char *, ...)"
      or "int snprintf(char *, size_t, const char *, ...)", {errno = true})
    local buf = dynlib.buffer(16)
    local n, err = snprintf(buf, 16, "%d-%s", 7, "x")
    assert.equal(3, n)
    assert.equal(0, err)
    assert.equal("7-x", buf:read(0, 3))
    local set = libc:func("void srand(unsigned)", {errno = true})
    assert.equal(0, select("#", set(1)) - 1) -- one value: errno alone
    assert.equal(0, (set(1)))
  end)

  it("is a boolean option like the others", function()
    assert.has_error(function() libc:func("int abs(int)", {errno = 1}) end,
      "bad option 'errno' to 'func' (boolean expected, got number)")
    assert.equal(3, libc:func("int abs(int)", {errno = false})(-3))
  end)
end)

describe("pointer arguments", function()
  local strlen = libc:func("size_t strlen(const char *)")
  local memset = libc:func("void *memset(void *, int, size_t)")

  it("take nil, light userdata, buffers and callbacks", function()
    local buf = dynlib.buffer("abc\0")
    assert.equal(3, strlen(buf))                   -- a buffer as const char *
    local p = memset(buf, 65, 2)                   -- its data, returned as light userdata
    assert.equal("AAc", buf:read(0, 3))
    assert.is_true(H.is_pointer(p))
    memset(p, 0, 1)
    assert.equal(0, strlen(p))                     -- light userdata to const char *
    local cb = dynlib.callback("void(void)", function() end)
    assert.is_true(H.is_pointer(memset(cb.ptr, 0, 0)))
    local same = libc:func("void *memchr(const void *, int, size_t)")
    assert.is_nil(same(nil, 0, 0))                 -- nil is NULL
  end)

  it("refuse other modules' userdata, naming the argument (io.stdout is no FILE *)", function()
    local fputs = libc:func("int fputs(const char *, void *)")
    local ok, err = pcall(fputs, "hi", io.stdout)
    assert.is_false(ok)
    assert.matches("bad argument #2 to 'fputs' (pointer expected (nil, light userdata or a dynlib object), got FILE*)",
      err, 1, true)
  end)

  it("refuse tables, numbers and booleans where a pointer is expected", function()
    for _, v in ipairs({{}, 42, true}) do
      local ok, err = pcall(memset, v, 0, 0)
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'memset' (pointer expected", err, 1, true)
      assert.matches(type(v), err, 1, true)
    end
  end)

  it("refuse them for const char * too, which also takes strings", function()
    local ok, err = pcall(strlen, io.stdout)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'strlen' (string or pointer expected", err, 1, true)
    ok, err = pcall(strlen, {})
    assert.is_false(ok)
    assert.matches("got table", err, 1, true)
  end)

  it("refuse them in variadic positions", function()
    local snprintf = libc:func(H.windows and "int _snprintf(char *, size_t, const char *, ...)"
      or "int snprintf(char *, size_t, const char *, ...)")
    local ok, err = pcall(snprintf, dynlib.buffer(8), 8, "%p", io.stdout)
    assert.is_false(ok)
    assert.matches("bad argument #4 to '_?snprintf' %(pointer expected .* got FILE%*%)", err)
  end)
end)

-- The by-value fixture, declared from its own header: the layouts dynlib
-- computes meet the compiler's in every call.
local cclib = assert(dynlib.open(H.fixture("ccall/libccall." .. (H.windows and "dll" or "so"))))
local C = cclib:cdef(assert(H.read("spec/fixtures/ccall/ccall.h")))
local PACKED_IN_MEMORY = dynlib.arch == "x86_64" and not H.windows

local err = H.err

describe("structs and unions by value", function()
  it("small integer structs: a table or an object in, a new object out", function()
    assert.equal(34, C.ii_sum({a = 3, b = 4}))
    assert.equal(30, C.ii_sum({a = 3}))              -- the fields not given are zero
    local s = C.ii_make(5, 6)
    assert.equal("struct s_ii", dynlib.typeof(s))
    assert.same({5, 6}, {s.a, s.b})
    assert.equal(56, C.ii_sum(s))
    assert.equal(123, C.c3_sum({a = 1, b = 2, c = 3}))
    local c3 = C.c3_make(4, 5, 6)
    assert.same({4, 5, 6}, {c3.a, c3.b, c3.c})
    assert.equal(10203, C.csi_sum({c = 1, s = 2, i = 3}))
    assert.equal(70809, C.csi_sum(C.csi_make(7, 8, 9)))
  end)

  it("integers and floats mixed in one eightbyte and across two", function()
    assert.equal(12.5, C.if_sum({i = 1, f = 2.5}))
    local s = C.if_make(3, 0.25)
    assert.same({3, 0.25}, {s.i, s.f})
    assert.equal(12.5, C.id_sum({i = 1, d = 2.5}))
    assert.equal(30.25, C.id_sum(C.id_make(3, 0.25)))
  end)

  it("float-only structs (SSE; AArch64's homogeneous float aggregates)", function()
    assert.equal(12.5, C.dd_sum({x = 1, y = 2.5}))
    assert.equal(30.25, C.dd_sum(C.dd_make(3, 0.25)))
    assert.equal(123, C.fff_sum({a = 1, b = 2, c = 3}))
    local f = C.fff_make(4, 5, 6)
    assert.same({4, 5, 6}, {f.a, f.b, f.c})
    assert.equal(1234, C.f4_sum({v = {1, 2, 3, 4}}))
    local f4 = C.f4_make(4, 5, 6, 7)
    assert.same({4, 5, 6, 7}, {f4.v[0], f4.v[1], f4.v[2], f4.v[3]})
    assert.equal(1234, C.d4_sum({a = 1, b = 2, c = 3, d = 4}))
    assert.equal(4567, C.d4_sum(C.d4_make(4, 5, 6, 7)))
  end)

  it("structs over 16 bytes (MEMORY), nested structs, array members", function()
    assert.equal(10203, C.big_sum({a = 1, b = 2, c = 3}))
    local b = C.big_make(math.maxinteger, -1, 3)
    assert.same({math.maxinteger, -1, 3}, {b.a, b.b, b.c})
    assert.equal(123.5, C.nest_sum({p = {a = 1, b = 2}, d = 3.5}))
    local n = C.nest_make(4, 5, 6.5)
    assert.same({4, 5, 6.5}, {n.p.a, n.p.b, n.d})
    assert.equal(456.5, C.nest_sum(n))
    local a = C.arr_make("xyz", 9)
    assert.equal("xyz", dynlib.string(a.name))
    assert.equal(9, a.v)
    assert.equal(C.arr_sum(a), (("x"):byte() + ("y"):byte() + ("z"):byte()) * 1000 + 9)
  end)

  it("unions: an integer member makes them integers, floats alone stay floats", function()
    assert.equal(77, C.uif_int({i = 77}))
    assert.equal(1.5, C.uif_float(1.5).f)
    assert.equal(2.25, C.ufd_get({d = 2.25}, 1))
    assert.equal(0.5, C.ufd_get({f = 0.5}, 0))
    assert.equal(3.5, C.ufd_double(3.5).d)
    assert.equal(12.5, C.uid2_sum({d = {1, 2.5}}))
    local u = C.uid2_make(3, 4)
    assert.same({3, 4}, {u.d[0], u.d[1]})
    local big = C.ubig_make(1)
    assert.equal(20 + 190, C.ubig_sum(big))
    assert.equal(big.c[19], 20)
  end)

  it("many by-value arguments at once, past the registers", function()
    local a, b, c = {x = 1, y = 2}, {a = 3, b = 4}, {a = 5, b = 6, c = 7}
    local e, f = {a = 8, b = 9, c = 10}, {i = 11, d = 12}
    local g, h = {x = 13, y = 14}, {x = 15, y = 16}
    local want = 17 + 12 + 34 + 18 + 567 + 80910 + 122 + 144 * 2 + 166 * 3 + 19
    assert.equal(want, C.mixed(17, a, b, 18, c, e, f, g, h, 19))
  end)

  if PACKED_IN_MEMORY then
    it("refuses a packed struct with misaligned members on x86-64, saying why", function()
      assert.matches("struct s_pk cannot pass by value: it holds a packed member at a misaligned offset",
        err(function() return C.pk_sum end), 1, true)
    end)
  else
    it("passes a packed struct with misaligned members", function()
      assert.equal(3004506, C.pk_sum({c = 3, i = 45, s = 6}))
      local p = C.pk_make(1, 2, 3)
      assert.same({1, 2, 3}, {p.c, p.i, p.s})
    end)
  end

  it("checks what it is given as it checks fields", function()
    assert.matches("field 'a': number has no integer representation", err(C.ii_sum, {a = 1.5}))
    assert.matches("no field 'z'", err(C.ii_sum, {z = 1}))
    assert.matches("argument #1 to 'ii_sum'", err(C.ii_sum, C.dd_make(1, 2)))
    assert.matches("argument #1 to 'ii_sum'", err(C.ii_sum, 42))
    assert.matches("wrong number of arguments to 'ii_sum' %(1 expected, got 0%)", err(C.ii_sum))
  end)
end)

describe("declared functions", function()
  it("are resolved on first use and kept in the table", function()
    assert.is_nil(rawget(C, "ii_sum") and nil)
    local f = C.c3_sum
    assert.equal(f, rawget(C, "c3_sum"))
    assert.equal(f, C.c3_sum)
  end)

  it("lib:func takes a declared function's name, or a prototype in declared types", function()
    assert.equal(34, cclib:func("ii_sum")({a = 3, b = 4}))
    assert.equal(34, cclib:func("int ii_sum(struct s_ii)")({a = 3, b = 4}))
    assert.equal(34, cclib:func("ii_sum", "int(struct s_ii s)")({a = 3, b = 4}))
    dynlib.cdef("typedef struct s_ii ccall_pair;")
    assert.equal(34, cclib:func("int ii_sum(ccall_pair)")({a = 3, b = 4}))
  end)

  it("keep the fast path for scalar shapes, through typedefs", function()
    local c = libc:cdef("typedef size_t ccall_size; ccall_size strlen(const char *);")
    assert.equal(5, c.strlen("hello"))
    local fast = dynlib.arch == "x86_64" or dynlib.arch == "aarch64" -- Win64 too
    assert.equal(fast and "fast" or "ffi", dynlib.call_path(c.strlen))
    assert.equal("ffi", dynlib.call_path(C.ii_sum))
  end)

  it("raise naming a function the library lacks, an undeclared one, an inline one", function()
    local D = cclib:cdef([[
      int ccall_not_in_lib(int);
      static inline int ccall_helper(int x) { return x + 1; }
      int ccall_renamed(struct s_ii) __asm__("ii_sum");
    ]])
    assert.matches("lacks 'ccall_not_in_lib'", err(function() return D.ccall_not_in_lib end))
    assert.matches("'ccall_nosuch' is not a declared function", err(function() return D.ccall_nosuch end))
    assert.matches("'ccall_helper' is a static inline definition", err(function() return D.ccall_helper end))
    assert.equal(12, D.ccall_renamed({a = 1, b = 2}))      -- the __asm__ label is the symbol
  end)

  it("take enum constants by name where the enum is expected", function()
    assert.equal(5, C.color_value("GREEN"))
    assert.equal(6, C.color_value(6))
    assert.equal(0, C.color_next("BLUE"))
    assert.matches("no constant 'PURPLE' in enum color", err(C.color_value, "PURPLE"))
  end)
end)

describe("variadic arguments", function()
  local snprintf = libc:func(H.windows and "int _snprintf(char *, size_t, const char *, ...)"
    or "int snprintf(char *, size_t, const char *, ...)")
  local cs = libc:cdef(H.windows and "int _snprintf(char *, size_t, const char *, ...);"
    or "int snprintf(char *, size_t, const char *, ...);")
  local fmt = cs[H.windows and "_snprintf" or "snprintf"]

  it("pass typed scalar objects with their own type", function()
    local buf = dynlib.buffer(64)
    local n = fmt(buf, 64, "%.1f %d %c", dynlib.new("double", 3), dynlib.new("short", -2),
      dynlib.new("char", 65))
    assert.equal("3.0 -2 A", buf:read(0, n))
    n = snprintf(buf, 64, "%.1f", dynlib.new("float", 2.5))  -- lib:func's variadics too
    assert.equal("2.5", buf:read(0, n))
  end)

  it("pass arrays and typed pointers as pointers, refuse struct objects", function()
    local buf = dynlib.buffer(64)
    local s = dynlib.new("char[?]", 6, "hello")
    local n = fmt(buf, 64, "%s!", s)
    assert.equal("hello!", buf:read(0, n))
    assert.matches("a struct or union object cannot be a variadic argument: pass its address",
      err(fmt, buf, 64, "%p", C.ii_make(1, 2)))
  end)
end)
