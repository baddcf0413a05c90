-- session.tp: LuaSocket's tp object, on the sessions smtp.open returns, for
-- scripts that reach into them. The STARTTLS extension written before
-- LuaSocket had STARTTLS does: tp:command("STARTTLS"), tp:check("2.."),
-- tp.c = ssl.wrap(tp.c, params), then EHLO through tp again, then the
-- session's own auth, send and quit.
--
-- command and check go through the session's protocol core, so that it
-- knows what the script did (what its EHLO was offered, its STARTTLS).
-- tp.c is the session's socket: once a script reads or replaces it, the
-- core does no more I/O of its own, and every later operation goes through
-- Lua calls on whatever object tp.c then is.

local arguments = require("socket.smtp.arguments")

-- The key a tp keeps its session under, out of reach of any string key.
local SESSION = {}

-- `session_io` (see session.lua) runs the operations: socket(session) hands
-- the session's socket to Lua and returns it (none without LuaSocket),
-- replace(session, sock) makes `sock` the session's socket, command and
-- check as below.
return function(session_io)
    local methods = {}
    local Tp = {}

    -- The session's socket, handed to Lua; without one, an error at the
    -- line that reads or sets tp.c (level 3: past the metamethod).
    local function take_socket(tp)
        local sock = session_io.socket(tp[SESSION])
        if not sock then error("session.tp.c needs LuaSocket, which could not be loaded", 3) end
        return sock
    end

    function Tp.__index(tp, key)
        if key ~= "c" then return methods[key] end
        local sock = take_socket(tp) -- not a tail call, which would drop a level
        return sock
    end

    function Tp.__newindex(tp, key, value)
        if key ~= "c" then return rawset(tp, key, value) end
        take_socket(tp)
        session_io.replace(tp[SESSION], value)
    end

    -- Writes the command at once; returns its length, or nil, err.
    function methods:command(cmd, arg)
        arg = arg or nil -- false is no argument, as in LuaSocket
        arguments.check("argument #1 to 'command'", cmd, "text", false, 2)
        arguments.check("argument #2 to 'command'", arg, "text", true, 2)
        return session_io.command(self[SESSION], cmd, arg)
    end

    -- Reads a reply. Returns code, reply when `ok`, a pattern or a list of
    -- patterns, matches the three digits of its code, else nil, reply; when
    -- `ok` is a function, what it returns for code, reply.
    function methods:check(ok)
        local code, reply = session_io.check(self[SESSION])
        if not code then return nil, reply end
        if type(ok) == "function" then return ok(code, reply) end
        local digits = ("%03d"):format(code)
        if type(ok) == "table" then
            for _, pattern in ipairs(ok) do
                if string.find(digits, pattern) then return code, reply end
            end
        elseif string.find(digits, ok) then
            return code, reply
        end
        return nil, reply
    end

    -- The socket's own, past the session's protocol core, as LuaSocket's
    -- are (its login writes the credentials with tp:send).
    function methods:send(data) return self.c:send(data) end
    function methods:receive(pattern) return self.c:receive(pattern) end

    function methods:getcontrol() return self.c end

    -- Closes the session: LuaSocket's closes the socket, its session's end.
    function methods:close() return self[SESSION]:close() end

    return function(session) return setmetatable({ [SESSION] = session }, Tp) end
end
