-- socket.smtp, as in LuaSocket 3.1, implemented in Rust by socket.smtp.core.
--
-- This file is a Lua module on purpose: Lua searches package.path before
-- package.cpath, so a native socket/smtp.so would lose to LuaSocket's
-- socket/smtp.lua wherever LuaSocket is installed.

local core = require("socket.smtp.core")

local smtp = {
    _VERSION = core.VERSION,
    -- Read at call time, so scripts may assign them, as with LuaSocket.
    DOMAIN = os.getenv("SERVER_NAME") or "localhost",
    PORT = 25,
    SERVER = "localhost",
    TIMEOUT = 60,
    ZONE = "-0000",
}

-- core functions report programmer mistakes as nil, message; raise them at
-- the caller's line, as a plain string like LuaSocket's errors.
function smtp.message(mesgt)
    local source, problem = core.message(mesgt, smtp.ZONE)
    if not source then error(problem, 2) end
    return source
end

-- LuaSocket publishes the module as socket.smtp; do the same when LuaSocket
-- is there, without requiring it.
local found, socket = pcall(require, "socket")
if found and type(socket) == "table" then socket.smtp = smtp end

return smtp
