-- Part 8 of bench/run.sh: mail sent from inside nginx. Starts a private
-- nginx (spec/support/nginx_server.lua) whose /send handler sends one
-- composed message over cosockets (spec/support/nginx_handlers.lua), then:
--   idle: /ping alone every 10 ms for SECONDS, its latencies;
--   load: 50 clients at once, each GETting /send EACH times (one message a
--         request, to smtp-sink on PORT), with /ping every 10 ms beside
--         them, from a process of its own (spec/support/http_load.py);
--   slow: 50 requests at once, one message each, to aiosmtpd waiting 0.3 s
--         before each reply (as a distant server keeps a send waiting),
--         with /ping beside them.
-- Prints one line: impl=... messages=N seconds=S failed=F idle_p50=
-- idle_p99= load_p50= load_p99= slow_seconds= slow_p50= slow_p99=
-- (latencies in ms).
--
--   LUA_PATH="build/luajit/?.lua;spec/support/?.lua;;" LUA_CPATH="build/luajit/?.so;;" \
--   luajit bench/nginx_rate.lua PORT SECONDS EACH

local nginx = require("nginx_server")
local servers = require("smtp_servers")
local files = require("files")

local port, seconds, each = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3])
assert(port and seconds and each, "usage: nginx_rate.lua PORT SECONDS EACH")
local CLIENTS = 50
local LOAD = "/usr/bin/python3 spec/support/http_load.py"

local why_not = nginx.unavailable()
if why_not then
    print("unavailable=" .. why_not:gsub(" ", "_"))
    os.exit(0)
end

local nginx_port -- set once nginx runs

-- The failed requests of a load test's mail.
local function failures(mail)
    local failed = 0
    for _, request in ipairs(mail) do
        if request.body ~= "1\n" then failed = failed + 1 end
    end
    return failed
end

local function load_test(arguments)
    local output = files.capture(("%s %d %s"):format(LOAD, nginx_port, arguments))
    return assert(loadstring(output, "=http_load"))()
end

-- The latency in ms at or below which `share` of `values` fall.
local function percentile(values, share)
    local sorted = {}
    for _, v in ipairs(values) do
        if v then sorted[#sorted + 1] = v end
    end
    assert(#sorted == #values, "a /ping failed")
    table.sort(sorted)
    return 1000 * sorted[math.max(1, math.ceil(#sorted * share))]
end

local server = nginx.start({
    locations = { ["/send"] = "content_by_lua_block { require('nginx_handlers').send() }" },
})
nginx_port = server.port
local ok, err = pcall(function()
    local idle = load_test(("--ping /ping --interval 0.01 --seconds %g"):format(seconds))
    local loaded = load_test(("--mail /send?port=%d --clients %d --each %d --ping /ping --interval 0.01")
        :format(port, CLIENTS, each))
    local slow_server = servers.aiosmtpd({ delay = 0.3 })
    local slow = load_test(("--mail /send?port=%d --clients %d --ping /ping --interval 0.01")
        :format(slow_server.port, CLIENTS))
    local version = require("socket.smtp")._VERSION:gsub(" ", "_")
    print(("impl=%s_in_nginx messages=%d seconds=%.6f failed=%d idle_p50=%.3f idle_p99=%.3f"
        .. " load_p50=%.3f load_p99=%.3f slow_seconds=%.6f slow_p50=%.3f slow_p99=%.3f"):format(
        version, #loaded.mail - failures(loaded.mail), loaded.seconds,
        failures(loaded.mail) + failures(slow.mail),
        percentile(idle.ping, 0.5), percentile(idle.ping, 0.99),
        percentile(loaded.ping, 0.5), percentile(loaded.ping, 0.99),
        slow.seconds, percentile(slow.ping, 0.5), percentile(slow.ping, 0.99)))
end)
server:stop()
servers.stop_all()
if not ok then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
end
