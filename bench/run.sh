#!/bin/sh
# Benchmark (not a test): ours (socket.smtp from build/<lua>/) against
# LuaSocket's socket.smtp, Python's smtplib and Postfix's smtp-source (and,
# composing a message, nodemailer, lettre and Python's email), all sending
# to Postfix's smtp-sink on loopback in one run. Prints one Markdown report
# on stdout (progress goes to stderr):
#
#   1. messages/s, one connection per message (smtp.send), 1000-byte
#      message to 2 recipients;
#   2. messages/s on one session (smtp.open, greet, send ... send, quit);
#   3. a 1 GiB file attached in base64 through LuaSocket's ltn12 chain:
#      MB/s of file input and peak RSS, ours and LuaSocket;
#   4. the same file through smtp.attach (ours only), and smtp-sink's own
#      ceiling: as many base64 lines written from memory by Python;
#   5. instruction counts (callgrind, whole client process);
#   6. messages/s composing and sending the message of bench/compose (UTF-8
#      headers, text and HTML, a 100 KB attachment from memory), one
#      connection each: ours (smtp.compose), nodemailer, lettre, Python;
#   7. DKIM signing, nothing sent: messages/s signing the 1000-byte message
#      with RSA-2048 and with Ed25519 keys, and MB/s signing a message with
#      a 100 MB file attached in base64: ours (smtp.dkim), nodemailer's
#      DKIM signer, Python's dkimpy;
#   8. mail sent from inside nginx (the LuaJIT build in Debian's nginx and
#      lua-nginx-module, bench/nginx_rate.lua): messages/s with 50 requests
#      at once, one message each, and /ping's latency beside them, against
#      its latency with nothing else going on;
#   9. the targets, met or not.
#
#   sh bench/run.sh [lua5.4]      from the project root, after make build
#                                 LUA=lua5.4 and make bench's nodemailer and
#                                 lettre (make bench does it all)
#
# Settings, from the environment:
#   BENCH_RUNS=5                 runs of each messages/s client (the median is shown)
#   BENCH_SECONDS=2              seconds of each messages/s run
#   BENCH_FILE_RUNS=3            runs of each attachment client
#   BENCH_FILE_BYTES=1073741824  size of the attached file
#   BENCH_CALLGRIND=1            0 skips the instruction counts
#   BENCH_CALLGRIND_BYTES=33554432  file size for the attachment counts
#   BENCH_CALLGRIND_MESSAGES=200    messages for the per-message counts
#   BENCH_PROFILE_DIR=           keep the callgrind.out files there
#                                (for callgrind_annotate)
#   BENCH_DKIM_FILE_BYTES=100000000  size of the file in part 7's signed message
#   BENCH_NGINX_EACH=20          part 8: requests each of the 50 clients makes
#   BENCH_PARTS="messages attachment compose dkim nginx"  the parts that run:
#                                1 and 2, 3 and 4, 6, 7, 8 (with their rows
#                                of 5 and 9)
# A quick run:
#   BENCH_RUNS=1 BENCH_SECONDS=0.5 BENCH_FILE_RUNS=1 BENCH_FILE_BYTES=20000000 \
#   BENCH_CALLGRIND_BYTES=2000000 BENCH_CALLGRIND_MESSAGES=20 sh bench/run.sh
# The DKIM rows alone, quickly:
#   BENCH_PARTS=dkim BENCH_RUNS=1 BENCH_SECONDS=0.5 BENCH_FILE_RUNS=1 \
#   BENCH_DKIM_FILE_BYTES=10000000 sh bench/run.sh
# The compose row alone, quickly:
#   BENCH_PARTS=compose BENCH_RUNS=1 BENCH_SECONDS=0.5 BENCH_CALLGRIND_MESSAGES=20 \
#   sh bench/run.sh
# Everything on one CPU (smtp-sink and every client inherit the affinity):
#   taskset -c 0 sh bench/run.sh
#
# Needs smtp-sink and smtp-source (Debian's postfix), python3, LuaSocket,
# valgrind and the interpreter: make deps installs them; and node with
# bench/node/node_modules and build/bench-lettre/: make bench makes them.
# Clients run interleaved, so drift in machine load hits all alike. A client
# that fails gets its error in the report instead of a figure, and is not
# run again.
# The files (the 1 GiB one too) go to a directory from mktemp -d (TMPDIR),
# removed at exit, with smtp-sink stopped, however the script ends.

LUA=${1:-lua5.4}
RUNS=${BENCH_RUNS:-5}
BUDGET=${BENCH_SECONDS:-2}
FILE_RUNS=${BENCH_FILE_RUNS:-3}
FILE_BYTES=${BENCH_FILE_BYTES:-1073741824}
CALLGRIND=${BENCH_CALLGRIND:-1}
CG_BYTES=${BENCH_CALLGRIND_BYTES:-33554432}
CG_MESSAGES=${BENCH_CALLGRIND_MESSAGES:-200}
PROFILE_DIR=${BENCH_PROFILE_DIR:-}
DKIM_FILE_BYTES=${BENCH_DKIM_FILE_BYTES:-100000000}
NGINX_EACH=${BENCH_NGINX_EACH:-20}
PARTS=${BENCH_PARTS:-messages attachment compose dkim nginx}
MAX_COUNT=10000000      # messages/s runs end on BUDGET; this only bounds them
BACKLOG=4096            # smtp-sink's listen backlog (Linux caps it at somaxconn)
BUILD=build/$LUA
SINK=/usr/sbin/smtp-sink
SOURCE=/usr/sbin/smtp-source
LETTRE=build/bench-lettre/release/compose-rate-lettre
COMPOSE_DIR=bench/compose   # the message of part 6: fields, text.txt, body.html
# Part 6's messages sent before each client's clock starts: nodemailer's
# first ones take several times as long as the rest (lazy loading, the JIT).
COMPOSE_WARMUP=10
# Debian's python3 rather than a pyenv one first on PATH, when there is one.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

[ -f bench/run.sh ] || { echo "run me from the project root" >&2; exit 1; }
[ -f "$BUILD/socket/smtp/core.so" ] ||
    { echo "$BUILD is missing: make build LUA=$LUA" >&2; exit 1; }
for tool in "$SINK" "$SOURCE"; do
    [ -x "$tool" ] || { echo "$tool is missing: make deps (Debian's postfix)" >&2; exit 1; }
done
if [ "$CALLGRIND" != 0 ] && ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is missing: make deps, or BENCH_CALLGRIND=0" >&2
    exit 1
fi

# Only LUA_PATH/LUA_CPATH below choose which socket.smtp is measured.
unset LUA_INIT LUA_INIT_5_2 LUA_INIT_5_3 LUA_INIT_5_4 \
    LUA_PATH_5_2 LUA_PATH_5_3 LUA_PATH_5_4 LUA_CPATH_5_2 LUA_CPATH_5_3 LUA_CPATH_5_4

# Runs a command, under callgrind when CG_OUT is set (see part 5).
wrap() {
    if [ -n "${CG_OUT:-}" ]; then
        valgrind --tool=callgrind --callgrind-out-file="$CG_OUT" --log-file="$CG_LOG" "$@"
    else
        "$@"
    fi
}
# A Lua command with our socket.smtp, or with LuaSocket's.
ours() (
    export LUA_PATH="$BUILD/?.lua;;" LUA_CPATH="$BUILD/?.so;;"
    wrap "$LUA" "$@"
)
luasocket() (
    unset LUA_PATH LUA_CPATH
    wrap "$LUA" "$@"
)

TMP=$(mktemp -d) || exit 1
SINK_PID=
# shellcheck disable=SC2317 # reached through the EXIT trap below
cleanup() {
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM   # so that the EXIT trap runs on these too

STARTED=$(date +%s)
LOAD_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
say() { echo "$*" >&2; }
# Whether part $1 (messages, attachment, compose or dkim) is in BENCH_PARTS.
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# --- the sink -------------------------------------------------------------------
# A free port: bound to port 0 and released, so a race is possible but rare.
PORT=$("$PY" bench/send_rate.py free-port) || exit 1
# smtp-sink refuses to run as root without a user to switch to.
USER_OPT=
[ "$(id -u)" -eq 0 ] && USER_OPT="-u nobody"
# shellcheck disable=SC2086 # $USER_OPT is empty or two words
"$SINK" $USER_OPT "127.0.0.1:$PORT" "$BACKLOG" >"$TMP/sink.log" 2>&1 &
SINK_PID=$!
if ! "$PY" bench/send_rate.py wait-port "$PORT" 10 || ! kill -0 "$SINK_PID" 2>/dev/null; then
    echo "smtp-sink did not start on 127.0.0.1:$PORT:" >&2
    cat "$TMP/sink.log" >&2
    exit 1
fi
# smtp-sink's CPU seconds so far (user + system), from /proc.
CLK_TCK=$(getconf CLK_TCK)
sink_cpu() { awk -v hz="$CLK_TCK" '{ print ($14 + $15) / hz }' "/proc/$SINK_PID/stat"; }

# --- the message: 1000 bytes, a few headers and a body of CRLF lines ------------
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
MESSAGE_BYTES=$(wc -c <"$MESSAGE" | tr -d ' ')
# smtp-source -F adds CRLF to each line it reads: the same bytes go out.
tr -d '\r' <"$MESSAGE" >"$TMP/message.lf"

# --- the clients ------------------------------------------------------------------
# Each prints one line "impl=... messages=N seconds=S cpu=C" (bytes=B ...
# peak_rss_kb=K for the attachment), or fails with its error on stderr.
# smtp-source sending COUNT messages, one session at a time (-s 1) like the
# others, saying "localhost" in EHLO (-M) like the others; -d: all of them
# over one connection. "timed": through send_rate.py, which prints the line;
# "plain": as it is (under callgrind in part 5).
smtp_source() { # timed|plain COUNT [-d]
    how=$1 count=$2 d=${3:-}
    set -- "$SOURCE" ${d:+"$d"} -m "$count" -s 1 -r 2 -F "$TMP/message.lf" -M localhost \
        -f bench@example.com -t one@example.com "127.0.0.1:$PORT"
    case $how in
        timed) "$PY" bench/send_rate.py time "$count" "$@" ;;
        plain) wrap "$@" ;;
    esac
}
# bench/send_rate.lua and bench/attachment.lua with our socket.smtp or
# LuaSocket's: rate ours|luasocket COUNT SECONDS [reuse], attach ours|luasocket FILE chain|attach
rate() { "$1" bench/send_rate.lua "$PORT" "$MESSAGE" "$2" "$3" ${4:+"$4"}; }
attach() { "$1" bench/attachment.lua "$PORT" "$2" "$3"; }
# Part 6's clients: compose ours|nodemailer|lettre|python WARMUP COUNT SECONDS
compose() {
    who=$1
    shift
    set -- "$PORT" "$COMPOSE_DIR" "$ATTACHMENT" "$@"
    case $who in
        ours)       ours bench/compose_rate.lua "$@" ;;
        nodemailer) node bench/node/compose_rate.mjs "$@" ;;
        lettre)     wrap "$LETTRE" "$@" ;;
        python)     "$PY" bench/compose_rate.py send "$@" ;;
    esac
}
# Part 7's clients: dkim ours|nodemailer|dkimpy rate KEY WARMUP COUNT SECONDS,
# or file KEY
dkim() {
    who=$1 mode=$2 key=$TMP/dkim-$3.pem
    shift 3
    if [ "$mode" = rate ]; then
        set -- rate "$key" "$MESSAGE" "$@"
    else
        set -- file "$key" "$DKIM_MESSAGE" "$DKIM_FILE_BYTES"
    fi
    case $who in
        ours)       ours bench/dkim_rate.lua "$@" ;;
        nodemailer) node bench/node/dkim_rate.mjs "$@" ;;
        dkimpy)     "$PY" bench/dkim_rate.py "$@" ;;
    esac
}
# Part 8's client: nginx runs the LuaJIT build, whatever $LUA is.
nginx_rate() {
    LUA_PATH="build/luajit/?.lua;spec/support/?.lua;;" LUA_CPATH="build/luajit/?.so;;" \
        luajit bench/nginx_rate.lua "$PORT" "$BUDGET" "$NGINX_EACH"
}
client() {
    case $1 in
        conn-ours)       rate ours "$MAX_COUNT" "$BUDGET" ;;
        conn-luasocket)  rate luasocket "$MAX_COUNT" "$BUDGET" ;;
        conn-smtplib)    "$PY" bench/send_rate.py smtplib "$PORT" "$MESSAGE" "$MAX_COUNT" "$BUDGET" ;;
        conn-source)     smtp_source timed "$CONN_COUNT" ;;
        reuse-ours)      rate ours "$MAX_COUNT" "$BUDGET" reuse ;;
        reuse-luasocket) rate luasocket "$MAX_COUNT" "$BUDGET" reuse ;;
        reuse-smtplib)   "$PY" bench/send_rate.py smtplib "$PORT" "$MESSAGE" "$MAX_COUNT" "$BUDGET" reuse ;;
        reuse-source)    smtp_source timed "$REUSE_COUNT" -d ;;
        chain-ours)      attach ours "$FILE" chain ;;
        chain-luasocket) attach luasocket "$FILE" chain ;;
        attach-ours)     attach ours "$FILE" attach ;;
        raw-writes)      "$PY" bench/send_rate.py raw "$PORT" "$FILE_BYTES" ;;
        compose-ours)       compose ours "$COMPOSE_WARMUP" "$MAX_COUNT" "$BUDGET" ;;
        compose-nodemailer) compose nodemailer "$COMPOSE_WARMUP" "$MAX_COUNT" "$BUDGET" ;;
        compose-lettre)     compose lettre "$COMPOSE_WARMUP" "$MAX_COUNT" "$BUDGET" ;;
        compose-python)     compose python "$COMPOSE_WARMUP" "$MAX_COUNT" "$BUDGET" ;;
        dkim-file-*) dkim "${1#dkim-file-}" file rsa ;;
        dkim-*-*)    k=${1#dkim-} && dkim "${1##*-}" rate "${k%%-*}" "$COMPOSE_WARMUP" "$MAX_COUNT" "$BUDGET" ;;
        nginx-ours)  nginx_rate ;;
        # Under callgrind (part 5): N messages, or the smaller file.
        cg-chain-ours)      attach ours "$CG_FILE" chain ;;
        cg-chain-luasocket) attach luasocket "$CG_FILE" chain ;;
        cg-attach-ours)     attach ours "$CG_FILE" attach ;;
        cg-conn-ours)       rate ours "$CG_MESSAGES" 1e9 ;;
        cg-conn-luasocket)  rate luasocket "$CG_MESSAGES" 1e9 ;;
        cg-conn-source)     smtp_source plain "$CG_MESSAGES" ;;
        cg-reuse-ours)      rate ours "$CG_MESSAGES" 1e9 reuse ;;
        cg-reuse-luasocket) rate luasocket "$CG_MESSAGES" 1e9 reuse ;;
        cg-reuse-source)    smtp_source plain "$CG_MESSAGES" -d ;;
        cg-compose-ours)    compose ours 0 "$CG_MESSAGES" 1e9 ;;
        cg-compose-lettre)  compose lettre 0 "$CG_MESSAGES" 1e9 ;;
        *) echo "no client $1" >&2; return 2 ;;
    esac
}

# Runs client $1 once and appends its line, with smtp-sink's CPU seconds
# over the run added as sink_cpu=, to $TMP/$1.out. A failure, or a line
# saying "unavailable=", marks the client, which is then skipped.
measure() {
    { [ -e "$TMP/$1.failed" ] || [ -e "$TMP/$1.unavailable" ]; } && return
    kill -0 "$SINK_PID" 2>/dev/null || { echo "smtp-sink has died:" >&2; cat "$TMP/sink.log" >&2; exit 1; }
    before=$(sink_cpu)
    if line=$(client "$1" 2>"$TMP/$1.err"); then
        case $line in
            *unavailable=*)
                say "  $1: not available ($line)"
                printf '%s\n' "$line" >"$TMP/$1.unavailable"
                return ;;
        esac
        line="$line sink_cpu=$(awk -v a="$before" -v b="$(sink_cpu)" 'BEGIN { print b - a }')"
        say "  $1: $line"
        printf '%s\n' "$line" >>"$TMP/$1.out"
    else
        say "  $1 failed: $(head -n 1 "$TMP/$1.err")"
        : >"$TMP/$1.failed"
    fi
}

# smtp-source sends a fixed count: a first run (which also warms up the
# sink) gives its rate, and so the count that takes BUDGET seconds.
count_for_budget() { # FIRST_COUNT [-d]
    line=$(smtp_source timed "$@" 2>/dev/null) || { echo 100; return; }
    printf '%s\n' "$line" | awk -v budget="$BUDGET" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        n = int(f["messages"] / f["seconds"] * budget)
        print (n < 100) ? 100 : (n > 1000000) ? 1000000 : n }'
}

# --- 1 and 2: messages per second ------------------------------------------------
CONN_CLIENTS="conn-ours conn-luasocket conn-smtplib conn-source"
REUSE_CLIENTS="reuse-ours reuse-luasocket reuse-smtplib reuse-source"
if part messages; then
    CONN_COUNT=$(count_for_budget 200)
    REUSE_COUNT=$(count_for_budget 1000 -d)
    say "smtp-source counts for about $BUDGET s: $CONN_COUNT (-s 1), $REUSE_COUNT (-d -s 1)"
    run=1
    while [ "$run" -le "$RUNS" ]; do
        say "messages/s, run $run of $RUNS"
        for c in $CONN_CLIENTS $REUSE_CLIENTS; do measure "$c"; done
        run=$((run + 1))
    done
fi

# --- 3 and 4: the attachment ---------------------------------------------------------
FILE=$TMP/file.bin
# raw-writes: what smtp-sink can take, the same base64 lines from memory.
FILE_CLIENTS="chain-ours chain-luasocket attach-ours raw-writes"
if part attachment; then
    say "writing $FILE_BYTES random bytes to $FILE"
    head -c "$FILE_BYTES" /dev/urandom >"$FILE" || exit 1
    run=1
    while [ "$run" -le "$FILE_RUNS" ]; do
        say "attachment, run $run of $FILE_RUNS"
        for c in $FILE_CLIENTS; do measure "$c"; done
        run=$((run + 1))
    done
    rm -f "$FILE"
fi

# --- 6: compose and send ---------------------------------------------------------------
# The attachment's bytes, made once: every client reads them into memory.
ATTACHMENT=$TMP/attachment.bin
COMPOSE_CLIENTS="compose-ours compose-nodemailer compose-lettre compose-python"
if part compose; then
    "$PY" bench/compose_rate.py attachment "$COMPOSE_DIR" "$ATTACHMENT" || exit 1
    run=1
    while [ "$run" -le "$RUNS" ]; do
        say "compose + send, run $run of $RUNS"
        for c in $COMPOSE_CLIENTS; do measure "$c"; done
        run=$((run + 1))
    done
fi

# --- 7: DKIM signing ------------------------------------------------------------------
# The keys, and the message with the file attached, made once; every client
# reads the same files.
DKIM_MESSAGE=$TMP/dkim-file.eml
DKIM_KEYS="rsa ed25519"
DKIM_PEERS="ours nodemailer dkimpy"
if part dkim; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/dkim-rsa.pem" 2>/dev/null &&
        openssl genpkey -algorithm ed25519 -out "$TMP/dkim-ed25519.pem" 2>/dev/null || exit 1
    say "writing a message with $DKIM_FILE_BYTES bytes attached to $DKIM_MESSAGE"
    "$PY" bench/dkim_rate.py message "$DKIM_MESSAGE" "$DKIM_FILE_BYTES" || exit 1
    DKIM_MESSAGE_BYTES=$(wc -c <"$DKIM_MESSAGE" | tr -d ' ')
    run=1
    while [ "$run" -le "$RUNS" ]; do
        say "DKIM signing, run $run of $RUNS"
        for k in $DKIM_KEYS; do
            for who in $DKIM_PEERS; do measure "dkim-$k-$who"; done
        done
        run=$((run + 1))
    done
    run=1
    while [ "$run" -le "$FILE_RUNS" ]; do
        say "DKIM signing the attachment, run $run of $FILE_RUNS"
        for who in $DKIM_PEERS; do measure "dkim-file-$who"; done
        run=$((run + 1))
    done
    rm -f "$DKIM_MESSAGE"
fi

# --- 8: from inside nginx ---------------------------------------------------------------
if part nginx; then
    run=1
    while [ "$run" -le "$RUNS" ]; do
        say "from nginx, run $run of $RUNS"
        measure nginx-ours
        run=$((run + 1))
    done
fi

# --- 5: instruction counts -------------------------------------------------------------
# One run of each under callgrind: instructions executed in user space by
# the whole client process, startup and module loading included (the
# kernel's work in the syscalls is not counted). $TMP/$c.ir holds the
# count, or "error: ...", or "unavailable".
CG_FILE=$TMP/small.bin
CG_CLIENTS=
part attachment && CG_CLIENTS="cg-chain-ours cg-chain-luasocket cg-attach-ours"
part messages && CG_CLIENTS="$CG_CLIENTS cg-conn-ours cg-conn-luasocket cg-conn-source
cg-reuse-ours cg-reuse-luasocket cg-reuse-source"
part compose && CG_CLIENTS="$CG_CLIENTS cg-compose-ours cg-compose-lettre"
if [ "$CALLGRIND" != 0 ]; then
    say "instruction counts (callgrind)"
    if part attachment; then head -c "$CG_BYTES" /dev/urandom >"$CG_FILE" || exit 1; fi
    [ -n "$PROFILE_DIR" ] && { mkdir -p "$PROFILE_DIR" || exit 1; }
    for c in $CG_CLIENTS; do
        CG_OUT=/dev/null
        [ -n "$PROFILE_DIR" ] && CG_OUT=$PROFILE_DIR/callgrind.out.${c#cg-}
        CG_LOG=$TMP/$c.log
        if line=$(client "$c" 2>"$TMP/$c.err"); then
            case $line in
                *unavailable=*) echo unavailable ;;
                *) awk '/Collected :/ { print $NF }' "$CG_LOG" ;;
            esac >"$TMP/$c.ir"
        else
            echo "error: $(head -n 1 "$TMP/$c.err")" >"$TMP/$c.ir"
        fi
        say "  $c: $(cat "$TMP/$c.ir")"
    done
    CG_OUT=
    rm -f "$CG_FILE"
fi

# --- the report ---------------------------------------------------------------------------
# Per-run values of one quantity for client $1, one a line: rate
# (messages/s), mbps (MB of file input a second; MB = 10^6 bytes), seconds,
# rss (peak RSS, MB), cpu and sink (the client's and smtp-sink's CPU time,
# in % of one core over the run's wall time), or any field as it is.
values() {
    awk -v want="$2" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        if (want == "rate") print f["messages"] / f["seconds"]
        else if (want == "mbps") print f["bytes"] / f["seconds"] / 1e6
        else if (want == "seconds") print f["seconds"]
        else if (want == "rss") print f["peak_rss_kb"] * 1024 / 1e6
        else if (want == "cpu") print 100 * f["cpu"] / f["seconds"]
        else if (want == "sink") print 100 * f["sink_cpu"] / f["seconds"]
        else print f[want]
    }' "$TMP/$1.out"
}
# The median of the runs of client $1; nothing if it has no runs.
stat() {
    [ -s "$TMP/$1.out" ] || return 0
    values "$1" "$2" | sort -n | awk '{ v[NR] = $1 }
        END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# The lowest and the highest of the runs of client $1, as "min-max".
range() { # ID QUANTITY FORMAT
    values "$1" "$2" | sort -n | awk -v f="$3" 'NR == 1 { lo = $1 } { hi = $1 }
        END { printf f "-" f, lo, hi }'
}
# What client $1 calls itself (its impl field, "_" back to spaces), or $2
# when it has no runs.
impl() {
    [ -s "$TMP/$1.out" ] || { echo "$2"; return; }
    awk '{ sub(/^impl=/, "", $1); gsub(/_/, " ", $1); print $1; exit }' "$TMP/$1.out"
}
# Why client $1 has no figure, for a table cell.
why() {
    if [ -e "$TMP/$1.unavailable" ]; then
        echo "not available: $(sed 's/.*unavailable=//; s/ .*//; s/_/ /g' "$TMP/$1.unavailable")"
    else
        echo "error: $(head -n 1 "$TMP/$1.err" | sed 's/|/\\|/g')"
    fi
}

# | name | messages/s | range | ratio to each REF_ID | CPU | sink CPU |
rate_row() { # ID NAME REF_ID...
    id=$1 name=$2
    shift 2
    r=$(stat "$id" rate)
    if [ -z "$r" ]; then
        printf '| %s | %s | |' "$name" "$(why "$id")"
        for ref; do printf ' |'; done
        echo ' | |'
        return
    fi
    # The references' medians, "-" for one without runs.
    refs=
    for ref; do
        x=$(stat "$ref" rate)
        refs="$refs ${x:--}"
    done
    awk -v name="$name" -v r="$r" -v range="$(range "$id" rate %.0f)" -v refs="$refs" \
        -v cpu="$(stat "$id" cpu)" -v sink="$(stat "$id" sink)" '
        function ratio(x) {
            if (x == "-") return "n/a"
            return (r / x >= 1) ? sprintf("%.2f", r / x) : sprintf("%.3g", r / x)
        }
        BEGIN {
            printf "| %s | %.1f | %s", name, r, range
            n = split(refs, ref, " ")
            for (i = 1; i <= n; i++) printf " | %s", ratio(ref[i])
            printf " | %.0f%% | %.0f%% |\n", cpu, sink }'
}

# | name | MB/s | range | seconds | peak RSS | MB/s ratio | RSS difference | CPU | sink CPU |
file_row() { # ID NAME
    m=$(stat "$1" mbps)
    [ -n "$m" ] || { echo "| $2 | $(why "$1") | | | | | | | |"; return; }
    awk -v name="$2" -v m="$m" -v range="$(range "$1" mbps %.1f)" -v s="$(stat "$1" seconds)" \
        -v rss="$(grep -q peak_rss_kb "$TMP/$1.out" && stat "$1" rss)" \
        -v lm="$(stat chain-luasocket mbps)" -v lrss="$(stat chain-luasocket rss)" \
        -v cpu="$(stat "$1" cpu)" -v sink="$(stat "$1" sink)" '
        BEGIN {
            ratio = (lm == "") ? "n/a" : sprintf("%.2f", m / lm)
            diff = (lrss == "" || rss == "") ? "n/a" : sprintf("%+.1f", rss - lrss)
            printf "| %s | %.1f | %s | %.2f | %s | %s | %s | %.0f%% | %.0f%% |\n", name, m, range, s,
                (rss == "") ? "n/a" : sprintf("%.1f", rss), ratio, diff, cpu, sink }'
}

# Instruction counts: the cell for client $1, per unit $2 (a number).
ir_cell() {
    v=$(cat "$TMP/$1.ir" 2>/dev/null)
    case $v in
        "") echo "n/a" ;;
        unavailable) echo "not available: smtp.attach missing" ;;
        error*) echo "$v" | sed 's/|/\\|/g' ;;
        *) awk -v v="$v" -v n="$2" 'BEGIN {
               printf (v / n >= 1000) ? "%.0f" : "%.1f", v / n; printf " (%.0f M)", v / 1e6 }' ;;
    esac
}
ir_ratio() { # LuaSocket's count / ours
    awk -v t="$(cat "$TMP/$1.ir" 2>/dev/null)" -v o="$(cat "$TMP/$2.ir" 2>/dev/null)" 'BEGIN {
        if (t + 0 > 0 && o + 0 > 0) printf "%.2f", t / o; else print "n/a" }'
}

# One target: | target | figure | met |. CHECK is an awk condition on the
# figures A and B; when either is missing, MISSING stands for the figure.
target() { # TARGET FIGURE CHECK A B [MISSING]
    if [ -z "$4" ] || [ -z "$5" ]; then
        echo "| $1 | ${6:-no figure: a client failed, see above} | n/a |"
        return
    fi
    awk -v a="$4" -v b="$5" -v t="$1" -v f="$2" "BEGIN {
        printf \"| %s | %s | %s |\\n\", t, f, ($3) ? \"met\" : \"NOT met\" }"
}

# A figure in a printf format; a / b to two places.
fmt() { awk -v f="$1" -v x="$2" 'BEGIN { printf f, x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

# --- the machine --------------------------------------------------------------
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
lua_version=$("$LUA" -v 2>&1 | awk '{ sub(/ +(Copyright|--).*/, ""); print; exit }')
luasocket_version=$(luasocket -e 'print(require("socket")._VERSION)' 2>/dev/null)
luasocket_deb=$(dpkg-query -W -f='${Version}' lua-socket 2>/dev/null)
postfix_deb=$(dpkg-query -W -f='${Version}' postfix 2>/dev/null)
python_version=$("$PY" --version 2>&1)
ours_version=$(ours -e 'print(require("socket.smtp")._VERSION)' 2>/dev/null)
commit=$(git rev-parse --short HEAD 2>/dev/null)
[ -n "$commit" ] && [ -n "$(git status --porcelain -- src lua Cargo.toml 2>/dev/null)" ] &&
    commit="$commit + uncommitted changes in src/ or lua/"
minutes=$(awk -v s="$(( $(date +%s) - STARTED ))" 'BEGIN { printf "%.1f", s / 60 }')

echo "## luasmtp benchmark"
echo
cpus="$(nproc --all) CPUs"
[ "$(nproc)" = "$(nproc --all)" ] || cpus="$cpus (this run on $(nproc) of them: taskset)"
echo "- Machine: ${cpu_model:-unknown CPU}, $cpus, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- $lua_version; ${luasocket_version:-LuaSocket (not found)}${luasocket_deb:+ (Debian lua-socket $luasocket_deb)};" \
    "$python_version (smtplib); Postfix ${postfix_deb:-?} smtp-sink and smtp-source"
echo "- ours: ${ours_version:-?} from $BUILD/${commit:+ (git $commit)}"
echo "- Server: smtp-sink on 127.0.0.1 (backlog $BACKLOG), one process for the whole run;" \
    "client and smtp-sink CPU are % of one core over each run's wall time (medians)"
echo "- The whole run took $minutes minutes; load average (1, 5, 15 min) at its start" \
    "$LOAD_START, at its end $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo

if part messages; then
    echo "### 1. Messages per second, one connection per message"
    echo
    echo "$MESSAGE_BYTES-byte message, 2 recipients, connect/EHLO/MAIL/RCPT/DATA/QUIT for each;" \
        "median of $RUNS runs of $BUDGET s per client, interleaved"
    echo
    echo "| client | messages/s | runs: min-max | ratio to LuaSocket | ratio to smtp-source | client CPU | smtp-sink CPU |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    rate_row conn-ours "ours ($(impl conn-ours luasmtp)), smtp.send" conn-luasocket conn-source
    rate_row conn-luasocket "$(impl conn-luasocket LuaSocket) smtp.send" conn-luasocket conn-source
    rate_row conn-smtplib "$(impl conn-smtplib "Python smtplib"), new SMTP object each" conn-luasocket conn-source
    rate_row conn-source "smtp-source -s 1" conn-luasocket conn-source
    echo

    echo "### 2. Messages per second, one session reused"
    echo
    echo "The same message; one connection: smtp.open, greet, send{...} again and again, quit, close" \
        "(smtplib: one SMTP object, sendmail again and again; smtp-source -d);" \
        "median of $RUNS runs of $BUDGET s per client, interleaved with part 1"
    echo
    echo "| client | messages/s | runs: min-max | ratio to LuaSocket | ratio to smtp-source | client CPU | smtp-sink CPU |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    rate_row reuse-ours "ours ($(impl reuse-ours luasmtp)), smtp.open + s:send" reuse-luasocket reuse-source
    rate_row reuse-luasocket "$(impl reuse-luasocket LuaSocket) smtp.open + s:send" reuse-luasocket reuse-source
    rate_row reuse-smtplib "$(impl reuse-smtplib "Python smtplib"), one SMTP object" reuse-luasocket reuse-source
    rate_row reuse-source "smtp-source -d -s 1" reuse-luasocket reuse-source
    echo
fi

if part attachment; then
    echo "### 3 and 4. A $FILE_BYTES-byte file as a base64 attachment, one smtp.send"
    echo
    echo "Random bytes, read from the page cache; MB/s = file bytes / wall seconds of building and" \
        "sending the message (MB = 10^6 bytes); peak RSS = VmHWM of the Lua process at the end;" \
        "median of $FILE_RUNS runs, interleaved"
    echo
    echo "| client | MB/s of file input | runs: min-max | seconds | peak RSS (MB) | MB/s ratio to LuaSocket | RSS minus LuaSocket's (MB) | client CPU | smtp-sink CPU |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    file_row chain-ours "ours ($(impl chain-ours luasmtp)), ltn12 chain"
    file_row chain-luasocket "$(impl chain-luasocket LuaSocket), ltn12 chain"
    file_row attach-ours "ours, smtp.attach{ path, encoding = \"base64\" }"
    file_row raw-writes "smtp-sink's ceiling: the same base64 lines from memory (Python, 1 MiB writes)"
    echo
    echo "The ltn12 chain: \`ltn12.source.chain(ltn12.source.file(io.open(path, \"rb\")),"
    echo "ltn12.filter.chain(mime.encode(\"base64\"), mime.wrap()))\` as the part body."
    echo
fi

if [ "$CALLGRIND" != 0 ]; then
    echo "### 5. Instructions (callgrind)"
    echo
    echo "Whole client process, user space only (startup and module loading included, the" \
        "kernel's work in syscalls not): the total divided by the file's bytes, or by the" \
        "$CG_MESSAGES messages sent; in brackets the total in millions."
    echo
    echo "| workload | ours | LuaSocket | LuaSocket / ours | other |"
    echo "|---|---:|---:|---:|---:|"
    if part attachment; then
        echo "| $CG_BYTES-byte file, ltn12 chain, per file byte |" \
            "$(ir_cell cg-chain-ours "$CG_BYTES") | $(ir_cell cg-chain-luasocket "$CG_BYTES") |" \
            "$(ir_ratio cg-chain-luasocket cg-chain-ours) |" \
            "smtp.attach: $(ir_cell cg-attach-ours "$CG_BYTES") |"
    fi
    if part messages; then
        echo "| $CG_MESSAGES messages, one connection each, per message |" \
            "$(ir_cell cg-conn-ours "$CG_MESSAGES") | $(ir_cell cg-conn-luasocket "$CG_MESSAGES") |" \
            "$(ir_ratio cg-conn-luasocket cg-conn-ours) |" \
            "smtp-source -s 1: $(ir_cell cg-conn-source "$CG_MESSAGES") |"
        echo "| $CG_MESSAGES messages, one session, per message |" \
            "$(ir_cell cg-reuse-ours "$CG_MESSAGES") | $(ir_cell cg-reuse-luasocket "$CG_MESSAGES") |" \
            "$(ir_ratio cg-reuse-luasocket cg-reuse-ours) |" \
            "smtp-source -d: $(ir_cell cg-reuse-source "$CG_MESSAGES") |"
    fi
    # LuaSocket has no compose: lettre (a native binary) stands beside ours.
    if part compose; then
        echo "| $CG_MESSAGES messages, compose + send (part 6), one connection each, per message |" \
            "$(ir_cell cg-compose-ours "$CG_MESSAGES") | n/a | n/a |" \
            "lettre: $(ir_cell cg-compose-lettre "$CG_MESSAGES") |"
    fi
    echo
fi

if part compose; then
    lettre_version=$(awk '$0 == "name = \"lettre\"" { getline; gsub(/"/, "", $3); print $3; exit }' \
        bench/lettre/Cargo.lock)
    echo "### 6. Compose + send, 100 KB attachment: messages/s"
    echo
    echo "The message of $COMPOSE_DIR: UTF-8 subject and display names, a" \
        "$(wc -c <"$COMPOSE_DIR/text.txt")-byte text and a $(wc -c <"$COMPOSE_DIR/body.html")-byte HTML" \
        "body (UTF-8) as alternatives, a $(wc -c <"$ATTACHMENT")-byte attachment of fixed" \
        "pseudo-random bytes given from memory with a non-ASCII file name; composed afresh (each" \
        "library with its own encodings) and sent on a new connection for each message; the" \
        "envelope from the From and To fields; each run after $COMPOSE_WARMUP messages neither" \
        "timed nor counted; median of $RUNS runs of $BUDGET s per client, interleaved"
    echo
    echo "| client | messages/s | runs: min-max | ratio to nodemailer | ratio to lettre | ratio to Python | client CPU | smtp-sink CPU |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    compose_row() { rate_row "$1" "$2" compose-nodemailer compose-lettre compose-python; }
    compose_row compose-ours "ours ($(impl compose-ours luasmtp)), smtp.compose + smtp.send"
    compose_row compose-nodemailer "$(impl compose-nodemailer nodemailer), sendMail, pool = false"
    compose_row compose-lettre "lettre ${lettre_version:-?}, Message::builder + SmtpTransport (sync, no pool)"
    compose_row compose-python "$(impl compose-python Python) (EmailMessage, send_message on a new SMTP object)"
    echo
fi

if part dkim; then
    echo "### 7. DKIM signing, nothing sent"
    echo
    echo "d=example.com, relaxed/relaxed, each library's own list of signed fields; each signed" \
        "message read to its end (dkimpy returns the field alone). Messages/s: the" \
        "$MESSAGE_BYTES-byte message of parts 1 and 2, from memory, a new signer (the key read" \
        "from PEM) for each message, as smtp.send{ dkim = } and nodemailer's dkim option make" \
        "one; each run after $COMPOSE_WARMUP messages neither timed nor counted (smtp-sink" \
        "stays idle: nothing is sent); median of" \
        "$RUNS runs of $BUDGET s per client, interleaved"
    echo
    echo "| client | messages/s | runs: min-max | ratio to nodemailer | ratio to dkimpy | client CPU | smtp-sink CPU |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for k in $DKIM_KEYS; do
        label=RSA-2048
        [ "$k" = ed25519 ] && label=Ed25519
        rate_row "dkim-$k-ours" "$label: ours ($(impl "dkim-$k-ours" luasmtp)), smtp.dkim" \
            "dkim-$k-nodemailer" "dkim-$k-dkimpy"
        rate_row "dkim-$k-nodemailer" "$label: $(impl "dkim-$k-nodemailer" nodemailer), DKIM#sign" \
            "dkim-$k-nodemailer" "dkim-$k-dkimpy"
        rate_row "dkim-$k-dkimpy" "$label: $(impl "dkim-$k-dkimpy" dkimpy), dkim.sign" \
            "dkim-$k-nodemailer" "dkim-$k-dkimpy"
    done
    echo
    echo "A $DKIM_FILE_BYTES-byte file of pseudo-random bytes attached in base64 (the message:" \
        "$DKIM_MESSAGE_BYTES bytes)," \
        "RSA-2048; MB/s = file bytes / wall seconds (MB = 10^6 bytes), the message read from" \
        "the page cache as it is signed (dkimpy: read whole first), held in a temporary file" \
        "until its field is known (ours beyond 1 MB, nodemailer beyond 10 MB); median of" \
        "$FILE_RUNS runs, interleaved"
    echo
    echo "| client | MB/s of file | runs: min-max | seconds | peak RSS (MB) | ratio to nodemailer | ratio to dkimpy | client CPU |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for who in $DKIM_PEERS; do
        id=dkim-file-$who m=$(stat "dkim-file-$who" mbps)
        [ -n "$m" ] || { echo "| $who | $(why "$id") | | | | | | |"; continue; }
        awk -v name="$(impl "$id" "$who")" -v m="$m" -v range="$(range "$id" mbps %.1f)" \
            -v s="$(stat "$id" seconds)" -v rss="$(stat "$id" rss)" -v cpu="$(stat "$id" cpu)" \
            -v n="$(stat dkim-file-nodemailer mbps)" -v p="$(stat dkim-file-dkimpy mbps)" '
            function ratio(x) { return (x == "") ? "n/a" : sprintf("%.2f", m / x) }
            BEGIN { printf "| %s | %.1f | %s | %.2f | %.1f | %s | %s | %.0f%% |\n",
                name, m, range, s, rss, ratio(n), ratio(p), cpu }'
    done
    echo
fi

if part nginx; then
    echo "### 8. Mail sent from nginx"
    echo
    echo "nginx $(dpkg-query -W -f='${Version}' nginx 2>/dev/null) with lua-nginx-module" \
        "$(dpkg-query -W -f='${Version}' libnginx-mod-http-lua 2>/dev/null), one worker, on" \
        "OpenResty's LuaJIT ($(luajit -v 2>&1 | awk '{ print $2; exit }')), running the" \
        "LuaJIT build; each request to /send sends one composed message" \
        "(smtp.sendmail, a UTF-8 subject and name, one text part) over cosockets." \
        "Python clients (spec/support/http_load.py), on the same two cores: 50 at once," \
        "each making $NGINX_EACH requests one after another; /ping (nginx's own return, no Lua)" \
        "every 10 ms from a process of its own, each ping a new" \
        "connection, timed by the client. Idle: /ping alone for $BUDGET s. Slow server:" \
        "50 requests at once, one each, to aiosmtpd waiting 0.3 s before each reply" \
        "(as a distant server keeps a send waiting; spec/nginx's case). Median of $RUNS runs"
    echo
    echo "| load | messages/s | runs: min-max | /ping median (ms) | /ping 99th percentile (ms) |"
    echo "|---|---:|---:|---:|---:|"
    if [ -s "$TMP/nginx-ours.out" ]; then
        rate=$(stat nginx-ours rate)
        echo "| none (idle) | | | $(stat nginx-ours idle_p50) | $(stat nginx-ours idle_p99) |"
        echo "| 50 clients to smtp-sink | $(fmt %.1f "$rate") | $(range nginx-ours rate %.1f) |" \
            "$(stat nginx-ours load_p50) | $(stat nginx-ours load_p99) |"
        echo "| 50 sends to a server slow to answer, all done in" \
            "$(fmt %.2f "$(stat nginx-ours slow_seconds)") s | | |" \
            "$(stat nginx-ours slow_p50) | $(stat nginx-ours slow_p99) |"
        echo
        echo "Requests that did not send their message: $(values nginx-ours failed | awk '{ n += $1 } END { print n + 0 }')."
    else
        echo "| all | $(why nginx-ours) | | | |"
    fi
    echo
fi

# --- the targets ----------------------------------------------------------------
co=$(stat conn-ours rate) cl=$(stat conn-luasocket rate) cs=$(stat conn-source rate)
ro=$(stat reuse-ours rate) rl=$(stat reuse-luasocket rate) rs=$(stat reuse-source rate)
fo=$(stat chain-ours mbps) fl=$(stat chain-luasocket mbps) fa=$(stat attach-ours mbps)
mo=$(stat chain-ours rss) ml=$(stat chain-luasocket rss) ma=$(stat attach-ours rss)
xo=$(stat compose-ours rate) xn=$(stat compose-nodemailer rate) xl=$(stat compose-lettre rate)
attach_missing=
[ -e "$TMP/attach-ours.unavailable" ] && attach_missing="not available: smtp.attach missing"


echo "### Targets"
echo
echo "| target | figure | |"
echo "|---|---|---|"
if part messages; then
    target "one connection per message: ours >= smtp-source" \
        "$(fmt %.1f "$co") against $(fmt %.1f "$cs") messages/s: $(ratio "$co" "$cs")x" "a >= b" "$co" "$cs"
    target "one session: ours >= 1.5 x smtp-source -d" \
        "$(fmt %.1f "$ro") against $(fmt %.1f "$rs") messages/s: $(ratio "$ro" "$rs")x" "a >= 1.5 * b" "$ro" "$rs"
    target "one connection per message: ours >= 100 x LuaSocket" \
        "$(ratio "$co" "$cl")x ($(fmt %.1f "$co") against $(fmt %.1f "$cl") messages/s)" "a >= 100 * b" "$co" "$cl"
    target "one session: ours >= 100 x LuaSocket" \
        "$(ratio "$ro" "$rl")x ($(fmt %.1f "$ro") against $(fmt %.1f "$rl") messages/s)" "a >= 100 * b" "$ro" "$rl"
fi
if part attachment; then
    target "attachment, ltn12 chain: ours MB/s >= LuaSocket's" \
        "$(fmt %.1f "$fo") against $(fmt %.1f "$fl") MB/s: $(ratio "$fo" "$fl")x" "a >= b" "$fo" "$fl"
    target "attachment, ltn12 chain: ours peak RSS <= LuaSocket's + 2 MB" \
        "$(fmt %.1f "$mo") against $(fmt %.1f "$ml") MB: $(awk -v a="$mo" -v b="$ml" 'BEGIN { printf "%+.1f", a - b }') MB" \
        "a <= b + 2" "$mo" "$ml"
    ceiling=$(stat raw-writes mbps)
    # The note is built apart: a quote inside "${ceiling:+...}" is literal to
    # dash but opens a string to bash --posix and to shellcheck.
    ceiling_note=""
    if [ -n "$ceiling" ]; then
        ceiling_note=" (smtp-sink's ceiling: $(fmt %.1f "$ceiling") MB/s)"
    fi
    target "smtp.attach >= 1000 MB/s of file input" \
        "$(fmt %.1f "$fa") MB/s$ceiling_note" \
        "a >= b" "$fa" 1000 "$attach_missing"
    target "smtp.attach peak RSS < 16 MB" \
        "$(fmt %.1f "$ma") MB" "a < b" "$ma" 16 "$attach_missing"
fi
if part compose; then
    target "compose + send: ours >= 3 x nodemailer" \
        "$(fmt %.1f "$xo") against $(fmt %.1f "$xn") messages/s: $(ratio "$xo" "$xn")x" "a >= 3 * b" "$xo" "$xn"
    target "compose + send: ours >= 1.0 x lettre" \
        "$(fmt %.1f "$xo") against $(fmt %.1f "$xl") messages/s: $(ratio "$xo" "$xl")x" "a >= b" "$xo" "$xl"
fi
if part dkim; then
    for k in $DKIM_KEYS; do
        o=$(stat "dkim-$k-ours" rate) n=$(stat "dkim-$k-nodemailer" rate)
        target "DKIM, $k, messages/s: ours >= 2 x nodemailer" \
            "$(fmt %.1f "$o") against $(fmt %.1f "$n") messages/s: $(ratio "$o" "$n")x" "a >= 2 * b" "$o" "$n" \
            "$([ -e "$TMP/dkim-$k-nodemailer.unavailable" ] && why "dkim-$k-nodemailer")"
    done
    o=$(stat dkim-file-ours mbps) n=$(stat dkim-file-nodemailer mbps)
    target "DKIM, attachment MB/s: ours >= 2 x nodemailer" \
        "$(fmt %.1f "$o") against $(fmt %.1f "$n") MB/s: $(ratio "$o" "$n")x" "a >= 2 * b" "$o" "$n"
fi
if part nginx; then
    i=$(stat nginx-ours idle_p99) l=$(stat nginx-ours load_p99) w=$(stat nginx-ours slow_p99)
    target "nginx, 50 clients to smtp-sink: /ping p99 <= 2 x idle" \
        "$(fmt %.3f "$l") against $(fmt %.3f "$i") ms: $(ratio "$l" "$i")x" "a <= 2 * b" "$l" "$i"
    target "nginx, 50 sends to a slow server: /ping p99 <= 2 x idle" \
        "$(fmt %.3f "$w") against $(fmt %.3f "$i") ms: $(ratio "$w" "$i")x" "a <= 2 * b" "$w" "$i"
fi
exit 0
