"""A fault-injecting SMTP server for the specs (see smtp_servers.lua).

Usage: scripted_server.py DIR (see server_process.py). Reads the script from
DIR/options.json, and a new one on each reset, and records every line
clients send in DIR/transcript.lua, those sent over TLS also in
DIR/tls_transcript.lua, and every completed transaction in DIR/received.lua
({helo =, mail_from =, rcpt_tos =, data =, tls =}, tls being true when the
transaction ran over TLS).

By default it runs a permissive ESMTP dialogue. The script's "steps" override
the reply at a step, named after the command verb ("EHLO", "MAIL", "RCPT",
...), or "greeting", "AUTH-USER", "AUTH-PASSWORD", "AUTH-TOKEN" and
"AUTH-CONTINUE" (AUTH continuation lines, below), and "END" (the reply to the
"." ending the data). An override holds any of: delay (seconds to wait
first), reply (text, "\n" between lines), raw (bytes sent as they are),
drip + interval (bytes sent one at a time, interval seconds apart, 0.1 by
default), endless + interval (bytes sent again and again, interval seconds
apart, 0 by default, until the client leaves: "250-more\r\n" makes a
multi-line reply that never ends, "x" a line that never ends), close (close
the connection after sending what was given, if anything), silent (never
answer again, but read and discard what the client sends), stall (after
sending what was given, if anything, neither read nor answer again, but
hold the connection open), rcpt_index (RCPT only: apply to the n-th RCPT of
the transaction only). Step "body" is the data phase itself, before any
line of it is read: a stall or close there leaves the client sending into a
server that does not read, or that has hung up.

AUTH: LOGIN (continuation steps AUTH-USER, AUTH-PASSWORD), PLAIN
(AUTH-PASSWORD) and XOAUTH2 (AUTH-TOKEN) succeed with any credentials; an
initial response on the AUTH line stands for the first step, so "AUTH XOAUTH2
<initial-response>" is answered at step "AUTH", by default with 235. Where
the final answer would come, a reply starting with 334 (an override, say the
XOAUTH2 error challenge "334 eyJzdGF0dXMiOiI0MDEifQ==" at "AUTH") asks for
one more line, which is answered at step "AUTH-CONTINUE", by default with
"535 5.7.8 Authentication credentials invalid". Other mechanisms get 504.

TLS: script option tls = {"cert": PEM path, "key": PEM path}. STARTTLS is
answered at step "STARTTLS", by default with "220 2.0.0 Ready to start TLS"
("454 4.7.0 TLS not available" without tls, "503 5.5.1 TLS already active"
over TLS). When what was sent starts with "220" and the override did not
end the connection (close, silent, stall), the connection is upgraded (the server does the
handshake) and the dialogue goes on over TLS from scratch, as RFC 3207 wants:
no HELO, no transaction, no AUTH in progress. Whatever the client sent after
the STARTTLS line before the handshake is recorded in the transcript and
discarded. A raw override can send more than the 220, e.g. "220 go\r\n250
injected\r\n": the extra bytes go out in plain text before the upgrade (the
STARTTLS response-injection shape). A failed handshake ends the connection.
The EHLO reply lists the script's "extensions" (put "STARTTLS" there to offer
it), and over TLS its "tls_extensions" if given, else "extensions".

With tls_mode "implicit" as well, the connection is TLS from the first byte:
the handshake comes before the greeting. Step "handshake" is the TLS
handshake itself (after STARTTLS's 220, or first with tls_mode "implicit"):
an override there answers the client's first record (its ClientHello) in
its place, and the connection then ends. It holds
any of delay, raw, drip, endless, silent, stall and close as above (raw
"garbage" stands for a server that does not speak TLS), or cut (true): the
first half of the server's real first flight (its ServerHello and what
follows), then close.

Strings from the script arrive from JSON with one code point per byte
(smtp_servers.lua escapes every byte), so they are encoded back as latin-1.
"""

import asyncio
import re
import ssl

from server_process import cuttable, serve


def latin1(text):
    return text.encode("latin-1")


# AUTH continuation steps for each mechanism, with the challenge that asks
# for each, when the client gave no initial response. An initial response
# stands for the first step.
AUTH_STEPS = {
    "LOGIN": [("AUTH-USER", "334 VXNlcm5hbWU6"),
              ("AUTH-PASSWORD", "334 UGFzc3dvcmQ6")],
    "PLAIN": [("AUTH-PASSWORD", "334 ")],
    "XOAUTH2": [("AUTH-TOKEN", "334 ")],
}
AUTH_OK = "235 2.7.0 Authentication successful"
# The answer to the line after a 334 where the final answer was due.
AUTH_CONTINUE = ("AUTH-CONTINUE", "535 5.7.8 Authentication credentials invalid")

# Seconds a STARTTLS handshake may take.
HANDSHAKE_TIMEOUT = 10

# Line length limit for the stream reader: large, so long message lines pass.
LINE_LIMIT = 1 << 24

# Bounds on the endless faults: how many times an endless override sends
# its bytes at most (a client gives up long before), and seconds a stall
# holds the connection (longer than the server lives).
ENDLESS_SENDS = 1000000
STALL = 600


class Connection:
    def __init__(self, script, records, reader, writer, tls_context):
        self.script = script
        self.records = records
        self.reader = reader
        self.writer = writer
        self.tls_context = tls_context  # None without the tls option
        self.tls = False  # whether the connection is TLS now
        self.helo = None
        # Continuation steps still to come, each (step, default answer).
        self.auth_steps = []
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpt_tos = []
        self.rcpt_count = 0

    async def readline(self):
        """The next line without its line end, recorded in the transcript;
        None at end of input."""
        line = await self.reader.readline()
        if not line:
            return None
        if line.endswith(b"\n"):
            line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
        self.records.add("transcript", line)
        if self.tls:
            self.records.add("tls_transcript", line)
        return line

    def override(self, step):
        override = self.script.get("steps", {}).get(step, {})
        index = override.get("rcpt_index")
        if index is not None and index != self.rcpt_count:
            return {}
        return override

    async def answer(self, step, default):
        """Answers at `step`, normally with `default`. Returns the bytes sent,
        or None when the connection is to end (closed, silent, stalled, or
        gone)."""
        override = self.override(step)
        await asyncio.sleep(self.script.get("delay", 0) + override.get("delay", 0))
        if override.get("silent"):
            while await self.readline() is not None:
                pass
            return None
        if "raw" in override:
            sent = latin1(override["raw"])
            self.writer.write(sent)
        elif "endless" in override:
            sent = latin1(override["endless"])
            for _ in range(ENDLESS_SENDS):
                self.writer.write(sent)
                await self.writer.drain()
                await asyncio.sleep(override.get("interval", 0))
            return None
        elif "drip" in override:
            sent = latin1(override["drip"])
            for i in range(len(sent)):
                self.writer.write(sent[i:i + 1])
                await self.writer.drain()
                await asyncio.sleep(override.get("interval", 0.1))
        else:
            text = override.get("reply", None if override.get("close") else default)
            sent = b"".join(latin1(line) + b"\r\n" for line in text.split("\n")) if text else b""
            self.writer.write(sent)
        await self.writer.drain()
        if override.get("stall"):
            await asyncio.sleep(STALL)
            return None
        return None if override.get("close") else sent

    async def run(self):
        if self.script.get("tls_mode") == "implicit" and not await self.handshake():
            return
        if await self.answer("greeting", "220 scripted ESMTP") is None:
            return
        while True:
            line = await self.readline()
            if line is None:
                return
            if self.auth_steps:
                if not await self.auth_continue(*self.auth_steps.pop(0)):
                    return
                continue
            verb, _, argument = line.decode("latin-1").partition(" ")
            verb = verb.upper()
            command = getattr(self, "command_" + verb, None)
            if command:
                if not await command(verb, argument):
                    return
            elif await self.answer(verb, "502 5.5.2 Error") is None:
                return

    # Each command_VERB answers and returns false when the connection ends.

    async def command_EHLO(self, verb, argument):
        self.helo = argument
        extensions = self.script.get("extensions", ["AUTH LOGIN PLAIN", "HELP"])
        if self.tls:
            extensions = self.script.get("tls_extensions", extensions)
        # list(): an empty Lua table arrives as {}
        lines = ["scripted"] + list(extensions)
        reply = "\n".join("250%s%s" % ("-" if i < len(lines) - 1 else " ", line)
                          for i, line in enumerate(lines))
        return await self.answer(verb, reply) is not None

    async def command_HELO(self, verb, argument):
        self.helo = argument
        return await self.answer(verb, "250 scripted") is not None

    async def command_AUTH(self, verb, argument):
        words = argument.split()
        mechanism = words[0].upper() if words else ""
        if mechanism not in AUTH_STEPS:
            return await self.answer(verb, "504 5.5.4 Unrecognized authentication type") is not None
        # (step, challenge asking for it) becomes (step, default answer):
        # the next step's challenge, or success after the last.
        steps = AUTH_STEPS[mechanism][len(words) - 1:]
        answers = [challenge for _, challenge in steps[1:]] + [AUTH_OK]
        self.auth_steps = [(step, answer) for (step, _), answer in zip(steps, answers)]
        return await self.auth_continue(verb, steps[0][1] if steps else AUTH_OK)

    async def auth_continue(self, step, default):
        """Answers at an AUTH step; a 334 where the final answer was due
        asks for one more line, answered at AUTH-CONTINUE."""
        final = not self.auth_steps
        sent = await self.answer(step, default)
        if sent is None:
            return False
        if not sent.startswith(b"334"):
            self.auth_steps = []
        elif final:
            self.auth_steps = [AUTH_CONTINUE]
        return True

    async def command_MAIL(self, verb, argument):
        sent = await self.answer(verb, "250 2.1.0 Ok")
        if sent is not None and sent.startswith(b"2"):
            self.reset()
            self.mail_from = address(argument)
        return sent is not None

    async def command_RCPT(self, verb, argument):
        self.rcpt_count += 1
        sent = await self.answer(verb, "250 2.1.5 Ok")
        if sent is not None and sent.startswith(b"2"):
            self.rcpt_tos.append(address(argument))
        return sent is not None

    async def command_DATA(self, verb, argument):
        sent = await self.answer(verb, "354 End data with <CR><LF>.<CR><LF>")
        if sent is None:
            return False
        if not sent.startswith(b"354"):
            return True
        # Only a scripted body step: answer() would add the script's delay.
        if self.override("body") and await self.answer("body", "") is None:
            return False
        lines = []
        while True:
            line = await self.readline()
            if line is None:
                return False
            if line == b".":
                break
            lines.append(line[1:] if line.startswith(b".") else line)
        sent = await self.answer("END", "250 2.0.0 Ok: queued")
        if sent is not None and sent.startswith(b"2"):
            self.records.add("received", {
                "helo": self.helo, "mail_from": self.mail_from,
                "rcpt_tos": self.rcpt_tos,
                "data": b"".join(line + b"\r\n" for line in lines),
                "tls": self.tls})
        self.reset()
        return sent is not None

    async def command_RSET(self, verb, argument):
        self.reset()
        return await self.answer(verb, "250 2.0.0 Ok") is not None

    async def command_NOOP(self, verb, argument):
        return await self.answer(verb, "250 2.0.0 Ok") is not None

    async def command_STARTTLS(self, verb, argument):
        if self.tls:
            return await self.answer(verb, "503 5.5.1 TLS already active") is not None
        if not self.tls_context:
            return await self.answer(verb, "454 4.7.0 TLS not available") is not None
        sent = await self.answer(verb, "220 2.0.0 Ready to start TLS")
        if sent is None:
            return False
        if not sent.startswith(b"220"):
            return True
        # Plain text the client sent after STARTTLS, before its handshake:
        # recorded, then discarded (RFC 3207, 4.2). StreamReader has no
        # public way to take what it holds without waiting for more.
        pending = bytes(self.reader._buffer)
        self.reader._buffer.clear()
        for line in pending.splitlines():
            self.records.add("transcript", line)
        if not await self.handshake():
            return False
        self.helo = None
        self.auth_steps = []
        self.reset()
        return True

    async def handshake(self):
        """The server's side of the TLS handshake, or the script's fault in
        its place; false when the connection is to end."""
        override = self.override("handshake")
        if override.get("cut"):
            flight = await self.first_flight()
            self.writer.write(flight[:len(flight) // 2])
            await self.writer.drain()
            return False
        if override:
            if not override.get("silent"):
                # Read first, as a server would: closing with the
                # ClientHello unread would reset the connection, and the
                # client could lose the answer before reading it.
                await self.client_hello()
            await self.answer("handshake", "")
            return False
        await self.writer.start_tls(self.tls_context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
        self.tls = True
        return True

    async def client_hello(self):
        """The client's first TLS record, its ClientHello, read whole."""
        header = await self.reader.readexactly(5)
        return header + await self.reader.readexactly(int.from_bytes(header[3:5], "big"))

    async def first_flight(self):
        """What the server would answer the client's first TLS record (its
        ClientHello) with: ServerHello and what follows it."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self.tls_context.wrap_bio(incoming, outgoing, server_side=True)
        incoming.write(await self.client_hello())
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass  # waiting for the client's next flight, as expected
        return outgoing.read()

    async def command_QUIT(self, verb, argument):
        await self.answer(verb, "221 2.0.0 Bye")
        return False


def address(argument):
    """The address in "FROM:<a@b> ..." or "TO:<a@b> ...", else the argument."""
    match = re.search(r"<([^>]*)>", argument)
    return match.group(1) if match else argument


async def start(script, records, connections):
    # What new connections follow; a reset replaces both.
    current = {}

    def configure(script):
        tls_context = None
        if script.get("tls"):
            tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls_context.load_cert_chain(script["tls"]["cert"], script["tls"]["key"])
        current.update(script=script, tls_context=tls_context)

    configure(script)

    async def handle(reader, writer):
        try:
            connection = Connection(current["script"], records, reader, writer,
                                    current["tls_context"])
            await connection.run()
        except (ConnectionError, ValueError, ssl.SSLError, asyncio.TimeoutError,
                asyncio.IncompleteReadError):
            pass  # client gone, a line beyond LINE_LIMIT, or a failed handshake

    server = await asyncio.start_server(cuttable(handle, connections), "127.0.0.1", 0,
                                        limit=LINE_LIMIT)
    return server, configure


if __name__ == "__main__":
    serve(start)
