-- The deliberate differences from LuaSocket in sending, side by side: each
-- case runs LuaSocket and ours against the same kind of scripted server and
-- shows what each does. docs/compatibility.md lists them under
-- "Differences from LuaSocket".

local ltn12 = require("ltn12")
local socket = require("socket")
local ours = require("socket.smtp")
local load_luasocket = require("luasocket_smtp")
local servers = require("smtp_servers")
local mailt = require("mail").to

-- Runs `script(smtp, server)` with a fresh scripted server for each
-- implementation; returns, per implementation, what the script returned
-- (packed) and the server's transcript.
local function side_by_side(script_options, script)
    local outcome = {}
    for name, smtp in pairs({ luasocket = load_luasocket(), ours = ours }) do
        local server = servers.scripted(script_options)
        local saved = smtp.TIMEOUT
        local results = { pcall(script, smtp, server) }
        smtp.TIMEOUT = saved
        outcome[name] = { results = results, transcript = server:transcript() }
        server:stop() -- the next implementation's turn reuses it
    end
    return outcome.luasocket, outcome.ours
end

local function contains(lines, wanted)
    for _, line in ipairs(lines) do
        if line == wanted then return true end
    end
    return false
end

describe("sending, where luasmtp differs from LuaSocket on purpose", function()
    it("refuses CR and LF in the envelope instead of sending an injected command", function()
        local theirs, mine = side_by_side({}, function(smtp, server)
            return smtp.send(mailt(server, { from = "<alice@example.com>\r\nRCPT TO:<eve@example.com>" }))
        end)
        -- The injected command reaches the server, and LuaSocket reads its
        -- reply as the next one.
        assert.is_true(contains(theirs.transcript, "RCPT TO:<eve@example.com>"))
        assert.are.same({ true, nil, "invalid from: contains CR or LF", { step = "mail", transient = false } },
            mine.results)
        assert.is_false(contains(mine.transcript, "RCPT TO:<eve@example.com>"))
    end)

    it("raises for a missing field before connecting, naming the field", function()
        local theirs, mine = side_by_side({}, function(smtp, server)
            return smtp.send(mailt(server, { from = false }))
        end)
        assert.is_false(theirs.results[1])
        assert.matches("attempt to concatenate", theirs.results[2])
        assert.is_true(contains(theirs.transcript, "EHLO localhost"))
        assert.is_false(mine.results[1])
        assert.matches("bad field 'from' %(string expected, got boolean%)", mine.results[2])
        assert.are.same({}, mine.transcript)
    end)

    it("hands a step the source's chunks and stuffs what it writes", function()
        local seen = {}
        local theirs, mine = side_by_side({}, function(smtp, server)
            local chunks = {}
            seen[smtp] = chunks
            return smtp.send(mailt(server, {
                source = ltn12.source.string(".starts with a dot"),
                step = function(src, snk)
                    local chunk, err = src()
                    chunks[#chunks + 1] = chunk
                    return snk(chunk, err) and chunk ~= nil, err
                end,
            }))
        end)
        assert.are.same({ true, 1 }, theirs.results)
        assert.are.same({ true, 1 }, mine.results)
        assert.are.same(theirs.transcript, mine.transcript)
        assert.is_true(contains(mine.transcript, "..starts with a dot"))
        -- LuaSocket's step sees the stuffed chunk, ours the source's own.
        local luasocket_seen, ours_seen
        for smtp, chunks in pairs(seen) do
            if smtp == ours then ours_seen = chunks else luasocket_seen = chunks end
        end
        assert.are.same({ "..starts with a dot" }, luasocket_seen)
        assert.are.same({ ".starts with a dot" }, ours_seen)
    end)

    it("refuses a reply line longer than 16 KiB", function()
        local long = "550 " .. string.rep("x", 20000)
        local theirs, mine = side_by_side({ steps = { MAIL = { reply = long } } }, function(smtp, server)
            return smtp.send(mailt(server, {}))
        end)
        assert.are.same({ true, nil, long }, theirs.results)
        assert.are.same({ true, nil, "server reply too long", { step = "mail", transient = false } },
            mine.results)
    end)

    it("bounds a whole multi-line reply by TIMEOUT, not each line, with create() too", function()
        -- Five 8-byte lines, a byte every 0.03 s: each line within TIMEOUT =
        -- 0.5 s, the reply in about 1.2 s, more than twice TIMEOUT. With
        -- create(), the socket's timeout bounds each read and the module
        -- the reply: the timeout comes in the third line.
        local greeting = "220-aa\r\n220-bb\r\n220-cc\r\n220-dd\r\n220 ee\r\n"
        local script = { steps = { greeting = { drip = greeting, interval = 0.03 } } }
        local theirs, mine = side_by_side(script, function(smtp, server)
            smtp.TIMEOUT = 0.5
            local function timed(fields)
                local started = socket.gettime()
                local r, e = smtp.send(mailt(server, fields))
                return { r, e, took = socket.gettime() - started }
            end
            return timed({}), timed({ create = socket.tcp })
        end)
        for i = 2, 3 do
            assert.are.same({ 1 }, { theirs.results[i][1], theirs.results[i][2] })
            assert.is_true(theirs.results[i].took > 1)
            assert.are.same({ nil, "timeout" }, { mine.results[i][1], mine.results[i][2] })
            assert.is_true(mine.results[i].took < 1)
        end
        assert.are.same({ true, true }, { theirs.results[1], mine.results[1] })
    end)

    it("goes on after a failed message with reset()", function()
        local script = { steps = { RCPT = { reply = "550 5.1.1 no such user", rcpt_index = 1 } } }
        local theirs, mine = side_by_side(script, function(smtp, server)
            local session = smtp.open(server.host, server.port)
            session:greet("client.example")
            local failed = { pcall(session.send, session, mailt(server, {})) }
            local reset = { pcall(function() return session.reset and session:reset() end) }
            return failed[2][1], reset[1], reset[2]
        end)
        -- LuaSocket's session is closed and has no reset; ours reconnects.
        assert.are.same({ true, "550 5.1.1 no such user", true, nil }, theirs.results)
        assert.are.same({ true, "550 5.1.1 no such user", true, 250 }, mine.results)
        assert.are.same({ "EHLO client.example", "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.com>", "EHLO client.example" }, mine.transcript)
    end)
end)
