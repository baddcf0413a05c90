-- DATA is always valid SMTP: a bare CR or bare LF in the data becomes CRLF
-- before dots are stuffed (RFC 5321 §2.3.8), so no bytes a script supplies
-- can end the data early, on any server. LuaSocket sends bare line ends as
-- they are, which is the shape of SMTP smuggling: a server that takes a
-- bare LF for a line end reads "\n.\n" as the end of the data and the rest
-- as commands. Data whose line ends are all CRLF goes out as LuaSocket
-- sends it.

local socket = require("socket")
local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local load_luasocket = require("luasocket_smtp")
local servers = require("smtp_servers")

local PATHS = {
    { name = "natively" },
    { name = "with create = socket.tcp", create = socket.tcp },
}

-- A second transaction hidden in the data, after each way of ending a line
-- that some server takes for the end of a line.
local FORGED = "MAIL FROM:<ceo@example.com>\nRCPT TO:<victim@example.com>\nDATA\n"
    .. "Subject: forged\n\nforged\n.\n"
local SMUGGLING = {
    { what = "LF . LF", data = "Subject: s\r\n\r\nhello\n.\n" .. FORGED, smuggles_luasocket = true },
    { what = "LF . CRLF", data = "Subject: s\r\n\r\nhello\n.\r\n" .. FORGED, smuggles_luasocket = true },
    -- LuaSocket doubles a dot after CRLF, so this one only reaches servers
    -- through clients that do not stuff.
    { what = "CRLF . LF", data = "Subject: s\r\n\r\nhello\r\n.\n" .. FORGED },
}

local function mail(server, source, create)
    return {
        from = "<alice@example.com>",
        rcpt = "<bob@example.com>",
        source = source,
        server = server.host,
        port = server.port,
        create = create,
    }
end

-- Splits `data` into chunks of `size` bytes, so that line ends and dots
-- fall across chunk boundaries too.
local function chunked(data, size)
    local chunks = {}
    for at = 1, #data, size do chunks[#chunks + 1] = data:sub(at, at + size - 1) end
    return ltn12.source.table(chunks)
end

describe("DATA framing", function()
    describe("bare line ends become CRLF", function()
        local GIVEN = "Subject: bare\n\nunix\nold mac\rmixed\r\r\n.dot after LF\n..two\r.after CR\nlast"
        -- As aiosmtpd hands it over: the wire's bytes, dots unstuffed, plus
        -- the CRLF that LuaSocket's terminator adds.
        local DELIVERED = "Subject: bare\r\n\r\nunix\r\nold mac\r\nmixed\r\n\r\n.dot after LF\r\n"
            .. "..two\r\n.after CR\r\nlast\r\n"

        for _, path in ipairs(PATHS) do
            for _, size in ipairs({ 1, 3, 64 }) do
                it(("%s, in chunks of %d bytes"):format(path.name, size), function()
                    local server = servers.aiosmtpd({})
                    assert(smtp.send(mail(server, chunked(GIVEN, size), path.create)))
                    assert.are.equal(DELIVERED, server:received()[1].data)
                end)
            end

            it(path.name .. ", in a body of smtp.message", function()
                local server = servers.aiosmtpd({})
                local source = smtp.message{ headers = { subject = "m" }, body = "one\ntwo\r.three" }
                assert(smtp.send(mail(server, source, path.create)))
                local data = server:received()[1].data
                assert.truthy(data:find("\r\n\r\none\r\ntwo\r\n.three\r\n$"), data)
            end)
        end

        it("a final bare CR is completed before the terminator", function()
            local server = servers.aiosmtpd({})
            assert(smtp.send(mail(server, ltn12.source.string("Subject: cr\r\n\r\nend\r"))))
            assert.are.equal("Subject: cr\r\n\r\nend\r\n\r\n", server:received()[1].data)
        end)

        it("LuaSocket sends the bare line ends as they are", function()
            local server = servers.aiosmtpd({})
            assert(load_luasocket().send(mail(server, ltn12.source.string(GIVEN))))
            assert.are.equal(GIVEN .. "\r\n", server:received()[1].data)
        end)
    end)

    describe("smuggling", function()
        for _, case in ipairs(SMUGGLING) do
            for _, path in ipairs(PATHS) do
                it(("%s cannot end the data early, %s"):format(case.what, path.name), function()
                    -- The scripted server, like many, ends a line at a bare LF.
                    local server = servers.scripted({})
                    assert(smtp.send(mail(server, chunked(case.data, 5), path.create)))
                    local received = server:received()
                    assert.are.equal(1, #received)
                    assert.are.same({ "bob@example.com" }, received[1].rcpt_tos)
                    assert.truthy(received[1].data:find("\r\nMAIL FROM:<ceo@example.com>\r\n", 1, true))
                end)
            end

            if case.smuggles_luasocket then
                it(("%s ends the data early through LuaSocket"):format(case.what), function()
                    local server = servers.scripted({})
                    -- What send returns, and whether the forged message gets in
                    -- before LuaSocket hangs up, depends on which reply it takes
                    -- for which command once its view and the server's split.
                    load_luasocket().send(mail(server, ltn12.source.string(case.data)))
                    local received = server:received()
                    assert.are.equal("Subject: s\r\n\r\nhello\r\n", received[1].data)
                end)
            end
        end
    end)

    it("CRLF data with dots goes out exactly as LuaSocket sends it", function()
        local DATA = ".starts\r\nmid.dle\r\n.\r\n..\r\n\r\n.end"
        local transcripts = {}
        for name, module in pairs({ ours = smtp, luasocket = load_luasocket() }) do
            local server = servers.scripted({})
            assert(module.send(mail(server, ltn12.source.string(DATA))))
            transcripts[name] = server:transcript()
            server:stop() -- the next module's turn reuses it
        end
        assert.are.same(transcripts.luasocket, transcripts.ours)
        local unpack = table.unpack or unpack
        assert.are.same({ "DATA", "..starts", "mid.dle", "..", "...", "", "..end", "." },
            { unpack(transcripts.ours, 4, 11) })
    end)
end)
