# make [LUA=lua5.4]   build the module for one interpreter into build/$(LUA)/
# make test           install what is missing, then cargo test, the rock
#                     check and busted on all five interpreters, four at a
#                     time (scripts/test.sh); the #soak specs run on
#                     $(SOAK_LUA) only
# make spec LUA=lua5.4 [SPEC=spec/tls]
#                     busted on one interpreter, one spec file or folder
#                     (default: all of spec/, #soak included)
# make lint           cargo fmt --check, clippy -D warnings, luacheck over
#                     lua/ and spec/, shellcheck over the scripts
# make soak           the #soak specs (spec/memory: 100,000 sends, 1 GiB
#                     bodies) on all five interpreters
# make demo           send the manual's attachment example to aiosmtpd on
#                     loopback and show what arrived
# make bench          bench/run.sh: against smtp-sink on loopback, ours beside
#                     LuaSocket, smtplib and smtp-source: messages/s (one
#                     connection each, one session), a 1 GiB attachment,
#                     instruction counts; composing and sending a message
#                     beside nodemailer, lettre and Python's email; one
#                     Markdown report
# make rock-check     luarocks make into temporary trees (see scripts/rock-check.sh)
# make fuzz           scripts/fuzz.sh: each cargo-fuzz target in fuzz/ for
#                     FUZZ_SECONDS (default 60), built with nightly; one
#                     Markdown table of executions and results
# make valgrind       scripts/valgrind.sh: the busted suite on lua5.4 under
#                     valgrind's memcheck; fails on invalid reads or writes
#                     and on leaks from the module (not part of make test)

LUA ?= lua5.4
# In make test's order after $(SOAK_LUA): luajit's run, which has the nginx
# specs too, is the longest, so it starts early rather than last.
INTERPRETERS := luajit lua5.1 lua5.2 lua5.3 lua5.4
# The interpreter that runs the #soak specs in make test; make soak runs
# them on all five.
SOAK_LUA := lua5.4
SPEC ?= spec

feature_lua5.1 := lua51
feature_lua5.2 := lua52
feature_lua5.3 := lua53
feature_lua5.4 := lua54
feature_luajit := luajit
FEATURE = $(or $(feature_$(LUA)),$(error LUA must be one of $(INTERPRETERS)))

BUILD := build/$(LUA)
# One cargo target directory for every interpreter: the dependencies are
# compiled once, and only mlua and the crate itself again per interpreter.
# Each build/ tree is remade only when a source is newer than its core.so.
TARGET := target
CARGO_FLAGS = --release --no-default-features --features module,$(FEATURE) --target-dir $(TARGET)

.PHONY: all build deps test spec soak lint demo bench fuzz valgrind clean rock-build rock-install rock-check

all: build

# The Lua half of the module: socket/smtp.lua and socket/smtp/*.lua.
LUA_SOURCES := $(patsubst lua/%,%,$(wildcard lua/socket/*.lua lua/socket/smtp/*.lua))

RUST_SOURCES := Cargo.toml Cargo.lock $(shell find src -name '*.rs')

build: $(addprefix $(BUILD)/,$(LUA_SOURCES)) $(BUILD)/socket/smtp/core.so

$(BUILD)/%.lua: lua/%.lua
	install -D -m 644 $< $@

$(BUILD)/socket/smtp/core.so: $(RUST_SOURCES)
	cargo build $(CARGO_FLAGS)
	install -D -m 755 $(TARGET)/release/libluasmtp.so $@

deps:
	sh scripts/install-deps.sh

test: deps
	SOAK="$(SOAK_LUA)" bash scripts/test.sh --cargo-test --rock-check $(SOAK_LUA) $(filter-out $(SOAK_LUA),$(INTERPRETERS))

spec: deps
	SPEC="$(SPEC)" SOAK=all bash scripts/test.sh $(LUA)

soak: deps
	SPEC=spec/memory SOAK=all bash scripts/test.sh $(INTERPRETERS)

demo: deps
	$(MAKE) build LUA=$(LUA)
	sh demo/send_example.sh $(LUA) $(BUILD)

# The compose row's peers. nodemailer: from npm into bench/node/node_modules
# (npm ci rewrites its .package-lock.json); make deps installs node and npm.
BENCH_NODEMAILER := bench/node/node_modules/.package-lock.json
$(BENCH_NODEMAILER): bench/node/package.json bench/node/package-lock.json
	cd bench/node && npm ci --no-audit --no-fund

# lettre: bench/lettre is a Cargo project of its own (not a dependency of
# the module), built in its own target directory.
BENCH_LETTRE := build/bench-lettre/release/compose-rate-lettre
$(BENCH_LETTRE): bench/lettre/Cargo.toml bench/lettre/Cargo.lock bench/lettre/src/main.rs
	cargo build --release --locked --manifest-path bench/lettre/Cargo.toml --target-dir build/bench-lettre

# Prerequisites in order: deps first, for node and npm.
bench: deps
	$(MAKE) $(BENCH_NODEMAILER) $(BENCH_LETTRE)
	$(MAKE) build LUA=$(LUA)
	$(MAKE) build LUA=luajit # part 8: nginx runs the LuaJIT build
	sh bench/run.sh $(LUA)

fuzz:
	sh scripts/fuzz.sh

valgrind: deps
	sh scripts/valgrind.sh

# scripts/lint.sh: rustfmt, clippy, luacheck and shellcheck, each reported
lint: deps
	sh scripts/lint.sh

clean:
	rm -rf build target

# LuaRocks: luasmtp-scm-1.rockspec (build.type = "make") runs
#   make rock-build   LUA=<interpreter path>
#   make rock-install LUA=<interpreter path> INST_LUADIR=<dir> INST_LIBDIR=<dir>
# LuaRocks passes the interpreter as a path (/usr/bin/lua5.1, .../luajit), so
# the cargo feature comes from asking it; LuaJIT's _VERSION is "Lua 5.1".
# It shares `make build`'s cargo target directory.
# make rock-check     scripts/rock-check.sh: luarocks make into temporary trees,
#                     with a fake luasocket rock claiming socket.smtp too
ROCK_LUA_ID = $(shell $(LUA) -e 'print(jit and "luajit" or _VERSION)' 2>/dev/null)
ROCK_FEATURE = $(or $(filter lua51 lua52 lua53 lua54 luajit,$(subst Lua 5.,lua5,$(ROCK_LUA_ID))),$(error cannot tell which Lua LUA=$(LUA) is (it printed "$(ROCK_LUA_ID)")))
ROCK_TARGET = $(TARGET)

# LuaRocks passes its CC, CFLAGS and LD, which make exports; the only C
# built here is ring's, whose build script picks its own compiler. Left in
# the environment they would make cargo rebuild ring and all above it (a
# minute), instead of sharing make build's.
rock-build:
	env -u CC -u CFLAGS -u LD -u LDFLAGS -u AR cargo build --release --no-default-features --features module,$(ROCK_FEATURE) --target-dir $(ROCK_TARGET)

rock-install:
	@test -n "$(INST_LUADIR)" && test -n "$(INST_LIBDIR)" || \
		{ echo "rock-install needs INST_LUADIR and INST_LIBDIR (the rockspec passes them)" >&2; exit 1; }
	for f in $(LUA_SOURCES); do install -D -m 644 lua/$$f "$(INST_LUADIR)/$$f" || exit 1; done
	install -D -m 755 $(ROCK_TARGET)/release/libluasmtp.so "$(INST_LIBDIR)/socket/smtp/core.so"

rock-check:
	sh scripts/rock-check.sh
