#!/bin/sh
# Installs the Debian packages the build, the specs, the demo, the
# benchmarks and make lint use, when any is missing: apt-get as root, else
# through sudo. Given package names, those instead (make bench: nodejs and
# npm, which only its nodemailer client needs).
set -eu

packages="lua5.1 lua5.2 lua5.3 lua5.4 luajit liblua5.1-0-dev liblua5.2-dev
liblua5.3-dev liblua5.4-dev libluajit-5.1-dev lua-busted lua-socket lua-copas
luarocks python3-aiosmtpd postfix openssl ca-certificates lua-sec valgrind
lua-check shellcheck"
[ "$#" -eq 0 ] || packages="$*"

missing=""
for package in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $package" ;;
    esac
done

if [ -n "$missing" ]; then
    echo "installing:$missing"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    # postfix is wanted only for smtp-sink and smtp-source: no mail system.
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    $sudo apt-get update -qq
    # shellcheck disable=SC2086 # $missing is a list of words, split on purpose
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo (Rust 1.88 or newer) is needed to build luasmtp; install it with rustup" >&2
    exit 1
fi
