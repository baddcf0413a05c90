-- smtp.dkim as an LTN12 source, and smtp.dkim_record: mistakes in the
-- dkim table raise at the caller's line naming the field; the source's
-- own failures come back as nil, err; a message past 1 MB is held in a
-- temporary file that has no name from the start and is closed at the
-- end, at an error and when the source is collected; the TXT record is
-- the public key openssl derives.

local ltn12 = require("ltn12")
local mime = require("mime")
local smtp = require("socket.smtp")
local files = require("files")
local raised = require("raised")
local descriptors = require("descriptors")
local dkim_keys = require("dkim_keys")

local HEADER = "From: a@example.com\r\nSubject: spool\r\n\r\n"
local LINE = ("z"):rep(78) .. "\r\n"

-- The temporary files this process holds open; each has no name.
local function spool_files()
    local found = {}
    for _, target in ipairs(descriptors.targets()) do
        if target:find("luasmtp%-spool%-") then found[#found + 1] = target end
    end
    return found
end

-- A source of HEADER and `lines` copies of LINE, then `ending` (nil, or
-- an error to return).
local function lines_source(lines, ending)
    local left = lines
    local started = false
    return function()
        if not started then
            started = true
            return HEADER
        end
        if left == 0 then return nil, ending end
        left = left - 1
        return LINE
    end
end

describe("smtp.dkim", function()
    local dir, keys
    setup(function()
        dir = files.temporary_directory("dkim_source_spec")
        keys = dkim_keys.make(dir)
    end)
    teardown(function() files.remove(dir) end)

    describe("raises at the caller's line, naming the field, for", function()
        -- The error smtp.dkim raises, called from a line of this file (not
        -- a tail call, which would leave no line to point at).
        local function raised_here(source, dkim)
            return raised(function()
                local signed = smtp.dkim(source, dkim)
                return signed
            end)
        end
        local HERE = "source_spec%.lua:%d+: "
        -- The fields that change keys.rsa.dkim(), false taking one out.
        local cases = {
            { "a missing domain", { domain = false }, "bad field 'domain' %(string expected, got nil%)" },
            { "a bad domain", { domain = "exa mple.com" },
                "bad field 'domain' %(\"exa mple.com\" is not a DNS name" },
            { "a bad selector", { selector = "-sel" }, "bad field 'selector' %(\"%-sel\" is not a DNS name" },
            { "a key that is not PEM", { key = "not a key" }, "bad field 'key' %(no PEM private key in it" },
            { "a key_file that cannot be read", { key = false, key_file = "/nonexistent/k.pem" },
                "bad field 'key_file' %(/nonexistent/k.pem: " },
            { "both key and key_file", { key_file = "/k.pem" },
                "bad field 'key_file' %(key and key_file both given%)" },
            { "an unknown algorithm", { algorithm = "rsa-sha1" }, "bad field 'algorithm' %(\"rsa%-sha1\" is not" },
            { "an algorithm the key cannot do", { algorithm = "ed25519-sha256" },
                "bad field 'algorithm' %(ed25519%-sha256 with a key for rsa%-sha256%)" },
            { "an unknown canonicalization", { canonicalization = "relaxed/loose" },
                "bad field 'canonicalization' %(\"relaxed/loose\" is not" },
            { "a header name with a colon", { headers = { "to:" } }, "bad field 'headers' %(\"to:\" is not a header" },
            { "headers that are not a list", { headers = "to" }, "bad field 'headers' %(a list of field names" },
            { "an expiry that is not positive", { expires = -5 }, "bad field 'expires' %(%-5 is not a positive" },
            { "an unknown field", { selectr = "s" }, "unknown field 'selectr'" },
        }
        for _, case in ipairs(cases) do
            it(case[1], function()
                local dkim = keys.rsa.dkim(case[2])
                for field, value in pairs(case[2]) do
                    if value == false then dkim[field] = nil end
                end
                assert.matches(HERE .. case[3], raised_here(ltn12.source.string(HEADER), dkim))
            end)
        end

        it("a source that is not a function, and no table", function()
            assert.matches(HERE .. "bad argument #1 to 'dkim' %(function expected, got string%)",
                raised_here("text", keys.rsa.dkim()))
            assert.matches(HERE .. "bad argument #2 to 'dkim' %(table expected, got nil%)",
                raised_here(ltn12.source.string(HEADER)))
        end)
    end)

    describe("gives nil, err", function()
        it("with the error the source returns or raises", function()
            local signed = smtp.dkim(lines_source(3, "the source failed"), keys.ed25519.dkim())
            assert.are.same({ nil, "the source failed" }, { signed() })
            signed = smtp.dkim(function() error("the source broke", 0) end, keys.ed25519.dkim())
            assert.are.same({ nil, "the source broke" }, { signed() })
        end)

        it("for a chunk that is not a string", function()
            local signed = smtp.dkim(ltn12.source.table({ HEADER, {} }), keys.ed25519.dkim())
            assert.are.same({ nil, "the source gave a table, not a string" }, { signed() })
        end)

        it("for a header section over 1 MB", function()
            local signed = smtp.dkim(ltn12.source.string(("X-Long: " .. LINE):rep(13000)), keys.ed25519.dkim())
            local field, err = signed()
            assert.is_nil(field)
            assert.matches("^the message's header section is longer than 1048576 bytes", err)
        end)
    end)

    describe("holds a message over 1 MB in a file with no name", function()
        local LINES = 30000 -- 2.4 MB

        it("closed once the message has been read", function()
            local signed = smtp.dkim(lines_source(LINES), keys.ed25519.dkim())
            local field = assert(signed())
            assert.matches("^DKIM%-Signature: ", field)
            local open = spool_files()
            assert.are.equal(1, #open)
            assert.matches("%(deleted%)$", open[1])
            local out = {}
            assert(ltn12.pump.all(signed, (ltn12.sink.table(out))))
            assert.are.equal(#HEADER + LINES * #LINE, #table.concat(out))
            assert.are.same({}, spool_files())
            assert.are.same({ nil }, { signed() })
        end)

        it("closed at an error", function()
            local signed = smtp.dkim(lines_source(LINES, "cut short"), keys.ed25519.dkim())
            assert.are.same({ nil, "cut short" }, { signed() })
            assert.are.same({}, spool_files())
        end)

        it("closed when the source is collected", function()
            local signed = smtp.dkim(lines_source(LINES), keys.ed25519.dkim())
            assert(signed())
            assert.are.equal(1, #spool_files())
            signed = nil -- luacheck: ignore 311 (the source is let go)
            collectgarbage("collect")
            collectgarbage("collect")
            assert.are.same({}, spool_files())
        end)

        it("and a smaller one in memory", function()
            local signed = smtp.dkim(lines_source(100), keys.ed25519.dkim())
            assert(signed())
            assert.are.same({}, spool_files())
        end)
    end)
end)

describe("smtp.dkim_record", function()
    local dir, keys
    setup(function()
        dir = files.temporary_directory("dkim_record_spec")
        keys = dkim_keys.make(dir)
    end)
    teardown(function() files.remove(dir) end)

    it("gives the TXT record of the public key openssl derives", function()
        local rsa = smtp.dkim_record(keys.rsa.pem)
        assert.are.equal("v=DKIM1; k=rsa; p=" .. mime.b64(keys.rsa.public_der), rsa)
        assert.are.equal(rsa, smtp.dkim_record(keys.rsa.pkcs1))
        assert.are.equal(rsa, smtp.dkim_record{ key_file = keys.rsa.file })
        -- An Ed25519 SubjectPublicKeyInfo ends with the 32-byte key.
        local ed25519 = smtp.dkim_record(keys.ed25519.pem)
        assert.are.equal("v=DKIM1; k=ed25519; p=" .. mime.b64(keys.ed25519.public_der:sub(-32)), ed25519)
        io.stderr:write(("\nTXT records to publish:\n%s IN TXT \"%s\"\n%s IN TXT \"%s\"\n"):format(
            dkim_keys.record_name(keys.rsa), rsa, dkim_keys.record_name(keys.ed25519), ed25519))
    end)

    it("raises at the caller's line for what is not a key", function()
        assert.matches("source_spec%.lua:%d+: bad argument #1 to 'dkim_record' %(no PEM private key in it",
            raised(function()
                local record = smtp.dkim_record("nonsense")
                return record
            end))
        assert.matches("source_spec%.lua:%d+: bad field 'key_file' %(/nonexistent: ", raised(function()
            local record = smtp.dkim_record{ key_file = "/nonexistent" }
            return record
        end))
    end)
end)
