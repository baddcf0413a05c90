# make [LUA=lua5.4]   build the module for one interpreter into build/$(LUA)/
# make test           install what is missing, then cargo test and busted on
#                     all five interpreters
# make demo           the manual's attachment example, as smtp.message makes it
# make bench          the 1 GB message-body benchmark against LuaSocket

LUA ?= lua5.4
INTERPRETERS := lua5.1 lua5.2 lua5.3 lua5.4 luajit

feature_lua5.1 := lua51
feature_lua5.2 := lua52
feature_lua5.3 := lua53
feature_lua5.4 := lua54
feature_luajit := luajit
FEATURE = $(or $(feature_$(LUA)),$(error LUA must be one of $(INTERPRETERS)))

BUILD := build/$(LUA)
# One cargo target directory per interpreter, so switching does not rebuild.
TARGET := target/$(LUA)
CARGO_FLAGS = --release --no-default-features --features module,$(FEATURE) --target-dir $(TARGET)

.PHONY: all build deps test cargo-test specs demo bench clean

all: build

build:
	cargo build $(CARGO_FLAGS)
	install -D -m 644 lua/socket/smtp.lua $(BUILD)/socket/smtp.lua
	install -D -m 755 $(TARGET)/release/libluasmtp.so $(BUILD)/socket/smtp/core.so

deps:
	sh scripts/install-deps.sh

test: deps cargo-test specs

cargo-test:
	cargo test

specs:
	sh scripts/busted-all.sh $(INTERPRETERS)

demo: deps
	$(MAKE) build LUA=$(LUA)
	cd examples && LUA_PATH='../$(BUILD)/?.lua;;' LUA_CPATH='../$(BUILD)/?.so;;' $(LUA) ../demo/print_message.lua

bench: deps
	$(MAKE) build LUA=$(LUA)
	sh bench/message_body.sh $(LUA)

clean:
	rm -rf build target
