#!/bin/sh
# make valgrind: the busted suite on lua5.4 under valgrind's memcheck, with
# the module built with line tables (optimised as released) into
# build/valgrind/. Fails when busted fails, when memcheck finds any invalid
# read or write, any definitely lost block allocated in the module
# (socket/smtp/core.so), or any other error memcheck reports (definite
# leaks count as errors; nothing is suppressed).
#
#   sh scripts/valgrind.sh [spec files]     (default: every spec under spec/)
#
# Two memcheck runs, each one busted process:
#
# 1. every spec but the TLS ones, with every check;
# 2. the specs that run TLS (those that load spec/support/certificates.lua:
#    spec/tls, spec/faults/matrix_spec, spec/support/servers_spec), without
#    uninitialised-value checks.
#    Memcheck loses track of definedness inside ring's AES-GCM assembly
#    (rustls's crypto provider, linked into the module): it flags the tag
#    check of every record, and then the records' bytes wherever they go
#    (the socket's send, Lua's string hashing). The same report comes from
#    the crate's own in-process rustls test, without Lua or our I/O:
#      cargo test --lib --no-run      # names the test binary
#      valgrind --track-origins=yes <that binary> starttls_discards_plain_text
#    (origin there: a stack allocation in rustls's
#    AeadAlgorithm::decrypter); the tags verify, so the bits flagged are
#    never used. Invalid reads and
#    writes and leaks are still checked there.
#
# Settings, from the environment:
#   SPEC_SLOWDOWN=10   passed to the specs (spec/support/pace.lua):
#                      spec/memory's workload shrinks by it
#
# Only the interpreter is traced: the servers the specs start, and the
# fresh interpreters some specs run, are processes of their own, and run
# natively. The logs stay in build/valgrind/: memcheck-*.log, busted-*.log.

set -u
[ -f scripts/valgrind.sh ] || { echo "run me from the project root" >&2; exit 1; }
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is missing: make deps" >&2; exit 1; }

LUA=lua5.4
BUILD=build/valgrind
SLOWDOWN=${SPEC_SLOWDOWN:-10}
# Memcheck's own exit status for errors, told apart from busted's.
VALGRIND_ERRORS=99

# shellcheck disable=SC2046 # spec file names have no blanks
[ $# -gt 0 ] || set -- $(find spec -name '*_spec.lua' | sort)
plain=
tls=
for spec in "$@"; do
    if grep -q 'require("certificates")' "$spec"; then
        tls="$tls $spec"
    else
        plain="$plain $spec"
    fi
done

echo "== building $BUILD (line tables, target/valgrind)"
mkdir -p "$BUILD"
# The plain build is spec/module/panic_spec.lua's; that spec runs it natively.
if ! { CARGO_PROFILE_RELEASE_DEBUG=line-tables-only make --no-print-directory build \
    LUA="$LUA" BUILD="$BUILD" TARGET=target/valgrind &&
    make --no-print-directory build LUA="$LUA"; } >"$BUILD/build.log" 2>&1; then
    cat "$BUILD/build.log"
    exit 1
fi

status=0
summaries=

# memcheck NAME "MEMCHECK OPTIONS" SPECS...: one busted run under memcheck;
# adds its summary to $summaries and sets status=1 when it fails.
memcheck() {
    name=$1
    options=$2
    shift 2
    log=$BUILD/memcheck-$name.log
    echo "== $name: busted on $LUA under memcheck ${options:-(every check)}, SPEC_SLOWDOWN=$SLOWDOWN"
    started=$(date +%s)
    {
        # shellcheck disable=SC2086 # $options is a list of valgrind options
        LUA_PATH="$BUILD/?.lua;spec/support/?.lua;;" LUA_CPATH="$BUILD/?.so;;" \
        SPEC_LUA="$LUA" SPEC_BUILD="$BUILD" SPEC_SLOWDOWN="$SLOWDOWN" \
            valgrind --tool=memcheck --error-exitcode=$VALGRIND_ERRORS $options \
                --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite \
                --keep-debuginfo=yes --num-callers=40 \
                --log-file="$log" "$LUA" /usr/bin/busted -o plainTerminal "$@" 2>&1
        echo $? >"$BUILD/exit-$name"
    } | tee "$BUILD/busted-$name.log"
    code=$(cat "$BUILD/exit-$name")
    seconds=$(( $(date +%s) - started ))

    # busted's own verdict, from its closing line: memcheck's exit status
    # replaces busted's when it found errors.
    counts=$(sed -n -E 's#^([0-9]+) success(es)? / ([0-9]+) failures? / ([0-9]+) errors? / ([0-9]+) pending.*#\1 \3 \4 \5#p' \
        "$BUILD/busted-$name.log" | tail -n 1)
    # Each error and leak record in the log starts with a line naming it,
    # then its stack, up to an empty line. A frame is the module's when its
    # object is core.so or its function a Rust path (with line tables
    # valgrind names the source file instead of the object; the module is
    # the only Rust code in the process). lua_close unloads the module
    # before the leak check: --keep-debuginfo keeps its frames named.
    invalid=$(grep -cE '^==[0-9]+== Invalid (read|write)' "$log")
    module_leaks=$(awk '
        /^==[0-9]+== [^ ].* are definitely lost in loss record/ { record = 1; found = 0; next }
        record && /socket\/smtp\/core\.so|: [^ (]*::/ { found = 1 }
        record && /^==[0-9]+== $/ { if (found) n++; record = 0 }
        END { print n + 0 }' "$log")

    summary="
== $name ($log)
ran: $(echo "$@" | sed 's#spec/##g') in $((seconds / 60)) min $((seconds % 60)) s
$(grep -E '^==[0-9]+== (ERROR SUMMARY|   definitely lost|   indirectly lost|     possibly lost|   still reachable|      suppressed|  total heap usage|All heap blocks)' "$log" |
    sed -E 's/^==[0-9]+== +//')
invalid reads and writes: $invalid
definitely lost blocks allocated in the module: $module_leaks"
    if [ -z "$counts" ]; then
        summary="$summary
FAILED: busted printed no summary"
        status=1
    else
        # shellcheck disable=SC2086 # $counts splits into the four numbers
        set -- $counts
        summary="$summary
busted: $1 passed, $(($2 + $3)) failed, $4 pending"
        [ $(($2 + $3)) -eq 0 ] || status=1
    fi
    case $code in
        0) ;;
        "$VALGRIND_ERRORS") summary="$summary
FAILED: memcheck found errors"; status=1 ;;
        *) summary="$summary
FAILED: busted exited with $code"; status=1 ;;
    esac
    [ "$invalid" -eq 0 ] || { summary="$summary
FAILED: invalid reads or writes"; status=1; }
    [ "$module_leaks" -eq 0 ] || { summary="$summary
FAILED: the module leaks"; status=1; }
    summaries="$summaries
$summary"
}

# shellcheck disable=SC2086 # $plain is a list of spec files
[ -z "$plain" ] || memcheck all "" $plain
# shellcheck disable=SC2086 # $tls is a list of spec files
[ -z "$tls" ] || memcheck tls "--undef-value-errors=no" $tls

echo "$summaries"
echo
if [ $status -eq 0 ]; then echo "memcheck: clean"; else echo "memcheck: FAILED"; fi
exit $status
