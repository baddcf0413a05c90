-- The private Postfix of postfix_server.lua, checked with smtp.send and with
-- a bare client: what the specs of the ESMTP extensions will rely on.

local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local mail = require("mail")
local raw_smtp = require("raw_smtp")
local servers = require("smtp_servers")
local files = require("files")
local postfix = require("postfix_server")

local reply, command = raw_smtp.reply, raw_smtp.command

-- mail.MESSAGE as Postfix stores it: LF line ends, ended by the line end
-- that the end of the data adds.
local STORED = mail.RECEIVED:gsub("\r\n", "\n")

-- Sends `message` ("\r\n" line ends, no final dot) from alice over a bare
-- connection: the MAIL and RCPT lines as given (`mail_parameters` after
-- MAIL FROM:<alice@example.com>; each recipient a whole RCPT argument),
-- each of which must be accepted. Returns the reply to the data.
local function transaction(server, mail_parameters, recipients, message)
    local conn = raw_smtp.connect(server)
    assert.matches("^220 ", reply(conn))
    assert.matches("^250", command(conn, "EHLO client.test"))
    assert.are.equal("250 2.1.0 Ok", command(conn, "MAIL FROM:<alice@example.com>" .. mail_parameters))
    for _, recipient in ipairs(recipients) do
        assert.are.equal("250 2.1.5 Ok", command(conn, "RCPT TO:" .. recipient))
    end
    assert.matches("^354 ", command(conn, "DATA"))
    local result = command(conn, message:gsub("\r\n%.", "\r\n..") .. "\r\n.")
    assert.matches("^221 ", command(conn, "QUIT"))
    conn:close()
    return result
end

-- The one message in `messages` whose text has `text` in it (plain text).
local function the_one_with(messages, text)
    local found = {}
    for _, message in ipairs(messages) do
        if message:find(text, 1, true) then found[#found + 1] = message end
    end
    assert.are.equal(1, #found, "messages with " .. text)
    return found[1]
end

describe("the Postfix test server", function()
    local reason = postfix.unavailable()
    if reason then
        pending(reason)
        return
    end

    it("advertises the extensions, SIZE with message_size_limit", function()
        local server = postfix.server({ message_size_limit = 1000 })
        local lines = {}
        assert.are.equal(1, smtp.send(mail.to(server, { trace = function(line) lines[#lines + 1] = line end })))
        local advertised = {}
        for _, line in ipairs(lines) do
            local keyword = line:match("^S: 250[- ](.*)$")
            if keyword then advertised[keyword] = true end
        end
        for _, keyword in ipairs({ "PIPELINING", "SIZE 1000", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8" }) do
            assert.is_true(advertised[keyword], keyword)
        end
    end)

    it("delivers a message to its Maildir as sent, below the fields it adds", function()
        local server = postfix.server()
        assert.are.equal(1, smtp.send(mail.to(server)))
        local messages = server:maildir("bob@example.com")
        assert.are.equal(1, #messages)
        assert.matches("^Return%-Path: <alice@example%.com>\nX%-Original%-To: bob@example%.com\n"
            .. "Delivered%-To: bob@example%.com\nReceived: from [^\n]*\n\tby postfix%.test %(Postfix%) ",
            messages[1])
        assert.are.equal(STORED, postfix.original(messages[1]))
        assert.are.same({}, server:maildir("alice@example.com"))
    end)

    it("refuses an unknown recipient at RCPT with 550 5.1.1", function()
        local server = postfix.server()
        local ok, err = smtp.send(mail.to(server, { rcpt = { "<nobody@example.com>" } }))
        assert.is_nil(ok)
        assert.are.equal("550 5.1.1 <nobody@example.com>: Recipient address rejected: "
            .. "User unknown in virtual mailbox table", err)
        assert.matches("reject: RCPT from [^\n]* to=<nobody@example%.com>",
            server:log("reject: RCPT"))
    end)

    -- Without SIZE in MAIL FROM, Postfix takes the whole data, then refuses.
    it("refuses a message over message_size_limit with 552 5.3.4", function()
        local server = postfix.server({ message_size_limit = 1000 })
        local ok, err = smtp.send(mail.to(server, {
            source = ltn12.source.string("Subject: big\r\n\r\n" .. ("x"):rep(70) .. ("\r\n" .. ("x"):rep(70)):rep(20)),
        }))
        assert.is_nil(ok)
        assert.are.equal("552 5.3.4 Error: message file too big", err)
        assert.are.same({}, server:maildir("bob@example.com"))
    end)

    it("delivers to a UTF-8 local part with SMTPUTF8", function()
        local server = postfix.server()
        assert.matches("^250 ", transaction(server, " SMTPUTF8", { "<josé@example.com>" },
            "Subject: café\r\n\r\nolé"))
        local messages = server:maildir("josé@example.com")
        assert.are.equal(1, #messages)
        assert.matches("\nDelivered%-To: josé@example%.com\n", messages[1])
        assert.matches(" with UTF8SMTP id ", messages[1])
        assert.are.equal("Subject: café\n\nolé\n", postfix.original(messages[1]))
    end)

    it("takes a UTF-8 domain, and its A-label form into the same Maildir", function()
        local server = postfix.server()
        assert.matches("^250 ", transaction(server, " SMTPUTF8", { "<bob@bücher.example>" }, mail.MESSAGE))
        assert.matches("^250 ", transaction(server, "", { "<bob@xn--bcher-kva.example>" }, mail.MESSAGE))
        local delivered_to = {}
        for i, message in ipairs(server:maildir("bob@bücher.example")) do
            assert.are.equal(STORED, postfix.original(message))
            delivered_to[i] = message:match("\nDelivered%-To: ([^\n]*)")
        end
        table.sort(delivered_to)
        assert.are.same({ "bob@bücher.example", "bob@xn--bcher-kva.example" }, delivered_to)
    end)

    it("keeps NOTIFY and ORCPT in the envelope of a message on hold", function()
        local server = postfix.server()
        assert.matches("^250 ", transaction(server, " ENVID=luasmtp-1",
            { "<held@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@example.com" }, mail.MESSAGE))
        local held = server:held()
        assert.are.equal(1, #held)
        assert.matches("\nnamed_attribute: envelope_id=luasmtp%-1\n", held[1])
        -- Postfix's mask: NEVER 1, SUCCESS 2, FAILURE 4, DELAY 8.
        assert.matches("\nnamed_attribute: notify_flags=6\n"
            .. "named_attribute: dsn_orig_rcpt=rfc822;x@example%.com\n"
            .. "original_recipient: held@example%.com\nrecipient: held@example%.com\n", held[1])
        assert.are.same({}, server:maildir("held@example.com"))
    end)

    it("sends alice the success and failure notices NOTIFY asks for", function()
        local server = postfix.server()
        assert.matches("^250 ", transaction(server, " RET=HDRS ENVID=luasmtp-2", {
            "<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@example.com",
            "<undeliverable@example.com> NOTIFY=FAILURE",
        }, mail.MESSAGE))
        assert.are.equal(1, #server:maildir("bob@example.com"))
        local notices = server:maildir("alice@example.com")
        assert.are.equal(2, #notices)
        local success = the_one_with(notices, "Action: delivered")
        assert.matches("\nOriginal%-Envelope%-Id: luasmtp%-2\n", success)
        assert.matches("\nFinal%-Recipient: rfc822; bob@example%.com\n"
            .. "Original%-Recipient: rfc822;x@example%.com\nAction: delivered\nStatus: 2%.0%.0\n", success)
        local failure = the_one_with(notices, "Action: failed")
        assert.matches("\nFinal%-Recipient: rfc822; undeliverable@example%.com\n"
            .. "Original%-Recipient: rfc822;undeliverable@example%.com\nAction: failed\nStatus: 5%.", failure)
    end)

    it("sends no notice with NOTIFY=NEVER", function()
        local server = postfix.server()
        assert.matches("^250 ", transaction(server, "", {
            "<bob@example.com> NOTIFY=NEVER", "<undeliverable@example.com> NOTIFY=NEVER",
        }, mail.MESSAGE))
        assert.are.equal(1, #server:maildir("bob@example.com"))
        assert.matches("to=<undeliverable@example%.com>, [^\n]* status=bounced", server:log("status=bounced"))
        assert.are.same({}, server:maildir("alice@example.com"))
    end)

    it("stops every process of the instance and removes its directory", function()
        local server = postfix.server()
        local instance = server.process
        assert.is_true(#instance:processes() >= 1, "the master at least")
        servers.stop_all()
        assert.are.same({}, instance:processes())
        assert.is_nil(files.read(server.dir .. "/etc/main.cf"))
        assert.is_false(files.execute("test -e " .. files.quote(server.dir)))
    end)
end)
