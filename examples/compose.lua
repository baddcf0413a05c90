-- smtp.compose: a UTF-8 mail with text and HTML, an inline image and an
-- attachment with a non-ASCII file name, sent to smtp.SERVER on smtp.PORT.
-- Run from examples/, where image.png is; smtp.send's results are left in
-- the globals r and e, as in the manual's examples.
local smtp = require("socket.smtp")

local mesgt, envelope = smtp.compose{
  from = "Zoë Ünal <zoe@example.com>",
  to = { "Fulano da Silva <fulano@example.com>", { name = "Beltrano, F.", address = "beltrano@example.com" } },
  bcc = "auditor@example.com",
  subject = "Relatório de março ✓",
  text = "Olá!\n\nSegue o relatório de março, com o nosso logotipo.\n\nZoë",
  html = '<p>Olá!</p><p>Segue o relatório de março, com o nosso logotipo: <img src="cid:logo"></p><p>Zoë</p>',
  attachments = {
    { path = "image.png", cid = "logo" },
    { data = "mês;vendas\r\njaneiro;10\r\nfevereiro;12\r\nmarço;15\r\n", filename = "vendas de março.csv",
      content_type = "text/csv" },
  },
}
r, e = smtp.send{ from = envelope.from, rcpt = envelope.rcpt, source = smtp.message(mesgt) }
