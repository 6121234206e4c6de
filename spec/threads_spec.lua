-- The store under many threads, through its C API (the same program runs
-- under ThreadSanitizer in `make test-tsan`).
local H = require("helper")
if H.posix_only("threads_spec.lua", H.POSIX_TOOLS) then return end

describe("the store under threads", function()
  it("keeps one entry per file, runs the instance entry once per load, ends empty", function()
    local out, ok = H.sh(H.program(H.quote(H.build .. "/spec/store_threads")) .. " "
      .. H.quote(H.fixture("store")) .. " 2>&1")
    assert.is_true(ok, out)
    assert.matches("ok 1 %- 50 rounds of 8 threads opening one file: one entry", out)
    assert.matches("ok 2 %- 8 threads x 300 open/sym/instance/close cycles", out)
    assert.matches("ok 3 %- a constructor opening a library through dynlib", out)
    assert.matches("ok 4 %- a constructor opening its own library is refused", out)
    assert.matches("ok 5 %- 7 threads opening by short name while the path changes", out)
    local checks = tonumber(out:match("(%d+) checks"))
    assert.is_true(checks and checks > 10000)
  end)
end)
