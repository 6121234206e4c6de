-- Byte surgery on 64-bit little-endian ELF files for the specs: read and
-- patch header fields, program headers, and find byte patterns.
local H = require("helper")
local E = {}

function E.read(path)
  return assert(H.read(path), "cannot read " .. path)
end

E.write = H.write

-- Unsigned little-endian integer of n bytes at 0-based offset off.
function E.get(data, off, n)
  return (string.unpack("<I" .. n, data, off + 1))
end

-- data with the n-byte little-endian value v written at 0-based off.
function E.set(data, off, n, v)
  return data:sub(1, off) .. string.pack("<I" .. n, v) .. data:sub(off + n + 1)
end

-- data with bytes replaced at 0-based off.
function E.splice(data, off, bytes)
  return data:sub(1, off) .. bytes .. data:sub(off + #bytes + 1)
end

E.header = {
  class = {4, 1}, data = {5, 1}, version = {6, 1}, type = {16, 2}, machine = {18, 2},
  file_version = {20, 4}, phoff = {32, 8}, shoff = {40, 8}, ehsize = {52, 2},
  phentsize = {54, 2}, phnum = {56, 2}, shentsize = {58, 2}, shnum = {60, 2},
  shstrndx = {62, 2},
}

function E.field(data, name)
  local f = E.header[name]
  return E.get(data, f[1], f[2])
end

function E.patch(data, name, v)
  local f = E.header[name]
  return E.set(data, f[1], f[2], v)
end

-- Program headers: {offset_of_entry =, type =, offset =, filesz =} each.
function E.phdrs(data)
  local list = {}
  local phoff, n, size = E.field(data, "phoff"), E.field(data, "phnum"), E.field(data, "phentsize")
  for i = 0, n - 1 do
    local at = phoff + i * size
    list[#list + 1] = {at = at, type = E.get(data, at, 4), offset = E.get(data, at + 8, 8),
                       filesz = E.get(data, at + 32, 8)}
  end
  return list
end

E.PT_DYNAMIC, E.PT_NOTE, E.PT_NULL = 2, 4, 0

-- 0-based offset of the first occurrence of plain bytes s, or nil.
function E.find(data, s)
  local at = data:find(s, 1, true)
  return at and at - 1
end

return E
