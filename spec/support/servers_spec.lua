-- The test servers of spec/support/smtp_servers.lua, checked with LuaSocket's
-- own SMTP client.

local socket = require("socket")
local ssl = require("ssl")
local mime = require("mime")
local servers = require("smtp_servers")
local certificates = require("certificates")
local load_luasocket = require("luasocket_smtp")
local files = require("files")
local interpreter = require("interpreter")
local mail = require("mail")
local raw_smtp = require("raw_smtp")

local MESSAGE = mail.MESSAGE

-- Sends MESSAGE through LuaSocket's smtp.send; `fields` adds to or replaces
-- mail.to's. Returns what smtp.send returns.
local function send(server, fields)
    return load_luasocket().send(mail.to(server, fields))
end

-- Sends MESSAGE after AUTH PLAIN, which smtp.send never picks while the
-- server offers LOGIN too.
local function send_plain(server, user, password)
    local smtp = load_luasocket()
    return socket.protect(function()
        local session = smtp.open(server.host, server.port)
        local extensions = session:greet()
        session:plain(user, password)
        session:send(mail.to())
        session:quit()
        session:close()
        return extensions
    end)()
end

-- A bare SMTP client for the TLS cases, over LuaSocket and then LuaSec.
local reply, command, connect = raw_smtp.reply, raw_smtp.command, raw_smtp.connect

-- Wraps a connected socket in TLS, trusting `cafile`; the connection, or
-- nil and the handshake's error.
local function handshake(conn, cafile)
    local tls = assert(ssl.wrap(conn, { mode = "client", protocol = "any",
        verify = "peer", cafile = cafile, options = "all" }))
    tls:settimeout(5)
    local ok, err = tls:dohandshake()
    if not ok then
        tls:close()
        return nil, err
    end
    return tls
end

-- MESSAGE as the data of the transaction open on `conn`, then QUIT.
local function send_data(conn)
    assert.matches("^354 ", command(conn, "DATA"))
    assert.matches("^250 ", command(conn, (MESSAGE:gsub("\r\n%.", "\r\n..")) .. "\r\n."))
    assert.matches("^221 ", command(conn, "QUIT"))
    conn:close()
end

-- MESSAGE from alice to bob, after EHLO (and AUTH) on `conn`.
local function transaction(conn)
    assert.matches("^250 ", command(conn, "MAIL FROM:<alice@example.com>"))
    assert.matches("^250 ", command(conn, "RCPT TO:<bob@example.com>"))
    send_data(conn)
end

-- A raw connection to `server` after its greeting and EHLO; the connection
-- and the EHLO reply.
local function greeted(server)
    local conn = connect(server)
    assert.matches("^220 ", reply(conn))
    return conn, command(conn, "EHLO localhost")
end

-- The keywords of an EHLO reply, as a set.
local function keywords(extensions)
    local set = {}
    for keyword in extensions:gmatch("\n250[- ]([%w-]+)") do set[keyword] = true end
    return set
end

local AUTH_PLAIN = "AUTH PLAIN " .. mime.b64("\0alice\0secret")

-- Certificates, gone after the test, and a server started by start(certs):
-- f(certs, server) runs as the test.
local function with_tls(start, f)
    return function()
        local certs = certificates.create()
        finally(function() certs:remove() end)
        f(certs, start(certs))
    end
end

local function tls_option(certs)
    return { cert = certs.cert, key = certs.key }
end

-- A TLS ClientHello as LuaSec sends it, caught by a listener of our own.
local function client_hello()
    local listener = assert(socket.bind("127.0.0.1", 0))
    local host, port = listener:getsockname()
    local conn = assert(socket.connect(host, port))
    local peer = assert(listener:accept())
    local tls = assert(ssl.wrap(conn, { mode = "client", protocol = "any", verify = "none" }))
    tls:settimeout(0)
    tls:dohandshake() -- sends the ClientHello, then would wait for the answer
    peer:settimeout(5)
    local header = assert(peer:receive(5))
    local body = assert(peer:receive(header:byte(4) * 256 + header:byte(5)))
    tls:close()
    peer:close()
    listener:close()
    return header .. body
end

-- The TLS records in `bytes`: { type =, length = declared, present = bytes there }.
local function records(bytes)
    local found, at = {}, 1
    while at + 4 <= #bytes do
        local length = bytes:byte(at + 3) * 256 + bytes:byte(at + 4)
        found[#found + 1] = { type = bytes:byte(at), length = length,
            present = math.min(length, #bytes - at - 4) }
        at = at + 5 + length
    end
    return found
end

describe("the test servers", function()
    describe("aiosmtpd", function()
        it("receives a message with its envelope and bytes", function()
            local server = servers.aiosmtpd()
            assert.are.equal(1, send(server, { rcpt = { "<bob@example.com>", "<carol@example.com>" } }))
            local received = mail.assert_delivered(server,
                { tls = false, rcpt_tos = { "bob@example.com", "carol@example.com" } })
            assert.are.equal("localhost", received[1].helo)
            assert.are.equal("FROM:<alice@example.com>", received[1].mail_argument)
            assert.is_nil(received[1].auth)
        end)

        it("accepts alice/secret with AUTH LOGIN and PLAIN, and refuses a wrong password", function()
            local server = servers.aiosmtpd({ auth = true })
            assert.are.equal(1, send(server, { user = "alice", password = "secret" }))
            assert.matches("AUTH LOGIN PLAIN", send_plain(server, "alice", "secret"))
            local received = server:received()
            assert.are.same({ mechanism = "LOGIN", login = "alice" }, received[1].auth)
            assert.are.same({ mechanism = "PLAIN", login = "alice" }, received[2].auth)

            local ok, err = send(server, { user = "alice", password = "wrong" })
            assert.is_nil(ok)
            assert.matches("^535 ", err)
            ok, err = send_plain(server, "alice", "wrong")
            assert.is_nil(ok)
            assert.matches("^535 ", err)
            assert.are.equal(2, #server:received())
        end)

        it("refuses the reject_rcpt address", function()
            local server = servers.aiosmtpd({ reject_rcpt = "bad@example.com" })
            local ok, err = send(server, { rcpt = { "<good@example.com>", "<bad@example.com>" } })
            assert.is_nil(ok)
            assert.are.equal("550 5.1.1 <bad@example.com>: Recipient address rejected", err)
            assert.are.same({}, server:received())
        end)

        it("offers SIZE and 8BITMIME, and what advertise adds but not what hide takes out", function()
            local _, plain = greeted(servers.aiosmtpd())
            assert.are.same({ SIZE = true, ["8BITMIME"] = true, HELP = true }, keywords(plain))
            local _, changed = greeted(servers.aiosmtpd({
                advertise = { "SMTPUTF8", "DSN", "PIPELINING", "ENHANCEDSTATUSCODES" },
                hide = { "SIZE", "8BITMIME" },
            }))
            assert.are.same({ SMTPUTF8 = true, DSN = true, PIPELINING = true,
                ENHANCEDSTATUSCODES = true, HELP = true }, keywords(changed))
            assert.matches("^250%-aiosmtpd\n.*\n250 HELP$", changed)
        end)

        it("does not start with an extension it does not know, or one both advertised and hidden", function()
            assert.has_error(function() servers.aiosmtpd({ advertise = { "CHUNKING" } }) end)
            assert.has_error(function() servers.aiosmtpd({ advertise = { "DSN" }, hide = { "DSN" } }) end)
        end)

        it("records MAIL's and each recipient's parameters as sent", function()
            local server = servers.aiosmtpd({ advertise = { "SMTPUTF8", "DSN" } })
            local conn = greeted(server)
            assert.matches("^250 ", command(conn,
                "MAIL FROM:<jos\195\169@exemplo.br> size=12 BODY=8bitmime SMTPUTF8 RET=hdrs ENVID=QQ+2B1"))
            assert.matches("^250 ", command(conn,
                "RCPT TO:<bob@example.com> NOTIFY=success,FAILURE ORCPT=rfc822;bob+2Bx@example.com"))
            assert.matches("^250 ", command(conn, "RCPT TO:<carol@example.com>"))
            assert.matches("^250 ", command(conn, "RCPT TO:<dan@example.com> NOTIFY=NEVER"))
            assert.matches("^354 ", command(conn, "DATA"))
            assert.matches("^250 ", command(conn, "Subject: x\r\n\r\nbody\r\n."))
            conn:close()
            local received = server:settle():received()
            assert.are.equal(1, #received)
            assert.are.equal("jos\195\169@exemplo.br", received[1].mail_from)
            assert.are.same({ "size=12", "BODY=8bitmime", "SMTPUTF8", "RET=hdrs", "ENVID=QQ+2B1" },
                received[1].mail_options)
            assert.are.same({ "bob@example.com", "carol@example.com", "dan@example.com" }, received[1].rcpt_tos)
            assert.are.same({
                { "NOTIFY=success,FAILURE", "ORCPT=rfc822;bob+2Bx@example.com" },
                {},
                { "NOTIFY=NEVER" },
            }, received[1].rcpt_options)
        end)

        it("takes DSN's parameters only when it advertises DSN, and only well-formed", function()
            local conn = greeted(servers.aiosmtpd())
            assert.matches("^555 ", command(conn, "MAIL FROM:<alice@example.com> RET=FULL"))
            assert.matches("^250 ", command(conn, "MAIL FROM:<alice@example.com>"))
            assert.matches("^555 ", command(conn, "RCPT TO:<bob@example.com> NOTIFY=NEVER"))
            conn = greeted(servers.aiosmtpd({ advertise = { "DSN" } }))
            for _, parameter in ipairs({ "RET=ALL", "ENVID=a=b", "ENVID=a+2b", "ENVID=" }) do
                assert.matches("^501 5%.5%.4 ", command(conn, "MAIL FROM:<alice@example.com> " .. parameter))
            end
            assert.matches("^250 ", command(conn, "MAIL FROM:<alice@example.com> RET=FULL ENVID=x"))
            for _, parameter in ipairs({ "NOTIFY=NEVER,SUCCESS", "NOTIFY=SOMETIMES", "ORCPT=bob@example.com",
                "ORCPT=rfc822;bob=x" }) do
                assert.matches("^501 5%.5%.4 ", command(conn, "RCPT TO:<bob@example.com> " .. parameter))
            end
            assert.matches("^250 ", command(conn, "RCPT TO:<bob@example.com> NOTIFY=DELAY ORCPT=utf-8;b\\x{E9}@x"))
            conn:close()
        end)

        it("refuses SIZE and BODY when it hides SIZE and 8BITMIME", function()
            local conn = greeted(servers.aiosmtpd({ hide = { "SIZE", "8BITMIME" } }))
            assert.matches("^555 5%.5%.4 SIZE ", command(conn, "MAIL FROM:<alice@example.com> SIZE=10"))
            assert.matches("^555 5%.5%.4 BODY ", command(conn, "MAIL FROM:<alice@example.com> body=8BITMIME"))
            assert.matches("^250 ", command(conn, "MAIL FROM:<alice@example.com>"))
            conn = greeted(servers.aiosmtpd())
            assert.matches("^250 ", command(conn, "MAIL FROM:<alice@example.com> SIZE=10 BODY=8BITMIME"))
            conn:close()
        end)

        it("takes UTF-8 and SMTPUTF8 only when it advertises SMTPUTF8", function()
            local conn = greeted(servers.aiosmtpd())
            assert.matches("^5", command(conn, "MAIL FROM:<alice@example.com> SMTPUTF8"))
            assert.matches("^5", command(conn, "MAIL FROM:<jos\195\169@exemplo.br>"))
            conn:close()
        end)

        it("refuses each reject address with its reply, beside reject_rcpt", function()
            local server = servers.aiosmtpd({
                advertise = { "SMTPUTF8" },
                reject_rcpt = "old@example.com",
                reject = {
                    ["<unknown@example.com>"] = "550 5.1.1 no such user",
                    ["full@example.com"] = "452 4.2.2 mailbox full",
                    ["<jos\195\169@example.com>"] = "553 5.6.7 not here",
                },
            })
            local conn = greeted(server)
            assert.matches("^250 ", command(conn, "MAIL FROM:<alice@example.com>"))
            assert.are.equal("550 5.1.1 no such user", command(conn, "RCPT TO:<unknown@example.com>"))
            assert.are.equal("452 4.2.2 mailbox full", command(conn, "RCPT TO:<full@example.com>"))
            assert.are.equal("553 5.6.7 not here", command(conn, "RCPT TO:<jos\195\169@example.com>"))
            assert.matches("^550 5%.1%.1 <old@example%.com>", command(conn, "RCPT TO:<old@example.com>"))
            assert.matches("^250 ", command(conn, "RCPT TO:<bob@example.com>"))
            send_data(conn)
            mail.assert_delivered(server:settle())
        end)

        it("delays its answers, serving connections concurrently", function()
            local server = servers.aiosmtpd({ delay = 0.15 })
            local clients = {}
            for i = 1, 10 do
                clients[i] = assert(socket.connect(server.host, server.port))
                clients[i]:settimeout(5)
                assert.matches("^220 ", clients[i]:receive())
            end
            local start = socket.gettime()
            for _, client in ipairs(clients) do client:send("EHLO localhost\r\n") end
            for _, client in ipairs(clients) do
                repeat
                    local line = assert(client:receive())
                until line:match("^250 ")
                client:close()
            end
            local elapsed = socket.gettime() - start
            -- one after the other, they would take 1.5 s
            assert.is_true(elapsed >= 0.15 and elapsed < 1.25, "took " .. elapsed .. " s")
        end)

        it("offers STARTTLS and AUTH only over TLS", with_tls(function(certs)
            return servers.aiosmtpd({ auth = true, tls = tls_option(certs), tls_mode = "starttls" })
        end, function(certs, server)
            local conn = connect(server)
            assert.matches("^220 ", reply(conn))
            local extensions = command(conn, "EHLO localhost")
            assert.matches("\n250%-STARTTLS\n", extensions)
            assert.not_matches("AUTH", extensions)
            assert.matches("^538 ", command(conn, AUTH_PLAIN))
            assert.matches("^220 ", command(conn, "STARTTLS"))
            conn = assert(handshake(conn, certs.ca))
            extensions = command(conn, "EHLO localhost")
            assert.matches("\n250%-AUTH LOGIN PLAIN\n", extensions)
            assert.not_matches("STARTTLS", extensions)
            assert.matches("^235 ", command(conn, AUTH_PLAIN))
            transaction(conn)
            local received = mail.assert_delivered(server, { tls = true })
            assert.are.same({ mechanism = "PLAIN", login = "alice" }, received[1].auth)
            -- one connection, though STARTTLS gave it a new transport
            conn:close()
            assert.are.same({ "opened", "ended" }, server:settle():records("connections"))
        end))

        it("speaks TLS from the first byte with tls_mode implicit, AUTH included", with_tls(function(certs)
            return servers.aiosmtpd({ auth = true, tls = tls_option(certs), tls_mode = "implicit" })
        end, function(certs, server)
            local conn = assert(handshake(connect(server), certs.ca))
            assert.matches("^220 ", reply(conn))
            local extensions = command(conn, "EHLO localhost")
            assert.matches("\n250%-AUTH LOGIN PLAIN\n", extensions)
            assert.not_matches("STARTTLS", extensions)
            assert.matches("^235 ", command(conn, AUTH_PLAIN))
            transaction(conn)
            local received = mail.assert_delivered(server, { tls = true })
            assert.are.same({ mechanism = "PLAIN", login = "alice" }, received[1].auth)
        end))

        it("has a certificate that a client trusting the other CA refuses", with_tls(function(certs)
            return servers.aiosmtpd({ tls = tls_option(certs), tls_mode = "implicit" })
        end, function(certs, server)
            local conn, err = handshake(connect(server), certs.other_ca)
            assert.is_nil(conn)
            assert.matches("certificate verify failed", err)
            -- and the server goes on serving
            conn = assert(handshake(connect(server), certs.ca))
            assert.matches("^220 ", reply(conn))
            conn:close()
        end))

        it("can accept connections and say nothing", function()
            local server = servers.aiosmtpd({ silent = true })
            local client = assert(socket.connect(server.host, server.port))
            client:settimeout(0.2)
            local line, err = client:receive()
            client:close()
            assert.is_nil(line)
            assert.are.equal("timeout", err)
        end)
    end)

    describe("smtp-sink", function()
        it("receives a message for two recipients", function()
            local server = servers.smtp_sink()
            assert.are.equal(1, send(server, { rcpt = { "<bob@example.com>", "<carol@example.com>" } }))
            local received = mail.assert_delivered(server, { rcpt_tos = { "bob@example.com", "carol@example.com" } })
            assert.are.equal("localhost", received[1].helo)
        end)
    end)

    describe("the scripted server", function()
        it("runs a normal dialogue and records every line", function()
            local server = servers.scripted({})
            assert.are.equal(1, send(server, { user = "alice", password = "secret" }))
            assert.are.same({
                "EHLO localhost", "AUTH LOGIN", "YWxpY2U=", "c2VjcmV0",
                "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>", "DATA",
                "Subject: hello", "", "first line", "..starts with a dot", "", "last line", ".",
                "QUIT",
            }, server:transcript())
            mail.assert_delivered(server, { tls = false })
            assert.are.same({}, server:tls_transcript())
        end)

        -- Each: the script's steps, smtp.send's extra fields, the error
        -- LuaSocket's smtp.send returns.
        local REFUSALS = {
            { "answers a step with the scripted reply",
              { RCPT = { reply = "550 5.1.1 nope" } }, nil, "550 5.1.1 nope" },
            { "can target the n-th RCPT only",
              { RCPT = { rcpt_index = 2, reply = "550 second" } },
              { rcpt = { "<a@example.com>", "<b@example.com>", "<c@example.com>" } }, "550 second" },
            { "returns a multi-line reply whole", { MAIL = { reply = "550-a\n550 b" } }, nil, "550-a\n550 b" },
            { "answers the LOGIN continuation lines as scripted",
              { ["AUTH-PASSWORD"] = { reply = "535 5.7.8 no" } }, { user = "alice", password = "secret" },
              "535 5.7.8 no" },
        }
        for _, case in ipairs(REFUSALS) do
            local what, steps, fields, expected = case[1], case[2], case[3], case[4]
            it(what, function()
                local server = servers.scripted({ steps = steps })
                local ok, err = send(server, fields)
                assert.is_nil(ok)
                assert.are.equal(expected, err)
            end)
        end

        it("can close the connection instead of answering", function()
            local server = servers.scripted({ steps = { DATA = { close = true } } })
            local ok, err = send(server)
            assert.is_nil(ok)
            assert.are.equal("closed", err)
            assert.are.equal("DATA", server:transcript()[4])
        end)

        it("can stay silent until the client times out", function()
            local server = servers.scripted({ steps = { greeting = { silent = true } } })
            local smtp = load_luasocket()
            smtp.TIMEOUT = 0.2
            local start = socket.gettime()
            local ok, err = smtp.send(mail.to(server))
            local elapsed = socket.gettime() - start
            assert.is_nil(ok)
            assert.are.equal("timeout", err)
            -- a second of headroom for a loaded machine
            assert.is_true(elapsed > 0.9 * smtp.TIMEOUT and elapsed < smtp.TIMEOUT + 1,
                "took " .. elapsed .. " s")
        end)

        it("sends raw bytes and drips replies", function()
            local server = servers.scripted({
                steps = {
                    greeting = { drip = "220 slow\r\n", interval = 0.01 },
                    MAIL = { raw = "garbage\r\n" },
                },
            })
            local ok, err = send(server)
            assert.is_nil(ok)
            assert.are.equal("invalid server reply", err)
        end)

        it("sends endless bytes, interval seconds apart", function()
            local server = servers.scripted({ steps = { greeting = { endless = "220-more\r\n", interval = 0.05 } } })
            local conn = connect(server)
            local start = socket.gettime()
            for _ = 1, 5 do assert.are.equal("220-more", conn:receive("*l")) end
            local elapsed = socket.gettime() - start
            conn:close()
            assert.is_true(elapsed >= 4 * 0.05 * 0.9, "took " .. elapsed .. " s")
        end)

        it("stops reading in the data phase with a stall at step body", function()
            local server = servers.scripted({ steps = { body = { stall = true } } })
            local conn = connect(server)
            reply(conn)
            command(conn, "EHLO localhost")
            command(conn, "MAIL FROM:<alice@example.com>")
            command(conn, "RCPT TO:<bob@example.com>")
            assert.matches("^354 ", command(conn, "DATA"))
            -- Far more than the socket buffers hold (about 40 MB on loopback).
            local chunk, sent, err = ("x"):rep(1024 * 1024) .. "\r\n", 0, nil
            conn:settimeout(0.2)
            while sent < 256 and not err do
                local ok
                ok, err = conn:send(chunk)
                if ok then sent = sent + 1 end
            end
            conn:close()
            assert.are.equal("timeout", err)
        end)

        it("speaks TLS from the first byte with tls_mode implicit", with_tls(function(certs)
            return servers.scripted({ tls = tls_option(certs), tls_mode = "implicit" })
        end, function(certs, server)
            local conn = assert(handshake(connect(server), certs.ca))
            assert.are.equal("220 scripted ESMTP", reply(conn))
            assert.are.equal("250-scripted\n250-AUTH LOGIN PLAIN\n250 HELP", command(conn, "EHLO secure"))
            transaction(conn)
            assert.is_true(server:received()[1].tls)
            assert.are.equal("EHLO secure", server:tls_transcript()[1])
        end))

        it("answers the ClientHello with raw bytes instead of the handshake, then closes", with_tls(function(certs)
            return servers.scripted({ tls = tls_option(certs), tls_mode = "implicit",
                steps = { handshake = { raw = "not TLS\r\n" } } })
        end, function(_, server)
            local conn = connect(server)
            conn:settimeout(0.3)
            -- Nothing comes before the ClientHello has been read whole.
            local early, why = conn:receive(1)
            assert.are.same({ nil, "timeout" }, { early, why })
            conn:settimeout(5)
            assert(conn:send(client_hello()))
            assert.are.equal("not TLS", conn:receive("*l"))
            local line, err = conn:receive("*l")
            conn:close()
            assert.are.same({ nil, "closed" }, { line, err })
        end))

        -- In TLS 1.3 the ServerHello is followed by the certificate and
        -- more, encrypted: half of that ends inside a record.
        it("cuts the TLS handshake in the middle of the server's first flight", with_tls(function(certs)
            return servers.scripted({ tls = tls_option(certs), tls_mode = "implicit",
                steps = { handshake = { cut = true } } })
        end, function(_, server)
            local conn = connect(server)
            assert(conn:send(client_hello()))
            local flight, err = conn:receive("*a") -- until the server closes
            conn:close()
            assert.is_nil(err)
            local found = records(flight)
            assert.is_true(#found >= 2, #found .. " records")
            assert.are.same({ type = 22, complete = true }, -- the ServerHello, whole
                { type = found[1].type, complete = found[1].present == found[1].length })
            assert.is_true(found[#found].present < found[#found].length, "the last record is whole")
        end))

        it("upgrades on STARTTLS and starts the dialogue afresh over TLS", with_tls(function(certs)
            return servers.scripted({ tls = tls_option(certs), extensions = { "STARTTLS" },
                tls_extensions = { "AUTH XOAUTH2" } })
        end, function(certs, server)
            local conn = connect(server)
            assert.are.equal("220 scripted ESMTP", reply(conn))
            assert.are.equal("250-scripted\n250 STARTTLS", command(conn, "EHLO plain"))
            assert.are.equal("220 2.0.0 Ready to start TLS", command(conn, "STARTTLS"))
            conn = assert(handshake(conn, certs.ca))
            assert.are.equal("250-scripted\n250 AUTH XOAUTH2", command(conn, "EHLO secure"))
            assert.are.equal("503 5.5.1 TLS already active", command(conn, "STARTTLS"))
            assert.are.equal("235 2.7.0 Authentication successful", command(conn, "AUTH XOAUTH2 dG9rZW4="))
            transaction(conn)
            local after = {
                "EHLO secure", "STARTTLS", "AUTH XOAUTH2 dG9rZW4=",
                "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>", "DATA",
                "Subject: hello", "", "first line", "..starts with a dot", "", "last line", ".",
                "QUIT",
            }
            local all = { "EHLO plain", "STARTTLS" }
            for _, line in ipairs(after) do all[#all + 1] = line end
            assert.are.same(all, server:transcript())
            assert.are.same(after, server:tls_transcript())
            local received = mail.assert_delivered(server, { tls = true })
            assert.are.equal("secure", received[1].helo)
        end))

        it("sends injected plain text after its STARTTLS 220, then upgrades", with_tls(function(certs)
            return servers.scripted({ tls = tls_option(certs), extensions = { "STARTTLS" },
                steps = { STARTTLS = { raw = "220 go\r\n250 injected\r\n" } } })
        end, function(certs, server)
            local conn = connect(server)
            reply(conn)
            command(conn, "EHLO localhost")
            assert.are.equal("220 go", command(conn, "STARTTLS"))
            assert.are.equal("250 injected", reply(conn)) -- in plain text
            conn = assert(handshake(conn, certs.ca))
            assert.are.equal("250-scripted\n250 STARTTLS", command(conn, "EHLO localhost"))
            conn:close()
            assert.are.same({ "EHLO localhost" }, server:tls_transcript())
        end))

        it("records and discards plain text pipelined after STARTTLS", with_tls(function(certs)
            return servers.scripted({ tls = tls_option(certs), extensions = { "STARTTLS" } })
        end, function(certs, server)
            local conn = connect(server)
            reply(conn)
            command(conn, "EHLO localhost")
            assert.matches("^220 ", command(conn, "STARTTLS\r\nRCPT TO:<evil@example.com>"))
            conn = assert(handshake(conn, certs.ca))
            assert.are.equal("250 2.0.0 Ok", command(conn, "NOOP"))
            conn:close()
            assert.are.same({ "EHLO localhost", "STARTTLS", "RCPT TO:<evil@example.com>", "NOOP" },
                server:transcript())
            assert.are.same({ "NOOP" }, server:tls_transcript())
        end))

        it("answers STARTTLS with 454 without tls", function()
            local server = servers.scripted({ extensions = { "STARTTLS" } })
            local conn = connect(server)
            reply(conn)
            assert.are.equal("454 4.7.0 TLS not available", command(conn, "STARTTLS"))
            assert.are.equal("250 2.0.0 Ok", command(conn, "NOOP"))
            conn:close()
        end)

        it("answers an XOAUTH2 error challenge at AUTH-CONTINUE", function()
            local server = servers.scripted({ steps = { AUTH = { reply = "334 eyJzdGF0dXMiOiI0MDEifQ==" } } })
            local conn = connect(server)
            reply(conn)
            command(conn, "EHLO localhost")
            assert.are.equal("334 eyJzdGF0dXMiOiI0MDEifQ==", command(conn, "AUTH XOAUTH2 dG9rZW4="))
            assert.are.equal("535 5.7.8 Authentication credentials invalid", command(conn, ""))
            assert.are.equal("250 2.0.0 Ok", command(conn, "NOOP"))
            conn:close()
            assert.are.same({ "EHLO localhost", "AUTH XOAUTH2 dG9rZW4=", "", "NOOP" }, server:transcript())
        end)

        it("advertises the scripted extensions and delays every reply", function()
            local server = servers.scripted({ extensions = { "PIPELINING", "8BITMIME" }, delay = 0.05 })
            local start = socket.gettime()
            local extensions = send_plain(server, "alice", "secret")
            local elapsed = socket.gettime() - start
            assert.are.equal("250-scripted\n250-PIPELINING\n250 8BITMIME", extensions)
            -- greeting, EHLO, AUTH, MAIL, RCPT, DATA, end of data, QUIT
            assert.is_true(elapsed >= 8 * 0.05, "took " .. elapsed .. " s")
        end)
    end)

    describe("reuse", function()
        -- A zombie counts as gone: nobody may reap it.
        local function running(pid)
            local stat = files.read("/proc/" .. pid .. "/stat")
            return stat ~= nil and stat:match(".*%) (%a)") ~= "Z"
        end

        it("gives a scripted server that was stopped a new script and empty records", function()
            local first = servers.scripted({})
            assert.are.equal(1, send(first))
            assert.are.equal(1, #first:received())
            first:stop()
            local again = servers.scripted({ extensions = { "STARTTLS" },
                steps = { RCPT = { reply = "550 new" } } })
            assert.are.same({ first.port, first.pid }, { again.port, again.pid })
            assert.are.same({ {}, {}, {} }, { again:transcript(), again:tls_transcript(), again:received() })
            local conn = connect(again)
            assert.are.equal("220 scripted ESMTP", reply(conn))
            assert.are.equal("250-scripted\n250 STARTTLS", command(conn, "EHLO new"))
            conn:close()
            assert.are.same({ nil, "550 new" }, { send(again) })
            assert.are.same({}, again:received())
            assert.are.equal("EHLO new", again:transcript()[1])
        end)

        it("cuts the connections of the holder before, which record nothing after", function()
            local first = servers.scripted({ steps = { NOOP = { delay = 0.1 } } })
            local conn = connect(first)
            reply(conn)
            -- The NOOP's answer is delayed; the HELP would be recorded after it.
            assert(conn:send("NOOP\r\nHELP\r\n"))
            first:stop()
            local again = servers.scripted({})
            local line, err = conn:receive("*l")
            conn:close()
            assert.is_nil(line)
            assert.are_not.equal("timeout", err)
            socket.sleep(0.2) -- past the delay, when the cut connection would have gone on
            assert.are.same({}, again:settle():transcript())
        end)

        it("gives an aiosmtpd that was stopped, with the same options, no messages", function()
            local first = servers.aiosmtpd({ reject_rcpt = "bad@example.com" })
            assert.are.equal(1, send(first))
            first:stop()
            local again = servers.aiosmtpd({ reject_rcpt = "bad@example.com" })
            assert.are.equal(first.pid, again.pid)
            assert.are.same({}, again:received())
            assert.are.equal(1, send(again))
            assert.are.equal(1, #again:received())
        end)

        it("starts another process for a server taken while the first is held", function()
            local first = servers.scripted({})
            local second = servers.scripted({ steps = { MAIL = { reply = "550 two" } } })
            assert.are_not.equal(first.pid, second.pid)
            assert.are.same({ 1, { nil, "550 two" } }, { send(first), { send(second) } })
        end)

        it("waits in settle() until every connection has ended", function()
            local server = servers.scripted({ steps = { NOOP = { delay = 0.2 } } })
            local conn = connect(server)
            reply(conn)
            -- Half-closed: the server reads the HELP after the NOOP's delay.
            assert(conn:send("NOOP\r\nHELP\r\n"))
            conn:shutdown("send")
            assert.are.same({ "NOOP", "HELP" }, server:settle():transcript())
            conn:close()
        end)

        it("stop() hands the server back, may be called again, and stop_all() stops it", function()
            for _, start in ipairs({ servers.aiosmtpd, servers.smtp_sink, servers.scripted }) do
                local server = start()
                local client = assert(socket.connect(server.host, server.port))
                client:close()
                server:stop()
                server:stop()
                assert.has_error(function() server:received() end)
                assert.is_true(running(server.pid))
                servers.stop_all()
                assert.is_false(running(server.pid))
                local _, err = socket.connect(server.host, server.port)
                assert.are.equal("connection refused", err)
            end
        end)

        -- The helper's own work, in a busted run of two spec files: the
        -- second checks that the first one's servers are gone, both pids of
        -- each: `timeout`'s, and the Python server's own (in DIR/port).
        it("stops every server process when the spec file ends", function()
            local dir = files.temporary_directory("servers_spec")
            finally(function() files.remove(dir) end)
            local pids = ("local PIDS = %q\n"):format(dir .. "/pids")
            files.write(dir .. "/a_spec.lua", pids .. [[
                local servers = require("smtp_servers")
                it("holds servers", function()
                    local file = assert(io.open(PIDS, "w"))
                    for _, server in ipairs({ servers.scripted({}), servers.aiosmtpd() }) do
                        local port = assert(io.open(server.dir .. "/port"))
                        file:write(server.pid, " ", port:read("*a"))
                        port:close()
                    end
                    file:close()
                end)
            ]])
            files.write(dir .. "/b_spec.lua", pids .. [[
                it("finds them gone", function()
                    local count = 0
                    for line in io.lines(PIDS) do
                        local leader, _, server = line:match("^(%d+) (%d+) (%d+)$")
                        for _, pid in ipairs({ leader, server }) do
                            local stat = io.open("/proc/" .. pid .. "/stat")
                            local state = stat and stat:read("*a"):match(".*%) (%a)")
                            if stat then stat:close() end
                            assert.is_true(state == nil or state == "Z", pid .. " runs")
                            count = count + 1
                        end
                    end
                    assert.are.equal(4, count)
                end)
            ]])
            local output = files.capture(("%s /usr/bin/busted -o plainTerminal %s 2>&1"):format(
                interpreter.command, files.quote(dir)))
            assert.matches("2 successes / 0 failures / 0 errors", output)
        end)
    end)
end)
