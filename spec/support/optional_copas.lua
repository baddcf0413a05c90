-- Copas, where it loads (Debian's copas 1.1.7: Lua 5.1, 5.2 and LuaJIT),
-- without its side effect on the other specs: it replaces socket.protect
-- and socket.newtry when it loads (with versions a yield can cross on Lua
-- 5.1), so LuaSocket's own are put back and copas's are kept here.
--
--   local optional = require("optional_copas")
--   optional.copas            -- the module, or nil where it does not load
--   optional.protect, optional.newtry   -- copas's replacements

local socket = require("socket")

local protect, newtry = socket.protect, socket.newtry
local found, copas = pcall(require, "copas")
local optional = { protect = socket.protect, newtry = socket.newtry }
socket.protect, socket.newtry = protect, newtry

if found then
    optional.copas = copas
elseif not tostring(copas):match("module 'copas' not found") then
    error(copas) -- installed but broken: do not skip silently
end

return optional
