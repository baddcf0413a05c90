-- luacheck configuration: `luacheck lua spec` (run by scripts/lint.sh).

-- The module runs on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT: any of their
-- globals may be used, each behind a check for the interpreter that has it
-- (e.g. `table.unpack or unpack`).
std = "max"

-- The longest line in lua/ is 114 characters.
max_line_length = 120

-- The busted specs and their helpers.
files["spec/**"] = {
    std = "+busted",
}

-- Code that runs inside nginx, which has lua-nginx-module's global `ngx`.
files["lua/socket/smtp/nginx.lua"] = { read_globals = { "ngx" } }
files["spec/support/nginx_handlers.lua"] = { read_globals = { "ngx" } }
