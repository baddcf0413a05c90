"""A TLS-from-the-first-byte server that records the name each client asks
for in its handshake (SNI), for the TLS specs (servers.sni in smtp_servers.lua).

Usage: /usr/bin/python3 sni_server.py DIR (see server_process.py). Reads
{"cert": PEM path, "key": PEM path} from DIR/options.json (a reset keeps
them), and records in DIR/names.lua, as a Lua string, the server name of
every handshake ("" when the client sent none). After the handshake it greets
with 220, answers EHLO with 250, QUIT with 221 (then closes), and anything
else with 502.
"""

import asyncio
import ssl

from server_process import cuttable, serve


async def start(options, records, connections):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(options["cert"], options["key"])
    # Called during the handshake with None when the client sent no name;
    # returning None lets the handshake go on.
    context.sni_callback = lambda ssl_object, name, ctx: records.add("names", name or "")

    async def handle(reader, writer):
        try:
            writer.write(b"220 sni ESMTP\r\n")
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line.split(b" ")[0].strip().upper()
                if verb == b"QUIT":
                    writer.write(b"221 2.0.0 Bye\r\n")
                    await writer.drain()
                    break
                writer.write(b"250 sni\r\n" if verb == b"EHLO" else b"502 5.5.2 Error\r\n")
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass  # client gone, or a failed handshake

    server = await asyncio.start_server(cuttable(handle, connections), "127.0.0.1", 0, ssl=context)
    return server, None


if __name__ == "__main__":
    serve(start)
