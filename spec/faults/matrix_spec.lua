-- The fault matrix: at every step of the dialogue, each way a server can
-- misbehave, natively and with create = socket.tcp. Every case must return
-- exactly nil and its error within its bound (below), and leave no descriptor
-- open (faults.OURS raises if one is). faults/like_luasocket_spec.lua runs part of
-- the matrix beside LuaSocket (REFUSALS in plain text, and what GARBLED's
-- `elsewhere` names); this file runs the rest, and the faults outside any
-- reply: connecting, the body, the TLS handshake. The server is
-- scripted_server.py (see its docstring for the overrides).

local socket = require("socket")
local servers = require("smtp_servers")
local certificates = require("certificates")
local faults = require("faults")
local smtp = require("socket.smtp")
local mail_helpers = require("mail")

local function pack(...) return { n = select("#", ...), ... } end

-- The client's timeout. A case that expects "timeout" waits it out, and
-- checks that it comes, not how long it is: there it is short. Elsewhere
-- it is longer, so that a loaded machine does not turn a slow transfer
-- into a timeout.
local TIMEOUT = 0.5
local WAIT_TIMEOUT = 0.2
-- The longest a case may take. A timeout comes after the timeout natively,
-- and before twice the timeout with create(): the reply's deadline is
-- checked between reads, and a read that starts just before it may last
-- the timeout. A second more for a loaded machine.
local function bound(timeout) return 2 * timeout + 1 end

-- The steps with a reply, as the scripted server names them. STARTTLS runs
-- with tls = "starttls"; the others in plain text.
local STARTTLS = { key = "STARTTLS", tls = "starttls" }
local STEPS = {
    { key = "greeting" }, { key = "EHLO" }, STARTTLS,
    { key = "AUTH" }, { key = "MAIL" }, { key = "RCPT" }, { key = "DATA" },
    { key = "END" }, { key = "QUIT" },
}

-- Replies that say no or break off: faults/like_luasocket_spec.lua has them at
-- every step in plain text, so here they run at STARTTLS.
local REFUSALS = {
    { what = "a 4xx reply", override = { reply = "454 4.7.0 TLS not available now" },
      err = "454 4.7.0 TLS not available now" },
    { what = "a 5xx reply", override = { reply = "554 5.7.1 no TLS for you" }, err = "554 5.7.1 no TLS for you" },
    { what = "a closed connection", override = { close = true }, err = "closed" },
    { what = "a silent server", override = { silent = true }, err = "timeout", waits = true },
}

-- Replies that are not SMTP, or never end. The code does not matter: no
-- reply gets far enough for it to. `elsewhere`: the steps where
-- faults/like_luasocket_spec.lua has the fault.
local GARBLED = {
    { what = "a reply without a code", override = { reply = "no code here" }, err = "invalid server reply",
      elsewhere = { greeting = true, MAIL = true } },
    { what = "a 1 MB line", override = { raw = "250 " .. ("x"):rep(1024 * 1024) .. "\r\n" },
      err = "server reply too long", elsewhere = { greeting = true } },
    -- stall: the server would close after answering QUIT.
    { what = "a line that never ends", override = { raw = "250 no line end", stall = true }, err = "timeout",
      waits = true, elsewhere = { greeting = true } },
    -- A line every 50 ms: each read is quick (well within WAIT_TIMEOUT),
    -- the reply endless.
    { what = "a multi-line reply that never ends", override = { endless = "250-more\r\n", interval = 0.05 },
      err = "timeout", waits = true },
    -- Long lines, so that the server passes the 256 KiB limit well within
    -- TIMEOUT over TLS too.
    { what = "a multi-line reply that never ends, sent as fast as it goes",
      override = { endless = "250-" .. ("x"):rep(996) .. "\r\n" }, err = "server reply too long" },
    -- 40 bytes: 2 s, longer than bound(WAIT_TIMEOUT), which a client that
    -- waited for the whole reply would pass; each byte well within
    -- WAIT_TIMEOUT.
    { what = "a reply dripped a byte every 50 ms",
      override = { drip = "250 dripped one byte at a time, slowly\r\n", interval = 0.05 }, err = "timeout",
      waits = true },
}

local function copy(t)
    local c = {}
    for k, v in pairs(t) do c[k] = v end
    return c
end

describe("the fault matrix", function()
    local certs, server
    local saved = smtp.TIMEOUT

    setup(function() certs = certificates.create() end)
    teardown(function() if certs then certs:remove() end end)
    after_each(function() smtp.TIMEOUT = saved end)

    -- Starts the scripted server on `script`; with `tls`, it offers
    -- STARTTLS ("starttls") or speaks TLS from the first byte ("tls").
    -- Returns the fields smtp.send needs for that.
    local function start(script, tls)
        if not tls then
            server = servers.scripted(script)
            return {}
        end
        script.tls = { cert = certs.cert, key = certs.key }
        script.extensions = { "STARTTLS", "AUTH LOGIN PLAIN" }
        script.tls_mode = tls == "tls" and "implicit" or nil
        server = servers.scripted(script)
        return { tls = tls, cafile = certs.ca }
    end

    -- Sends to `target` through options.clients (both paths by default)
    -- with smtp.TIMEOUT = TIMEOUT, or WAIT_TIMEOUT when options.waits: each
    -- must return exactly nil and `err` within bound(timeout), and when
    -- options.waits not before the timeout. options.fields adds to the
    -- mail; options.source(), when given, makes each send's body source.
    local function expect(target, err, options)
        local timeout = options.waits and WAIT_TIMEOUT or TIMEOUT
        smtp.TIMEOUT = timeout
        local clients = options.clients or faults.OURS
        local results, took, wanted = {}, {}, {}
        for _, client in ipairs(clients) do
            local mail = faults.mail_for(target, options.fields)
            if options.source then mail.source = options.source() end
            local began = socket.gettime()
            local details
            results[client.name], details = mail_helpers.details_aside(pack(client.send(mail)))
            if details then
                -- Network trouble and 4xx replies may pass; 5xx, garbled
                -- replies and TLS failures will not.
                local transient = err == "timeout" or err == "closed" or err == "connection refused"
                    or err:match("^4%d%d") ~= nil
                if err:match("^%d%d%d") then
                    assert.are.equal(tonumber(err:sub(1, 3)), details.code, client.name)
                    assert.are.equal(err, details.reply, client.name)
                end
                assert.are.equal(transient, details.transient, client.name .. ": " .. err)
            end
            took[client.name] = socket.gettime() - began
            wanted[client.name] = { n = 2, nil, err }
        end
        assert.are.same(wanted, results)
        local least = options.waits and 0.9 * timeout or 0
        for name, seconds in pairs(took) do
            assert.is_true(seconds >= least and seconds < bound(timeout),
                ("%s took %.3f s"):format(name, seconds))
        end
    end

    local function expect_at(step, fault)
        local fields = start(faults.at(step, copy(fault.override)), step.tls)
        expect(server, fault.err, { fields = fields, waits = fault.waits })
    end

    describe("at STARTTLS", function()
        for _, fault in ipairs(REFUSALS) do
            it(("%s gives %q"):format(fault.what, fault.err), function()
                expect_at(STARTTLS, fault)
            end)
        end
    end)

    for _, step in ipairs(STEPS) do
        describe("at " .. step.key, function()
            for _, fault in ipairs(GARBLED) do
                if not (fault.elsewhere and fault.elsewhere[step.key]) then
                    it(("%s gives %q"):format(fault.what, fault.err), function()
                        expect_at(step, fault)
                    end)
                end
            end
        end)
    end

    -- On the create path the core reads TLS records, not lines; the limits
    -- must hold there too.
    for _, tls in ipairs({ "starttls", "tls" }) do
        describe("at MAIL over TLS (tls = " .. tls .. ")", function()
            for _, fault in ipairs(GARBLED) do
                it(("%s gives %q"):format(fault.what, fault.err), function()
                    expect_at({ key = "MAIL", tls = tls }, fault)
                end)
            end
        end)
    end

    -- Natively only: with create(), a line is the socket's receive("*l"),
    -- which LuaSocket grows without limit while bytes keep coming (its
    -- timeout runs only while it waits), so the limits come too late.
    it("natively, a line that never ends, sent as fast as it goes, gives \"server reply too long\"", function()
        start(faults.at({ key = "MAIL" }, { endless = ("x"):rep(1000) }))
        expect(server, "server reply too long", { clients = { faults.OURS[1] } })
    end)

    describe("connecting", function()
        it("to a port nobody listens on gives \"connection refused\"", function()
            expect({ host = "127.0.0.1", port = servers.free_port() }, "connection refused", {})
        end)

        -- Linux drops a SYN while the accept queue is full, and listen(0)
        -- leaves room for one connection: the fillers take it.
        it("to a server that never accepts gives \"timeout\"", function()
            local listener = socket.tcp()
            local fillers = {}
            finally(function()
                for _, filler in ipairs(fillers) do filler:close() end
                listener:close()
            end)
            assert(listener:bind("127.0.0.1", 0))
            assert(listener:listen(0))
            local host, port = listener:getsockname()
            local full
            for _ = 1, 10 do
                local filler = socket.tcp()
                fillers[#fillers + 1] = filler
                filler:settimeout(0.2)
                local _, err = filler:connect(host, port)
                full = err == "timeout"
                if full then break end
            end
            assert.is_true(full, "the accept queue never filled")
            expect({ host = host, port = tonumber(port) }, "timeout", { waits = true })
        end)
    end)

    describe("while the client sends a large body", function()
        -- Up to 256 MiB: more than a server that does not read takes into
        -- the socket buffers (about 40 MB on Linux loopback). pulls[i] is
        -- how many chunks send i pulled.
        local CHUNK, CHUNKS = ("x"):rep(65535) .. "\n", 4096
        local pulls
        local function source()
            local i = #pulls + 1
            pulls[i] = 0
            return function()
                if pulls[i] == CHUNKS then return nil end
                pulls[i] = pulls[i] + 1
                return CHUNK
            end
        end

        local CASES = {
            { what = "a server that stops reading", override = { stall = true }, err = "timeout", waits = true },
            { what = "a server that hangs up", override = { delay = 0.1, close = true }, err = "closed" },
        }
        for _, case in ipairs(CASES) do
            it(("%s gives %q before the body is out"):format(case.what, case.err), function()
                pulls = {}
                start({ steps = { body = case.override } })
                expect(server, case.err, { source = source, waits = case.waits })
                assert.are.equal(#faults.OURS, #pulls)
                for i, pulled in ipairs(pulls) do
                    assert.is_true(pulled > 0 and pulled < CHUNKS, ("send %d pulled %d chunks"):format(i, pulled))
                end
            end)
        end
    end)

    describe("in the TLS handshake", function()
        local HANDSHAKE = {
            { what = "bytes that are not TLS", override = { raw = "this is not TLS\r\n" },
              err = "TLS failed: received corrupt message of type InvalidContentType" },
            -- A handshake record whose message claims to be 6.6 MB long.
            { what = "a handshake record of garbage", override = { raw = "\22\3\3\0\5hello" },
              err = "TLS failed: received corrupt message of type HandshakePayloadTooLarge" },
            { what = "a handshake cut in the middle", override = { cut = true }, err = "closed" },
            { what = "a silent server", override = { silent = true }, err = "timeout", waits = true },
        }
        for _, tls in ipairs({ "starttls", "tls" }) do
            for _, fault in ipairs(HANDSHAKE) do
                it(("with tls = %s, %s gives %q"):format(tls, fault.what, fault.err), function()
                    expect_at({ key = "handshake", tls = tls }, fault)
                end)
            end
        end
    end)
end)
