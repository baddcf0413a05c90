-- Benchmark, not a test: the DKIM rows of bench/run.sh with our smtp.dkim,
-- each as one machine-readable line.
--
--   lua5.4 bench/dkim_rate.lua rate KEY MESSAGE WARMUP MAX_COUNT SECONDS
--       After WARMUP messages, neither timed nor counted, until MAX_COUNT
--       messages are signed or SECONDS have passed: signs the message of
--       the file MESSAGE (read into memory once) with smtp.dkim, a new
--       signer from the dkim table for each message as smtp.send{ dkim = }
--       makes one, and reads the signed message to its end. Prints
--         impl=... messages=N seconds=S cpu=C
--   lua5.4 bench/dkim_rate.lua file KEY MESSAGE FILE_BYTES
--       Signs the message of the file MESSAGE, read as it is signed, and
--       reads the signed message to its end. Prints
--         impl=... bytes=FILE_BYTES seconds=S cpu=C peak_rss_kb=K
--       (FILE_BYTES: the attached file's size, which MB/s counts).
--
-- KEY is a PEM private key (RSA or Ed25519: the algorithm is the key's),
-- for d=example.com, s=bench, relaxed/relaxed. A failure goes to stderr,
-- with exit status 1. Lua 5.1-5.4 and LuaJIT.

local smtp = require("socket.smtp")
local ltn12 = require("ltn12")
local socket = require("socket") -- gettime() on every interpreter

local mode, key_path, message_path = arg[1], arg[2], arg[3]
if not (key_path and message_path and (mode == "rate" and arg[6] or mode == "file" and arg[4])) then
    io.stderr:write("usage: ", arg[0], " rate KEY MESSAGE WARMUP MAX_COUNT SECONDS\n",
        "       ", arg[0], " file KEY MESSAGE FILE_BYTES\n")
    os.exit(2)
end

local function read(path)
    local file = assert(io.open(path, "rb"))
    local data = file:read("*a")
    file:close()
    return data
end

local dkim = { domain = "example.com", selector = "bench", key = read(key_path) }
local impl = smtp._VERSION:gsub("%s+", "_")

-- Signs the message `source` gives and reads the result to its end.
local function sign(source)
    local signed = smtp.dkim(source, dkim)
    local ok, err = ltn12.pump.all(signed, ltn12.sink.null())
    if not ok then
        io.stderr:write("signing failed: ", tostring(err), "\n")
        os.exit(1)
    end
end

if mode == "rate" then
    local message = read(message_path)
    local warmup, max_count, seconds = tonumber(arg[4]), tonumber(arg[5]), tonumber(arg[6])
    for _ = 1, warmup do sign(ltn12.source.string(message)) end
    local signed, elapsed = 0, 0
    local start, start_cpu = socket.gettime(), os.clock()
    repeat
        sign(ltn12.source.string(message))
        signed = signed + 1
        elapsed = socket.gettime() - start
    until signed >= max_count or elapsed >= seconds
    print(("impl=%s messages=%d seconds=%.6f cpu=%.6f"):format(impl, signed, elapsed, os.clock() - start_cpu))
else
    local start, start_cpu = socket.gettime(), os.clock()
    local file = assert(io.open(message_path, "rb"))
    sign(function() return file:read(65536) end)
    local seconds, cpu = socket.gettime() - start, os.clock() - start_cpu
    local peak = read("/proc/self/status"):match("VmHWM:%s*(%d+)") or "NA"
    print(("impl=%s bytes=%d seconds=%.6f cpu=%.6f peak_rss_kb=%s"):format(
        impl, tonumber(arg[4]), seconds, cpu, peak))
end
