-- This process's memory, for specs that check it stays flat:
--
--   local memory = require("memory")
--   local before = memory.settled()  -- collects garbage twice (LuaJIT:
--                                    -- flushes traces first), then
--                                    -- { rss =, heap =, registry = }
--   memory.rss()                     -- resident set size now, bytes (VmRSS)
--   memory.reset_peak()              -- starts a new peak RSS (VmHWM) ...
--   memory.peak()                    -- ... and reads it, bytes
--   memory.heap()                    -- bytes in the Lua heap
--   memory.registry()                -- entries in the Lua registry
--   memory.entries(t)                -- entries in table t
--   memory.MB                        -- 2^20, for bounds and messages
--
-- Under valgrind the process's RSS is valgrind's (the guest's heap, shadow
-- memory and freed blocks held back to catch use after free), so it says
-- nothing about the module: memory.rss_measured is false there, and specs
-- leave their RSS bounds to valgrind's own leak check.

local memory = { MB = 1024 * 1024 }

-- valgrind preloads its own libraries into the program it runs.
memory.rss_measured = not (os.getenv("LD_PRELOAD") or ""):find("vgpreload", 1, true)

-- A "Name:   N kB" line of /proc/self/status, in bytes. io.open resolves
-- /proc/self to this process.
local function status(name)
    local file = assert(io.open("/proc/self/status"))
    local text = file:read("*a")
    file:close()
    local kb = assert(text:match("\n" .. name .. ":%s*(%d+) kB"), "no " .. name .. " in /proc/self/status")
    return tonumber(kb) * 1024
end

function memory.rss() return status("VmRSS") end
function memory.peak() return status("VmHWM") end

-- Writing 5 to clear_refs sets VmHWM back to the current RSS (Linux 4.0 on).
function memory.reset_peak()
    local file = assert(io.open("/proc/self/clear_refs", "w"))
    assert(file:write("5"))
    file:close()
end

function memory.heap() return collectgarbage("count") * 1024 end

function memory.entries(t)
    local n = 0
    for _ in pairs(t) do n = n + 1 end
    return n
end

-- Every key counts: references taken with luaL_ref and never released stay
-- there (released ones are reused, so the count does not shrink, it only
-- stops growing).
function memory.registry() return memory.entries(debug.getregistry()) end

-- LuaJIT's compiled traces live in the Lua heap, and hold as constants the
-- closures they were specialized on; they are flushed first, so that what
-- is measured is what the program holds. (Only speed is lost: hot code is
-- compiled again.)
function memory.settled()
    if jit then jit.flush() end
    collectgarbage("collect")
    collectgarbage("collect")
    return { rss = memory.rss(), heap = memory.heap(), registry = memory.registry() }
end

return memory
