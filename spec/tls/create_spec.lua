-- TLS through create(): the module's own TLS over a socket whose methods
-- yield (the yielding socket of spec/support on every interpreter, copas
-- where it loads), where the TLS records travel through sock:send and
-- sock:receive(n); and a create() that does TLS itself with LuaSec, as
-- lua-sendmail does, with tls left nil, on which the module must not put
-- TLS of its own.

local socket = require("socket")
local ssl = require("ssl")
local mail = require("mail")
local servers = require("smtp_servers")
local certificates = require("certificates")
local yielding = require("yielding_socket")

-- The module uses neither socket.protect nor newtry, so the copas cases
-- need not swap in copas's.
local copas = require("optional_copas").copas

local smtp = require("socket.smtp")

local UNKNOWN_ISSUER = "certificate verify failed: unknown issuer (not signed by a trusted CA)"

-- The socket calls that must each suspend the coroutine.
local YIELDING_CALLS = { "settimeout", "connect", "send", "receive", "close" }

-- The two TLS modes, each with the aiosmtpd mode that serves it.
local MODES = {
    { tls = "starttls", server_mode = "starttls" },
    { tls = "tls", server_mode = "implicit" },
}

-- Wraps a create() socket to log what the module asks of it: every
-- receive's pattern and how many bytes came back, every send's data.
local function logged(sock, log)
    log.receives, log.sends = {}, {}
    local receive, send = sock.receive, sock.send
    function sock.receive(self, pattern, prefix)
        local data, err, partial = receive(self, pattern, prefix)
        log.receives[#log.receives + 1] = { pattern = pattern, size = data and #data }
        return data, err, partial
    end
    function sock.send(self, data, i, j)
        log.sends[#log.sends + 1] = data
        return send(self, data, i, j)
    end
    return sock
end

describe("TLS through create()", function()
    local certs

    setup(function() certs = certificates.create() end)
    teardown(function() if certs then certs:remove() end end)

    local function tls_server(server_mode, extra)
        local options = { tls = { cert = certs.cert, key = certs.key }, tls_mode = server_mode }
        for key, value in pairs(extra or {}) do options[key] = value end
        return servers.aiosmtpd(options)
    end

    -- A function sending mail.MESSAGE to `to` (mail.TO if nil) over
    -- `server`; `fields` adds to smtp.send's table.
    local function sender(server, to, fields)
        return function()
            local t = mail.to(server, fields)
            t.rcpt = to or mail.TO
            return mail.send(smtp.send, t)
        end
    end

    -- Checks that `count` (1 if nil) messages arrived over TLS; recipients
    -- other than bob are left to the caller.
    local function delivered_over_tls(server, count, rcpt_tos)
        return mail.assert_delivered(server, { count = count, tls = true, rcpt_tos = rcpt_tos })
    end

    describe("with a socket whose methods yield", function()
        for _, mode in ipairs(MODES) do
            it("delivers with tls = " .. mode.tls .. ", yielding at each call, reading records by size", function()
                local server = tls_server(mode.server_mode)
                local stats, log = {}, {}
                local results = yielding.run({ sender(server, nil, {
                    tls = mode.tls, cafile = certs.ca,
                    create = function() return logged(yielding.create(stats), log) end,
                }) })
                assert.are.same({ n = 1, 1 }, results[1])
                delivered_over_tls(server)
                for _, call in ipairs(YIELDING_CALLS) do
                    assert.is_true(stats.yields[call] >= stats.calls[call], call .. " did not yield each time")
                end
                assert.are.equal(1, stats.calls.close)

                -- Lines ("*l") before TLS only; then exact byte counts, each
                -- met in full.
                local lines, first_record = 0, nil
                for i, receive in ipairs(log.receives) do
                    if type(receive.pattern) == "number" then
                        first_record = first_record or i
                        assert.is_true(receive.pattern > 0)
                        assert.are.equal(receive.pattern, receive.size)
                    else
                        assert.is_nil(first_record, "a line read after TLS began")
                        assert.are.equal("*l", receive.pattern)
                        lines = lines + 1
                    end
                end
                assert.is_not_nil(first_record)
                if mode.tls == "tls" then
                    assert.are.equal(0, lines)
                else
                    assert.is_true(lines >= 3) -- greeting, EHLO reply, STARTTLS reply
                    assert.are.same({ "EHLO localhost\r\n", "STARTTLS\r\n" }, { log.sends[1], log.sends[2] })
                end
                -- The envelope and the message went out encrypted only.
                for _, data in ipairs(log.sends) do
                    assert.is_nil(data:find("alice@example.com", 1, true))
                    assert.is_nil(data:find("first line", 1, true))
                end
            end)

            it("runs five sends with tls = " .. mode.tls .. " at once", function()
                local server = tls_server(mode.server_mode, { delay = 0.1 })
                local fields = { tls = mode.tls, cafile = certs.ca,
                    create = function() return yielding.create() end }
                local began = socket.gettime()
                assert.are.same({ { n = 1, 1 } },
                    yielding.run({ sender(server, "<alone@example.com>", fields) }))
                local one = socket.gettime() - began
                local functions = {}
                for i = 1, 5 do functions[i] = sender(server, "<user" .. i .. "@example.com>", fields) end
                began = socket.gettime()
                local results = yielding.run(functions)
                local five = socket.gettime() - began
                for i = 1, 5 do assert.are.same({ n = 1, 1 }, results[i], "send " .. i) end
                -- one after the other they would take five times as long
                assert.is_true(five < 3 * one, ("one send %.3f s, five at once %.3f s"):format(one, five))
                local received = delivered_over_tls(server, 6, false)
                local arrived = {}
                for i, record in ipairs(received) do arrived[i] = record.rcpt_tos[1] end
                table.sort(arrived)
                assert.are.same({ "alone@example.com", "user1@example.com", "user2@example.com",
                    "user3@example.com", "user4@example.com", "user5@example.com" }, arrived)
            end)

            it("returns a verification failure with tls = " .. mode.tls .. ", socket closed", function()
                local server = tls_server(mode.server_mode)
                local stats = {}
                local results = yielding.run({ sender(server, nil, {
                    tls = mode.tls, cafile = certs.other_ca,
                    create = function() return yielding.create(stats) end,
                }) })
                assert.are.same({ n = 2, nil, UNKNOWN_ISSUER }, results[1])
                assert.are.equal(1, stats.calls.close)
                assert.are.same({}, server:received())
            end)
        end

        it("runs an smtp.open{tls = starttls} session with AUTH in a coroutine", function()
            local server = tls_server("starttls", { auth = true })
            local stats = {}
            local results = yielding.run({ function()
                local session = smtp.open({ server = server.host, port = server.port, tls = "starttls",
                    cafile = certs.ca, create = function() return yielding.create(stats) end })
                local ext = session:greet()
                local code = session:auth("alice", "secret", ext)
                for i = 1, 2 do
                    session:send(mail.to(nil, { rcpt = "<user" .. i .. "@example.com>" }))
                end
                session:quit()
                return ext, code, session:close()
            end })
            local ext, code, closed = results[1][1], results[1][2], results[1][3]
            assert.matches("\n250%-AUTH LOGIN PLAIN\n", ext)
            assert.are.same({ 235, 1 }, { code, closed })
            assert.are.equal(1, stats.calls.close)
            local received = delivered_over_tls(server, 2, false)
            for i = 1, 2 do
                assert.are.same({ "user" .. i .. "@example.com" }, received[i].rcpt_tos)
                assert.are.same({ mechanism = "LOGIN", login = "alice" }, received[i].auth)
            end
        end)
    end)

    -- Debian's copas 1.1.7 loads on Lua 5.1, 5.2 and LuaJIT only.
    if copas then
        local copas_socket = require("copas_socket")(copas)

        describe("under copas", function()
            for _, mode in ipairs(MODES) do
                it("delivers three messages with tls = " .. mode.tls .. " from three copas threads", function()
                    local server = tls_server(mode.server_mode, { delay = 0.05 })
                    local functions = {}
                    for i = 1, 3 do
                        functions[i] = sender(server, "<user" .. i .. "@example.com>",
                            { tls = mode.tls, cafile = certs.ca, create = copas_socket.create })
                    end
                    local results = copas_socket.run(functions)
                    for i = 1, 3 do assert.are.same({ n = 1, 1 }, results[i], "thread " .. i) end
                    delivered_over_tls(server, 3, false)
                end)
            end

            it("returns a verification failure in the copas thread", function()
                local server = tls_server("implicit")
                local results = copas_socket.run({ sender(server, nil,
                    { tls = "tls", cafile = certs.other_ca, create = copas_socket.create }) })
                assert.are.same({ n = 2, nil, UNKNOWN_ISSUER }, results[1])
            end)
        end)
    end

    -- lua-sendmail's way: create() returns an object whose connect makes the
    -- TCP connection, wraps it with LuaSec and does the handshake; the
    -- module then speaks plain SMTP through it. `log` gets the port the
    -- module asked for, the handshakes done and the first bytes the module
    -- sent (plain "EHLO ...", unless it put TLS of its own on top);
    -- `real_port`, when given, is where the proxy really connects.
    local function luasec_create(cafile, log, real_port)
        return function()
            local conn = socket.tcp()
            local timeout
            local proxy = {}
            function proxy.settimeout(_, seconds)
                timeout = seconds
                return conn:settimeout(seconds)
            end
            function proxy.connect(_, host, port)
                log.port = port
                local ok, err = conn:connect(host, real_port or port)
                if not ok then return nil, err end
                conn, err = ssl.wrap(conn, { mode = "client", protocol = "any", verify = "peer",
                    cafile = cafile, options = "all" })
                if not conn then return nil, err end
                conn:settimeout(timeout)
                ok, err = conn:dohandshake()
                if not ok then return nil, err end
                log.handshakes = (log.handshakes or 0) + 1
                return 1
            end
            function proxy.send(_, data, ...)
                log.first_send = log.first_send or data
                return conn:send(data, ...)
            end
            function proxy.receive(_, ...) return conn:receive(...) end
            function proxy.close() return conn:close() end
            return proxy
        end
    end

    describe("with a LuaSec proxy and tls left nil", function()
        it("delivers over the proxy's TLS, adding none", function()
            local server = tls_server("implicit")
            local log = {}
            assert.are.equal(1, (sender(server, nil, { create = luasec_create(certs.ca, log) })()))
            assert.are.same({ port = server.port, handshakes = 1, first_send = "EHLO localhost\r\n" }, log)
            delivered_over_tls(server)
        end)

        it("keeps port 465 plain when create is given", function()
            -- The server is not on 465: the proxy takes 465 from the module
            -- and connects to the server's real port.
            local server = tls_server("implicit")
            local log = {}
            assert.are.equal(1, (sender(server, nil,
                { port = 465, create = luasec_create(certs.ca, log, server.port) })()))
            assert.are.same({ port = 465, handshakes = 1, first_send = "EHLO localhost\r\n" }, log)
            delivered_over_tls(server)
        end)

        it("returns the proxy's own handshake failure unchanged", function()
            local server = tls_server("implicit")
            local log = {}
            local ok, err = sender(server, nil, { create = luasec_create(certs.other_ca, log) })()
            assert.is_nil(ok)
            assert.matches("certificate verify failed", err)
            assert.is_nil(log.handshakes)
            assert.are.same({}, server:received())
        end)
    end)
end)
