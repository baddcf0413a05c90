//! The compose row of bench/run.sh (a benchmark, not a test), with lettre.
//!
//!   compose-rate-lettre PORT FIXTURE_DIR ATTACHMENT WARMUP MAX_COUNT SECONDS
//!
//! After WARMUP messages, neither timed nor counted, until MAX_COUNT
//! messages are sent or SECONDS have passed: builds the
//! message of FIXTURE_DIR (bench/compose: fields, text.txt, body.html) with
//! `Message::builder()`, a mixed multipart of the text and HTML alternative
//! and an `Attachment` of the file ATTACHMENT's bytes (read into memory
//! once), and sends it on a sync `SmtpTransport` without TLS or pool: a
//! new connection per message. Prints
//!   impl=... messages=N seconds=S cpu=C
//! like bench/send_rate.lua. The first failure goes to stderr, exit status 1.

use std::collections::HashMap;
use std::error::Error;
use std::path::Path;
use std::time::Instant;
use std::{env, fs, process};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SmtpTransport, Transport};

struct Fixture {
    fields: HashMap<String, String>,
    text: String,
    html: String,
}

fn read_fixture(dir: &Path) -> Result<Fixture, Box<dyn Error>> {
    let fields = fs::read_to_string(dir.join("fields"))?
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
        .collect();
    Ok(Fixture {
        fields,
        text: fs::read_to_string(dir.join("text.txt"))?,
        html: fs::read_to_string(dir.join("body.html"))?,
    })
}

fn field<'a>(fixture: &'a Fixture, name: &str) -> Result<&'a str, Box<dyn Error>> {
    Ok(fixture
        .fields
        .get(name)
        .ok_or_else(|| format!("no {name} in the fields"))?)
}

// A fresh message each time: the addresses parsed, the bodies and the
// attachment's bytes copied in (lettre's builder takes them by value).
fn compose(fixture: &Fixture, data: &[u8]) -> Result<Message, Box<dyn Error>> {
    let attachment = Attachment::new(field(fixture, "attachment_filename")?.to_owned()).body(
        data.to_vec(),
        ContentType::parse(field(fixture, "attachment_content_type")?)?,
    );
    Ok(Message::builder()
        .from(field(fixture, "from")?.parse::<Mailbox>()?)
        .to(field(fixture, "to")?.parse::<Mailbox>()?)
        .subject(field(fixture, "subject")?)
        // Date comes by itself; Message-ID when asked, as nodemailer adds one.
        .message_id(None)
        .multipart(
            MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(
                    fixture.text.clone(),
                    fixture.html.clone(),
                ))
                .singlepart(attachment),
        )?)
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    let [port, dir, attachment, warmup, max_count, seconds] = args else {
        eprintln!(
            "usage: compose-rate-lettre PORT FIXTURE_DIR ATTACHMENT WARMUP MAX_COUNT SECONDS"
        );
        process::exit(2);
    };
    let (warmup, max_count): (u64, u64) = (warmup.parse()?, max_count.parse()?);
    let seconds: f64 = seconds.parse()?;
    let fixture = read_fixture(Path::new(dir))?;
    let data = fs::read(attachment)?;
    let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port.parse()?)
        .hello_name(ClientId::Domain("localhost".to_owned()))
        .build();

    // The envelope from the From and To fields, as the others do.
    let send_one = |n: u64| -> Result<(), Box<dyn Error>> {
        mailer
            .send(&compose(&fixture, &data)?)
            .map_err(|e| format!("message {n}: {e}"))?;
        Ok(())
    };

    for n in 1..=warmup {
        send_one(n)?;
    }
    let mut sent = 0;
    let start = Instant::now();
    let start_cpu = cpu_seconds();
    loop {
        send_one(warmup + sent + 1)?;
        sent += 1;
        if sent >= max_count || start.elapsed().as_secs_f64() >= seconds {
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - start_cpu;
    println!("impl=lettre messages={sent} seconds={elapsed:.6} cpu={cpu:.6}");
    Ok(())
}

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("{e}");
        process::exit(1);
    }
}
