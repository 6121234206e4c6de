-- The documentation's Lua examples are tests: every ```lua block of
-- README.md and docs/*.md runs, in order, in this interpreter, from the
-- repository root (after the demo's plugins are built), and each `-->`
-- comment that shows a plain value (a number, a string, true/false/nil,
-- several of them) is checked against what the line gives. A block that
-- truly cannot run is preceded by `<!-- norun: reason -->` (at most one in
-- four); one for another system by `<!-- only: windows -->`.
local H = require("helper")
if H.posix_only("docs_spec.lua", H.POSIX_TOOLS) then return end

local dynlib = require("dynlib")

local FILES = {"README.md"}
for f in H.sh("ls docs/*.md 2>/dev/null"):gmatch("[^\n]+") do FILES[#FILES + 1] = f end

-- The ```lua blocks of a Markdown file: {first = line, lines = {...},
-- norun = reason, only = system}.
local function blocks_of(path)
  local lines = {}
  for l in io.lines(path) do lines[#lines + 1] = l end
  local blocks, i = {}, 1
  while i <= #lines do
    if lines[i]:match("^```lua%s*$") then
      local j = i - 1
      while j >= 1 and lines[j]:match("^%s*$") do j = j - 1 end
      local b = {first = i + 1, lines = {},
                 norun = j >= 1 and lines[j]:match("^<!%-%- norun: (.-) %-%->%s*$") or nil,
                 only = j >= 1 and lines[j]:match("^<!%-%- only: (%w+) %-%->%s*$") or nil}
      i = i + 1
      while i <= #lines and not lines[i]:match("^```") do
        b.lines[#b.lines + 1] = lines[i]
        i = i + 1
      end
      blocks[#blocks + 1] = b
    end
    i = i + 1
  end
  return blocks
end

-- A promised value, or nil for an illustration (a table, "...", nothing).
local function plain(expect)
  if expect == "" or expect:find("[{}]") or expect:find("...", 1, true) then return nil end
  return (expect:gsub("%s+", " "):gsub(" $", ""))
end

-- The line with its promise turned into a check: print(...) and a call
-- compare their values, `local a, b = ...` compares a, b afterwards.
local function checked_line(line, n)
  local code, expect = line:match("^(.-)%s*%-%->%s*(.-)%s*$")
  if not code or code:match("^%s*$") then return line, false end
  local want = plain(expect)
  if not want then return code, false end
  local q = ("%q"):format(want)
  local args = code:match("^%s*print(%(.*%))%s*$")
  if args then return ("__check(%d, %s, %s)"):format(n, q, args:sub(2, -2)), true end
  local names = code:match("^%s*local%s+(.-)%s*=")
  if names then
    names = names:gsub("<%w+>", "")
    return ("%s; __check(%d, %s, %s)"):format(code, n, q, names), true
  end
  return ("__check(%d, %s, %s)"):format(n, q, code), true
end

local function run_file(path)
  local blocks = blocks_of(path)
  local chunk, checks, ran, norun = {}, 0, 0, 0
  local failures = {}
  for _, b in ipairs(blocks) do
    if b.norun then
      norun = norun + 1
    elseif not b.only or b.only == dynlib.os then
      ran = ran + 1
      for k, line in ipairs(b.lines) do
        local n = b.first + k - 1
        local out, is_check = checked_line(line, n)
        if is_check then checks = checks + 1 end
        chunk[n] = out
      end
    end
  end
  local last = 0
  for n in pairs(chunk) do last = math.max(last, n) end
  for n = 1, last do chunk[n] = chunk[n] or "" end -- errors name the file's own lines
  local env = setmetatable({
    print = function() end,
    __check = function(n, want, ...)
      local got = {}
      for i = 1, select("#", ...) do got[i] = tostring((select(i, ...))) end
      local text = table.concat(got, " ")
      if text ~= want then
        failures[#failures + 1] = ("%s:%d: promised %s, got %s"):format(path, n, want, text)
      end
    end,
  }, {__index = _G})
  local fn = assert(load(table.concat(chunk, "\n"), "@" .. path, "t", env))
  fn()
  return {blocks = #blocks, ran = ran, norun = norun, checks = checks, failures = failures}
end

describe("the documentation's Lua examples", function()
  local demo_built = H.read("examples/plugins/libphysics.so") ~= nil
  local it_native = H.it_if(not H.cross and demo_built,
    "they run on the native suite, after make demo built examples/plugins")

  for _, path in ipairs(FILES) do
    it_native("run as written in " .. path .. ", with the values their --> comments promise", function()
      local r = run_file(path)
      assert.same({}, r.failures)
      assert.is_true(r.ran > 0 or r.blocks == r.norun)
    end)
  end

  it("mark at most one block in four norun, over all the files", function()
    local blocks, norun = 0, 0
    for _, path in ipairs(FILES) do
      for _, b in ipairs(blocks_of(path)) do
        blocks = blocks + 1
        if b.norun then norun = norun + 1 end
      end
    end
    assert.is_true(blocks >= 8)
    assert.is_true(norun * 4 <= blocks, norun .. " of " .. blocks .. " blocks are norun")
  end)

  it_native("check at least a dozen promised values in README.md", function()
    assert.is_true(run_file("README.md").checks >= 12)
  end)

  it("turn a promise into a check, and leave illustrations alone", function()
    assert.equal('__check(3, "5", strlen("hello"))', (checked_line('print(strlen("hello")) --> 5', 3)))
    assert.equal('local a = f(); __check(4, "1 2", a)', (checked_line("local a = f() --> 1  2", 4)))
    assert.equal("__check(5, \"9\", g(1))", (checked_line("g(1) --> 9", 5)))
    assert.equal("local t = f()", (checked_line("local t = f() --> {a = 1, ...}", 6)))
    assert.is_false(select(2, checked_line("x() -- just a comment", 7)))
  end)
end)
