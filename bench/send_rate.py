"""Helpers for bench/send_rate.sh (a benchmark, not a test).

  python3 bench/send_rate.py smtplib PORT MESSAGE_FILE MAX_COUNT SECONDS
      Sends MESSAGE_FILE to two recipients on 127.0.0.1:PORT with smtplib,
      one connection per message, until MAX_COUNT messages are sent or
      SECONDS have passed; prints "impl=... messages=N seconds=S".
  python3 bench/send_rate.py time COUNT COMMAND [ARG...]
      Runs COMMAND (smtp-source, which sends COUNT messages) and prints
      "impl=... messages=COUNT seconds=S", timed with a monotonic clock.
  python3 bench/send_rate.py free-port
      Prints a loopback TCP port that was free a moment ago.
  python3 bench/send_rate.py wait-port PORT SECONDS
      Waits (at most SECONDS) until 127.0.0.1:PORT accepts connections.

Errors go to stderr, with exit status 1. Standard library only.
"""

import platform
import smtplib
import socket
import subprocess
import sys
import time

FROM = "<bench@example.com>"
RCPT = ["<one@example.com>", "<two@example.com>"]


def send_smtplib(port, path, max_count, seconds):
    with open(path, "rb") as f:
        message = f.read()
    sent = 0
    start = time.monotonic()
    while True:
        # local_hostname: smtplib would otherwise look up this host's FQDN
        # (DNS) for EHLO on every connection; the other clients say
        # "localhost" too.
        with smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=60) as s:
            refused = s.sendmail(FROM, RCPT, message)
        if refused:
            raise RuntimeError("recipients refused: %r" % (refused,))
        sent += 1
        elapsed = time.monotonic() - start
        if sent >= max_count or elapsed >= seconds:
            break
    impl = "Python_%s_smtplib" % platform.python_version()
    print("impl=%s messages=%d seconds=%.6f" % (impl, sent, elapsed))


def time_command(count, argv):
    start = time.monotonic()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError("%s exited with status %d" % (argv[0], done.returncode))
    print("impl=smtp-source messages=%d seconds=%.6f" % (count, elapsed))


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
    if what == "smtplib" and len(argv) == 6:
        send_smtplib(int(argv[2]), argv[3], int(argv[4]), float(argv[5]))
    elif what == "time" and len(argv) > 3:
        time_command(int(argv[2]), argv[3:])
    elif what == "free-port" and len(argv) == 2:
        free_port()
    elif what == "wait-port" and len(argv) == 4:
        wait_port(int(argv[2]), float(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # one line for the table, no traceback
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        sys.exit(1)
