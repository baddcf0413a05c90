-- The interpreter running the suite and its build tree, for specs that start
-- a fresh process. scripts/busted-all.sh sets SPEC_LUA.
local name = os.getenv("SPEC_LUA")
    or (jit and "luajit")
    or ("lua" .. _VERSION:match("%d+%.%d+"))
return { command = name, build = "build/" .. name }
