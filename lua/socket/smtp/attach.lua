-- smtp.attach{ path = string, encoding = "base64" | "quoted-printable" |
-- "8bit" }: an LTN12 source of the file's bytes, encoded. The file is read
-- and encoded in Rust, a block at a time, from the first pull on; base64
-- (the default) gives the bytes of LuaSocket's ltn12.source.file chained
-- with mime.encode("base64") and mime.wrap().

local core = require("socket.smtp.core")
local arguments = require("socket.smtp.arguments")
local natives = require("socket.smtp.natives")

return function(options)
    arguments.attach(options, 2)
    local reader, problem = core.attach(options.path, options.encoding or "base64")
    if not reader then error(problem, 2) end
    return natives.source(reader)
end
