-- Benchmark, not a test: smtp.send in a loop, one connection per message,
-- reporting the rate as one machine-readable line.
--
--   lua5.4 bench/send_rate.lua PORT MESSAGE_FILE MAX_COUNT SECONDS
--
-- Sends MESSAGE_FILE to two recipients on 127.0.0.1:PORT until MAX_COUNT
-- messages are sent or SECONDS have passed, then prints
-- "impl=... messages=N seconds=S". Whichever socket.smtp LUA_PATH/LUA_CPATH
-- select is measured (ours, or LuaSocket's); bench/send_rate.sh runs both.
-- The first failure (nil, err, or an error raised) is written to stderr,
-- with exit status 1. Lua 5.1-5.4 and LuaJIT.

local smtp = require("socket.smtp")
local ltn12 = require("ltn12")
-- LuaSocket, for gettime() on every interpreter. It is the wall clock, not
-- a monotonic one, but a run lasts seconds: only a clock step would show.
local socket = require("socket")

local port, path = tonumber(arg[1]), arg[2]
local max_count, seconds = tonumber(arg[3]), tonumber(arg[4])
if not (port and path and max_count and seconds) then
    io.stderr:write("usage: ", arg[0], " PORT MESSAGE_FILE MAX_COUNT SECONDS\n")
    os.exit(2)
end

local file = assert(io.open(path, "rb"))
local message = file:read("*a")
file:close()

local rcpt = { "<one@example.com>", "<two@example.com>" }

local sent, elapsed = 0, 0
local start = socket.gettime()
repeat
    -- pcall: while smtp.send is missing or unfinished it may raise.
    local ok, r, e = pcall(smtp.send, {
        from = "<bench@example.com>",
        rcpt = rcpt,
        source = ltn12.source.string(message),
        server = "127.0.0.1",
        port = port,
    })
    if not ok or not r then
        io.stderr:write("message ", sent + 1, ": ", tostring(ok and e or r), "\n")
        os.exit(1)
    end
    sent = sent + 1
    elapsed = socket.gettime() - start
until sent >= max_count or elapsed >= seconds

-- _VERSION is ours ("luasmtp x.y.z"); LuaSocket's smtp module has none.
-- Spaces become "_" so every field stays one key=value word.
local impl = (smtp._VERSION or socket._VERSION):gsub("%s+", "_")
print(("impl=%s messages=%d seconds=%.6f"):format(impl, sent, elapsed))
