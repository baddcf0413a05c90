"""Debian's aiosmtpd as a test server for the specs (see smtp_servers.lua).

Usage: /usr/bin/python3 aiosmtpd_server.py DIR (see server_process.py). Reads
options from DIR/options.json, and records each message it accepts in
DIR/received.lua. A reset keeps the options.

Options: auth (AUTH LOGIN and PLAIN for alice/secret; without TLS it is
usable on the plain connection, with TLS only once the connection is TLS),
data_size_limit (the largest message in bytes, aiosmtpd's default 32 MiB
when not given), delay (seconds to wait before answering EHLO, MAIL, RCPT and DATA),
reject_rcpt (an address whose RCPT is refused with 550), reject ({address =
reply}: each address's RCPT is refused with its reply line, e.g. "550 5.1.1
no such user"; an address as aiosmtpd reads it, without angle brackets,
which a key may have), advertise and hide (lists of the extensions SMTPUTF8,
8BITMIME, SIZE, DSN, PIPELINING and ENHANCEDSTATUSCODES to offer or not; see
below), silent (accept
connections, never send anything), tls ({"cert": PEM path, "key": PEM path},
the server's certificate, leaf or leaf plus chain, and key) with tls_mode:
"starttls" (the default: STARTTLS is offered in the EHLO reply and upgrades
the connection; it is not required) or "implicit" (the listening socket
speaks TLS from the first byte, as on port 465; no STARTTLS), port (the port
to listen on, such as 465; by default one the system picks).

Each record in received.lua has: helo, mail_from, mail_argument (the MAIL
argument as sent), mail_options (MAIL's parameters as sent, in their case and
order: {"SIZE=12", "BODY=8BITMIME"}), rcpt_tos, rcpt_options (each accepted
recipient's parameters as sent, in rcpt_tos's order: {{"NOTIFY=NEVER"}, {}}),
data (the message bytes as received, dot-unstuffed), auth ({mechanism=,
login=} or nil) and tls (true when that transaction ran over TLS, after
STARTTLS or on an implicit-TLS connection).

Extensions: aiosmtpd offers SIZE (its data_size_limit) and 8BITMIME, and
none of the others. advertise adds one to the EHLO reply, hide takes one out;
naming one in both, or another name, is an error. Advertised, SMTPUTF8 is
aiosmtpd's own (UTF-8 in commands, the SMTPUTF8 parameter); DSN makes MAIL
take RET and ENVID and RCPT take NOTIFY and ORCPT, each checked against RFC
3461's syntax (501 when wrong) and then left out of what aiosmtpd sees;
PIPELINING and ENHANCEDSTATUSCODES are only words in the reply, as aiosmtpd
reads pipelined commands in turn anyway. Hidden, SIZE and 8BITMIME make MAIL
refuse their parameters (SIZE, BODY) with 555, as aiosmtpd otherwise takes
them whatever it offered.

aiosmtpd knows a connection is TLS only after its own STARTTLS: on an
implicit-TLS socket it would leave session.ssl unset, never advertise AUTH
and answer AUTH with 538 when auth_require_tls is on. RecordingSMTP marks
such connections as TLS when they are made, so AUTH works there.
"""

import asyncio
import re
import ssl

from aiosmtpd.smtp import SMTP, AuthResult

from server_process import cuttable, serve


EXTENSIONS = {"SMTPUTF8", "8BITMIME", "SIZE", "DSN", "PIPELINING", "ENHANCEDSTATUSCODES"}
# The parameters each hidden extension's MAIL must not carry.
HIDDEN_PARAMETERS = {"SIZE": "SIZE", "8BITMIME": "BODY"}
# RFC 3461's DSN parameters and the syntax of their values (xtext is §4's).
XTEXT = r"(?:[!-*,-<>-~]|\+[0-9A-F]{2})+"
DSN_PARAMETERS = {
    "MAIL": {"RET": r"(?i:FULL|HDRS)", "ENVID": XTEXT},
    "RCPT": {
        "NOTIFY": r"(?i:NEVER|(?:SUCCESS|FAILURE|DELAY)(?:,(?:SUCCESS|FAILURE|DELAY))*)",
        "ORCPT": r"[A-Za-z0-9-]+;" + XTEXT,
    },
}


def text(option):
    """An option string as the script's bytes: smtp_servers.lua sends each
    byte beyond ASCII as one code point, and aiosmtpd reads commands as
    UTF-8."""
    return option.encode("latin-1").decode("utf-8", "surrogateescape")


class Extensions:
    """What advertise and hide make of aiosmtpd's EHLO reply."""

    def __init__(self, options):
        self.advertised = set(options.get("advertise", []))
        self.hidden = set(options.get("hide", []))
        unknown = (self.advertised | self.hidden) - EXTENSIONS
        if unknown:
            raise ValueError("unknown extensions %r, not among %r" % (sorted(unknown), sorted(EXTENSIONS)))
        if self.advertised & self.hidden:
            raise ValueError("both advertised and hidden: %r" % sorted(self.advertised & self.hidden))

    def ehlo(self, responses):
        """The reply's lines without the hidden keywords, with the advertised
        ones aiosmtpd lacks before its last line."""
        kept = [line for line in responses[:-1] if line[4:].split(" ")[0].upper() not in self.hidden]
        present = {line[4:].split(" ")[0].upper() for line in responses}
        added = ["250-" + keyword for keyword in sorted(self.advertised - present)]
        return kept + added + responses[-1:]

    def check(self, verb, parameters):
        """The reply refusing the parameters of MAIL or RCPT (as sent), or
        None; and those to leave for aiosmtpd, without DSN's."""
        dsn = DSN_PARAMETERS[verb] if "DSN" in self.advertised else {}
        hidden = {HIDDEN_PARAMETERS[name] for name in self.hidden & HIDDEN_PARAMETERS.keys()}
        kept = []
        for parameter in parameters:
            keyword, _, value = parameter.partition("=")
            keyword = keyword.upper()
            if keyword in hidden:
                return "555 5.5.4 %s parameter not supported" % keyword, parameters
            if keyword not in dsn:
                kept.append(parameter)
            elif not re.fullmatch(dsn[keyword], value):
                return "501 5.5.4 Invalid %s parameter" % keyword, parameters
        return None, kept


class RecordingSMTP(SMTP):
    """Keeps the MAIL argument and the MAIL and RCPT parameters as sent,
    since aiosmtpd upper-cases the parameters it parses; applies advertise
    and hide to them; treats an implicit-TLS connection as TLS; and tells
    `connections` of the connection."""

    def __init__(self, connections, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections = connections
        self.connection = None

    def connection_made(self, transport):
        super().connection_made(transport)
        # STARTTLS calls this again, with the TLS transport, for the same
        # connection, which ends once.
        if self.connection is None:
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
        await self.with_parameters("MAIL", "FROM:", arg, super().smtp_MAIL)

    async def smtp_RCPT(self, arg):
        await self.with_parameters("RCPT", "TO:", arg, super().smtp_RCPT)

    async def with_parameters(self, verb, keyword, arg, command):
        """Keeps the parameters as sent in self.parameters for the handler,
        refuses those advertise and hide rule out, and runs aiosmtpd's
        `command` on the rest; aiosmtpd upper-cases them, and answers
        arguments it cannot read itself."""
        rest = self._strip_command_keyword(keyword, arg or "")
        address, parameters = self._getaddr(rest) if rest else (None, None)
        if address is None:
            return await command(arg)
        self.parameters = parameters.split()
        if not self.session.extended_smtp:  # after HELO: aiosmtpd refuses any
            return await command(arg)
        refusal, kept = self.event_handler.extensions.check(verb, self.parameters)
        if refusal:
            return await self.push(refusal)
        head = arg[:len(arg) - len(parameters)].rstrip()
        await command(" ".join([head] + kept))


class Handler:
    # Defining a hook replaces aiosmtpd's default action for that command,
    # so each hook does what aiosmtpd would have done, after the delay.

    def __init__(self, options, records):
        self.delay = options.get("delay", 0)
        self.reject_rcpt = options.get("reject_rcpt")
        self.reject = {text(address).strip("<>"): reply
                       for address, reply in options.get("reject", {}).items()}
        self.extensions = Extensions(options)
        self.records = records

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        await asyncio.sleep(self.delay)
        session.host_name = hostname
        if "DSN" in self.extensions.advertised:
            # RFC 3461 §5: room for ENVID on MAIL, NOTIFY and ORCPT on RCPT,
            # beside aiosmtpd's own for SIZE and SMTPUTF8.
            server.command_size_limits["MAIL"] += 110
            server.command_size_limits["RCPT"] += 540
        return self.extensions.ehlo(responses)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(server.parameters)
        envelope.mail_argument = server.mail_argument
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.delay)
        if address == self.reject_rcpt:
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(server.parameters)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.records.add("received", {
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "mail_argument": envelope.mail_argument,
            "mail_options": envelope.mail_options,
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
    if "SMTPUTF8" in handler.extensions.advertised:
        arguments.update(enable_SMTPUTF8=True)
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
        "127.0.0.1", options.get("port", 0), ssl=context if tls and mode == "implicit" else None)
    return server, None


if __name__ == "__main__":
    serve(start)
