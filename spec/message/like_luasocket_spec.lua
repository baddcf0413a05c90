-- smtp.message against Debian's LuaSocket: the same mesgt through both, both
-- sources pumped to strings, compared after normalisation (see
-- support/normalize.lua).

local ltn12 = require("ltn12")
local mime = require("mime")
local socket = require("socket")
local ours = require("socket.smtp")
local load_luasocket = require("luasocket_smtp")
local normalizer = require("normalize")
local pump = require("pump")
local run_example = require("example_runner")

normalizer.default_mailer(ours._VERSION)
normalizer.default_mailer(socket._VERSION)
local normalize = normalizer.normalize

-- Both implementations, each given a mesgt built fresh by `make_mesgt`, so
-- that sources are not shared. Returns both outputs and errors, and the
-- mesgt tables after the call.
local function both(make_mesgt, setup)
    local results = {}
    for name, smtp in pairs({ ours = ours, theirs = load_luasocket() }) do
        local saved_zone = smtp.ZONE
        if setup then setup(smtp) end
        local mesgt = make_mesgt()
        local text, err = pump(smtp.message(mesgt))
        smtp.ZONE = saved_zone
        results[name] = { text = text, err = err, mesgt = mesgt }
    end
    return results.ours, results.theirs
end

local function assert_same(make_mesgt, setup)
    local mine, theirs = both(make_mesgt, setup)
    assert.are.equal(normalize(theirs.text), normalize(mine.text))
    assert.are.equal(theirs.err, mine.err)
    return mine, theirs
end

local function string_source(text, size)
    return function()
        if text == "" then return nil end
        local chunk = text:sub(1, size)
        text = text:sub(size + 1)
        return chunk
    end
end

local function binary(length)
    local bytes = {}
    for i = 1, length do bytes[i] = string.char((i * 7919 + 13) % 256) end
    return table.concat(bytes)
end

describe("smtp.message compared with LuaSocket", function()
    describe("the manual's examples, unmodified", function()
        local function example(file)
            local mine_env, mine_sent = run_example("examples/" .. file, ours, "examples")
            local theirs_env, theirs_sent = run_example("examples/" .. file, load_luasocket(), "examples")
            assert.are.equal(1, #mine_sent)
            assert.are.equal(1, #theirs_sent)
            local mine_text = pump(mine_sent[1].source)
            local theirs_text = pump(theirs_sent[1].source)
            assert.are.equal(normalize(theirs_text), normalize(mine_text))
            return mine_env, theirs_env, mine_text
        end

        it("the message with an attached image", function()
            local _, _, text = example("manual_attachment.lua")
            local image = assert(io.open("examples/image.png", "rb")):read("*a")
            local encoded = mime.b64(image)
            assert.truthy(text:find(encoded:sub(1, 76) .. "\r\n", 1, true), "the image is in the message")
        end)

        it("the message with To and Cc, including the adjusted headers table", function()
            local mine_env, theirs_env = example("manual_cc.lua")
            local mine, theirs = mine_env.mesgt.headers, theirs_env.mesgt.headers
            for name, value in pairs(theirs) do
                if name ~= "date" and name ~= "x-mailer" then
                    assert.are.equal(value, mine[name])
                end
            end
            for name in pairs(mine) do assert.is_not_nil(theirs[name], name) end
        end)
    end)

    it("nests multiparts with preambles and epilogues", function()
        assert_same(function()
            return {
                headers = { subject = "nested", ["content-type"] = "multipart/alternative" },
                body = {
                    preamble = "top preamble",
                    { body = "first" },
                    {
                        headers = { ["content-type"] = "multipart/related" },
                        body = {
                            preamble = "inner preamble",
                            { headers = { ["content-type"] = "text/html" }, body = "<p>x</p>" },
                            { body = { { body = "third level" }, epilogue = "deep epilogue" } },
                            epilogue = "inner epilogue",
                        },
                    },
                    { body = string_source("from a source", 3) },
                    epilogue = "top epilogue",
                },
            }
        end)
    end)

    it("streams LTN12 chains with mime.encode, mime.wrap and mime.eol", function()
        local data = binary(20000)
        local text = ("line one\nline two\r\nline three\rend"):rep(200)
        assert_same(function()
            return {
                headers = { subject = "filters" },
                body = {
                    {
                        headers = { ["content-transfer-encoding"] = "BASE64" },
                        body = ltn12.source.chain(
                            ltn12.source.string(data),
                            ltn12.filter.chain(mime.encode("base64"), mime.wrap())
                        ),
                    },
                    {
                        headers = { ["content-transfer-encoding"] = "quoted-printable" },
                        body = ltn12.source.chain(
                            ltn12.source.string(text),
                            ltn12.filter.chain(
                                mime.normalize(),
                                mime.encode("quoted-printable"),
                                mime.wrap("quoted-printable")
                            )
                        ),
                    },
                    { body = mime.eol(0, text) },
                    { body = ltn12.source.chain(string_source(text, 7), mime.normalize()) },
                },
            }
        end)
    end)

    describe("body source errors", function()
        it("a source that returns nil, err after some chunks", function()
            local mine = assert_same(function()
                local calls = 0
                return {
                    body = {
                        { body = "before" },
                        {
                            body = function()
                                calls = calls + 1
                                if calls < 3 then return "chunk " .. calls end
                                return nil, "disk on fire"
                            end,
                        },
                        { body = "never sent" },
                    },
                }
            end)
            assert.are.equal("disk on fire", mine.err)
        end)

        it("a source that raises a string", function()
            local failing = function() error("raised in the body") end
            local mine = assert_same(function() return { body = failing } end)
            assert.truthy(mine.err:find("raised in the body", 1, true))
        end)

        it("a source that raises a table keeps the very same value", function()
            local problem = { code = 42 }
            local failing = function() error(problem) end
            local mine = assert_same(function() return { body = failing } end)
            assert.are.equal(problem, mine.err)
        end)
    end)

    it("writes a headers-only message", function()
        assert_same(function() return { headers = { subject = "no body" } } end)
    end)

    it("writes a message with neither headers nor body", function()
        assert_same(function() return {} end)
    end)

    it("lowercases mixed-case header keys and spells them canonically", function()
        local mine = assert_same(function()
            return {
                headers = {
                    ["Content-Type"] = "text/html",
                    SUBJECT = "shouting",
                    ["X-Custom-Header"] = "kept as lowercase",
                    ["MESSAGE-ID"] = "<1@example.com>",
                    ["Mime-Version"] = "2.0",
                },
                body = "x",
            }
        end)
        assert.truthy(mine.text:find("\r\nx-custom-header: kept as lowercase\r\n", 1, true))
        assert.truthy(mine.text:find("\r\nMIME-Version: 1.0\r\n", 1, true))
    end)

    it("spells every name LuaSocket knows as LuaSocket does", function()
        assert_same(function()
            local headers = {}
            for name in pairs(require("socket.headers").canonic) do
                headers[name] = "value of " .. name
            end
            -- Never written by ours: see message/unlike_luasocket_spec.lua.
            headers.bcc = nil
            return { headers = headers, body = "x" }
        end)
    end)

    it("keeps values as given, numbers included", function()
        assert_same(function()
            return {
                headers = { ["x-count"] = 42, ["x-ratio"] = 0.5, subject = "  spaced\tvalue  " },
                body = "body",
            }
        end)
    end)

    describe("zone", function()
        it("uses mesgt.zone", function()
            local mine = assert_same(function() return { zone = "+0200", body = "x" } end)
            assert.truthy(mine.text:find("^Date: [^\r]* %+0200\r\n"))
        end)

        it("uses the module's ZONE, read at call time", function()
            local mine = assert_same(function() return { body = "x" } end, function(smtp) smtp.ZONE = "-0300" end)
            assert.truthy(mine.text:find("^Date: [^\r]* %-0300\r\n"))
            assert.are.equal("-0000", ours.ZONE)
        end)

        it("falls back to ZONE when mesgt.zone is false", function()
            local mine = assert_same(function() return { zone = false, body = "x" } end)
            assert.truthy(mine.text:find("^Date: [^\r]* %-0000\r\n"))
        end)

        it("keeps a date the script gave", function()
            local mine = assert_same(function()
                return { zone = "+0100", headers = { date = "Mon, 1 Jan 2024 00:00:00 +0000" } }
            end)
            assert.truthy(mine.text:find("^Date: Mon, 1 Jan 2024 00:00:00 %+0000\r\n"))
        end)
    end)
end)
