-- Header injection: a header field whose name or value could break out of
-- its line is refused when the message source is pulled, with nil and an
-- error that names the field, before any byte of the message is given out.
-- LuaSocket writes such a value as it is, so its text after a line break
-- becomes a header of its own.

local socket = require("socket")
local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local load_luasocket = require("luasocket_smtp")
local servers = require("smtp_servers")
local descriptors = require("descriptors")
local pump = require("pump")

local INJECTED = "Bcc: eve@example.com"

-- Each value that is not a proper fold, with a header after its line break.
local BREAKOUTS = {
    { what = "CRLF", value = "hi\r\n" .. INJECTED },
    { what = "a bare LF", value = "hi\n" .. INJECTED },
    { what = "a bare CR", value = "hi\r" .. INJECTED },
    { what = "a bare LF before CRLF", value = "hi\n\r\n " .. INJECTED },
    { what = "a blank line", value = "hi\r\n\r\n" .. INJECTED },
    { what = "a trailing CRLF", value = "hi\r\n" },
    { what = "a fold onto a blank line", value = "hi\r\n \r\n" .. INJECTED },
}

local FOLDS = { "folded\r\n onto a second line", "folded\r\n\twith a tab\r\n and again" }
-- A fold whose break is a bare LF or CR: DATA makes the break CRLF.
local BARE_FOLDS = {
    { given = "bare\n fold", sent = "bare\r\n fold" },
    { given = "bare\r\tfold", sent = "bare\r\n\tfold" },
}

local BAD_NAMES = {
    { name = "x-two words", shown = "x-two words" },
    { name = "x-colon:", shown = "x-colon:" },
    { name = "x-y\r\nBcc", shown = "x-y\\013\\010bcc" },
    { name = "caf\195\169", shown = "caf\\195\\169" },
    { name = "", shown = "" },
}

describe("header injection", function()
    describe("smtp.message", function()
        for _, case in ipairs(BREAKOUTS) do
            it(("refuses a value with %s at the first pull, then says it ended"):format(case.what), function()
                local source = smtp.message{ headers = { subject = case.value }, body = "text" }
                assert.are.same({ nil, "invalid value for header 'subject'" }, { source() })
                assert.are.same({ nil, "cannot resume dead coroutine" }, { source() })
            end)
        end

        it("passes LuaSocket's reference the injected header as a line of its own", function()
            local text = pump(load_luasocket().message{ headers = { subject = "hi\r\n" .. INJECTED } })
            assert.truthy(("\r\n" .. text):find("\r\n" .. INJECTED .. "\r\n", 1, true), text)
        end)

        for _, fold in ipairs(FOLDS) do
            it(("writes a properly folded value as given: %q"):format(fold), function()
                local text = assert(pump(smtp.message{ headers = { subject = fold } }))
                assert.truthy(text:find("\r\nSubject: " .. fold .. "\r\n", 1, true), text)
            end)
        end

        for _, case in ipairs(BAD_NAMES) do
            it(("refuses the header name %q"):format(case.name), function()
                local source = smtp.message{ headers = { [case.name] = "value" } }
                assert.are.same({ nil, "invalid header name '" .. case.shown .. "'" }, { source() })
            end)
        end

        it("refuses a nested part's header before giving out anything", function()
            local source = smtp.message{
                headers = { subject = "fine" },
                body = { { body = "first" }, { headers = { ["content-id"] = "<x>\n" .. INJECTED }, body = "x" } },
            }
            assert.are.same({ nil, "invalid value for header 'content-id'" }, { source() })
        end)

        it("refuses a zone that would break the date header", function()
            local source = smtp.message{ zone = "+0000\r\n" .. INJECTED }
            assert.are.same({ nil, "invalid value for header 'date'" }, { source() })
        end)

        it("leaves other bytes in values alone, as LuaSocket does", function()
            local text = assert(pump(smtp.message{ headers = { subject = "caf\195\169 \0 x" } }))
            assert.truthy(text:find("\r\nSubject: caf\195\169 \0 x\r\n", 1, true))
        end)
    end)

    describe("smtp.send with an injected header", function()
        for _, path in ipairs({ { name = "natively" }, { name = "with create = socket.tcp", create = socket.tcp } }) do
            it(path.name .. " returns the error, delivers nothing and leaks nothing", function()
                local server = servers.scripted({})
                local before = descriptors.settled()
                local r, e = smtp.send{
                    from = "<alice@example.com>",
                    rcpt = "<bob@example.com>",
                    source = smtp.message{ headers = { subject = "hi\r\n" .. INJECTED }, body = "text" },
                    server = server.host,
                    port = server.port,
                    create = path.create,
                }
                assert.are.same({ nil, "invalid value for header 'subject'" }, { r, e })
                assert.are.equal(before, descriptors.count(), "descriptors left open")
                assert.are.same({}, server:received())
                for _, line in ipairs(server:settle():transcript()) do
                    assert.are_not.equal(INJECTED, line)
                end
            end)
        end

        for _, fold in ipairs(BARE_FOLDS) do
            it(("sends a fold made with a bare line break as a CRLF fold: %q"):format(fold.given), function()
                local server = servers.aiosmtpd({})
                assert(smtp.send{
                    from = "<alice@example.com>",
                    rcpt = "<bob@example.com>",
                    source = smtp.message{ headers = { subject = fold.given }, body = "text" },
                    server = server.host,
                    port = server.port,
                })
                local data = server:received()[1].data
                assert.truthy(data:find("\r\nSubject: " .. fold.sent .. "\r\n", 1, true), data)
            end)
        end

        it("LuaSocket delivers the injected header", function()
            local server = servers.scripted({})
            local luasocket = load_luasocket()
            assert(luasocket.send{
                from = "<alice@example.com>",
                rcpt = "<bob@example.com>",
                source = luasocket.message{ headers = { subject = "hi\r\n" .. INJECTED }, body = "text" },
                server = server.host,
                port = server.port,
            })
            local received = server:received()
            assert.are.equal(1, #received)
            assert.truthy(received[1].data:find("\r\n" .. INJECTED .. "\r\n", 1, true))
        end)

        it("an ltn12 source is the script's own bytes, and is sent as given", function()
            -- Only smtp.message writes header fields; a script that writes
            -- its own message text owns its header block.
            local server = servers.scripted({})
            assert(smtp.send{
                from = "<alice@example.com>",
                rcpt = "<bob@example.com>",
                source = ltn12.source.string("Subject: hi\r\n" .. INJECTED .. "\r\n\r\nbody"),
                server = server.host,
                port = server.port,
            })
            assert.truthy(server:received()[1].data:find(INJECTED, 1, true))
        end)
    end)
end)
