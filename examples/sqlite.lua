-- A SQLite query through libsqlite3 with typed calls; out-parameters
-- (sqlite3 **, sqlite3_stmt **) are buffers that C writes a pointer into.
--   lua5.4 examples/sqlite.lua      (Debian: libsqlite3-0)
-- Prints what it did; exits non-zero when anything fails.
local dynlib = require("dynlib")

local sqlite = assert(dynlib.open("sqlite3", {version = 0}))   -- libsqlite3.so.0
print("loaded " .. sqlite.path)

local SQLITE_OK, SQLITE_ROW, SQLITE_DONE = 0, 100, 101
local version = sqlite:func("const char *sqlite3_libversion(void)")
local open = sqlite:func("int sqlite3_open(const char *filename, sqlite3 **db)")
local close = sqlite:func("int sqlite3_close(sqlite3 *db)")
local errmsg = sqlite:func("const char *sqlite3_errmsg(sqlite3 *db)")
local exec = sqlite:func("int sqlite3_exec(sqlite3 *db, const char *sql, void *callback,"
  .. " void *arg, char **errmsg)")
local prepare = sqlite:func("int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int nbyte,"
  .. " sqlite3_stmt **stmt, const char **tail)")
local bind_int = sqlite:func("int sqlite3_bind_int(sqlite3_stmt *stmt, int i, int value)")
local step = sqlite:func("int sqlite3_step(sqlite3_stmt *stmt)")
local column_int = sqlite:func("int sqlite3_column_int(sqlite3_stmt *stmt, int col)")
-- The C type is const unsigned char *; declared const char * it comes back
-- as a Lua string (a copy), nil for NULL.
local column_text = sqlite:func("const char *sqlite3_column_text(sqlite3_stmt *stmt, int col)")
local finalize = sqlite:func("int sqlite3_finalize(sqlite3_stmt *stmt)")
print("SQLite " .. version())

-- sqlite3_open writes the connection into *db: a buffer the size of a pointer.
local out = dynlib.buffer(8)
if open(":memory:", out) ~= SQLITE_OK then error("sqlite3_open failed") end
local db = out:get("void *", 0)

local function check(rc, what)
  if rc ~= SQLITE_OK then error(("%s: %s"):format(what, errmsg(db)), 2) end
end

check(exec(db, [[
  CREATE TABLE planets (name TEXT, moons INTEGER);
  INSERT INTO planets VALUES ('Mercury', 0), ('Earth', 1), ('Mars', 2),
                             ('Jupiter', 95), ('Saturn', 146);
]], nil, nil, nil), "create")
print("created a table of 5 planets in memory")

-- A prepared statement, with the statement handle as an out-parameter too.
local sql = "SELECT name, moons FROM planets WHERE moons >= ? ORDER BY moons"
check(prepare(db, sql, -1, out, nil), "prepare")
local stmt = out:get("void *", 0)
check(bind_int(stmt, 1, 2), "bind")
local rows = {}
while true do
  local rc = step(stmt)
  if rc == SQLITE_DONE then break end
  if rc ~= SQLITE_ROW then error("step: " .. errmsg(db)) end
  rows[#rows + 1] = ("%s=%d"):format(column_text(stmt, 0), column_int(stmt, 1))
end
check(finalize(stmt), "finalize")
print(sql .. " (? = 2): " .. table.concat(rows, ", "))
assert(table.concat(rows, ",") == "Mars=2,Jupiter=95,Saturn=146", "unexpected rows")

-- A syntax error comes back as a code and sqlite3_errmsg's text.
local rc = prepare(db, "SELEKT 1", -1, out, nil)
print(("a bad statement: code %d, %s"):format(rc, errmsg(db)))
assert(rc ~= SQLITE_OK and errmsg(db):find("syntax error", 1, true))

check(close(db), "close")
sqlite:close()
print("ok")
