-- What smtp.compose writes, read back by two independent mail parsers
-- (Python's email with policy=default, Node's mailparser; see
-- mail_parsers.lua): sent to aiosmtpd by smtp.sendmail, the message that
-- arrived must give back, in both, exactly the subject, every display name
-- and address, the text and HTML, each attachment's file name and bytes,
-- the inline image's Content-ID, and no Bcc. Each message is also signed
-- with DKIM (RSA-2048, relaxed/relaxed), and the last test has dkimpy and
-- Node's mailauth verify them all at once: every composer case must pass.

local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local parsers = require("mail_parsers")
local files = require("files")
local random_bytes = require("random_bytes")
local memory = require("memory")
local run_example = require("example_runner")
local dkim_keys = require("dkim_keys")
local verifiers = require("dkim_verifiers")

-- The key every composed message is signed with, and each signed message
-- as it arrived, for the last test.
local key
local signed = {}


-- Text as the parsers give it back: LF line ends. A message of one part
-- ends with the line end that closes the DATA, which the parsers keep.
local function as_parsed(text, single_part)
    text = text:gsub("\r\n", "\n"):gsub("\r", "\n")
    if single_part then text = text .. "\n" end
    return text
end

-- Sends `composet` with smtp.sendmail; returns what both parsers read in
-- the one message that arrived, and the server's record of it.
local function arrived(composet)
    local server = servers.aiosmtpd()
    composet.server, composet.port = server.host, server.port
    composet.dkim = key.dkim()
    local ok, err = smtp.sendmail(composet)
    assert.are.equal(1, ok, err)
    local received = server:received()
    assert.are.equal(1, #received)
    signed[#signed + 1] = received[1].data
    return parsers.assert_agree(received[1].data), received[1]
end

local function mailbox(name, address) return { name = name, address = address } end

-- Checks an attachment as parsed against what was given.
local function assert_attachment(expected, got)
    assert.are.equal(expected.filename, got.filename)
    assert.are.equal(expected.content_type, got.content_type)
    assert.are.equal(expected.disposition or "attachment", got.disposition)
    assert.are.equal(expected.content_id, got.content_id)
    assert.are.equal(#expected.data, got.size)
    assert.are.equal(expected.data, got.data)
end

describe("smtp.compose, read back by Python's email and Node's mailparser", function()
    local dir
    setup(function()
        dir = files.temporary_directory("parsed_spec")
        key = dkim_keys.make(dir).rsa
    end)
    teardown(function() files.remove(dir) end)

    it("gives back names with commas, quotes, comments and accents", function()
        local mail, record = arrived({
            from = '"Zoë \\"Zo\\" Ünal" <zoe@example.com>',
            sender = "Robô <bot@example.com>",
            to = { { name = 'Beltrano, F. "Bel"', address = "beltrano@example.com" },
                '"Silva, Fulano" <fulano@example.com>', "Cicrano (o tal) <cicrano@example.com>" },
            cc = { name = "Renée O'Brien", address = "renee@example.com" },
            bcc = "Segredo <secret@example.com>",
            reply_to = '"Respostas, Equipe" <replies@example.com>, outro@example.com',
            subject = 'Olá, "mundo" (de novo)',
            text = "Olá!",
        })
        assert.are.same({ mailbox('Zoë "Zo" Ünal', "zoe@example.com") }, mail.from)
        assert.are.same({ mailbox("Robô", "bot@example.com") }, mail.sender)
        assert.are.same({
            mailbox('Beltrano, F. "Bel"', "beltrano@example.com"),
            mailbox("Silva, Fulano", "fulano@example.com"),
            mailbox("Cicrano", "cicrano@example.com"),
        }, mail.to)
        assert.are.same({ mailbox("Renée O'Brien", "renee@example.com") }, mail.cc)
        assert.are.same({ mailbox("Respostas, Equipe", "replies@example.com"), mailbox("", "outro@example.com") },
            mail.reply_to)
        assert.are.equal('Olá, "mundo" (de novo)', mail.subject)
        assert.are.equal(as_parsed("Olá!", true), mail.text)
        assert.is_false(mail.bcc_header)
        assert.are.equal("bot@example.com", record.mail_from)
        assert.are.same({ "beltrano@example.com", "fulano@example.com", "cicrano@example.com",
            "renee@example.com", "secret@example.com" }, record.rcpt_tos)
    end)

    it("gives back CJK, emoji and right-to-left text", function()
        local text = "日本語のテキスト\n😀👍🏽 emoji\nمرحبا بالعالم\nשלום עולם\n"
        local html = "<p dir=\"rtl\">مرحبا بالعالم</p>\n<p>会議の議事録 📋</p>\n"
        local mail = arrived({
            from = "山田 太郎 <taro@example.com>",
            to = { { name = "محمد عبد الله", address = "mohammed@example.com" },
                { name = "דוד כהן 👋", address = "david@example.com" } },
            subject = "会議の議事録 📋 — اجتماع الفريق — פגישה",
            text = text, html = html,
            headers = { ["x-note"] = "注記 ✓" },
        })
        assert.are.same({ mailbox("山田 太郎", "taro@example.com") }, mail.from)
        assert.are.same({ mailbox("محمد عبد الله", "mohammed@example.com"), mailbox("דוד כהן 👋", "david@example.com") },
            mail.to)
        assert.are.equal("会議の議事録 📋 — اجتماع الفريق — פגישה", mail.subject)
        assert.are.equal(as_parsed(text), mail.text)
        assert.are.equal(as_parsed(html), mail.html)
        assert.are.equal("注記 ✓", mail.headers["x-note"])
    end)

    it("gives back a 200-character subject, UTF-8 or ASCII", function()
        -- 16 times 12 characters, then 8: 200 characters.
        local utf8_subject = ("Relatório ✓ "):rep(16) .. "abcdefgh"
        local ascii_subject = ("Quarterly report "):rep(11) .. "abcdefghijkl!"
        assert.are.equal(200, #ascii_subject)
        for _, subject in ipairs({ utf8_subject, ascii_subject }) do
            local mail = arrived({ from = "zoe@example.com", to = "a@example.com", subject = subject, text = "x" })
            assert.are.equal(subject, mail.subject)
        end
    end)

    it("gives back a 120-character file name and its bytes", function()
        local name = ("relatório_anual_"):rep(7) .. "2026.pdf"
        local data = random_bytes(3000, 7)
        local mail = arrived({ from = "zoe@example.com", to = "a@example.com", text = "anexo",
            attachments = { { data = data, filename = name } } })
        assert.are.equal(as_parsed("anexo"), mail.text)
        assert.are.equal(1, #mail.attachments)
        assert_attachment({ filename = name, content_type = "application/pdf", data = data }, mail.attachments[1])
    end)

    it("gives back an empty text, alone and beside HTML", function()
        local alone = arrived({ from = "zoe@example.com", to = "a@example.com", text = "" })
        assert.are.equal(as_parsed("", true), alone.text)
        -- Beside HTML it is one empty line: mailparser reads a part with
        -- nothing between its header and the boundary as holding a line end.
        local beside = arrived({ from = "zoe@example.com", to = "a@example.com", text = "", html = "<p>só HTML</p>" })
        assert.are.equal("\n", beside.text)
        assert.are.equal("<p>só HTML</p>", beside.html)
    end)

    it("gives back an HTML-only mail", function()
        local mail = arrived({ from = "zoe@example.com", to = "a@example.com", html = "<h1>Só HTML ✓</h1>" })
        assert.is_nil(mail.text)
        assert.are.equal(as_parsed("<h1>Só HTML ✓</h1>", true), mail.html)
        assert.are.same({}, mail.attachments)
    end)

    it("gives back attachments only", function()
        local csv, bin = "a;b\r\n1;2\r\n", random_bytes(1000, 3)
        local mail = arrived({ from = "zoe@example.com", to = "a@example.com", attachments = {
            { data = csv, filename = "données.csv", content_type = "text/csv" },
            { data = bin, filename = "dump.bin" },
        } })
        assert.is_nil(mail.text)
        assert.is_nil(mail.html)
        assert.are.equal(2, #mail.attachments)
        assert_attachment({ filename = "données.csv", content_type = "text/csv", data = csv }, mail.attachments[1])
        assert_attachment({ filename = "dump.bin", content_type = "application/octet-stream", data = bin },
            mail.attachments[2])
    end)

    it("gives back 20 attachments from paths, data and sources, in order", function()
        local extensions = { "txt", "png", "bin", "pdf" }
        local types = { "text/plain", "image/png", "application/octet-stream", "application/pdf" }
        local given, expected = {}, {}
        for i = 1, 20 do
            local data = random_bytes(100 * i, i)
            local name = ("fichier %02d é.%s"):format(i, extensions[i % 4 + 1])
            local content_type = types[i % 4 + 1]
            if i % 3 == 0 then
                local path = dir .. "/" .. name
                files.write(path, data)
                given[i] = { path = path }
            elseif i % 3 == 1 then
                given[i] = { data = data, filename = name }
            else
                given[i] = { source = ltn12.source.string(data), filename = name, content_type = content_type }
            end
            expected[i] = { filename = name, content_type = content_type, data = data }
        end
        local mail = arrived({ from = "zoe@example.com", to = "a@example.com", text = "20 anexos",
            attachments = given })
        assert.are.equal(20, #mail.attachments)
        for i = 1, 20 do assert_attachment(expected[i], mail.attachments[i]) end
    end)

    it("gives back text, HTML, an inline image and attachments together", function()
        local logo, report = random_bytes(2000, 11), random_bytes(5000, 13)
        local logo_path = dir .. "/logo.png"
        files.write(logo_path, logo)
        local mail = arrived({
            from = "Zoë Ünal <zoe@example.com>",
            to = "Fulano da Silva <fulano@example.com>",
            bcc = "auditor@example.com",
            subject = "Relatório de março ✓",
            text = "Segue o relatório.\r\nAbraços,\nZoë",
            html = '<p><img src="cid:logo@example.com"> Segue o <b>relatório</b>.</p>',
            attachments = {
                { data = report, filename = "relatório final.pdf" },
                { path = logo_path, cid = "<logo@example.com>" },
            },
            headers = { ["X-Campaign"] = "42", ["list-unsubscribe"] = "<mailto:u@example.com>" },
            message_id = "march.report@example.com",
        })
        assert.are.equal("Relatório de março ✓", mail.subject)
        assert.are.equal(as_parsed("Segue o relatório.\r\nAbraços,\nZoë"), mail.text)
        assert.are.equal('<p><img src="cid:logo@example.com"> Segue o <b>relatório</b>.</p>', mail.html)
        assert.are.equal("<march.report@example.com>", mail.message_id)
        assert.are.equal("42", mail.headers["x-campaign"])
        assert.are.equal("<mailto:u@example.com>", mail.headers["list-unsubscribe"])
        assert.is_false(mail.bcc_header)
        assert.are.equal(2, #mail.attachments)
        -- mailparser and Python list the related image first: it is in the
        -- alternative, before the mixed part's attachment.
        assert_attachment({ filename = "logo.png", content_type = "image/png", disposition = "inline",
            content_id = "logo@example.com", data = logo }, mail.attachments[1])
        assert.truthy(mail.html:find("cid:" .. mail.attachments[1].content_id, 1, true))
        assert_attachment({ filename = "relatório final.pdf", content_type = "application/pdf", data = report },
            mail.attachments[2])
    end)

    it("gives back examples/compose.lua's mail (make demo sends it)", function()
        local server = servers.aiosmtpd()
        local server_before, port_before = smtp.SERVER, smtp.PORT
        smtp.SERVER, smtp.PORT = server.host, server.port
        -- The example names image.png relative to examples/, where make
        -- demo runs it; the spec runs from the root.
        local in_examples = setmetatable({ compose = function(composet)
            for _, attachment in ipairs(composet.attachments) do
                if attachment.path then attachment.path = "examples/" .. attachment.path end
            end
            return smtp.compose(composet)
        end }, { __index = smtp })
        local ok, env = pcall(run_example, "examples/compose.lua", in_examples, "examples", true)
        smtp.SERVER, smtp.PORT = server_before, port_before
        assert(ok, env)
        assert.are.equal(1, env.r, env.e)
        local mail = parsers.assert_agree(server:received()[1].data)
        assert.are.equal("Relatório de março ✓", mail.subject)
        assert.are.same({ mailbox("Fulano da Silva", "fulano@example.com"),
            mailbox("Beltrano, F.", "beltrano@example.com") }, mail.to)
        assert.are.equal("Olá!\n\nSegue o relatório de março, com o nosso logotipo.\n\nZoë", mail.text)
        assert_attachment({ filename = "image.png", content_type = "image/png", disposition = "inline",
            content_id = "logo", data = files.read("examples/image.png") }, mail.attachments[1])
        assert.are.equal("vendas de março.csv", mail.attachments[2].filename)
    end)

    it("signed every message above so that dkimpy and mailauth pass it", function()
        assert.is_true(#signed >= 10, "the composer cases were signed")
        local record = { [key.selector .. "._domainkey." .. dkim_keys.DOMAIN] = smtp.dkim_record(key.pem) }
        for i, verdicts in ipairs(verifiers.verify(signed, record)) do
            assert.are.equal("pass", verdicts.dkimpy.result, ("message %d: %s"):format(i, verdicts.dkimpy.comment))
            assert.are.equal("pass", verdicts.mailauth.result, ("message %d: %s"):format(i, verdicts.mailauth.comment))
        end
    end)

    it("gives back a 100 MB file, with the sender's RSS flat #soak", function()
        local size = 100 * 1024 * 1024
        local path = dir .. "/grande é.bin"
        assert(os.execute(("truncate -s %d %s"):format(size, files.quote(path))))
        local server = servers.aiosmtpd({ data_size_limit = 2 * size })
        -- aiosmtpd takes its time over 137 MB on a loaded machine before it
        -- answers the data: this case is about parsing and memory.
        local timeout = smtp.TIMEOUT
        smtp.TIMEOUT = 300
        finally(function() smtp.TIMEOUT = timeout end)
        local start = memory.settled().rss
        local peak_known = pcall(memory.reset_peak)
        local ok, err = smtp.sendmail({ server = server.host, port = server.port,
            from = "zoe@example.com", to = "a@example.com", subject = "grande", text = "anexo grande",
            attachments = { { path = path } } })
        local peak = peak_known and memory.peak() or start
        assert.are.equal(1, ok, err)
        if memory.rss_measured and peak_known then
            assert.is_true(peak - start < 8 * memory.MB, ("peak RSS %.2f MB above the start"):format(
                (peak - start) / memory.MB))
        end
        local received = server:received()
        local mail = parsers.assert_agree(received[1].data)
        received = nil -- luacheck: ignore 311 (the 137 MB record can go)
        collectgarbage()
        assert.are.equal(1, #mail.attachments)
        local attachment = mail.attachments[1]
        assert.are.equal("grande é.bin", attachment.filename)
        assert.are.equal(size, attachment.size)
        local digest = io.popen("sha256sum " .. files.quote(path)):read("*a"):match("^%x+")
        assert.are.equal(digest, attachment.sha256)
    end)
end)
