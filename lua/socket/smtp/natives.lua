-- The module's own LTN12 sources, each mapped to the native object behind
-- it, so that the native send path can pull their bytes in Rust instead of
-- calling the function once per chunk: `messages` for smtp.message's
-- sources, `readers` for the attachments it reads and encodes itself
-- (smtp.attach's files, smtp.compose's files and bytes), `streams` for
-- smtp.compose's encodings of a script's sources. Keys are weak: an
-- entry lives only as long as the script holds its source (the values
-- never refer back to their keys, so this holds on Lua 5.1 too, which has
-- no ephemerons).
local weak_keys = { __mode = "k" }
local natives = {
    messages = setmetatable({}, weak_keys),
    readers = setmetatable({}, weak_keys),
    streams = setmetatable({}, weak_keys),
}

-- A real function over a reader, as scripts and smtp.message expect of a
-- source, listed in `readers`.
function natives.source(reader)
    local function source() return reader:pull() end
    natives.readers[source] = reader
    return source
end

return natives
