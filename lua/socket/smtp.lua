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

-- What LuaSocket's coroutine-based source says when pulled after its end,
-- and when a body source pulls the message it belongs to.
local ENDED = "cannot resume dead coroutine"
local RUNNING = "cannot resume non-suspended coroutine"

-- The LTN12 source over a message's pieces (strings to pass on, body
-- sources to drain). Body sources are called here, in Lua, through pcall:
-- an error one raises comes back as nil, err, as from LuaSocket.
local function message_source(next_piece)
    local draining, running = nil, false
    return function()
        if not next_piece then return nil, ENDED end
        if running then return nil, RUNNING end
        while true do
            if draining then
                running = true
                local ok, chunk, err = pcall(draining)
                running = false
                if not ok or err then
                    next_piece, draining = nil, nil
                    if ok then return nil, err end
                    return nil, chunk
                end
                if chunk then return chunk end
                draining = nil
            end
            local piece = next_piece()
            if piece == nil then
                next_piece = nil
                return nil
            elseif type(piece) == "function" then
                draining = piece
            else
                return piece
            end
        end
    end
end

-- core functions report programmer mistakes as nil, message; raise them at
-- the caller's line, as a plain string like LuaSocket's errors.
function smtp.message(mesgt)
    local next_piece, problem = core.message(mesgt, smtp.ZONE)
    if not next_piece then error(problem, 2) end
    return message_source(next_piece)
end

-- LuaSocket publishes the module as socket.smtp; do the same when LuaSocket
-- is there, without requiring it.
local found, socket = pcall(require, "socket")
if found and type(socket) == "table" then socket.smtp = smtp end

return smtp
