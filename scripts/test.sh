#!/usr/bin/env bash
# The test run behind make test, make spec and make soak: builds the module
# for each interpreter given and runs the busted specs on it, several
# interpreters at once, and optionally cargo test and the rock check beside
# them. Each part writes its own log under build/logs/; the logs are printed
# whole at the end, in order, then the closing line
#   busted: N passed, N failed
# The exit status is non-zero when anything failed.
#
#   bash scripts/test.sh [--cargo-test] [--rock-check] INTERPRETER...
#
#   SPEC=spec/tls    spec file or folder to run (default: spec)
#   SOAK="lua5.4"    interpreters that run the specs tagged #soak; the
#                    others leave them out ("all": every one; default: all)
#   SPEC_JOBS=2      busted runs at once (default: 2, for 2 cores)
#
# The builds share one cargo target directory (see the Makefile), so they
# run one after another here, in the foreground; each interpreter's busted
# run starts in the background once its build is done and a slot is free.
# The rock check and cargo test come after the builds, while the busted
# runs go on.
set -u

cargo_test=false
rock_check=false
while [ $# -gt 0 ]; do
    case $1 in
        --cargo-test) cargo_test=true ;;
        --rock-check) rock_check=true ;;
        *) break ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "usage: $0 [--cargo-test] [--rock-check] INTERPRETER..." >&2; exit 2; }

SPEC=${SPEC:-spec}
SOAK=${SOAK:-all}
SPEC_JOBS=${SPEC_JOBS:-2}
LOGS=build/logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*
started=$(date +%s)

soaks_on() {
    case " $SOAK " in
        *" all "* | *" $1 "*) return 0 ;;
        *) return 1 ;;
    esac
}

# busted_on LUA: one busted run; its output goes to $LOGS/LUA.busted, its
# exit status to $LOGS/LUA.status and its seconds to $LOGS/LUA.seconds.
busted_on() {
    local lua=$1 began tags=()
    soaks_on "$lua" || tags=(--exclude-tags=soak)
    began=$(date +%s)
    LUA_PATH="build/$lua/?.lua;spec/support/?.lua;;" \
        LUA_CPATH="build/$lua/?.so;;" \
        SPEC_LUA="$lua" \
        "$lua" /usr/bin/busted -o plainTerminal "${tags[@]}" "$SPEC" >"$LOGS/$lua.busted" 2>&1
    echo $? >"$LOGS/$lua.status"
    echo $(($(date +%s) - began)) >"$LOGS/$lua.seconds"
    echo "-- busted on $lua done in $(cat "$LOGS/$lua.seconds") s"
}

# Interpreters built and waiting for a busted slot, and the busted runs
# going (their pids).
queued=()
running=()

# Starts queued busted runs while fewer than SPEC_JOBS are going; with
# --wait, waits for a slot until the queue is empty.
start_queued() {
    local still pid
    while [ ${#queued[@]} -gt 0 ]; do
        still=()
        for pid in "${running[@]}"; do
            kill -0 "$pid" 2>/dev/null && still+=("$pid")
        done
        running=("${still[@]}")
        if [ ${#running[@]} -lt "$SPEC_JOBS" ]; then
            busted_on "${queued[0]}" &
            running+=($!)
            queued=("${queued[@]:1}")
        elif [ "${1:-}" = --wait ]; then
            wait -n "${running[@]}"
        else
            return
        fi
    done
}

for lua in "$@"; do
    echo "-- building for $lua"
    if make --no-print-directory build LUA="$lua" >"$LOGS/$lua.build" 2>&1 &&
        make --no-print-directory build-debug LUA="$lua" >>"$LOGS/$lua.build" 2>&1; then
        queued+=("$lua")
    else
        echo 1 >"$LOGS/$lua.status"
        echo "-- the build for $lua failed"
    fi
    start_queued
done

status=0
if $rock_check; then
    echo "-- rock check"
    make --no-print-directory rock-check >"$LOGS/rock-check" 2>&1 || status=1
    start_queued
fi
if $cargo_test; then
    echo "-- cargo test"
    cargo test >"$LOGS/cargo-test" 2>&1 || status=1
fi
start_queued --wait
wait

[ ! -f "$LOGS/cargo-test" ] || { echo "== cargo test"; cat "$LOGS/cargo-test"; }
[ ! -f "$LOGS/rock-check" ] || { echo "== rock check"; cat "$LOGS/rock-check"; }

passed=0
failed=0
summary=()
summary_pattern='^([0-9]+) success(es)? / ([0-9]+) failures? / ([0-9]+) errors? / ([0-9]+) pending.*'
for lua in "$@"; do
    if [ ! -f "$LOGS/$lua.busted" ]; then
        echo "== build for $lua"
        cat "$LOGS/$lua.build"
        failed=$((failed + 1))
        status=1
        summary+=("$lua: build failed")
        continue
    fi
    echo "== busted on $lua ($SPEC)"
    cat "$LOGS/$lua.busted"
    counts=$(sed -n -E "s#$summary_pattern#\\1 \\3 \\4#p" "$LOGS/$lua.busted" | tail -n 1)
    if [ -z "$counts" ]; then
        failed=$((failed + 1))
        status=1
        summary+=("$lua: busted printed no summary")
        continue
    fi
    read -r ok failures errors <<<"$counts"
    passed=$((passed + ok))
    failed=$((failed + failures + errors))
    [ "$(cat "$LOGS/$lua.status")" -eq 0 ] || status=1
    summary+=("$lua: $ok passed, $((failures + errors)) failed in $(cat "$LOGS/$lua.seconds") s")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
seconds=$(($(date +%s) - started))
echo "wall time: $((seconds / 60)) min $((seconds % 60)) s"
echo "busted: $passed passed, $failed failed"
exit $status
