-- How many times slower than natively the suite runs: SPEC_SLOWDOWN, 1
-- unless set (scripts/valgrind.sh sets it for memcheck). The long workloads
-- of memory/memory_spec.lua shrink by it, so that a slow run tests the same things
-- in about the same time.
--
--   local pace = require("pace")
--   for i = 1, pace.scaled(100000) do ... end
local pace = { slowdown = tonumber(os.getenv("SPEC_SLOWDOWN") or "") or 1 }
assert(pace.slowdown >= 1, "SPEC_SLOWDOWN must be a number >= 1")

function pace.scaled(count) return math.max(1, math.floor(count / pace.slowdown)) end

return pace
