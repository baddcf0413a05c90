-- Per-recipient results (partial = true) and the details of a failure,
-- against aiosmtpd rejecting chosen recipients with chosen replies.

local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local descriptors = require("descriptors")
local mail = require("mail")

local ALICE, BOB, CAROL = "<alice@example.com>", "<bob@example.com>", "<carol@example.com>"
local NO_CAROL = "550 5.1.1 <carol@example.com>: no such user"
local FULL_BOB = "452 4.2.2 <bob@example.com>: mailbox full"

local function server_rejecting()
    return servers.aiosmtpd({ reject = { [CAROL] = NO_CAROL, [BOB] = FULL_BOB } })
end

local function send(server, fields)
    return descriptors.without_leaks(smtp.send, mail.to(server, fields))
end

describe("smtp.send with partial = true", function()
    it("delivers to the accepted recipients and reports each", function()
        local server = server_rejecting()
        local ok, report = send(server, { rcpt = { ALICE, CAROL, BOB }, partial = true })
        assert.are.equal(1, ok)
        assert.are.same({
            accepted = { ALICE },
            rejected = {
                { address = CAROL, code = 550, status = "5.1.1", reply = NO_CAROL },
                { address = BOB, code = 452, status = "4.2.2", reply = FULL_BOB },
            },
        }, report)
        mail.assert_delivered(server, { rcpt_tos = { "alice@example.com" } })
    end)

    it("reports every recipient accepted when none is rejected", function()
        local server = server_rejecting()
        local ok, report = send(server, { rcpt = { ALICE }, partial = true })
        assert.are.equal(1, ok)
        assert.are.same({ accepted = { ALICE }, rejected = {} }, report)
    end)

    it("fails with the first rejection and the report when every recipient is rejected", function()
        local server = server_rejecting()
        local ok, err, details = send(server, { rcpt = { CAROL, BOB }, partial = true })
        assert.is_nil(ok)
        assert.are.equal(NO_CAROL, err)
        assert.are.same({
            step = "rcpt", code = 550, status = "5.1.1", transient = false, reply = NO_CAROL,
            accepted = {},
            rejected = {
                { address = CAROL, code = 550, status = "5.1.1", reply = NO_CAROL },
                { address = BOB, code = 452, status = "4.2.2", reply = FULL_BOB },
            },
        }, details)
        assert.are.same({}, server:received(), "no DATA without a recipient")
    end)
end)

describe("smtp.send without partial", function()
    it("fails at the first rejected recipient, as LuaSocket does, with its details", function()
        local server = server_rejecting()
        local results = { send(server, { rcpt = { ALICE, CAROL, BOB } }) }
        assert.are.same({ nil, NO_CAROL,
            { step = "rcpt", code = 550, status = "5.1.1", transient = false, reply = NO_CAROL } }, results)
        assert.are.same({}, server:received())
    end)

    it("says a 4xx rejection is transient", function()
        local server = server_rejecting()
        local _, err, details = send(server, { rcpt = { BOB } })
        assert.are.equal(FULL_BOB, err)
        assert.are.same({ step = "rcpt", code = 452, status = "4.2.2", transient = true, reply = FULL_BOB },
            details)
    end)

    it("returns 1 alone on success, as LuaSocket does", function()
        local server = server_rejecting()
        assert.are.equal(1, select("#", send(server, { rcpt = { ALICE } })))
    end)
end)

describe("a session's send with partial = true", function()
    it("returns the report, and keeps a raised failure's details for failure()", function()
        local server = server_rejecting()
        local session = smtp.open({ server = server.host, port = server.port })
        session:greet()
        local mailt = mail.to(server, { rcpt = { CAROL, ALICE }, partial = true })
        assert.are.same({ accepted = { ALICE },
            rejected = { { address = CAROL, code = 550, status = "5.1.1", reply = NO_CAROL } } },
            session:send(mailt))
        assert.is_nil(session:failure())
        local ok, err = pcall(session.send, session, mail.to(server, { rcpt = { BOB } }))
        assert.is_false(ok)
        assert.are.same({ FULL_BOB }, err)
        assert.are.same({ step = "rcpt", code = 452, status = "4.2.2", transient = true, reply = FULL_BOB },
            session:failure())
        session:reset()
        session:quit()
        session:close()
        mail.assert_delivered(server, { rcpt_tos = { "alice@example.com" } })
    end)
end)
