"""What the spec servers share (aiosmtpd_server.py, scripted_server.py,
sni_server.py): options, record files, and a reset that lets smtp_servers.lua
hand one process from test to test.

A server runs as `/usr/bin/python3 SERVER.py DIR`. It reads its options from
DIR/options.json, listens on a free 127.0.0.1 port and, once it accepts
connections, writes "PORT PID" to DIR/port. It records what it sees as Lua
values in DIR/NAME.lua files (Records), connections.lua among them:
"opened" for each connection accepted, "ended" when it ends.

On SIGHUP the server resets for a new test: it cuts every open connection
(aborts it and cancels its task, so nothing that connection does is recorded
later), empties every record file, reads DIR/options.json again and takes
the new options where the server can (the scripted server's script), and
then writes the number of resets so far to DIR/generation.
"""

import asyncio
import json
import os
import signal
import sys


def lua_value(value):
    """Value as a Lua literal; strings and bytes become "\\ddd"-escaped."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytes, bytearray)):
        return '"' + "".join(
            chr(b) if 32 <= b < 127 and b not in b'"\\' else "\\%03d" % b
            for b in value) + '"'
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(lua_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join("[%s]=%s" % (lua_value(k), lua_value(v))
                              for k, v in value.items()) + "}"
    raise TypeError("no Lua literal for %r" % (value,))


class Records:
    """The record files: DIR/NAME.lua is append-only, one Lua value a line,
    each followed by ",", so that Lua wraps it in "return {...}", using only
    complete lines."""

    def __init__(self, directory):
        self.directory = directory
        self.files = {}

    def add(self, name, value):
        if name not in self.files:
            self.files[name] = open(os.path.join(self.directory, name + ".lua"), "a")
        self.files[name].write(lua_value(value) + ",\n")
        self.files[name].flush()

    def clear(self):
        for file in self.files.values():
            file.seek(0)
            file.truncate()


class Connections:
    """The connections open now, each with a function that cuts it."""

    def __init__(self, records):
        self.records = records
        self.cuts = {}

    def opened(self, cut):
        """Records a new connection; returns the key that ended() takes."""
        key = object()
        self.cuts[key] = cut
        self.records.add("connections", "opened")
        return key

    def ended(self, key):
        # A connection cut by a reset ends in no generation's record.
        if self.cuts.pop(key, None) is not None:
            self.records.add("connections", "ended")

    def cut(self):
        cuts, self.cuts = self.cuts, {}
        for cut in cuts.values():
            cut()


def cuttable(handle, connections):
    """asyncio.start_server's callback around `handle(reader, writer)`: the
    connection is recorded in `connections`, and closed when handle returns."""
    async def callback(reader, writer):
        task = asyncio.current_task()

        def cut():
            writer.transport.abort()
            task.cancel()

        key = connections.opened(cut)
        try:
            await handle(reader, writer)
        finally:
            connections.ended(key)
            writer.close()
    return callback


def announce(directory, name, text):
    """Writes DIR/name, then renames it into place, so that the Lua side
    never reads half of it."""
    temporary = os.path.join(directory, name + ".tmp")
    with open(temporary, "w") as f:
        f.write(text + "\n")
    os.rename(temporary, os.path.join(directory, name))


def serve(start):
    """Runs `await start(options, records, connections)`, which returns a
    listening asyncio server and a function that takes new options on a
    reset (None for a server whose options never change: smtp_servers.lua
    reuses it with the same options only), and serves until killed."""
    directory = sys.argv[1]

    def options():
        with open(os.path.join(directory, "options.json")) as f:
            return json.load(f)

    async def main():
        records = Records(directory)
        connections = Connections(records)
        server, configure = await start(options(), records, connections)
        generation = 0

        def reset():
            nonlocal generation
            connections.cut()
            records.clear()
            if configure:
                configure(options())
            generation += 1
            announce(directory, "generation", str(generation))

        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reset)
        port = server.sockets[0].getsockname()[1]
        announce(directory, "port", "%d %d" % (port, os.getpid()))
        await server.serve_forever()

    asyncio.run(main())
