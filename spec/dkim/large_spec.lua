-- A 100 MB attachment, composed, signed by smtp.dkim, sent to Postfix's
-- smtp-sink: dkimpy and mailauth both pass what arrived. smtp-sink, not
-- aiosmtpd, because aiosmtpd takes about 40 s over the 137 MB where
-- smtp-sink takes a few; dkimpy takes about 14 s, so the changed-byte
-- checks are left to signed_spec's small messages. Tagged #soak (make test
-- runs it on one interpreter); about 22 s on lua5.4.

local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local files = require("files")
local dkim_keys = require("dkim_keys")
local verifiers = require("dkim_verifiers")

describe("a 100 MB signed attachment #soak", function()
    local dir, keys
    setup(function()
        dir = files.temporary_directory("dkim_large_spec")
        keys = dkim_keys.make(dir)
    end)
    teardown(function() files.remove(dir) end)

    it("passes in both verifiers", function()
        local size = 100 * 1024 * 1024
        local path = dir .. "/grande é.bin"
        assert(os.execute(("truncate -s %d %s"):format(size, files.quote(path))))
        local server = servers.smtp_sink()
        local mesgt, envelope = smtp.compose{ from = "zoe@example.com", to = "a@example.com",
            subject = "grande ✓", text = "anexo grande", attachments = { { path = path } } }
        local ok, err = smtp.send{ server = server.host, port = server.port, from = envelope.from,
            rcpt = envelope.rcpt, source = smtp.dkim(smtp.message(mesgt), keys.rsa.dkim()) }
        assert.are.equal(1, ok, err)
        local arrived = server:received()[1].data
        assert.is_true(#arrived > size * 4 / 3)
        local verdicts = verifiers.verify({ arrived },
            { [dkim_keys.record_name(keys.rsa)] = smtp.dkim_record(keys.rsa.pem) })
        for _, name in ipairs(verifiers.NAMES) do
            assert.are.equal("pass", verdicts[1][name].result, name .. ": " .. verdicts[1][name].comment)
        end
    end)
end)
