-- Declared functions (lib:cdef) against the scalar typed call of the same
-- arity, side by side in one run: what structs by value, enums and typed
-- results cost over the register fast path (ns per call and the ratio).
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"
local lib = assert(dynlib.open(build .. "/fixtures/ccall/libccall.so"))
local f = assert(io.open("spec/fixtures/ccall/ccall.h"))
local C = lib:cdef(f:read("a"))
f:close()
local calls = assert(dynlib.open(build .. "/fixtures/calls/libcalls.so"))
local add = calls:func("int add(int, int)")
local abs = assert(dynlib.open("c")):func("int abs(int)")

local N = tonumber(os.getenv("DYNLIB_BENCH_CALLS")) or 1000000

-- One loop per arity: the loop costs the same on both sides.
local function best(fn, a, b)
  local t = math.huge
  for _ = 1, 5 do
    local t0 = os.clock()
    if b == nil then for _ = 1, N do fn(a) end
    else for _ = 1, N do fn(a, b) end end
    t = math.min(t, os.clock() - t0)
  end
  return t / N * 1e9
end

local ii, dd = C.ii_make(1, 2), C.dd_make(1, 2)
local base1, base2 = best(abs, -5), best(add, 2, 3)
local cases = {
  {"color_value(int) (enum, libffi)", C.color_value, {1}, base1},
  {"color_value(\"GREEN\")", C.color_value, {"GREEN"}, base1},
  {"ii_sum(struct object)", C.ii_sum, {ii}, base1},
  {"ii_sum({a =, b =})", C.ii_sum, {{a = 1, b = 2}}, base1},
  {"dd_sum(struct object) (SSE)", C.dd_sum, {dd}, base1},
  {"ii_make(int, int) -> new object", C.ii_make, {1, 2}, base2},
  -- The same conversion reached through a function pointer (fnptr.c).
  {"fnptr add(int, int)", dynlib.cast("int (*)(int, int)", calls:sym("add")), {2, 3}, base2},
  {"fnptr ii_sum(struct object)", dynlib.cast("int (*)(struct s_ii)", lib:sym("ii_sum")), {ii}, base1},
  {"fnptr ii_make(int, int) -> new object",
    dynlib.cast("struct s_ii (*)(int, int)", lib:sym("ii_make")), {1, 2}, base2},
}
print(("%-36s %9s %9s %7s"):format("declared call", "ns", "scalar", "ratio"))
for _, c in ipairs(cases) do
  local t = best(c[2], c[3][1], c[3][2])
  print(("%-36s %9.1f %9.1f %6.1fx"):format(c[1], t, c[4], t / c[4]))
end
