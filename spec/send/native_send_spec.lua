-- Sending a message made by smtp.message: send recognises the module's own
-- source and takes its pieces in Rust, and the files of smtp.attach parts
-- too, without a Lua call per piece or chunk. The bytes must be those the
-- Lua source gives; a script's own body sources are still called from Lua,
-- with the message source's error rules.

local socket = require("socket")
local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local mail = require("mail")
local servers = require("smtp_servers")
local normalize = require("normalize").normalize
local files = require("files")

local PATHS = {
    { name = "natively" },
    { name = "with create = socket.tcp", create = socket.tcp },
}

local DATE = "Thu, 01 Jan 2026 00:00:00 +0000"

-- A multipart message with `count` text parts; a fresh one each call.
local function message(count, extra)
    local body = { preamble = "preamble" }
    for i = 1, count do
        body[i] = { headers = { ["content-id"] = "<" .. i .. ">" }, body = ".part " .. i .. "\r\n" }
    end
    body[#body + 1] = extra
    return smtp.message{ headers = { date = DATE, subject = "native" }, body = body }
end

-- What the message's own Lua source gives, dot-stuffed as DATA carries it
-- and unstuffed back by the server: the same bytes plus the CRLF the
-- terminator adds.
local function pulled(source)
    local chunks = {}
    assert(ltn12.pump.all(source, (ltn12.sink.table(chunks))))
    return table.concat(chunks) .. "\r\n"
end

-- Lua function calls made while `f` runs (C functions not counted). LuaJIT
-- calls no hook from compiled code, so its compiler is off meanwhile.
local function lua_calls(f)
    local calls = 0
    if jit then jit.off() end
    debug.sethook(function()
        if debug.getinfo(2, "S").what ~= "C" then calls = calls + 1 end
    end, "c")
    local ok, err = pcall(f)
    debug.sethook()
    if jit then jit.on() end
    assert(ok, err)
    return calls
end

for _, path in ipairs(PATHS) do
    describe("smtp.send with a source from smtp.message, " .. path.name, function()
        local server
        before_each(function() server = servers.aiosmtpd{} end)

        local function send(source)
            return mail.send(smtp.send, { server = server.host, port = server.port, create = path.create,
                from = "<a@example.com>", rcpt = "<b@example.com>", source = source })
        end

        it("delivers the bytes the message's Lua source gives", function()
            assert.are.equal(1, send(message(3)))
            local expected = pulled(message(3))
            assert.are.equal(normalize(expected), normalize(server:received()[1].data))
        end)

        it("makes no Lua call per piece", function()
            local few = lua_calls(function() assert(send(message(2))) end)
            local many = lua_calls(function() assert(send(message(200))) end)
            -- A call per piece would add 198 or more; LuaJIT's hooks may
            -- miss or add one or two whatever the path.
            assert.is_true(many - few < 10, ("%d calls for 2 parts, %d for 200"):format(few, many))
        end)

        it("takes over from Lua when the script pulled the source first", function()
            local source = message(2)
            local first = assert(source())
            local ok, err = send(function()
                if first then
                    local chunk = first
                    first = nil
                    return chunk
                end
                return source()
            end)
            assert.are.equal(1, ok, err)
            assert.is_truthy(server:received()[1].data:find("Subject: native", 1, true))
            assert.are.same({ nil, "cannot resume dead coroutine" }, { source() })
        end)

        it("says the message ended when pulled after sending it", function()
            local source = message(1)
            assert(send(source))
            assert.are.same({ nil, "cannot resume dead coroutine" }, { source() })
        end)

        it("calls a script's body source from Lua, and returns its error", function()
            local calls = 0
            local failing = { body = function()
                calls = calls + 1
                if calls == 1 then return "first chunk\r\n" end
                return nil, "source broke"
            end }
            local source = message(1, failing)
            assert.are.same({ nil, "source broke" }, { send(source) })
            assert.are.equal(2, calls)
            assert.are.same({ nil, "cannot resume dead coroutine" }, { source() })
            assert.are.equal(0, #server:received())
        end)

        it("turns an error a body source raises into nil, err", function()
            local raising = { body = function() error("raised in the source", 0) end }
            assert.are.same({ nil, "raised in the source" }, { send(message(1, raising)) })
        end)

        it("refuses a body source that pulls its own message", function()
            local source
            local greedy = { body = function() return source() end }
            source = message(1, greedy)
            assert.are.same({ nil, "cannot resume non-suspended coroutine" }, { send(source) })
        end)

        it("reads smtp.attach files in parts without a Lua call per chunk", function()
            local dir = files.temporary_directory("native_send_spec")
            finally(function() files.remove(dir) end)
            local small, large = dir .. "/small.bin", dir .. "/large.bin"
            files.write(small, string.rep("x", 1000))
            -- 4 MB: 72 chunks of 57 KiB.
            files.write(large, string.rep("0123456789", 400000))
            local function with(file)
                return message(1, { headers = { ["content-transfer-encoding"] = "BASE64" },
                    body = smtp.attach{ path = file } })
            end
            local few = lua_calls(function() assert(send(with(small))) end)
            local many = lua_calls(function() assert(send(with(large))) end)
            assert.is_true(many - few < 10, ("%d calls for 1 KB, %d for 4 MB"):format(few, many))
            local expected = pulled(with(large))
            assert.are.equal(normalize(expected), normalize(server:received()[2].data))
        end)
    end)
end
