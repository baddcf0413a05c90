-- Real SMTP servers for the specs, each a process of its own on a free
-- 127.0.0.1 port:
--
--   servers.aiosmtpd{ auth = true, delay = s, reject_rcpt = "a@b", silent = true,
--                     tls = { cert = path, key = path }, tls_mode = "starttls" or "implicit" }
--   servers.smtp_sink{ args = { "-p", ... } }   -- extra smtp-sink options
--   servers.smtp_sink{ dump = false }            -- keeps nothing: for many or
--                                                -- huge messages; no :received()
--   servers.scripted{ steps = { RCPT = { reply = "550 no" } }, extensions = {...}, delay = s,
--                     tls = { cert = path, key = path }, tls_extensions = {...},
--                     tls_mode = "implicit" }
--   servers.sni{ cert = path, key = path }   -- implicit TLS; :names() lists each
--                                            -- handshake's SNI name ("" for none)
--   servers.free_port()                      -- a port nobody listens on now
--
-- (see aiosmtpd_server.py and scripted_server.py for the options). TLS, with
-- a certificate and key from certificates.lua: aiosmtpd with tls offers
-- STARTTLS (tls_mode = "starttls", the default) or speaks TLS from the first
-- byte (tls_mode = "implicit"); with auth too, AUTH works only over TLS. The
-- scripted server with tls upgrades on STARTTLS (answered at step
-- "STARTTLS"; put "STARTTLS" in extensions to offer it), or with tls_mode =
-- "implicit" speaks TLS from the first byte, and answers EHLO over TLS with
-- tls_extensions if given, else extensions.
--
-- Each returns once the server accepts connections, as an object with .host,
-- .port, :stop(), :received() (the transactions the server accepted:
-- { helo =, mail_from =, rcpt_tos = {...}, data = "...\r\n", ... }; the
-- Python servers add tls = true or false, whether the transaction ran over
-- TLS) and, for the scripted server, :transcript() (every line clients sent,
-- without line ends, plain text and TLS alike) and :tls_transcript() (the
-- lines sent over TLS only, after STARTTLS). Every server runs under
-- `timeout`, so none outlives the run by long even if a spec forgets :stop().

local socket = require("socket")
local files = require("files")

local quote, read_file, write_file, capture = files.quote, files.read, files.write, files.capture

local servers = {}

local HERE = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
-- Debian's Python, which has aiosmtpd; the python3 on PATH may not.
local PYTHON = "/usr/bin/python3"
local LIFETIME = 300 -- seconds
local START_WAIT = 10 -- seconds

-- True when the command exits with status 0: os.execute returns the status
-- on Lua 5.1 and LuaJIT, and true or nil on 5.2 and later.
local function execute(command)
    local result = os.execute(command)
    return result == true or result == 0
end

-- Calls check every 20 ms until it returns a true value, which it returns,
-- or until `seconds` have passed (then nil).
local function wait_until(seconds, check)
    local deadline = socket.gettime() + seconds
    repeat
        local result = check()
        if result then return result end
        socket.sleep(0.02)
    until socket.gettime() > deadline
    return nil
end

-- Exited processes may linger as zombies when nobody reaps them, so a
-- zombie counts as gone.
local function alive(pid)
    local stat = read_file("/proc/" .. pid .. "/stat")
    return stat ~= nil and stat:match(".*%) (%a)") ~= "Z"
end

-- JSON for the scripts and options: every control, quote, backslash and
-- non-ASCII byte is escaped as \u00XX, so any bytes survive (as one code
-- point each) and Python reads them back with latin-1. An empty table
-- becomes {}, which the Python side also accepts where it expects a list.
local function json(value)
    local kind = type(value)
    if kind == "string" then
        return '"' .. value:gsub('[%c"\\\128-\255]', function(c)
            return ("\\u%04x"):format(c:byte())
        end) .. '"'
    elseif kind == "number" then
        return ("%.17g"):format(value)
    elseif kind == "boolean" then
        return tostring(value)
    elseif kind == "table" and value[1] ~= nil then
        local items = {}
        for i = 1, #value do items[i] = json(value[i]) end
        return "[" .. table.concat(items, ",") .. "]"
    elseif kind == "table" then
        local items = {}
        for k, v in pairs(value) do items[#items + 1] = json(tostring(k)) .. ":" .. json(v) end
        return "{" .. table.concat(items, ",") .. "}"
    end
    error("cannot encode a " .. kind .. " as JSON")
end

-- The Python servers append one Lua value per line to their record files,
-- each followed by ",". Only whole lines count: a write may be under way.
local function load_records(path)
    local text = (read_file(path) or ""):match("^.*\n") or ""
    return assert((loadstring or load)("return {" .. text .. "}", "=" .. path))()
end

local Server = {}
Server.__index = Server

-- Stops the server (TERM, then KILL) and removes its directory. `timeout`
-- leads a process group of its own, holding the server; killing the group
-- reaches both.
function Server:stop()
    if self.stopped then return end
    self.stopped = true
    for _, signal in ipairs({ "TERM", "KILL" }) do
        execute(("kill -%s -%d 2>/dev/null || kill -%s %d 2>/dev/null"):format(signal, self.pid, signal, self.pid))
        if wait_until(2, function() return not alive(self.pid) end) then break end
    end
    assert(not alive(self.pid), "server process " .. self.pid .. " did not stop")
    files.remove(self.dir)
end

function Server:received()
    return load_records(self.dir .. "/received.lua")
end

-- Starts `command` (a shell command; its output goes to DIR/log) under
-- `timeout` and waits until ready(server) returns the port.
local function start(dir, command, ready)
    execute(("timeout %d %s >%s 2>&1 </dev/null & echo $! >%s"):format(
        LIFETIME, command, quote(dir .. "/log"), quote(dir .. "/pid")))
    local server = setmetatable({ host = "127.0.0.1", dir = dir }, Server)
    server.pid = assert(tonumber(read_file(dir .. "/pid")), "no server pid")
    local port = wait_until(START_WAIT, function()
        return ready(server) or not alive(server.pid) and -1
    end)
    if port == nil or port == -1 then
        local log = read_file(dir .. "/log") or ""
        server:stop()
        error(("server did not start (%s): %s\n%s"):format(
            port and "it exited" or "timed out", command, log))
    end
    server.port = port
    return server
end

local function temporary_directory()
    return files.temporary_directory("smtp_servers")
end

-- A Python server announces "PORT PID" in DIR/port once it listens.
local function start_python(script, options)
    local dir = temporary_directory()
    write_file(dir .. "/options.json", json(options or {}))
    return start(dir, ("%s %s %s"):format(PYTHON, quote(HERE .. script), quote(dir)), function(server)
        return tonumber((read_file(server.dir .. "/port") or ""):match("^(%d+) %d+\n"))
    end)
end

function servers.aiosmtpd(options)
    return start_python("aiosmtpd_server.py", options)
end

local Scripted = setmetatable({}, { __index = Server })
Scripted.__index = Scripted

function Scripted:transcript()
    return load_records(self.dir .. "/transcript.lua")
end

function Scripted:tls_transcript()
    return load_records(self.dir .. "/tls_transcript.lua")
end

function servers.scripted(script)
    return setmetatable(start_python("scripted_server.py", script), Scripted)
end

local Sni = setmetatable({}, { __index = Server })
Sni.__index = Sni

-- The server name of each TLS handshake, in order ("" when none was sent).
function Sni:names()
    return load_records(self.dir .. "/names.lua")
end

function servers.sni(options)
    return setmetatable(start_python("sni_server.py", options), Sni)
end

-- A port nobody listens on now (the system hands out one for a socket bound
-- to port 0), for a server that cannot bind port 0 itself.
local function free_port()
    local probe = assert(socket.bind("127.0.0.1", 0))
    local _, port = probe:getsockname()
    probe:close()
    return tonumber(port)
end
servers.free_port = free_port

local Sink = setmetatable({}, { __index = Server })
Sink.__index = Sink

-- smtp-sink dumps each transaction to a file of its own in DIR/dump (in
-- completion order by modification time): its X-Helo-Args, X-Mail-Args and
-- X-Rcpt-Args headers, a three-line Received header, the unstuffed message
-- with LF line ends, and an empty line.
function Sink:received()
    local transactions = {}
    local names = capture("ls -1rt " .. quote(self.dir .. "/dump"))
    for name in names:gmatch("[^\n]+") do
        local text = read_file(self.dir .. "/dump/" .. name)
        local transaction = { rcpt_tos = {} }
        local data -- the message lines, once past smtp-sink's headers
        local skip -- lines of the Received header still to skip
        for line in text:gmatch("([^\n]*)\n") do
            if data then
                data[#data + 1] = line .. "\r\n"
            elseif skip then
                skip = skip - 1
                if skip == 0 then data = {} end
            else
                local field, value = line:match("^([%w-]+): (.*)$")
                if field == "X-Helo-Args" then
                    transaction.helo = value
                elseif field == "X-Mail-Args" then
                    transaction.mail_from = value:match("<([^>]*)>") or value
                elseif field == "X-Rcpt-Args" then
                    table.insert(transaction.rcpt_tos, value:match("<([^>]*)>") or value)
                elseif field == "Received" then
                    skip = 2
                end
            end
        end
        if data then -- else the dump is still being written
            data[#data] = nil -- the empty line smtp-sink adds
            transaction.data = table.concat(data)
            transactions[#transactions + 1] = transaction
        end
    end
    return transactions
end

-- smtp-sink refuses to run as root without -u, and then writes its dumps as
-- that user, so the dump directory must be open to it. With dump = false it
-- writes none: a file per message would fill the disk in a long run.
function servers.smtp_sink(options)
    options = options or {}
    local dir = temporary_directory()
    local port = free_port()
    local dump = ""
    if options.dump ~= false then
        execute(("chmod 755 %s && mkdir -m 777 %s"):format(quote(dir), quote(dir .. "/dump")))
        dump = "-d " .. quote(dir .. "/dump/") .. " "
    end
    local user = capture("id -u"):match("^0\n") and "-u nobody " or ""
    local args = {}
    for i, arg in ipairs(options.args or {}) do args[i] = quote(arg) end
    local command = ("/usr/sbin/smtp-sink %s%s%s 127.0.0.1:%d 100"):format(
        user, dump, table.concat(args, " "), port)
    return setmetatable(start(dir, command, function()
        local client = socket.connect("127.0.0.1", port)
        if client then client:close() return port end
    end), Sink)
end

return servers
