#!/bin/sh
# Benchmark (not a test): messages per second, one connection per message,
# 1 KB messages to 2 recipients, sent to Postfix's smtp-sink on loopback by
# ours (smtp.send from build/<lua>/), LuaSocket's smtp.send, Python's smtplib
# and Postfix's smtp-source, as a Markdown table.
#
#   sh bench/send_rate.sh lua5.4       (from the project root, after
#                                       make build LUA=lua5.4)
#   BENCH_SECONDS=1 BENCH_RUNS=3 sh bench/send_rate.sh luajit   (quicker)
#
# Needs smtp-sink and smtp-source (Debian's postfix), python3, LuaSocket and
# the interpreter: make deps installs them. Each client runs RUNS times,
# interleaved, for BENCH_SECONDS (smtp-source: a count sized to take about
# as long); the table has the medians. A client that fails gets its error
# in the table instead of a rate, and is not run again.

LUA=${1:-lua5.4}
RUNS=${BENCH_RUNS:-5}
BUDGET=${BENCH_SECONDS:-2}   # seconds per client per run
MAX_COUNT=1000000            # runs end on BUDGET; this only bounds them
BUILD=build/$LUA
SCRIPT=bench/send_rate.lua
HELPER=bench/send_rate.py
SINK=/usr/sbin/smtp-sink
SOURCE=/usr/sbin/smtp-source
CLIENTS="ours luasocket smtplib smtp-source"
# Debian's python3 rather than a pyenv one first on PATH, when there is one.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

[ -f "$SCRIPT" ] || { echo "run me from the project root" >&2; exit 1; }
[ -f "$BUILD/socket/smtp/core.so" ] ||
    { echo "$BUILD is missing: make build LUA=$LUA" >&2; exit 1; }
for tool in "$SINK" "$SOURCE"; do
    [ -x "$tool" ] || { echo "$tool is missing: make deps (Debian's postfix)" >&2; exit 1; }
done

TMP=$(mktemp -d) || exit 1
SINK_PID=
cleanup() {
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM   # so that the EXIT trap runs on these too

# --- the sink ---------------------------------------------------------------
# A free port: bound to port 0 and released, so a race is possible but rare.
PORT=$("$PY" "$HELPER" free-port) || exit 1
# smtp-sink refuses to run as root without a user to switch to.
USER_OPT=
[ "$(id -u)" -eq 0 ] && USER_OPT="-u nobody"
# Backlog 1000: connections come one after another, but quickly.
# shellcheck disable=SC2086
"$SINK" $USER_OPT "127.0.0.1:$PORT" 1000 >"$TMP/sink.log" 2>&1 &
SINK_PID=$!
if ! "$PY" "$HELPER" wait-port "$PORT" 10 || ! kill -0 "$SINK_PID" 2>/dev/null; then
    echo "smtp-sink did not start on 127.0.0.1:$PORT:" >&2
    cat "$TMP/sink.log" >&2
    exit 1
fi

# --- the message: 1000 bytes, a few headers and a body of CRLF lines --------
MESSAGE=$TMP/message.eml
{
    printf 'From: Bench <bench@example.com>\r\n'
    printf 'To: One <one@example.com>, Two <two@example.com>\r\n'
    printf 'Subject: send rate bench\r\n'
    printf 'Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n'
    printf 'Message-ID: <send-rate@example.com>\r\n'
    printf '\r\n'
    i=1
    while [ "$i" -le 13 ]; do
        printf 'Line %02d: the quick brown fox jumps over the lazy dog, again.\r\n' "$i"
        i=$((i + 1))
    done
    printf 'Done.\r\n'
} >"$MESSAGE"
BYTES=$(wc -c <"$MESSAGE" | tr -d ' ')

# --- the clients --------------------------------------------------------------
# Each prints "impl=... messages=N seconds=S", or fails with its error on stderr.
client() {
    case $1 in
        ours)
            LUA_PATH="$BUILD/?.lua;;" LUA_CPATH="$BUILD/?.so;;" \
                "$LUA" "$SCRIPT" "$PORT" "$MESSAGE" "$MAX_COUNT" "$BUDGET" ;;
        luasocket)
            (unset LUA_PATH LUA_CPATH LUA_INIT
             "$LUA" "$SCRIPT" "$PORT" "$MESSAGE" "$MAX_COUNT" "$BUDGET") ;;
        smtplib)
            "$PY" "$HELPER" smtplib "$PORT" "$MESSAGE" "$MAX_COUNT" "$BUDGET" ;;
        smtp-source)
            # -s 1: one session at a time, like the others; -l: body bytes
            # (smtp-source adds a few headers of its own); -M: say
            # "localhost" in EHLO, like the others, instead of the hostname.
            "$PY" "$HELPER" time "$2" "$SOURCE" -m "$2" -s 1 -r 2 -l 1000 \
                -M localhost "127.0.0.1:$PORT" ;;
    esac
}

# smtp-source sends a fixed count: a first run of 200 messages (which also
# warms up the sink) gives its rate, and so the count that takes BUDGET.
if line=$(client smtp-source 200 2>"$TMP/smtp-source.err"); then
    SOURCE_COUNT=$(printf '%s\n' "$line" | awk -v budget="$BUDGET" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        n = int(f["messages"] / f["seconds"] * budget)
        print (n < 100) ? 100 : (n > 100000) ? 100000 : n }')
else
    : >"$TMP/smtp-source.failed"
fi

# Interleaved, so drift in machine load hits every client alike.
run=1
while [ "$run" -le "$RUNS" ]; do
    for c in $CLIENTS; do
        [ -e "$TMP/$c.failed" ] && continue
        if line=$(client "$c" "${SOURCE_COUNT:-}" 2>"$TMP/$c.err"); then
            echo "run $run, $c: $line" >&2
            printf '%s\n' "$line" >>"$TMP/$c.out"
        else
            echo "run $run, $c failed: $(tail -n 1 "$TMP/$c.err")" >&2
            : >"$TMP/$c.failed"
        fi
    done
    run=$((run + 1))
done

# --- the table ------------------------------------------------------------------
# Median messages/s over the runs of client $1; nothing if it failed.
rate() {
    [ -e "$TMP/$1.failed" ] && return
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
           print f["messages"] / f["seconds"] }' "$TMP/$1.out" |
        sort -n | awk '{ v[NR] = $1 }
            END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# What the client calls itself (its impl field, "_" back to spaces).
impl() {
    [ -s "$TMP/$1.out" ] || return
    awk '{ sub(/^impl=/, "", $1); gsub(/_/, " ", $1); print $1; exit }' "$TMP/$1.out"
}

LUASOCKET_RATE=$(rate luasocket)
SOURCE_RATE=$(rate smtp-source)

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
version=$("$LUA" -v 2>&1 | awk '{ sub(/ +(Copyright|--).*/, ""); print; exit }')
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Workload: $BYTES-byte message, 2 recipients, one connection per message, to smtp-sink on" \
    "127.0.0.1; $version; median of $RUNS runs of ${BUDGET} s per client"
echo
echo "| client | messages/s (median) | ratio to LuaSocket | ratio to smtp-source |"
echo "|---|---:|---:|---:|"
for c in $CLIENTS; do
    case $c in
        ours) name="ours ($(impl ours))"; [ -s "$TMP/ours.out" ] || name="ours ($BUILD)" ;;
        luasocket) name="$(impl luasocket) socket.smtp"; [ -s "$TMP/luasocket.out" ] || name="LuaSocket" ;;
        smtplib) name=$(impl smtplib); [ -n "$name" ] || name="Python smtplib" ;;
        smtp-source) name="smtp-source (-s 1)" ;;
    esac
    r=$(rate "$c")
    if [ -z "$r" ]; then
        # The error's last line, with "|" escaped for Markdown.
        err=$(tail -n 1 "$TMP/$c.err" | sed 's/|/\\|/g')
        echo "| $name | error: ${err:-failed} | | |"
        continue
    fi
    awk -v name="$name" -v r="$r" -v l="$LUASOCKET_RATE" -v s="$SOURCE_RATE" '
        function ratio(x) {
            if (x == "") return "n/a"
            return (r / x >= 1) ? sprintf("%.2f", r / x) : sprintf("%.3g", r / x)
        }
        BEGIN { printf "| %s | %.1f | %s | %s |\n", name, r, ratio(l), ratio(s) }'
done
exit 0
