-- The module inside a real nginx (Debian's nginx and lua-nginx-module, on
-- OpenResty's LuaJIT): handlers send over cosockets without blocking the
-- worker, TLS verified; phases without cosockets fail clearly. nginx runs
-- the LuaJIT build, so these specs run in the luajit run only.

local ltn12 = require("ltn12")
local socket = require("socket")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local certificates = require("certificates")
local nginx = require("nginx_server")
local handlers = require("nginx_handlers")
local files = require("files")

local HERE = debug.getinfo(1, "S").source:match("^@(.*/)")
local PYTHON = "/usr/bin/python3"

local why_not = nginx.unavailable_to_specs()
if why_not then
    describe("nginx", function() pending(why_not) end)
    return
end

-- The bytes a handler's message arrives as: the composer's, made here.
local function expected_data(rcpt)
    local mesgt = smtp.compose(handlers.composed(rcpt))
    local chunks = {}
    ltn12.pump.all(smtp.message(mesgt), (ltn12.sink.table(chunks)))
    return table.concat(chunks) .. "\r\n"
end

-- The Lua chunk http_load.py prints, run.
local function load_test(port, arguments)
    local output = files.capture(("%s %s %d %s"):format(PYTHON, HERE .. "../support/http_load.py", port, arguments))
    return assert((loadstring or load)(output, "=http_load"))()
end

-- The `share` (0 to 1) of `values` at or below which that share falls.
local function percentile(values, share)
    local sorted = {}
    for i, v in ipairs(values) do sorted[i] = v end
    table.sort(sorted)
    return sorted[math.max(1, math.ceil(#sorted * share))]
end

local function content(handler)
    return ("content_by_lua_block { require('nginx_handlers').%s() }"):format(handler)
end

describe("inside nginx", function()
    local server, certs, idle -- idle: an aiosmtpd that takes the init phase's try

    lazy_setup(function()
        certs = certificates.create()
        idle = servers.aiosmtpd()
        server = nginx.start({
            http = table.concat({
                "lua_shared_dict results 1m;",
                ("init_by_lua_block { require('nginx_handlers').send_where_no_cosockets('init', %d) }")
                    :format(idle.port),
            }, "\n"),
            locations = {
                ["/send"] = content("send"),
                -- ngx.exit ends the request there, before any content phase.
                ["/rewrite"] = "rewrite_by_lua_block { require('nginx_handlers').send() ngx.exit(200) }",
                ["/access"] = "access_by_lua_block { require('nginx_handlers').send() ngx.exit(200) }",
                ["/session"] = content("session"),
                ["/background"] = content("background"),
                ["/result"] = content("result"),
                ["/logged"] = "return 200 logged;\n            log_by_lua_block { "
                    .. ("require('nginx_handlers').send_where_no_cosockets('log', %d) }"):format(idle.port),
            },
        })
    end)

    lazy_teardown(function()
        if server then server:stop() end
        if certs then certs:remove() end
    end)

    -- GET path; the answer's body, trimmed, after checking the status (a
    -- failure shows the end of nginx's error log).
    local function get(path)
        local status, body = server:get(path)
        assert.are.equal(200, status, tostring(body) .. "\n" .. server:log():sub(-3000))
        return (body:gsub("\n$", ""))
    end

    it("sends a composed message from a handler, exactly as composed", function()
        local smtpd = servers.aiosmtpd()
        assert.are.equal("1", get("/send?port=" .. smtpd.port))
        local received = smtpd:settle():received()
        assert.are.equal(1, #received)
        assert.are.equal(expected_data(), received[1].data)
        assert.are.same({ "bob@example.com" }, received[1].rcpt_tos)
        assert.is_false(received[1].tls)
    end)

    it("takes create = ngx.socket.tcp as its own default", function()
        local smtpd = servers.aiosmtpd()
        assert.are.equal("1", get("/send?create=ngx&port=" .. smtpd.port))
        assert.are.equal(expected_data(), smtpd:settle():received()[1].data)
    end)

    it("sends from the rewrite and access phases too", function()
        local smtpd = servers.aiosmtpd()
        assert.are.equal("1", get("/rewrite?rcpt=carol&port=" .. smtpd.port))
        assert.are.equal("1", get("/access?rcpt=dave&port=" .. smtpd.port))
        local received = smtpd:settle():received()
        assert.are.equal(2, #received)
        assert.are.equal(expected_data("carol"), received[1].data)
        assert.are.equal(expected_data("dave"), received[2].data)
    end)

    it("sends from server_rewrite_by_lua", function()
        -- A server of its own: the directive runs for every request there.
        local own = nginx.start({
            http = "lua_shared_dict results 1m;",
            server = { "server_rewrite_by_lua_block { require('nginx_handlers').send() ngx.exit(200) }" },
        })
        finally(function() own:stop() end)
        local smtpd = servers.aiosmtpd()
        local status, body = own:get("/anything?port=" .. smtpd.port)
        assert.are.same({ 200, "1\n" }, { status, body })
        assert.are.equal(expected_data(), smtpd:settle():received()[1].data)
    end)

    it("sends over STARTTLS verified against the given CA, and refuses an unknown CA", function()
        local smtpd = servers.aiosmtpd({ tls = { cert = certs.cert, key = certs.key } })
        assert.are.equal("1", get(("/send?tls=starttls&cafile=%s&port=%d"):format(certs.ca, smtpd.port)))
        local answer = get(("/send?tls=starttls&cafile=%s&port=%d"):format(certs.other_ca, smtpd.port))
        assert.matches("^nil .*certificate", answer)
        local received = smtpd:settle():received()
        assert.are.equal(1, #received)
        assert.is_true(received[1].tls)
        assert.are.equal(expected_data(), received[1].data)
    end)

    it("speaks implicit TLS on port 465 when no tls is given, as outside nginx", function()
        local bound, smtpd = pcall(servers.aiosmtpd,
            { tls = { cert = certs.cert, key = certs.key }, tls_mode = "implicit", port = 465 })
        if not bound then
            pending("port 465 on 127.0.0.1 cannot be had here (not root, or taken)")
            return
        end
        assert.are.equal("1", get(("/send?cafile=%s&port=465"):format(certs.ca)))
        local received = smtpd:settle():received()
        assert.are.equal(1, #received)
        assert.is_true(received[1].tls)
    end)

    it("runs an smtp.open session: two messages on one connection", function()
        local smtpd = servers.aiosmtpd()
        assert.are.equal("1", get("/session?port=" .. smtpd.port))
        local received = smtpd:settle():received()
        assert.are.equal(2, #received)
        assert.are.equal(expected_data("bob"), received[1].data)
        assert.are.equal(expected_data("carol"), received[2].data)
        assert.are.equal(1, smtpd:connections())
    end)

    it("returns nil, err for a refused connection, a timeout and a rejection, and goes on serving", function()
        assert.are.equal("nil connection refused (step connect)", get("/send?port=" .. servers.free_port()))

        -- smtp.TIMEOUT and the timeout field are seconds, as outside nginx.
        local slow = servers.aiosmtpd({ delay = 1 })
        for _, timeout in ipairs({ "timeout=0.3", "module_timeout=0.3" }) do
            local started = socket.gettime()
            local status, body = server:get(("/send?%s&port=%d"):format(timeout, slow.port))
            local took = socket.gettime() - started
            assert.are.equal(200, status)
            assert.matches("^nil timeout", body)
            assert.is_true(took > 0.25 and took < 1.5, ("%s: the send took %.3f s"):format(timeout, took))
        end

        local rejecting = servers.aiosmtpd({ reject = { ["<nobody@example.com>"] = "550 5.1.1 no such user" } })
        assert.are.equal("nil 550 5.1.1 no such user (step rcpt)", get("/send?rcpt=nobody&port=" .. rejecting.port))
        assert.are.same({}, rejecting:settle():received())

        assert.are.equal("pong", get("/ping"))
        slow:settle()
    end)

    it("names the missing resolver when given a host name", function()
        local answer = get("/send?server=localhost&port=" .. servers.free_port())
        assert.matches("no resolver defined to resolve \"localhost\"", answer, 1, true)
        assert.matches("resolver directive", answer, 1, true)
    end)

    it("sends from ngx.timer.at", function()
        local smtpd = servers.aiosmtpd()
        assert.are.equal("scheduled", get("/background?id=timer&port=" .. smtpd.port))
        local result = servers.wait_until(10, function()
            local answer = get("/result?id=timer")
            return answer ~= "none yet" and answer
        end)
        assert.are.equal("1", result)
        assert.are.equal(expected_data(), smtpd:settle():received()[1].data)
    end)

    it("fails clearly in init_by_lua and log_by_lua, and connects nowhere", function()
        assert.are.equal("logged", get("/logged"))
        for _, phase in ipairs({ "init", "log" }) do
            local err = servers.wait_until(10, function()
                local answer = get("/result?id=" .. phase)
                return answer ~= "none yet" and answer
            end)
            assert.matches("cannot send from nginx's " .. phase .. " phase", err, 1, true)
            assert.matches("ngx.timer.at", err, 1, true)
        end
        assert.are.same({}, idle:records("connections"))
    end)

    it("does not block the worker: 50 slow sends overlap, and /ping stays quick", function()
        local smtpd = servers.aiosmtpd({ delay = 0.3 })
        local path = "/send?port=" .. smtpd.port
        local alone = load_test(server.port, "--mail " .. path)
        assert.are.equal("1\n", alone.mail[1].body)
        local one_send = alone.mail[1].seconds

        local loaded = load_test(server.port, "--mail " .. path .. " --clients 50 --ping /ping --interval 0.01")
        assert.are.equal(50, #loaded.mail)
        for _, request in ipairs(loaded.mail) do
            assert.are.equal(200, request.status, request.body)
            assert.are.equal("1\n", request.body)
        end
        assert.is_true(loaded.seconds < 3 * one_send,
            ("50 sends took %.2f s, one alone %.2f s"):format(loaded.seconds, one_send))
        assert.is_true(#loaded.ping >= 20, "pings sent while the sends ran: " .. #loaded.ping)
        for _, latency in ipairs(loaded.ping) do assert.is_truthy(latency, "a ping failed") end
        local p99 = percentile(loaded.ping, 0.99)
        assert.is_true(p99 < 0.1, ("/ping's 99th percentile: %.1f ms"):format(p99 * 1000))

        -- Every connection ended, and each message arrived.
        local received = smtpd:settle():received()
        assert.are.equal(51, #received)
        for _, record in ipairs(received) do assert.are.equal(expected_data(), record.data) end
    end)
end)
