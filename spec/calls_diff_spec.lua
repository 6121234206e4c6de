-- Differential spec: 240 generated signatures (every type, integer/float
-- mixes, 0 to 10 arguments, so some overflow the registers), each called
-- through the fast path and through libffi with extreme and negative values;
-- the arguments the C side recorded and the results are compared with what
-- C says they must be. Integer results come back with undefined upper
-- register bits (gen_calls.lua), which the fast path must cut off. Widths
-- and signedness the target's ABI chooses (long, size_t, char) are the
-- target's, as its C compiler reports them.
local dynlib = require("dynlib")
local H = require("helper")
package.path = "spec/gen/?.lua;" .. package.path
local types = require("calls_types")

local sigs = dofile(H.fixture("calls/gencalls.lua"))
local lib = assert(dynlib.open(H.fixture("calls/libgencalls." .. (H.windows and "dll" or "so"))))
local get_u = lib:func("uint64_t get_u(int)")
local get_d = lib:func("double get_d(int)")
local get_s = lib:func("const char *get_s(int)")
local get_p = lib:func("void *get_p(int)")
local get_n = lib:func("int get_n(void)")
local some_ptr = lib:sym("rec_u")
local other_ptr = lib:sym("rec_d")

-- The target's widths and signedness, for the types whose C leaves them to
-- the ABI (calls_types marks them); the others are checked against C below.
local type_bits = lib:func("int type_bits(int)")
local type_signed = lib:func("int type_signed(int)")
for t, ty in ipairs(types) do
  if ty.abi then ty.bits = type_bits(t) end
  if ty.k == "n" then ty.k = type_signed(t) == 1 and "i" or "u" end
end

-- Where dynlib has its register fast path (docs/design.md section 6): stated
-- here, not asked of dynlib, so that a build that lost it fails. x86-64
-- System V and AArch64 count each register class on its own, so mixed
-- integer/floating signatures fit too; Win64 assigns registers by position,
-- so only signatures of one class are fast there. i386: libffi only.
local FAST_PATH = dynlib.arch == "x86_64" or dynlib.arch == "aarch64"
local FAST_MIXED = FAST_PATH and dynlib.os ~= "windows"

-- The path a signature must take by default on this target: at most 6
-- integer-class and 8 floating arguments, and mixed only where allowed.
local function expected_path(sig)
  local nint, nfp = 0, 0
  for _, t in ipairs(sig.args) do
    local k = types[t].k
    if k == "f" or k == "d" then nfp = nfp + 1 else nint = nint + 1 end
  end
  local fits = nint <= 6 and nfp <= 8
  if not FAST_PATH or not fits then return "ffi" end
  if nint > 0 and nfp > 0 and not FAST_MIXED then return "ffi" end
  return "fast"
end

local function is_narrow_int(ty)
  return (ty.k == "i" or ty.k == "u" or ty.k == "b") and ty.bits < 64
end

-- Truncates a 64-bit Lua integer to `bits`, sign-extending when signed.
local function trunc(v, bits, signed)
  if bits == 64 then return v end
  v = v & ((1 << bits) - 1)
  if signed and v >= (1 << (bits - 1)) then v = v - (1 << bits) end
  return v
end

local function as_float(x)
  return (string.unpack("f", string.pack("f", x)))
end

local samples = {
  i = function(bits) return {-(1 << (bits - 1)), (1 << (bits - 1)) - 1, -1, 0, 1} end,
  u = function(bits) return {bits == 64 and -1 or (1 << bits) - 1, 0, 1, bits == 64 and math.mininteger or 1 << (bits - 1)} end,
  b = function() return {true, false} end,
  f = function() return {1.5, -3.25, 3.0e38, 0.1, -0.0} end,
  d = function() return {1.5, -1e300, 2.0 ^ -1074, 123456789.125} end,
  s = function() return {"hello", "", nil, "w\195\182rld"} end,
  p = function() return {some_ptr, nil, other_ptr} end,
}

local function value_for(t, j, k)
  local vs = samples[t.k](t.bits)
  local n = t.k == "s" and 4 or (t.k == "p" and 3 or #vs)
  return vs[(j + k) % n + 1]
end

-- Checks what C recorded for argument k (0-based) against the value sent.
local function check_record(t, k, v, where)
  if t.k == "i" then
    assert.equal(v, get_u(k), where)
  elseif t.k == "u" then
    assert.equal(trunc(v, t.bits, false), trunc(get_u(k), t.bits, false), where)
  elseif t.k == "b" then
    assert.equal(v and 1 or 0, get_u(k), where)
  elseif t.k == "f" then
    assert.equal(as_float(v), get_d(k), where)
  elseif t.k == "d" then
    assert.equal(v, get_d(k), where)
  elseif t.k == "s" then
    assert.equal(v, get_s(k), where)
  else
    assert.equal(v, get_p(k), where)
  end
end

local function expected_result(sig, args)
  local rt = types[sig.ret]
  if not rt then return nil end
  if rt.k == "i" or rt.k == "u" then
    return trunc(math.tointeger(tonumber(sig.const)) or 0, rt.bits, rt.k == "i")
  elseif rt.k == "b" then return sig.i % 2 == 0
  elseif rt.k == "f" then return sig.i + 0.5
  elseif rt.k == "d" then return -(sig.i + 0.25) -- C's "return -I.25;"
  elseif rt.k == "s" then return sig.i % 3 ~= 0 and ("ret" .. sig.i) or nil
  end
  for k, t in ipairs(sig.args) do
    if types[t].k == "p" then return args[k] end
  end
  return nil
end

local function run(sig, path_opts)
  local f = assert(lib:func(sig.proto, path_opts))
  for j = 0, 2 do
    local args = {}
    for k, t in ipairs(sig.args) do args[k] = value_for(types[t], j, k) end
    local where = ("%s with value set %d via %s"):format(sig.proto, j, dynlib.call_path(f))
    local r = f(table.unpack(args, 1, #sig.args))
    local rt = types[sig.ret]
    if rt then
      assert.equal(expected_result(sig, args), r, where)
    else
      assert.is_nil(r, where)
    end
    assert.equal(#sig.args, get_n(), where)
    for k, t in ipairs(sig.args) do check_record(types[t], k - 1, args[k], where) end
  end
end

describe("typed calls, differential", function()
  it("covers at least 200 signatures, every type, 0 to 10 arguments", function()
    assert.is_true(#sigs >= 200)
    local seen, counts = {}, {}
    for _, sig in ipairs(sigs) do
      seen[sig.ret] = true
      for _, t in ipairs(sig.args) do seen[t] = true end
      counts[#sig.args] = true
    end
    for t = 1, #types do assert.is_true(seen[t], types[t].c) end
    for n = 0, 10 do assert.is_true(counts[n], n .. " arguments") end
  end)

  it("knows each integer type as the target's C does, and so does dynlib", function()
    local ints = 0
    for t, ty in ipairs(types) do
      if ty.k == "i" or ty.k == "u" then
        ints = ints + 1
        assert.equal(ty.bits, type_bits(t), ty.c)
        assert.equal(ty.k == "i" and 1 or 0, type_signed(t), ty.c)
        local r = dynlib.signature(ty.c .. " f(void)").ret
        assert.same({ty.k == "i" and "int" or "uint", ty.bits}, {r.kind, r.size * 8}, ty.c)
      end
    end
    assert.equal(28, ints)
  end)

  it("uses both paths: the fast one where registers suffice, libffi beyond", function()
    local fast, ffi, narrow, mixed, one_class_fp = 0, 0, 0, 0, 0
    for _, sig in ipairs(sigs) do
      local path = dynlib.call_path(lib:func(sig.proto))
      assert.equal(expected_path(sig), path, sig.proto)
      local has_int, has_fp = false, false
      for _, t in ipairs(sig.args) do
        local k = types[t].k
        if k == "f" or k == "d" then has_fp = true else has_int = true end
      end
      if path == "fast" then
        fast = fast + 1
        local has_narrow = types[sig.ret] and is_narrow_int(types[sig.ret])
        for _, t in ipairs(sig.args) do has_narrow = has_narrow or is_narrow_int(types[t]) end
        if has_narrow then narrow = narrow + 1 end
        if has_int and has_fp then mixed = mixed + 1 end
        if has_fp and not has_int then one_class_fp = one_class_fp + 1 end
      else
        ffi = ffi + 1
      end
      assert.equal("ffi", dynlib.call_path(lib:func(sig.proto, {ffi = true})))
    end
    if FAST_MIXED then
      assert.is_true(fast > 100, fast .. " fast")
      assert.is_true(narrow > 80, narrow .. " fast with narrow integers")
      assert.is_true(mixed > 20, mixed .. " fast with both register classes")
      assert.is_true(ffi > 10, ffi .. " through libffi")
    elseif FAST_PATH then
      -- Win64: integer-class only or floating only, never both.
      assert.equal(0, mixed)
      assert.is_true(fast > 100, fast .. " fast")
      assert.is_true(narrow > 60, narrow .. " fast with narrow integers")
      assert.is_true(one_class_fp > 10, one_class_fp .. " fast with only floating arguments")
      assert.is_true(ffi > 100, ffi .. " through libffi")
    else
      -- No fast path on this target (DL_HAVE_FAST_PATH is 0): every call,
      -- by default too, must go through libffi.
      assert.equal(0, fast)
      assert.equal(#sigs, ffi)
    end
  end)

  it("agrees with C on every signature through the default path", function()
    for _, sig in ipairs(sigs) do run(sig, nil) end
  end)

  it("agrees with C on every signature through libffi", function()
    for _, sig in ipairs(sigs) do run(sig, {ffi = true}) end
  end)
end)
