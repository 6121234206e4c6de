-- The metadata's JSON reader (src/formats/json.c, built into Lua tables by
-- the binding), through the private core.json_decode: what it accepts and
-- refuses, with jansson's rules (which it replaced) and the binding's
-- bounds; compared with the specs' own decoder (spec/json.lua) on random
-- documents.
local dynlib = require("dynlib")
local core = require("dynlib.core")
local json = require("json")
local decode = core.json_decode

local function refused(text, what)
  local t, msg, code = decode(text, "doc")
  assert.is_nil(t, text)
  assert.equal("bad_metadata", code)
  assert.matches(what, msg, 1, true)
  return msg
end

describe("the metadata JSON reader", function()
  it("reads objects, arrays, strings, integers, reals, booleans and null", function()
    local t = assert(decode(' {"a": 1, "b": [true, false, null, -0, 2.5, 1e2, -1.5E-3],'
      .. ' "c": {"d": {}}, "e": [], "f": ""}\n'))
    assert.equal(1, t.a)
    assert.equal("integer", math.type(t.a))
    assert.equal(7, #t.b)
    assert.same({true, false}, {t.b[1], t.b[2]})
    assert.equal(dynlib.null, t.b[3])
    assert.equal("integer", math.type(t.b[4]))
    assert.equal(2.5, t.b[5])
    assert.equal("float", math.type(t.b[6]))
    assert.equal(100.0, t.b[6])
    assert.equal(-1.5e-3, t.b[7])
    assert.same({}, t.c.d)
    assert.same({}, t.e)
    assert.equal("", t.f)
  end)

  it("ends strings, finds escapes and refuses control characters at every offset of a word", function()
    -- strings are read eight bytes at a time: each stop at each position,
    -- in strings of every length around a word's, with text after them or not
    for len = 0, 19 do
      local body = ("abcdefghijklmnopqrstuvwxyz"):sub(1, len)
      for _, tail in ipairs({"}", ', "z": 1}'}) do
        local t = assert(decode('{"' .. body .. '": "' .. body .. '"' .. tail))
        assert.equal(body, t[body])
        for at = 0, len do
          local esc = body:sub(1, at) .. '\\"\\\\' .. body:sub(at + 1)
          t = assert(decode('{"k": "' .. esc .. '", "' .. esc .. '": 2' .. tail))
          assert.equal(body:sub(1, at) .. '"\\' .. body:sub(at + 1), t.k)
          local ctl = body:sub(1, at) .. "\1" .. body:sub(at + 1)
          local msg = refused('{"k": "' .. ctl .. '"' .. tail, "control character in a string")
          assert.matches("column " .. (8 + at) .. ":", msg, 1, true)
        end
      end
    end
  end)

  it("decodes every escape, \\u escapes to UTF-8 and surrogate pairs", function()
    local t = assert(decode([[{"s": "\"\\\/\b\f\n\r\t", "u": "\u0041\u00e9\u20ac\ud83d\ude00"}]]))
    assert.equal('"\\/\b\f\n\r\t', t.s)
    assert.equal("A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", t.u)
    -- an escaped string longer than the reader's 256-byte scratch
    local long = string.rep("ab\\n", 400)
    t = assert(decode('{"' .. long .. '": "' .. long .. '"}'))
    local want = string.rep("ab\n", 400)
    assert.equal(want, t[want])
  end)

  it("keeps integers to 64 bits and refuses what does not fit, as jansson did", function()
    local t = assert(decode('{"max": 9223372036854775807, "min": -9223372036854775808}'))
    assert.equal(math.maxinteger, t.max)
    assert.equal(math.mininteger, t.min)
    refused('{"a": 9223372036854775808}', "too big integer")
    refused('{"a": -9223372036854775809}', "too big negative integer")
    refused('{"a": 1e400}', "real number overflow")
    assert.equal(0.0, assert(decode('{"a": 1e-400}')).a)
  end)

  it("refuses invalid JSON with the line and column of the error", function()
    local cases = {
      {'{"a": 1} x', "end of file expected"},
      {'"just a string"', "'[' or '{' expected"},
      {"", "'[' or '{' expected"},
      {'{"a": 1, "a": 2}', "duplicate object key"},
      {'{"a": "\\u0000"}', "\\u0000 is not allowed"},
      {'{"a": "\\ud800"}', "lone high surrogate"},
      {'{"a": "\\udc00"}', "lone low surrogate"},
      {'{"a": "\\x"}', "invalid escape"},
      {'{"a": "\\u12"}', "invalid \\u escape"},
      {'{"a": "tab\there"}', "control character"},
      {'{"a": "open', "premature end of input"},
      {'{"a": 01}', "',' or '}' expected"},
      {'{"a": [1 2]}', "',' or ']' expected"},
      {'{"a" 1}', "':' expected"},
      {'{"a": 1,}', "string or '}' expected"},
      {'{"a": -}', "invalid number"},
      {'{"a": 1.}', "invalid number"},
      {'{"a": tru}', "invalid token"},
      {'{"a": [', "premature end of input"},
    }
    for _, c in ipairs(cases) do
      refused(c[1], "doc: bad metadata: invalid JSON at line 1 column ")
      refused(c[1], c[2])
    end
    assert.matches("at line 3 column 5:", refused('{\n"a":\n 1, 2}', "invalid JSON"), 1, true)
  end)

  it("refuses a duplicate key wherever it is, and only a duplicate", function()
    -- 200 distinct keys: many share a slot of the binding's string cache
    local keys = {}
    for i = 1, 200 do keys[i] = ('"k%d": %d'):format(i, i) end
    local t = assert(decode("{" .. table.concat(keys, ", ") .. "}"))
    for i = 1, 200 do assert.equal(i, t["k" .. i]) end
    for _, i in ipairs({1, 2, 17, 64, 65, 199}) do
      local msg = refused("{" .. table.concat(keys, ", ") .. ', "k' .. i .. '": 0}', "duplicate object key")
      assert.matches("column " .. (#table.concat(keys, ", ") + 4) .. ":", msg, 1, true)
    end
    local long = ("x"):rep(41) -- longer than the cache's strings
    refused(('{"%s": 1, "b": 2, "%s": 3}'):format(long, long), "duplicate object key")
    assert(decode(('{"%s": 1, "%sy": 2}'):format(long, long)))
    -- keys are per object: the same key in a nested or a sibling object is fine
    t = assert(decode('{"a": {"a": 1, "b": 2}, "b": [{"a": 3}, {"a": 4}], "c": {"b": 5}}'))
    assert.same({a = {a = 1, b = 2}, b = {{a = 3}, {a = 4}}, c = {b = 5}}, t)
    refused('{"a": {"b": 1, "c": {"b": 2}, "b": 3}}', "duplicate object key")
    refused('{"a": {"b": 1}, "c": 2, "a": 3}', "duplicate object key")
    refused('{"": 1, "": 2}', "duplicate object key")
  end)

  it("reports the first error in the text, a duplicate key's or the syntax's, in any size of document", function()
    -- small documents are read before the tables are built, large ones while
    -- they are: the duplicate comes first either way
    for _, pad in ipairs({0, 100}) do
      local items = {}
      for i = 1, pad do items[i] = tostring(i) end
      local list = '"l": [' .. table.concat(items, ", ") .. '], '
      local dup = '{' .. list .. '"a": 1, "a": 2, x}'
      local msg = refused(dup, "duplicate object key")
      assert.matches("column " .. (#list + 10) .. ":", msg, 1, true)
      msg = refused('{' .. list .. '"a": 1, x, "a": 2}', "string or '}' expected")
      assert.matches("column " .. (#list + 10) .. ":", msg, 1, true)
      local t = assert(decode('{' .. list .. '"a": "\\u00e9\\n", "b": 1.5, "c": [null, true, {}]}'))
      assert.same({"\xc3\xa9\n", 1.5, {dynlib.null, true, {}}}, {t.a, t.b, t.c})
      assert.equal(pad, #t.l)
    end
  end)

  it("says 'not an object' for an array, then bounds the nesting at 32 levels", function()
    refused("[1, 2]", "doc: bad metadata: the JSON is not an object")
    local function nest(n, inner) return string.rep("[", n) .. inner .. string.rep("]", n) end
    -- the top object is level 1: 31 arrays and their item make 33
    assert.is_table(decode('{"a": ' .. nest(30, "1") .. "}"))
    assert.is_table(decode('{"a": ' .. nest(31, "") .. "}"))
    refused('{"a": ' .. nest(31, "1") .. "}", "nested deeper than 32 levels")
    refused('{"a": ' .. nest(40, '{"b": 1}') .. "}", "nested deeper than 32 levels")
    -- an error in the text comes first, even after the bound is passed
    refused('{"a": ' .. nest(40, "1") .. ", x}", "invalid JSON")
    refused("[" .. nest(40, "1") .. ", x]", "invalid JSON")
    -- far deeper than the reader's own stack: refused, never a crash
    refused('{"a": ' .. nest(5000, "1") .. "}", "maximum parsing depth reached")
    refused('{"a": ' .. string.rep("[", 100000), "invalid JSON")
  end)

  -- Random documents, written with random spacing and escapes, read by both
  -- decoders: the same values.
  local function gen_str(rnd)
    local b = {}
    for i = 1, rnd(0, 12) do b[i] = string.char(rnd(32, 126)) end
    return table.concat(b) .. (rnd(4) == 1 and "\xC3\xA9\n\t\"\\" or "")
  end
  local function gen(rnd, depth)
    local k = rnd(depth > 4 and 5 or 7)
    if k == 1 then return rnd(-1000000, 1000000)
    elseif k == 2 then return rnd(-1000, 1000) / 8 + 0.0
    elseif k == 3 then return gen_str(rnd)
    elseif k == 4 then return rnd(2) == 1
    elseif k == 5 then return json.null
    elseif k == 6 then
      local a = setmetatable({}, json.ARRAY)
      for i = 1, rnd(0, 5) do a[i] = gen(rnd, depth + 1) end
      return a
    end
    local o = setmetatable({}, json.OBJECT)
    for _ = 1, rnd(0, 5) do o[gen_str(rnd) .. "k"] = gen(rnd, depth + 1) end
    return o
  end
  local function ws(rnd) return ({"", " ", "\n", "\t ", "\r\n  "})[rnd(5)] end
  local function str(rnd, s)
    return '"' .. s:gsub('[%c"\\/e]', function(c)
      if c == "e" then return rnd(2) == 1 and "\\u0065" or "e" end
      if c == "/" then return rnd(2) == 1 and "\\/" or "/" end
      return ({['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t"})[c]
        or ("\\u%04x"):format(c:byte())
    end) .. '"'
  end
  local function write(rnd, v)
    local t = type(v)
    if t == "string" then return str(rnd, v) end
    if math.type(v) == "integer" then return tostring(v) end
    if t == "number" then return ("%.17g"):format(v):find("[.e]") and ("%.17g"):format(v)
      or ("%.1f"):format(v) end
    if t == "boolean" then return tostring(v) end
    if v == json.null then return "null" end
    local parts = {}
    if getmetatable(v) == json.ARRAY then
      for i, x in ipairs(v) do parts[i] = ws(rnd) .. write(rnd, x) .. ws(rnd) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for key, x in pairs(v) do
      parts[#parts + 1] = ws(rnd) .. str(rnd, key) .. ws(rnd) .. ":" .. ws(rnd) .. write(rnd, x)
    end
    return "{" .. table.concat(parts, ",") .. ws(rnd) .. "}"
  end
  local function same(ref, ours)
    if ref == json.null then return ours == dynlib.null end
    if type(ref) ~= "table" then
      return ref == ours and math.type(ref) == math.type(ours)
    end
    if type(ours) ~= "table" then return false end
    local n = 0
    for k, v in pairs(ref) do
      n = n + 1
      if not same(v, ours[k]) then return false end
    end
    for _ in pairs(ours) do n = n - 1 end
    return n == 0
  end

  it("reads 500 random documents as the specs' decoder does", function()
    local seed = 15
    local function rnd(a, b) -- a small LCG: the same documents every run
      seed = (seed * 1103515245 + 12345) % 2147483648
      if not b then a, b = 1, a end
      return a + seed % (b - a + 1)
    end
    for _ = 1, 500 do
      local doc = setmetatable({}, json.OBJECT)
      for _ = 1, rnd(1, 6) do doc[gen_str(rnd) .. "k"] = gen(rnd, 1) end
      local text = ws(rnd) .. write(rnd, doc) .. ws(rnd)
      local ours, msg = decode(text)
      assert.is_table(ours, msg)
      assert.is_true(same(json.decode(text), ours), text)
    end
  end)

  it("survives every truncation and byte flip of a document", function()
    local text = [[{"name": "x\u00e9\ud83d\ude00", "n": [1, -2.5e3, true, null, {"k": "v\n"}]}]]
    for i = 0, #text do
      local t, msg = decode(text:sub(1, i))
      assert.is_true(t ~= nil or msg ~= nil)
      for _, b in ipairs({0, 0x22, 0x5C, 0x7B, 0x5B, 0x80}) do
        local flipped = text:sub(1, i) .. string.char(b) .. text:sub(i + 2)
        t, msg = decode(flipped)
        assert.is_true(t ~= nil or msg ~= nil)
      end
    end
  end)
end)

-- The reader replaced jansson: nothing may bring a JSON library back in,
-- neither a link (the module and the core import none) nor the build files
-- (a static library would leave no import to see).
describe("dynlib's own JSON reader", function()
  local H = require("helper")
  local so = H.windows and "dll" or "so"
  -- ("libjansson.so.4" has no "json" in it)
  local function names_json(text)
    text = text:lower()
    return text:find("json", 1, true) ~= nil or text:find("jansson", 1, true) ~= nil
  end

  it("is all the module and the core library need: they import no JSON library", function()
    for _, f in ipairs({"/lua/dynlib/core." .. so, "/libdynlib." .. so}) do
      local info = assert(dynlib.inspect(H.build .. f))
      assert.is_true(#info.needed > 0, f)
      for _, lib in ipairs(info.needed) do
        assert.is_false(names_json(lib), f .. " needs " .. lib)
      end
    end
  end)

  H.it_if(not H.windows, "io.popen runs cmd.exe under wine, which has no grep")(
    "is the only one the build, the install files and CI name", function()
      local out, found = H.sh("grep -rli -e jansson -e json-c -e libjson Makefile mk .ci rockspec 2>&1")
      assert.is_false(found, out)
      local pc = assert(H.read(H.build .. "/dynlib.pc"), "no dynlib.pc: make core")
      assert.is_false(names_json(pc), pc)
    end)
end)
