#!/bin/sh
# make demo: the manual's attachment example (examples/manual_attachment.lua),
# unmodified, and a mail made by smtp.compose (examples/compose.lua: UTF-8
# subject and names, text and HTML, an inline image, an attachment), sent
# with our smtp.send to a real SMTP server, aiosmtpd, on a free loopback
# port; then what the server received.
#
#   sh demo/send_example.sh lua5.4 [BUILD_DIR]    (from the project root,
#                                                 after make build LUA=lua5.4;
#                                                 BUILD_DIR: build/lua5.4)
#
# Needs Debian's python3-aiosmtpd (make deps): /usr/bin/python3, since a
# python3 first on PATH (pyenv) may not have it.

LUA=${1:-lua5.4}
BUILD=${2:-build/$LUA}
PY=/usr/bin/python3

[ -f examples/manual_attachment.lua ] || { echo "run me from the project root" >&2; exit 1; }
[ -d "$BUILD" ] || { echo "$BUILD is missing: make build LUA=$LUA" >&2; exit 1; }
BUILD=$(cd "$BUILD" && pwd)   # absolute: the example runs from examples/

TMP=$(mktemp -d) || exit 1
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=
    fi
}
trap 'stop_server; rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM   # so that the EXIT trap runs on these too

# A free port: bound to port 0 and released, so a race is possible but rare.
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    exit 1

# -u: unbuffered, so the log is complete however the server is stopped.
"$PY" -u -m aiosmtpd -n -c aiosmtpd.handlers.Debugging -l "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

# Wait (10 s at most) until it accepts connections.
if ! "$PY" - "$PORT" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.monotonic() >= deadline:
            sys.exit(1)
        time.sleep(0.1)
EOF
then
    echo "aiosmtpd did not start on 127.0.0.1:$PORT:" >&2
    cat "$TMP/server.log" >&2
    exit 1
fi

# Each example sends to smtp.SERVER:smtp.PORT (localhost:25): point them at
# the server, then run it as it is, from examples/ where image.png is. It
# leaves smtp.send's results in the globals r and e.
status=0
for example in manual_attachment.lua compose.lua; do
    echo "== examples/$example, sent to aiosmtpd on 127.0.0.1:$PORT"
    (
        cd examples &&
        LUA_PATH="$BUILD/?.lua;;" LUA_CPATH="$BUILD/?.so;;" "$LUA" - "$PORT" "$example" <<'EOF'
local smtp = require("socket.smtp")
smtp.SERVER = "127.0.0.1"
smtp.PORT = tonumber(arg[1])
dofile(arg[2])
print("smtp.send returned:", r, e)
os.exit(r == 1 and 0 or 1)
EOF
    ) || status=1
done

stop_server
echo
echo "== what the server received (aiosmtpd.handlers.Debugging)"
if [ -s "$TMP/server.log" ]; then cat "$TMP/server.log"; else echo "(nothing)"; fi
exit "$status"
