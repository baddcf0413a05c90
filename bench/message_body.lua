-- Benchmark, not a test: stream a large body through smtp.message and count
-- the bytes, reporting wall time and peak RSS as one machine-readable line.
--
--   lua5.4 bench/message_body.lua <total_bytes>
--
-- Whichever socket.smtp LUA_PATH/LUA_CPATH select is measured (ours, or
-- LuaSocket's); bench/message_body.sh runs both. Lua 5.1-5.4 and LuaJIT.

local smtp = require("socket.smtp")
local ltn12 = require("ltn12")
local socket = require("socket") -- LuaSocket, for gettime() on every interpreter

local total = tonumber(arg[1])
if not total or total < 0 then
    io.stderr:write("usage: ", arg[0], " <total_bytes>\n")
    os.exit(2)
end

-- One chunk of ltn12.BLOCKSIZE bytes (2 KiB, what ltn12's file and string
-- sources produce), built once and returned again and again, so the body
-- source costs (almost) nothing and never allocates: what we time and what
-- grows RSS is smtp.message itself. Text lines of 62 characters + CRLF, like
-- a real body, in case an implementation looks inside the chunks.
local line = string.rep("x", 62) .. "\r\n"
local chunk = string.rep(line, ltn12.BLOCKSIZE / #line)
assert(#chunk == ltn12.BLOCKSIZE)

-- Returns whole chunks until at least `total` bytes are out, then nil.
local produced = 0
local function body()
    if produced >= total then return nil end
    produced = produced + #chunk
    return chunk
end

local message = smtp.message{
    headers = { subject = "bench", from = "a@example.com" },
    body = body,
}

-- Counts and drops: nothing is kept, so RSS reflects only the source side.
local count = 0
local function sink(data, err)
    if data then count = count + #data end
    return 1
end

local start = socket.gettime()
local ok, err = ltn12.pump.all(message, sink)
local seconds = socket.gettime() - start
if not ok then
    io.stderr:write("pump failed: ", tostring(err), "\n")
    os.exit(1)
end

-- Peak resident set size of this process (VmHWM, Linux only), in kB.
local peak = "NA"
local status = io.open("/proc/self/status", "r")
if status then
    for l in status:lines() do
        local kb = l:match("^VmHWM:%s*(%d+)")
        if kb then peak = kb break end
    end
    status:close()
end

-- count includes the headers, so it must reach at least the body size.
if count < total then
    io.stderr:write(("short message: %d bytes, expected >= %d\n"):format(count, total))
    os.exit(1)
end

-- _VERSION is ours ("luasmtp x.y.z"); LuaSocket's smtp module has none.
-- Spaces become "_" so every field stays one key=value word.
local impl = (smtp._VERSION or "LuaSocket"):gsub("%s+", "_")
print(("impl=%s bytes=%d seconds=%.6f peak_rss_kb=%s"):format(impl, count, seconds, peak))
