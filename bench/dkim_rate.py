"""The DKIM rows of bench/run.sh (a benchmark, not a test), with dkimpy.

  python3 bench/dkim_rate.py rate KEY MESSAGE WARMUP MAX_COUNT SECONDS
      After WARMUP messages, neither timed nor counted, until MAX_COUNT
      messages are signed or SECONDS have passed: dkim.sign over the
      message of the file MESSAGE (read into memory once). Prints
      "impl=... messages=N seconds=S cpu=C" like send_rate.py.
  python3 bench/dkim_rate.py file KEY MESSAGE FILE_BYTES
      Reads the message of the file MESSAGE and signs it (dkimpy takes the
      message whole, in memory). Prints
      "impl=... bytes=FILE_BYTES seconds=S cpu=C peak_rss_kb=K".
  python3 bench/dkim_rate.py message OUT FILE_BYTES
      Writes to OUT the message the file rows sign: a few header fields,
      a text part and FILE_BYTES pseudo-random bytes as a base64
      attachment, CRLF line ends.

KEY is a PEM private key (RSA or Ed25519), for d=example.com, s=bench,
relaxed/relaxed. Errors go to stderr, with exit status 1. Needs dkimpy
(Debian's python3-dkim; python3-nacl for Ed25519).
"""

import base64
import importlib.metadata
import random
import resource
import sys
import time

import dkim

BOUNDARY = "bench-dkim-boundary"


# An Ed25519 key in PKCS#8 is 48 bytes of DER, its 32-byte seed last.
ED25519_PKCS8_BYTES = 48


def load_key(pem):
    """The key as dkim.sign takes it, and its algorithm: RSA keys as PEM,
    Ed25519 keys as their base64 seed."""
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    der = base64.b64decode(body)
    if len(der) == ED25519_PKCS8_BYTES:
        return base64.b64encode(der[-32:]), b"ed25519-sha256"
    return pem, b"rsa-sha256"


def sign(key, message):
    key, algorithm = key
    return dkim.sign(message, b"bench", b"example.com", key,
                     canonicalize=(b"relaxed", b"relaxed"), signature_algorithm=algorithm)


def impl():
    return "dkimpy_%s_(Python_%s)" % (importlib.metadata.version("dkimpy"), sys.version.split()[0])


def rate(key, message, warmup, max_count, seconds):
    for _ in range(warmup):
        sign(key, message)
    signed = 0
    start, start_cpu = time.perf_counter(), time.process_time()
    while True:
        sign(key, message)
        signed += 1
        elapsed = time.perf_counter() - start
        if signed >= max_count or elapsed >= seconds:
            break
    print("impl=%s messages=%d seconds=%.6f cpu=%.6f" % (
        impl(), signed, elapsed, time.process_time() - start_cpu))


def file(key, path, file_bytes):
    start, start_cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as f:
        sign(key, f.read())
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("impl=%s bytes=%d seconds=%.6f cpu=%.6f peak_rss_kb=%d" % (impl(), file_bytes, seconds, cpu, peak))


def message(out, file_bytes):
    rng = random.Random(17)
    with open(out, "wb") as f:
        f.write(("From: Bench <bench@example.com>\r\nTo: One <one@example.com>\r\n"
                 "Subject: a signed attachment\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
                 "Message-ID: <dkim-file@example.com>\r\nMIME-Version: 1.0\r\n"
                 'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n'
                 "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe file.\r\n"
                 "--%s\r\nContent-Type: application/octet-stream\r\n"
                 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="file.bin"\r\n\r\n'
                 % (BOUNDARY, BOUNDARY, BOUNDARY)).encode())
        left = file_bytes
        while left > 0:
            # 57 bytes make one 76-character base64 line.
            n = min(left, 57 * 4096)
            f.write(base64.encodebytes(rng.randbytes(n)).replace(b"\n", b"\r\n"))
            left -= n
        f.write(("--%s--\r\n" % BOUNDARY).encode())


def main(argv):
    try:
        if argv[1:2] == ["message"] and len(argv) == 4:
            return message(argv[2], int(argv[3]))
        with open(argv[2], "rb") as f:
            key = load_key(f.read())
        with open(argv[3], "rb") as f:
            data = f.read() if argv[1] == "rate" else None
        if argv[1] == "rate" and len(argv) == 7:
            return rate(key, data, int(argv[4]), int(argv[5]), float(argv[6]))
        if argv[1] == "file" and len(argv) == 5:
            return file(key, argv[3], int(argv[4]))
    except Exception as e:  # noqa: BLE001 - any failure is the client's error line
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        sys.exit(1)
    sys.stderr.write(__doc__)
    sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
