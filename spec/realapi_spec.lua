-- Declared types against real libraries (issue 12): div and ldiv by value,
-- gmtime_r with struct tm, zlib's z_stream round trip with zlib.h declared
-- whole as the C preprocessor leaves it, SQLite's prepare, step and
-- column_text.
local dynlib = require("dynlib")
local H = require("helper")

local err = H.err

local libc = assert(dynlib.open(H.windows and "msvcrt" or "c"))

describe("the C library", function()
  it("div and ldiv return their structs by value", function()
    -- As each C library spells them: declarations are per Lua state and the
    -- suite has declared the real stdlib.h already (spec/cdef_spec.lua).
    local tag = H.windows and {"struct _div_t ", "struct _ldiv_t "} or {"struct ", "struct "}
    local c = libc:cdef(([[
      typedef %s{ int quot; int rem; } div_t;
      typedef %s{ long quot; long rem; } ldiv_t;
      div_t div(int, int);
      ldiv_t ldiv(long, long);
    ]]):format(tag[1], tag[2]))
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
local Z = zlib and zlib:cdef(assert(H.read(H.fixture("ccall/zlib.i")))) or nil

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

-- getaddrinfo hands back a list C allocated: walked through ai_next as
-- unchecked typed pointers, then freed by freeaddrinfo. AI_NUMERICHOST and
-- a numeric service keep it off the network and the resolver files.
local NETDB = [[
  typedef unsigned int socklen_t;
  typedef unsigned short sa_family_t;
  struct sockaddr { sa_family_t sa_family; char sa_data[14]; };
  struct in_addr { uint32_t s_addr; };
  struct sockaddr_in { sa_family_t sin_family; uint16_t sin_port;
                       struct in_addr sin_addr; unsigned char sin_zero[8]; };
  struct addrinfo { int ai_flags, ai_family, ai_socktype, ai_protocol;
                    socklen_t ai_addrlen; struct sockaddr *ai_addr;
                    char *ai_canonname; struct addrinfo *ai_next; };
  int getaddrinfo(const char *node, const char *service,
                  const struct addrinfo *hints, struct addrinfo **res);
  void freeaddrinfo(struct addrinfo *res);
  const char *gai_strerror(int errcode);
]]

describe("getaddrinfo", function()
  -- glibc's values (the same on every Linux target here).
  local AF_INET, AI_NUMERICHOST, AI_NUMERICSERV = 2, 4, 0x400
  local it_gai = H.it_if(not H.windows,
    "Windows declares struct addrinfo in another order and needs WSAStartup first")

  it_gai("walks ai_next over 127.0.0.1:80 and frees the list with freeaddrinfo", function()
    local N = libc:cdef(NETDB)
    local hints = dynlib.new("struct addrinfo",
      {ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, ai_family = AF_INET})
    local res = dynlib.new("struct addrinfo *[1]")
    assert.equal(0, N.getaddrinfo("127.0.0.1", "80", hints, res))
    local head = res[0]
    assert.equal("struct addrinfo *", dynlib.typeof(head))
    local port = string.unpack("=I2", string.pack(">I2", 80))          -- htons(80)
    local addr = string.unpack("=I4", "\127\0\0\1")                    -- 127.0.0.1 as stored
    local socktypes, n = {}, 0
    local ai = head
    while ai do
      n = n + 1
      assert.equal(AF_INET, ai.ai_family)
      assert.equal(dynlib.sizeof("struct sockaddr_in"), ai.ai_addrlen)
      assert.equal("struct sockaddr *", dynlib.typeof(ai.ai_addr))
      assert.equal(AF_INET, ai.ai_addr.sa_family)
      local sin = dynlib.cast("struct sockaddr_in *", ai.ai_addr)
      assert.same({AF_INET, port, addr}, {sin.sin_family, sin.sin_port, sin.sin_addr.s_addr})
      assert.is_nil(ai.ai_canonname)                                   -- no AI_CANONNAME
      socktypes[#socktypes + 1] = ai.ai_socktype .. "/" .. ai.ai_protocol
      ai = ai.ai_next
    end
    -- No ai_socktype in the hints: one entry per socket type, linked by ai_next.
    assert.same({"1/6", "2/17", "3/0"}, socktypes)  -- stream/TCP, datagram/UDP, raw
    assert.equal(3, n)
    N.freeaddrinfo(head)
  end)

  it_gai("reports a name that is no number under AI_NUMERICHOST through gai_strerror", function()
    local N = libc:cdef(NETDB)
    local hints = dynlib.new("struct addrinfo", {ai_flags = AI_NUMERICHOST, ai_family = AF_INET})
    local res = dynlib.new("struct addrinfo *[1]")
    local rc = N.getaddrinfo("not an address", nil, hints, res)
    assert.is_true(rc ~= 0)
    assert.is_nil(res[0])                                              -- nothing to free
    assert.equal("string", type(N.gai_strerror(rc)))
    assert.is_true(#N.gai_strerror(rc) > 0)
  end)

  it_gai("refuses a struct sockaddr * where struct addrinfo * is expected", function()
    local N = libc:cdef(NETDB)
    assert.matches("argument #1 to 'freeaddrinfo'",
      err(N.freeaddrinfo, dynlib.new("struct sockaddr")))
  end)
end)
