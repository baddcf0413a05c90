-- LuaSocket's socket module, or false when it cannot be loaded: the module
-- works without it, and with it uses its socket.tcp for the sessions
-- scripts can reach into, and its newtry for what sessions raise.
local found, socket = pcall(require, "socket")
return found and type(socket) == "table" and socket
