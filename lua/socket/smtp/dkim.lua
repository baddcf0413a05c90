-- smtp.dkim(source, dkim): an LTN12 source of the message `source` gives,
-- signed: its DKIM-Signature field first, then the message with its line
-- ends made CRLF, as DATA sends it and as the signature covers it.
--
-- The field can only be written once the whole message has been read, so
-- the first pull drains `source` into the signer (socket.smtp.core's
-- dkim), which holds the bytes in memory up to 1 MB and beyond that in a
-- temporary file that has no name; closing the signer, or its collection,
-- frees it. `source` is called here, in Lua, through pcall: an error it
-- raises comes back as nil, err, as from smtp.message's sources.

local core = require("socket.smtp.core")

return function(source, dkim)
    if type(source) ~= "function" then
        error(("bad argument #1 to 'dkim' (function expected, got %s)"):format(type(source)), 2)
    end
    local message, problem = core.dkim(dkim)
    if not message then error(problem, 2) end

    local function fail(err)
        message:close()
        return nil, err
    end

    -- Reads the whole message into the signer: the field, or nil, err.
    local function sign()
        while true do
            local ok, chunk, err = pcall(source)
            if not ok then return fail(chunk) end
            if chunk == nil then
                if err then return fail(err) end
                break
            end
            local written, why = message:write(chunk)
            if not written then return fail(why) end
        end
        local field, err = message:finish()
        if not field then return fail(err) end
        return field
    end

    local signed = false
    return function()
        if not signed then
            signed = true
            return sign()
        end
        local chunk, err = message:pull()
        if not chunk then message:close() end
        return chunk, err
    end
end
