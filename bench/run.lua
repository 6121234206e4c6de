-- Runs every benchmark script in bench/ (bench/*_bench.lua) in one process
-- run, each printing its own lines of ratios measured side by side.
local files = {}
local p = assert(io.popen("ls bench/*_bench.lua 2>/dev/null"))
for f in p:lines() do files[#files + 1] = f end
p:close()
table.sort(files)
for _, f in ipairs(files) do
  print(("== %s"):format(f))
  dofile(f)
end
