-- Where a session's tp deliberately differs from LuaSocket's, side by side
-- (spec/support/differential.lua runs each script through both).

local servers = require("smtp_servers")
local both = require("differential").both

local DOMAIN = "client.example"

local function aiosmtpd(options)
    return function() return servers.aiosmtpd(options) end
end

describe("a session's tp, unlike LuaSocket's", function()
    it("refuses CR or LF in tp:command, which LuaSocket writes: a second command", function()
        local line = "MAIL FROM:<alice@example.com>\r\nRSET\r\n"
        local theirs, mine = both(aiosmtpd(), function(smtp, server)
            local session = smtp.open(server.host, server.port)
            session:greet(DOMAIN)
            local results = { session.tp:command("mail", "FROM:<alice@example.com>\r\nRSET") }
            if results[1] then
                results[3] = { session.tp:check("2..") }
                results[4] = { session.tp:check("2..") }
            end
            results[5] = session.tp:getcontrol():getfd() == -1
            session:close()
            return results
        end)
        assert.are.same({ #line, nil, { 250, "250 OK" }, { 250, "250 OK" }, false }, theirs.results[1])
        assert.are.same({ nil, "invalid command: contains CR or LF", nil, nil, true }, mine.results[1])
    end)

    it("closes the session when tp:check fails for the connection (here a timeout)", function()
        local theirs, mine = both(aiosmtpd({ silent = true }), function(smtp, server)
            smtp.TIMEOUT = 0.2
            local session = smtp.open(server.host, server.port)
            local code, err = session.tp:check("2..")
            local closed = session.tp:getcontrol():getfd() == -1
            session:close()
            return code, err, closed
        end)
        assert.are.same({ nil, "timeout", false }, theirs.results)
        assert.are.same({ nil, "timeout", true }, mine.results)
    end)

    it("has only command, check, send, receive, getcontrol and close; tp.c has the rest", function()
        local names = { "command", "check", "send", "receive", "getcontrol", "close",
            "sink", "source", "getfd", "dirty", "getpeername", "getsockname" }
        local theirs, mine = both(aiosmtpd(), function(smtp, server)
            local session = smtp.open(server.host, server.port)
            local kinds = {}
            for i, name in ipairs(names) do kinds[i] = type(session.tp[name]) end
            session:close()
            return kinds
        end)
        local functions = {}
        for i = 1, #names do functions[i] = "function" end
        assert.are.same(functions, theirs.results[1])
        assert.are.same({ "function", "function", "function", "function", "function", "function",
            "nil", "nil", "nil", "nil", "nil", "nil" }, mine.results[1])
    end)
end)
