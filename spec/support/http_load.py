"""HTTP load on loopback for the nginx specs and the nginx bench row.

Usage: /usr/bin/python3 http_load.py PORT [--mail PATH --clients N --each K]
                                          [--ping PATH --interval S] [--seconds S]

With --mail, N clients at once each send K GETs of PATH, one after another,
each on a connection of its own. With --ping, one more client sends GETs of
PATH every S seconds (each waits for the last answer): while the mail
clients run, or, without --mail, for --seconds. The ping client is a
process of its own, so that its latencies are nginx's, not time spent
waiting behind the mail clients here. Every request has a 30 s limit.

Prints one Lua chunk: return { mail = { {status=, body=, seconds=}, ... },
ping = { seconds, ... }, seconds = the mail clients' wall time }, where a
request that failed has status = 0 and body = the error.
"""

import argparse
import asyncio
import multiprocessing
import time

LIMIT = 30  # seconds, for any one request


async def get(port, path):
    """One GET on a new connection: (status, body, seconds)."""
    began = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), LIMIT)
        try:
            writer.write(("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
            response = await asyncio.wait_for(reader.read(), LIMIT)
        finally:
            writer.close()
        head, _, body = response.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, body.decode("utf-8", "replace"), time.monotonic() - began
    except (OSError, asyncio.TimeoutError, ValueError, IndexError) as error:
        return 0, "%s: %s" % (type(error).__name__, error), time.monotonic() - began


async def mail_client(port, path, each, results):
    for _ in range(each):
        results.append(await get(port, path))


async def ping_client(port, path, interval, stop):
    latencies = []
    while not stop.is_set():
        status, _, seconds = await get(port, path)
        latencies.append(seconds if status == 200 else None)
        await asyncio.sleep(interval)
    return latencies


def pinger(port, path, interval, stop, results):
    """The ping client's process: its latencies go to `results`."""
    results.send(asyncio.run(ping_client(port, path, interval, stop)))


def lua_string(text):
    return "'" + "".join(
        c if c.isalnum() or c in " .,:;-_/()<>@=+" else "\\%03d" % b
        for c, b in ((chr(b), b) for b in text.encode("utf-8"))) + "'"


async def load(options, results):
    """Runs the mail clients, or waits --seconds: the wall time."""
    began = time.monotonic()
    if options.mail:
        await asyncio.gather(*(mail_client(options.port, options.mail, options.each, results)
                               for _ in range(options.clients)))
    else:
        await asyncio.sleep(options.seconds)
    return time.monotonic() - began


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--mail")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--each", type=int, default=1)
    parser.add_argument("--ping")
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--seconds", type=float, default=1)
    options = parser.parse_args()

    results, latencies, pinging = [], [], None
    if options.ping:
        stop = multiprocessing.Event()
        receiving, sending = multiprocessing.Pipe(duplex=False)
        pinging = multiprocessing.Process(target=pinger, args=(
            options.port, options.ping, options.interval, stop, sending))
        pinging.start()
    seconds = asyncio.run(load(options, results))
    if pinging:
        stop.set()
        latencies = receiving.recv()
        pinging.join()

    mail = ",".join("{status=%d,body=%s,seconds=%.6f}" % (status, lua_string(body), spent)
                    for status, body, spent in results)
    ping = ",".join("%.6f" % latency if latency is not None else "false" for latency in latencies)
    print("return {mail={%s},ping={%s},seconds=%.6f}" % (mail, ping, seconds))


if __name__ == "__main__":
    main()
