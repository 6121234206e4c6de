-- Typed memory: dynlib.new objects (owned by Lua, every access checked),
-- typed pointers, dynlib.cast, dynlib.typeof, dynlib.string.
local dynlib = require("dynlib")
local H = require("helper")

dynlib.cdef([[
  struct cd_point { int32_t x, y; };
  struct cd_rect { struct cd_point min, max; const char *label; };
  struct cd_node { int v; struct cd_node *next; void *data; char *name; };
  struct cd_other { int v; };
  struct cd_mixed {
    uint8_t u8; int8_t i8; uint16_t u16; int32_t i32; uint32_t u32;
    int64_t i64; float f; double d; bool b;
    union { int32_t as_int; float as_float; };
    struct { int16_t ax, ay; };
    unsigned flag : 1; unsigned mode : 3; int small : 4;
    uint8_t bytes[4];
    const int fixed;
  };
  typedef char *cd_str;
  struct cd_strs { cd_str s; const char *cs; unsigned char *us; };
  struct cd_flex { int n; double items[]; };
]])

local err = H.err -- the message of the error f raises

describe("dynlib.new", function()
  it("makes zeroed scalar objects holding one value, v[0]", function()
    local d = dynlib.new("double", 3)
    assert.equal(3.0, d[0])
    d[0] = 1.5
    assert.equal(1.5, d[0])
    assert.equal("double", dynlib.typeof(d))
    assert.equal(0, dynlib.new("int")[0])
    for _ = 1, 4 do -- 16-byte aligned, whatever Lua's userdata alignment
      assert.equal(0, dynlib.cast("intptr_t", dynlib.new("char[?]", 3)) % 16)
    end
    assert.matches("index 1 out of range for 'double' %(valid: 0..0%)", err(function() return d[1] end))
    assert.matches("index %-1 out of range", err(function() d[-1] = 0 end))
  end)

  it("reads and writes struct fields by name, checked against each type", function()
    local m = dynlib.new("struct cd_mixed")
    assert.equal(0, m.i32)
    m.u8, m.i8, m.u16, m.i32, m.u32 = 255, -128, 65535, -2147483648, 4294967295
    m.i64, m.f, m.d, m.b = math.mininteger, 0.5, 1e300, true
    assert.same({255, -128, 65535, -2147483648, 4294967295, math.mininteger, 0.5, 1e300, true},
      {m.u8, m.i8, m.u16, m.i32, m.u32, m.i64, m.f, m.d, m.b})
    assert.matches("field 'i32': value 1099511627776 out of range for int",
      err(function() m.i32 = 1 << 40 end))
    assert.matches("field 'u8': value %-1 out of range for unsigned char", err(function() m.u8 = -1 end))
    assert.matches("value 256 out of range", err(function() m.u8 = 256 end))
    assert.matches("field 'f': number expected, got string", err(function() m.f = "abc" end))
    assert.matches("out of range for float", err(function() m.f = 1e39 end))
    assert.matches("field 'b': boolean expected, got number", err(function() m.b = 1 end))
    assert.matches("field 'i32': number has no integer representation",
      err(function() m.i32 = 1.5 end))
    assert.matches("field 'i32': integer expected, got table", err(function() m.i32 = {} end))
    assert.matches("'struct cd_mixed' has no field 'nope'", err(function() return m.nope end))
    assert.matches("'struct cd_mixed' has no field 'nope'", err(function() m.nope = 1 end))
    assert.matches("field 'fixed' is const", err(function() m.fixed = 1 end))
    assert.equal(0, m.fixed)
  end)

  it("reaches anonymous members and reads and writes bit-fields", function()
    local m = dynlib.new("struct cd_mixed")
    m.as_int = 0x3f800000
    assert.equal(1.0, m.as_float)
    m.ax, m.ay = -3, 7
    assert.same({-3, 7}, {m.ax, m.ay})
    m.flag, m.mode, m.small = 1, 5, -8
    assert.same({1, 5, -8}, {m.flag, m.mode, m.small})
    m.small = 7
    assert.same({1, 5, 7}, {m.flag, m.mode, m.small})
    assert.matches("field 'mode': value 8 out of range for a 3%-bit", err(function() m.mode = 8 end))
    assert.matches("value %-9 out of range for a 4%-bit", err(function() m.small = -9 end))
    assert.matches("value %-1 out of range for a 1%-bit", err(function() m.flag = -1 end))
    assert.same({1, 5, 7}, {m.flag, m.mode, m.small})
  end)

  it("gives nested structs and arrays as views: a.b.c writes in place", function()
    local r = dynlib.new("struct cd_rect")
    r.max.x = 10
    r.max.y = 20
    assert.equal(10, r.max.x)
    assert.equal("struct cd_point", dynlib.typeof(r.max))
    r.min = {x = 1, y = 2}
    assert.same({1, 2, 10, 20}, {r.min.x, r.min.y, r.max.x, r.max.y})
    r.min = r.max -- copies the value
    r.max.x = 99
    assert.same({10, 99}, {r.min.x, r.max.x})
    local m = dynlib.new("struct cd_mixed")
    m.bytes[3] = 200
    assert.equal(200, m.bytes[3])
    assert.equal(4, #m.bytes)
    assert.matches("index 4 out of range for 'unsigned char%[4%]' %(valid: 0..3%)",
      err(function() return m.bytes[4] end))
    m.bytes = "ab"
    assert.same({97, 98, 0, 0}, {m.bytes[0], m.bytes[1], m.bytes[2], m.bytes[3]})
    assert.matches("a string of 5 bytes does not fit in 4", err(function() m.bytes = "abcde" end))
  end)

  it("initialises from a table: fields by name, elements in order", function()
    local r = dynlib.new("struct cd_rect", {min = {x = 1, y = 2}, max = {x = 3}})
    assert.same({1, 2, 3, 0}, {r.min.x, r.min.y, r.max.x, r.max.y})
    local a = dynlib.new("int[4]", {5, 6, 7})
    assert.same({5, 6, 7, 0}, {a[0], a[1], a[2], a[3]})
    local pts = dynlib.new("struct cd_point[2]", {{x = 1}, {y = 2}})
    assert.same({1, 0, 0, 2}, {pts[0].x, pts[0].y, pts[1].x, pts[1].y})
    assert.matches("5 values for an array of 4 elements",
      err(dynlib.new, "int[4]", {1, 2, 3, 4, 5}))
    assert.matches("'struct cd_point' has no field 'z'", err(dynlib.new, "struct cd_point", {z = 1}))
    assert.matches("field 'x': value 4294967296 out of range for int",
      err(dynlib.new, "struct cd_point", {x = 1 << 32}))
    assert.matches("element 1: value 256 out of range for unsigned char",
      err(dynlib.new, "uint8_t[2]", {1, 256}))
    assert.matches("field names expected", err(dynlib.new, "struct cd_point", {1, 2}))
  end)

  it("makes arrays of a length given at run time, indexed from 0", function()
    local a = dynlib.new("int[?]", 10)
    assert.equal(10, #a)
    assert.equal("int[10]", dynlib.typeof(a))
    for i = 0, 9 do a[i] = i * i end
    assert.equal(81, a[9])
    assert.matches("index 10 out of range for 'int%[10%]' %(valid: 0..9%)",
      err(function() return a[10] end))
    assert.matches("'int%[10%]' has no fields %(field 'x'%)", err(function() return a.x end))
    local s = dynlib.new("char[?]", 6, "hello")
    assert.equal("hello", dynlib.string(s))
    assert.equal(0, s[5])
    assert.matches("length out of range", err(dynlib.new, "int[?]", -1))
    assert.matches("'struct cd_nope' has no size", err(dynlib.new, "struct cd_nope"))
    local f = dynlib.new("struct cd_flex", 3, {n = 3, items = {1, 2, 3}})
    assert.same({3, 3.0, 3}, {f.n, f.items[2], #f.items})
    assert.matches("index 3 out of range", err(function() return f.items[3] end))
  end)

  it("refuses numbers, keys and types that do not fit", function()
    local p = dynlib.new("struct cd_point")
    assert.matches("cannot be indexed by number", err(function() return p[0] end))
    local a = dynlib.new("int[2]")
    assert.matches("'int%[2%]' has no fields", err(function() return a.x end))
    assert.matches("'struct cd_point' has no length", err(function() return #p end))
    assert.matches("bad type", err(dynlib.new, "struct"))
    assert.matches("initial value: integer expected, got string", err(dynlib.new, "int", "x"))
  end)
end)

describe("the field cache", function()
  it("stays right when more fields are used than it holds, and for long names", function()
    local names = {}
    for i = 1, 700 do names[i] = ("int f%d;"):format(i) end
    local long = ("x"):rep(60) -- longer than Lua interns
    dynlib.cdef("struct cd_wide { " .. table.concat(names, " ") .. " int " .. long .. "; };")
    local w = dynlib.new("struct cd_wide")
    for round = 1, 2 do
      for i = 1, 700 do w["f" .. i] = i * round end
      for i = 1, 700 do assert.equal(i * round, w["f" .. i]) end
    end
    w[long] = 5
    assert.equal(5, w[("x"):rep(30) .. ("x"):rep(30)])
    collectgarbage()
    assert.equal(1400, w.f700)
  end)
end)

describe("typed pointers", function()
  it("read fields of pointer type as typed pointers, NULL as nil", function()
    local a = dynlib.new("struct cd_node", {v = 1})
    local b = dynlib.new("struct cd_node", {v = 2})
    assert.is_nil(a.next)
    a.next = b
    local p = a.next
    assert.equal("struct cd_node *", dynlib.typeof(p))
    assert.equal(2, p.v)        -- p.v is p[0].v
    assert.equal(2, p[0].v)
    p.v = 5
    assert.equal(5, b.v)
    assert.is_true(p == b)      -- the same address
    assert.is_true(a.next == a.next)
    assert.is_false(a.next == a)
    assert.matches("^dynlib.cdata<struct cd_node %*>: %w+$", tostring(p)) -- %p: 0x... or not
    a.next = nil
    assert.is_nil(a.next)
  end)

  it("keeps an object stored in a pointer field alive while its holder lives", function()
    local weak = setmetatable({}, {__mode = "v"})
    local a = dynlib.new("struct cd_node")
    do
      local b = dynlib.new("struct cd_node", {v = 42})
      weak[1] = b
      a.next = b
    end
    collectgarbage(); collectgarbage()
    assert.is_not_nil(weak[1])
    assert.equal(42, a.next.v)
    local p = a.next -- the pointer keeps it alive too
    a.next = nil
    collectgarbage(); collectgarbage()
    assert.is_not_nil(weak[1])
    assert.equal(42, p.v)
    p = nil -- luacheck: ignore 311
    collectgarbage(); collectgarbage()
    assert.is_nil(weak[1])
  end)

  it("stays bounds-checked within the object it points into", function()
    local arr = dynlib.new("int[4]", {1, 2, 3, 4})
    local p = dynlib.cast("int *", arr)
    assert.equal("int *", dynlib.typeof(p))
    assert.equal(3, p[2])
    local q = p + 2
    assert.equal(4, q[1])
    assert.equal(1, q[-2])
    assert.matches("index 2 out of range for 'int %*' %(valid: %-2..1%)",
      err(function() return q[2] end))
    assert.is_true((q - 2) == p)
    assert.is_true((arr + 1) == p + 1)
    assert.matches("leaves the memory", err(function() return p + 5 end))
    local e = p + 4 -- one past the end, as in C
    assert.matches("index 0 out of range", err(function() return e[0] end))
    local weak = setmetatable({arr}, {__mode = "v"})
    arr = nil -- luacheck: ignore 311
    collectgarbage(); collectgarbage()
    assert.is_not_nil(weak[1]) -- p keeps it alive
    assert.equal(4, p[3])
  end)

  it("read p[i] by any integer key, and only by one", function()
    local arr = dynlib.new("int16_t[4]", {10, -20, 30, 40})
    local p = dynlib.cast("int16_t *", arr) + 1
    assert.same({-20, 30, 10}, {p[0], p[1.0], p[-1]})
    assert.equal(-20, p[math.tointeger(0)])
    assert.matches("index 3 out of range for 'short %*' %(valid: %-1..2%)",
      err(function() return p[3] end))
    assert.matches("'short %*' has no fields %(field '0'%)", err(function() return p["0"] end))
    assert.matches("indexed with a number %(an integer expected%)", err(function() return p[0.5] end))
    assert.matches("indexed with a boolean", err(function() return p[true] end))
    local s = dynlib.cast("struct cd_point *", dynlib.new("struct cd_point[2]", {{x = 1}, {x = 2}}))
    assert.equal(2, s[1].x) -- an element that is no scalar: a view
  end)

  it("are unchecked views of foreign memory", function()
    local obj = dynlib.new("int[2]", {7, 8})
    local addr = dynlib.cast("intptr_t", obj)
    assert.is_true(math.type(addr) == "integer")
    local p = dynlib.cast("int *", addr)
    assert.equal(8, p[1])
    assert.is_nil(dynlib.cast("int *", 0))
    assert.is_nil(dynlib.cast("int *", nil))
    assert.equal(addr, dynlib.cast("intptr_t", p))
    local light = dynlib.cast("void *", obj)
    assert.equal("userdata", type(light))
    assert.equal(7, dynlib.cast("int *", light)[0])
    assert.matches("cannot cast to 'struct cd_point'", err(dynlib.cast, "struct cd_point", obj))
    assert.matches("pointer%-sized", err(dynlib.cast, "int8_t", obj))
  end)

  it("take only compatible pointers; void * takes any", function()
    local a = dynlib.new("struct cd_node")
    local o = dynlib.new("struct cd_other")
    assert.matches("field 'next': a 'struct cd_other' object cannot be stored where 'struct cd_node %*' is expected",
      err(function() a.next = o end))
    local op = dynlib.cast("struct cd_other *", o)
    assert.matches("a 'struct cd_other %*' pointer cannot be stored", err(function() a.next = op end))
    a.data = o
    assert.equal("userdata", type(a.data)) -- void * stays light userdata
    assert.equal(dynlib.cast("intptr_t", o), dynlib.cast("intptr_t", a.data))
    a.data = nil
    assert.is_nil(a.data)
    assert.matches("pointer expected, got number %(dynlib.cast makes one%)",
      err(function() a.next = 1 end))
    assert.matches("pointer expected, got table", err(function() a.next = {} end))
    assert.matches("pointer expected, got FILE%*", err(function() a.data = io.stdout end))
  end)

  it("never turn char * fields into strings; dynlib.string copies", function()
    local s = dynlib.new("struct cd_strs")
    assert.matches("a Lua string cannot be stored in a pointer.*dynlib.new%(\"char%[%?%]\", n, s%)",
      err(function() s.s = "hi" end))
    local text = dynlib.new("char[?]", 6, "hello")
    s.s, s.cs, s.us = text, text, text
    for _, k in ipairs({"s", "cs", "us"}) do
      assert.equal("userdata", type(s[k]))
      assert.equal("hello", dynlib.string(s[k]))
    end
    assert.equal("char *", dynlib.typeof(s.s))
    assert.equal("const char *", dynlib.typeof(s.cs))
    assert.equal("he", dynlib.string(s.s, 2))
    assert.equal(104, s.s[0])
    assert.matches("is const", err(function() s.cs[0] = 65 end))
    s.s[0] = 72
    assert.equal("Hello", dynlib.string(text))
  end)
end)

describe("dynlib.string", function()
  it("copies up to the NUL, or len bytes; nil for NULL", function()
    assert.is_nil(dynlib.string(nil))
    local b = dynlib.new("char[?]", 3, "abc") -- no NUL: stops at the end
    assert.equal("abc", dynlib.string(b))
    assert.equal("ab", dynlib.string(b, 2))
    assert.matches("4 bytes asked, the object has 3", err(dynlib.string, b, 4))
    assert.equal("bc", dynlib.string(b + 1))
    local light = dynlib.cast("void *", dynlib.new("char[?]", 4, "xyz"))
    assert.equal("xy", dynlib.string(light, 2))
    assert.matches("typed pointer, object or light userdata expected", err(dynlib.string, 42))
  end)
end)

describe("dynlib.typeof", function()
  it("names the C type of a typed value", function()
    assert.equal("struct cd_point", dynlib.typeof(dynlib.new("struct cd_point")))
    assert.equal("struct cd_point[2]", dynlib.typeof(dynlib.new("struct cd_point[2]")))
    assert.equal("void *", dynlib.typeof(dynlib.cast("void *", 1)))
    assert.matches("typed object or pointer expected", err(dynlib.typeof, 1))
  end)
end)

describe("ldl_cdata_store", function()
  it("refuses another struct's pointer where a pointer is expected", function()
    assert.has_error(function() dynlib.new("struct cd_node *", dynlib.new("struct cd_other")) end)
    local pp = dynlib.new("struct cd_node *", dynlib.new("struct cd_node", {v = 3}))
    assert.equal(3, pp[0].v)
  end)
end)

describe("buf:get and buf:set", function()
  it("take any declared scalar type, through the state's type cache", function()
    dynlib.cdef("typedef int16_t cd_short; enum cd_color { CD_RED, CD_GREEN = 7 };")
    local b = dynlib.buffer(16)
    b:set("cd_short", 2, -300)
    assert.equal(-300, b:get("cd_short", 2))
    assert.equal(-300, b:get("int16_t", 2))
    b:set("enum cd_color", 4, 7)
    assert.equal(7, b:get("enum cd_color", 4))
    assert.matches("value out of range for short", err(b.set, b, "cd_short", 0, 40000))
    assert.matches("not a scalar C type: 'struct cd_point'", err(b.get, b, "struct cd_point", 0))
    b:set("struct cd_point *", 8, dynlib.new("struct cd_point"))
    assert.equal("userdata", type(b:get("struct cd_point *", 8))) -- as before: light userdata
    assert.matches("cannot be stored where 'struct cd_point %*'",
      err(b.set, b, "struct cd_point *", 8, dynlib.new("struct cd_other")))
    assert.matches("a Lua string cannot be stored", err(b.set, b, "char *", 8, "x"))
  end)
end)

