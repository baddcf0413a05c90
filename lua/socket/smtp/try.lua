-- LuaSocket's socket.newtry. With LuaSocket loaded, its own, so that
-- socket.protect catches what sessions raise, as it catches LuaSocket's;
-- without it, one that raises the same shape, { err }.
local luasocket = require("socket.smtp.luasocket")

if luasocket and type(luasocket.newtry) == "function" then return luasocket.newtry end

return function(finalizer)
    return function(ok, ...)
        if ok then return ok, ... end
        if finalizer then finalizer() end
        error({ (...) }, 0)
    end
end
