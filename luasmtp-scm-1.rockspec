rockspec_format = "3.0"
package = "luasmtp"
version = "scm-1"

source = {
   url = "git+https://github.com/luasmtp/luasmtp",
}

description = {
   summary = "LuaSocket's socket.smtp, reimplemented in Rust",
   detailed = [[
luasmtp provides the module socket.smtp with LuaSocket's API, implemented
in Rust (socket.smtp.core) behind a thin Lua front (socket/smtp.lua).
Building the rock needs cargo (Rust 1.88 or later) on PATH.
]],
   homepage = "https://github.com/luasmtp/luasmtp",
   license = "MIT",
}

dependencies = {
   "lua >= 5.1, < 5.5",
}

-- The Makefile's rock-build target asks $(LUA) which Lua it is (LuaJIT
-- included) and picks the matching cargo feature; rock-install copies
-- socket/smtp.lua to $(LUADIR) and the cdylib to $(LIBDIR)/socket/smtp/core.so.
-- LuaRocks warns "variable CFLAGS was not passed in build_variables": nothing
-- here is compiled with its C compiler, so there is nothing to pass it to.
build = {
   type = "make",
   build_target = "rock-build",
   build_variables = {
      LUA = "$(LUA)",
   },
   install_target = "rock-install",
   install_variables = {
      LUA = "$(LUA)",
      INST_LUADIR = "$(LUADIR)",
      INST_LIBDIR = "$(LIBDIR)",
   },
}
