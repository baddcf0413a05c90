-- The two verifiers the DKIM specs check signed mail with
-- (dkim_verifiers.lua) must tell a good signature from a broken one, and
-- answer for each message of a batch in order: a signed message passes in
-- both, the same with one body byte changed fails in both, a message with
-- no signature has none, and a signature checked against another key's
-- record does not pass.

local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local files = require("files")
local dkim_keys = require("dkim_keys")
local verifiers = require("dkim_verifiers")

local MESSAGE = "From: a@example.com\r\nSubject: verifiers\r\n\r\nThe body.\r\n"

local function signed(key)
    local out = {}
    assert(ltn12.pump.all(smtp.dkim(ltn12.source.string(MESSAGE), key.dkim()), (ltn12.sink.table(out))))
    return table.concat(out)
end

describe("the DKIM verifiers", function()
    local dir, keys
    setup(function()
        dir = files.temporary_directory("dkim_verifiers_spec")
        keys = dkim_keys.make(dir)
    end)
    teardown(function() files.remove(dir) end)

    it("pass a good signature, fail a changed body, see no signature, and want the right key", function()
        local good = signed(keys.ed25519)
        local records = {
            [dkim_keys.record_name(keys.ed25519)] = smtp.dkim_record(keys.ed25519.pem),
            -- The Ed25519 signature's selector, given the RSA key's record.
            [dkim_keys.record_name(keys.rsa)] = smtp.dkim_record(keys.ed25519.pem),
        }
        local wrong_key = signed(keys.rsa)
        local results = verifiers.verify(
            { good, (good:gsub("The body", "The bodY")), MESSAGE, wrong_key }, records)
        for _, name in ipairs(verifiers.NAMES) do
            assert.are.equal("pass", results[1][name].result, name .. ": " .. results[1][name].comment)
            assert.are.equal("fail", results[2][name].result, name)
            assert.are.equal("none", results[3][name].result, name)
            assert.are_not.equal("pass", results[4][name].result, name)
        end
    end)
end)
