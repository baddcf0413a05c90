-- The two parsers the smtp.compose specs check delivered mail with
-- (mail_parsers.lua) must read hand-written messages as expected, and the
-- same: each case asks both to agree, then checks the values written out
-- here. The hashes come from sha256sum.

local parsers = require("mail_parsers")

-- A message as a server records it: CRLF line ends, the last one included.
local function message(lines)
    return table.concat(lines, "\r\n") .. "\r\n"
end

-- `size` zero bytes in base64: lines of 76 characters for 57 bytes each,
-- then the rest.
local function zeros_base64(size)
    local rest = size % 57
    return (("A"):rep(76) .. "\r\n"):rep(math.floor(size / 57))
        .. ("AAAA"):rep(math.floor(rest / 3)) .. ({ [0] = "", "AA==", "AAA=" })[rest % 3]
end

describe("the mail parsers", function()
    it("decode encoded words in the subject, display names and other fields", function()
        local mail = parsers.assert_agree(message({
            "From: =?utf-8?q?Jo=C3=A3o_Silva=2C_Jr=2E?= <joao@example.com>",
            "Sender: Mailer <mailer@example.com>",
            'To: =?utf-8?b?Wm/Dqw==?= <zoe@example.org>, "Doe, Jane" <jane@example.org>',
            "Cc: Team: carol@example.com, dave@example.com;",
            "Reply-To: replies@example.com",
            "Subject: =?utf-8?b?UmVsYXTDs3JpbyBkZSBtYXLDp28g4pyT?=",
            "Message-ID: <20261124.1@example.com>",
            "Date: Tue, 24 Nov 2026 10:00:00 +0100",
            "X-Campaign: 42",
            "X-Note: =?utf-8?q?caf=C3=A9?= and",
            " =?utf-8?q?cr=C3=A8me?=",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Olá",
        }))
        assert.are.equal("Relatório de março ✓", mail.subject)
        assert.are.same({ { name = "João Silva, Jr.", address = "joao@example.com" } }, mail.from)
        assert.are.same({ { name = "Mailer", address = "mailer@example.com" } }, mail.sender)
        assert.are.same({
            { name = "Zoë", address = "zoe@example.org" },
            { name = "Doe, Jane", address = "jane@example.org" },
        }, mail.to)
        assert.are.same({
            { name = "", address = "carol@example.com" },
            { name = "", address = "dave@example.com" },
        }, mail.cc)
        assert.are.same({ { name = "", address = "replies@example.com" } }, mail.reply_to)
        assert.are.equal("<20261124.1@example.com>", mail.message_id)
        assert.are.equal("2026-11-24T09:00:00Z", mail.date)
        assert.is_false(mail.bcc_header)
        assert.are.equal("42", mail.headers["x-campaign"])
        assert.are.equal("café and crème", mail.headers["x-note"])
        assert.are.equal("João Silva, Jr. <joao@example.com>", mail.headers.from)
        assert.are.equal("Olá\n", mail.text)
        assert.is_nil(mail.html)
        assert.are.same({}, mail.attachments)
    end)

    it("report a Bcc field, and the absence of the address fields", function()
        local mail = parsers.assert_agree(message({
            "From: alice@example.com",
            "Bcc: carol@example.com",
            "Subject: hidden",
            "",
            "text",
        }))
        assert.is_true(mail.bcc_header)
        assert.are.equal("carol@example.com", mail.headers.bcc)
        assert.are.same({}, mail.to)
        assert.are.same({}, mail.cc)
        assert.are.same({}, mail.reply_to)
        assert.is_nil(mail.sender)
        assert.is_nil(mail.message_id)
        assert.is_nil(mail.date)
    end)

    it("take the text and HTML of a multipart/alternative apart", function()
        local mail = parsers.assert_agree(message({
            "Subject: both",
            "MIME-Version: 1.0",
            'Content-Type: multipart/alternative; boundary="alt"',
            "",
            "--alt",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "Ol=C3=A1 mundo, uma linha longa que continua=",
            " aqui",
            "segunda linha",
            "",
            "--alt",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            "PHA+T2zDoSA8Yj5tdW5kbzwvYj48L3A+DQo=",
            "--alt--",
        }))
        assert.are.equal("Olá mundo, uma linha longa que continua aqui\nsegunda linha\n", mail.text)
        assert.are.equal("<p>Olá <b>mundo</b></p>\n", mail.html)
        assert.are.same({}, mail.attachments)
    end)

    it("report an inline image of a multipart/related with its Content-ID", function()
        local mail = parsers.assert_agree(message({
            "Subject: logo",
            "MIME-Version: 1.0",
            'Content-Type: multipart/related; boundary="rel"',
            "",
            "--rel",
            'Content-Type: multipart/alternative; boundary="alt"',
            "",
            "--alt",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "See the logo.",
            "--alt",
            "Content-Type: text/html; charset=us-ascii",
            "",
            '<p><img src="cid:logo@example.com"></p>',
            "--alt--",
            "",
            "--rel",
            "Content-Type: image/png",
            "Content-Transfer-Encoding: base64",
            "Content-ID: <logo@example.com>",
            'Content-Disposition: inline; filename="logo.png"',
            "",
            "iVBORw0KGgoAAAANSUhEUv8A",
            "--rel--",
        }))
        assert.are.equal("See the logo.", mail.text)
        assert.are.equal('<p><img src="cid:logo@example.com"></p>', mail.html)
        assert.are.same({ {
            filename = "logo.png",
            content_type = "image/png",
            content_id = "logo@example.com",
            disposition = "inline",
            size = 18,
            sha256 = "9b0e4ebbb01453e95389ea33349ae1130bd99748d30ca4bace569fa721ad5f9b",
            data = "\137PNG\r\n\026\n\0\0\0\rIHDR\255\0",
        } }, mail.attachments)
    end)

    it("decode an RFC 2231 file name and a base64 attachment", function()
        local mail = parsers.assert_agree(message({
            "Subject: report",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="mix"',
            "",
            "--mix",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "Attached.",
            "--mix",
            "Content-Type: text/csv; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment;",
            " filename*=utf-8''relat%C3%B3rio%20mar%C3%A7o%20%E2%9C%93.csv",
            "",
            "bm9tZSx2YWxvcg0KbWFyw6dvLDEyDQo=",
            "--mix--",
        }))
        assert.are.equal("Attached.", mail.text)
        assert.are.same({ {
            filename = "relatório março ✓.csv",
            content_type = "text/csv",
            disposition = "attachment",
            size = 23,
            sha256 = "249db5c206564f2f7a2e8a5f1116159f14ba7aab81f6406243905b9301783236",
            data = "nome,valor\r\nmarço,12\r\n",
        } }, mail.attachments)
    end)

    it("report no bodies when there are none, and the declared type", function()
        -- mailparser alone would call this attachment application/pdf, after
        -- its name.
        local mail = parsers.assert_agree(message({
            "Subject: no text",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="mix"',
            "",
            "--mix",
            'Content-Type: application/octet-stream; name="report.pdf"',
            "Content-Transfer-Encoding: base64",
            "",
            "JVBERi0xLjQKJeLjz9MK",
            "--mix--",
        }))
        assert.is_nil(mail.text)
        assert.is_nil(mail.html)
        assert.are.same({ {
            filename = "report.pdf",
            content_type = "application/octet-stream",
            size = 15,
            sha256 = "1f71fba76d8b649e6b537b4a1ea44346545550d05ffa1ed4537b55489d80ae8f",
            data = "%PDF-1.4\n%\226\227\207\211\n",
        } }, mail.attachments)
    end)

    it("make no text of an HTML-only message", function()
        -- Left to itself, mailparser would turn the HTML into text.
        local mail = parsers.assert_agree(message({
            "Subject: html",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=utf-8",
            "",
            "<p>only <b>HTML</b></p>",
        }))
        assert.is_nil(mail.text)
        assert.are.equal("<p>only <b>HTML</b></p>\n", mail.html)
    end)

    it("keep the bytes of attachments up to 64 KiB only", function()
        local mail = parsers.assert_agree(message({
            "Subject: sizes",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="mix"',
            "",
            "--mix",
            "Content-Type: application/octet-stream",
            "Content-Transfer-Encoding: base64",
            "",
            zeros_base64(65536),
            "--mix",
            "Content-Type: application/octet-stream",
            "Content-Transfer-Encoding: base64",
            "",
            zeros_base64(65537),
            "--mix--",
        }))
        assert.are.same({
            {
                content_type = "application/octet-stream",
                size = 65536,
                sha256 = "de2f256064a0af797747c2b97505dc0b9f3df0de4f489eac731c23ae9ca9cc31",
                data = ("\0"):rep(65536),
            },
            {
                content_type = "application/octet-stream",
                size = 65537,
                sha256 = "3266304f31be278d06c3bd3eb9aa3e00c59bedec0a890de466568b0b90b0e01f",
            },
        }, mail.attachments)
    end)
end)
