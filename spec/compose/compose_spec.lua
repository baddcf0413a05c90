-- smtp.compose's contract beyond what the parsers read back
-- (parsed_spec.lua): the envelope, the errors a script's mistakes raise
-- and where, and failures at send time that deliver nothing.

local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local pump = require("pump")
local raised = require("raised")
local servers = require("smtp_servers")

local FROM = "Zoë Ünal <zoe@example.com>"

-- The error `f(t)` raises, from a line of this file (not a tail call,
-- which would leave no line to point at).
local function raised_here(f, t)
    return raised(function()
        local result = f(t)
        return result
    end)
end

-- The message's bytes as smtp.message writes them.
local function written(composet)
    local mesgt = smtp.compose(composet)
    return pump(smtp.message(mesgt))
end

describe("smtp.compose", function()
    describe("the envelope", function()
        it("is from the From address, to every recipient once, in order", function()
            local _, envelope = smtp.compose({
                from = FROM,
                to = { "Fulano <fulano@example.com>", { name = "Beltrano, F.", address = "beltrano@example.com" } },
                cc = "cicrano@example.com, FULANO@EXAMPLE.COM",
                bcc = { "secret@example.com", "beltrano@example.com" },
            })
            assert.are.same({
                from = "<zoe@example.com>",
                rcpt = { "<fulano@example.com>", "<beltrano@example.com>", "<cicrano@example.com>",
                    "<secret@example.com>" },
            }, envelope)
        end)

        it("is from the Sender when there is one", function()
            local _, envelope = smtp.compose({ from = FROM, sender = "bot@example.com", to = "a@example.com" })
            assert.are.equal("<bot@example.com>", envelope.from)
        end)

        it("never shows Bcc in the message", function()
            local message = written({ from = FROM, to = "a@example.com", bcc = "secret@example.com" })
            -- A field at the start of a line (the random Message-ID may hold
            -- the letters "bcc").
            assert.falsy(("\n" .. message:lower()):find("\nbcc:", 1, true), message)
            assert.falsy(message:find("secret", 1, true), message)
        end)
    end)

    describe("the headers", function()
        it("carry a Message-ID at the From domain, new each time", function()
            local first = written({ from = FROM, to = "a@example.com" }):match("\r\nMessage%-ID: (<[^\r]*>)")
            local second = written({ from = FROM, to = "a@example.com" }):match("\r\nMessage%-ID: (<[^\r]*>)")
            assert.truthy(first and first:match("^<%x+@example%.com>$"), first)
            assert.are_not.equal(first, second)
        end)

        it("take a given Message-ID and Date", function()
            local message = written({
                from = FROM, to = "a@example.com", message_id = "id.1@example.com", date = 0,
            })
            assert.truthy(message:find("\r\nMessage-ID: <id.1@example.com>\r\n", 1, true), message)
            assert.truthy(message:find("^Date: Thu, 01 Jan 1970 00:00:00 %-0000\r\n"), message)
        end)

        -- All but the multipart Content-Type lines: smtp.message appends the
        -- boundary there as LuaSocket does, on the same line (RFC 5322's
        -- hard limit, 998, still holds).
        it("keep every line within 78 characters", function()
            local message = written({
                from = FROM,
                to = { "Fulano da Silva <fulano@example.com>", "Beltrano de Souza <beltrano@example.com>",
                    "Cicrano Pereira <cicrano@example.com>" },
                subject = ("Relatório de março ✓ "):rep(10),
                text = "x",
                attachments = { { data = "x", filename = ("relatório final "):rep(8) .. ".pdf" } },
            })
            local header_lines = 0
            for line in message:gmatch("([^\r\n]*)\r\n") do
                if not line:find('; boundary="', 1, true) then assert.truthy(#line <= 78, line) end
                header_lines = header_lines + 1
            end
            assert.truthy(header_lines > 20)
        end)
    end)

    describe("raises at the caller's line", function()
        local cases = {
            { "a bad address in 'to'", { from = FROM, to = "Beltrano, F. <b@example.com>" },
                "bad address in 'to' (" },
            { "an address without a domain", { from = FROM, to = { "fulano@" } }, "bad address in 'to' (" },
            { "two addresses in 'from'", { from = "a@example.com, b@example.com", to = "c@example.com" },
                "bad address in 'from' (one address expected, got 2)" },
            { "no 'from'", { to = "c@example.com" }, "bad address in 'from' (an address expected, got nil)" },
            { "a table address without an address", { from = FROM, to = { { name = "Nobody" } } },
                "bad address in 'to' (" },
            { "a line break in a name", { from = FROM, to = { { name = "a\r\nBcc: x", address = "a@example.com" } } },
                "bad address in 'to' (line break" },
            { "no recipient", { from = FROM }, "bad field 'to' (no recipient in 'to', 'cc' or 'bcc')" },
            { "a subject that is not UTF-8", { from = FROM, to = "a@example.com", subject = "caf\233" },
                "bad field 'subject' (not UTF-8)" },
            { "a text that is not UTF-8", { from = FROM, to = "a@example.com", text = "\255" },
                "bad field 'text' (not UTF-8)" },
            { "a line break in the subject", { from = FROM, to = "a@example.com", subject = "a\nBcc: x" },
                "bad field 'subject' (line break)" },
            { "an attachment of nothing", { from = FROM, to = "a@example.com", attachments = { { filename = "x" } } },
                "bad field 'attachments[1]' ('path', 'data' or 'source' expected)" },
            { "an attachment of two things",
                { from = FROM, to = "a@example.com", attachments = { { path = "x", data = "y" } } },
                "bad field 'attachments[1]' (only one of 'path', 'data' and 'source')" },
            { "a cid without html",
                { from = FROM, to = "a@example.com", text = "x", attachments = { { data = "x", cid = "logo" } } },
                "bad field 'attachments' (an attachment with a cid needs 'html')" },
            { "a bad cid", { from = FROM, to = "a@example.com", html = "x",
                attachments = { { data = "x", cid = "my logo" } } }, "bad field 'attachments[1].cid' (" },
            { "a bad content type", { from = FROM, to = "a@example.com",
                attachments = { { data = "x", content_type = "csv" } } }, "bad field 'attachments[1].content_type' (" },
            { "a header name with a colon", { from = FROM, to = "a@example.com", headers = { ["x-a:b"] = "1" } },
                "bad field 'headers' (invalid header name 'x-a:b')" },
            { "a header name with a line break",
                { from = FROM, to = "a@example.com", headers = { ["x-a\r\nbcc"] = "1" } },
                "bad field 'headers' (invalid header name" },
            { "a header the composer writes", { from = FROM, to = "a@example.com", headers = { Subject = "x" } },
                "bad field 'headers.subject' (set by smtp.compose; use its own field)" },
            { "a misspelt field", { from = FROM, to = "a@example.com", attachment = {} },
                "unknown field 'attachment'" },
            { "a misspelt attachment field", { from = FROM, to = "a@example.com",
                attachments = { { data = "x", file_name = "x" } } }, "unknown field 'attachments[1].file_name'" },
            { "a bad message id", { from = FROM, to = "a@example.com", message_id = "no at sign" },
                "bad field 'message_id' (" },
        }
        for _, case in ipairs(cases) do
            local what, composet, message = case[1], case[2], case[3]
            it(what, function()
                local err = raised_here(smtp.compose, composet)
                assert.truthy(err:find(message, 1, true), err)
                assert.truthy(err:find("compose_spec.lua:%d+: "), "points at the caller: " .. err)
            end)
        end

        it("when the argument is not a table", function()
            local err = raised_here(smtp.compose, "zoe@example.com")
            assert.truthy(err:find("bad argument #1 to 'compose' (table expected, got string)", 1, true), err)
        end)
    end)

    describe("fails at send time and delivers nothing", function()
        local function send_fails(composet, expected)
            local server = servers.aiosmtpd()
            local mesgt, envelope = smtp.compose(composet)
            local ok, err = smtp.send({
                from = envelope.from, rcpt = envelope.rcpt, source = smtp.message(mesgt),
                server = server.host, port = server.port,
            })
            assert.is_nil(ok)
            assert.are.equal(expected, err)
            server:settle()
            assert.are.same({}, server:received())
        end

        it("for a missing file, as smtp.attach does", function()
            send_fails({ from = FROM, to = "a@example.com", attachments = { { path = "/nonexistent/report.pdf" } } },
                "/nonexistent/report.pdf: No such file or directory")
        end)

        it("for a text source that is not UTF-8", function()
            send_fails({ from = FROM, to = "a@example.com", text = ltn12.source.string("ok\n\255") },
                "bad field 'text' (not UTF-8)")
        end)

        it("for a source that fails", function()
            local function failing() return nil, "disk on fire" end
            send_fails({ from = FROM, to = "a@example.com", attachments = { { source = failing } } },
                "disk on fire")
        end)
    end)

    describe("smtp.sendmail", function()
        it("composes and sends in one call", function()
            local server = servers.aiosmtpd()
            local ok, err = smtp.sendmail({
                server = server.host, port = server.port,
                from = FROM, to = "Fulano <fulano@example.com>", bcc = "secret@example.com",
                subject = "olá", text = "hello",
            })
            assert.are.equal(1, ok, err)
            local received = server:received()
            assert.are.equal(1, #received)
            assert.are.equal("zoe@example.com", received[1].mail_from)
            assert.are.same({ "fulano@example.com", "secret@example.com" }, received[1].rcpt_tos)
            assert.truthy(received[1].data:find("\r\nSubject: =?utf-8?", 1, true), received[1].data)
        end)

        it("checks the connection's fields at the caller's line", function()
            local err = raised_here(smtp.sendmail, { from = FROM, to = "a@example.com", port = {} })
            assert.truthy(err:find("bad field 'port' (number or string expected, got table)", 1, true), err)
            assert.truthy(err:find("compose_spec.lua:%d+: "), err)
        end)
    end)
end)
