#!/bin/sh
# Runs each cargo-fuzz target in fuzz/ for FUZZ_SECONDS seconds (default 60)
# and prints a Markdown table: target, seconds, executions, result. Run from
# the project root; exits non-zero if a target failed.
#
# cargo-fuzz instruments with -Zsanitizer=address, a nightly-only flag, so
# the targets are built with rustup's nightly (`cargo +nightly fuzz`). On a
# machine without nightly, stable with RUSTC_BOOTSTRAP=1 (which lets stable
# accept -Z flags; its standard library ships the ASan runtime too) is used
# instead. FUZZ_TOOLCHAIN overrides the choice.
#
# Executions are libFuzzer's own count (-print_final_stats=1,
# stat::number_of_executed_units). Each target's corpus grows in
# fuzz/corpus/<target>/ from run to run; a failing input is written to
# fuzz/artifacts/<target>/ and the run's output to fuzz/logs/<target>.log
# (all three ignored by git). A single input running past 20 s counts as a
# failure (-timeout=20).
set -u

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"reply_parser ehlo_extensions dot_stuff compose_message dkim_sign"}

if [ ! -f fuzz/Cargo.toml ]; then
    echo "fuzz: run from the project root (no fuzz/Cargo.toml here)" >&2
    exit 2
fi
case $seconds in
    '' | *[!0-9]*)
        echo "fuzz: FUZZ_SECONDS must be a whole number of seconds" >&2
        exit 2
        ;;
esac

if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
    toolchain=$FUZZ_TOOLCHAIN
elif cargo +nightly --version >/dev/null 2>&1; then
    toolchain=nightly
else
    toolchain=stable
    export RUSTC_BOOTSTRAP=1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== cargo install cargo-fuzz --locked"
    cargo install cargo-fuzz --locked || exit 2
fi

echo "== cargo +$toolchain fuzz build ($(rustc +"$toolchain" --version))"
for target in $targets; do
    cargo +"$toolchain" fuzz build "$target" || exit 2
done

mkdir -p fuzz/logs
status=0
table="| target | seconds | executions | result |
|---|---:|---:|---|"
for target in $targets; do
    log=fuzz/logs/$target.log
    echo "== $target for $seconds s (output in $log)"
    cargo +"$toolchain" fuzz run "$target" -- \
        -max_total_time="$seconds" -timeout=20 -print_final_stats=1 >"$log" 2>&1
    code=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$code" -eq 0 ]; then
        result=clean
    else
        status=1
        artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
        if [ -n "$artifact" ]; then
            result="crash: \`$artifact\`"
        else
            result="failed (exit $code), see \`$log\`"
        fi
        tail -n 30 "$log"
    fi
    table="$table
| \`$target\` | $seconds | ${executions:-?} | $result |"
done

echo
echo "$table"
exit $status
