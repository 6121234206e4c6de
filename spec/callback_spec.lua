-- dynlib.callback: Lua functions C can call, errors raised after the outer
-- call returns, other threads refused, never collected under C.
local dynlib = require("dynlib")
local H = require("helper")

-- On Windows the fixture is a DLL and the C library msvcrt: Win64 callbacks
-- go through libffi's closures there (no compiled entries).
local lib = assert(dynlib.open(H.fixture("calls/libcalls." .. H.SO)))
local apply = lib:func("int apply(int (*f)(int, int), int a, int b)")

describe("dynlib.callback", function()
  it("makes a Lua function callable from C", function()
    local add = dynlib.callback("int add(int, int)", function(a, b) return a + b end)
    assert.equal(5, apply(add, 2, 3))          -- the callback itself as the argument
    assert.equal(-1, apply(add.ptr, 1, -2))    -- or its code pointer
    local half = dynlib.callback("double(double)", function(x) return x / 2 end)
    assert.equal(1.25, lib:func("double apply_d(double (*f)(double), double)")(half, 2.5))
    assert.matches("^dynlib.callback %(int%)$", tostring(add))
  end)

  it("lets the C library's qsort sort with a Lua comparator", function()
    local c = assert(dynlib.open(H.LIBC))
    local qsort = c:func("void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))")
    local deref = lib:func("int deref_int(const void *)")
    local calls = 0
    local cmp = dynlib.callback("int cmp(const void *a, const void *b)", function(a, b)
      calls = calls + 1
      return deref(a) - deref(b)
    end)
    local arr = lib:func("int *fixture_array(void)")()
    qsort(arr, 5, 4, cmp)
    local at = lib:func("int array_at(const int *, int)")
    assert.same({1, 2, 3, 4, 5}, {at(arr, 0), at(arr, 1), at(arr, 2), at(arr, 3), at(arr, 4)})
    assert.is_true(calls > 0)
    c:close()
  end)

  it("raises a Lua error after the outer call returns; later invocations in it return zero", function()
    local seen, fail = {}, true
    local f = dynlib.callback("void(int)", function(i)
      seen[#seen + 1] = i
      if fail and i == 1 then error("boom at " .. i) end
    end)
    local rep = lib:func("void repeat(void (*f)(int), int n)")
    local ok, err = pcall(rep, f, 5)
    assert.is_false(ok)
    assert.matches("boom at 1", err)
    assert.same({0, 1}, seen) -- 2, 3 and 4 returned at once
    seen, fail = {}, false
    rep(f, 3) -- the next outer call runs it again, every time
    assert.same({0, 1, 2}, seen)
  end)

  it("turns a result of the wrong type into an error, not a crash", function()
    local bad = dynlib.callback("int(int, int)", function() return "nope" end)
    assert.has_error(function() apply(bad, 1, 2) end)
    local big = dynlib.callback("int(int, int)", function() return 2 ^ 40 end)
    assert.has_error(function() apply(big, 1, 2) end)
  end)

  it("runs on the coroutine making the outer call, through either path", function()
    local via_ffi = lib:func("int apply(int (*f)(int, int), int a, int b)", {ffi = true})
    for how, call in pairs({default = apply, ffi = via_ffi}) do
      local ran_on
      local f = dynlib.callback("int(int, int)", function(a, b)
        ran_on = coroutine.running()
        return a * b
      end)
      local co = coroutine.create(function() return call(f, 6, 7) end)
      local ok, r = coroutine.resume(co)
      assert.is_true(ok, r)
      assert.equal(42, r, how)
      assert.equal(co, ran_on, how)
      assert.equal(12, call(f, 3, 4), how) -- and on the main thread from there
      assert.is_true(select(2, coroutine.running()))
      assert.are_not.equal(co, ran_on, how)
    end
  end)

  it("refuses calls from another thread without touching Lua", function()
    local ran = false
    local f = dynlib.callback("int(void)", function() ran = true return 7 end)
    assert.equal(0, lib:func("int call_from_thread(int (*f)(void))")(f))
    assert.is_false(ran)
    assert.equal(1, f.rejected)
  end)

  it("is never collected while C may hold it; free() ends it", function()
    local save = lib:func("void save_cb(int (*f)(int))")
    local call_saved = lib:func("int call_saved(int)")
    local cb = dynlib.callback("int(int)", function(x) return x * 3 end)
    save(cb)
    local ptr = cb.ptr
    cb = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    assert.equal(21, call_saved(7)) -- still alive: anchored until free()
    local again = dynlib.callback("int(int)", function(x) return x end)
    again:free()
    assert.is_true(again.freed)
    assert.is_nil(again.ptr)
    assert.has_error(function() save(again) end, "dynlib: callback used after free()")
    assert.is_truthy(ptr)
  end)

  it("works past any fixed number of live callbacks, and after many are freed", function()
    -- Integer-class callbacks use a pool of compiled entries where the ABI
    -- allows (then libffi's closures): both kinds, and slots given back.
    local cbs = {}
    for i = 1, 200 do
      cbs[i] = dynlib.callback("int(int, int)", function(a, b) return a * b + i end)
    end
    for i = 1, 200 do assert.equal(6 + i, apply(cbs[i], 2, 3)) end
    for i = 1, 200, 2 do cbs[i]:free() end
    for i = 1, 100 do
      local cb = dynlib.callback("int(int, int)", function(a, b) return a - b - i end)
      assert.equal(-i - 1, apply(cb, 2, 3))
      cb:free()
    end
    for i = 2, 200, 2 do assert.equal(6 + i, apply(cbs[i], 2, 3)) ; cbs[i]:free() end
  end)

  it("reads narrow arguments from their own bytes only", function()
    local got
    local f = dynlib.callback("int16_t(int8_t, uint16_t, int32_t, bool, uint8_t)", function(...)
      got = {...}
      return -300
    end)
    assert.equal(-299, lib:func("int call_narrow(void *)")(f))
    assert.same({-1, 65535, -1, true, 200}, got)
  end)

  it("receives mixed integer and floating arguments in their places, past the registers too", function()
    local got
    local f = dynlib.callback("double(int, double, int, float, long, double)", function(...)
      got = {...}
      return 2.5
    end)
    assert.equal(3.5, lib:func("double call_mixed(void *)")(f))
    assert.same({1, 0.5, -2, 0.25, -3, 0.125}, got)
    f:free()
  end)

  it("refuses bad prototypes and non-functions", function()
    assert.has_error(function() dynlib.callback("int(int", print) end)
    assert.has_error(function() dynlib.callback("int(int)", 42) end)
    assert.has_error(function() dynlib.callback("int(const char *, ...)", print) end)
  end)
end)
