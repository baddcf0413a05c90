-- socket.smtp.cqueues: smtp.send and smtp.open over cqueues sockets, inside
-- a cqueues controller (many sends at once, each yielding while it waits)
-- and outside one (blocking), plain and with the module's TLS; its sockets'
-- LuaSocket semantics against a cqueues listener in the same controller.
--
-- Debian's lua-cqueues loads on all five interpreters (its LuaJIT build is
-- the Lua 5.1 one, which links no liblua: LuaJIT's own symbols serve it),
-- so nothing here is skipped.
--
-- CQUEUES_SPEC_TIMES=1 prints the overlap timings to stderr.

local cqueues = require("cqueues")
local csocket = require("cqueues.socket")
local mail = require("mail")
local overlap = require("overlap")
local servers = require("smtp_servers")
local certificates = require("certificates")
local descriptors = require("descriptors")

local smtp = require("socket.smtp")
local tcp = require("socket.smtp.cqueues").tcp

local monotime = cqueues.monotime

local UNKNOWN_ISSUER = "certificate verify failed: unknown issuer (not signed by a trusted CA)"
-- What every run may take at most; a hung send fails the test in seconds.
local RUN_LIMIT = 20

local function pack(...) return { n = select("#", ...), ... } end

local function report(format, ...)
    if os.getenv("CQUEUES_SPEC_TIMES") then
        io.stderr:write(("[%s] " .. format .. "\n"):format(os.getenv("SPEC_LUA") or _VERSION, ...))
    end
end

-- Runs each function in a coroutine of one new controller until all have
-- returned; returns what each returned, packed, in order. Raises what a
-- coroutine raised, or when some still run after RUN_LIMIT seconds. The
-- controller is closed at the end: it holds descriptors of its own.
local function run(functions)
    local controller = cqueues.new()
    local results = {}
    for i, f in ipairs(functions) do
        controller:wrap(function() results[i] = pack(f()) end)
    end
    local deadline = monotime() + RUN_LIMIT
    local failure
    while not controller:empty() and not failure do
        local left = deadline - monotime()
        if left <= 0 then
            failure = ("cqueues: still running after %d s"):format(RUN_LIMIT)
        else
            local ok, err = controller:step(left)
            if not ok then failure = err end
        end
    end
    controller:close()
    if failure then error(failure, 2) end
    return results
end

-- A function sending mail.MESSAGE to `to` on `server` through the cqueues
-- socket; `fields` add to smtp.send's table. It returns what smtp.send
-- returns, the failure's details set aside.
local function sender(server, to, fields)
    return function()
        local t = mail.to(server, fields)
        t.rcpt, t.create = to, tcp
        return mail.send(smtp.send, t)
    end
end

-- Times one send alone, then ten at once, each to its own recipient, in
-- controllers of their own; checks that all returned 1, that the ten
-- overlapped, and that every message arrived whole (over TLS when `tls`),
-- with no connection left open on either side. Returns both durations.
local function check_overlap(server, fields, tls)
    local before = descriptors.settled()
    local one, ten, addresses = overlap.measure({
        run = run, n = 10, clock = monotime, factor = 3,
        send_to = function(to) return sender(server, to, fields) end,
    })
    assert.are.equal(before, descriptors.count())
    assert.are.equal(11, server:connections())
    overlap.assert_arrived(mail.assert_delivered(server, { count = 11, tls = tls, rcpt_tos = false }), addresses)
    return one, ten
end

describe("smtp.send with create = socket.smtp.cqueues's tcp", function()
    local certs

    setup(function() certs = certificates.create() end)
    teardown(function() if certs then certs:remove() end end)

    local function tls_server(options)
        options.tls = { cert = certs.cert, key = certs.key }
        return servers.aiosmtpd(options)
    end

    it("overlaps ten sends in one controller", function()
        local one, ten = check_overlap(servers.aiosmtpd({ delay = 0.1 }), {}, false)
        report("cqueues, plain: one send %.3f s, ten at once %.3f s", one, ten)
    end)

    it("overlaps ten sends with STARTTLS, verified against the spec's CA", function()
        local server = tls_server({ delay = 0.1 })
        local one, ten = check_overlap(server, { tls = "starttls", cafile = certs.ca }, true)
        report("cqueues, STARTTLS: one send %.3f s, ten at once %.3f s", one, ten)
    end)

    it("speaks TLS from the first byte with tls = \"tls\"", function()
        local server = tls_server({ tls_mode = "implicit" })
        assert.are.same({ { n = 1, 1 } },
            run({ sender(server, mail.TO, { tls = "tls", cafile = certs.ca }) }))
        mail.assert_delivered(server, { tls = true })
    end)

    it("fails verification against another CA, as without cqueues", function()
        local server = tls_server({})
        local results = run({ sender(server, mail.TO, { tls = "starttls", cafile = certs.other_ca }) })
        assert.are.same({ n = 2, nil, UNKNOWN_ISSUER }, results[1])
        assert.are.equal(0, #server:received())
        assert.are.equal(1, server:connections())
    end)

    it("returns refusals and timeouts in LuaSocket's words, while the others go on", function()
        local timeout = smtp.TIMEOUT
        finally(function() smtp.TIMEOUT = timeout end)
        smtp.TIMEOUT = 0.5
        local silent, good = servers.aiosmtpd({ silent = true }), servers.aiosmtpd()
        local refused_port = servers.free_port()
        local before = descriptors.settled()
        local finished = {}
        local function timed(name, f)
            return function()
                local results = pack(f())
                finished[name] = monotime()
                return (table.unpack or unpack)(results, 1, results.n)
            end
        end
        local start = monotime()
        local results = run({
            timed("timeout", sender(silent, mail.TO)),
            timed("refused", sender({ host = "127.0.0.1", port = refused_port }, mail.TO)),
            timed("good", sender(good, mail.TO)),
        })
        assert.are.same({ n = 2, nil, "timeout" }, results[1])
        assert.are.same({ n = 2, nil, "connection refused" }, results[2])
        assert.are.same({ n = 1, 1 }, results[3])
        -- The timeout came when due, and the others did not wait for it.
        local waited = finished.timeout - start
        assert.is_true(waited >= 0.5 and waited < 1.5, ("timed out after %.3f s"):format(waited))
        assert.is_true(finished.good < finished.timeout and finished.refused < finished.timeout)
        mail.assert_delivered(good)
        assert.are.equal(before, descriptors.count())
        assert.are.equal(1, silent:connections())
    end)

    it("sends outside a controller too, blocking", function()
        local server = tls_server({})
        local send = sender(server, mail.TO, { tls = "starttls", cafile = certs.ca })
        -- The first blocking wait makes cqueues' own controller for them,
        -- which it keeps: the second send must leave no descriptor more.
        assert.are.same({ 1 }, { send() })
        local before = descriptors.settled()
        assert.are.same({ 1 }, { send() })
        assert.are.equal(before, descriptors.count())
        assert.are.equal(2, server:connections())
        mail.assert_delivered(server, { count = 2, tls = true })
    end)
end)

describe("smtp.open{ create = socket.smtp.cqueues's tcp }", function()
    it("sends several messages on one session while another coroutine sends", function()
        local server = servers.aiosmtpd({ delay = 0.05 })
        local before = descriptors.settled()
        local results = run({
            function()
                local session = smtp.open({ server = server.host, port = server.port, create = tcp })
                session:greet("client.example")
                for i = 1, 3 do
                    session:send(mail.to(nil, { rcpt = "<reused" .. i .. "@example.com>" }))
                end
                local quit = session:quit()
                return quit, session:close()
            end,
            sender(server, "<other@example.com>"),
        })
        assert.are.same({ n = 2, 221, 1 }, results[1])
        assert.are.same({ n = 1, 1 }, results[2])
        assert.are.equal(before, descriptors.count())
        -- the three messages on one connection, the other's on its own
        assert.are.equal(2, server:connections())
        local arrived = {}
        for _, record in ipairs(mail.assert_delivered(server, { count = 4, rcpt_tos = false })) do
            arrived[record.rcpt_tos[1]] = record.helo
        end
        assert.are.same({
            ["reused1@example.com"] = "client.example", ["reused2@example.com"] = "client.example",
            ["reused3@example.com"] = "client.example", ["other@example.com"] = smtp.DOMAIN,
        }, arrived)
    end)
end)

describe("socket.smtp.cqueues's sockets", function()
    -- Runs `serve(connection)` on a cqueues listener on loopback and
    -- `client(sock)` with a socket connected to it, in one controller;
    -- returns what client returned, packed.
    local function against(serve, client)
        local listener = csocket.listen({ host = "127.0.0.1", port = 0 })
        finally(function() listener:close() end)
        assert(listener:listen())
        local _, _, port = listener:localname()
        local results = run({
            function()
                local connection = assert(listener:accept())
                connection:setmode("b", "bn")
                serve(connection)
                connection:close()
            end,
            function()
                local sock = tcp()
                sock:settimeout(1)
                assert.are.equal(1, sock:connect("127.0.0.1", port))
                local results = pack(client(sock))
                sock:close()
                return (table.unpack or unpack)(results, 1, results.n)
            end,
        })
        return results[2]
    end

    it("read lines as LuaSocket's \"*l\" does: up to LF, without CRs, however long", function()
        local long = ("x"):rep(20000)
        local results = against(function(connection)
            connection:write("220 hello\r\n" .. long .. "\r\n" .. "a\rb\r\n")
            cqueues.sleep(0.05)
            connection:write("split ")
            cqueues.sleep(0.05)
            connection:write("line\r\nno end")
        end, function(sock)
            return sock:receive("*l"), sock:receive(), sock:receive("*l"), sock:receive("*l"),
                sock:receive("*l")
        end)
        assert.are.same({ n = 7, "220 hello", long, "ab", "split line", nil, "closed", "no end" }, results)
    end)

    it("read exactly n bytes, and say closed with what came when the stream ends first", function()
        local results = against(function(connection)
            connection:write(("r"):rep(20000))
            cqueues.sleep(0.05)
            connection:write(("s"):rep(100))
        end, function(sock)
            return sock:receive(20050), sock:receive(100)
        end)
        assert.are.same({ n = 4, ("r"):rep(20000) .. ("s"):rep(50), nil, "closed", ("s"):rep(50) }, results)
    end)

    it("time out within the timeout, and read again afterwards", function()
        local results = against(function(connection)
            cqueues.sleep(1)
            connection:write("late\r\n")
        end, function(sock)
            sock:settimeout(0.3)
            local start = monotime()
            local line, err = sock:receive("*l")
            local waited = monotime() - start
            sock:settimeout(2)
            return line, err, waited >= 0.3 and waited < 0.9, sock:receive("*l")
        end)
        assert.are.same({ n = 4, nil, "timeout", true, "late" }, results)
    end)

    it("send what they are given whole, and say closed once the peer is gone", function()
        local big = ("b"):rep(1000000)
        local received
        local results = against(function(connection)
            received = connection:xread(#big + 2, "b")
        end, function(sock)
            local sent = sock:send(big .. "\r\n")
            -- the peer has read it all and closed: writes fail
            local failure
            for _ = 1, 100 do
                local ok, err = sock:send(big)
                if not ok then failure = err break end
            end
            return sent, failure
        end)
        assert.are.same({ n = 2, #big + 2, "closed" }, results)
        assert.are.equal(big .. "\r\n", received)
    end)
end)
