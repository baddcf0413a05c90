-- Debian's LuaSocket socket.smtp, the reference implementation, loaded as a
-- fresh instance beside ours (which shadows it on package.path).

local socket = require("socket")

return function()
    local version = _VERSION:match("%d+%.%d+")
    local path = "/usr/share/lua/" .. version .. "/socket/smtp.lua"
    local ours = socket.smtp
    local reference = assert(loadfile(path))()
    socket.smtp = ours -- LuaSocket's file claims socket.smtp for itself
    return reference
end
