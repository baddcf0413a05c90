//! MAIL and RCPT parameters: whatever the request and the server, what is
//! written is well-formed parameters without CR or LF, with ENVID and
//! ORCPT in xtext that reads back as what they carry; a request that asks
//! for nothing changes no byte.

use luasmtp::protocol::capabilities::Capabilities;
use luasmtp::protocol::mail_parameters::{Body, Dsn, Envelope, Notify, Recipient, Request, Ret};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use crate::generators::text;
use crate::oracle::xtext::decode;

/// Pieces of envelope addresses: brackets, quotes, line ends and
/// characters beyond ASCII (and bytes that are not UTF-8) come up often.
const ADDRESS: &[&[u8]] = &[
    b"<",
    b">",
    b"@",
    b"\"",
    b" ",
    b"\r\n",
    b"+",
    b"=",
    b"\\",
    b"bob",
    b".example",
    "bücher".as_bytes(),
    "josé".as_bytes(),
    "例え".as_bytes(),
    b"\xff",
];

const EXTENSIONS: &[&str] = &["SMTPUTF8", "8BITMIME", "SIZE 1000", "SIZE", "DSN"];

fn notify() -> impl Strategy<Value = Option<Notify>> {
    prop_oneof![
        Just(None),
        Just(Some(Notify::NEVER)),
        any::<(bool, bool, bool)>().prop_map(|(s, f, d)| Notify::on(s, f, d)),
    ]
}

/// A request as owned parts: addresses, recipients' overrides, body, size
/// and DSN.
#[derive(Debug, Clone)]
struct Parts {
    from: Vec<u8>,
    to: Vec<(Vec<u8>, Option<Notify>, Option<bool>)>,
    body: Option<Body>,
    size: Option<u64>,
    /// The DSN request but its ENVID, which `envid` holds.
    dsn: Option<Dsn<'static>>,
    envid: Option<Vec<u8>>,
}

impl Parts {
    fn request(&self) -> Request<'_> {
        Request {
            from: &self.from,
            recipients: self
                .to
                .iter()
                .map(|(address, notify, orcpt)| Recipient {
                    address,
                    notify: *notify,
                    orcpt: *orcpt,
                })
                .collect(),
            body: self.body,
            size: self.size,
            dsn: self.dsn.as_ref().map(|dsn| Dsn {
                envid: self.envid.as_deref(),
                ..dsn.clone()
            }),
        }
    }
}

/// `strategy` when the request asks for something, else never a value.
fn asked<T: Clone + std::fmt::Debug + 'static>(
    asks: bool,
    strategy: BoxedStrategy<Option<T>>,
) -> BoxedStrategy<Option<T>> {
    if asks {
        strategy
    } else {
        Just(None).boxed()
    }
}

/// A request; one that does not ask for anything has ASCII addresses too.
/// Nine addresses in ten are UTF-8, or few requests would get past them.
fn parts(asks: bool) -> impl Strategy<Value = Parts> {
    let address = (text(ADDRESS, 6), 0..10).prop_map(move |(mut address, utf8)| {
        if !asks {
            address.retain(u8::is_ascii);
        } else if utf8 > 0 {
            address = String::from_utf8_lossy(&address).into_owned().into_bytes();
        }
        address
    });
    let to = prop::collection::vec(
        (
            address.clone(),
            asked(asks, notify().boxed()),
            asked(asks, any::<Option<bool>>().boxed()),
        ),
        0..4,
    );
    let body = asked(
        asks,
        prop::option::of(select(vec![Body::SevenBit, Body::EightBitMime])).boxed(),
    );
    let size = asked(
        asks,
        prop::option::of(prop_oneof![0..2000u64, any::<u64>()]).boxed(),
    );
    let envid = prop::option::of(prop::collection::vec(any::<u8>(), 0..12));
    let ret = prop::option::of(select(vec![Ret::Full, Ret::Hdrs]));
    let dsn =
        (ret, notify(), any::<(bool, bool)>()).prop_map(|(ret, notify, (orcpt, required))| Dsn {
            ret,
            envid: None,
            notify,
            orcpt,
            required,
        });
    let dsn = asked(asks, prop::option::of(dsn).boxed());
    (address, to, body, size, dsn, envid).prop_map(|(from, to, body, size, dsn, envid)| Parts {
        from,
        to,
        body,
        size,
        dsn,
        envid,
    })
}

fn ehlo() -> impl Strategy<Value = Capabilities> {
    subsequence(EXTENSIONS, 0..=EXTENSIONS.len()).prop_map(|offered| {
        let lines: String = offered
            .iter()
            .map(|keyword| format!("\n250-{keyword}"))
            .collect();
        Capabilities::parse(format!("250-mx{lines}\n250 HELP").as_bytes())
    })
}

/// The parameters `write` appends, each checked; returns whether MAIL
/// carried SMTPUTF8.
fn check_mail(written: &[u8], envid: Option<&[u8]>) -> bool {
    let mut smtputf8 = false;
    for parameter in parameters(written) {
        match parameter.split_once('=') {
            Some(("SIZE", digits)) => assert!(digits.parse::<u64>().is_ok(), "{parameter}"),
            Some(("BODY", body)) => assert!(["7BIT", "8BITMIME"].contains(&body), "{parameter}"),
            Some(("RET", ret)) => assert!(["FULL", "HDRS"].contains(&ret), "{parameter}"),
            Some(("ENVID", value)) => assert_eq!(decode(value.as_bytes()).as_deref(), envid),
            None if parameter == "SMTPUTF8" => smtputf8 = true,
            _ => panic!("unexpected MAIL parameter {parameter:?}"),
        }
    }
    smtputf8
}

fn check_rcpt(written: &[u8], mailbox: &[u8], smtputf8: bool) {
    for parameter in parameters(written) {
        match parameter.split_once('=') {
            Some(("NOTIFY", "NEVER")) => {}
            Some(("NOTIFY", events)) => {
                let order = ["SUCCESS", "FAILURE", "DELAY"];
                let positions: Vec<_> = events
                    .split(',')
                    .map(|event| order.iter().position(|known| *known == event))
                    .collect::<Option<_>>()
                    .unwrap_or_else(|| panic!("{parameter:?}"));
                assert!(
                    positions.windows(2).all(|pair| pair[0] < pair[1]),
                    "{parameter}"
                );
            }
            Some(("ORCPT", value)) => {
                if let Some(xtext) = value.strip_prefix("rfc822;") {
                    assert_eq!(decode(xtext.as_bytes()).as_deref(), Some(mailbox));
                } else {
                    let xtext = value
                        .strip_prefix("utf-8;")
                        .unwrap_or_else(|| panic!("{value:?}"));
                    assert!(smtputf8, "utf-8 ORCPT without SMTPUTF8");
                    assert!(decode(xtext.as_bytes()).is_some(), "{value:?}");
                }
            }
            _ => panic!("unexpected RCPT parameter {parameter:?}"),
        }
    }
}

/// The parameters in `written`, which must be ASCII without CR or LF,
/// each after one space.
fn parameters(written: &[u8]) -> Vec<&str> {
    assert!(
        written
            .iter()
            .all(|byte| byte.is_ascii_graphic() || *byte == b' '),
        "{written:?}"
    );
    let text = std::str::from_utf8(written).unwrap();
    let Some(rest) = text.strip_prefix(' ') else {
        assert_eq!(text, "");
        return Vec::new();
    };
    rest.split(' ').collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn parameters_are_well_formed_and_xtext_reads_back(parts in parts(true), offered in ehlo()) {
        let request = parts.request();
        let Ok(envelope) = Envelope::plan(&request, &offered) else {
            return Ok(());
        };
        let mut written = Vec::new();
        envelope.mail.write_parameters(&mut written);
        let envid = request.dsn.as_ref().and_then(|dsn| dsn.envid);
        let smtputf8 = check_mail(&written, envid);
        prop_assert_eq!(smtputf8, envelope.mail.smtputf8);
        let addresses = std::iter::once(&envelope.mail.address)
            .chain(envelope.recipients.iter().map(|rcpt| &rcpt.address));
        for address in addresses {
            prop_assert!(smtputf8 || address.text().is_ascii());
        }
        for rcpt in &envelope.recipients {
            let mut written = Vec::new();
            rcpt.write_parameters(&mut written);
            check_rcpt(&written, rcpt.address.mailbox(), smtputf8);
        }
    }

    #[test]
    fn a_request_for_nothing_changes_no_byte(parts in parts(false), offered in ehlo()) {
        let request = parts.request();
        let envelope = Envelope::plan(&request, &offered).unwrap();
        let mut written = Vec::new();
        envelope.mail.write_parameters(&mut written);
        for rcpt in &envelope.recipients {
            rcpt.write_parameters(&mut written);
        }
        prop_assert_eq!(written, b"");
        prop_assert_eq!(envelope.mail.address.text(), request.from);
        for (rcpt, recipient) in envelope.recipients.iter().zip(&request.recipients) {
            prop_assert_eq!(rcpt.address.text(), recipient.address);
        }
    }
}
