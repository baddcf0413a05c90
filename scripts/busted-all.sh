#!/bin/sh
# Builds the module for each interpreter given (and its debug build, for
# spec/panic_spec.lua) and runs the busted specs on it, then prints one
# total line. Exits non-zero if any run failed.
set -u

mkdir -p build
passed=0
failed=0
status=0
for interpreter in "$@"; do
    echo "== busted on $interpreter"
    if ! { make --no-print-directory build LUA="$interpreter" &&
        make --no-print-directory build-debug LUA="$interpreter"; } >"build/$interpreter.build.log" 2>&1; then
        cat "build/$interpreter.build.log"
        failed=$((failed + 1))
        status=1
        continue
    fi
    output=$(LUA_PATH="build/$interpreter/?.lua;spec/support/?.lua;;" \
        LUA_CPATH="build/$interpreter/?.so;;" \
        SPEC_LUA="$interpreter" \
        "$interpreter" /usr/bin/busted -o plainTerminal spec 2>&1)
    code=$?
    echo "$output"
    counts=$(echo "$output" | sed -n -E \
        's#^([0-9]+) success(es)? / ([0-9]+) failures? / ([0-9]+) errors? / ([0-9]+) pending.*#\1 \3 \4#p' | tail -n 1)
    if [ -z "$counts" ]; then
        echo "busted printed no summary on $interpreter"
        failed=$((failed + 1))
        status=1
        continue
    fi
    ok=$(echo "$counts" | cut -d' ' -f1)
    bad=$(( $(echo "$counts" | cut -d' ' -f2) + $(echo "$counts" | cut -d' ' -f3) ))
    passed=$((passed + ok))
    failed=$((failed + bad))
    [ "$code" -eq 0 ] || status=1
done
echo "busted: $passed passed, $failed failed"
exit $status
