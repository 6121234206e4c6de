-- Declared types against real libraries (issue 12): div and ldiv by value,
-- gmtime_r with struct tm, zlib's z_stream round trip with zlib.h declared
-- whole as the C preprocessor leaves it, SQLite's prepare, step and
-- column_text.
local dynlib = require("dynlib")
local H = require("helper")

local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok, "no error")
  return tostring(e)
end

local libc = assert(dynlib.open(H.windows and "msvcrt" or "c"))

describe("the C library", function()
  it("div and ldiv return their structs by value", function()
    local c = libc:cdef([[
      typedef struct { int quot; int rem; } div_t;
      typedef struct { long quot; long rem; } ldiv_t;
      div_t div(int, int);
      ldiv_t ldiv(long, long);
    ]])
    local d = c.div(17, 5)
    assert.matches("^struct ", dynlib.typeof(d))  -- a new object
    assert.same({3, 2}, {d.quot, d.rem})
    local l = c.ldiv(-2000000001, 1000)
    assert.same({-2000000, -1}, {l.quot, l.rem})
  end)

  H.it_if(not H.windows, "msvcrt has no gmtime_r (its gmtime_s takes a 9-int struct tm)")(
    "gmtime_r fills a struct tm and returns it as a typed pointer, NULL as nil", function()
    local c = libc:cdef([[
      typedef long time_t;
      struct tm { int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year,
                  tm_wday, tm_yday, tm_isdst; long tm_gmtoff; const char *tm_zone; };
      struct tm *gmtime_r(const time_t *, struct tm *);
    ]])
    local tm = dynlib.new("struct tm")
    local p = c.gmtime_r(dynlib.new("time_t", 951782400 + 3661), tm) -- 2000-02-29 01:01:01
    assert.equal("struct tm *", dynlib.typeof(p))
    assert.same({100, 1, 29, 1, 1, 1, 2}, {p.tm_year, p.tm_mon, p.tm_mday, p.tm_hour,
      p.tm_min, p.tm_sec, p.tm_wday})
    assert.equal(100, tm.tm_year)                 -- the same memory
    if dynlib.sizeof("long") == 8 then            -- a year past int's range
      assert.is_nil(c.gmtime_r(dynlib.new("time_t", math.maxinteger), tm))
    end
  end)
end)

local zlib = not H.windows and dynlib.open("z")
local Z = zlib and zlib:cdef(assert(H.read(H.fixture("ccall/zlib.i"))))

describe("zlib.h declared whole", function()
  local it_z = H.it_if(Z ~= nil, "no zlib on Windows")

  it_z("calls crc32 with declared typedefs (uLong, const Bytef *, uInt)", function()
    assert.equal(907060870, Z.crc32(0, "hello", 5))
    local crc32 = zlib:func("uLong crc32(uLong, const Bytef *, uInt)")
    assert.equal(907060870, crc32(0, "hello", 5))
    assert.equal("string", type(Z.zlibVersion()))
  end)

  it_z("compress2 and uncompress round-trip", function()
    local input = string.rep("dynlib declares zlib. ", 50)
    local dest = dynlib.new("Bytef[?]", 2048)
    local dlen = dynlib.new("uLongf", 2048)
    assert.equal(0, Z.compress2(dest, dlen, input, #input, 9))
    assert.is_true(dlen[0] < #input)
    local back = dynlib.new("Bytef[?]", #input)
    local blen = dynlib.new("uLongf", #input)
    assert.equal(0, Z.uncompress(back, blen, dest, dlen[0]))
    assert.equal(#input, blen[0])
    assert.equal(input, dynlib.string(back, blen[0]))
  end)

  it_z("deflates and inflates through a z_stream", function()
    local Z_FINISH, Z_STREAM_END = 4, 1
    local input = string.rep("a z_stream by value of its fields ", 40)
    local src = dynlib.new("unsigned char[?]", #input, input)
    local packed = dynlib.new("unsigned char[?]", 4096)
    local s = dynlib.new("z_stream")
    assert.equal(0, Z.deflateInit_(s, 9, Z.zlibVersion(), dynlib.sizeof("z_stream")))
    s.next_in, s.avail_in = src, #input
    s.next_out, s.avail_out = packed, 4096
    assert.equal(Z_STREAM_END, Z.deflate(s, Z_FINISH))
    local n = s.total_out
    assert.equal(0, Z.deflateEnd(s))
    assert.is_true(n > 0 and n < #input)

    local out = dynlib.new("unsigned char[?]", #input)
    local i = dynlib.new("z_stream")
    assert.equal(0, Z.inflateInit_(i, Z.zlibVersion(), dynlib.sizeof("z_stream")))
    i.next_in, i.avail_in = packed, n
    i.next_out, i.avail_out = out, #input
    assert.equal(Z_STREAM_END, Z.inflate(i, Z_FINISH))
    assert.equal(#input, i.total_out)
    assert.equal(0, Z.inflateEnd(i))
    assert.equal(input, dynlib.string(out, #input))
  end)

  it_z("refuses another struct's pointer where z_streamp is expected", function()
    assert.matches("argument #1 to 'deflateEnd'", err(Z.deflateEnd, dynlib.new("gz_header")))
  end)
end)

local sqlite = not H.windows and dynlib.open("sqlite3", {version = 0})

describe("SQLite", function()
  H.it_if(sqlite, "no libsqlite3 here (.ci/deps installs it)")(
    "prepares, steps and reads column_text as a typed pointer", function()
    local S = sqlite:cdef([[
      typedef struct sqlite3 sqlite3;
      typedef struct sqlite3_stmt sqlite3_stmt;
      int sqlite3_open(const char *filename, sqlite3 **ppDb);
      int sqlite3_prepare_v2(sqlite3 *db, const char *zSql, int nByte,
                             sqlite3_stmt **ppStmt, const char **pzTail);
      int sqlite3_step(sqlite3_stmt *);
      const unsigned char *sqlite3_column_text(sqlite3_stmt *, int iCol);
      int sqlite3_column_int(sqlite3_stmt *, int iCol);
      int sqlite3_finalize(sqlite3_stmt *);
      int sqlite3_close(sqlite3 *);
    ]])
    local SQLITE_ROW, SQLITE_DONE = 100, 101
    local pdb = dynlib.new("sqlite3 *[1]")
    assert.equal(0, S.sqlite3_open(":memory:", pdb))
    local db = pdb[0]
    assert.equal("struct sqlite3 *", dynlib.typeof(db))
    local pstmt = dynlib.new("sqlite3_stmt *[1]")
    local sql = "select 'typed', 42 union all select null, 7"
    assert.equal(0, S.sqlite3_prepare_v2(db, sql, -1, pstmt, nil))
    local stmt = pstmt[0]
    assert.equal(SQLITE_ROW, S.sqlite3_step(stmt))
    local text = S.sqlite3_column_text(stmt, 0)
    assert.equal("const unsigned char *", dynlib.typeof(text))
    assert.equal("typed", dynlib.string(text))
    assert.equal(42, S.sqlite3_column_int(stmt, 1))
    assert.equal(SQLITE_ROW, S.sqlite3_step(stmt))
    assert.is_nil(S.sqlite3_column_text(stmt, 0))  -- NULL is nil
    assert.equal(SQLITE_DONE, S.sqlite3_step(stmt))
    assert.equal(0, S.sqlite3_finalize(stmt))
    assert.equal(0, S.sqlite3_close(db))
  end)
end)
