-- smtp.send and smtp.open against a server that misbehaves at each step of
-- the dialogue: ours natively, ours with create = socket.tcp (the Lua-driven
-- path), and LuaSocket's smtp against the same script as the reference.
-- Every call of ours also checks that it leaves no descriptor open.

local socket = require("socket")
local ltn12 = require("ltn12")
local servers = require("smtp_servers")
local descriptors = require("descriptors")
local faults = require("faults")
local smtp = require("socket.smtp")
local mail_helpers = require("mail")
local luasocket = require("luasocket_smtp")()

local unpack = table.unpack or unpack

local FROM, RCPT, BODY = faults.FROM, faults.RCPT, faults.BODY
local USER, PASSWORD = faults.USER, faults.PASSWORD
local at, mail_for = faults.at, faults.mail_for
local without_leaks = descriptors.without_leaks
-- The timeout of the cases that wait for one: short, since they check
-- that it comes, not how long it is.
local TIMEOUT = 0.2
-- How long such a case may take, at most: a timeout comes after TIMEOUT
-- natively, and before twice TIMEOUT with create() (a read that starts
-- just before the reply's deadline may last TIMEOUT); a second more for a
-- loaded machine.
local BOUND = 2 * TIMEOUT + 1

-- The dialogue's steps in order, as the scripted server names them.
local STEPS = {
    { label = "greeting", key = "greeting" },
    { label = "EHLO", key = "EHLO" },
    { label = "AUTH", key = "AUTH" },
    { label = "AUTH-USER", key = "AUTH-USER" },
    { label = "AUTH-PASSWORD", key = "AUTH-PASSWORD" },
    { label = "MAIL", key = "MAIL" },
    { label = "the first RCPT", key = "RCPT", rcpt_index = 1 },
    { label = "the second RCPT", key = "RCPT", rcpt_index = 2 },
    { label = "DATA", key = "DATA" },
    { label = "END", key = "END" },
    { label = "QUIT", key = "QUIT" },
}

local OURS = faults.OURS
local ALL = {
    OURS[1], OURS[2],
    { name = "LuaSocket", send = function(mail) return luasocket.send(mail) end },
}

-- Sends one message to `server` through each of `clients` (ALL unless
-- given). Returns { [client name] = { r, e } } and the seconds each took.
local function send_each(server, clients)
    local results, seconds = {}, {}
    for _, client in ipairs(clients or ALL) do
        local start = socket.gettime()
        local r, e = client.send(mail_for(server))
        seconds[client.name] = socket.gettime() - start
        results[client.name] = { r, e }
    end
    return results, seconds
end

-- Asserts that every client got `expected`, as one comparison, so that a
-- failure shows all of them.
local function assert_each(expected, results)
    local wanted = {}
    for name in pairs(results) do wanted[name] = expected end
    assert.are.same(wanted, results)
end

local function assert_timed_out(results, seconds)
    assert_each({ nil, "timeout" }, results)
    for name, took in pairs(seconds) do
        assert.is_true(took >= 0.9 * TIMEOUT and took < BOUND, name .. " took " .. took .. " s")
    end
end

local function count(list, wanted)
    local n = 0
    for _, item in ipairs(list) do
        if item == wanted then n = n + 1 end
    end
    return n
end

-- A reply of exactly `total` bytes as returned (lines joined by "\n"),
-- its lines well under the line limit.
local function long_reply(code, total)
    local lines, size = {}, -1
    while total - size - 1 > 16000 do
        lines[#lines + 1] = code .. "-" .. ("x"):rep(15996)
        size = size + 16001
    end
    lines[#lines + 1] = code .. " " .. ("x"):rep(total - size - 1 - 4)
    local text = table.concat(lines, "\n")
    assert(#text == total)
    return text
end

describe("smtp.send against a faulty server", function()
    local server
    local saved
    before_each(function() saved = { smtp.TIMEOUT, luasocket.TIMEOUT } end)
    after_each(function() smtp.TIMEOUT, luasocket.TIMEOUT = saved[1], saved[2] end)

    local function start(script)
        server = servers.scripted(script)
        return server
    end

    describe("rejecting a step", function()
        for _, step in ipairs(STEPS) do
            for _, class in ipairs({ "451 4.3.0", "554 5.7.1" }) do
                local reply = ("%s %s says no"):format(class, step.label)
                it(("returns %q, the reply to %s, as LuaSocket does"):format(reply, step.label), function()
                    local results = send_each(start(at(step, { reply = reply })))
                    assert_each({ nil, reply }, results)
                    -- Only a rejected QUIT comes after the message is queued.
                    assert.are.equal(step.key == "QUIT" and #ALL or 0, #server:received())
                end)
            end
        end

        -- A reply of the wrong class fails the step as a rejection does.
        local WRONG_CLASS = {
            { key = "EHLO", reply = "354 not now" },
            { key = "AUTH", reply = "235 2.7.0 already in" },
            { key = "MAIL", reply = "354 go ahead" },
            { key = "DATA", reply = "250 2.0.0 no data wanted" },
        }
        for _, case in ipairs(WRONG_CLASS) do
            local what = ("returns %q, a reply of the wrong class to %s"):format(case.reply, case.key)
            it(what .. ", as LuaSocket does", function()
                local script = { steps = { [case.key] = { reply = case.reply } } }
                assert_each({ nil, case.reply }, send_each(start(script)))
            end)
        end
    end)

    describe("closing the connection", function()
        for _, step in ipairs(STEPS) do
            it(("at %s gives \"closed\" as LuaSocket does"):format(step.label), function()
                assert_each({ nil, "closed" }, send_each(start(at(step, { close = true }))))
            end)
        end
    end)

    describe("multi-line replies", function()
        local CASES = {
            { what = "a rejection at MAIL is returned whole",
              script = { steps = { MAIL = { reply = "550-first\n550 second" } } },
              expected = { nil, "550-first\n550 second" } },
            { what = "a multi-line greeting is accepted",
              script = { steps = { greeting = { reply = "220-first\n220-second\n220 third" } } },
              expected = { 1 } },
            -- AUTH on its last line: the whole reply was read to find it.
            { what = "a multi-line EHLO is accepted and read to its end",
              script = { steps = { EHLO = { reply = "250-scripted\n250-SIZE 1000\n250 AUTH LOGIN" } } },
              expected = { 1 }, auth = true },
            { what = "a continuation line with another code does not end a greeting",
              script = { steps = { greeting = { reply = "220-first\n250 other code\n220 last" } } },
              expected = { 1 } },
            { what = "a continuation line with another code does not end a rejection",
              script = { steps = { MAIL = { reply = "550-first\n250 looks final\n550 last" } } },
              expected = { nil, "550-first\n250 looks final\n550 last" } },
            { what = "CRs are dropped and bare LFs end lines",
              script = { steps = { MAIL = { raw = "550-one\r\r\n550 t\rwo\n" } } },
              expected = { nil, "550-one\n550 two" } },
        }
        for _, case in ipairs(CASES) do
            it(case.what .. ", as LuaSocket does", function()
                assert_each(case.expected, send_each(start(case.script)))
                if case.auth then
                    assert.are.equal(#ALL, count(server:transcript(), "AUTH LOGIN"))
                end
            end)
        end
    end)

    -- Ours only: LuaSocket would add TIMEOUT to each case.
    describe("a silent server", function()
        for _, step in ipairs(STEPS) do
            it(("at %s times out after TIMEOUT"):format(step.label), function()
                smtp.TIMEOUT = TIMEOUT
                assert_timed_out(send_each(start(at(step, { silent = true })), OURS))
            end)
        end
    end)

    describe("a server that does not speak SMTP", function()
        it("a greeting without a code is an invalid reply, as LuaSocket says", function()
            assert_each({ nil, "invalid server reply" },
                send_each(start({ steps = { greeting = { reply = "hello there" } } })))
        end)

        it("a reply to MAIL without a code is an invalid reply, as LuaSocket says", function()
            assert_each({ nil, "invalid server reply" },
                send_each(start({ steps = { MAIL = { reply = "garbage" } } })))
        end)

        -- LuaSocket reads a line of any length; ours stops at 16 KiB a line
        -- and 256 KiB a reply (the text as returned: lines joined by "\n",
        -- CRs dropped).
        local LIMITS = {
            { what = "a 1 MB greeting line", too_long = true,
              step = { raw = "220 " .. ("x"):rep(1024 * 1024) .. "\r\n" } },
            { what = "a greeting line of 16 KiB", step = { reply = "220 " .. ("x"):rep(16 * 1024 - 4) } },
            { what = "a greeting line of 16 KiB + 1", too_long = true,
              step = { reply = "220 " .. ("x"):rep(16 * 1024 - 3) } },
            { what = "a greeting of 256 KiB", step = { reply = long_reply("220", 256 * 1024) } },
            { what = "a greeting of 256 KiB + 1", too_long = true,
              step = { reply = long_reply("220", 256 * 1024 + 1) } },
        }
        for _, case in ipairs(LIMITS) do
            it(("%s is %s by ours, read by LuaSocket"):format(case.what,
                case.too_long and "refused" or "accepted"), function()
                local results = send_each(start({ steps = { greeting = case.step } }))
                local ours = case.too_long and { nil, "server reply too long" } or { 1 }
                assert.are.same({ native = ours, create = ours, LuaSocket = { 1 } }, results)
            end)
        end

        local NEVER_ENDING = {
            { what = "bytes without a line end", step = { greeting = { raw = "220 no line end" } } },
            { what = "a multi-line reply that stops",
              step = { greeting = { raw = "220-one\r\n220-two\r\n" } } },
            { what = "a dripped multi-line reply that stops",
              step = { EHLO = { drip = "250-one\r\n250-two\r\n", interval = 0.005 } } },
        }
        for _, case in ipairs(NEVER_ENDING) do
            it(("%s times out after TIMEOUT, as LuaSocket does"):format(case.what), function()
                smtp.TIMEOUT, luasocket.TIMEOUT = TIMEOUT, TIMEOUT
                assert_timed_out(send_each(start({ steps = case.step })))
            end)
        end
    end)

    describe("CR or LF in the envelope", function()
        local EVIL = "RCPT TO:<evil@example.com>"
        local AUTHENTICATED = { "EHLO localhost", "AUTH LOGIN", "YWxpY2U=", "c2VjcmV0" }
        -- Each field with an injection, and the lines a client sends per
        -- connection before it must stop: none for a bad domain (the EHLO
        -- would carry it), EHLO alone for a bad user.
        local CASES = {
            { field = "from", inject = function(mail, bad) mail.from = FROM .. bad end,
              sent = AUTHENTICATED },
            { field = "rcpt", inject = function(mail, bad) mail.rcpt[1] = RCPT[1] .. bad end,
              sent = AUTHENTICATED },
            { field = "rcpt", inject = function(mail, bad) mail.rcpt[2] = RCPT[2] .. bad end,
              sent = AUTHENTICATED },
            { field = "domain", inject = function(mail, bad) mail.domain = "localhost" .. bad end,
              sent = {} },
            { field = "user", inject = function(mail, bad) mail.user = USER .. bad end,
              sent = { "EHLO localhost" } },
            { field = "user", inject = function(mail, bad) mail.user = USER .. bad end,
              sent = { "EHLO localhost" }, extensions = { "AUTH PLAIN" } },
        }
        for _, case in ipairs(CASES) do
            local mechanism = case.extensions and " with AUTH PLAIN" or ""
            it(("in %s%s is refused before the command is sent"):format(case.field, mechanism), function()
                start({ extensions = case.extensions })
                local expected = {}
                for _, client in ipairs(OURS) do
                    for _, line_break in ipairs({ "\r\n", "\n", "\r" }) do
                        local mail = mail_for(server)
                        case.inject(mail, line_break .. EVIL)
                        assert.are.same({ nil, "invalid " .. case.field .. ": contains CR or LF" },
                            mail_helpers.details_aside({ client.send(mail) }),
                            client.name .. " " .. ("%q"):format(line_break))
                        for _, line in ipairs(case.sent) do expected[#expected + 1] = line end
                    end
                end
                -- Exactly these lines: no MAIL, no injected RCPT, and no AUTH
                -- for a bad user.
                assert.are.same(expected, server:settle():transcript())
            end)
        end

        -- The TLS server name is never sent as a line, but it is checked
        -- before any byte of the handshake: implicit TLS sends nothing.
        it("in servername is refused before the handshake", function()
            start({})
            for _, client in ipairs(OURS) do
                -- Each line break, and how the error shows it.
                for line_break, shown in pairs({ ["\r\n"] = "\\r\\n", ["\n"] = "\\n", ["\r"] = "\\r" }) do
                    local mail = mail_for(server)
                    mail.tls, mail.servername = "tls", "localhost" .. line_break .. EVIL
                    assert.are.same({ nil, 'invalid servername "localhost' .. shown .. EVIL .. '"' },
                        mail_helpers.details_aside({ client.send(mail) }), client.name)
                end
            end
            assert.are.same({}, server:settle():transcript())
        end)

        it("LuaSocket sends the injected command (the server would see it)", function()
            start({})
            local mail = mail_for(server)
            mail.from = FROM .. "\r\n" .. EVIL
            luasocket.send(mail)
            assert.are.equal(1, count(server:settle():transcript(), EVIL))
        end)
    end)

    describe("PIPELINING", function()
        local function dialogue()
            return {
                "EHLO localhost", "AUTH LOGIN", "YWxpY2U=", "c2VjcmV0",
                "MAIL FROM:" .. FROM, "RCPT TO:" .. RCPT[1], "RCPT TO:" .. RCPT[2],
                "DATA", "Subject: faults", "", "body", ".", "QUIT",
            }
        end

        it("sends the envelope without waiting for the reply to MAIL, and delivers", function()
            start({ extensions = { "AUTH LOGIN", "PIPELINING" }, steps = { MAIL = { delay = 0.05 } } })
            assert_each({ 1 }, send_each(server, OURS))
            local expected = dialogue()
            for _, line in ipairs(dialogue()) do expected[#expected + 1] = line end
            assert.are.same(expected, server:transcript())
            local received = server:received()
            assert.are.equal(#OURS, #received)
            for _, transaction in ipairs(received) do
                assert.are.same({ "bob@example.com", "carol@example.com" }, transaction.rcpt_tos)
                assert.are.equal(BODY .. "\r\n", transaction.data)
            end
        end)

        -- A server that never answers MAIL shows what was sent before the
        -- reply: both RCPTs from ours, nothing more from LuaSocket.
        it("has both RCPTs sent before MAIL is answered", function()
            smtp.TIMEOUT, luasocket.TIMEOUT = TIMEOUT, TIMEOUT
            start({ extensions = { "AUTH LOGIN", "PIPELINING" }, steps = { MAIL = { silent = true } } })
            local envelope = { "MAIL FROM:" .. FROM, "RCPT TO:" .. RCPT[1], "RCPT TO:" .. RCPT[2] }
            for _, client in ipairs(ALL) do
                assert.are.same({ nil, "timeout" }, mail_helpers.details_aside({ client.send(mail_for(server)) }))
                local transcript = server:settle():transcript()
                if client.name == "LuaSocket" then
                    assert.are.equal(envelope[1], transcript[#transcript], client.name)
                else
                    assert.are.same(envelope, { unpack(transcript, #transcript - 2) }, client.name)
                end
            end
        end)

        for _, step in ipairs({ STEPS[6], STEPS[7], STEPS[8] }) do
            it(("returns the rejection of %s as LuaSocket does, and sends no DATA"):format(step.label), function()
                local reply = "550 5.1.1 " .. step.label .. " refused"
                local script = at(step, { reply = reply })
                script.extensions = { "AUTH LOGIN", "PIPELINING" }
                assert_each({ nil, reply }, send_each(start(script)))
                local transcript = server:settle():transcript()
                assert.are.equal(0, count(transcript, "DATA"))
                assert.are.equal(#ALL, count(transcript, "MAIL FROM:" .. FROM))
            end)
        end
    end)
end)

describe("smtp.open's session after a rejection", function()
    -- The calls of one transaction, in order.
    local CALLS = {
        { "greet", function(s) return s:greet() end },
        { "login", function(s) return s:login(USER, PASSWORD) end },
        { "mail", function(s) return s:mail(FROM) end },
        { "rcpt", function(s) return s:rcpt(RCPT[1]) end },
        { "data", function(s) return s:data(ltn12.source.string(BODY)) end },
        { "quit", function(s) return s:quit() end },
    }
    local IMPLEMENTATIONS = {
        { name = "native", open = smtp.open, ours = true },
        { name = "create", open = smtp.open, create = socket.tcp, ours = true },
        { name = "LuaSocket", open = luasocket.open },
    }

    -- What raising looks like: the call that raised and the error text; a
    -- further call; the same transaction on a new session under
    -- socket.protect.
    local function observe(implementation, server)
        local function open()
            return implementation.open(server.host, server.port, implementation.create)
        end
        local seen = {}
        local session = open()
        for _, call in ipairs(CALLS) do
            local ok, err = pcall(call[2], session)
            if not ok then
                seen.raised = { call[1], type(err) == "table" and err[1] or err }
                break
            end
        end
        local ok, err = pcall(session.mail, session, FROM)
        seen.further = { ok, type(err) == "table" and err[1] or err }
        local again = open()
        seen.protected = { socket.protect(function()
            for _, call in ipairs(CALLS) do call[2](again) end
            return "no failure"
        end)() }
        seen.protected_further = { socket.protect(function() return again:rcpt(RCPT[1]) end)() }
        return seen
    end

    local REJECTED = {
        { key = "greeting", call = "greet" }, { key = "AUTH-PASSWORD", call = "login" },
        { key = "MAIL", call = "mail" }, { key = "RCPT", call = "rcpt" },
        { key = "DATA", call = "data" }, { key = "END", call = "data" }, { key = "QUIT", call = "quit" },
    }
    for _, case in ipairs(REJECTED) do
        it(("raises the reply at %s, then \"closed\", as LuaSocket does"):format(case.key), function()
            local reply = "554 5.0.0 " .. case.key .. " refused"
            local server = servers.scripted({ steps = { [case.key] = { reply = reply } } })
            local expected = {
                raised = { case.call, reply },
                further = { false, "closed" },
                protected = { nil, reply },
                protected_further = { nil, "closed" },
            }
            local wanted, got = {}, {}
            for _, implementation in ipairs(IMPLEMENTATIONS) do
                wanted[implementation.name] = expected
                if implementation.ours then
                    got[implementation.name] = without_leaks(observe, implementation, server)
                else
                    got[implementation.name] = observe(implementation, server)
                end
            end
            assert.are.same(wanted, got)
        end)
    end
end)
