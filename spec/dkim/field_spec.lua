-- The dkim field of smtp.send{}, smtp.sendmail{} and smtp.open{}: mail
-- sent with it arrives signed, and both verifiers (dkimpy and mailauth,
-- dkim_verifiers.lua) pass it: smtp.send with RSA-2048 and Ed25519 keys,
-- over STARTTLS natively and with create = socket.tcp; two messages of one
-- smtp.open{} session, one from its send and one from its data;
-- smtp.sendmail. A mistake in the field raises at the caller's line,
-- naming it, before anything connects.
--
-- Every message is sent in setup and the whole lot verified at once (one
-- verifier process each); each test then reads its verdicts.

local socket = require("socket")
local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local certificates = require("certificates")
local files = require("files")
local raised = require("raised")
local dkim_keys = require("dkim_keys")
local verifiers = require("dkim_verifiers")

local FROM, TO = "sender@example.com", "rcpt@example.com"

local function message(subject, body)
    return smtp.message{ headers = { from = FROM, to = TO, subject = subject }, body = body }
end

describe("the dkim field", function()
    local dir, keys, certs, server
    -- Each case sends with `send(connection, keys)` one or more messages;
    -- what arrived goes into `arrived`, each with its case's index.
    local cases, arrived, owner, verdicts = {}, {}, {}, nil

    local function case(name, send) cases[#cases + 1] = { name = name, send = send } end

    -- The connection's fields: aiosmtpd over STARTTLS, verified.
    local function over_tls(fields)
        fields.server, fields.port = server.host, server.port
        fields.tls, fields.cafile = "starttls", certs.ca
        return fields
    end

    for _, key in ipairs({ "rsa", "ed25519" }) do
        for _, path in ipairs({ { name = "natively" }, { name = "with create = socket.tcp", create = socket.tcp } }) do
            case(("smtp.send, %s, over STARTTLS %s"):format(key, path.name), function()
                local mailt = over_tls{ from = "<" .. FROM .. ">", rcpt = "<" .. TO .. ">",
                    source = message("send " .. key, "Line one.\r\nLine two.\r\n"),
                    create = path.create, dkim = keys[key].dkim() }
                assert.are.equal(1, smtp.send(mailt))
                return 1
            end)
        end
    end
    case("smtp.open{}, a message from send and one from data, with create = socket.tcp", function()
        local session = smtp.open(over_tls{ create = socket.tcp, dkim = keys.ed25519.dkim() })
        session:greet()
        session:send{ from = "<" .. FROM .. ">", rcpt = "<" .. TO .. ">", source = message("first", "One.\r\n") }
        session:mail("<" .. FROM .. ">")
        session:rcpt("<" .. TO .. ">")
        session:data(ltn12.source.string("From: " .. FROM .. "\nSubject: second\n\nTwo, bare LF.\n"))
        session:quit()
        session:close()
        return 2
    end)
    case("smtp.sendmail", function()
        assert.are.equal(1, smtp.sendmail(over_tls{ from = "Zoë <" .. FROM .. ">", to = TO,
            subject = "Relatório ✓", text = "Olá!", dkim = keys.rsa.dkim{ canonicalization = "simple/simple" } }))
        return 1
    end)

    setup(function()
        dir = files.temporary_directory("dkim_field_spec")
        keys = dkim_keys.make(dir)
        certs = certificates.create()
        server = servers.aiosmtpd{ tls = { cert = certs.cert, key = certs.key }, tls_mode = "starttls" }
        for i, c in ipairs(cases) do
            local before = #server:received()
            local count = c.send()
            local received = server:received()
            assert.are.equal(before + count, #received, c.name)
            for n = before + 1, #received do
                assert(received[n].tls, c.name .. ": over TLS")
                arrived[#arrived + 1], owner[#arrived + 1] = received[n].data, i
            end
        end
        local records = {}
        for _, key in pairs(keys) do records[dkim_keys.record_name(key)] = smtp.dkim_record(key.pem) end
        verdicts = verifiers.verify(arrived, records)
    end)
    teardown(function()
        files.remove(dir)
        certs:remove()
    end)

    for i, c in ipairs(cases) do
        it("signs each message of " .. c.name .. " so that both verifiers pass it", function()
            local seen = 0
            for n, data in ipairs(arrived) do
                if owner[n] == i then
                    seen = seen + 1
                    assert.are.equal(1, select(2, data:gsub("DKIM%-Signature:", "")))
                    for _, name in ipairs(verifiers.NAMES) do
                        assert.are.equal("pass", verdicts[n][name].result, name .. ": " .. verdicts[n][name].comment)
                    end
                end
            end
            assert.is_true(seen > 0)
        end)
    end

    describe("raises at the caller's line, before connecting, for", function()
        local HERE = "field_spec%.lua:%d+: "
        -- A port nobody listens on: a call that got as far as connecting
        -- would fail with "connection refused" instead of raising.
        local function nowhere(fields)
            fields.server, fields.port = "127.0.0.1", servers.free_port()
            return fields
        end
        local function mailt(fields)
            fields.from, fields.rcpt, fields.source = "<" .. FROM .. ">", "<" .. TO .. ">", ltn12.source.string("")
            return nowhere(fields)
        end

        it("a dkim field that is not a table, in smtp.send", function()
            assert.matches(HERE .. "bad field 'dkim' %(table expected, got string%)$",
                raised(function() local r = smtp.send(mailt{ dkim = "example.com" }) return r end))
        end)

        it("a missing domain, in smtp.send", function()
            local dkim = keys.rsa.dkim()
            dkim.domain = nil
            assert.matches(HERE .. "bad field 'dkim.domain' %(string expected, got nil%)$",
                raised(function() local r = smtp.send(mailt{ dkim = dkim }) return r end))
        end)

        it("a key that is not PEM, in smtp.open", function()
            assert.matches(HERE .. "bad field 'dkim.key' %(no PEM private key in it",
                raised(function() local s = smtp.open(nowhere{ dkim = keys.rsa.dkim{ key = "nope" } }) return s end))
        end)

        it("an unknown field, in smtp.sendmail", function()
            assert.matches(HERE .. "unknown field 'dkim.selectr'$", raised(function()
                local r = smtp.sendmail(nowhere{ from = FROM, to = TO, dkim = keys.ed25519.dkim{ selectr = "s" } })
                return r
            end))
        end)
    end)
end)
