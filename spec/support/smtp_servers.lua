-- Real SMTP servers for the specs, each a process of its own on a free
-- 127.0.0.1 port:
--
--   servers.aiosmtpd{ auth = true, delay = s, reject_rcpt = "a@b", silent = true,
--                     tls = { cert = path, key = path }, tls_mode = "starttls" or "implicit",
--                     reject = { ["<a@b>"] = "550 5.1.1 no such user" },
--                     advertise = { "SMTPUTF8", "DSN", "PIPELINING", "ENHANCEDSTATUSCODES" },
--                     hide = { "SIZE", "8BITMIME" }, port = 465 }  -- a fixed port
--   servers.smtp_sink{ args = { "-p", ... } }   -- extra smtp-sink options
--   servers.smtp_sink{ dump = false }            -- keeps nothing: for many or
--                                                -- huge messages; no :received()
--   servers.scripted{ steps = { RCPT = { reply = "550 no" } }, extensions = {...}, delay = s,
--                     tls = { cert = path, key = path }, tls_extensions = {...},
--                     tls_mode = "implicit" }
--   servers.sni{ cert = path, key = path }   -- implicit TLS; :names() lists each
--                                            -- handshake's SNI name ("" for none)
--   servers.free_port()                      -- a port nobody listens on now
--   servers.stop_all()                       -- stops every process for good,
--                                            -- postfix_server.lua's too
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
-- { helo =, mail_from =, rcpt_tos = {...}, data = "...\r\n", ... }; aiosmtpd's
-- add mail_options = { "SIZE=12", ... } and rcpt_options = { { "NOTIFY=NEVER" },
-- ... }, one list per accepted recipient, each parameter as sent; the
-- Python servers add tls = true or false, whether the transaction ran over
-- TLS) and, for the scripted server, :transcript() (every line clients sent,
-- without line ends, plain text and TLS alike) and :tls_transcript() (the
-- lines sent over TLS only, after STARTTLS). The Python servers' :settle()
-- waits until every connection they accepted has ended, so that their
-- records hold all that clients sent, and returns the server; their
-- :connections() waits so too, and counts the connections they accepted.
--
-- Starting a process takes a quarter to half a second, so processes are
-- reused (server_pool.lua): :stop() hands the process back, and the next
-- call for the same kind gets it as a fresh server, with empty records, a
-- new script for the scripted server, and the same port. aiosmtpd, sni and
-- smtp-sink processes are reused for the same options only. A reset cuts
-- the Python servers' open connections (see server_process.py); smtp-sink
-- cannot be told to, so a connection left open by an earlier holder could
-- still deliver there. busted_helper.lua releases the servers a test took
-- when it ends, and stops every process when the spec file ends. Every
-- process runs under `timeout`, so none outlives the run by long even if
-- nothing stops it.

local socket = require("socket")
local files = require("files")
local pool = require("server_pool")

local quote, read_file, write_file, capture, execute =
    files.quote, files.read, files.write, files.capture, files.execute

local servers = {}

local HERE = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
-- Debian's Python, which has aiosmtpd; the python3 on PATH may not.
local PYTHON = "/usr/bin/python3"
local LIFETIME = 300 -- seconds
-- A process is reused only this long after its start, so that whoever
-- takes it has most of LIFETIME left.
local REUSE_WITHIN = 60 -- seconds
local START_WAIT = 10 -- seconds, for a start or a reset
local SETTLE_WAIT = 5 -- seconds

-- Calls check every `interval` seconds (20 ms by default) until it returns
-- a true value, which it returns, or until `seconds` have passed (then nil).
local function wait_until(seconds, check, interval)
    local deadline = socket.gettime() + seconds
    repeat
        local result = check()
        if result then return result end
        socket.sleep(interval or 0.02)
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
-- Object keys are sorted, so that equal options give equal text (the pool's
-- key).
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
        table.sort(items)
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

-- A server process: .pid (`timeout`'s, which leads a process group of its
-- own, holding the server), .dir, .port, .started.
local Process = {}
Process.__index = Process

-- Stops the processes (TERM, then KILL; killing a group reaches both
-- `timeout` and the server) and removes their directories.
local function stop_processes(processes)
    for _, signal in ipairs({ "TERM", "KILL" }) do
        local targets = {}
        for _, process in ipairs(processes) do
            if alive(process.pid) then
                targets[#targets + 1] = ("-%d %d"):format(process.pid, process.pid)
            end
        end
        if #targets == 0 then break end
        execute(("kill -%s %s 2>/dev/null"):format(signal, table.concat(targets, " ")))
        wait_until(2, function()
            for _, process in ipairs(processes) do
                if alive(process.pid) then return false end
            end
            return true
        end)
    end
    for _, process in ipairs(processes) do
        assert(not alive(process.pid), "server process " .. process.pid .. " did not stop")
        files.remove(process.dir)
    end
end

function Process:stop()
    stop_processes({ self })
end

function Process:young()
    return socket.gettime() - self.started < REUSE_WITHIN
end

-- Stops every process for good: those started here all at once, so that
-- their waits overlap, and any other kind (postfix_server.lua's) by its own
-- stop().
function servers.stop_all()
    local ours = {}
    for _, process in ipairs(pool.take_all()) do
        if process.stop == Process.stop then ours[#ours + 1] = process else process:stop() end
    end
    stop_processes(ours)
end

-- Starts `command` (a shell command; its output goes to DIR/log) under
-- `timeout` and waits until ready(process) returns true, having set
-- process.port.
local function start(dir, command, ready)
    execute(("timeout %d %s >%s 2>&1 </dev/null & echo $! >%s"):format(
        LIFETIME, command, quote(dir .. "/log"), quote(dir .. "/pid")))
    local process = setmetatable({ dir = dir, started = socket.gettime() }, Process)
    process.pid = assert(tonumber(read_file(dir .. "/pid")), "no server pid")
    local started = wait_until(START_WAIT, function()
        return ready(process) or not alive(process.pid) and "exited"
    end)
    if started ~= true then
        local log = read_file(dir .. "/log") or ""
        process:stop()
        error(("server did not start (%s): %s\n%s"):format(started or "timed out", command, log))
    end
    return process
end

local function temporary_directory()
    return files.temporary_directory("smtp_servers")
end

-- What the caller holds: a lease on a process from the pool, with the
-- process's .host, .port, .dir and .pid.
local Server = {}
Server.__index = Server

local function lease(class, key, start_process, reuse)
    local server = pool.acquire(key, start_process, reuse)
    local process = server.process
    server.host, server.port, server.dir, server.pid = "127.0.0.1", process.port, process.dir, process.pid
    return setmetatable(server, class)
end

-- Hands the process back to the pool; it may be called again.
function Server:stop()
    pool.release(self)
end

-- Records are read only while the server is held: then they are its
-- holder's.
local function check_held(server)
    assert(pool.holds(server), "the server was stopped, or its test ended")
end

-- The values in the record file DIR/name.lua.
function Server:records(name)
    check_held(self)
    return load_records(self.dir .. "/" .. name .. ".lua")
end

local Python = setmetatable({}, { __index = Server })
Python.__index = Python

function Python:received()
    return self:records("received")
end

function Python:settle()
    local settled = wait_until(SETTLE_WAIT, function()
        local open = 0
        for _, event in ipairs(self:records("connections")) do
            open = open + (event == "opened" and 1 or -1)
        end
        return open == 0
    end, 0.005)
    assert(settled, "a connection to the server is still open")
    return self
end

-- How many connections the server accepted, once all have ended.
function Python:connections()
    return #self:settle():records("connections") / 2
end

-- Writes DIR/name through a temporary file and a rename, so that the
-- server never reads half of it.
local function put(dir, name, text)
    write_file(dir .. "/" .. name .. ".tmp", text)
    assert(os.rename(dir .. "/" .. name .. ".tmp", dir .. "/" .. name))
end

-- A Python server announces "PORT PID" in DIR/port once it listens.
local function start_python(script, options)
    local dir = temporary_directory()
    put(dir, "options.json", json(options))
    return start(dir, ("%s %s %s"):format(PYTHON, quote(HERE .. script), quote(dir)), function(process)
        local port, pid = (read_file(dir .. "/port") or ""):match("^(%d+) (%d+)\n")
        if not port then return false end
        process.port, process.server_pid, process.generation = tonumber(port), tonumber(pid), 0
        return true
    end)
end

-- Resets a Python server for new options (SIGHUP, see server_process.py);
-- false when it is too old, or did not acknowledge.
local function reset_python(process, options)
    if not process:young() then return false end
    put(process.dir, "options.json", json(options))
    process.generation = process.generation + 1
    local acknowledged = tostring(process.generation) .. "\n"
    return execute("kill -HUP " .. process.server_pid) and wait_until(START_WAIT, function()
        return read_file(process.dir .. "/generation") == acknowledged
    end, 0.002) ~= nil
end

-- A server of the Python script `script`, reused only with the same
-- options unless `any_options`.
local function python_server(class, script, options, any_options)
    options = options or {}
    local key = script .. (any_options and "" or " " .. json(options))
    return lease(class, key, function()
        return start_python(script, options)
    end, function(process)
        return reset_python(process, options)
    end)
end

function servers.aiosmtpd(options)
    return python_server(Python, "aiosmtpd_server.py", options)
end

local Scripted = setmetatable({}, { __index = Python })
Scripted.__index = Scripted

function Scripted:transcript()
    return self:records("transcript")
end

function Scripted:tls_transcript()
    return self:records("tls_transcript")
end

function servers.scripted(script)
    return python_server(Scripted, "scripted_server.py", script, true)
end

local Sni = setmetatable({}, { __index = Python })
Sni.__index = Sni

-- The server name of each TLS handshake, in order ("" when none was sent).
function Sni:names()
    return self:records("names")
end

function servers.sni(options)
    return python_server(Sni, "sni_server.py", options)
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
    check_held(self)
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
local function start_sink(options)
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
    return start(dir, command, function(process)
        local client = socket.connect("127.0.0.1", port)
        if not client then return false end
        client:close()
        process.port = port
        return true
    end)
end

-- A reused smtp-sink starts with no dumps.
local function reset_sink(process)
    return process:young() and alive(process.pid)
        and execute(("rm -f %s/*"):format(quote(process.dir .. "/dump")))
end

function servers.smtp_sink(options)
    options = options or {}
    return lease(Sink, "smtp_sink " .. json(options), function()
        return start_sink(options)
    end, reset_sink)
end

-- For servers kept elsewhere (postfix_server.lua): the base classes of
-- processes (:young()) and leases (:stop()), the lease itself and its
-- check, JSON for the pool's keys, and the wait.
servers.Process, servers.Server, servers.lease, servers.check_held, servers.json, servers.wait_until =
    Process, Server, lease, check_held, json, wait_until

return servers
