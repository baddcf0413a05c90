#!/bin/sh
# Checks the rock (luasmtp-scm-1.rockspec) with LuaRocks and Lua 5.4, in
# temporary trees that are always removed. Run from the project root; exits
# non-zero if a check failed.
#
# 1. `luarocks make` into a fresh tree; with that tree's `luarocks path`,
#    require("socket.smtp") is ours although Debian's LuaSocket has a
#    socket/smtp.lua on the system path.
# 2. A fake `luasocket` rock that also ships socket.smtp, installed into one
#    tree after luasmtp and into another before it: LuaRocks deploys the
#    plain socket/smtp.lua for the rock whose name sorts first (luasmtp), and
#    moves the other to a versioned name, whichever came first.
#
# The rock's cargo build shares make build's target directory (see the
# Makefile's rock-build): right after make build LUA=lua5.4 it compiles
# nothing.
set -u

LUA_VERSION=5.4
LUA=lua$LUA_VERSION
ROCKSPEC=luasmtp-scm-1.rockspec
FAKE_VERSION=3.1.0-1
# path.versioned_name in LuaRocks: <name>_<version with . and - as _>-<path>
FAKE_VERSIONED=luasocket_3_1_0_1-socket/smtp.lua

if [ ! -f "$ROCKSPEC" ] || [ ! -f Cargo.toml ]; then
    echo "rock-check: run from the project root (no $ROCKSPEC here)" >&2
    exit 2
fi
for command in luarocks "$LUA" cargo make; do
    if ! command -v "$command" >/dev/null 2>&1; then
        echo "rock-check: $command not found" >&2
        exit 2
    fi
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
ours="luasmtp $version"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rock-check.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Only the trees' paths should decide what require finds.
unset LUA_INIT LUA_INIT_5_4 LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4

status=0
pass() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; status=1; }

rocks() {
    rocks_tree=$1
    shift
    luarocks --lua-version "$LUA_VERSION" --tree "$rocks_tree" "$@"
}

# install_luasmtp TREE: luarocks make from the project root
install_luasmtp() {
    log="$tmp/make-luasmtp.log"
    if rocks "$1" make "$ROCKSPEC" >"$log" 2>&1; then
        return 0
    fi
    cat "$log"
    fail "luarocks make $ROCKSPEC into $1"
    return 1
}

# install_fake TREE: the fake luasocket rock, from its own directory
install_fake() {
    log="$tmp/make-luasocket.log"
    if (cd "$tmp/fake" && rocks "$1" make "luasocket-$FAKE_VERSION.rockspec") >"$log" 2>&1; then
        return 0
    fi
    cat "$log"
    fail "luarocks make luasocket-$FAKE_VERSION.rockspec into $1"
    return 1
}

# smtp_in TREE: "<_VERSION>|<file>" of socket.smtp with the tree's paths
smtp_in() {
    (
        eval "$(rocks "$1" path)" || exit 1
        "$LUA" -e 'local s = require("socket.smtp")
            io.write(tostring(s._VERSION), "|",
                package.searchpath("socket.smtp", package.path), "\n")'
    ) 2>&1
}

# expect_smtp TREE WANT-VERSION WHAT: require("socket.smtp") from TREE
expect_smtp() {
    got=$(smtp_in "$1")
    got_version=${got%%|*}
    got_file=${got#*|}
    want_file="$1/share/lua/$LUA_VERSION/socket/smtp.lua"
    if [ "$got_version" = "$2" ] && [ "$got_file" = "$want_file" ]; then
        pass "$3: require(\"socket.smtp\")._VERSION is \"$2\", from $got_file"
    else
        fail "$3: require(\"socket.smtp\") gave \"$got\", want \"$2|$want_file\""
    fi
}

# expect_versioned_fake TREE WHAT: luasocket's copy moved aside, and the
# tree manifest lists luasmtp first for socket.smtp
expect_versioned_fake() {
    aside="$1/share/lua/$LUA_VERSION/$FAKE_VERSIONED"
    if [ -f "$aside" ] && grep -q 'fake luasocket' "$aside"; then
        pass "$2: luasocket's socket.smtp deployed as $FAKE_VERSIONED"
    else
        fail "$2: no $aside"
    fi
    providers=$(MANIFEST="$1/lib/luarocks/rocks-$LUA_VERSION/manifest" "$LUA" -e '
        local m = {}
        assert(loadfile(os.getenv("MANIFEST"), "t", m))()
        print(table.concat(m.modules["socket.smtp"] or {}, " "))' 2>&1)
    if [ "$providers" = "luasmtp/scm-1 luasocket/$FAKE_VERSION" ]; then
        pass "$2: manifest providers of socket.smtp: $providers"
    else
        fail "$2: manifest providers of socket.smtp: \"$providers\""
    fi
}

# The fake luasocket rock: only socket.smtp, as a tiny Lua file.
mkdir -p "$tmp/fake"
echo 'return { _VERSION = "fake luasocket" }' >"$tmp/fake/smtp.lua"
cat >"$tmp/fake/luasocket-$FAKE_VERSION.rockspec" <<EOF
package = "luasocket"
version = "$FAKE_VERSION"
source = { url = "git+https://example.invalid/fake-luasocket" }
description = { summary = "fake luasocket for rock-check: claims socket.smtp" }
dependencies = { "lua >= 5.1" }
build = { type = "builtin", modules = { ["socket.smtp"] = "smtp.lua" } }
EOF

echo "== luarocks $(luarocks --version | sed -n '1s/.* //p'), $LUA, expecting \"$ours\""

system=$("$LUA" -e 'print(package.searchpath("socket.smtp", package.path) or "none")')
echo "      without a rocks tree, socket.smtp is $system"

# 1, and the first half of 2: luasmtp first, then luasocket.
tree="$tmp/luasmtp-first"
echo "== $tree: luarocks make $ROCKSPEC, then luasocket $FAKE_VERSION"
if install_luasmtp "$tree"; then
    for file in "share/lua/$LUA_VERSION/socket/smtp.lua" \
        "lib/lua/$LUA_VERSION/socket/smtp/core.so"; do
        if [ -f "$tree/$file" ]; then
            pass "installed $file"
        else
            fail "$file is not in the tree"
        fi
    done
    expect_smtp "$tree" "$ours" "luasmtp alone"
    if install_fake "$tree"; then
        expect_smtp "$tree" "$ours" "luasocket installed after luasmtp"
        expect_versioned_fake "$tree" "luasocket installed after luasmtp"
    fi
fi

# The second half of 2: luasocket first, then luasmtp.
tree="$tmp/luasocket-first"
echo "== $tree: luasocket $FAKE_VERSION, then luarocks make $ROCKSPEC"
if install_fake "$tree"; then
    expect_smtp "$tree" "fake luasocket" "luasocket alone"
    if install_luasmtp "$tree"; then
        expect_smtp "$tree" "$ours" "luasmtp installed after luasocket"
        expect_versioned_fake "$tree" "luasmtp installed after luasocket"
    fi
fi

if [ "$status" -eq 0 ]; then
    echo "rock-check: all checks passed"
else
    echo "rock-check: FAILED"
fi
exit "$status"
