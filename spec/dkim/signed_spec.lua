-- Mail signed by smtp.dkim, sent to aiosmtpd, and verified as it arrived
-- by two independent verifiers (dkimpy and mailauth, dkim_verifiers.lua),
-- given the keys' records directly: both must say pass for every
-- canonicalisation with RSA-2048 and Ed25519 keys, for folded and UTF-8
-- (encoded-word) fields, for a body with trailing empty lines, trailing
-- spaces and bare LF line ends that DATA makes CRLF, for an empty body,
-- and for the composer's messages; and both must say fail when one byte of
-- a received body or of a signed field is changed.
--
-- Every message is sent in setup and the whole lot verified at once (one
-- verifier process each: a start costs about 0.4 s); each test then reads
-- its verdicts.

local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local files = require("files")
local dkim_keys = require("dkim_keys")
local verifiers = require("dkim_verifiers")

local FROM, TO = "sender@example.com", "rcpt@example.com"

local CANONICALIZATIONS = { "relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed" }

-- A plain message from smtp.message.
local function message(subject, body)
    return function()
        return smtp.message{ headers = { from = "Sender <" .. FROM .. ">", to = TO, subject = subject }, body = body }
    end
end

-- A message from smtp.compose.
local function composed(composet)
    return function()
        composet.from = composet.from or "Zoë Ünal <" .. FROM .. ">"
        composet.to = composet.to or TO
        return smtp.message((smtp.compose(composet)))
    end
end

local function raw(text)
    return function() return ltn12.source.string(text) end
end

-- `source`, keeping a copy of each chunk in `out`.
local function recorded(source, out)
    return function()
        local chunk, err = source()
        out[#out + 1] = chunk
        return chunk, err
    end
end

-- Each case: a name, a key ("rsa" or "ed25519"), the source's maker, and
-- the dkim table's other fields, made from the keys.
local cases = {}
local function case(name, key, source, fields)
    cases[#cases + 1] = { name = name, key = key, source = source, fields = fields or function() return {} end }
end

local function canonicalization(name)
    return function() return { canonicalization = name } end
end

for _, key in ipairs({ "rsa", "ed25519" }) do
    for _, name in ipairs(CANONICALIZATIONS) do
        case(key .. ", " .. name, key, message("Canonical", "Line one.\r\n\r\nLine two.\r\n"), canonicalization(name))
    end
end
for _, name in ipairs({ "relaxed/relaxed", "simple/simple" }) do
    case("folded fields with trailing spaces, " .. name, "rsa", raw(
        "From: Sender <" .. FROM .. ">\r\nTo: " .. TO .. "\r\n"
        .. "Subject: a subject folded\r\n\tonto  two lines  \r\n"
        .. "X-Note: one\r\n  two \r\n\r\nBody.\r\n"),
        function() return { canonicalization = name, headers = { "subject", "x-note", "to" } } end)
    case("trailing empty lines, trailing spaces and bare LF and CR, " .. name, "ed25519", raw(
        "From: " .. FROM .. "\nTo: " .. TO .. "\nSubject: bare LF\n\n"
        .. "spaces after this   \nand a tab\t\n\n  indented\r\nbare CR\rend\n\n\n\n"), canonicalization(name))
    case("an empty body, " .. name, "rsa", message("Empty", ""), canonicalization(name))
end
case("UTF-8 encoded words, folded by the composer", "ed25519", composed{
    subject = ("Relatório de março, prévia número ✓ "):rep(4),
    to = { "Fulano da Silva Ñandú <fulano@example.com>", "Beltrano Ōtsuka <beltrano@example.com>" },
    text = "Olá!",
})
case("a composed alternative with an inline image and three attachments", "rsa", composed{
    subject = "Relatório ✓",
    cc = "Renée O'Brien <renee@example.com>",
    reply_to = '"Respostas, Equipe" <replies@example.com>',
    text = "O relatório está em anexo.\n",
    html = '<p>O relatório <img src="cid:logo@example.com"> está em anexo.</p>',
    attachments = {
        { data = "\137PNG fake image bytes", filename = "logo.png", content_type = "image/png",
          cid = "logo@example.com" },
        { data = ("1;2;3\r\n"):rep(5000), filename = "relatório.csv" },
        { source = ltn12.source.string(("streamed line\n"):rep(100)), filename = "notas é.txt" },
    },
})
case("an expiry and a PKCS#1 key", "rsa", composed{ subject = "Expires", text = "Soon." },
    function(keys) return { key = keys.rsa.pkcs1, expires = 3600 } end)
case("a key read from key_file", "ed25519", message("Key file", "Body."),
    function(keys) return { key = false, key_file = keys.ed25519.file } end)


describe("smtp.dkim, verified by dkimpy and mailauth", function()
    local dir, keys, verdicts
    -- What arrived of each case, and what its signed source gave.
    local arrived, gave = {}, {}

    setup(function()
        dir = files.temporary_directory("dkim_signed_spec")
        keys = dkim_keys.make(dir)
        local server = servers.aiosmtpd()
        for i, c in ipairs(cases) do
            local dkim = keys[c.key].dkim(c.fields(keys))
            if dkim.key == false then dkim.key = nil end
            local out = {}
            local ok, err = smtp.send{ server = server.host, port = server.port, from = "<" .. FROM .. ">",
                rcpt = "<" .. TO .. ">", source = recorded(smtp.dkim(c.source(), dkim), out) }
            assert(ok, err)
            local received = server:received()
            arrived[i], gave[i] = received[#received].data, table.concat(out)
        end
        -- One byte changed in the first case's body, and in its Subject.
        local first = arrived[1]
        local body_at = first:find("\r\n\r\n", 1, true) + 4
        local changed = {
            first:sub(1, body_at - 1) .. "l" .. first:sub(body_at + 1),
            (first:gsub("\r\nSubject: Canonical", "\r\nSubject: CanonicaL")),
        }
        assert.are_not.equal(first, changed[2])
        local messages = {}
        for i = 1, #cases do messages[i] = arrived[i] end
        messages[#cases + 1], messages[#cases + 2] = changed[1], changed[2]
        local records = {}
        for _, key in pairs(keys) do records[dkim_keys.record_name(key)] = smtp.dkim_record(key.pem) end
        verdicts = verifiers.verify(messages, records)
    end)
    teardown(function() files.remove(dir) end)

    -- Both verifiers said `expected` of message i.
    local function assert_verdicts(i, expected)
        for _, name in ipairs(verifiers.NAMES) do
            local verdict = verdicts[i][name]
            assert.are.equal(expected, verdict.result, name .. ": " .. verdict.comment)
        end
    end

    for i, c in ipairs(cases) do
        it("signs " .. c.name .. " so that both verifiers pass it, over the bytes DATA sent", function()
            assert_verdicts(i, "pass")
            -- The source gave CRLF line ends already: DATA added nothing
            -- but the CRLF of its terminator, which servers record.
            assert.are.equal(gave[i] .. "\r\n", arrived[i])
            assert.are.equal(1, select(2, arrived[i]:gsub("DKIM%-Signature:", "")))
        end)
    end

    it("signs so that one changed byte of the body fails in both", function()
        assert_verdicts(#cases + 1, "fail")
    end)

    it("signs so that one changed byte of a signed field fails in both", function()
        assert_verdicts(#cases + 2, "fail")
    end)
end)
