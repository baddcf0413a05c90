-- smtp.send and smtp.open against Debian's LuaSocket: the same script through
-- both, against the same real server (aiosmtpd or Postfix's smtp-sink).
-- What each returned and what the server received must be the same, after
-- normalising Date, X-Mailer, boundaries and header order.

local ltn12 = require("ltn12")
local socket = require("socket")
local run_example = require("example_runner")
local servers = require("smtp_servers")
local mail = require("mail")
local assert_same = require("differential").assert_same

local function aiosmtpd(options)
    return function() return servers.aiosmtpd(options) end
end

local function sink()
    return servers.smtp_sink({ args = { "-a" } })
end

local MESSAGE = "Subject: hi\r\n\r\nfirst\r\n.dot at line start\r\n..two\r\nlast"

-- mail.to's table with MESSAGE, to bob, carol and dave; `fields` adds to it.
local function mailt(server, fields)
    local t = mail.to(server, {
        rcpt = { "<bob@example.com>", "<carol@example.com>", "<dave@example.com>" },
        source = ltn12.source.string(MESSAGE),
    })
    for key, value in pairs(fields or {}) do t[key] = value end
    return t
end

-- The proxy lua-sendmail passes as create: a table whose every method
-- forwards to a socket.tcp().
local function proxy_create()
    local sock = socket.tcp()
    return setmetatable({}, {
        __index = function(_, name)
            return function(_, ...) return sock[name](sock, ...) end
        end,
    })
end

describe("smtp.send against LuaSocket on a real server", function()
    for _, example in ipairs({ "manual_attachment.lua", "manual_cc.lua" }) do
        it("runs the manual's " .. example .. " unmodified, with SERVER and PORT set on the module", function()
            local mine = assert_same(aiosmtpd(), function(smtp, server)
                smtp.SERVER, smtp.PORT = server.host, server.port
                local env = run_example("examples/" .. example, smtp, "examples", true)
                return env.r, env.e
            end)
            assert.are.equal(1, mine.results[1])
            assert.are.equal(1, #mine.received)
        end)
    end

    for name, start in pairs({ aiosmtpd = aiosmtpd(), ["smtp-sink"] = sink }) do
        it("delivers to several recipients through " .. name, function()
            local mine = assert_same(start, function(smtp, server)
                return smtp.send(mailt(server))
            end)
            assert.are.same({ "bob@example.com", "carol@example.com", "dave@example.com" },
                mine.received[1].rcpt_tos)
        end)
    end

    it("passes a step and a lua-sendmail style create proxy", function()
        local steps = 0
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            steps = 0
            local r, e = smtp.send(mailt(server, {
                create = proxy_create,
                step = function(src, snk)
                    steps = steps + 1
                    return ltn12.pump.step(src, snk)
                end,
            }))
            return r, e, steps > 1
        end)
        assert.are.same({ 1, nil, true }, mine.results)
    end)

    it("authenticates with AUTH LOGIN", function()
        local mine = assert_same(aiosmtpd({ auth = true }), function(smtp, server)
            return smtp.send(mailt(server, { user = "alice", password = "secret" }))
        end)
        assert.are.same({ mechanism = "LOGIN", login = "alice" }, mine.received[1].auth)
    end)

    it("returns the server's reply for a wrong password", function()
        local mine = assert_same(aiosmtpd({ auth = true }), function(smtp, server)
            return smtp.send(mailt(server, { user = "alice", password = "wrong" }))
        end)
        assert.is_nil(mine.results[1])
        assert.matches("^535", mine.results[2])
    end)

    it("sends three messages on one smtp.open session", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            return socket.protect(function()
                local session = smtp.open(server.host, server.port)
                local ext = session:greet("client.example")
                local results = { type(ext) }
                for i = 1, 3 do
                    results[#results + 1] = session:send({
                        from = "<alice@example.com>",
                        rcpt = "<bob@example.com>",
                        source = smtp.message({ headers = { subject = "number " .. i }, body = "body " .. i }),
                    })
                end
                results[#results + 1] = session:quit()
                results[#results + 1] = session:close()
                return results
            end)()
        end)
        assert.are.same({ "string", 221, 1 }, mine.results[1])
        assert.are.equal(3, #mine.received)
    end)

    it("returns the reply that rejects a recipient", function()
        local mine = assert_same(aiosmtpd({ reject_rcpt = "carol@example.com" }), function(smtp, server)
            return smtp.send(mailt(server))
        end)
        assert.are.same({ nil, "550 5.1.1 <carol@example.com>: Recipient address rejected" }, mine.results)
        assert.are.same({}, mine.received)
    end)

    it("returns 'connection refused' for a closed port", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            local closed = socket.bind("127.0.0.1", 0)
            local _, port = closed:getsockname()
            closed:close()
            return smtp.send(mailt(server, { port = port }))
        end)
        assert.are.same({ nil, "connection refused" }, mine.results)
    end)

    it("returns LuaSocket's words for an unknown host", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            -- Not a valid host name, so the resolver answers without DNS.
            return smtp.send(mailt(server, { server = "no such host" }))
        end)
        assert.are.same({ nil, "host or service not provided, or not known" }, mine.results)
    end)

    it("returns 'timeout' from a silent server with TIMEOUT = 0.2", function()
        local mine = assert_same(aiosmtpd({ silent = true }), function(smtp, server)
            smtp.TIMEOUT = 0.2
            local started = socket.gettime()
            local r, e = smtp.send(mailt(server))
            -- a second of headroom for a loaded machine
            return r, e, socket.gettime() - started < 2 * smtp.TIMEOUT + 1
        end)
        assert.are.same({ nil, "timeout", true }, mine.results)
    end)

    it("returns a failing body source's error, and delivers nothing", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            local source = smtp.message({
                headers = { subject = "broken" },
                body = function() return nil, "disk on fire" end,
            })
            return smtp.send(mailt(server, { source = source }))
        end)
        assert.are.same({ nil, "disk on fire" }, mine.results)
        assert.are.same({}, mine.received)
    end)

    it("returns an error a raw source returns", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            local pulls = 0
            local source = function()
                pulls = pulls + 1
                if pulls == 1 then return "Subject: x\r\n\r\npartial" end
                return nil, "read error"
            end
            return smtp.send(mailt(server, { source = source }))
        end)
        assert.are.same({ nil, "read error" }, mine.results)
    end)
end)
