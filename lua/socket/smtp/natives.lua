-- The module's own LTN12 sources, each mapped to the native object behind
-- it, so that the native send path can pull their bytes in Rust instead of
-- calling the function once per chunk: `messages` for smtp.message's
-- sources, `files` for smtp.attach's. Keys are weak: an entry lives only as
-- long as the script holds its source (the values never refer back to
-- their keys, so this holds on Lua 5.1 too, which has no ephemerons).
local weak_keys = { __mode = "k" }
return {
    messages = setmetatable({}, weak_keys),
    files = setmetatable({}, weak_keys),
}
