-- Benchmark, not a test: messages per second through socket.smtp, as one
-- machine-readable line. bench/run.sh runs it.
--
--   lua5.4 bench/send_rate.lua PORT MESSAGE_FILE MAX_COUNT SECONDS [reuse]
--
-- Sends MESSAGE_FILE to two recipients on 127.0.0.1:PORT until MAX_COUNT
-- messages are sent or SECONDS have passed, then prints
--   impl=... messages=N seconds=S cpu=C
-- (S wall seconds, C seconds of this process's CPU time over the same span).
--
-- Without "reuse": smtp.send, one connection per message.
-- With "reuse": one session for all of them, LuaSocket's low-level API:
--   s = smtp.open(server, port); s:greet(); s:send{...} ... ; s:quit(); s:close()
--
-- Whichever socket.smtp LUA_PATH/LUA_CPATH select is measured (ours, or
-- LuaSocket's). The first failure (nil, err, or an error raised) is written
-- to stderr, with exit status 1. Lua 5.1-5.4 and LuaJIT.

local smtp = require("socket.smtp")
local ltn12 = require("ltn12")
-- LuaSocket, for gettime() on every interpreter. It is the wall clock, not
-- a monotonic one, but a run lasts seconds: only a clock step would show.
local socket = require("socket")

local port, path = tonumber(arg[1]), arg[2]
local max_count, seconds = tonumber(arg[3]), tonumber(arg[4])
local reuse = arg[5] == "reuse"
if not (port and path and max_count and seconds) or (arg[5] and not reuse) then
    io.stderr:write("usage: ", arg[0], " PORT MESSAGE_FILE MAX_COUNT SECONDS [reuse]\n")
    os.exit(2)
end

local file = assert(io.open(path, "rb"))
local message = file:read("*a")
file:close()

local FROM = "<bench@example.com>"
local RCPT = { "<one@example.com>", "<two@example.com>" }

-- A raised error as text: LuaSocket's try raises { err }.
local function text(e)
    if type(e) == "table" then e = e[1] end
    return tostring(e)
end

local function fail(sent, e)
    io.stderr:write("message ", sent + 1, ": ", text(e), "\n")
    os.exit(1)
end

local sent, elapsed = 0, 0
local start, start_cpu = socket.gettime(), os.clock()

if reuse then
    local ok, e = pcall(function()
        local s = smtp.open("127.0.0.1", port)
        s:greet()
        repeat
            s:send{ from = FROM, rcpt = RCPT, source = ltn12.source.string(message) }
            sent = sent + 1
            elapsed = socket.gettime() - start
        until sent >= max_count or elapsed >= seconds
        s:quit()
        s:close()
    end)
    if not ok then fail(sent, e) end
else
    repeat
        local ok, r, e = pcall(smtp.send, {
            from = FROM,
            rcpt = RCPT,
            source = ltn12.source.string(message),
            server = "127.0.0.1",
            port = port,
        })
        if not ok or not r then fail(sent, ok and e or r) end
        sent = sent + 1
        elapsed = socket.gettime() - start
    until sent >= max_count or elapsed >= seconds
end
-- The session's QUIT and close count too.
elapsed = socket.gettime() - start
local cpu = os.clock() - start_cpu

-- _VERSION is ours ("luasmtp x.y.z"); LuaSocket's smtp module has none.
-- Spaces become "_" so every field stays one key=value word.
local impl = (smtp._VERSION or socket._VERSION):gsub("%s+", "_")
print(("impl=%s messages=%d seconds=%.6f cpu=%.6f"):format(impl, sent, elapsed, cpu))
