-- One smtp.open session, many messages: RSET with session:reset(), reuse
-- after a rejected recipient, a rejected sender and a failing body source,
-- and pipelined rejections, whose later replies must be read before the
-- next command's. Against aiosmtpd, smtp-sink and the scripted server, each
-- case natively and with create = socket.tcp.

local socket = require("socket")
local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local descriptors = require("descriptors")
local raised = require("raised")

local PATHS = {
    { name = "natively" },
    { name = "with create = socket.tcp", create = socket.tcp },
}

local function body(n) return "Subject: message " .. n .. "\r\n\r\nbody " .. n end
-- The data ends with CRLF "." CRLF, so the server gets a line end added.
local function received_body(n) return body(n) .. "\r\n" end
-- RSET's reply, told apart from the RCPT replies it must not be mixed with.
local FLUSHED = "250 2.0.0 flushed"

local function message(n, rcpt)
    return { from = "<sender@example.com>", rcpt = rcpt, source = ltn12.source.string(body(n)) }
end

-- A source that gives two chunks, then fails.
local function failing_source()
    local chunks = { "Subject: cut\r\n\r\n", "partial body\r\n" }
    return function()
        local chunk = table.remove(chunks, 1)
        if chunk then return chunk end
        return nil, "disk on fire"
    end
end

for _, path in ipairs(PATHS) do
    local function open(server)
        return smtp.open{ server = server.host, port = server.port, create = path.create }
    end

    describe("an smtp.open session, " .. path.name, function()
        it("sends any number of messages on one connection", function()
            local server = servers.aiosmtpd{}
            local session = open(server)
            session:greet("client.example")
            for n = 1, 20 do session:send(message(n, { "<a@example.com>", "<b@example.com>" })) end
            session:quit()
            session:close()
            local received = server:received()
            assert.are.equal(20, #received)
            for n = 1, 20 do assert.are.equal(received_body(n), received[n].data) end
        end)

        it("sends RSET on reset() and returns its reply", function()
            local server = servers.scripted{}
            local session = open(server)
            session:greet("client.example")
            session:mail("<sender@example.com>")
            local code, reply = session:reset()
            assert.are.equal(250, code)
            assert.are.equal("250 2.0.0 Ok", reply)
            session:send(message(1, "<a@example.com>"))
            session:quit()
            session:close()
            assert.are.same({ "EHLO client.example", "MAIL FROM:<sender@example.com>", "RSET",
                "MAIL FROM:<sender@example.com>", "RCPT TO:<a@example.com>", "DATA",
                "Subject: message 1", "", "body 1", ".", "QUIT" }, server:settle():transcript())
        end)

        it("goes on after a rejected recipient (aiosmtpd)", function()
            local server = servers.aiosmtpd{ reject_rcpt = "nobody@example.com" }
            local session = open(server)
            session:greet("client.example")
            local err = raised(session.send, session,
                message(1, { "<a@example.com>", "<nobody@example.com>", "<b@example.com>" }))
            assert.are.equal("550 5.1.1 <nobody@example.com>: Recipient address rejected", err)
            assert.are.equal(250, (session:reset()))
            session:send(message(2, { "<a@example.com>", "<b@example.com>" }))
            session:quit()
            session:close()
            local received = server:received()
            assert.are.equal(1, #received)
            assert.are.same({ "a@example.com", "b@example.com" }, received[1].rcpt_tos)
            assert.are.equal(received_body(2), received[1].data)
        end)

        it("reads every pipelined reply after one rejected recipient among several", function()
            local server = servers.scripted{
                extensions = { "PIPELINING" },
                steps = { RCPT = { reply = "550 5.1.1 no such user", rcpt_index = 2 },
                    RSET = { reply = FLUSHED } },
            }
            local session = open(server)
            session:greet("client.example")
            local err = raised(session.send, session,
                message(1, { "<a@example.com>", "<nobody@example.com>", "<c@example.com>" }))
            assert.are.equal("550 5.1.1 no such user", err)
            -- The third RCPT's 250 was read with the failure: RSET gets its own.
            assert.are.same({ 250, FLUSHED }, { session:reset() })
            session:send(message(2, "<c@example.com>"))
            session:quit()
            session:close()
            local received = server:received()
            assert.are.equal(1, #received)
            assert.are.same({ "c@example.com" }, received[1].rcpt_tos)
            assert.are.equal(received_body(2), received[1].data)
        end)

        it("reads every pipelined reply after a rejected MAIL", function()
            local server = servers.scripted{
                extensions = { "PIPELINING" },
                steps = { MAIL = { reply = "553 5.1.8 bad sender" }, RSET = { reply = FLUSHED } },
            }
            local session = open(server)
            session:greet("client.example")
            local err = raised(session.send, session,
                message(1, { "<a@example.com>", "<b@example.com>", "<c@example.com>" }))
            assert.are.equal("553 5.1.8 bad sender", err)
            assert.are.same({ 250, FLUSHED }, { session:reset() })
            session:quit()
            session:close()
            assert.are.same({ "EHLO client.example", "MAIL FROM:<sender@example.com>",
                "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>", "RCPT TO:<c@example.com>",
                "RSET", "QUIT" }, server:settle():transcript())
        end)

        it("goes on after a rejected MAIL (smtp-sink)", function()
            -- -r mail: every MAIL gets a soft bounce (and pipelining is off).
            local server = servers.smtp_sink{ args = { "-a", "-r", "mail" } }
            local session = open(server)
            session:greet("client.example")
            for n = 1, 3 do
                local err = raised(session.send, session, message(n, { "<a@example.com>", "<b@example.com>" }))
                assert.are.equal("450", err:sub(1, 3), err)
                assert.are.equal(250, (session:reset()))
            end
            assert.are.equal(221, (session:quit()))
            session:close()
        end)

        it("reconnects on reset() after a body source failed in the data", function()
            local server = servers.aiosmtpd{ auth = true }
            local before = descriptors.settled()
            local session = open(server)
            session:greet("client.example")
            session:auth("alice", "secret", "250 AUTH LOGIN PLAIN")
            local err = raised(session.send, session,
                { from = "<sender@example.com>", rcpt = "<a@example.com>", source = failing_source() })
            assert.are.equal("disk on fire", err)
            local code = session:reset()
            assert.are.equal(235, code, "logged in again on the new connection")
            session:send(message(2, "<a@example.com>"))
            session:quit()
            session:close()
            assert.are.equal(before, descriptors.count())
            local received = server:received()
            -- The cut message was never delivered: its connection closed mid-data.
            assert.are.equal(1, #received)
            assert.are.equal(received_body(2), received[1].data)
            assert.are.equal("alice", received[1].auth.login)
        end)

        it("reconnects on reset() after the server dropped the connection", function()
            local server = servers.scripted{ steps = { DATA = { close = true } } }
            local session = open(server)
            session:greet("client.example")
            assert.are.equal("closed", raised(session.send, session, message(1, "<a@example.com>")))
            assert.are.equal(250, (session:reset()))
            session:mail("<sender@example.com>")
            session:quit()
            session:close()
        end)

        it("does not reconnect once the script closed the session", function()
            local server = servers.scripted{}
            local session = open(server)
            session:greet("client.example")
            session:close()
            assert.are.equal("closed", raised(session.reset, session))
        end)

        it("keeps the connection after a refusal that sent nothing", function()
            local server = servers.scripted{}
            local session = open(server)
            session:greet("client.example")
            assert.are.equal("invalid rcpt: contains CR or LF",
                raised(session.send, session, message(1, "<a@example.com>\r\nDATA")))
            session:send(message(2, "<a@example.com>"))
            session:quit()
            session:close()
            local received = server:received()
            assert.are.equal(1, #received)
        end)
    end)
end

describe("an smtp.open(server, port) session, opened the LuaSocket way", function()
    for _, path in ipairs(PATHS) do
        it("closes at a rejection, as LuaSocket's does, and reset() reconnects, " .. path.name, function()
            local server = servers.aiosmtpd{ reject_rcpt = "nobody@example.com" }
            local before = descriptors.settled()
            local session = smtp.open(server.host, server.port, path.create)
            session:greet("client.example")
            local err = raised(session.send, session, message(1, { "<nobody@example.com>" }))
            assert.are.equal("550 5.1.1 <nobody@example.com>: Recipient address rejected", err)
            assert.are.equal(before, descriptors.count(), "the connection closed at once")
            assert.are.equal("closed", raised(session.mail, session, "<sender@example.com>"))
            assert.are.equal(250, (session:reset()))
            session:send(message(2, "<a@example.com>"))
            session:quit()
            session:close()
            local received = server:received()
            assert.are.equal(1, #received)
            assert.are.equal("client.example", received[1].helo)
            assert.are.equal(received_body(2), received[1].data)
        end)
    end
end)

describe("smtp.send", function()
    it("closes its connection after a rejection, as LuaSocket does", function()
        local server = servers.aiosmtpd{ reject_rcpt = "nobody@example.com" }
        local before = descriptors.settled()
        local ok, err = smtp.send{ server = server.host, port = server.port,
            from = "<sender@example.com>", rcpt = { "<nobody@example.com>" },
            source = ltn12.source.string(body(1)) }
        assert.is_nil(ok)
        assert.are.equal("550 5.1.1 <nobody@example.com>: Recipient address rejected", err)
        assert.are.equal(before, descriptors.count())
    end)
end)
