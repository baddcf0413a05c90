#!/usr/bin/env bash
# The test run behind make test, make spec and make soak: builds the module
# for each interpreter given and runs the busted specs on it, several runs
# at once, and optionally cargo test and the rock check beside them. Each
# part writes its own log under build/logs/; the logs are printed whole at
# the end, in order, then a summary and the closing line
#   busted: N passed, N failed
# The exit status is non-zero when anything failed.
#
#   bash scripts/test.sh [--cargo-test] [--rock-check] INTERPRETER...
#
#   SPEC=spec/tls    spec file or folder to run (default: spec)
#   SOAK="lua5.4"    interpreters that run the specs tagged #soak, in a busted
#                    run of their own; the others leave them out. "all"
#                    (the default): every interpreter runs them with the rest
#   SPEC_JOBS=4      busted runs at once (default: 4: much of a run waits
#                    on its servers, so two cores take four)
#
# The builds share one cargo target directory (see the Makefile), so they
# run one after another here, in the foreground; each interpreter's busted
# runs start in the background once its build is done and a slot is free.
# The rock check builds for Lua 5.4: it runs right after that build, while
# the crate compiled for it is the target directory's (the cdylib's file
# name carries no hash of the features, so any other build in between
# would make it compile the crate again). cargo test comes after the
# builds, while the busted runs go on.
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
SPEC_JOBS=${SPEC_JOBS:-4}
LOGS=build/logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*
started=$(date +%s)

# Progress, with the seconds since the start.
say() { printf -- '-- %3d s  %s\n' $(($(date +%s) - started)) "$*"; }

# A busted run is named LUA (every spec, or all but #soak) or LUA-soak (the
# #soak specs only).
runs_of() {
    if [ "$SOAK" = all ]; then
        echo "$1"
    else
        case " $SOAK " in *" $1 "*) echo "$1-soak" ;; esac
        echo "$1"
    fi
}

# busted_process LUA ARGUMENTS...: busted on the build for LUA.
busted_process() {
    local lua=$1
    shift
    LUA_PATH="build/$lua/?.lua;spec/support/?.lua;;" \
        LUA_CPATH="build/$lua/?.so;;" \
        SPEC_LUA="$lua" \
        "$lua" /usr/bin/busted -o plainTerminal "$@"
}

# busted_run NAME: one busted run; its output goes to $LOGS/NAME.busted,
# its exit status to $LOGS/NAME.status, its seconds to $LOGS/NAME.seconds.
# spec/memory measures its own process's RSS and Lua heap, so where it runs
# beside other specs it gets a busted process of its own, first: what the
# others allocated (a 100 MB message, which Lua 5.4's generational collector
# goes on counting for a while) would show in its figures.
busted_run() {
    local name=$1 lua=${1%-soak} began status=0 tags=()
    if [ "$SOAK" != all ]; then
        case $name in
            *-soak) tags=(--tags=soak) ;;
            *) tags=(--exclude-tags=soak) ;;
        esac
    fi
    began=$(date +%s)
    {
        if [ "$SPEC" = spec ] && [ "${tags[*]-}" != --exclude-tags=soak ]; then
            busted_process "$lua" "${tags[@]}" spec/memory || status=1
            busted_process "$lua" "${tags[@]}" --exclude-pattern=memory_spec spec || status=1
        else
            busted_process "$lua" "${tags[@]}" "$SPEC" || status=1
        fi
    } >"$LOGS/$name.busted" 2>&1
    echo "$status" >"$LOGS/$name.status"
    echo $(($(date +%s) - began)) >"$LOGS/$name.seconds"
    say "busted $name done in $(cat "$LOGS/$name.seconds") s"
}

# Runs built and waiting for a slot, the runs going (their pids), and every
# run's name in order, for the report.
queued=()
running=()
names=()

# Starts queued runs while fewer than SPEC_JOBS are going; with --wait,
# waits for a slot until the queue is empty.
start_queued() {
    local still pid
    while [ ${#queued[@]} -gt 0 ]; do
        still=()
        for pid in "${running[@]}"; do
            kill -0 "$pid" 2>/dev/null && still+=("$pid")
        done
        running=("${still[@]}")
        if [ ${#running[@]} -lt "$SPEC_JOBS" ]; then
            say "busted ${queued[0]} started"
            busted_run "${queued[0]}" &
            running+=($!)
            queued=("${queued[@]:1}")
        elif [ "${1:-}" = --wait ]; then
            wait -n "${running[@]}"
        else
            return
        fi
    done
}

# The rock check, once.
check_rock() {
    $rock_check || return 0
    rock_check=false
    say "rock check"
    make --no-print-directory rock-check >"$LOGS/rock-check" 2>&1 || status=1
    start_queued
}

status=0
for lua in "$@"; do
    say "building for $lua"
    if make --no-print-directory build LUA="$lua" >"$LOGS/$lua.build" 2>&1; then
        for name in $(runs_of "$lua"); do
            queued+=("$name")
            names+=("$name")
        done
    else
        say "the build for $lua failed"
        names+=("$lua")
        status=1
    fi
    start_queued
    [ "$lua" != lua5.4 ] || check_rock
done
check_rock
if $cargo_test; then
    say "cargo test"
    cargo test >"$LOGS/cargo-test" 2>&1 || status=1
fi
start_queued --wait
wait
say "all done"

[ ! -f "$LOGS/cargo-test" ] || { echo "== cargo test"; cat "$LOGS/cargo-test"; }
[ ! -f "$LOGS/rock-check" ] || { echo "== rock check"; cat "$LOGS/rock-check"; }

passed=0
failed=0
summary=()
summary_pattern='^([0-9]+) success(es)? / ([0-9]+) failures? / ([0-9]+) errors? / ([0-9]+) pending.*'
for name in "${names[@]}"; do
    if [ ! -f "$LOGS/$name.busted" ]; then
        echo "== build for $name"
        cat "$LOGS/$name.build"
        failed=$((failed + 1))
        summary+=("$name: build failed")
        continue
    fi
    echo "== busted $name ($SPEC)"
    cat "$LOGS/$name.busted"
    # One summary line for each busted process of the run.
    counts=$(sed -n -E "s#$summary_pattern#\\1 \\3 \\4#p" "$LOGS/$name.busted" |
        awk '{ ok += $1; failures += $2; errors += $3 } END { if (NR) print ok, failures, errors }')
    if [ -z "$counts" ]; then
        failed=$((failed + 1))
        status=1
        summary+=("$name: busted printed no summary")
        continue
    fi
    read -r ok failures errors <<<"$counts"
    passed=$((passed + ok))
    failed=$((failed + failures + errors))
    [ "$(cat "$LOGS/$name.status")" -eq 0 ] || status=1
    summary+=("$name: $ok passed, $((failures + errors)) failed in $(cat "$LOGS/$name.seconds") s")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
seconds=$(($(date +%s) - started))
echo "wall time: $((seconds / 60)) min $((seconds % 60)) s"
echo "busted: $passed passed, $failed failed"
exit $status
