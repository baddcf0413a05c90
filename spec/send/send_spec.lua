-- smtp.send and smtp.open: our own promises, beyond what the like_luasocket
-- specs compare with LuaSocket.

local socket = require("socket")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local mailt = require("mail").to

describe("smtp.send", function()
    local misuse = {
        { { rcpt = true }, "bad field 'rcpt' %(string expected, got boolean%)" },
        { { rcpt = { "<a@x>", true } }, "bad field 'rcpt' %(entry 2%) %(string expected, got boolean%)" },
        { { rcpt = { "<a@x>", {} } }, "bad field 'rcpt%[2%]%.address' %(string expected, got nil%)" },
        { { rcpt = { { address = "<a@x>", notify = "always" } } },
            "bad field 'rcpt%[1%]%.notify' %(\"never\" or a list of" },
        { { rcpt = { { address = "<a@x>", orcpt = 1 } } }, "bad field 'rcpt%[1%]%.orcpt' %(boolean expected" },
        { { partial = "yes" }, "bad field 'partial' %(boolean expected, got string%)" },
        { { body = "8BIT" }, "bad field 'body' %(\"7bit\" or \"8bitmime\" expected, got \"8BIT\"%)" },
        { { size = -1 }, "bad field 'size' %(non%-negative integer expected, got number%)" },
        { { dsn = "full" }, "bad field 'dsn' %(table expected, got string%)" },
        { { dsn = { ret = "all" } }, "bad field 'dsn.ret' %(\"full\" or \"hdrs\" expected, got \"all\"%)" },
        { { dsn = { notify = { "success", "sometimes" } } }, "bad field 'dsn.notify'" },
        { { dsn = { required = "no" } }, "bad field 'dsn.required' %(boolean expected, got string%)" },
        { { source = "text" }, "bad field 'source' %(function expected, got string%)" },
        { { step = 1 }, "bad field 'step' %(function expected, got number%)" },
        { { user = {} }, "bad field 'user' %(string expected, got table%)" },
        { { password = true }, "bad field 'password' %(string expected, got boolean%)" },
        { { domain = false }, "bad field 'domain' %(string expected, got boolean%)" },
        { { server = 1 }, "bad field 'server' %(string expected, got number%)" },
        { { port = {} }, "bad field 'port' %(number or string expected, got table%)" },
        { { create = "tcp" }, "bad field 'create' %(function expected, got string%)" },
        { { timeout = 0 }, "bad field 'timeout' %(positive number of seconds expected, got number%)" },
        { { timeout = "5" }, "bad field 'timeout' %(positive number of seconds expected, got string%)" },
    }
    for _, case in ipairs(misuse) do
        local fields, message = case[1], case[2]
        it("raises for " .. message:gsub("%%", ""), function()
            local ok, err = pcall(smtp.send, mailt(nil, fields))
            assert.is_false(ok)
            assert.matches(message, err)
        end)
    end

    it("raises for a missing from, naming the field", function()
        local t = mailt()
        t.from = nil
        local ok, err = pcall(smtp.send, t)
        assert.is_false(ok)
        assert.matches("bad field 'from' %(string expected, got nil%)", err)
    end)

    it("raises for a mailt that is not a table", function()
        assert.has_error(function() smtp.send("mail") end,
            "bad argument #1 to 'send' (table expected, got string)")
    end)

    it("reads DOMAIN at call time and greets with it", function()
        local server = servers.scripted({})
        local saved = smtp.DOMAIN
        smtp.DOMAIN = "client.example"
        local r, e = smtp.send(mailt(server))
        smtp.DOMAIN = saved
        assert.are.same({ 1, nil }, { r, e })
        assert.are.equal("EHLO client.example", server:transcript()[1])
    end)

    it("uses only the documented methods of a create() object, and asks for TCP_NODELAY", function()
        local calls = {}
        local allowed = { settimeout = true, connect = true, send = true, receive = true,
            close = true, setoption = true }
        local function create()
            local sock = socket.tcp()
            return setmetatable({}, {
                __index = function(_, name)
                    assert(allowed[name], "unexpected method " .. name)
                    return function(_, ...)
                        calls[#calls + 1] = { name, ... }
                        return sock[name](sock, ...)
                    end
                end,
            })
        end
        local server = servers.scripted({})
        assert.are.equal(1, smtp.send(mailt(server, { create = create })))
        assert.are.same({ "settimeout", smtp.TIMEOUT }, calls[1])
        assert.are.equal("connect", calls[2][1])
        assert.are.same({ "setoption", "tcp-nodelay", true }, calls[3])
        assert.are.same({ "close" }, calls[#calls])
        for _, call in ipairs(calls) do
            if call[1] == "receive" then assert.are.same({ "receive", "*l" }, call) end
        end
    end)

    it("works with a create() object that takes no options", function()
        local function create()
            local sock = socket.tcp()
            return {
                settimeout = function(_, t) return sock:settimeout(t) end,
                connect = function(_, host, port) return sock:connect(host, port) end,
                send = function(_, data) return sock:send(data) end,
                receive = function(_, pattern) return sock:receive(pattern) end,
                close = function() return sock:close() end,
            }
        end
        local server = servers.scripted({})
        assert.are.equal(1, smtp.send(mailt(server, { create = create })))
    end)

    -- math.huge used to reach Rust's Duration, which panics on it.
    for _, case in ipairs({ { "math.huge", math.huge }, { "-1", -1 } }) do
        local name, timeout = case[1], case[2]
        it(("takes TIMEOUT = %s as no limit, natively and with create()"):format(name), function()
            local saved = smtp.TIMEOUT
            finally(function() smtp.TIMEOUT = saved end)
            smtp.TIMEOUT = timeout
            local server = servers.scripted({})
            assert.are.equal(1, smtp.send(mailt(server)))
            assert.are.equal(1, smtp.send(mailt(server, { create = socket.tcp })))
        end)
    end

    it("bounds one call by its timeout field, natively and with create(), leaving TIMEOUT alone", function()
        local server = servers.aiosmtpd({ silent = true })
        for _, create in ipairs({ false, socket.tcp }) do
            local started = socket.gettime()
            local r, e = smtp.send(mailt(server, { timeout = 0.3, create = create or nil }))
            local took = socket.gettime() - started
            assert.are.same({ nil, "timeout" }, { r, e })
            assert.is_true(took > 0.25 and took < 1.5, ("timed out after %.3f s"):format(took))
        end
        assert.are.equal(60, smtp.TIMEOUT)
    end)

    it("returns create()'s own failure", function()
        assert.are.same({ nil, "no sockets left", { step = "connect", transient = true } },
            { smtp.send(mailt(nil, { create = function() return nil, "no sockets left" end })) })
    end)
end)

describe("smtp.open", function()
    it("raises what socket.protect turns into nil, err, as LuaSocket's try does", function()
        local closed = socket.bind("127.0.0.1", 0)
        local _, port = closed:getsockname()
        closed:close()
        local ok, err = pcall(smtp.open, "127.0.0.1", port)
        assert.is_false(ok)
        assert.are.equal("connection refused", err[1])
        assert.are.same({ nil, "connection refused" },
            { socket.protect(function() return smtp.open("127.0.0.1", port) end)() })
    end)

    it("closes the session when a command fails, and raises 'closed' after", function()
        local server = servers.scripted({ steps = { RCPT = { reply = "550 5.1.1 no such user" } } })
        local session = smtp.open(server.host, server.port)
        session:greet()
        assert.are.same({ 250, "250 2.1.0 Ok" }, { session:mail("<a@x>") })
        local ok, err = pcall(session.rcpt, session, "<b@x>")
        assert.is_false(ok)
        assert.are.equal("550 5.1.1 no such user", err[1])
        ok, err = pcall(session.quit, session)
        assert.is_false(ok)
        assert.are.equal("closed", err[1])
        assert.are.equal(1, session:close())
    end)

    it("names the argument a session method got wrong", function()
        local server = servers.scripted({})
        local session = smtp.open(server.host, server.port)
        assert.has_error(function() session:mail(nil) end,
            "bad argument #1 to 'mail' (string expected, got nil)")
        assert.has_error(function() session:data("text") end,
            "bad argument #1 to 'data' (function expected, got string)")
        session:close()
    end)

    it("returns 1 from auth without credentials, and refuses when no mechanism fits", function()
        local server = servers.scripted({ extensions = { "AUTH CRAM-MD5" } })
        local session = smtp.open(server.host, server.port)
        local ext = session:greet()
        assert.are.equal(1, session:auth(nil, "secret", ext))
        assert.are.same({ nil, "authentication not supported" },
            { socket.protect(function() return session:auth("alice", "secret", ext) end)() })
    end)
end)
