-- What luasmtp promises of a session's tp beyond LuaSocket's behaviour
-- (like_luasocket_spec.lua has that): a session nobody reaches into runs
-- natively; reading or replacing tp.c hands every later operation to the
-- object tp.c is; the table form's sessions have tp too, under the
-- module's own TLS; without LuaSocket, tp.c cannot be had.

local socket = require("socket")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local certificates = require("certificates")
local descriptors = require("descriptors")
local interpreter = require("interpreter")
local mail = require("mail")

-- `sock` behind a table whose every method call is counted in `calls`.
local function counted(sock, calls)
    return setmetatable({}, {
        __index = function(_, name)
            return function(_, ...)
                calls[name] = (calls[name] or 0) + 1
                return sock[name](sock, ...)
            end
        end,
    })
end

-- Makes socket.tcp's sockets counted in `calls`; returns the function that
-- puts socket.tcp back.
local function count_tcp(calls)
    local tcp = socket.tcp
    socket.tcp = function() return counted(tcp(), calls) end
    return function() socket.tcp = tcp end
end

describe("a session's tp", function()
    it("leaves the I/O native until tp.c is read, then hands it to whatever object tp.c is", function()
        local server = servers.aiosmtpd()
        local calls, later_calls = {}, {}
        finally(count_tcp(calls))
        descriptors.without_leaks(function()
            local session = smtp.open(server.host, server.port)
            session:greet()
            session:send(mail.to())
            assert.are.same({ 6 }, { session.tp:command("NOOP") })
            assert.are.same({ 250, "250 OK" }, { session.tp:check("2..") })
            assert.are.same({ nil, nil }, { calls.send, calls.receive }, "natively so far")

            local c = session.tp.c
            session:send(mail.to())
            assert.is_true(calls.send > 0 and calls.receive > 0, "through tp.c once read")

            session.tp.c = counted(c, later_calls)
            local sent, received = calls.send, calls.receive
            session:send(mail.to())
            session:quit()
            assert.are.equal(1, session:close())
            assert.is_true(later_calls.send > 0 and later_calls.receive > 0, "through the new tp.c")
            assert.are.equal(1, later_calls.close)
            -- every call went through the new object, none past it
            assert.are.same({ sent + later_calls.send, received + later_calls.receive },
                { calls.send, calls.receive })
        end)
        mail.assert_delivered(server, { count = 3 })
    end)

    it("is there on smtp.open{...} sessions, its commands under the module's TLS, natively and over tp.c", function()
        local certs = certificates.create()
        finally(function() certs:remove() end)
        local server = servers.aiosmtpd({ tls = { cert = certs.cert, key = certs.key } })
        local session = smtp.open({ server = server.host, port = server.port, tls = "starttls", cafile = certs.ca })
        session:greet()
        session.tp:command("NOOP")
        assert.are.same({ 250, "250 OK" }, { session.tp:check("2..") })
        -- the TCP socket, with the module's TLS above it
        assert.matches("^tcp{client}", tostring(session.tp.c))
        session.tp:command("NOOP")
        assert.are.same({ 250, "250 OK" }, { session.tp:check("2..") })
        session:send(mail.to())
        session:quit()
        session:close()
        mail.assert_delivered(server, { tls = true })
    end)

    it("without LuaSocket, runs tp:command and tp:check, and says that tp.c needs LuaSocket", function()
        local server = servers.aiosmtpd()
        local output = interpreter.run(interpreter.OURS_ONLY, ([[
            local smtp = require("socket.smtp")
            local session = smtp.open("%s", %d)
            session:greet()
            print(session.tp:command("NOOP"), session.tp:check("2.."))
            print(pcall(function() return session.tp.c end))
            session:quit()
            print(session:close())
        ]]):format(server.host, server.port))
        assert.matches("^6\t250\t250 OK\nfalse\t[^\n]*:5: session.tp.c needs LuaSocket, which could not be loaded\n1$",
            output)
    end)
end)
