-- A private nginx with lua-nginx-module for the specs: its own prefix and
-- configuration in a temporary directory, one worker, on a free 127.0.0.1
-- port, running the LuaJIT build of the module (build/luajit, which Debian's
-- nginx Lua module can load: both use OpenResty's LuaJIT).
--
--   local nginx = require("nginx_server")
--   nginx.unavailable()           -- nil, or why no nginx can run here
--   nginx.unavailable_to_specs()  -- the same, or that this busted run is
--                                 -- not LuaJIT's
--   local server = nginx.start{
--       http = "lua_shared_dict results 1m;",   -- more of the http block
--       main = "...",                            -- more of the main context
--       locations = { ["/send"] = "content_by_lua_block { ... }" },
--       server = { ["/x"] = "location = /x { ... }" },  -- more of the server
--                                                       -- block, verbatim
--   }
--   server:get("/send?port=25")   -- status, body: one request, on its own
--                                 -- connection (LuaSocket's socket.http)
--   server:url("/send")           -- "http://127.0.0.1:PORT/send"
--   server:log()                  -- the error log as it is now
--   server:stop()                 -- stops nginx and removes the directory
--
-- Every server also has /ping, which answers "pong" without touching Lua
-- or mail. The master starts under `timeout`, so it cannot outlive the
-- run by long even if nothing stops it.

local socket = require("socket")
local http = require("socket.http")
local ltn12 = require("ltn12")
local files = require("files")
local servers = require("smtp_servers")

local quote, read_file, write_file, execute =
    files.quote, files.read, files.write, files.execute

local nginx = {}

local NGINX = "/usr/sbin/nginx"
local MODULES = "/usr/lib/nginx/modules/"
local BUILD = "build/luajit/"
local HERE = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local LIFETIME = 300 -- seconds
local START_WAIT = 10 -- seconds
local STOP_WAIT = 5 -- seconds

function nginx.unavailable()
    if not execute("test -x " .. NGINX) then return "nginx is not installed (make deps installs it)" end
    if not execute("test -f " .. MODULES .. "ngx_http_lua_module.so") then
        return "lua-nginx-module is not installed (make deps installs libnginx-mod-http-lua)"
    end
    if not execute("test -f " .. BUILD .. "socket/smtp/core.so") then
        return "the LuaJIT build is missing (make build LUA=luajit)"
    end
    return nil
end

-- For the specs: nil, or why they cannot run nginx in this busted run.
-- nginx runs the LuaJIT build, so only the luajit run runs them.
function nginx.unavailable_to_specs()
    if os.getenv("SPEC_LUA") ~= "luajit" then return "nginx runs the LuaJIT build: these run in the luajit run" end
    return nginx.unavailable()
end

-- An absolute path: nginx resolves relative ones against its prefix.
local function absolute(path)
    if path:sub(1, 1) == "/" then return path end
    return files.capture("pwd"):match("^(.-)\n?$") .. "/" .. path
end

local function configuration(dir, port, options)
    local locations = {}
    for path, body in pairs(options.locations or {}) do
        locations[#locations + 1] = ("        location = %s {\n            %s\n        }"):format(path, body)
    end
    for _, text in pairs(options.server or {}) do locations[#locations + 1] = text end
    table.sort(locations)
    local build, support = absolute(BUILD), absolute(HERE)
    -- As root, the worker would run as nobody, who cannot read the specs'
    -- private temporary files (certificates): it stays root.
    local user = files.capture("id -u") == "0\n" and "user root root;" or ""
    return table.concat({
        "load_module " .. MODULES .. "ndk_http_module.so;",
        "load_module " .. MODULES .. "ngx_http_lua_module.so;",
        user,
        "worker_processes 1;",
        "daemon off;",
        "pid " .. dir .. "/nginx.pid;",
        "error_log " .. dir .. "/error.log info;",
        options.main or "",
        "events { worker_connections 1024; }",
        "http {",
        "    access_log off;",
        -- Every path nginx would write under /var is here instead.
        "    client_body_temp_path " .. dir .. "/client_body;",
        "    proxy_temp_path " .. dir .. "/proxy;",
        "    fastcgi_temp_path " .. dir .. "/fastcgi;",
        "    uwsgi_temp_path " .. dir .. "/uwsgi;",
        "    scgi_temp_path " .. dir .. "/scgi;",
        -- The module first, then the specs' helpers, then the defaults
        -- (;;), where Debian's lua-resty-core is.
        ('    lua_package_path "%s?.lua;%s?.lua;;";'):format(build, support),
        ('    lua_package_cpath "%s?.so;;";'):format(build),
        options.http or "",
        "    server {",
        "        listen 127.0.0.1:" .. port .. ";",
        "        location = /ping { return 200 pong; }",
        table.concat(locations, "\n"),
        "    }",
        "}",
    }, "\n") .. "\n"
end

local Server = {}
Server.__index = Server

function Server:url(path)
    return ("http://127.0.0.1:%d%s"):format(self.port, path)
end

-- One GET: the status and the body, or nil and the error.
function Server:get(path)
    local body = {}
    local ok, status = http.request({ url = self:url(path), sink = ltn12.sink.table(body) })
    if not ok then return nil, status end
    return status, table.concat(body)
end

function Server:log()
    return read_file(self.dir .. "/error.log") or ""
end

local function alive(pid)
    return execute(("kill -0 %d 2>/dev/null"):format(pid))
end

-- QUIT lets the worker finish its requests; TERM then KILL the group
-- (`timeout` and nginx) if that takes too long.
function Server:stop()
    if self.stopped then return end
    self.stopped = true
    local master = tonumber(read_file(self.dir .. "/nginx.pid") or "")
    if master then execute(("kill -QUIT %d 2>/dev/null"):format(master)) end
    for _, signal in ipairs({ false, "TERM", "KILL" }) do
        if signal then execute(("kill -%s -%d 2>/dev/null"):format(signal, self.pid)) end
        if servers.wait_until(STOP_WAIT, function() return not alive(self.pid) end) then break end
    end
    files.remove(self.dir)
end

-- Starts nginx and waits until it answers /ping.
function nginx.start(options)
    local dir = files.temporary_directory("nginx_server")
    local port = servers.free_port()
    write_file(dir .. "/nginx.conf", configuration(dir, port, options or {}))
    execute(("timeout %d %s -p %s -c %s -e %s >%s 2>&1 </dev/null & echo $! >%s"):format(
        LIFETIME, NGINX, quote(dir), quote(dir .. "/nginx.conf"), quote(dir .. "/error.log"),
        quote(dir .. "/out"), quote(dir .. "/pid")))
    local server = setmetatable({ dir = dir, port = port }, Server)
    server.pid = assert(tonumber(read_file(dir .. "/pid")), "no nginx pid")
    local started = servers.wait_until(START_WAIT, function()
        if not alive(server.pid) then return "exited" end
        local client = socket.connect("127.0.0.1", port)
        if client then client:close() end
        return client and true
    end)
    if started ~= true then
        local log = server:log() .. (read_file(dir .. "/out") or "")
        server:stop()
        error(("nginx did not start (%s):\n%s"):format(started or "timed out", log))
    end
    return server
end

return nginx
