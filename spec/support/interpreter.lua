-- The interpreter running the suite and its build tree, for specs that start
-- a fresh process. scripts/test.sh sets SPEC_LUA; scripts/valgrind.sh
-- sets SPEC_BUILD too, for its own build.
--
--   interpreter.run(env, code)  -- runs `code` (no single quotes in it) in a
--                               -- fresh interpreter after the environment
--                               -- prefix `env`; its output, errors too,
--                               -- without the last newline
--   interpreter.OURS_ONLY       -- an `env` in which only our build is found:
--                               -- LuaSocket is not installed, as it were
local name = os.getenv("SPEC_LUA")
    or (jit and "luajit")
    or ("lua" .. _VERSION:match("%d+%.%d+"))
local build = os.getenv("SPEC_BUILD") or "build/" .. name

local interpreter = {
    command = name,
    build = build,
    OURS_ONLY = ("LUA_PATH='%s/?.lua' LUA_CPATH='%s/?.so'"):format(build, build),
}

function interpreter.run(env, code)
    local pipe = assert(io.popen(("%s %s -e '%s' 2>&1"):format(env, name, code)))
    local output = pipe:read("*a")
    pipe:close()
    return (output:gsub("\n$", ""))
end

return interpreter
