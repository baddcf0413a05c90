-- Benchmark, not a test: one message carrying a file as a base64 attachment,
-- sent with smtp.send, as one machine-readable line. bench/run.sh runs it.
--
--   lua5.4 bench/attachment.lua PORT FILE chain|attach
--
-- chain:  the part body is LuaSocket's classic ltn12 chain,
--         ltn12.source.file -> mime.encode("base64") -> mime.wrap()
-- attach: the part body is smtp.attach{ path = FILE, encoding = "base64" }
--         (ours only; LuaSocket has no attach)
--
-- Prints
--   impl=... bytes=B seconds=S cpu=C peak_rss_kb=K
-- where B is the FILE's size (what MB/s is counted in), S the wall seconds
-- of building and sending the message, C this process's CPU seconds over
-- the same span and K its peak resident set size (VmHWM) at the end.
-- When smtp.attach does not exist, prints "impl=... unavailable=smtp.attach"
-- instead, with status 0: the same script measures LuaSocket, which has none.
--
-- Whichever socket.smtp LUA_PATH/LUA_CPATH select is measured (ours, or
-- LuaSocket's). A failure is written to stderr, with exit status 1.
-- Lua 5.1-5.4 and LuaJIT.

local smtp = require("socket.smtp")
local ltn12 = require("ltn12")
local mime = require("mime")
local socket = require("socket") -- gettime() on every interpreter

local port, path, mode = tonumber(arg[1]), arg[2], arg[3]
if not (port and path and (mode == "chain" or mode == "attach")) then
    io.stderr:write("usage: ", arg[0], " PORT FILE chain|attach\n")
    os.exit(2)
end

-- _VERSION is ours ("luasmtp x.y.z"); LuaSocket's smtp module has none.
-- Spaces become "_" so every field stays one key=value word.
local impl = (smtp._VERSION or socket._VERSION):gsub("%s+", "_")

if mode == "attach" and smtp.attach == nil then
    print(("impl=%s unavailable=smtp.attach"):format(impl))
    os.exit(0)
end

local file = assert(io.open(path, "rb"))
local bytes = file:seek("end")
file:close()

local start, start_cpu = socket.gettime(), os.clock()

local body
if mode == "chain" then
    body = ltn12.source.chain(
        ltn12.source.file(assert(io.open(path, "rb"))),
        ltn12.filter.chain(mime.encode("base64"), mime.wrap()))
else
    body = smtp.attach{ path = path, encoding = "base64" }
end

local ok, r, e = pcall(smtp.send, {
    from = "<bench@example.com>",
    rcpt = { "<one@example.com>", "<two@example.com>" },
    server = "127.0.0.1",
    port = port,
    source = smtp.message{
        headers = {
            from = "Bench <bench@example.com>",
            to = "One <one@example.com>, Two <two@example.com>",
            subject = "attachment bench",
        },
        body = {
            {
                headers = {
                    ["content-type"] = 'application/octet-stream; name="file.bin"',
                    ["content-disposition"] = 'attachment; filename="file.bin"',
                    ["content-transfer-encoding"] = "BASE64",
                },
                body = body,
            },
        },
    },
})
local seconds = socket.gettime() - start
local cpu = os.clock() - start_cpu
if not ok or not r then
    e = ok and e or r
    if type(e) == "table" then e = e[1] end
    io.stderr:write("send failed: ", tostring(e), "\n")
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

print(("impl=%s bytes=%d seconds=%.6f cpu=%.6f peak_rss_kb=%s"):format(
    impl, bytes, seconds, cpu, peak))
