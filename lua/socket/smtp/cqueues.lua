-- LuaSocket-style TCP sockets over cqueues, for the `create` field of
-- smtp.send and smtp.open:
--
--   smtp.send{ ..., create = require("socket.smtp.cqueues").tcp }
--
-- Inside a cqueues controller every call yields to it while it waits;
-- outside one it blocks, as LuaSocket's sockets do. The sockets only move
-- bytes: TLS is the module's own, over them. Failures are nil, err with
-- LuaSocket's words ("timeout", "closed", "connection refused"), which
-- scripts compare; a timeout (seconds, nil or negative for none) bounds
-- each call as a whole.

local cqueues = require("cqueues")
local csocket = require("cqueues.socket")
local errno = require("cqueues.errno")

local monotime = cqueues.monotime

local CLOSED = "closed"

-- cqueues' resolver's "name does not resolve" (dns.h: DNS_EBASE + 10),
-- which getaddrinfo calls EAI_NONAME.
local DNS_ENONAME = -0x646e7340 + 10

-- LuaSocket's words for the errors it names (its usocket.c and
-- getaddrinfo's EAI_NONAME); strerror's for the others.
local WORDS = {
    [errno.EADDRINUSE] = "address already in use",
    [errno.EISCONN] = "already connected",
    [errno.EACCES] = "permission denied",
    [errno.ECONNREFUSED] = "connection refused",
    [errno.ECONNABORTED] = CLOSED,
    [errno.ECONNRESET] = CLOSED,
    [errno.EPIPE] = CLOSED,
    [errno.ETIMEDOUT] = "timeout",
    [DNS_ENONAME] = "host or service not provided, or not known",
}

-- cqueues raises every error but EPIPE and ETIMEDOUT by default; returned,
-- they can be reported as LuaSocket reports them.
local function returned(_, _, why) return why end

local Socket = {}
Socket.__index = Socket

-- nil, LuaSocket's message for `why` (nil: the peer closed the connection)
-- and the bytes that came before it. cqueues keeps a read's or write's
-- error for the calls after it; LuaSocket does not.
local function failed(self, why, partial)
    self.socket:clearerr()
    if why == nil then return nil, CLOSED, partial end
    return nil, WORDS[why] or errno.strerror(why), partial
end

-- What is left of the call's time, for each cqueues call it makes.
local function remaining(deadline)
    return deadline and math.max(0, deadline - monotime())
end

function Socket:settimeout(seconds)
    if seconds and seconds < 0 then seconds = nil end
    self.timeout = seconds
    if self.socket then self.socket:settimeout(seconds) end
    return 1
end

function Socket:connect(host, port)
    if self.socket then return nil, WORDS[errno.EISCONN] end
    local sock = csocket.connect({ host = host, port = port, nodelay = true })
    sock:onerror(returned)
    -- binary both ways; output unbuffered, so every write is sent whole
    sock:setmode("b", "bn")
    sock:settimeout(self.timeout)
    self.socket = sock
    local connected, why = sock:connect()
    if not connected then return failed(self, why) end
    return 1
end

-- The data, whole: its length, as LuaSocket's send returns the index of
-- the last byte sent.
function Socket:send(data)
    local sent, why = self.socket:xwrite(data, "bn")
    if not sent then return failed(self, why) end
    return #data
end

-- A line, as LuaSocket's "*l" gives it: up to LF, without it and without
-- any CR. cqueues hands a line longer than its buffer over in pieces, so
-- the pieces are read until one ends the line.
local function receive_line(self, deadline)
    local pieces = {}
    repeat
        local piece, why = self.socket:xread("*L", "b", remaining(deadline))
        if not piece then return failed(self, why, table.concat(pieces)) end
        pieces[#pieces + 1] = piece
    until piece:byte(-1) == 10
    local line = table.concat(pieces):sub(1, -2):gsub("\r", "")
    return line
end

-- "*l" or a byte count, LuaSocket's patterns that the module uses.
function Socket:receive(pattern)
    local deadline = self.timeout and monotime() + self.timeout
    if pattern == nil or pattern == "*l" then return receive_line(self, deadline) end
    if type(pattern) ~= "number" then error("invalid receive pattern", 2) end
    local data, why = self.socket:xread(pattern, "b", remaining(deadline))
    if not data then return failed(self, why) end
    -- cqueues hands over what came before the end of the stream.
    if #data < pattern then return failed(self, nil, data) end
    return data
end

function Socket:close()
    if self.socket then self.socket:close() end
    return 1
end

-- A new socket, not yet connected, as LuaSocket's socket.tcp().
local function tcp()
    return setmetatable({}, Socket)
end

return { tcp = tcp }
