-- The interpreter running the suite and its build tree, for specs that start
-- a fresh process. scripts/test.sh sets SPEC_LUA; scripts/valgrind.sh
-- sets SPEC_BUILD too, for its own build.
local name = os.getenv("SPEC_LUA")
    or (jit and "luajit")
    or ("lua" .. _VERSION:match("%d+%.%d+"))
return { command = name, build = os.getenv("SPEC_BUILD") or "build/" .. name }
