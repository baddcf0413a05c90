"""Debian's aiosmtpd as a test server for the specs (see smtp_servers.lua).

Usage: /usr/bin/python3 aiosmtpd_server.py DIR (see server_process.py). Reads
options from DIR/options.json, and records each message it accepts in
DIR/received.lua. A reset keeps the options.

Options: auth (AUTH LOGIN and PLAIN for alice/secret; without TLS it is
usable on the plain connection, with TLS only once the connection is TLS),
data_size_limit (the largest message in bytes, aiosmtpd's default 32 MiB
when not given), delay (seconds to wait before answering EHLO, MAIL, RCPT and DATA),
reject_rcpt (an address whose RCPT is refused with 550), silent (accept
connections, never send anything), tls ({"cert": PEM path, "key": PEM path},
the server's certificate, leaf or leaf plus chain, and key) with tls_mode:
"starttls" (the default: STARTTLS is offered in the EHLO reply and upgrades
the connection; it is not required) or "implicit" (the listening socket
speaks TLS from the first byte, as on port 465; no STARTTLS).

Each record in received.lua has: helo, mail_from, mail_argument (the MAIL
argument as sent), rcpt_tos, rcpt_options, data (the message bytes as
received, dot-unstuffed), auth ({mechanism=, login=} or nil) and tls (true
when that transaction ran over TLS, after STARTTLS or on an implicit-TLS
connection).

aiosmtpd knows a connection is TLS only after its own STARTTLS: on an
implicit-TLS socket it would leave session.ssl unset, never advertise AUTH
and answer AUTH with 538 when auth_require_tls is on. RecordingSMTP marks
such connections as TLS when they are made, so AUTH works there.
"""

import asyncio
import ssl

from aiosmtpd.smtp import SMTP, AuthResult

from server_process import cuttable, serve


class RecordingSMTP(SMTP):
    """Keeps the MAIL argument as sent, since aiosmtpd upper-cases the
    parameters it parses, treats an implicit-TLS connection as TLS, and
    tells `connections` of the connection."""

    def __init__(self, connections, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections = connections

    def connection_made(self, transport):
        super().connection_made(transport)
        self.connection = self.connections.opened(self.cut)
        # A TLS transport before any STARTTLS (after one, _original_transport
        # is set) means the listening socket is TLS: record it as aiosmtpd's
        # STARTTLS would. aiosmtpd only tests _tls_protocol for truth (AUTH,
        # the EHLO reply, require_starttls), and reads its _extra only on the
        # STARTTLS path, so the TLS transport stands in for it.
        if (self._original_transport is None
                and transport.get_extra_info("ssl_object") is not None):
            self._tls_protocol = transport
            self.session.ssl = {
                name: transport.get_extra_info(name)
                for name in ("sslcontext", "ssl_object", "peercert", "cipher", "compression")}

    def connection_lost(self, error):
        super().connection_lost(error)
        self.connections.ended(self.connection)

    def cut(self):
        # After STARTTLS the socket's own transport is the original one.
        (self._original_transport or self.transport).abort()
        self._handler_coroutine.cancel()

    async def smtp_MAIL(self, arg):
        self.mail_argument = arg
        await super().smtp_MAIL(arg)


class Handler:
    # Defining a hook replaces aiosmtpd's default action for that command,
    # so each hook does what aiosmtpd would have done, after the delay.

    def __init__(self, options, records):
        self.delay = options.get("delay", 0)
        self.reject_rcpt = options.get("reject_rcpt")
        self.records = records

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        await asyncio.sleep(self.delay)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.mail_argument = server.mail_argument
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.delay)
        if address == self.reject_rcpt:
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.records.add("received", {
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "mail_argument": envelope.mail_argument,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "data": envelope.original_content,
            "auth": session.auth_data,  # set by authenticate() below
            "tls": session.ssl is not None,
        })
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    if auth_data.login == b"alice" and auth_data.password == b"secret":
        return AuthResult(success=True, auth_data={"mechanism": mechanism, "login": "alice"})
    # handled=False makes aiosmtpd send its 535; with handled=True (the
    # default) it would send nothing and the client would wait forever.
    return AuthResult(success=False, handled=False)


async def start(options, records, connections):
    if options.get("silent"):
        async def swallow(reader, writer):
            while await reader.read(65536):
                pass
        return await asyncio.start_server(cuttable(swallow, connections), "127.0.0.1", 0), None

    handler = Handler(options, records)
    tls = options.get("tls")
    mode = options.get("tls_mode", "starttls")
    if mode not in ("starttls", "implicit"):
        raise ValueError("tls_mode must be \"starttls\" or \"implicit\", not %r" % (mode,))
    if "tls_mode" in options and not tls:
        raise ValueError("tls_mode needs tls = {cert =, key =}")
    arguments = {}
    if "data_size_limit" in options:
        arguments.update(data_size_limit=options["data_size_limit"])
    if options.get("auth"):
        # With TLS, AUTH only once the connection is TLS.
        arguments.update(authenticator=authenticate, auth_require_tls=bool(tls))
    context = None
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls["cert"], tls["key"])
        if mode == "starttls":
            arguments.update(tls_context=context, require_starttls=False)
    # A fixed hostname: the default, socket.getfqdn(), may wait on DNS.
    server = await asyncio.get_running_loop().create_server(
        lambda: RecordingSMTP(connections, handler, hostname="aiosmtpd", **arguments),
        "127.0.0.1", 0, ssl=context if tls and mode == "implicit" else None)
    return server, None


if __name__ == "__main__":
    serve(start)
