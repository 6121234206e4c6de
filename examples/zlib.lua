-- zlib's compress and uncompress through typed calls: the destination
-- length is an in/out parameter (uLongf *), passed as a buffer.
--   lua5.4 examples/zlib.lua        (Debian: zlib1g)
-- Prints what it did; exits non-zero when anything fails.
local dynlib = require("dynlib")

local z = assert(dynlib.open("z"))
print("loaded " .. z.path)

local Z_OK = 0
local zlib_version = z:func("const char *zlibVersion(void)")
local bound = z:func("unsigned long compressBound(unsigned long source_len)")
local compress = z:func("int compress2(unsigned char *dest, unsigned long *dest_len,"
  .. " const unsigned char *source, unsigned long source_len, int level)")
local uncompress = z:func("int uncompress(unsigned char *dest, unsigned long *dest_len,"
  .. " const unsigned char *source, unsigned long source_len)")
print("zlib " .. zlib_version())

local text = ("dynlib loads shared libraries and plugins from Lua. "):rep(40)

-- Compress: dest is a buffer of compressBound bytes; dest_len holds its
-- size going in and the compressed size coming out.
local cap = bound(#text)
local packed = dynlib.buffer(cap)
local len = dynlib.buffer(8)
len:set("unsigned long", 0, cap)
local source = dynlib.buffer(text)        -- a const unsigned char * wants a pointer
local rc = compress(packed, len, source, #text, 9)
assert(rc == Z_OK, "compress2 failed: " .. rc)
local packed_len = len:get("unsigned long", 0)
print(("compressed %d bytes to %d (compressBound %d)"):format(#text, packed_len, cap))
assert(packed_len < #text, "no compression")

-- Uncompress into a buffer of the original size.
local unpacked = dynlib.buffer(#text)
len:set("unsigned long", 0, #text)
rc = uncompress(unpacked, len, packed, packed_len)
assert(rc == Z_OK, "uncompress failed: " .. rc)
local back = unpacked:read(0, len:get("unsigned long", 0))
assert(back == text, "the round trip changed the text")
print(("uncompressed %d bytes: the round trip gives the same text"):format(#back))

-- Corrupt input is an error code, not a crash: Z_DATA_ERROR is -3.
local garbage = dynlib.buffer("not zlib data at all")
len:set("unsigned long", 0, #text)
rc = uncompress(unpacked, len, garbage, #garbage)
print(("uncompress of garbage: code %d"):format(rc))
assert(rc == -3, "expected Z_DATA_ERROR")

z:close()
print("ok")
