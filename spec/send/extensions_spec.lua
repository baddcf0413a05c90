-- The ESMTP extensions smtp.send uses when the server offers them and the
-- message needs them: SMTPUTF8 (and IDNA A-labels without it), 8BITMIME,
-- SIZE and DSN, against aiosmtpd advertising or hiding each. What the
-- server received is read from its records (mail_options, rcpt_options).

local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local descriptors = require("descriptors")
local mail = require("mail")
local files = require("files")
local ltn12 = require("ltn12")

local JOSE = "<jos\195\169@exemplo.br>"
local BOB_IDN = "<bob@b\195\188cher.example>"

local function send(server, fields)
    return descriptors.without_leaks(smtp.send, mail.to(server, fields))
end

-- The record of the one message `server` received.
local function received(server)
    local records = server:received()
    assert.are.equal(1, #records, "one message")
    return records[1]
end

-- Asserts a refusal before MAIL: `err`, details for step "mail", nothing sent.
local function refused(server, err, fields)
    local ok, got, details = send(server, fields)
    assert.is_nil(ok)
    assert.are.equal(err, got)
    assert.are.same({ step = "mail", transient = false }, details)
    assert.are.same({}, server:received())
end

describe("smtp.send's ESMTP parameters", function()
    it("sends none for a LuaSocket script's fields, whatever the server offers", function()
        local server = servers.aiosmtpd({ advertise = { "SMTPUTF8", "DSN", "PIPELINING" } })
        assert.are.equal(1, send(server, { rcpt = { mail.TO, "<carol@example.com>" } }))
        local record = received(server)
        assert.are.same({}, record.mail_options)
        assert.are.same({ {}, {} }, record.rcpt_options)
    end)

    describe("SMTPUTF8", function()
        it("is asked for when an address is not ASCII and the server offers it", function()
            local server = servers.aiosmtpd({ advertise = { "SMTPUTF8" } })
            assert.are.equal(1, send(server, { from = JOSE, rcpt = { BOB_IDN } }))
            local record = received(server)
            assert.are.same({ "SMTPUTF8" }, record.mail_options)
            assert.are.equal("jos\195\169@exemplo.br", record.mail_from)
            assert.are.same({ "bob@b\195\188cher.example" }, record.rcpt_tos)
        end)

        it("gives a non-ASCII domain as its A-label where the server lacks it", function()
            local server = servers.aiosmtpd({})
            assert.are.equal(1, send(server, { rcpt = { BOB_IDN } }))
            local record = received(server)
            assert.are.same({ "bob@xn--bcher-kva.example" }, record.rcpt_tos)
            assert.are.same({}, record.mail_options)
        end)

        it("refuses a non-ASCII local part before MAIL where the server lacks it", function()
            refused(servers.aiosmtpd({}), "server does not support SMTPUTF8", { from = JOSE })
        end)
    end)

    describe("8BITMIME", function()
        it("sends BODY=8BITMIME for body = \"8bitmime\" when offered", function()
            local server = servers.aiosmtpd({})
            assert.are.equal(1, send(server, { body = "8bitmime" }))
            assert.are.same({ "BODY=8BITMIME" }, received(server).mail_options)
        end)

        it("refuses body = \"8bitmime\" before MAIL when not offered", function()
            refused(servers.aiosmtpd({ hide = { "8BITMIME" } }), "server does not support 8BITMIME",
                { body = "8bitmime" })
        end)
    end)

    describe("SIZE", function()
        it("sends SIZE=n for a known size when offered", function()
            local server = servers.aiosmtpd({})
            assert.are.equal(1, send(server, { size = #mail.MESSAGE }))
            assert.are.same({ "SIZE=" .. #mail.MESSAGE }, received(server).mail_options)
        end)

        it("refuses a message over the server's limit before MAIL", function()
            refused(servers.aiosmtpd({ data_size_limit = 1000 }), "message too large for server (4000 > 1000)",
                { size = 4000 })
        end)

        it("sends smtp.sendmail's exact size when every part is a string, a file or bytes", function()
            local server = servers.aiosmtpd({})
            local dir = files.temporary_directory("extensions_spec")
            finally(function() files.remove(dir) end)
            files.write(dir .. "/report.bin", ("abc"):rep(10000))
            local composet = { server = server.host, port = server.port, from = "a@example.com",
                to = "b@example.com", subject = "sized", text = "hello\nthere",
                attachments = { { path = dir .. "/report.bin" }, { data = "xyz", filename = "x.bin" } } }
            assert.are.equal(1, descriptors.without_leaks(smtp.sendmail, composet))
            local record = received(server)
            assert.are.same({ "SIZE=" .. #record.data }, record.mail_options)
        end)

        it("guesses no size for smtp.sendmail's message with a script's source", function()
            local server = servers.aiosmtpd({})
            assert.are.equal(1, smtp.sendmail({ server = server.host, port = server.port, from = "a@example.com",
                to = "b@example.com", subject = "unsized",
                attachments = { { source = ltn12.source.string("xyz"), filename = "x.bin" } } }))
            assert.are.same({}, received(server).mail_options)
        end)

        it("sends no SIZE where the server does not offer it", function()
            local server = servers.aiosmtpd({ hide = { "SIZE" } })
            assert.are.equal(1, send(server, { size = 4000 }))
            assert.are.same({}, received(server).mail_options)
        end)
    end)

    describe("DSN", function()
        it("sends RET, ENVID, and each recipient's NOTIFY and ORCPT, its own over the message's", function()
            local server = servers.aiosmtpd({ advertise = { "DSN" } })
            assert.are.equal(1, send(server, {
                dsn = { ret = "hdrs", envid = "order+42 x", notify = { "failure", "delay" }, orcpt = true },
                rcpt = {
                    "<alice@example.com>",
                    { address = "<bob@example.com>", notify = "never", orcpt = false },
                    { address = "<carol@example.com>", notify = { "success" } },
                },
            }))
            local record = received(server)
            assert.are.same({ "RET=HDRS", "ENVID=order+2B42+20x" }, record.mail_options)
            assert.are.same({
                { "NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;alice@example.com" },
                { "NOTIFY=NEVER" },
                { "NOTIFY=SUCCESS", "ORCPT=rfc822;carol@example.com" },
            }, record.rcpt_options)
        end)

        it("sends no NOTIFY when none is asked for", function()
            local server = servers.aiosmtpd({ advertise = { "DSN" } })
            assert.are.equal(1, send(server, { dsn = { ret = "full" } }))
            local record = received(server)
            assert.are.same({ "RET=FULL" }, record.mail_options)
            assert.are.same({ {} }, record.rcpt_options)
        end)

        it("refuses before MAIL when the server lacks DSN, unless required = false", function()
            local server = servers.aiosmtpd({})
            refused(server, "server does not support DSN", { dsn = { notify = "never" } })
            assert.are.equal(1, send(server, { dsn = { notify = "never", required = false } }))
            local record = received(server)
            assert.are.same({}, record.mail_options)
            assert.are.same({ {} }, record.rcpt_options)
        end)
    end)
end)
