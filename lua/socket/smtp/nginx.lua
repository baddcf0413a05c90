-- Inside nginx (lua-nginx-module, OpenResty), sessions run over nginx's
-- cosockets, so that a send suspends the request's coroutine instead of
-- blocking the worker. Decided per call, not at require time: the module is
-- often required in init_by_lua and used later from the workers' handlers.
--
-- The cosocket is given LuaSocket's method shapes, which session.lua uses:
-- its settimeout takes seconds, a cosocket's milliseconds.

local nginx = {}

-- The phases whose handlers may use cosockets (lua-nginx-module's manual,
-- ngx.socket.tcp's context).
local COSOCKET_PHASES = {
    server_rewrite = true, rewrite = true, access = true, content = true, timer = true,
    ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
}

-- True inside nginx's Lua.
local function inside_nginx()
    local ngx_table = rawget(_G, "ngx")
    return type(ngx_table) == "table" and type(ngx_table.get_phase) == "function"
        and type(ngx_table.socket) == "table"
end

local Cosocket = {}
Cosocket.__index = Cosocket

-- A cosocket; the `create` of sessions inside nginx.
function nginx.tcp()
    local sock, err = ngx.socket.tcp()
    if not sock then return nil, err end
    return setmetatable({ sock = sock }, Cosocket)
end

-- Seconds, as LuaSocket's; nil or a negative value keeps nginx's default
-- (lua_socket_connect_timeout and its siblings), as a cosocket has no
-- "block forever".
function Cosocket:settimeout(seconds)
    if seconds and seconds >= 0 then self.sock:settimeout(seconds * 1000) end
    return 1
end

function Cosocket:connect(host, port)
    local ok, err = self.sock:connect(host, port)
    if ok then return ok end
    if err and err:find("no resolver defined", 1, true) then
        err = err .. " (a host name needs nginx's resolver directive)"
    end
    return nil, err
end

function Cosocket:setoption(name, value)
    return self.sock:setoption(name, value)
end

function Cosocket:send(data) return self.sock:send(data) end
function Cosocket:receive(pattern) return self.sock:receive(pattern) end
function Cosocket:close() return self.sock:close() end

-- The `create` a session uses for the call: the script's own, or inside
-- nginx, for none or ngx.socket.tcp itself, cosockets with LuaSocket's
-- shapes. Where nginx has no cosockets, raises at `level` rather than fall
-- back to a socket that would block the worker.
function nginx.create(create, level)
    if not inside_nginx() or (create ~= nil and create ~= ngx.socket.tcp) then
        return create
    end
    local phase = ngx.get_phase()
    if not COSOCKET_PHASES[phase] then
        error(("socket.smtp cannot send from nginx's %s phase: it has no cosockets, and a blocking"
            .. " socket would stall the worker; send from a content, rewrite or access handler,"
            .. " or from a timer: ngx.timer.at(0, function() ... end)"):format(phase), level + 1)
    end
    return nginx.tcp
end

return nginx
