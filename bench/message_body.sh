#!/bin/sh
# Benchmark (not a test): time and peak RSS of streaming a large body through
# smtp.message, ours (build/<lua>/) against LuaSocket's, as a Markdown table.
#
#   sh bench/message_body.sh lua5.4        (from the project root, after
#                                           make build LUA=lua5.4)
#   BENCH_BYTES=100000000 sh bench/message_body.sh luajit   (quicker)
#
# Needs only sh, awk, sort and the interpreter.

LUA=${1:-lua5.4}
BYTES=${BENCH_BYTES:-1073741824}   # 1 GiB
RUNS=5
SCRIPT=bench/message_body.lua
BUILD=build/$LUA

[ -f "$SCRIPT" ] || { echo "run me from the project root" >&2; exit 1; }
[ -f "$BUILD/socket/smtp/core.so" ] ||
    { echo "$BUILD is missing: make build LUA=$LUA" >&2; exit 1; }

# Each run is its own process, so every peak RSS is that run's own.
ours() {
    LUA_PATH="$BUILD/?.lua;;" LUA_CPATH="$BUILD/?.so;;" "$LUA" "$SCRIPT" "$BYTES"
}
theirs() {
    (unset LUA_PATH LUA_CPATH LUA_INIT; "$LUA" "$SCRIPT" "$BYTES")
}

# Interleaved, so drift in machine load hits both sides alike.
OURS= THEIRS=
i=1
while [ "$i" -le "$RUNS" ]; do
    line=$(ours) || exit 1
    echo "run $i: $line" >&2
    OURS="$OURS$line
"
    line=$(theirs) || exit 1
    echo "run $i: $line" >&2
    THEIRS="$THEIRS$line
"
    i=$((i + 1))
done

# Median of the numbers on stdin, one a line.
median() {
    sort -n | awk '{ v[NR] = $1 }
        END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Per-run value of a field: seconds, MB/s (10^6 bytes), or peak RSS in MB
# (VmHWM counts kB of 1024 bytes).
field() {
    awk -v want="$1" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        if (want == "seconds") print f["seconds"]
        else if (want == "mbps") print f["bytes"] / f["seconds"] / 1e6
        else if (want == "rss") print f["peak_rss_kb"] * 1024 / 1e6
        else if (want == "impl") print f["impl"]
    }'
}

stat() { printf '%s' "$1" | field "$2" | median; }

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cores=$(awk '/^processor/ { n++ } END { print n }' /proc/cpuinfo)
version=$("$LUA" -v 2>&1 | awk '{ sub(/ +(Copyright|--).*/, ""); print; exit }')
impl=$(printf '%s' "$OURS" | field impl | awk '{ gsub(/_/, " "); print; exit }')

o_s=$(stat "$OURS" seconds)
t_s=$(stat "$THEIRS" seconds)

echo "Machine: ${cpu:-unknown CPU}, $cores cores, $version; body $BYTES bytes, median of $RUNS runs"
echo
echo "| implementation | seconds | MB/s | peak RSS (MB) | LuaSocket time / ours |"
echo "|---|---:|---:|---:|---:|"
awk -v name="ours ($impl)" -v s="$o_s" -v m="$(stat "$OURS" mbps)" \
    -v r="$(stat "$OURS" rss)" -v t="$t_s" \
    'BEGIN { printf "| %s | %.4g | %.0f | %.1f | %.2f |\n", name, s, m, r, t / s }'
awk -v name="LuaSocket" -v s="$t_s" -v m="$(stat "$THEIRS" mbps)" \
    -v r="$(stat "$THEIRS" rss)" \
    'BEGIN { printf "| %s | %.4g | %.0f | %.1f | 1.00 |\n", name, s, m, r }'

# Instruction counts do not drift with machine load: one run of each side
# under callgrind, on a 100 MB body (callgrind is ~50x slower).
if command -v valgrind >/dev/null 2>&1; then
    instructions() {
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
            awk '/Collected :/ { print $NF }'
    }
    small=100000000
    o_ir=$(LUA_PATH="$BUILD/?.lua;;" LUA_CPATH="$BUILD/?.so;;" instructions "$LUA" "$SCRIPT" "$small")
    t_ir=$( (unset LUA_PATH LUA_CPATH LUA_INIT; instructions "$LUA" "$SCRIPT" "$small") )
    echo
    echo "Instructions (callgrind, whole process, $small-byte body): ours $o_ir, LuaSocket $t_ir," \
        "ratio $(awk -v o="$o_ir" -v t="$t_ir" 'BEGIN { printf "%.2f", t / o }') (LuaSocket / ours)"
fi
