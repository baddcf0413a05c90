-- Pulls an LTN12 source to its end. Returns the text it produced, and the
-- error value if it stopped with one. Bounded, so a broken source cannot hang
-- the suite.

local MAX_PULLS = 1000000

return function(source)
    local chunks = {}
    for _ = 1, MAX_PULLS do
        local chunk, err = source()
        if chunk == nil then return table.concat(chunks), err end
        chunks[#chunks + 1] = chunk
    end
    error("source produced more than " .. MAX_PULLS .. " chunks")
end
