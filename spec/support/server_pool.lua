-- Server processes kept for reuse (smtp_servers.lua's): each is lent to
-- one holder at a time, and goes back to the pool when released, to be
-- lent again under the same key.
--
--   local lease = pool.acquire(key, start, reuse)  -- { process = ... }
--   pool.release(lease)        -- again, or after the process stopped: no-op
--   pool.holds(lease)          -- whether the lease is still out
--   pool.release_owned_by(owner)
--   pool.take_all()            -- every process, forgotten: the caller stops them
--
-- pool.owner() names who a new lease belongs to; busted_helper.lua sets it
-- and releases each owner's leases when the owner's block ends.

local pool = {}

function pool.owner() return "nobody" end

local idle = {}   -- key -> { process, ... }
local leases = {} -- lease -> owner, for the leases out now
local all = {}    -- every process not stopped, as a set

-- A lease on an idle process for `key` that reuse(process) readied, or
-- else on the process start() returns. A process reuse() refuses is
-- stopped (process:stop()).
function pool.acquire(key, start, reuse)
    local list = idle[key] or {}
    local process = table.remove(list)
    while process and not reuse(process) do
        all[process] = nil
        process:stop()
        process = table.remove(list)
    end
    if not process then
        process = start()
        process.key = key
        all[process] = true
    end
    local lease = { process = process }
    leases[lease] = pool.owner()
    return lease
end

function pool.holds(lease)
    return leases[lease] ~= nil
end

function pool.release(lease)
    if not leases[lease] then return end
    leases[lease] = nil
    local process = lease.process
    if all[process] then
        idle[process.key] = idle[process.key] or {}
        table.insert(idle[process.key], process)
    end
end

function pool.release_owned_by(owner)
    for lease, holder in pairs(leases) do
        if holder == owner then pool.release(lease) end
    end
end

function pool.take_all()
    local processes = {}
    for process in pairs(all) do processes[#processes + 1] = process end
    idle, leases, all = {}, {}, {}
    return processes
end

return pool
