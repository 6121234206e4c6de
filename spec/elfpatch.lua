-- Byte surgery on ELF files for the specs: read and patch header fields,
-- program headers, section headers and dynamic entries, and find byte
-- patterns. The class (ELF32 or ELF64) and the byte order are read from the
-- file itself (e_ident), so the same spec patches the same field on every
-- target: ELF64 on x86-64 and AArch64, ELF32 on i686.
local H = require("helper")
local E = {}

function E.read(path)
  return assert(H.read(path), "cannot read " .. path)
end

E.write = H.write

-- Field offsets and sizes, {offset, size}, by class. Header offsets are from
-- the start of the file; the others from the start of their entry.
local layouts = {
  [32] = {
    class = 32, word = 4,
    header = {
      class = {4, 1}, data = {5, 1}, version = {6, 1}, type = {16, 2}, machine = {18, 2},
      file_version = {20, 4}, entry = {24, 4}, phoff = {28, 4}, shoff = {32, 4},
      flags = {36, 4}, ehsize = {40, 2}, phentsize = {42, 2}, phnum = {44, 2},
      shentsize = {46, 2}, shnum = {48, 2}, shstrndx = {50, 2},
    },
    phdr = {type = {0, 4}, offset = {4, 4}, vaddr = {8, 4}, paddr = {12, 4},
            filesz = {16, 4}, memsz = {20, 4}, flags = {24, 4}, align = {28, 4}},
    shdr = {name = {0, 4}, type = {4, 4}, flags = {8, 4}, addr = {12, 4}, offset = {16, 4},
            size = {20, 4}, link = {24, 4}, info = {28, 4}, addralign = {32, 4},
            entsize = {36, 4}},
    ehsize = 52, phentsize = 32, shentsize = 40, dynsize = 8, symsize = 16,
  },
  [64] = {
    class = 64, word = 8,
    header = {
      class = {4, 1}, data = {5, 1}, version = {6, 1}, type = {16, 2}, machine = {18, 2},
      file_version = {20, 4}, entry = {24, 8}, phoff = {32, 8}, shoff = {40, 8},
      flags = {48, 4}, ehsize = {52, 2}, phentsize = {54, 2}, phnum = {56, 2},
      shentsize = {58, 2}, shnum = {60, 2}, shstrndx = {62, 2},
    },
    phdr = {type = {0, 4}, flags = {4, 4}, offset = {8, 8}, vaddr = {16, 8}, paddr = {24, 8},
            filesz = {32, 8}, memsz = {40, 8}, align = {48, 8}},
    shdr = {name = {0, 4}, type = {4, 4}, flags = {8, 8}, addr = {16, 8}, offset = {24, 8},
            size = {32, 8}, link = {40, 4}, info = {44, 4}, addralign = {48, 8},
            entsize = {56, 8}},
    ehsize = 64, phentsize = 56, shentsize = 64, dynsize = 16, symsize = 24,
  },
}

-- The layout of data's class: {class =, word =, header =, phdr =, shdr =,
-- ehsize =, phentsize =, shentsize =, dynsize =, symsize =}. A file whose
-- class byte is neither 1 nor 2 is an error here: patch the class last.
function E.layout(data)
  local c = data:byte(5)
  return assert(layouts[c == 1 and 32 or c == 2 and 64 or -1], "not an ELF32 or ELF64 file")
end

-- "<" or ">": data's byte order (little-endian unless EI_DATA says 2).
local function order(data)
  return data:byte(6) == 2 and ">" or "<"
end

-- Unsigned integer of n bytes at 0-based offset off, in data's byte order.
function E.get(data, off, n)
  return (string.unpack(order(data) .. "I" .. n, data, off + 1))
end

-- data with the n-byte value v written at 0-based off, in data's byte order.
-- v is taken modulo 2^(8n): -16 in 4 bytes is 0xfffffff0.
function E.set(data, off, n, v)
  if n < 8 then v = v & ((1 << (8 * n)) - 1) end
  return data:sub(1, off) .. string.pack(order(data) .. "I" .. n, v) .. data:sub(off + n + 1)
end

-- data with bytes replaced at 0-based off.
function E.splice(data, off, bytes)
  return data:sub(1, off) .. bytes .. data:sub(off + #bytes + 1)
end

-- ELF header fields by name (E.layout(data).header lists them).
function E.field(data, name)
  local f = assert(E.layout(data).header[name], name)
  return E.get(data, f[1], f[2])
end

function E.patch(data, name, v)
  local f = assert(E.layout(data).header[name], name)
  return E.set(data, f[1], f[2], v)
end

-- data without its section table: e_shoff, e_shnum and e_shstrndx zeroed.
function E.strip_sections(data)
  return E.patch(E.patch(E.patch(data, "shoff", 0), "shnum", 0), "shstrndx", 0)
end

-- Program headers: {at = offset_of_entry, type =, offset =, vaddr =, filesz =} each.
function E.phdrs(data)
  local L, list = E.layout(data), {}
  local phoff, n, size = E.field(data, "phoff"), E.field(data, "phnum"), E.field(data, "phentsize")
  for i = 0, n - 1 do
    local at = phoff + i * size
    local ph = {at = at}
    for _, k in ipairs({"type", "offset", "vaddr", "filesz"}) do
      ph[k] = E.get(data, at + L.phdr[k][1], L.phdr[k][2])
    end
    list[#list + 1] = ph
  end
  return list
end

-- The file offset of virtual address addr, through the PT_LOAD that holds
-- it, or nil.
function E.offset_of(data, addr)
  for _, ph in ipairs(E.phdrs(data)) do
    if ph.type == E.PT_LOAD and addr >= ph.vaddr and addr < ph.vaddr + ph.filesz then
      return ph.offset + (addr - ph.vaddr)
    end
  end
end

-- data with field name of program header ph (an entry of E.phdrs) set to v.
function E.ph_set(data, ph, name, v)
  local f = assert(E.layout(data).phdr[name], name)
  return E.set(data, ph.at + f[1], f[2], v)
end

-- Section header i: its offset in the file, and its fields.
function E.shdr(data, i)
  return E.field(data, "shoff") + i * E.field(data, "shentsize")
end

function E.sh_get(data, i, name)
  local f = assert(E.layout(data).shdr[name], name)
  return E.get(data, E.shdr(data, i) + f[1], f[2])
end

function E.sh_set(data, i, name, v)
  local f = assert(E.layout(data).shdr[name], name)
  return E.set(data, E.shdr(data, i) + f[1], f[2], v)
end

-- The index of the section with this name, or nil.
function E.section_index(data, name)
  local stroff = E.sh_get(data, E.field(data, "shstrndx"), "offset")
  for i = 0, E.field(data, "shnum") - 1 do
    local nameoff = E.sh_get(data, i, "name")
    local s = data:sub(stroff + nameoff + 1, stroff + nameoff + #name)
    if s == name and data:byte(stroff + nameoff + #name + 1) == 0 then return i end
  end
end

-- The entries of the PT_DYNAMIC segment, DT_NULL and the padding after it
-- included: {at = offset_of_entry, tag =, value =, value_at = offset_of_value}.
function E.dynamic(data)
  local L, list = E.layout(data), {}
  for _, ph in ipairs(E.phdrs(data)) do
    if ph.type == E.PT_DYNAMIC then
      for at = ph.offset, ph.offset + ph.filesz - L.dynsize, L.dynsize do
        list[#list + 1] = {at = at, tag = E.get(data, at, L.word),
                           value = E.get(data, at + L.word, L.word), value_at = at + L.word}
      end
    end
  end
  return list
end

-- The 0-based file offset of the value of the first dynamic entry with this
-- tag, or nil.
function E.dyn_value_at(data, tag)
  for _, d in ipairs(E.dynamic(data)) do
    if d.tag == tag then return d.value_at end
  end
end

-- data with the dynamic entry at 0-based offset at (an entry's .at) set to
-- tag and value.
function E.dyn_set(data, at, tag, value)
  local w = E.layout(data).word
  return E.set(E.set(data, at, w, tag), at + w, w, value)
end

E.PT_LOAD, E.PT_DYNAMIC, E.PT_NOTE, E.PT_NULL = 1, 2, 4, 0
E.DT_NULL, E.DT_HASH, E.DT_STRTAB, E.DT_SYMTAB, E.DT_STRSZ, E.DT_SONAME = 0, 4, 5, 6, 10, 14
E.DT_FLAGS_1, E.DT_GNU_HASH = 0x6ffffffb, 0x6ffffef5

-- 0-based offset of the first occurrence of plain bytes s, or nil.
function E.find(data, s)
  local at = data:find(s, 1, true)
  return at and at - 1
end

return E
