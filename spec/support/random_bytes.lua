-- Bytes that look random, the same on every interpreter for the same seed
-- (Park and Miller's generator: its products stay exact in doubles).
--
--   local random_bytes = require("random_bytes")
--   local data = random_bytes(1000, 7)   -- 1000 bytes from seed 7
return function(length, seed)
    local state, bytes = seed, {}
    for i = 1, length do
        state = state * 16807 % 2147483647
        bytes[i] = string.char(state % 256)
    end
    return table.concat(bytes)
end
