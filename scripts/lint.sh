#!/bin/sh
# make lint: the code-quality checks, in this order, each run and reported
# even when one before it failed, so that one run shows every problem:
#
#   cargo fmt --check
#   cargo clippy --all-targets -- -D warnings   (the lints: Cargo.toml [lints])
#   luacheck lua spec                           (the settings: .luacheckrc)
#   and shellcheck scripts/*.sh bench/*.sh demo/*.sh .ci/run
#
# Exits 1 if any failed. luacheck and shellcheck come from make deps
# (scripts/install-deps.sh); rustup's clippy and rustfmt are added here
# when cargo lacks them.
#
#   sh scripts/lint.sh            from anywhere in the tree
set -u
cd "$(dirname "$0")/.." || exit 1

if ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
    echo "== adding rustup's clippy and rustfmt"
    rustup component add clippy rustfmt
fi

passed=""
failed=""

# check NAME COMMAND...: runs COMMAND and files NAME under passed or failed.
check() {
    name=$1
    shift
    echo "== $name: $*"
    "$@"
    status=$?
    if [ "$status" -eq 0 ]; then
        passed="$passed $name"
        return
    fi
    [ "$status" -eq 127 ] && echo "$name: $1 is not installed (make deps installs it)"
    echo "$name: FAILED (exit status $status)"
    failed="$failed $name"
}

check rustfmt cargo fmt --check
check clippy cargo clippy --all-targets -- -D warnings
check luacheck luacheck lua spec
check shellcheck shellcheck scripts/*.sh bench/*.sh demo/*.sh .ci/run

echo
if [ -n "$failed" ]; then
    echo "lint: FAILED:$failed${passed:+ (passed:$passed)}"
    exit 1
fi
echo "lint: passed:$passed"
