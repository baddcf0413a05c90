-- Runs a script unmodified against a chosen socket.smtp implementation:
-- its require("socket.smtp") gets that implementation, its smtp.send records
-- the call instead of sending (unless `really_send`), and io.open looks for
-- files in `dir`. The script's globals land in the returned environment;
-- `globals`, if given, are set in it first (print, os, ... for the script).

local function load_in(path, env)
    if setfenv then -- Lua 5.1 and LuaJIT
        local chunk = assert(loadfile(path))
        return setfenv(chunk, env)
    end
    return assert(loadfile(path, "t", env))
end

return function(path, implementation, dir, really_send, globals)
    local sent = {}
    local smtp = really_send and implementation or setmetatable({
        send = function(mailt)
            sent[#sent + 1] = mailt
            return 1
        end,
    }, { __index = implementation })
    local env = setmetatable({}, { __index = _G })
    env.require = function(name)
        if name == "socket.smtp" then return smtp end
        return require(name)
    end
    env.io = setmetatable({
        open = function(file, mode) return io.open(dir .. "/" .. file, mode) end,
    }, { __index = io })
    for name, value in pairs(globals or {}) do env[name] = value end
    load_in(path, env)()
    return env, sent
end
