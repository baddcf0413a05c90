"""The compose row of bench/run.sh (a benchmark, not a test), in Python.

  python3 bench/compose_rate.py send PORT FIXTURE_DIR ATTACHMENT WARMUP MAX_COUNT SECONDS
      After WARMUP messages, neither timed nor counted, until MAX_COUNT
      messages are sent or SECONDS have passed: composes the
      message of FIXTURE_DIR (bench/compose: fields, text.txt, body.html)
      as an email.message.EmailMessage (policy default) with the bytes of
      the file ATTACHMENT, read into memory once, as its attachment, and
      sends it with send_message on a new smtplib.SMTP to 127.0.0.1:PORT.
      Prints "impl=... messages=N seconds=S cpu=C" like send_rate.py.
  python3 bench/compose_rate.py attachment FIXTURE_DIR OUT
      Writes the attachment every client sends to OUT: attachment_bytes
      bytes from Python's random seeded with attachment_seed.

Errors go to stderr, with exit status 1. Standard library only.
"""

import email.utils
import os
import platform
import random
import sys
import time
from email.message import EmailMessage

from send_rate import connect, run


def read_fixture(directory):
    fields = {}
    with open(os.path.join(directory, "fields"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, value = line.split(":", 1)
                fields[name] = value.strip()
    with open(os.path.join(directory, "text.txt"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(directory, "body.html"), encoding="utf-8") as f:
        html = f.read()
    return fields, text, html


def compose(fields, text, html, data):
    msg = EmailMessage()
    msg["From"] = fields["from"]
    msg["To"] = fields["to"]
    msg["Subject"] = fields["subject"]
    # What nodemailer and lettre add by themselves; the domain is From's, as
    # nodemailer's is, so that make_msgid does not look up this host's FQDN.
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid(domain=msg["From"].addresses[0].domain)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    maintype, subtype = fields["attachment_content_type"].split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype,
                       filename=fields["attachment_filename"])
    return msg


def send_one(port, message):
    with connect(port) as s:
        # The envelope from the From and To fields, as the others do.
        refused = s.send_message(message)
    if refused:
        raise RuntimeError("recipients refused: %r" % (refused,))


def send(port, directory, attachment, warmup, max_count, seconds):
    fields, text, html = read_fixture(directory)
    with open(attachment, "rb") as f:
        data = f.read()
    for _ in range(warmup):
        send_one(port, compose(fields, text, html, data))
    sent = 0
    start, start_cpu = time.monotonic(), time.process_time()
    while True:
        send_one(port, compose(fields, text, html, data))
        sent += 1
        if sent >= max_count or time.monotonic() - start >= seconds:
            break
    elapsed = time.monotonic() - start
    cpu = time.process_time() - start_cpu
    impl = "Python_%s_email+smtplib" % platform.python_version()
    print("impl=%s messages=%d seconds=%.6f cpu=%.6f" % (impl, sent, elapsed, cpu))


def write_attachment(directory, out):
    fields, _, _ = read_fixture(directory)
    data = random.Random(int(fields["attachment_seed"])).randbytes(int(fields["attachment_bytes"]))
    with open(out, "wb") as f:
        f.write(data)


def main(argv):
    what = argv[1] if len(argv) > 1 else ""
    if what == "send" and len(argv) == 8:
        send(int(argv[2]), argv[3], argv[4], int(argv[5]), int(argv[6]), float(argv[7]))
    elif what == "attachment" and len(argv) == 4:
        write_attachment(argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    run(main)
