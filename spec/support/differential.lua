-- The same script through Debian's LuaSocket and through luasmtp, each
-- against a fresh server from the same start function, for the
-- like_luasocket specs:
--
--   local differential = require("differential")
--   local theirs, mine = differential.both(start, function(smtp, server) ... end)
--   local mine = differential.assert_same(start, script)  -- both alike, or fails
--
-- Each outcome is { results = { what the script returned }, received = {
-- { mail_from =, rcpt_tos =, data =, auth =, tls = }, ... } }, the data
-- normalised (Date, X-Mailer, boundaries, header order). Module constants
-- the script sets (SERVER, PORT, TIMEOUT) are restored after it.

local assert = require("luassert")
local socket = require("socket")
local ours = require("socket.smtp")
local load_luasocket = require("luasocket_smtp")
local normalizer = require("normalize")

normalizer.default_mailer(ours._VERSION)
normalizer.default_mailer(socket._VERSION)

local differential = {}

-- What a server got, comparable across implementations.
local function comparable(transactions)
    local out = {}
    for i, t in ipairs(transactions) do
        out[i] = {
            mail_from = t.mail_from,
            rcpt_tos = t.rcpt_tos,
            data = t.data and normalizer.normalize(t.data),
            auth = t.auth,
            tls = t.tls,
        }
    end
    return out
end

function differential.both(start, script)
    local outcomes = {}
    for _, name in ipairs({ "luasocket", "ours" }) do
        local smtp = name == "ours" and ours or load_luasocket()
        local saved = { SERVER = smtp.SERVER, PORT = smtp.PORT, TIMEOUT = smtp.TIMEOUT }
        local server = start()
        local ok, results = pcall(function() return { script(smtp, server) } end)
        for key, value in pairs(saved) do smtp[key] = value end
        local received = comparable(server:received())
        server:stop() -- the next implementation's turn reuses it
        assert(ok, results)
        outcomes[name] = { results = results, received = received }
    end
    return outcomes.luasocket, outcomes.ours
end

-- luasmtp's one deliberate difference in what a failing call returns: a
-- third value, the failure's details (docs/compatibility.md). Checked for
-- its shape here, then set aside for the comparison.
local function set_details_aside(theirs, mine)
    if theirs[1] == nil and theirs[3] == nil and mine[1] == nil and mine[3] ~= nil then
        local details = mine[3]
        assert.are.equal("table", type(details))
        assert.are.equal("string", type(details.step))
        assert.are.equal("boolean", type(details.transient))
        mine[3] = nil
    end
end

function differential.assert_same(start, script)
    local theirs, mine = differential.both(start, script)
    set_details_aside(theirs.results, mine.results)
    assert.are.same(theirs.results, mine.results)
    assert.are.same(theirs.received, mine.received)
    return mine
end

return differential
