-- The LTN12 sources of the bodies smtp.compose encodes itself (the `wrap`
-- of socket.smtp.core's compose): a reader the module pulls in Rust (a
-- file, an attachment's bytes), or a script's own source whose chunks go
-- through an encoder. The script's source is called in Lua, so that it
-- may yield where Lua allows; the send path finds it and its encoder
-- through natives.streams and encodes each chunk straight into the body.

local natives = require("socket.smtp.natives")

return function(body, source)
    if not source then return natives.source(body) end
    local finished = false
    local function encoded()
        if finished then return nil end
        local chunk, err = source()
        if chunk then return body:encode(chunk) end
        finished = true
        if err then return nil, err end
        return body:finish()
    end
    natives.streams[encoded] = { source = source, encoder = body }
    return encoded
end
