-- The message most specs send, from alice to bob, the smtp.send table that
-- sends it, and the check of what a server received.
--
--   local mail = require("mail")
--   smtp.send(mail.to(server, { tls = "starttls" }))  -- fields add or replace
--   mail.assert_delivered(server, { tls = true })      -- MESSAGE, once, over TLS
local ltn12 = require("ltn12")
local assert = require("luassert")

local mail = {
    FROM = "<alice@example.com>",
    TO = "<bob@example.com>",
    -- A line that starts with a dot and an empty line: what stuffing and
    -- the end of the data must get right.
    MESSAGE = "Subject: hello\r\n\r\nfirst line\r\n.starts with a dot\r\n\r\nlast line",
}
-- MESSAGE as a server records it: unstuffed, with the CRLF that the end of
-- the data adds.
mail.RECEIVED = mail.MESSAGE .. "\r\n"

-- smtp.send's table for MESSAGE from FROM to TO on `server` (none: the
-- module's defaults); `fields` add to it or replace.
function mail.to(server, fields)
    local t = {
        from = mail.FROM,
        rcpt = mail.TO,
        source = ltn12.source.string(mail.MESSAGE),
        server = server and server.host,
        port = server and server.port,
    }
    for key, value in pairs(fields or {}) do t[key] = value end
    return t
end

-- Checks that `server` accepted expected.count messages (default 1), each
-- RECEIVED (or expected.data) from alice to bob (or to expected.rcpt_tos;
-- false: recipients that differ, which the caller checks), and over TLS or
-- not when expected.tls says. Returns the records.
function mail.assert_delivered(server, expected)
    expected = expected or {}
    local received = server:received()
    assert.are.equal(expected.count or 1, #received)
    for _, record in ipairs(received) do
        if expected.tls ~= nil then assert.are.equal(expected.tls, record.tls) end
        assert.are.equal("alice@example.com", record.mail_from)
        if expected.rcpt_tos ~= false then
            assert.are.same(expected.rcpt_tos or { "bob@example.com" }, record.rcpt_tos)
        end
        assert.are.equal(expected.data or mail.RECEIVED, record.data)
    end
    return received
end

-- Sets aside the details that luasmtp adds to a failure (a third value,
-- docs/compatibility.md), after checking their shape: `results` is a call's
-- results, packed, with or without `n`; returns it as LuaSocket's would be,
-- and the details.
function mail.details_aside(results)
    local details
    if results[1] == nil and results[3] ~= nil then
        details = results[3]
        assert.are.equal("table", type(details), "the failure's details")
        assert.are.equal("string", type(details.step), "the failed step")
        assert.are.equal("boolean", type(details.transient), "whether it is transient")
        results[3] = nil
        if results.n then results.n = 2 end
    end
    return results, details
end

local function pack(...) return { n = select("#", ...), ... } end

-- send(...) (smtp.send, or any function that returns as it does), with
-- the details of a failure set aside.
function mail.send(send, ...)
    local results = mail.details_aside(pack(send(...)))
    return (table.unpack or unpack)(results, 1, results.n)
end

return mail
