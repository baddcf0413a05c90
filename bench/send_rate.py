"""Helpers for bench/run.sh (a benchmark, not a test).

  python3 bench/send_rate.py smtplib PORT MESSAGE_FILE MAX_COUNT SECONDS [reuse]
      Sends MESSAGE_FILE to two recipients on 127.0.0.1:PORT with smtplib
      until MAX_COUNT messages are sent or SECONDS have passed; prints
      "impl=... messages=N seconds=S cpu=C" (C: this process's CPU seconds).
      One connection per message, or with "reuse" one SMTP object whose
      sendmail is called again and again.
  python3 bench/send_rate.py time COUNT COMMAND [ARG...]
      Runs COMMAND (smtp-source, which sends COUNT messages) and prints
      "impl=smtp-source messages=COUNT seconds=S cpu=C", timed with a
      monotonic clock; C is the command's own CPU seconds (getrusage).
  python3 bench/send_rate.py raw PORT FILE_BYTES
      smtp-sink's ceiling for the attachment: one message whose body is as
      many 76-character base64 lines as base64 makes of FILE_BYTES bytes,
      written from memory in 1 MiB writes (smtplib for the commands, the
      socket itself for the data); prints "impl=raw_writes bytes=FILE_BYTES
      seconds=S cpu=C".
  python3 bench/send_rate.py free-port
      Prints a loopback TCP port that was free a moment ago.
  python3 bench/send_rate.py wait-port PORT SECONDS
      Waits (at most SECONDS) until 127.0.0.1:PORT accepts connections.

Errors go to stderr, with exit status 1. Standard library only.
"""

import platform
import resource
import smtplib
import socket
import subprocess
import sys
import time

FROM = "<bench@example.com>"
RCPT = ["<one@example.com>", "<two@example.com>"]


def connect(port):
    # local_hostname: smtplib would otherwise look up this host's FQDN (DNS)
    # for EHLO on every connection; the other clients say "localhost" too.
    return smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=60)


def sendmail(s, message):
    refused = s.sendmail(FROM, RCPT, message)
    if refused:
        raise RuntimeError("recipients refused: %r" % (refused,))


def send_smtplib(port, path, max_count, seconds, reuse):
    with open(path, "rb") as f:
        message = f.read()
    sent = 0
    start, start_cpu = time.monotonic(), time.process_time()
    session = connect(port) if reuse else None
    while True:
        if reuse:
            sendmail(session, message)
        else:
            with connect(port) as s:
                sendmail(s, message)
        sent += 1
        if sent >= max_count or time.monotonic() - start >= seconds:
            break
    if reuse:
        session.quit()
    elapsed = time.monotonic() - start
    cpu = time.process_time() - start_cpu
    impl = "Python_%s_smtplib" % platform.python_version()
    print("impl=%s messages=%d seconds=%.6f cpu=%.6f" % (impl, sent, elapsed, cpu))


def time_command(count, argv):
    start = time.monotonic()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError("%s exited with status %d" % (argv[0], done.returncode))
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("impl=smtp-source messages=%d seconds=%.6f cpu=%.6f"
          % (count, elapsed, child.ru_utime + child.ru_stime))


def send_raw(port, file_bytes):
    # base64 makes 4 characters of every 3 bytes (the last group padded),
    # mime.wrap() lines of 76 characters, each ended by CRLF.
    chars = 4 * ((file_bytes + 2) // 3)
    full_lines, rest = divmod(chars, 76)
    line = b"QUJD" * 19 + b"\r\n"
    block = line * (1048576 // len(line))
    block_lines = len(block) // len(line)
    start, start_cpu = time.monotonic(), time.process_time()
    with connect(port) as s:
        s.ehlo()
        for command, arg in [(s.mail, FROM)] + [(s.rcpt, r) for r in RCPT]:
            code, reply = command(arg)
            if code != 250:
                raise RuntimeError("%d %s" % (code, reply))
        code, reply = s.docmd("DATA")
        if code != 354:
            raise RuntimeError("%d %s" % (code, reply))
        s.sock.sendall(b"Subject: raw\r\nContent-Transfer-Encoding: BASE64\r\n\r\n")
        left = full_lines
        while left >= block_lines:
            s.sock.sendall(block)
            left -= block_lines
        s.sock.sendall(line * left + (b"A" * rest + b"\r\n" if rest else b"") + b".\r\n")
        code, reply = s.getreply()
        if code != 250:
            raise RuntimeError("%d %s" % (code, reply))
        s.quit()
    elapsed = time.monotonic() - start
    cpu = time.process_time() - start_cpu
    print("impl=raw_writes bytes=%d seconds=%.6f cpu=%.6f" % (file_bytes, elapsed, cpu))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def wait_port(port, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError as e:
            if time.monotonic() >= deadline:
                raise RuntimeError("nothing accepts connections on 127.0.0.1:%d: %s" % (port, e))
            time.sleep(0.05)


def main(argv):
    what = argv[1] if len(argv) > 1 else ""
    if what == "smtplib" and len(argv) in (6, 7) and argv[6:] in ([], ["reuse"]):
        send_smtplib(int(argv[2]), argv[3], int(argv[4]), float(argv[5]), len(argv) == 7)
    elif what == "time" and len(argv) > 3:
        time_command(int(argv[2]), argv[3:])
    elif what == "raw" and len(argv) == 4:
        send_raw(int(argv[2]), int(argv[3]))
    elif what == "free-port" and len(argv) == 2:
        free_port()
    elif what == "wait-port" and len(argv) == 4:
        wait_port(int(argv[2]), float(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


def run(main):
    """Exits with main(sys.argv)'s status; an error is one line on stderr
    (for the report's table, no traceback) and status 1."""
    try:
        sys.exit(main(sys.argv))
    except Exception as e:
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        sys.exit(1)


if __name__ == "__main__":
    run(main)
