-- dynlib.buffer: C memory owned by Lua, every access bounds-checked.
local dynlib = require("dynlib")
local H = require("helper")

describe("dynlib.buffer", function()
  it("is zeroed memory of a size, or a copy of a string", function()
    local b = dynlib.buffer(8)
    assert.equal(8, #b)
    assert.equal(string.rep("\0", 8), b:read())
    local s = dynlib.buffer("hello")
    assert.equal("hello", s:read())
    assert.equal("ell", s:read(1, 3))
    assert.matches("^dynlib.buffer %(5 bytes%)$", tostring(s))
    assert.is_true(H.is_pointer(s.ptr))
  end)

  it("reads and writes typed values at offsets, range-checked", function()
    local b = dynlib.buffer(16)
    b:set("int32_t", 0, -5)
    b:set("uint8_t", 4, 255)
    b:set("double", 8, 1.5)
    assert.equal(-5, b:get("int", 0))
    assert.equal(255, b:get("unsigned char", 4))
    assert.equal(1.5, b:get("double", 8))
    assert.error_matches(function() b:set("uint8_t", 4, 256) end,
      "bad argument #3 to 'set' %(value out of range for unsigned char%)") -- #3: a method call
    assert.has_error(function() b:get("int64_t", 12) end, "dynlib: buffer access [12, 20) outside its 16 bytes")
    assert.has_error(function() b:set("int64_t", 12, 0) end, "dynlib: buffer access [12, 20) outside its 16 bytes")
    assert.has_error(function() b:write(15, "xy") end)
    assert.has_error(function() b:read(-1, 2) end)
    assert.has_error(function() b:get("struct s", 0) end)
    assert.has_error(function() dynlib.buffer(-1) end)
  end)

  it("passes to C as its data: snprintf writes into it, qsort sorts it", function()
    local c = assert(dynlib.open(H.LIBC)) -- msvcrt on Windows, whose snprintf is _snprintf
    local snprintf = c:func((H.windows and "_snprintf" or "snprintf"),
      "int(char *buf, size_t n, const char *fmt, ...)")
    local out = dynlib.buffer(32)
    assert.equal(9, snprintf(out, #out, "%d-%s", 1234, "abcd"))
    assert.equal("1234-abcd", out:read(0, 9))
    local arr = dynlib.buffer(5 * 4)
    for i, v in ipairs({5, 3, 1, 4, 2}) do arr:set("int", (i - 1) * 4, v) end
    local qsort = c:func("void qsort(void *, size_t, size_t, int (*)(const void *, const void *))")
    local cmp = dynlib.callback("int(const void *, const void *)", function(a, b)
      return arr:get("int", arr:offset(a)) - arr:get("int", arr:offset(b))
    end)
    qsort(arr, 5, 4, cmp)
    local sorted = {}
    for i = 0, 4 do sorted[#sorted + 1] = arr:get("int", i * 4) end
    assert.same({1, 2, 3, 4, 5}, sorted)
    assert.is_nil(arr:offset(out.ptr)) -- a pointer elsewhere: no offset
    cmp:free()
    c:close()
  end)
end)
