//! The parameters of MAIL FROM: and RCPT TO: for SMTPUTF8 (RFC 6531),
//! 8BITMIME (RFC 6152), SIZE (RFC 1870) and DSN (RFC 3461), decided once
//! from what a send asks for and what EHLO offered. Each is used only when
//! the request needs it and the server offers it: a request that asks for
//! nothing, with ASCII addresses, gives LuaSocket's bytes, addresses as
//! given and no parameter. What cannot be sent as asked is refused before
//! MAIL.
//!
//! The parameters follow the address in a fixed order: MAIL's SIZE, BODY,
//! SMTPUTF8, RET, ENVID; RCPT's NOTIFY, ORCPT.

use std::borrow::Cow;

use crate::protocol::capabilities::Capabilities;
use crate::protocol::envelope_address::{AddressError, Charset, EnvelopeAddress};
use crate::protocol::xtext;

/// BODY's value: what the message's bytes are (RFC 6152).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// 7-bit text, the default; said only to a server offering 8BITMIME.
    SevenBit,
    /// Lines of 8-bit text; needs 8BITMIME.
    EightBitMime,
}

/// DSN's RET: what of the message a failure report returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    Full,
    Hdrs,
}

/// DSN's NOTIFY: NEVER, or the events to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notify(u8);

impl Notify {
    pub const NEVER: Notify = Notify(0);
    const SUCCESS: u8 = 1;
    const FAILURE: u8 = 2;
    const DELAY: u8 = 4;

    /// The events to report; `None` when there are none, which NOTIFY
    /// cannot say (NEVER is [`Notify::NEVER`]).
    pub fn on(success: bool, failure: bool, delay: bool) -> Option<Notify> {
        let events = [
            (success, Notify::SUCCESS),
            (failure, Notify::FAILURE),
            (delay, Notify::DELAY),
        ];
        let bits = events
            .into_iter()
            .filter(|&(wanted, _)| wanted)
            .fold(0, |bits, (_, bit)| bits | bit);
        (bits != 0).then_some(Notify(bits))
    }

    /// Appends NEVER, or the events in RFC 3461's order, comma-separated.
    fn write(self, out: &mut Vec<u8>) {
        if self == Notify::NEVER {
            out.extend_from_slice(b"NEVER");
            return;
        }
        let names = [
            (Notify::SUCCESS, &b"SUCCESS"[..]),
            (Notify::FAILURE, b"FAILURE"),
            (Notify::DELAY, b"DELAY"),
        ];
        let chosen = names.iter().filter(|&&(bit, _)| self.0 & bit != 0);
        for (index, (_, name)) in chosen.enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(name);
        }
    }
}

/// A send's DSN request, for the message and, unless a recipient says
/// otherwise, each recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn<'a> {
    pub ret: Option<Ret>,
    /// ENVID: the sender's own identifier for the message, any bytes.
    pub envid: Option<&'a [u8]>,
    pub notify: Option<Notify>,
    /// Whether each recipient's RCPT carries its address as ORCPT.
    pub orcpt: bool,
    /// Whether a server without DSN is refused (the default) or gets the
    /// message without the DSN parameters.
    pub required: bool,
}

impl Default for Dsn<'_> {
    fn default() -> Self {
        Dsn {
            ret: None,
            envid: None,
            notify: None,
            orcpt: false,
            required: true,
        }
    }
}

/// A recipient, with what it overrides of the send's [`Dsn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient<'a> {
    pub address: &'a [u8],
    pub notify: Option<Notify>,
    pub orcpt: Option<bool>,
}

impl<'a> Recipient<'a> {
    /// A recipient as LuaSocket takes it: an address alone.
    pub fn new(address: &'a [u8]) -> Recipient<'a> {
        Recipient {
            address,
            notify: None,
            orcpt: None,
        }
    }

    /// Whether it asks for DSN itself.
    fn asks_for_dsn(&self) -> bool {
        self.notify.is_some() || self.orcpt.is_some()
    }
}

/// What a send asks for. The default asks for nothing beyond LuaSocket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request<'a> {
    pub from: &'a [u8],
    pub recipients: Vec<Recipient<'a>>,
    pub body: Option<Body>,
    /// The message's size in bytes, when known.
    pub size: Option<u64>,
    pub dsn: Option<Dsn<'a>>,
}

/// Why a request cannot be sent to this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// An address that is not UTF-8, or whose domain IDNA refuses when
    /// it must be converted.
    Address(AddressError),
    /// A local part beyond ASCII, and no SMTPUTF8.
    Smtputf8NotOffered,
    /// `Body::EightBitMime`, and no 8BITMIME.
    EightBitMimeNotOffered,
    /// A size above the server's SIZE limit.
    TooLarge { size: u64, limit: u64 },
    /// DSN asked for, required, and not offered.
    DsnNotOffered,
}

impl Refusal {
    /// What the script's `nil, err` says.
    pub fn message(&self) -> Cow<'static, str> {
        match *self {
            Refusal::Address(error) => Cow::Borrowed(error.message()),
            Refusal::Smtputf8NotOffered => Cow::Borrowed("server does not support SMTPUTF8"),
            Refusal::EightBitMimeNotOffered => Cow::Borrowed("server does not support 8BITMIME"),
            Refusal::TooLarge { size, limit } => {
                Cow::Owned(format!("message too large for server ({size} > {limit})"))
            }
            Refusal::DsnNotOffered => Cow::Borrowed("server does not support DSN"),
        }
    }
}

/// MAIL FROM: as it is to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFrom<'a> {
    /// The address to write after "MAIL FROM:": as given, or with its
    /// domain as A-labels for a server without SMTPUTF8.
    pub address: EnvelopeAddress<'a>,
    pub size: Option<u64>,
    pub body: Option<Body>,
    pub smtputf8: bool,
    pub ret: Option<Ret>,
    pub envid: Option<&'a [u8]>,
}

impl MailFrom<'_> {
    /// Appends the parameters, each after a space: nothing when there are
    /// none.
    pub fn write_parameters(&self, out: &mut Vec<u8>) {
        if let Some(size) = self.size {
            out.extend_from_slice(format!(" SIZE={size}").as_bytes());
        }
        match self.body {
            Some(Body::SevenBit) => out.extend_from_slice(b" BODY=7BIT"),
            Some(Body::EightBitMime) => out.extend_from_slice(b" BODY=8BITMIME"),
            None => {}
        }
        if self.smtputf8 {
            out.extend_from_slice(b" SMTPUTF8");
        }
        match self.ret {
            Some(Ret::Full) => out.extend_from_slice(b" RET=FULL"),
            Some(Ret::Hdrs) => out.extend_from_slice(b" RET=HDRS"),
            None => {}
        }
        if let Some(envid) = self.envid {
            out.extend_from_slice(b" ENVID=");
            xtext::encode(envid, out);
        }
    }
}

/// RCPT TO: as it is to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcptTo<'a> {
    /// The address to write after "RCPT TO:", as for [`MailFrom`].
    pub address: EnvelopeAddress<'a>,
    pub notify: Option<Notify>,
    /// Whether ORCPT carries the address's mailbox.
    pub orcpt: bool,
}

impl RcptTo<'_> {
    /// Appends the parameters, each after a space: nothing when there are
    /// none. ORCPT's address is the mailbox as sent: "rfc822;" and its
    /// xtext when ASCII; beyond ASCII, under SMTPUTF8, "utf-8;" and RFC
    /// 6533's 7-bit form, which any server can read.
    pub fn write_parameters(&self, out: &mut Vec<u8>) {
        if let Some(notify) = self.notify {
            out.extend_from_slice(b" NOTIFY=");
            notify.write(out);
        }
        if self.orcpt {
            let mailbox = self.address.mailbox();
            if mailbox.is_ascii() {
                out.extend_from_slice(b" ORCPT=rfc822;");
                xtext::encode(mailbox, out);
            } else {
                out.extend_from_slice(b" ORCPT=utf-8;");
                write_utf8_addr_xtext(mailbox, out);
            }
        }
    }
}

/// RFC 6533's utf-8-addr-xtext: a printable ASCII character but "\", "+"
/// and "=" stands for itself, any other character is "\x{HEX}", its code
/// point in at least two upper-case hex digits. Every byte of it is an
/// xchar.
fn write_utf8_addr_xtext(mailbox: &[u8], out: &mut Vec<u8>) {
    for character in String::from_utf8_lossy(mailbox).chars() {
        if character != '\\' && u8::try_from(character).is_ok_and(xtext::is_xchar) {
            let mut utf8 = [0; 4];
            out.extend_from_slice(character.encode_utf8(&mut utf8).as_bytes());
        } else {
            out.extend_from_slice(format!("\\x{{{:02X}}}", u32::from(character)).as_bytes());
        }
    }
}

/// A send's MAIL and RCPTs, as they are to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub mail: MailFrom<'a>,
    pub recipients: Vec<RcptTo<'a>>,
}

impl<'a> Envelope<'a> {
    /// Decides the addresses and parameters of `request` for a server that
    /// offered `offered`. Refusals are checked in this order: the
    /// addresses, SMTPUTF8, 8BITMIME, SIZE, DSN.
    pub fn plan(request: &Request<'a>, offered: &Capabilities) -> Result<Envelope<'a>, Refusal> {
        let (from, to, smtputf8) = addresses(request, offered)?;
        let body = match request.body {
            Some(Body::EightBitMime) if !offered.eight_bit_mime => {
                return Err(Refusal::EightBitMimeNotOffered)
            }
            body => body.filter(|_| offered.eight_bit_mime),
        };
        let size = match (request.size, offered.size) {
            (Some(size), Some(Some(limit))) if size > limit => {
                return Err(Refusal::TooLarge { size, limit })
            }
            (size, Some(_)) => size,
            (_, None) => None,
        };
        let asked = request.dsn.is_some() || request.recipients.iter().any(Recipient::asks_for_dsn);
        let default = Dsn::default();
        let dsn = request.dsn.as_ref().unwrap_or(&default);
        if asked && !offered.dsn && dsn.required {
            return Err(Refusal::DsnNotOffered);
        }
        let use_dsn = asked && offered.dsn;
        let recipients = request
            .recipients
            .iter()
            .zip(to)
            .map(|(recipient, address)| {
                let orcpt = recipient.orcpt.unwrap_or(dsn.orcpt);
                RcptTo {
                    notify: recipient.notify.or(dsn.notify).filter(|_| use_dsn),
                    // "<>" has no mailbox to name.
                    orcpt: use_dsn && orcpt && !address.mailbox().is_empty(),
                    address,
                }
            })
            .collect();
        Ok(Envelope {
            mail: MailFrom {
                address: from,
                size,
                body,
                smtputf8,
                ret: dsn.ret.filter(|_| use_dsn),
                envid: dsn.envid.filter(|_| use_dsn),
            },
            recipients,
        })
    }
}

/// The envelope's addresses as they are to be sent, and whether MAIL
/// carries SMTPUTF8: when an address is beyond ASCII and the server offers
/// it, every address goes as given; without it, domains go as A-labels and
/// a local part beyond ASCII is refused.
fn addresses<'a>(
    request: &Request<'a>,
    offered: &Capabilities,
) -> Result<(EnvelopeAddress<'a>, Vec<EnvelopeAddress<'a>>, bool), Refusal> {
    let from = EnvelopeAddress::parse(request.from).map_err(Refusal::Address)?;
    let to = request
        .recipients
        .iter()
        .map(|recipient| EnvelopeAddress::parse(recipient.address).map_err(Refusal::Address))
        .collect::<Result<Vec<_>, _>>()?;
    let charsets = || {
        std::iter::once(&from)
            .chain(&to)
            .map(EnvelopeAddress::charset)
    };
    if charsets().all(|charset| charset == Charset::Ascii) {
        return Ok((from, to, false));
    }
    if offered.smtputf8 {
        return Ok((from, to, true));
    }
    if charsets().any(|charset| charset == Charset::UnicodeLocalPart) {
        return Err(Refusal::Smtputf8NotOffered);
    }
    let ascii =
        |address: &EnvelopeAddress<'a>| address.with_ascii_domain().map_err(Refusal::Address);
    let to = to.iter().map(ascii).collect::<Result<Vec<_>, _>>()?;
    Ok((ascii(&from)?, to, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERYTHING: &[u8] =
        b"250-mx\n250-SMTPUTF8\n250-8BITMIME\n250-SIZE 1000\n250-DSN\n250 PIPELINING";
    const NOTHING: &[u8] = b"250-mx\n250 PIPELINING";

    fn offered(ehlo: &[u8]) -> Capabilities {
        Capabilities::parse(ehlo)
    }

    fn request<'a>(from: &'a str, to: &[&'a str]) -> Request<'a> {
        Request {
            from: from.as_bytes(),
            recipients: to.iter().map(|to| Recipient::new(to.as_bytes())).collect(),
            ..Request::default()
        }
    }

    /// The MAIL and RCPT lines the envelope gives, without their CRLF.
    fn lines(request: &Request<'_>, ehlo: &[u8]) -> Result<Vec<String>, Refusal> {
        let envelope = Envelope::plan(request, &offered(ehlo))?;
        let mut mail = [b"MAIL FROM:", envelope.mail.address.text()].concat();
        envelope.mail.write_parameters(&mut mail);
        let mut lines = vec![mail];
        for rcpt in &envelope.recipients {
            let mut line = [b"RCPT TO:", rcpt.address.text()].concat();
            rcpt.write_parameters(&mut line);
            lines.push(line);
        }
        Ok(lines
            .into_iter()
            .map(|line| String::from_utf8(line).unwrap())
            .collect())
    }

    fn dsn(notify: Option<Notify>, orcpt: bool) -> Option<Dsn<'static>> {
        Some(Dsn {
            notify,
            orcpt,
            ..Dsn::default()
        })
    }

    #[test]
    fn a_request_for_nothing_gives_luasocket_s_bytes_whatever_is_offered() {
        for ehlo in [EVERYTHING, NOTHING] {
            let plain = request(
                "<a@example.com>",
                &["b@example.com", " Bob <B@EXAMPLE.com> "],
            );
            assert_eq!(
                lines(&plain, ehlo).unwrap(),
                [
                    "MAIL FROM:<a@example.com>",
                    "RCPT TO:b@example.com",
                    "RCPT TO: Bob <B@EXAMPLE.com> "
                ]
            );
        }
    }

    #[test]
    fn the_null_sender_stays_as_it_is() {
        let bounce = request("<>", &["<bücher@example.com>"]);
        assert_eq!(
            lines(&bounce, EVERYTHING).unwrap(),
            ["MAIL FROM:<> SMTPUTF8", "RCPT TO:<bücher@example.com>"]
        );
        assert_eq!(
            lines(&request("<>", &["<b@example.com>"]), NOTHING).unwrap(),
            ["MAIL FROM:<>", "RCPT TO:<b@example.com>"]
        );
    }

    #[test]
    fn an_address_beyond_ascii_asks_for_smtputf8_when_offered() {
        let send = request("<josé@exemplo.br>", &["<bob@bücher.example>"]);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap(),
            [
                "MAIL FROM:<josé@exemplo.br> SMTPUTF8",
                "RCPT TO:<bob@bücher.example>"
            ]
        );
        let to_only = request(
            "<a@example.com>",
            &["<b@example.com>", "<bob@bücher.example>"],
        );
        assert_eq!(
            lines(&to_only, EVERYTHING).unwrap()[0],
            "MAIL FROM:<a@example.com> SMTPUTF8"
        );
    }

    #[test]
    fn without_smtputf8_domains_go_as_a_labels_and_local_parts_are_refused() {
        let domains = request(
            "<a@bücher.example>",
            &["<Bob@Bücher.Example>", "<c@example.com>"],
        );
        assert_eq!(
            lines(&domains, NOTHING).unwrap(),
            [
                "MAIL FROM:<a@xn--bcher-kva.example>",
                "RCPT TO:<Bob@xn--bcher-kva.example>",
                "RCPT TO:<c@example.com>"
            ]
        );
        let local = request(
            "<a@bücher.example>",
            &["<c@example.com>", "<josé@exemplo.br>"],
        );
        assert_eq!(lines(&local, NOTHING), Err(Refusal::Smtputf8NotOffered));
        assert_eq!(
            Refusal::Smtputf8NotOffered.message(),
            "server does not support SMTPUTF8"
        );
    }

    #[test]
    fn addresses_that_cannot_be_read_or_converted_are_refused() {
        let latin1 = Request {
            from: b"<jos\xe9@example.com>",
            ..Request::default()
        };
        let refusal = Refusal::Address(AddressError::InvalidUtf8);
        assert_eq!(lines(&latin1, EVERYTHING), Err(refusal));
        assert_eq!(refusal.message(), "address is not valid UTF-8");
        let bad_domain = request("<a@example.com>", &["<b@bücher..example>"]);
        assert_eq!(
            lines(&bad_domain, NOTHING),
            Err(Refusal::Address(AddressError::InvalidDomain))
        );
        // Under SMTPUTF8 the server judges the domain.
        assert!(lines(&bad_domain, EVERYTHING).is_ok());
    }

    #[test]
    fn eight_bit_mime_is_declared_when_offered_and_refused_otherwise() {
        let mut send = request("<a@example.com>", &["<b@example.com>"]);
        send.body = Some(Body::EightBitMime);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap()[0],
            "MAIL FROM:<a@example.com> BODY=8BITMIME"
        );
        assert_eq!(lines(&send, NOTHING), Err(Refusal::EightBitMimeNotOffered));
        assert_eq!(
            Refusal::EightBitMimeNotOffered.message(),
            "server does not support 8BITMIME"
        );
        send.body = Some(Body::SevenBit);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap()[0],
            "MAIL FROM:<a@example.com> BODY=7BIT"
        );
        assert_eq!(
            lines(&send, NOTHING).unwrap()[0],
            "MAIL FROM:<a@example.com>"
        );
    }

    #[test]
    fn a_known_size_is_declared_and_checked_against_the_limit() {
        let mut send = request("<a@example.com>", &["<b@example.com>"]);
        send.size = Some(1000);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap()[0],
            "MAIL FROM:<a@example.com> SIZE=1000"
        );
        assert_eq!(
            lines(&send, NOTHING).unwrap()[0],
            "MAIL FROM:<a@example.com>"
        );
        send.size = Some(1001);
        let too_large = Refusal::TooLarge {
            size: 1001,
            limit: 1000,
        };
        assert_eq!(lines(&send, EVERYTHING), Err(too_large));
        assert_eq!(
            too_large.message(),
            "message too large for server (1001 > 1000)"
        );
        // SIZE without a limit, or 0: any size goes.
        assert_eq!(
            lines(&send, b"250-mx\n250 SIZE 0").unwrap()[0],
            "MAIL FROM:<a@example.com> SIZE=1001"
        );
        assert_eq!(
            lines(&send, NOTHING).unwrap()[0],
            "MAIL FROM:<a@example.com>"
        );
    }

    #[test]
    fn mail_parameters_come_in_their_documented_order() {
        let send = Request {
            from: "<josé@example.com>".as_bytes(),
            recipients: vec![Recipient::new(b"<b@example.com>")],
            body: Some(Body::EightBitMime),
            size: Some(12),
            dsn: Some(Dsn {
                ret: Some(Ret::Hdrs),
                envid: Some(b"QQ314159"),
                ..Dsn::default()
            }),
        };
        assert_eq!(
            lines(&send, EVERYTHING).unwrap()[0],
            "MAIL FROM:<josé@example.com> SIZE=12 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159"
        );
    }

    #[test]
    fn dsn_envid_is_xtext_and_ret_is_full_or_hdrs() {
        let mut send = request("<a@example.com>", &["<b@example.com>"]);
        send.dsn = Some(Dsn {
            ret: Some(Ret::Full),
            envid: Some(b"id+1=2 \r\n"),
            ..Dsn::default()
        });
        assert_eq!(
            lines(&send, EVERYTHING).unwrap(),
            [
                "MAIL FROM:<a@example.com> RET=FULL ENVID=id+2B1+3D2+20+0D+0A",
                "RCPT TO:<b@example.com>"
            ]
        );
    }

    #[test]
    fn notify_is_never_or_the_events_in_rfc_order() {
        let written = |notify: Notify| {
            let mut out = Vec::new();
            notify.write(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(written(Notify::NEVER), "NEVER");
        assert_eq!(
            written(Notify::on(true, true, true).unwrap()),
            "SUCCESS,FAILURE,DELAY"
        );
        assert_eq!(
            written(Notify::on(false, true, true).unwrap()),
            "FAILURE,DELAY"
        );
        assert_eq!(
            written(Notify::on(true, false, true).unwrap()),
            "SUCCESS,DELAY"
        );
        assert_eq!(written(Notify::on(false, false, true).unwrap()), "DELAY");
        assert_eq!(Notify::on(false, false, false), None);
    }

    #[test]
    fn recipients_take_what_they_leave_out_from_the_message_dsn() {
        let failure = Notify::on(false, true, false);
        let mut send = request(
            "<a@example.com>",
            &["<b@example.com>", "<c+x@example.com>", "<d@example.com>"],
        );
        send.dsn = dsn(failure, true);
        send.recipients[1].notify = Some(Notify::NEVER);
        send.recipients[2].orcpt = Some(false);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap(),
            [
                "MAIL FROM:<a@example.com>",
                "RCPT TO:<b@example.com> NOTIFY=FAILURE ORCPT=rfc822;b@example.com",
                "RCPT TO:<c+x@example.com> NOTIFY=NEVER ORCPT=rfc822;c+2Bx@example.com",
                "RCPT TO:<d@example.com> NOTIFY=FAILURE"
            ]
        );
    }

    #[test]
    fn without_notify_anywhere_no_notify_is_sent() {
        let mut send = request("<a@example.com>", &["<b@example.com>", "<c@example.com>"]);
        send.dsn = dsn(None, false);
        send.recipients[1].orcpt = Some(true);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap(),
            [
                "MAIL FROM:<a@example.com>",
                "RCPT TO:<b@example.com>",
                "RCPT TO:<c@example.com> ORCPT=rfc822;c@example.com"
            ]
        );
    }

    #[test]
    fn a_recipient_alone_may_ask_for_dsn() {
        let mut send = request("<a@example.com>", &["<b@example.com>", "<c@example.com>"]);
        send.recipients[0].notify = Notify::on(true, false, false);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap()[1..],
            [
                "RCPT TO:<b@example.com> NOTIFY=SUCCESS",
                "RCPT TO:<c@example.com>"
            ]
        );
        assert_eq!(lines(&send, NOTHING), Err(Refusal::DsnNotOffered));
    }

    #[test]
    fn dsn_not_offered_is_refused_unless_not_required() {
        let mut send = request("<a@example.com>", &["<b@example.com>"]);
        send.dsn = Some(Dsn {
            ret: Some(Ret::Full),
            envid: Some(b"x"),
            notify: Notify::on(true, true, false),
            orcpt: true,
            required: true,
        });
        assert_eq!(lines(&send, NOTHING), Err(Refusal::DsnNotOffered));
        assert_eq!(
            Refusal::DsnNotOffered.message(),
            "server does not support DSN"
        );
        send.dsn.as_mut().unwrap().required = false;
        assert_eq!(
            lines(&send, NOTHING).unwrap(),
            ["MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>"]
        );
    }

    #[test]
    fn orcpt_names_the_mailbox_as_sent() {
        let mut send = request(
            "<a@example.com>",
            &[" Bob <bob@bücher.example>", "<josé@exemplo.br>"],
        );
        send.dsn = dsn(None, true);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap()[1..],
            [
                "RCPT TO: Bob <bob@bücher.example> ORCPT=utf-8;bob@b\\x{FC}cher.example",
                "RCPT TO:<josé@exemplo.br> ORCPT=utf-8;jos\\x{E9}@exemplo.br"
            ]
        );
        send.recipients.pop();
        assert_eq!(
            lines(&send, b"250-mx\n250 DSN").unwrap()[1],
            "RCPT TO: Bob <bob@xn--bcher-kva.example> ORCPT=rfc822;bob@xn--bcher-kva.example"
        );
    }

    #[test]
    fn utf8_orcpt_escapes_what_is_not_a_plain_xchar() {
        let mut out = Vec::new();
        write_utf8_addr_xtext("a+b=c\\d e\u{1F600}\u{7f}".as_bytes(), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}e\\x{1F600}\\x{7F}"
        );
    }

    #[test]
    fn the_null_recipient_has_no_orcpt() {
        let mut send = request("<a@example.com>", &["<>"]);
        send.dsn = dsn(Notify::on(false, true, false), true);
        assert_eq!(
            lines(&send, EVERYTHING).unwrap()[1],
            "RCPT TO:<> NOTIFY=FAILURE"
        );
    }

    #[test]
    fn refusals_come_in_their_documented_order() {
        let mut send = request("<josé@example.com>", &["<b@example.com>"]);
        send.body = Some(Body::EightBitMime);
        send.size = Some(5000);
        send.dsn = Some(Dsn::default());
        assert_eq!(lines(&send, NOTHING), Err(Refusal::Smtputf8NotOffered));
        send.from = b"<a@example.com>";
        assert_eq!(lines(&send, NOTHING), Err(Refusal::EightBitMimeNotOffered));
        let no_dsn = b"250-mx\n250-8BITMIME\n250 SIZE 1000";
        assert_eq!(
            lines(&send, no_dsn),
            Err(Refusal::TooLarge {
                size: 5000,
                limit: 1000
            })
        );
        send.size = Some(10);
        assert_eq!(lines(&send, no_dsn), Err(Refusal::DsnNotOffered));
    }
}
