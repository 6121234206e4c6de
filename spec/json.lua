-- A small strict JSON decoder for the specs (RFC 8259): objects come back
-- as tables marked with json.OBJECT as metatable, arrays as sequences
-- marked json.ARRAY, null as json.null. Raises on anything else.
local json = {}
json.null = setmetatable({}, {__tostring = function() return "null" end})
json.OBJECT = {__name = "json.object"}
json.ARRAY = {__name = "json.array"}

local function fail(s, i, what)
  error(("json: %s at byte %d near %q"):format(what, i, s:sub(i, i + 10)), 0)
end

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local ESC = {['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t"}

local value

local function string_at(s, i)
  local parts = {}
  i = i + 1
  while true do
    local c = s:sub(i, i)
    if c == "" then fail(s, i, "unterminated string") end
    if c == '"' then return table.concat(parts), i + 1 end
    if c:byte() < 0x20 then fail(s, i, "control character in string") end
    if c == "\\" then
      local e = s:sub(i + 1, i + 1)
      if ESC[e] then
        parts[#parts + 1] = ESC[e]
        i = i + 2
      elseif e == "u" then
        local hex = s:match("^%x%x%x%x", i + 2)
        if not hex then fail(s, i, "bad \\u escape") end
        local cp = tonumber(hex, 16)
        i = i + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local lo = s:match("^\\u(%x%x%x%x)", i)
          lo = lo and tonumber(lo, 16)
          if not lo or lo < 0xDC00 or lo > 0xDFFF then fail(s, i, "lone surrogate") end
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
          i = i + 6
        end
        parts[#parts + 1] = utf8.char(cp)
      else
        fail(s, i, "bad escape")
      end
    else
      local j = s:find('["\\%c]', i) or #s + 1
      parts[#parts + 1] = s:sub(i, j - 1)
      i = j
    end
  end
end

local function number_at(s, i)
  local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if not num or not num:find("^-?0%f[^%d]") and not num:find("^-?[1-9]") then fail(s, i, "bad number") end
  local v = (num:find("[.eE]") and tonumber(num)) or math.tointeger(tonumber(num))
  if v == nil then fail(s, i, "bad number") end
  return v, i + #num
end

function value(s, i, depth)
  if depth > 200 then fail(s, i, "nested too deep") end
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local t = setmetatable({}, json.OBJECT)
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return t, i + 1 end
    while true do
      i = skip(s, i)
      if s:sub(i, i) ~= '"' then fail(s, i, "key expected") end
      local k
      k, i = string_at(s, i)
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then fail(s, i, "':' expected") end
      if rawget(t, k) ~= nil then fail(s, i, "duplicate key " .. k) end
      t[k], i = value(s, i + 1, depth + 1)
      i = skip(s, i)
      c = s:sub(i, i)
      if c == "}" then return t, i + 1 end
      if c ~= "," then fail(s, i, "',' or '}' expected") end
      i = i + 1
    end
  elseif c == "[" then
    local t = setmetatable({}, json.ARRAY)
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return t, i + 1 end
    while true do
      t[#t + 1], i = value(s, i, depth + 1)
      i = skip(s, i)
      c = s:sub(i, i)
      if c == "]" then return t, i + 1 end
      if c ~= "," then fail(s, i, "',' or ']' expected") end
      i = i + 1
    end
  elseif c == '"' then
    return string_at(s, i)
  elseif s:find("^true", i) then
    return true, i + 4
  elseif s:find("^false", i) then
    return false, i + 5
  elseif s:find("^null", i) then
    return json.null, i + 4
  elseif c:find("[-%d]") then
    return number_at(s, i)
  end
  fail(s, i, "value expected")
end

--- json.decode(text) -> value; raises on invalid JSON or trailing bytes.
function json.decode(s)
  local v, i = value(s, 1, 0)
  i = skip(s, i)
  if i <= #s then fail(s, i, "trailing characters") end
  return v
end

function json.is_object(v) return getmetatable(v) == json.OBJECT end
function json.is_array(v) return getmetatable(v) == json.ARRAY end

return json
