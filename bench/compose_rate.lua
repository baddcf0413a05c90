-- Benchmark, not a test: the compose row of bench/run.sh, through our
-- smtp.compose and smtp.send, as one machine-readable line.
--
--   lua5.4 bench/compose_rate.lua PORT FIXTURE_DIR ATTACHMENT WARMUP MAX_COUNT SECONDS
--
-- After WARMUP messages, neither timed nor counted (the other clients'
-- lazy loading and JIT warm up there), until MAX_COUNT messages are sent
-- or SECONDS have passed: composes the
-- message of FIXTURE_DIR (bench/compose: fields, text.txt, body.html) with
-- smtp.compose, the bytes of the file ATTACHMENT (read into memory once)
-- given as its attachment's data, and sends it with smtp.send, one
-- connection per message, to 127.0.0.1:PORT. Prints
--   impl=... messages=N seconds=S cpu=C
-- like bench/send_rate.lua. The first failure (nil, err, or an error
-- raised) goes to stderr, with exit status 1.
-- Lua 5.1-5.4 and LuaJIT.

local smtp = require("socket.smtp")
-- LuaSocket, for gettime() on every interpreter (see send_rate.lua).
local socket = require("socket")

local port, dir, attachment = tonumber(arg[1]), arg[2], arg[3]
local warmup, max_count, seconds = tonumber(arg[4]), tonumber(arg[5]), tonumber(arg[6])
if not (port and dir and attachment and warmup and max_count and seconds) then
    io.stderr:write("usage: ", arg[0], " PORT FIXTURE_DIR ATTACHMENT WARMUP MAX_COUNT SECONDS\n")
    os.exit(2)
end

local function read(path)
    local file = assert(io.open(path, "rb"))
    local data = file:read("*a")
    file:close()
    return data
end

local fields = {}
for line in io.lines(dir .. "/fields") do
    local name, value = line:match("^([%w_]+):%s*(.-)%s*$")
    if name then fields[name] = value end
end
local text, html = read(dir .. "/text.txt"), read(dir .. "/body.html")
local data = read(attachment)

-- A raised error as text: a session's methods raise { err }.
local function text_of(e)
    if type(e) == "table" then e = e[1] end
    return tostring(e)
end

local function send_one()
    local mesgt, envelope = smtp.compose{
        from = fields.from,
        to = { fields.to },
        subject = fields.subject,
        text = text,
        html = html,
        attachments = {
            {
                data = data,
                filename = fields.attachment_filename,
                content_type = fields.attachment_content_type,
            },
        },
    }
    return smtp.send{
        from = envelope.from,
        rcpt = envelope.rcpt,
        source = smtp.message(mesgt),
        server = "127.0.0.1",
        port = port,
    }
end

local function send_checked(n)
    local ok, r, e = pcall(send_one)
    if not ok or not r then
        io.stderr:write("message ", n, ": ", text_of(ok and e or r), "\n")
        os.exit(1)
    end
end

for n = 1, warmup do send_checked(n) end
local sent, elapsed = 0
local start, start_cpu = socket.gettime(), os.clock()
repeat
    send_checked(warmup + sent + 1)
    sent = sent + 1
    elapsed = socket.gettime() - start
until sent >= max_count or elapsed >= seconds
local cpu = os.clock() - start_cpu

-- Spaces become "_" so every field stays one key=value word.
local impl = smtp._VERSION:gsub("%s+", "_")
print(("impl=%s messages=%d seconds=%.6f cpu=%.6f"):format(impl, sent, elapsed, cpu))
