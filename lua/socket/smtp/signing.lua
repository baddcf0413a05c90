-- The dkim field of smtp.send{}, smtp.sendmail{} and smtp.open{}: its
-- signer is read once, at the call, so that a mistake raises at the
-- caller's line, naming the field, before anything connects; then every
-- message of the session, from its send and its data alike, goes out
-- through dkim.lua's signing source.

local dkim = require("socket.smtp.dkim")

local signing = {}

-- The signer of t.dkim (a table: arguments.lua checked it), or nil.
function signing.signer(t, level)
    if t.dkim == nil then return nil end
    -- Not a tail call: `level` counts this function's frame.
    local signer = dkim.signer(t.dkim, level + 1, "dkim.")
    return signer
end

-- Has `session` sign every message it sends with `signer` (nil: none).
function signing.sign_with(session, signer)
    session.signer = signer
end

-- The source `session` sends for the message of `source`.
function signing.source(session, source)
    if not session.signer then return source end
    -- A source made by smtp.message becomes a plain Lua source here: the
    -- signer reads it through its function, like any other.
    return dkim.source(session.signer, source)
end

return signing
