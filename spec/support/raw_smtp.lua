-- A bare SMTP client over a LuaSocket (or LuaSec) connection, for specs
-- that must send exactly the lines they choose.
--
--   local conn = raw_smtp.connect(server)       -- 5 s timeout
--   raw_smtp.reply(conn)                        -- "220 ..."
--   raw_smtp.command(conn, "EHLO localhost")    -- "250-...\n250 ..."
local socket = require("socket")

local raw_smtp = {}

-- Reads one whole reply, its lines joined with "\n".
function raw_smtp.reply(conn)
    local lines = {}
    repeat
        local line = assert(conn:receive("*l"))
        lines[#lines + 1] = line
    until line:sub(4, 4) ~= "-"
    return table.concat(lines, "\n")
end

function raw_smtp.command(conn, line)
    assert(conn:send(line .. "\r\n"))
    return raw_smtp.reply(conn)
end

function raw_smtp.connect(server)
    local conn = assert(socket.connect(server.host, server.port))
    conn:settimeout(5)
    return conn
end

return raw_smtp
