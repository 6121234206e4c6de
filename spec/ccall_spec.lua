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
