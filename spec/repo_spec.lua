-- The repository itself: a license that matches the rockspec's, a
-- changelog, and a design document that every "docs/design.md section N"
-- cited in the sources exists in.
local H = require("helper")
if H.posix_only("repo_spec.lua", H.POSIX_TOOLS) then return end

describe("the repository", function()
  it("has the MIT license the rockspec names", function()
    local license = assert(H.read("LICENSE"), "no LICENSE")
    assert.matches("^MIT License", license)
    local rockspec = assert(H.read("rockspec/dynlib-scm-1.rockspec"))
    assert.matches('license = "MIT"', rockspec, 1, true)
  end)

  it("has a changelog with an entry for what is not released yet", function()
    local log = assert(H.read("CHANGELOG.md"), "no CHANGELOG.md")
    assert.matches("## Unreleased", log, 1, true)
  end)

  it("has every section of docs/design.md that a source cites", function()
    local design = assert(H.read("docs/design.md"), "no docs/design.md")
    local sections = {}
    for n in design:gmatch("\n## (%d+)%.") do sections[n] = true end
    assert.is_true(sections["1"] and sections["8"])
    local cited = H.sh("grep -rhoE 'docs/design.md section [0-9]+' src spec lua Makefile mk")
    local count = 0
    for n in cited:gmatch("section (%d+)") do
      count = count + 1
      assert.is_true(sections[n], "docs/design.md has no section " .. n)
    end
    assert.is_true(count >= 5)
    -- and nothing still cites the design by its old, unshipped name
    local old = H.sh("grep -rlE 'DESIGN(\\.md)? (section )?[0-9]' src spec lua Makefile mk")
    assert.equal("", old)
  end)
end)
