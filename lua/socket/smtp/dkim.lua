-- DKIM-signed LTN12 sources (smtp.dkim, and the dkim field of smtp.send,
-- smtp.sendmail and smtp.open through signing.lua).
--
-- dkim.signer reads a dkim table once (socket.smtp.core's dkim: the key is
-- read and parsed there), for any number of messages.
--
-- dkim.source(signer, source) is an LTN12 source of the message `source`
-- gives, signed: its DKIM-Signature field first, then the message with its
-- line ends made CRLF, as DATA sends it and as the signature covers it.
-- The field can only be written once the whole message has been read, so
-- the first pull drains `source` into one of the signer's messages, which
-- holds the bytes in memory up to 1 MB and beyond that in a temporary file
-- that has no name; closing the message, or its collection, frees it.
-- `source` is called here, in Lua, through pcall: an error it raises comes
-- back as nil, err, as from smtp.message's sources.

local core = require("socket.smtp.core")

local dkim = {}

-- The signer of the dkim table `dkimt`; a mistake in it raises at `level`.
-- `prefix` goes before the field names in the error ("dkim." for the dkim
-- field of another call's table).
function dkim.signer(dkimt, level, prefix)
    local signer, problem = core.dkim(dkimt)
    if not signer then
        if prefix then problem = problem:gsub("^(%a+ field ')", "%1" .. prefix) end
        error(problem, level + 1)
    end
    return signer
end

function dkim.source(signer, source)
    local message = signer:message()

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

return dkim
