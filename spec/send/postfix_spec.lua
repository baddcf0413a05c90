-- smtp.send's ESMTP fields against a real Postfix (postfix_server.lua):
-- SMTPUTF8 addresses, DSN requests as Postfix records and honours them,
-- SIZE refused before MAIL, and partial sends with an unknown recipient.

local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local mail = require("mail")
local postfix = require("postfix_server")

local ALICE = "<alice@example.com>"

-- Sends mail.MESSAGE from alice with `fields`; returns what smtp.send does.
local function send(server, fields)
    local t = mail.to(server, fields)
    t.from = t.from == mail.FROM and ALICE or t.from
    return smtp.send(t)
end

describe("smtp.send to Postfix", function()
    local reason = postfix.unavailable()
    if reason then
        pending(reason)
        return
    end

    it("delivers to a UTF-8 local part and a UTF-8 domain with SMTPUTF8", function()
        local server = postfix.server()
        assert.are.equal(1, send(server, { rcpt = { "<josé@example.com>", "<bob@bücher.example>" },
            source = ltn12.source.string("Subject: café\r\n\r\nolé") }))
        server:settle()
        for _, address in ipairs({ "josé@example.com", "bob@bücher.example" }) do
            local messages = server:maildir(address)
            assert.are.equal(1, #messages, address)
            assert.matches(" with UTF8SMTP id ", messages[1])
            assert.matches("\nDelivered%-To: " .. address:gsub("%.", "%%.") .. "\n", messages[1])
            assert.are.equal("Subject: café\n\nolé\n", postfix.original(messages[1]))
        end
    end)

    it("asks for DSN per recipient: Postfix records NOTIFY, ORCPT, RET and ENVID", function()
        local server = postfix.server()
        assert.are.equal(1, send(server, {
            dsn = { ret = "hdrs", envid = "luasmtp 1", orcpt = true },
            rcpt = { { address = "<held@example.com>", notify = { "success", "failure" } } },
        }))
        local held = server:held()
        assert.are.equal(1, #held)
        -- Sent in xtext (the space as +20), which Postfix decodes.
        assert.matches("\nnamed_attribute: envelope_id=luasmtp 1\n", held[1])
        -- RET=HDRS: Postfix's FULL 1, HDRS 2.
        assert.matches("\nnamed_attribute: ret_flags=2\n", held[1])
        -- Postfix's mask: NEVER 1, SUCCESS 2, FAILURE 4, DELAY 8.
        assert.matches("\nnamed_attribute: notify_flags=6\n"
            .. "named_attribute: dsn_orig_rcpt=rfc822;held@example%.com\n", held[1])
    end)

    it("gets the sender a bounce for NOTIFY=FAILURE, and none for NOTIFY=NEVER", function()
        local server = postfix.server()
        assert.are.equal(1, send(server, { dsn = { notify = { "failure" } },
            rcpt = { "<undeliverable@example.com>", { address = "<bob@example.com>", notify = "never" } } }))
        server:settle()
        assert.are.equal(1, #server:maildir("bob@example.com"))
        local notices = server:maildir("alice@example.com")
        assert.are.equal(1, #notices, "one notice, for undeliverable@")
        assert.matches("\nFinal%-Recipient: rfc822; undeliverable@example%.com\n[^\n]*\nAction: failed\n",
            notices[1])
    end)

    it("refuses a message over message_size_limit before MAIL, when its size is given", function()
        local server = postfix.server({ message_size_limit = 1000 })
        local lines = {}
        local ok, err, details = send(server, { size = 4000, trace = function(line) lines[#lines + 1] = line end })
        assert.is_nil(ok)
        assert.are.equal("message too large for server (4000 > 1000)", err)
        assert.are.same({ step = "mail", transient = false }, details)
        for _, line in ipairs(lines) do assert.is_nil(line:match("^C: MAIL"), line) end
    end)

    it("delivers to the known recipients of three with partial, and reports the unknown one", function()
        local server = postfix.server()
        local ok, report = send(server, { partial = true,
            rcpt = { "<bob@example.com>", "<nobody@example.com>", "<carol@example.com>" } })
        assert.are.equal(1, ok)
        assert.are.same({ "<bob@example.com>", "<carol@example.com>" }, report.accepted)
        assert.are.equal(1, #report.rejected)
        local rejected = report.rejected[1]
        assert.are.same({ "<nobody@example.com>", 550, "5.1.1" }, { rejected.address, rejected.code, rejected.status })
        assert.matches("User unknown in virtual mailbox table", rejected.reply)
        server:settle()
        assert.are.equal(1, #server:maildir("bob@example.com"))
        assert.are.equal(1, #server:maildir("carol@example.com"))
    end)
end)
