-- smtp.send and smtp.open with a create() whose socket methods yield: the
-- module makes every socket call from Lua, outside any pcall, so a coroutine
-- scheduler (our own in yielding_socket.lua, on every interpreter, and copas
-- where it loads) can run many sends at once.
--
-- COROUTINE_SPEC_TIMES=1 prints the overlap timings to stderr.

local socket = require("socket")
local ltn12 = require("ltn12")
local mail = require("mail")
local overlap = require("overlap")
local servers = require("smtp_servers")
local yielding = require("yielding_socket")
local load_luasocket = require("luasocket_smtp")

local unpack = table.unpack or unpack

-- Copas's socket.protect and newtry are swapped in for the copas block only.
local optional = require("optional_copas")
local copas = optional.copas
local protect, newtry = socket.protect, socket.newtry

local smtp = require("socket.smtp")

-- The socket calls that must each suspend the coroutine (setoption is
-- called through pcall, so it must not yield).
local YIELDING_CALLS = { "settimeout", "connect", "send", "receive", "close" }

local function report(format, ...)
    if os.getenv("COROUTINE_SPEC_TIMES") then
        io.stderr:write(("[%s] " .. format .. "\n"):format(os.getenv("SPEC_LUA") or _VERSION, ...))
    end
end

-- A function sending mail.MESSAGE to `to` through `module` (ours by
-- default); `fields` adds to or replaces smtp.send's fields.
local function sender(server, to, fields, module)
    return function()
        local t = mail.to(server, fields)
        t.rcpt = { to }
        return (module or smtp).send(t)
    end
end

local function yielding_create(stats)
    return function() return yielding.create(stats) end
end

-- Times run(functions): one send alone, then `n` (10) at once, each to
-- its own recipient. Checks that every send returned 1, that the n sends
-- overlapped, and that each message reached the server whole. Returns both
-- durations.
local function check_overlap(server, run, fields, module, n)
    local one, all, addresses = overlap.measure({
        run = run, n = n or 10, clock = socket.gettime, factor = 4,
        send_to = function(to) return sender(server, to, fields, module) end,
    })
    local records = server:received()
    for _, transaction in ipairs(records) do assert.are.equal(mail.RECEIVED, transaction.data) end
    overlap.assert_arrived(records, addresses)
    return one, all
end

describe("smtp.send with a create() whose socket yields", function()
    it("sends from a coroutine, suspending it at every socket call", function()
        local server = servers.aiosmtpd()
        local stats = {}
        local results = yielding.run({
            sender(server, "<bob@example.com>", { create = yielding_create(stats) }),
        })
        assert.are.same({ n = 1, 1 }, results[1])
        assert.are.equal(smtp.TIMEOUT, stats.timeout)
        assert.are.equal(1, stats.calls.connect)
        assert.are.equal(1, stats.calls.close)
        assert.is_true(stats.calls.send >= 4 and stats.calls.receive >= 5)
        for _, call in ipairs(YIELDING_CALLS) do
            assert.is_true(stats.yields[call] >= stats.calls[call], call .. " did not yield each time")
        end
        mail.assert_delivered(server)
    end)

    it("pumps smtp.message with ltn12.pump.step from a coroutine", function()
        local server = servers.aiosmtpd()
        local results = yielding.run({ function()
            return smtp.send({
                from = "<alice@example.com>",
                rcpt = "<bob@example.com>",
                source = smtp.message({ headers = { subject = "hi" }, body = "one\r\n.two" }),
                step = ltn12.pump.step,
                server = server.host,
                port = server.port,
                create = yielding_create(),
            })
        end })
        assert.are.same({ n = 1, 1 }, results[1])
        local received = server:received()
        assert.are.equal(1, #received)
        assert.matches("\r\n\r\none\r\n%.two\r\n$", received[1].data)
    end)

    it("overlaps ten sends from ten coroutines", function()
        local server = servers.aiosmtpd({ delay = 0.1 })
        local one, ten = check_overlap(server, yielding.run, { create = yielding_create() })
        report("yielding scheduler, ours: one send %.3f s, ten at once %.3f s", one, ten)
    end)

    it("returns nil, err in the coroutine on failure, and the others go on", function()
        local server = servers.aiosmtpd({ delay = 0.1, reject_rcpt = "bad@example.com" })
        local probe = assert(socket.bind("127.0.0.1", 0))
        local _, free_port = probe:getsockname()
        probe:close()
        local rejected, refused, good = {}, {}, {}
        local results = yielding.run({
            sender(server, "<bad@example.com>", { create = yielding_create(rejected) }),
            sender(server, "<x@example.com>", { create = yielding_create(refused), port = tonumber(free_port) }),
            sender(server, "<good@example.com>", { create = yielding_create(good) }),
        })
        local reply = "550 5.1.1 <bad@example.com>: Recipient address rejected"
        assert.are.same({ n = 3, nil, reply, { step = "rcpt", code = 550, status = "5.1.1",
            transient = false, reply = reply } }, results[1])
        assert.are.same({ n = 3, nil, "connection refused", { step = "connect", transient = true } }, results[2])
        assert.are.same({ n = 1, 1 }, results[3])
        -- each failed session closed its socket
        assert.are.equal(1, rejected.calls.close)
        assert.are.equal(1, refused.calls.close)
        local received = server:received()
        assert.are.equal(1, #received)
        assert.are.same({ "good@example.com" }, received[1].rcpt_tos)
    end)
end)

describe("smtp.open with a create() whose socket yields", function()
    it("runs greet, mail, rcpt, data, send, quit and close in a coroutine", function()
        local server = servers.aiosmtpd({ delay = 0.05 })
        local stats = {}
        local results = yielding.run({ function()
            local session = smtp.open(server.host, server.port, yielding_create(stats))
            local extensions = session:greet("example.org")
            local from = session:mail("<alice@example.com>")
            local rcpt = session:rcpt("<bob@example.com>")
            local data = session:data(ltn12.source.string(mail.MESSAGE))
            session:send(mail.to(nil, { from = "<carol@example.com>", rcpt = "<dave@example.com>" }))
            local quit = session:quit()
            return extensions, from, rcpt, data, quit, session:close()
        end })
        local extensions, from, rcpt, data, quit, closed = unpack(results[1], 1, 6)
        assert.matches("^250%-aiosmtpd\n", extensions)
        assert.are.same({ 250, 250, 250, 221, 1 }, { from, rcpt, data, quit, closed })
        for _, call in ipairs(YIELDING_CALLS) do
            assert.is_true(stats.yields[call] >= stats.calls[call], call .. " did not yield each time")
        end
        local received = server:received()
        assert.are.equal(2, #received)
        assert.are.equal("example.org", received[1].helo)
        assert.are.same({ "bob@example.com" }, received[1].rcpt_tos)
        assert.are.same({ "dave@example.com" }, received[2].rcpt_tos)
        assert.are.equal(mail.RECEIVED, received[2].data)
    end)
end)

-- Debian's copas 1.1.7 loads on Lua 5.1, 5.2 and LuaJIT only; elsewhere this
-- block is left out.
if copas then
    local copas_socket = require("copas_socket")(copas)

    describe("smtp.send under copas", function()
        local server
        setup(function() socket.protect, socket.newtry = optional.protect, optional.newtry end)
        teardown(function() socket.protect, socket.newtry = protect, newtry end)
        before_each(function() server = servers.aiosmtpd({ delay = 0.1 }) end)

        it("overlaps ten sends from ten copas threads", function()
            local one, ten = check_overlap(server, copas_socket.run, { create = copas_socket.create })
            report("copas, ours: one send %.3f s, ten at once %.3f s", one, ten)
        end)

        -- The reference, loaded after copas as a copas program would load it,
        -- so its smtp.send is wrapped in copas's socket.protect. (Loaded
        -- before copas, its C protect makes the yield fail on Lua 5.1 and
        -- LuaJIT.)
        it("overlaps ten sends of LuaSocket's smtp.send from ten copas threads", function()
            local one, ten = check_overlap(server, copas_socket.run, { create = copas_socket.create },
                load_luasocket())
            report("copas, LuaSocket: one send %.3f s, ten at once %.3f s", one, ten)
        end)
    end)
end
