#!/bin/sh
# Installs the Debian packages the build, the specs, the demo, the
# benchmarks and make lint use, when any is missing: apt-get as root, else
# through sudo; then mailparser and mailauth for the specs, from npm, when
# they are missing or were installed from another
# spec/support/node/package-lock.json.
set -eu

# LuaJIT is OpenResty's branch (luajit2), the one Debian's nginx Lua module
# links: the nginx specs and the LuaJIT specs share it. Installing it
# removes Debian's plain luajit and libluajit-5.1-dev, which conflict with it.
packages="lua5.1 lua5.2 lua5.3 lua5.4 luajit2 liblua5.1-0-dev liblua5.2-dev
liblua5.3-dev liblua5.4-dev libluajit2-5.1-dev lua-busted lua-socket lua-copas
lua-cqueues luarocks python3-aiosmtpd python3-dkim python3-nacl postfix openssl
ca-certificates lua-sec valgrind lua-check shellcheck nginx
libnginx-mod-http-lua"

missing=""
for package in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $package" ;;
    esac
done

# Node.js and npm run spec/support/parse_mail.js: Debian's, unless some are
# on PATH already (NodeSource's nodejs, for one, brings its own npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
    echo "installing:$missing"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    # postfix is wanted for smtp-sink and smtp-source, and for the private
    # instances of spec/support/postfix_server.lua, which need no system
    # configuration: no mail system, no /etc/postfix/main.cf.
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    $sudo apt-get update -qq
    # shellcheck disable=SC2086 # $missing is a list of words, split on purpose
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    # Where systemd runs, Debian's nginx package starts the system's nginx
    # on port 80. The specs start private ones of their own: one that this
    # install started is stopped and disabled again.
    case " $missing " in
        *" nginx "*)
            if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
                echo "stopping and disabling the system's nginx, which installing the package started"
                $sudo systemctl disable --now nginx
            fi ;;
    esac
fi

# mailparser and mailauth at the versions the lock pins, into
# spec/support/node/node_modules.
# A copy of the lock there marks the install done: npm ci (which empties
# node_modules first) runs again only when the lock changed.
node_project="$(dirname "$0")/../spec/support/node"
if ! cmp -s "$node_project/package-lock.json" "$node_project/node_modules/.installed-lock.json"; then
    echo "installing mailparser and mailauth into spec/support/node/node_modules"
    npm ci --prefix "$node_project" --no-audit --no-fund
    cp "$node_project/package-lock.json" "$node_project/node_modules/.installed-lock.json"
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo (Rust 1.88 or newer) is needed to build luasmtp; install it with rustup" >&2
    exit 1
fi
