-- The LTN12 source over a message's pieces, as socket.smtp.core's
-- core.message hands them out: strings to pass on, and body sources to
-- drain. Body sources are called here, in Lua, through pcall: an error one
-- raises comes back as nil, err, as from LuaSocket's coroutine-based source.

-- What LuaSocket's source says when pulled after its end, and when a body
-- source pulls the message it belongs to.
local ENDED = "cannot resume dead coroutine"
local RUNNING = "cannot resume non-suspended coroutine"

return function(next_piece)
    local draining, running = nil, false
    return function()
        if not next_piece then return nil, ENDED end
        if running then return nil, RUNNING end
        while true do
            if draining then
                running = true
                local ok, chunk, err = pcall(draining)
                running = false
                if not ok or err then
                    next_piece, draining = nil, nil
                    if ok then return nil, err end
                    return nil, chunk
                end
                if chunk then return chunk end
                draining = nil
            end
            local piece = next_piece()
            if piece == nil then
                next_piece = nil
                return nil
            elseif type(piece) == "function" then
                draining = piece
            else
                return piece
            end
        end
    end
end
