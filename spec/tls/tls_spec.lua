-- TLS in smtp.send and smtp.open, against real servers (aiosmtpd and the
-- scripted server of spec/support) with throwaway certificates: STARTTLS and
-- implicit TLS, certificate checks, the tls modes, AUTH after STARTTLS,
-- XOAUTH2, trace, and the checks of the new fields. Most cases run twice:
-- natively (Rust does the I/O) and with create = socket.tcp (the Lua-driven
-- path, where TLS records travel through sock:send and sock:receive(n)).

local socket = require("socket")
local ltn12 = require("ltn12")
local mime = require("mime")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local certificates = require("certificates")
local descriptors = require("descriptors")
local mail = require("mail")

local unpack = table.unpack or unpack

local UNKNOWN_ISSUER = "certificate verify failed: unknown issuer (not signed by a trusted CA)"
local WRONG_NAME = 'certificate verify failed: certificate not valid for name "other.example";'
    .. " certificate is only valid for "
local NO_STARTTLS = "STARTTLS not supported by server"
local AUTH_OK = "235 2.7.0 Authentication successful"
local AUTH_FAILED = "535 5.7.8 Authentication credentials invalid" -- aiosmtpd and scripted alike
local NOT_ENCRYPTED = "credentials refused: the connection is not encrypted"
-- The XOAUTH2 error challenge: base64 of {"status":"401"}.
local ERROR_CHALLENGE = "334 eyJzdGF0dXMiOiI0MDEifQ=="

-- The two ways the module does I/O.
local PATHS = {
    { name = "natively" },
    { name = "with create = socket.tcp", create = socket.tcp },
}

local function b64(text) return (mime.b64(text)) end

local function xoauth2(user, token)
    return b64("user=" .. user .. "\1auth=Bearer " .. token .. "\1\1")
end

local function starts_with(prefix, text)
    return type(text) == "string" and text:sub(1, #prefix) == prefix
end

-- The lines a client sent after the last one the server answered may be
-- recorded a moment later: wait until its connections have ended before
-- checking what was never sent.
local function transcript(server)
    return server:settle():transcript()
end

-- Checks that `lines` holds `first`, then at most a QUIT: nothing else
-- (no STARTTLS, AUTH or MAIL) went out.
local function only(first, lines)
    assert.are.same(first, { unpack(lines, 1, #first) })
    for i = #first + 1, #lines do assert.are.equal("QUIT", lines[i], "line " .. i) end
end

describe("TLS", function()
    local certs
    local saved_timeout = smtp.TIMEOUT

    setup(function() certs = certificates.create() end)
    teardown(function() if certs then certs:remove() end end)
    before_each(function() smtp.TIMEOUT = 5 end)
    after_each(function() smtp.TIMEOUT = saved_timeout end)

    local function start(kind, options)
        return servers[kind](options or {})
    end

    local function tls_option() return { cert = certs.cert, key = certs.key } end

    -- A server that records the name each TLS client sends (implicit TLS).
    local function start_sni()
        return servers.sni({ cert = certs.cert, key = certs.key })
    end

    -- aiosmtpd offering STARTTLS, or speaking TLS from the first byte;
    -- `auth` = true adds AUTH LOGIN and PLAIN for alice/secret (over TLS only).
    local function aiosmtpd_starttls(auth)
        return start("aiosmtpd", { tls = tls_option(), tls_mode = "starttls", auth = auth })
    end
    local function aiosmtpd_implicit(auth)
        return start("aiosmtpd", { tls = tls_option(), tls_mode = "implicit", auth = auth })
    end

    -- The scripted server with TLS, offering STARTTLS; over TLS its EHLO
    -- reply lists `tls_extensions`. `script` adds to the script.
    local function scripted_starttls(tls_extensions, script)
        script = script or {}
        script.tls = tls_option()
        script.extensions = script.extensions or { "STARTTLS" }
        script.tls_extensions = tls_extensions
        return start("scripted", script)
    end

    -- mail.to's table on `path`; `fields` adds to it. A field trust = "ca"
    -- or "other_ca" stands for cafile = that certificate's path.
    local function mailt(server, path, fields)
        local t = mail.to(server, { create = path and path.create })
        for key, value in pairs(fields or {}) do t[key] = value end
        if t.trust then t.cafile, t.trust = certs[t.trust], nil end
        return t
    end

    -- smtp.send's results, packed; every send must leave no descriptor open.
    local function send(server, path, fields)
        return mail.details_aside({ descriptors.without_leaks(smtp.send, mailt(server, path, fields)) })
    end

    -- Checks that the server accepted mail.MESSAGE from alice to bob once,
    -- over TLS or not; returns its record.
    local function delivered_once(server, tls)
        return mail.assert_delivered(server, { tls = tls })[1]
    end

    -- An smtp.open{} session on `server`; `fields` as for mailt.
    local function open(server, path, fields)
        local t = mailt(server, path, fields)
        return smtp.open({ server = t.server, port = t.port, create = t.create, tls = t.tls,
            cafile = t.cafile, servername = t.servername, verify = t.verify, auth = t.auth,
            trace = t.trace })
    end

    for _, path in ipairs(PATHS) do
        describe(path.name, function()
            it("delivers over STARTTLS, verified against cafile", function()
                local server = aiosmtpd_starttls()
                assert.are.same({ 1 }, send(server, path, { tls = "starttls", trust = "ca" }))
                delivered_once(server, true)
            end)

            it("carries a message of many TLS records byte for byte", function()
                local lines = { "Subject: big", "" }
                for i = 1, 5000 do
                    lines[#lines + 1] = (i % 7 == 0 and "." or "") .. ("line %05d "):format(i) .. ("x"):rep(60)
                end
                local big = table.concat(lines, "\r\n")
                local server = aiosmtpd_starttls()
                assert.are.same({ 1 }, send(server, path,
                    { tls = "starttls", trust = "ca", source = ltn12.source.string(big) }))
                local received = server:received()
                assert.are.equal(1, #received)
                assert.is_true(received[1].tls)
                assert.are.equal(big .. "\r\n", received[1].data)
            end)

            local refusals = {
                { "a certificate from another CA", { tls = "starttls", trust = "other_ca" }, UNKNOWN_ISSUER },
                { "another CA, in tls = auto too", { tls = "auto", trust = "other_ca" }, UNKNOWN_ISSUER },
                { "a certificate for another name",
                    { tls = "starttls", trust = "ca", servername = "other.example" }, WRONG_NAME, "localhost" },
            }
            for _, case in ipairs(refusals) do
                local label, fields, expected, mentions = unpack(case)
                it("refuses " .. label, function()
                    local server = aiosmtpd_starttls()
                    local results = send(server, path, fields)
                    assert.is_nil(results[1])
                    if mentions then
                        assert.is_true(starts_with(expected, results[2]), results[2])
                        assert.matches(mentions, results[2], #expected + 1, true)
                    else
                        assert.are.equal(expected, results[2])
                    end
                    assert.are.same({}, server:received())
                end)
            end

            local acceptances = {
                { "checks servername rather than the address", { servername = "localhost", trust = "ca" } },
                { "with verify = false, needs no cafile", { verify = false } },
                { "with verify = false, takes another CA's and another name's certificate",
                    { verify = false, trust = "other_ca", servername = "other.example" } },
            }
            for _, case in ipairs(acceptances) do
                it("delivers over STARTTLS: " .. case[1], function()
                    local server = aiosmtpd_starttls()
                    local fields = { tls = "starttls" }
                    for key, value in pairs(case[2]) do fields[key] = value end
                    assert.are.same({ 1 }, send(server, path, fields))
                    delivered_once(server, true)
                end)
            end

            it("with tls = starttls, stops after EHLO when STARTTLS is not offered", function()
                local server = start("scripted", { extensions = { "AUTH PLAIN LOGIN", "PIPELINING" } })
                assert.are.same({ nil, NO_STARTTLS }, send(server, path,
                    { tls = "starttls", trust = "ca", user = "alice", password = "secret" }))
                only({ "EHLO localhost" }, transcript(server))
                assert.are.same({}, server:received())
            end)

            -- Offered, but the server has no certificate: 454. Even tls =
            -- auto does not go on in plain text then.
            for _, tls in ipairs({ "starttls", "auto" }) do
                it("with tls = " .. tls .. ", stops when STARTTLS is refused", function()
                    local server = start("scripted", { extensions = { "STARTTLS", "AUTH PLAIN" } })
                    assert.are.same({ nil, "454 4.7.0 TLS not available" }, send(server, path,
                        { tls = tls, trust = "ca", user = "alice", password = "secret" }))
                    only({ "EHLO localhost", "STARTTLS" }, transcript(server))
                end)
            end

            local function plain_aiosmtpd() return start("aiosmtpd") end
            -- STARTTLS is an extension keyword in any case; elsewhere on a
            -- line it offers nothing.
            local function lowercase_offer() return scripted_starttls(nil, { extensions = { "starttls" } }) end
            local function offer_in_words()
                local reply = "250-mx STARTTLS\n250 AUTH STARTTLS"
                return scripted_starttls(nil, { steps = { EHLO = { reply = reply } } })
            end
            local modes = {
                { "tls = auto upgrades when STARTTLS is offered", aiosmtpd_starttls, "auto", true },
                { "tls = auto takes the offer in lowercase", lowercase_offer, "auto", true },
                { "tls = auto stays plain when it is not offered", plain_aiosmtpd, "auto", false },
                { "tls = auto stays plain when STARTTLS is only a word", offer_in_words, "auto", false },
                { "tls = none ignores the offer", aiosmtpd_starttls, "none", false },
                { "no tls field ignores the offer", aiosmtpd_starttls, nil, false },
            }
            for _, case in ipairs(modes) do
                local label, server_for, tls, secure = unpack(case)
                it(label, function()
                    local server = server_for()
                    assert.are.same({ 1 }, send(server, path, { tls = tls, trust = "ca" }))
                    delivered_once(server, secure)
                end)
            end

            it("tls = auto without the offer authenticates in plain text, as asked", function()
                local server = start("scripted", { extensions = { "AUTH PLAIN" } })
                assert.are.same({ 1 }, send(server, path,
                    { tls = "auto", trust = "ca", user = "alice", password = "secret" }))
                delivered_once(server, false)
                local lines = server:transcript()
                assert.are.equal("EHLO localhost", lines[1])
                assert.are.equal("AUTH PLAIN " .. b64("\0alice\0secret"), lines[2])
            end)

            it("after STARTTLS, sends EHLO again and uses only the new extension list", function()
                -- LOGIN offered in plain text, only PLAIN over TLS
                local server = scripted_starttls({ "AUTH PLAIN" },
                    { extensions = { "STARTTLS", "AUTH LOGIN" } })
                assert.are.same({ 1 }, send(server, path, { tls = "starttls", trust = "ca",
                    domain = "client.example", user = "alice", password = "secret" }))
                -- nothing pipelined after STARTTLS: every later line came over TLS
                local secure = server:tls_transcript()
                local all = { "EHLO client.example", "STARTTLS" }
                for _, line in ipairs(secure) do all[#all + 1] = line end
                assert.are.same(all, server:transcript())
                assert.are.equal("EHLO client.example", secure[1])
                assert.are.equal("AUTH PLAIN " .. b64("\0alice\0secret"), secure[2])
                delivered_once(server, true)
            end)

            -- Replies over TLS cut in every way: each a single case.
            local many = {}
            for i = 1, 400 do many[i] = ("X-EXTENSION-%03d "):format(i) .. ("y"):rep(80) end
            local cuts = {
                { "a reply dripped one byte a record",
                    { steps = { MAIL = { drip = "250-one\r\n250 two\r\n", interval = 0.005 } } }, { 1 } },
                { "an EHLO reply of many records", { tls_extensions = many }, { 1 } },
                { "a reply the server closes the connection after",
                    { steps = { MAIL = { reply = "421 4.3.2 shutting down", close = true } } },
                    { nil, "421 4.3.2 shutting down" } },
            }
            for _, case in ipairs(cuts) do
                local label, script, expected = unpack(case)
                it("reads " .. label .. " over TLS", function()
                    local server = scripted_starttls(script.tls_extensions, { steps = script.steps })
                    assert.are.same(expected, send(server, path, { tls = "starttls", trust = "ca" }))
                    assert.are.equal(expected[1] and 1 or 0, #server:received())
                end)
            end

            -- The trace shows whether MAIL and RCPT went out in one write.
            local pipelining = {
                { "pipelines when only the list over TLS offers PIPELINING", {}, { "PIPELINING" },
                    { "C: MAIL FROM:<alice@example.com>", "C: RCPT TO:<bob@example.com>", "S: 250 2.1.0 Ok" } },
                { "does not pipeline when only the plain-text list offered it", { "PIPELINING" }, {},
                    { "C: MAIL FROM:<alice@example.com>", "S: 250 2.1.0 Ok", "C: RCPT TO:<bob@example.com>" } },
            }
            for _, case in ipairs(pipelining) do
                local label, plain, secure, expected = unpack(case)
                it("after STARTTLS, " .. label, function()
                    local extensions = { "STARTTLS" }
                    for _, name in ipairs(plain) do extensions[#extensions + 1] = name end
                    local server = scripted_starttls(secure, { extensions = extensions })
                    local lines = {}
                    assert.are.same({ 1 }, send(server, path, { tls = "starttls", trust = "ca",
                        trace = function(line) lines[#lines + 1] = line end }))
                    local first
                    for i, line in ipairs(lines) do
                        if line == "C: MAIL FROM:<alice@example.com>" then first = i end
                    end
                    assert.are.same(expected, { unpack(lines, first, first + 2) })
                    delivered_once(server, true)
                end)
            end

            it("checks the certificate against the server's name by default", function()
                local server = aiosmtpd_starttls()
                assert.are.same({ 1 }, send(server, path,
                    { tls = "starttls", trust = "ca", server = "localhost" }))
                delivered_once(server, true)
            end)

            it("without cafile, trusts the system store, which knows no test CA", function()
                local server = aiosmtpd_starttls()
                assert.are.same({ nil, UNKNOWN_ISSUER }, send(server, path, { tls = "starttls" }))
            end)

            -- SNI: the name the handshake asks for, as the server saw it.
            local names = {
                { "no name for an IP address", {}, "" },
                { "the server's name by default", { server = "localhost" }, "localhost" },
                { "servername", { servername = "localhost" }, "localhost" },
                { "servername with verify = false too", { servername = "mail.example.org", verify = false },
                    "mail.example.org" },
            }
            for _, case in ipairs(names) do
                local label, fields, expected = unpack(case)
                it("sends " .. label .. " in the handshake", function()
                    local server = start_sni()
                    local options = { tls = "tls", trust = "ca" }
                    for key, value in pairs(fields) do options[key] = value end
                    local session = open(server, path, options)
                    assert.are.equal("250 sni", session:greet())
                    assert.are.equal(221, (session:quit()))
                    session:close()
                    assert.are.same({ expected }, server:names())
                end)
            end

            local mechanisms = {
                { nil, "LOGIN" }, -- LuaSocket's choice: LOGIN when offered
                { "plain", "PLAIN" },
                { "login", "LOGIN" },
            }
            for _, case in ipairs(mechanisms) do
                local auth, mechanism = case[1], case[2]
                local label = mechanism .. " (auth = " .. tostring(auth) .. ")"
                it("authenticates with " .. label .. " after STARTTLS", function()
                    local server = aiosmtpd_starttls(true)
                    assert.are.same({ 1 }, send(server, path,
                        { tls = "starttls", trust = "ca", auth = auth, user = "alice", password = "secret" }))
                    local record = delivered_once(server, true)
                    assert.are.same({ mechanism = mechanism, login = "alice" }, record.auth)
                end)

                it("returns the server's refusal of a wrong password with " .. label, function()
                    local server = aiosmtpd_starttls(true)
                    assert.are.same({ nil, AUTH_FAILED }, send(server, path,
                        { tls = "starttls", trust = "ca", auth = auth, user = "alice", password = "wrong" }))
                    assert.are.same({}, server:received())
                end)
            end

            it("speaks TLS from the first byte with tls = tls, AUTH included", function()
                local server = aiosmtpd_implicit(true)
                assert.are.same({ 1 }, send(server, path,
                    { tls = "tls", trust = "ca", user = "alice", password = "secret", auth = "plain" }))
                local record = delivered_once(server, true)
                assert.are.same({ mechanism = "PLAIN", login = "alice" }, record.auth)
            end)

            it("with tls = tls, refuses a certificate from another CA", function()
                local server = aiosmtpd_implicit()
                assert.are.same({ nil, UNKNOWN_ISSUER },
                    send(server, path, { tls = "tls", trust = "other_ca" }))
                assert.are.same({}, server:received())
            end)

            it("with tls = tls, fails cleanly against a plain server", function()
                local server = start("aiosmtpd")
                local results = send(server, path, { tls = "tls", trust = "ca" })
                assert.is_nil(results[1])
                assert.is_true(starts_with("TLS failed: ", results[2]), results[2])
                assert.are.same({}, server:received())
            end)

            for _, tls in ipairs({ "tls", "starttls" }) do
                it("with tls = " .. tls .. ", times out on a silent server within TIMEOUT", function()
                    local server = start("aiosmtpd", { silent = true })
                    smtp.TIMEOUT = 0.2
                    local began = socket.gettime()
                    assert.are.same({ nil, "timeout" }, send(server, path, { tls = tls, trust = "ca" }))
                    local elapsed = socket.gettime() - began
                    -- up to twice TIMEOUT with create(), and two seconds
                    -- for a loaded machine
                    assert.is_true(elapsed >= 0.8 * smtp.TIMEOUT and elapsed < 2 * smtp.TIMEOUT + 2,
                        "took " .. elapsed .. " s")
                end)
            end

            it("reports a server that closes after its STARTTLS 220 as closed", function()
                local server = scripted_starttls(nil,
                    { steps = { STARTTLS = { reply = "220 go", close = true } } })
                assert.are.same({ nil, "closed" }, send(server, path, { tls = "starttls", trust = "ca" }))
            end)

            for _, tls in ipairs({ "starttls", "tls" }) do
                it("with tls = " .. tls .. ", reports an unreadable cafile", function()
                    local server = tls == "tls" and aiosmtpd_implicit() or aiosmtpd_starttls()
                    local missing = certs.dir .. "/missing.pem"
                    local results = send(server, path, { tls = tls, cafile = missing })
                    assert.is_nil(results[1])
                    local expected = "cannot read cafile '" .. missing .. "': "
                    assert.is_true(starts_with(expected, results[2]), results[2])
                    assert.are.same({}, server:received())
                end)
            end

            it("sends XOAUTH2's initial response after STARTTLS", function()
                local server = scripted_starttls({ "AUTH XOAUTH2" })
                assert.are.same({ 1 }, send(server, path, { tls = "starttls", trust = "ca", auth = "xoauth2",
                    user = "alice@example.com", password = "ya29.token" }))
                local secure = server:tls_transcript()
                assert.are.equal("EHLO localhost", secure[1])
                assert.are.equal("AUTH XOAUTH2 " .. xoauth2("alice@example.com", "ya29.token"), secure[2])
                assert.are.equal("MAIL FROM:<alice@example.com>", secure[3])
                delivered_once(server, true)
            end)

            it("answers XOAUTH2's error challenge with an empty line and returns the final reply", function()
                local server = scripted_starttls({ "AUTH XOAUTH2" },
                    { steps = { AUTH = { reply = ERROR_CHALLENGE } } })
                assert.are.same({ nil, AUTH_FAILED }, send(server, path,
                    { tls = "starttls", trust = "ca", auth = "xoauth2", user = "alice", password = "expired" }))
                only({ "EHLO localhost", "STARTTLS", "EHLO localhost",
                    "AUTH XOAUTH2 " .. xoauth2("alice", "expired"), "" }, transcript(server))
                assert.are.same({}, server:received())
            end)

            describe("trace", function()
                local PASSWORD = "pa55-w0rd!"
                -- What must never appear in a traced line.
                local SECRETS = {
                    PASSWORD, b64(PASSWORD), b64("alice"), b64("\0alice\0" .. PASSWORD),
                    xoauth2("alice", PASSWORD),
                }
                local BEFORE = {
                    "S: 220 scripted ESMTP",
                    "C: EHLO localhost", "S: 250-scripted", "S: 250 STARTTLS",
                    "C: STARTTLS", "S: 220 2.0.0 Ready to start TLS",
                    "C: EHLO localhost", "S: 250-scripted", "S: 250 AUTH LOGIN PLAIN XOAUTH2",
                }
                local AFTER = {
                    "S: " .. AUTH_OK,
                    "C: MAIL FROM:<alice@example.com>", "S: 250 2.1.0 Ok",
                    "C: RCPT TO:<bob@example.com>", "S: 250 2.1.5 Ok",
                    "C: DATA", "S: 354 End data with <CR><LF>.<CR><LF>",
                    "C: <" .. #mail.MESSAGE .. " bytes of data>", "C: .", "S: 250 2.0.0 Ok: queued",
                    "C: QUIT", "S: 221 2.0.0 Bye",
                }
                -- Per mechanism: the traced AUTH lines, and the line the
                -- server really got (so the secret did go out, over TLS).
                local cases = {
                    { "login", { "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: <redacted>", "S: 334 UGFzc3dvcmQ6",
                        "C: <redacted>" }, b64(PASSWORD) },
                    { "plain", { "C: AUTH PLAIN <redacted>" }, "AUTH PLAIN " .. b64("\0alice\0" .. PASSWORD) },
                    { "xoauth2", { "C: AUTH XOAUTH2 <redacted>" },
                        "AUTH XOAUTH2 " .. xoauth2("alice", PASSWORD) },
                }
                for _, case in ipairs(cases) do
                    local auth, auth_lines, sent = unpack(case)
                    local label = "shows a STARTTLS, AUTH " .. auth:upper() .. " and DATA dialogue"
                    it(label .. ", credentials redacted", function()
                        local server = scripted_starttls({ "AUTH LOGIN PLAIN XOAUTH2" })
                        local lines = {}
                        assert.are.same({ 1 }, send(server, path, {
                            tls = "starttls", trust = "ca", auth = auth, user = "alice", password = PASSWORD,
                            trace = function(line) lines[#lines + 1] = line end,
                        }))
                        local expected = {}
                        for _, part in ipairs({ BEFORE, auth_lines, AFTER }) do
                            for _, line in ipairs(part) do expected[#expected + 1] = line end
                        end
                        assert.are.same(expected, lines)
                        for _, line in ipairs(lines) do
                            for _, secret in ipairs(SECRETS) do
                                assert.is_nil(line:find(secret, 1, true), "secret in trace line " .. line)
                            end
                        end
                        local got = false
                        for _, line in ipairs(server:tls_transcript()) do got = got or line == sent end
                        assert.is_true(got, "the server never got " .. sent)
                    end)
                end
            end)

            describe("smtp.open{}", function()
                local sessions = {
                    { "STARTTLS", aiosmtpd_starttls, "starttls" },
                    { "implicit TLS", aiosmtpd_implicit, "tls" },
                }
                for _, case in ipairs(sessions) do
                    local label, server_for, tls = unpack(case)
                    it("sends two messages on one " .. label .. " session", function()
                        local server = server_for(true)
                        local session = open(server, path, { tls = tls, trust = "ca" })
                        local ext = session:greet("client.example")
                        -- the EHLO reply over TLS
                        assert.matches("\n250%-AUTH LOGIN PLAIN\n", ext)
                        assert.not_matches("STARTTLS", ext)
                        assert.are.same({ 235, AUTH_OK }, { session:auth("alice", "secret", ext) })
                        for i = 1, 2 do
                            session:send(mail.to(nil, { rcpt = "<user" .. i .. "@example.com>" }))
                        end
                        assert.are.equal(221, (session:quit()))
                        assert.are.equal(1, session:close())
                        local received = mail.assert_delivered(server, { count = 2, tls = true, rcpt_tos = false })
                        for i = 1, 2 do
                            assert.are.equal("client.example", received[i].helo)
                            assert.are.same({ "user" .. i .. "@example.com" }, received[i].rcpt_tos)
                            assert.are.same({ mechanism = "LOGIN", login = "alice" }, received[i].auth)
                        end
                    end)
                end

                it("has xoauth2(user, token)", function()
                    local server = scripted_starttls({ "AUTH XOAUTH2" })
                    local session = open(server, path, { tls = "starttls", trust = "ca" })
                    session:greet()
                    assert.are.same({ 235, AUTH_OK }, { session:xoauth2("alice", "token") })
                    session:quit()
                    session:close()
                    assert.are.equal("AUTH XOAUTH2 " .. xoauth2("alice", "token"), server:tls_transcript()[2])
                end)

                it("honours auth = xoauth2 in auth(user, token, ext)", function()
                    local server = scripted_starttls({ "AUTH LOGIN PLAIN XOAUTH2" })
                    local session = open(server, path, { tls = "starttls", trust = "ca", auth = "xoauth2" })
                    local ext = session:greet()
                    assert.are.same({ 235, AUTH_OK }, { session:auth("alice", "token", ext) })
                    session:quit()
                    session:close()
                    assert.are.equal("AUTH XOAUTH2 " .. xoauth2("alice", "token"), server:tls_transcript()[2])
                end)

                it("raises the verification failure of tls = tls", function()
                    local server = aiosmtpd_implicit()
                    local ok, err = pcall(open, server, path, { tls = "tls", trust = "other_ca" })
                    assert.is_false(ok)
                    assert.are.same({ UNKNOWN_ISSUER }, err)
                end)

                it("raises from greet when STARTTLS is required but not offered", function()
                    local server = start("scripted", { extensions = { "AUTH PLAIN" } })
                    local session = open(server, path, { tls = "starttls", trust = "ca" })
                    local ok, err = pcall(session.greet, session)
                    assert.is_false(ok)
                    assert.are.same({ NO_STARTTLS }, err)
                    session:close()
                    only({ "EHLO localhost" }, transcript(server))
                end)

                -- A script that authenticates before greet would send the
                -- credentials before STARTTLS: refused, nothing sent.
                local early = {
                    { "plain", function(s) return s:plain("alice", "secret") end },
                    { "login", function(s) return s:login("alice", "secret") end },
                    { "auth", function(s) return s:auth("alice", "secret", "250 AUTH PLAIN") end },
                    { "xoauth2", function(s) return s:xoauth2("alice", "secret") end },
                }
                for _, case in ipairs(early) do
                    it("refuses " .. case[1] .. " before STARTTLS with tls = starttls", function()
                        local server = start("scripted", { extensions = { "STARTTLS", "AUTH PLAIN LOGIN" } })
                        local session = open(server, path, { tls = "starttls", trust = "ca" })
                        local ok, err = pcall(case[2], session)
                        assert.is_false(ok)
                        assert.are.same({ NOT_ENCRYPTED }, err)
                        session:close()
                        assert.are.same({}, transcript(server))
                    end)
                end
            end)
        end)
    end

    -- STARTTLS response injection: the server sends a forged reply in
    -- plain text right after its 220, before the handshake.
    describe("after a STARTTLS 220 with an injected line", function()
        local function injecting_server()
            return scripted_starttls({ "AUTH PLAIN" },
                { steps = { STARTTLS = { raw = "220 go\r\n250 injected\r\n" } } })
        end

        it("natively, discards it: the EHLO reply comes over TLS", function()
            local server = injecting_server()
            local lines = {}
            assert.are.same({ 1 }, send(server, PATHS[1], { tls = "starttls", trust = "ca",
                user = "alice", password = "secret", trace = function(line) lines[#lines + 1] = line end }))
            assert.are.same({
                "C: STARTTLS", "S: 220 go",
                "C: EHLO localhost", "S: 250-scripted", "S: 250 AUTH PLAIN",
                "C: AUTH PLAIN <redacted>", "S: " .. AUTH_OK,
            }, { unpack(lines, 5, 11) })
            for _, line in ipairs(lines) do assert.are_not.equal("S: 250 injected", line) end
            assert.are.same({ "EHLO localhost", "AUTH PLAIN " .. b64("\0alice\0secret") },
                { unpack(server:tls_transcript(), 1, 2) })
            delivered_once(server, true)
        end)

        it("with create = socket.tcp, fails the handshake on it, cleanly", function()
            -- LuaSocket reads the injected line into its buffer with the
            -- 220; the module then reads it as the first TLS record.
            local server = injecting_server()
            assert.are.same({ nil, "TLS failed: received corrupt message of type InvalidContentType" },
                send(server, PATHS[2], { tls = "starttls", trust = "ca", user = "alice", password = "secret" }))
            only({ "EHLO localhost", "STARTTLS" }, transcript(server))
            assert.are.same({}, server:tls_transcript())
        end)
    end)
end)

describe("the TLS fields", function()
    local MISUSE = {
        { "tls", "startls", [[bad field 'tls' ("none", "auto", "starttls" or "tls" expected, got "startls")]] },
        { "tls", true, [[bad field 'tls' ("none", "auto", "starttls" or "tls" expected, got boolean)]] },
        { "verify", "no", "bad field 'verify' (boolean expected, got string)" },
        { "auth", "cram", [[bad field 'auth' ("plain", "login" or "xoauth2" expected, got "cram")]] },
        { "auth", "PLAIN", [[bad field 'auth' ("plain", "login" or "xoauth2" expected, got "PLAIN")]] },
        { "cafile", 1, "bad field 'cafile' (string expected, got number)" },
        { "servername", false, "bad field 'servername' (string expected, got boolean)" },
        { "trace", true, "bad field 'trace' (function expected, got boolean)" },
    }

    -- Raised before connecting (to a port nobody listens on, in case), at
    -- the caller's line.
    local function check(call, message)
        local ok, err = pcall(call)
        assert.is_false(ok)
        assert.are.equal("string", type(err), "not raised as a misuse")
        local where, text = err:match("^(.-):%d+: (.*)$")
        assert.matches("tls_spec%.lua$", where)
        assert.are.equal(message, text)
    end

    for _, case in ipairs(MISUSE) do
        local name, value, message = unpack(case)
        it("raises " .. message .. " from smtp.send", function()
            local t = { from = "<a@example.com>", rcpt = "<b@example.com>", source = ltn12.source.string("x"),
                server = "127.0.0.1", port = servers.free_port(), [name] = value }
            check(function() smtp.send(t) end, message) -- not a tail call: the error names this line
        end)

        it("raises " .. message .. " from smtp.open{}", function()
            local t = { server = "127.0.0.1", port = servers.free_port(), [name] = value }
            check(function() smtp.open(t) end, message)
        end)
    end
end)
