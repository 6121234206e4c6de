-- The typed-call entries lib:func picks per shape (issue 15): each arity,
-- argument conversion (int32, int64, mixed widths, strings, anything with
-- pointers, doubles) and result push, on the fast path and through libffi,
-- keeps the checked conversions, the arity check, the closed check and the
-- callbacks' coroutine (callback_spec: on both paths); the libffi path's
-- prepared argument slots survive a callback that calls the same function
-- again.
local dynlib = require("dynlib")
local H = require("helper")

local path = H.fixture("calls/libcalls." .. (H.windows and "dll" or "so"))
local lib = assert(dynlib.open(path))
local deref_int = lib:func("int deref_int(const void *)")

-- fn(f, how) for the default entry and the libffi one.
local function each_path(proto, fn)
  fn(lib:func(proto), "default")
  fn(lib:func(proto, {ffi = true}), "ffi")
end

local function err_of(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok)
  return err
end

describe("specialised entries", function()
  it("void f(void): runs, returns nothing, refuses arguments", function()
    local calls = lib:sym("noop_calls")
    each_path("void noop(void)", function(noop, how)
      local before = deref_int(calls)
      assert.equal(0, select("#", noop()), how)
      assert.equal(before + 1, deref_int(calls), how)
      assert.equal("wrong number of arguments to 'noop' (0 expected, got 1)",
        err_of(noop, 1):match("wrong.*"), how)
      assert.equal(before + 1, deref_int(calls), how) -- never reached C
    end)
  end)

  it("int32 arguments: each one range-checked, an int32 result sign-extended", function()
    each_path("int add(int, int)", function(add, how)
      assert.equal(-3, add(-5, 2), how)
      assert.equal(-2147483648, add(-2147483647, -1), how)
      assert.equal(2147483647, add(2147483646, 1), how)
      for i, args in ipairs({{2147483648, 0}, {0, 2147483648}, {-2147483649, 0}, {0, -2147483649}}) do
        local bad = args[1] == 0 and 2 or 1
        assert.matches(("bad argument #%d to 'add' %%(value out of range for int%%)"):format(bad),
          err_of(add, args[1], args[2]), how .. " " .. i)
      end
      assert.matches("bad argument #2 to 'add' %(number has no integer representation%)",
        err_of(add, 1, 1.5), how)
      assert.matches("bad argument #2 to 'add' %(number expected, got boolean%)",
        err_of(add, 1, true), how)
      assert.equal(7, add("3", 4.0), how) -- lauxlib's conversions
      assert.matches("wrong number of arguments to 'add' %(2 expected, got 3%)",
        err_of(add, 1, 2, 3), how)
    end)
  end)

  it("int64 arguments take every Lua integer and nothing else", function()
    each_path("int64_t sum6(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)", function(sum6, how)
      assert.equal(math.maxinteger, sum6(math.maxinteger, 0, 0, 0, 0, 0), how)
      assert.equal(math.mininteger, sum6(0, 0, 0, 0, 0, math.mininteger), how)
      assert.equal(-21, sum6(-1, -2, -3, -4, -5, -6), how)
      assert.matches("bad argument #6 to 'sum6' %(number has no integer representation%)",
        err_of(sum6, 1, 2, 3, 4, 5, 0.5), how)
      assert.matches("bad argument #3 to 'sum6' %(number expected, got nil%)",
        err_of(sum6, 1, 2, nil, 4, 5, 6), how)
      assert.matches("wrong number of arguments to 'sum6' %(6 expected, got 5%)",
        err_of(sum6, 1, 2, 3, 4, 5), how)
    end)
  end)

  it("integers of mixed widths: each against its own type's range", function()
    each_path("int64_t mixed_ints(int8_t, uint16_t, int64_t)", function(f, how)
      assert.equal(-128 + 65535 + math.mininteger, f(-128, 65535, math.mininteger), how)
      assert.matches("bad argument #1 to 'mixed_ints' %(value out of range for int8_t%)",
        err_of(f, 128, 0, 0), how)
      assert.matches("bad argument #2 to 'mixed_ints' %(value out of range for uint16_t%)",
        err_of(f, 0, -1, 0), how)
      assert.matches("bad argument #2 to 'mixed_ints' %(value out of range for uint16_t%)",
        err_of(f, 0, 65536, 0), how)
    end)
  end)

  it("string arguments: strings and numbers, nil for NULL, nothing else", function()
    each_path("int compare_str(const char *, const char *)", function(cmp, how)
      assert.equal(-1, cmp("a", "b"), how)
      assert.equal(0, cmp("10", 10), how)
      assert.equal(1, cmp("b", "a"), how)
      local refused = "%(string or pointer expected %(nil, light userdata or a dynlib object%), got "
      assert.matches("bad argument #2 to 'compare_str' " .. refused .. "table%)",
        err_of(cmp, "a", {}), how)
      assert.matches("bad argument #1 to 'compare_str' " .. refused .. "boolean%)",
        err_of(cmp, false, "a"), how)
    end)
    -- A pointer passes too: a buffer, and its address as light userdata.
    local buf = dynlib.buffer("abcd\0")
    local raw = lib:func("echo_str", "void *(const char *)")(buf)
    assert.equal("userdata", type(raw))
    each_path("size_t my_strlen(const char *)", function(len, how)
      assert.equal(11, len("hello world"), how)
      assert.equal(0, len(""), how)
      assert.equal(4, len(buf), how)
      assert.equal(4, len(raw), how)
    end)
    each_path("const char *echo_str(const char *)", function(echo, how)
      assert.is_nil(echo(nil), how)
      assert.equal("x", echo("x"), how)
    end)
  end)

  it("double arguments: numbers and numeric strings, a double result", function()
    each_path("double addd(double, double)", function(addd, how)
      assert.equal(3.75, addd(1.5, 2.25), how)
      assert.equal(3.0, addd(1, "2"), how)
      assert.matches("bad argument #2 to 'addd' %(number expected, got string%)",
        err_of(addd, 1, "x"), how)
      assert.matches("wrong number of arguments to 'addd' %(2 expected, got 0%)",
        err_of(addd), how)
    end)
  end)

  it("results of every width come back truncated to their type", function()
    each_path("uint64_t wide(void)", function(f, how)
      assert.equal(0xDEADBEEFCAFEF00D, f(), how)
    end)
    each_path("uint8_t echo_u8(uint8_t)", function(f, how) assert.equal(255, f(255), how) end)
    each_path("uint32_t echo_u32(uint32_t)", function(f, how)
      assert.equal(4294967295, f(4294967295), how)
    end)
    each_path("int16_t echo_i16(int16_t)", function(f, how) assert.equal(-32768, f(-32768), how) end)
    each_path("bool echo_bool(bool)", function(f, how) assert.is_false(f(false), how) end)
    each_path("void *echo_ptr(void *)", function(f, how)
      assert.is_nil(f(nil), how)
      assert.equal(dynlib.null, f(dynlib.null) or dynlib.null, how)
    end)
    each_path("const char *nothing(void)", function(f, how) assert.is_nil(f(), how) end)
    each_path("const char *greeting(void)", function(f, how) assert.equal("hello from C", f(), how) end)
  end)

  it("raises 'dynlib: closed:' from every entry after lib:close()", function()
    local l = assert(dynlib.open(path))
    local made = {}
    -- {prototype, argument count, arguments...}: one of each entry kind.
    for _, c in ipairs({
      {"void noop(void)", 0}, {"int add(int, int)", 2, 1, 2},
      {"int64_t sum6(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)", 6, 1, 2, 3, 4, 5, 6},
      {"int64_t mixed_ints(int8_t, uint16_t, int64_t)", 3, 1, 2, 3},
      {"size_t my_strlen(const char *)", 1, "abc"}, {"double addd(double, double)", 2, 1, 2},
      {"int is_null(const void *)", 1, nil}, {"float addf(float, float)", 2, 1, 2},
      {"double mixed(int, double, int, float, long, double)", 6, 1, 2, 3, 4, 5, 6},
      {"long many_ints(long, long, long, long, long, long, long, long)", 8, 1, 2, 3, 4, 5, 6, 7, 8},
    }) do
      for _, opts in ipairs({{}, {ffi = true}}) do
        made[#made + 1] = {l:func(c[1], opts), table.pack(table.unpack(c, 3, 2 + c[2])), c[1]}
      end
    end
    for _, m in ipairs(made) do m[1](table.unpack(m[2], 1, m[2].n)) end -- all work while open
    l:close()
    for _, m in ipairs(made) do
      assert.matches("^dynlib: closed: .*libcalls%.%a+: '[%w_]+' called after its library handle was closed",
        err_of(m[1], table.unpack(m[2], 1, m[2].n)), m[3])
    end
  end)
end)

describe("the path each shape takes", function()
  -- Stated per target, not asked of dynlib (docs/design.md section 6):
  -- System V and AArch64 fit mixed integer/floating signatures in their
  -- registers; Win64 assigns registers by position, so only one-class
  -- signatures are fast there; i386 has libffi only.
  local FAST = dynlib.arch == "x86_64" or dynlib.arch == "aarch64"
  local MIXED = FAST and not H.windows
  local function want(fast) return fast and "fast" or "ffi" end
  it("is fast for one register class everywhere, for both where classes count apart", function()
    for _, c in ipairs({
      {"void noop(void)", FAST}, {"int add(int, int)", FAST},
      {"int64_t sum6(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)", FAST},
      {"size_t my_strlen(const char *)", FAST}, {"void *echo_ptr(void *)", FAST},
      {"double addd(double, double)", FAST}, {"float addf(float, float)", FAST},
      {"float echo_float(float)", FAST},
      {"double mixed(int, double, int, float, long, double)", MIXED},
      {"long many_ints(long, long, long, long, long, long, long, long)", false},
      {"double many_doubles(double, double, double, double, double, double, double, double, "
         .. "double, double)", false},
    }) do
      local f = lib:func(c[1])
      assert.equal(want(c[2]), dynlib.call_path(f), c[1])
      assert.equal("ffi", dynlib.call_path(lib:func(c[1], {ffi = true})), c[1])
    end
    assert.equal(2.5, lib:func("float addf(float, float)")(1, 1.5))
    assert.equal(-0.25, lib:func("float echo_float(float)")(-0.25))
    assert.equal(1 + 2 + 3 + 4 + 5 + 6, lib:func("double mixed(int, double, int, float, long, double)")(1, 2, 3, 4, 5, 6))
  end)
end)

describe("a call after close", function()
  it("leaves nothing pending for the calls after it", function()
    local l = assert(dynlib.open(path))
    local noop, add = l:func("void noop(void)"), lib:func("int add(int, int)")
    l:close()
    for _ = 1, 3 do
      assert.matches("^dynlib: closed: ", err_of(noop))
      assert.equal(5, add(2, 3)) -- another handle's function: as before
    end
    -- a failing callback still raises its own error, not "closed"
    local apply = lib:func("int apply(int (*f)(int, int), int a, int b)")
    local cb = dynlib.callback("int(int, int)", function() error("from the callback") end)
    assert.matches("from the callback", err_of(apply, cb, 1, 2))
    assert.equal(7, apply(dynlib.callback("int(int, int)", function(a, b) return a + b end), 3, 4))
  end)

  it("is refused for functions made before a collection of others", function()
    local l = assert(dynlib.open(path))
    for _ = 1, 50 do l:func("int add(int, int)") end -- garbage in the handle's weak set
    local keep = l:func("int add(int, int)")
    collectgarbage()
    collectgarbage()
    assert.equal(3, keep(1, 2))
    l:close()
    assert.matches("^dynlib: closed: ", err_of(keep, 1, 2))
  end)
end)

describe("the libffi path's prepared slots", function()
  it("survive a callback that calls the same function again", function()
    local apply = lib:func("int apply(int (*f)(int, int), int a, int b)", {ffi = true})
    local cb
    cb = dynlib.callback("int(int, int)", function(a, b)
      if a == 0 then return b end
      return apply(cb, a - 1, b + a) * 2 -- the outer call's slots get refilled
    end)
    -- apply(cb, 3, 0) = 2 * apply(cb, 2, 3) = 4 * apply(cb, 1, 5) = 8 * apply(cb, 0, 6) = 8 * 6
    assert.equal(48, apply(cb, 3, 0))
    assert.equal(7, apply(cb, 0, 7))
  end)
end)
