-- The LTN12 source over a message's pieces (socket.smtp.core's message
-- userdata): strings to pass on, and body sources to drain. Body sources are
-- called here, in Lua, through pcall: an error one raises comes back as
-- nil, err, as from LuaSocket's coroutine-based source.
--
-- Until it is first pulled, the source is listed in natives.messages, so
-- that send can take the pieces in Rust instead; a pull from Lua takes the
-- message's place, and the listing goes.

local natives = require("socket.smtp.natives")

-- What LuaSocket's source says when pulled after its end, and when a body
-- source pulls the message it belongs to; the pieces' own "ended" and
-- "running" mean the same after a native send has had them.
local ENDED = "cannot resume dead coroutine"
local RUNNING = "cannot resume non-suspended coroutine"
local SAID = { ended = ENDED, running = RUNNING }

return function(pieces)
    local draining, running, finished = nil, false, false
    local source
    source = function()
        if finished then return nil, ENDED end
        if running then return nil, RUNNING end
        natives.messages[source] = nil
        while true do
            if draining then
                running = true
                local ok, chunk, err = pcall(draining)
                running = false
                if not ok or err then
                    finished, draining = true, nil
                    if ok then return nil, err end
                    return nil, chunk
                end
                if chunk then return chunk end
                draining = nil
            end
            local piece, state, why = pieces:next()
            if piece == nil then
                finished = true
                if state == "failed" then return nil, why end
                return nil, SAID[state]
            elseif type(piece) == "function" then
                draining = piece
            else
                return piece
            end
        end
    end
    natives.messages[source] = pieces
    return source
end
