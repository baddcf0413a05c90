-- Counts this process's open file descriptors, to check that a call leaves
-- none open:
--
--   local descriptors = require("descriptors")
--   local before = descriptors.settled()   -- collects garbage, then counts
--   ...
--   assert.are.equal(before, descriptors.count())
--
--   descriptors.without_leaks(f, ...)      -- f's results; raises if it left
--                                          -- a descriptor open
--   descriptors.targets()                  -- what each refers to, as readlink says
--
-- Garbage is collected before the first count only: a failure must close
-- its connection at once, not whenever the collector finalizes a socket.

local descriptors = {}

-- io.open resolves /proc/self to this process; in a shell that io.popen
-- starts it would be the shell, so the listing names this pid.
local PID = (function()
    local stat = assert(io.open("/proc/self/stat"))
    local pid = stat:read("*n")
    stat:close()
    return assert(pid)
end)()

-- What each open descriptor refers to ("/tmp/x (deleted)", "socket:[1]").
-- Both ends of io.popen's pipe may be open here while the listing runs, so
-- the shell names its own output pipe first, and that one is left out.
function descriptors.targets()
    local listing = assert(io.popen("readlink /proc/$$/fd/1 /proc/" .. PID .. "/fd/* 2>/dev/null"))
    local own = assert(listing:read("*l"))
    local targets = {}
    for target in listing:lines() do
        if target ~= own then targets[#targets + 1] = target end
    end
    listing:close()
    return targets
end

function descriptors.count()
    return #descriptors.targets()
end

function descriptors.settled()
    collectgarbage("collect")
    collectgarbage("collect")
    return descriptors.count()
end

local unpack = table.unpack or unpack
local function pack(...) return { n = select("#", ...), ... } end

function descriptors.without_leaks(f, ...)
    local before = descriptors.settled()
    local results = pack(f(...))
    local after = descriptors.count()
    if after ~= before then
        error(("descriptors left open: %d before, %d after"):format(before, after), 2)
    end
    return unpack(results, 1, results.n)
end

return descriptors
