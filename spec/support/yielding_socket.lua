-- A LuaSocket-like TCP object whose methods yield, and a tiny scheduler to
-- run coroutines over it. Plain Lua, so it works the same on Lua 5.1-5.4 and
-- LuaJIT: what it tests is that the module never calls a socket method from
-- under a C function (pcall on 5.1, a metamethod, a native callback), where
-- the yield would fail with "attempt to yield across ...".
--
--   local yielding = require("yielding_socket")
--   local stats = {}
--   create = function() return yielding.create(stats) end
--   local results = yielding.run({ f1, f2, ... }, 20)  -- { {f1's returns}, ... }
--
-- stats counts, per method, the calls made and the yields they did
-- (stats.calls.send, stats.yields.send, ...), and keeps the last timeout
-- set (stats.timeout).
--
-- Every method but setoption yields before it does anything, so each call
-- is a point where the coroutine is suspended; the raw socket is
-- non-blocking, and connect, send and receive yield again each time it says
-- "timeout". A coroutine yields (raw, "read") or (raw, "write") to wait on
-- the raw socket, or nothing to be resumed on the scheduler's next round.
-- setoption does not yield: the module calls it through pcall, which a
-- yield cannot cross on Lua 5.1.

local socket = require("socket")

local unpack = table.unpack or unpack

local yielding = {}

-- Bounds the retry loops; the scheduler's time limit comes first in practice.
local MAX_TRIES = 1000000

local Socket = {}
Socket.__index = Socket

function yielding.create(stats)
    local raw, err = socket.tcp()
    if not raw then return nil, err end
    stats = stats or {}
    stats.calls = stats.calls or {}
    stats.yields = stats.yields or {}
    return setmetatable({ raw = raw, stats = stats }, Socket)
end

local function count(self, method)
    local calls = self.stats.calls
    calls[method] = (calls[method] or 0) + 1
end

-- Suspends the coroutine: until `kind` ("read" or "write") is ready on the
-- raw socket, or for one round when kind is nil.
local function wait(self, method, kind)
    local yields = self.stats.yields
    yields[method] = (yields[method] or 0) + 1
    if kind then
        coroutine.yield(self.raw, kind)
    else
        coroutine.yield()
    end
end

-- Recorded only: the raw socket stays non-blocking, and the scheduler's
-- overall limit stands in for per-call timeouts.
function Socket:settimeout(timeout)
    count(self, "settimeout")
    wait(self, "settimeout")
    self.timeout, self.stats.timeout = timeout, timeout
    return 1
end

function Socket:connect(host, port)
    count(self, "connect")
    wait(self, "connect")
    self.raw:settimeout(0)
    for _ = 1, MAX_TRIES do
        local ok, err = self.raw:connect(host, port)
        -- LuaSocket's second connect reports the outcome: 1, or the error
        if ok or err ~= "timeout" then return ok, err end
        wait(self, "connect", "write")
    end
    return nil, "timeout"
end

-- Resumes partial sends from the index LuaSocket reports.
function Socket:send(data, i, j)
    count(self, "send")
    wait(self, "send", "write")
    i = i or 1
    for _ = 1, MAX_TRIES do
        local sent, err, last = self.raw:send(data, i, j)
        if sent or err ~= "timeout" then return sent, err, last end
        i = last + 1
        wait(self, "send", "write")
    end
    return nil, "timeout", i - 1
end

-- Keeps the partial line through LuaSocket's prefix argument.
function Socket:receive(pattern, prefix)
    count(self, "receive")
    wait(self, "receive", "read")
    for _ = 1, MAX_TRIES do
        local line, err, partial = self.raw:receive(pattern, prefix)
        if line or err ~= "timeout" then return line, err, partial end
        prefix = partial
        wait(self, "receive", "read")
    end
    return nil, "timeout", prefix
end

function Socket:close()
    count(self, "close")
    wait(self, "close")
    self.raw:close()
    return 1
end

function Socket:setoption(name, value)
    count(self, "setoption")
    return self.raw:setoption(name, value)
end

-- Packs every value, nils included.
local function pack(...)
    return { n = select("#", ...), ... }
end

-- Runs each function of `functions` as a coroutine until all have returned,
-- and returns what each returned, packed ({ n =, ... }), in order. A
-- coroutine that raises makes run raise, with its traceback; so does
-- passing `limit` seconds (20 by default) with some still running.
function yielding.run(functions, limit)
    local deadline = socket.gettime() + (limit or 20)
    local tasks, results, running = {}, {}, #functions
    for i, f in ipairs(functions) do
        tasks[i] = { co = coroutine.create(f), ready = true }
    end
    local function resume(i, task)
        local outcome = pack(coroutine.resume(task.co))
        if not outcome[1] then
            error(debug.traceback(task.co, "coroutine " .. i .. " failed: " .. tostring(outcome[2])), 0)
        end
        if coroutine.status(task.co) == "dead" then
            results[i] = { n = outcome.n - 1, unpack(outcome, 2, outcome.n) }
            running = running - 1
            task.done = true
        else
            task.sock, task.kind = outcome[2], outcome[3]
            task.ready = task.sock == nil
        end
    end
    for _ = 1, MAX_TRIES do
        if running == 0 then return results end
        local now = socket.gettime()
        if now > deadline then
            error(("scheduler: %d of %d coroutines still running after %g s"):format(
                running, #functions, limit or 20), 2)
        end
        -- Wait on the sockets only when no coroutine is ready to run.
        local any_ready, readers, writers = false, {}, {}
        for _, task in ipairs(tasks) do
            if not task.done then
                if task.ready then
                    any_ready = true
                elseif task.kind == "read" then
                    readers[#readers + 1] = task.sock
                else
                    writers[#writers + 1] = task.sock
                end
            end
        end
        if not any_ready then
            -- LuaSocket's select counts a socket with buffered input as
            -- readable, so lines already read from the kernel are not missed.
            local readable, writable = socket.select(readers, writers, math.min(1, deadline - now))
            for _, task in ipairs(tasks) do
                if not task.done and (readable[task.sock] or writable[task.sock]) then
                    task.ready = true
                end
            end
        end
        for i, task in ipairs(tasks) do
            if not task.done and task.ready then resume(i, task) end
        end
    end
    error("scheduler: too many rounds", 2)
end

return yielding
