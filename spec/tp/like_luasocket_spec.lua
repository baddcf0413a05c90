-- Sessions that scripts reach into, against Debian's LuaSocket: scripts
-- that use a session's tp and try, and methods added to every session
-- through its metatable, run through both against the same kind of real
-- server (spec/support/differential.lua), with the same results and the
-- same mail received.

local socket = require("socket")
local ssl = require("ssl")
local mime = require("mime")
local servers = require("smtp_servers")
local certificates = require("certificates")
local mail = require("mail")
local assert_same = require("differential").assert_same

local DOMAIN = "client.example"

local function aiosmtpd(options)
    return function() return servers.aiosmtpd(options) end
end

-- A method on every session of `session`'s kind, as scripts add them; the
-- returned function takes it away again.
local function add_method(session, name, method)
    local methods = getmetatable(session).__index
    methods[name] = method
    return function() methods[name] = nil end
end

-- STARTTLS as scripts added it before LuaSocket had it: over tp, then tp.c
-- swapped for LuaSec's wrapping of it, then EHLO again; returns the new
-- EHLO reply.
local function starttls(self, params, domain, ext)
    if not ext:find("STARTTLS", 1, true) then self.try(nil, "STARTTLS not offered") end
    self.try(self.tp:command("STARTTLS"))
    self.try(self.tp:check("2.."))
    local timeout = self.tp.c:gettimeout()
    self.tp.c = self.try(ssl.wrap(self.tp.c, params))
    self.tp.c:settimeout(timeout)
    self.try(self.tp.c:dohandshake())
    self.try(self.tp:command("EHLO", domain))
    return socket.skip(1, self.try(self.tp:check("2..")))
end

-- AUTH LOGIN the way LuaSocket's own session method writes it, through
-- tp:command, tp:check and tp:send.
local function login(self, user, password)
    self.try(self.tp:command("AUTH", "LOGIN"))
    self.try(self.tp:check("3.."))
    self.try(self.tp:send(mime.b64(user) .. "\r\n"))
    self.try(self.tp:check("3.."))
    self.try(self.tp:send(mime.b64(password) .. "\r\n"))
    return self.try(self.tp:check("2.."))
end

describe("a session's tp and try, against LuaSocket", function()
    it("run the STARTTLS extension through LuaSec: TLS, then the login and the mail", function()
        local certs = certificates.create()
        finally(function() certs:remove() end)
        local params = { mode = "client", protocol = "any", verify = "peer", cafile = certs.ca, options = "all" }
        local mine = assert_same(aiosmtpd({ auth = true, tls = { cert = certs.cert, key = certs.key } }),
            function(smtp, server)
                return socket.protect(function()
                    local session = smtp.open(server.host, server.port)
                    local remove = add_method(session, "starttls", starttls)
                    local plain_ext = session:greet(DOMAIN)
                    local ext = session:starttls(params, DOMAIN, plain_ext)
                    remove()
                    local code = session:auth("alice", "secret", ext)
                    session:send(mail.to())
                    local quit = session:quit()
                    return 1, plain_ext:find("AUTH", 1, true) == nil, ext:match("AUTH[^\n]*"), code, quit,
                        session:close()
                end)()
            end)
        assert.are.same({ 1, true, "AUTH LOGIN PLAIN", 235, 221, 1 }, mine.results)
        assert.are.same({ { mail_from = "alice@example.com", rcpt_tos = { "bob@example.com" }, data = mail.RECEIVED,
            auth = { mechanism = "LOGIN", login = "alice" }, tls = true } }, mine.received)
    end)

    it("run tp:command and tp:check of a NOOP mid-session, each kind of check, then tp:receive", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            return socket.protect(function()
                local session = smtp.open(server.host, server.port)
                session:greet(DOMAIN)
                session:send(mail.to())
                local tp, results = session.tp, {}
                local function noop(...)
                    results[#results + 1] = { tp:command("noop") }
                    results[#results + 1] = { tp:check(...) }
                end
                noop("2..")
                noop({ "4..", "25." })
                noop(function(code, reply) return "judged", code, reply end)
                noop("5..")
                noop(250)
                results[#results + 1] = { session.try(tp:command("NOOP", "with an argument")) }
                results[#results + 1] = { session.try(tp:check("2..")) }
                tp:command("NOOP")
                results[#results + 1] = { tp:receive() }
                session:send(mail.to())
                session:quit()
                session:close()
                return results
            end)()
        end)
        assert.are.same({ 6 }, mine.results[1][1])
        assert.are.same({ 250, "250 OK" }, mine.results[1][2])
        assert.are.same({ nil, "250 OK" }, mine.results[1][8])
        assert.are.same({ "250 OK" }, mine.results[1][13])
        assert.are.equal(2, #mine.received)
    end)

    it("raise through try on a 5xx reply: socket.protect returns nil, err, and the session is closed", function()
        local mine = assert_same(aiosmtpd({ reject_rcpt = "carol@example.com" }), function(smtp, server)
            local session
            local r, e = socket.protect(function()
                session = smtp.open(server.host, server.port)
                session:greet(DOMAIN)
                session.try(session.tp:command("MAIL", "FROM:<alice@example.com>"))
                session.try(session.tp:check("2.."))
                session.try(session.tp:command("RCPT", "TO:<carol@example.com>"))
                session.try(session.tp:check("2.."))
                return "not reached"
            end)()
            return r, e, session.tp:getcontrol():getfd()
        end)
        assert.are.same({ nil, "550 5.1.1 <carol@example.com>: Recipient address rejected", -1 }, mine.results)
    end)

    it("give the connection through tp:getcontrol(), and go on after", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            return socket.protect(function()
                local session = smtp.open(server.host, server.port)
                session:greet(DOMAIN)
                local c = session.tp:getcontrol()
                local address, port, family = c:getpeername()
                local results = {
                    rawequal(c, session.tp.c), tostring(c):match("^[^:]*"),
                    address == server.host, tonumber(port) == tonumber(server.port), family,
                }
                session:send(mail.to())
                session:quit()
                results[#results + 1] = session:close()
                return results
            end)()
        end)
        assert.are.same({ true, "tcp{client}", true, true, "inet", 1 }, mine.results[1])
        assert.are.equal(1, #mine.received)
    end)

    it("close the session through tp:close(): what comes after raises closed", function()
        local mine = assert_same(aiosmtpd(), function(smtp, server)
            local session = smtp.open(server.host, server.port)
            local closed
            local r, e = socket.protect(function()
                session:greet(DOMAIN)
                closed = session.tp:close()
                session:quit()
            end)()
            return closed, r, e
        end)
        assert.are.same({ 1, nil, "closed" }, mine.results)
    end)

    it("find a method added through the metatable on every session, one that logs in with tp:send", function()
        local mine = assert_same(aiosmtpd({ auth = true }), function(smtp, server)
            return socket.protect(function()
                local first = smtp.open(server.host, server.port)
                local second = smtp.open(server.host, server.port)
                local remove = add_method(first, "login_by_hand", login)
                local results = { rawequal(getmetatable(first), getmetatable(second)) }
                first:greet(DOMAIN)
                second:greet(DOMAIN)
                results[#results + 1] = { second:login_by_hand("alice", "secret") }
                remove()
                results[#results + 1] = second.login_by_hand
                second:send(mail.to())
                for _, session in ipairs({ first, second }) do
                    session:quit()
                    session:close()
                end
                return results
            end)()
        end)
        assert.are.same({ true, { 235, "235 2.7.0 Authentication successful" } }, mine.results[1])
        assert.are.same({ mechanism = "LOGIN", login = "alice" }, mine.received[1].auth)
    end)
end)
