-- Differential spec: 300 generated structs and unions (nested, anonymous
-- members, arrays, pointers, every scalar, packed, aligned, bit-fields,
-- flexible array members; spec/gen/gen_layout.lua) declared with
-- dynlib.cdef, their sizes, alignments, member offsets and bit-field
-- positions compared with what the target's C compiler says (a program
-- built from the same declarations; run through the target's runner).
local dynlib = require("dynlib")
local H = require("helper")

local DIR = H.fixture("layout")
local aggs = dofile(DIR .. "/genlayout.lua")

-- What the compiler said: sizes, alignments, offsets, bit positions.
local function compiler_says()
  local exe = DIR .. "/genlayout" .. (H.windows and ".exe" or "")
  local out, ok = H.sh(H.windows and exe or H.program(exe))
  assert(ok, "the layout program failed")
  local c = {size = {}, align = {}, field = {}}
  for line in out:gmatch("[^\r\n]+") do
    local kind, i, a, b = line:match("^(%u) (%d+) (%S+) ?(%S*)")
    i = tonumber(i)
    if kind == "S" then
      c.size[i], c.align[i] = tonumber(a), tonumber(b)
    elseif kind == "F" or kind == "B" then
      c.field[i .. "." .. a] = tonumber(b)
    end
  end
  return c
end

-- dynlib's position of a member: bytes, or bits from the start for a
-- bit-field (offset of its unit, then the first bit in it; little-endian).
local function dynlib_pos(name, field, bits)
  local off, bit = dynlib.offsetof(name, field)
  if bits then return off * 8 + (bit or 0) end
  return off
end

describe("struct and union layouts", function()
  it("are the C compiler's for 300 generated aggregates", function()
    local c = compiler_says()
    dynlib.cdef(aggs.prelude)
    local wrong, checked = {}, 0
    local function check(what, got, want)
      checked = checked + 1
      if got ~= want and #wrong < 20 then
        wrong[#wrong + 1] = ("%s: dynlib %s, C %s"):format(what, tostring(got), tostring(want))
      end
    end
    for i, a in ipairs(aggs) do
      local ok, err = pcall(dynlib.cdef, a.decl)
      if not ok then
        wrong[#wrong + 1] = a.name .. ": " .. tostring(err)
      else
        check(a.name .. " size", dynlib.sizeof(a.name), c.size[i])
        check(a.name .. " align", dynlib.alignof(a.name), c.align[i])
        for _, f in ipairs(a.fields) do
          check(a.name .. "." .. f[1], dynlib_pos(a.name, f[1], f[2]), c.field[i .. "." .. f[1]])
        end
      end
    end
    assert.same({}, wrong)
    assert.is_true(checked > 1500, "checked only " .. checked)
  end)
end)
