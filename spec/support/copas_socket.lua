-- Copas 1.1.7 (Debian's lua-copas) for smtp.send's create field, and a
-- bounded way to run copas threads.
--
--   local copas_socket = require("copas_socket")(copas)
--   create = copas_socket.create
--   local results = copas_socket.run({ f1, f2, ... }, 20)

local socket = require("socket")

local MAX_STEPS = 1000000

return function(copas)
    local helpers = {}

    -- copas.wrap's objects have send, receive and settimeout only: connect
    -- goes through copas.connect (which makes the raw socket non-blocking)
    -- and close to the raw socket.
    function helpers.create()
        local raw, err = socket.tcp()
        if not raw then return nil, err end
        local sock = copas.wrap(raw)
        sock.connect = function(_, host, port) return copas.connect(raw, host, port) end
        sock.close = function() return raw:close() end
        return sock
    end

    -- Runs each function as a copas thread, stepping copas (copas.loop never
    -- returns) until all have returned; returns what each returned, packed
    -- ({ n =, ... }), in order. Raises when one raised, or when some are
    -- still running after `limit` seconds (20 by default).
    function helpers.run(functions, limit)
        limit = limit or 20
        local deadline = socket.gettime() + limit
        local results, failures, running = {}, {}, #functions
        for i, f in ipairs(functions) do
            copas.addthread(function()
                -- copas calls the handler instead of raising; the thread ends
                copas.setErrorHandler(function(message)
                    failures[#failures + 1] = "thread " .. i .. ": " .. tostring(message)
                    running = running - 1
                end)
                local packed = { n = 0 }
                local function keep(...) packed = { n = select("#", ...), ... } end
                keep(f())
                results[i] = packed
                running = running - 1
            end)
        end
        for _ = 1, MAX_STEPS do
            if running == 0 then break end
            if socket.gettime() > deadline then
                error(("copas: %d of %d threads still running after %g s"):format(
                    running, #functions, limit), 2)
            end
            copas.step(0.1)
        end
        if failures[1] then error(table.concat(failures, "\n"), 2) end
        if running > 0 then error("copas: too many steps", 2) end
        return results
    end

    return helpers
end
