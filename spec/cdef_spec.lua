-- dynlib.cdef, sizeof, alignof, offsetof: C declarations parsed at run time
-- and laid out for this target's ABI (src/ctype/).
local dynlib = require("dynlib")

-- Each spec declares into the one registry of this state: names carry the
-- spec's own prefix so that they never meet.
describe("dynlib.cdef", function()
  it("declares typedefs, structs, pointers and arrays", function()
    dynlib.cdef[[
      typedef struct b_point { int x, y; } b_point_t;
      struct b_s { char c; double d; int a[3][4]; struct b_s *next; };
      typedef unsigned long b_ulong;
    ]]
    assert.equal(8, dynlib.sizeof("b_point_t"))
    assert.equal(8, dynlib.sizeof("struct b_point"))
    assert.equal(4, dynlib.offsetof("b_point_t", "y"))
    local pd = dynlib.sizeof("void *")
    local dalign = dynlib.alignof("double")
    local a_off = math.max(dalign, 4) -- after c (1) and d (8), aligned
    assert.equal(dalign, dynlib.offsetof("struct b_s", "d"))
    assert.equal(dalign + 8, dynlib.offsetof("struct b_s", "a"))
    local next_off = dalign + 8 + 48
    next_off = (next_off + pd - 1) // pd * pd
    assert.equal(next_off, dynlib.offsetof("struct b_s", "next"))
    assert.is_true(a_off > 0)
    assert.equal(dynlib.sizeof("unsigned long"), dynlib.sizeof("b_ulong"))
    assert.equal(48, dynlib.sizeof("int[3][4]"))
    assert.equal(16, dynlib.sizeof("int[3][4]") // 3)
    assert.equal(pd, dynlib.sizeof("struct b_s *"))
  end)

  it("sizes variable arrays with a count", function()
    assert.equal(20, dynlib.sizeof("int[?]", 5))
    assert.equal(0, dynlib.sizeof("char[?]", 0))
    assert.error_matches(function() dynlib.sizeof("int[?]") end, "needs a count")
  end)

  it("raises with the line and column of an error", function()
    assert.error_matches(function()
      dynlib.cdef("typedef int e_a;\nstruct e_x { uLongf y; };")
    end, "^dynlib: cdef: line 2, column 14: unknown type 'uLongf'")
  end)
end)
