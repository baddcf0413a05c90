"""Debian's aiosmtpd as a test server for the specs (see smtp_servers.lua).

Usage: /usr/bin/python3 aiosmtpd_server.py DIR. Reads options from
DIR/options.json, listens on a free 127.0.0.1 port, writes the port to
DIR/port once it accepts connections, and appends each message it accepts to
DIR/received.lua as a Lua table.

Options: auth (AUTH LOGIN and PLAIN without TLS, for alice/secret), delay
(seconds to wait before answering EHLO, MAIL, RCPT and DATA), reject_rcpt
(an address whose RCPT is refused with 550), silent (accept connections,
never send anything).
"""

import asyncio
import os

from aiosmtpd.smtp import SMTP, AuthResult

from scripted_server import Records, serve


class RecordingSMTP(SMTP):
    """Keeps the MAIL argument as sent, since aiosmtpd upper-cases the
    parameters it parses."""

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
        self.records.add({
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "mail_argument": envelope.mail_argument,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "data": envelope.original_content,
            "auth": session.auth_data,  # set by authenticate() below
        })
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    if auth_data.login == b"alice" and auth_data.password == b"secret":
        return AuthResult(success=True, auth_data={"mechanism": mechanism, "login": "alice"})
    # handled=False makes aiosmtpd send its 535; with handled=True (the
    # default) it would send nothing and the client would wait forever.
    return AuthResult(success=False, handled=False)


async def start(options, directory):
    if options.get("silent"):
        async def swallow(reader, writer):
            while await reader.read(65536):
                pass
            writer.close()
        return await asyncio.start_server(swallow, "127.0.0.1", 0)

    handler = Handler(options, Records(os.path.join(directory, "received.lua")))
    auth = {"authenticator": authenticate, "auth_require_tls": False} if options.get("auth") else {}
    # A fixed hostname: the default, socket.getfqdn(), may wait on DNS.
    return await asyncio.get_running_loop().create_server(
        lambda: RecordingSMTP(handler, hostname="aiosmtpd", **auth), "127.0.0.1", 0)


if __name__ == "__main__":
    serve(start)
