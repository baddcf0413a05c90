-- Every ```nginx block of README.md and docs/api.md, run: each `location`
-- in them goes into a private nginx as written, its smtp calls sent to local
-- servers (nginx_routing.lua), and a request to it must deliver the
-- example's message. The blocks' other directives (lua_package_path,
-- resolver, env) are the private nginx's own business.

local servers = require("smtp_servers")
local certificates = require("certificates")
local nginx = require("nginx_server")
local files = require("files")

local why_not = nginx.unavailable_to_specs()
if why_not then
    describe("the docs' nginx examples", function() pending(why_not) end)
    return
end

-- What each example's request is, and what must arrive where: a location
-- the docs gain must be listed here.
local EXAMPLES = {
    ["/hello"] = { request = "/hello", server = "plain", rcpt = "zoe@example.com", answer = "sent" },
    ["/contact"] = { request = "/contact", server = "starttls", rcpt = "zoe@example.com", answer = "sent" },
    ["/signup"] = {
        request = "/signup?email=bob@example.com", server = "implicit", rcpt = "bob@example.com",
        answer = "check your mailbox",
    },
}

-- The `location ... { ... }` blocks of the ```nginx fences of `path`, by
-- their location path.
local function locations(path)
    local found = {}
    local text = assert(files.read(path))
    for block in text:gmatch("```nginx\n(.-)```") do
        local at = 1
        while true do
            local start, open = block:find("location%s*=?%s*[^%s{]+%s*{", at)
            if not start then break end
            local depth, i = 1, open + 1
            while depth > 0 do
                local c = assert(block:sub(i, i) ~= "" and block:sub(i, i), "unbalanced braces in " .. path)
                if c == "{" then depth = depth + 1 elseif c == "}" then depth = depth - 1 end
                i = i + 1
            end
            local location = block:sub(start, i - 1)
            found[location:match("location%s*=?%s*([^%s{]+)")] = location
            at = i
        end
    end
    return found
end

describe("the docs' nginx examples", function()
    it("each deliver their message", function()
        local certs = certificates.create()
        finally(function() certs:remove() end)
        local targets = {
            plain = servers.aiosmtpd(),
            starttls = servers.aiosmtpd({ tls = { cert = certs.cert, key = certs.key } }),
            implicit = servers.aiosmtpd({ tls = { cert = certs.cert, key = certs.key }, tls_mode = "implicit" }),
        }
        local blocks = {}
        for _, doc in ipairs({ "README.md", "docs/api.md" }) do
            for path, location in pairs(locations(doc)) do
                assert.is_nil(blocks[path], "two examples for " .. path)
                assert.is_truthy(EXAMPLES[path], doc .. "'s example " .. path .. " is not listed in EXAMPLES")
                blocks[path] = location
            end
        end
        local listed = {}
        for path in pairs(EXAMPLES) do listed[#listed + 1] = path end
        for _, path in ipairs(listed) do assert.is_truthy(blocks[path], "no example for " .. path) end

        local routing = ("init_by_lua_block { require('nginx_routing')({ plain = %d, starttls = %d, implicit = %d },"
            .. " %q) }"):format(targets.plain.port, targets.starttls.port, targets.implicit.port, certs.ca)
        local server = nginx.start({ http = routing, server = blocks })
        finally(function() server:stop() end)

        for path, example in pairs(EXAMPLES) do
            local status, body = server:get(example.request)
            assert.are.equal(200, status, path .. ": " .. tostring(body) .. "\n" .. server:log():sub(-2000))
            assert.are.equal(example.answer .. "\n", body, path)
        end
        for name, target in pairs(targets) do
            local expected = {}
            for path, example in pairs(EXAMPLES) do
                if example.server == name then expected[#expected + 1] = path end
            end
            local received = servers.wait_until(10, function()
                local records = target:received()
                return #records >= #expected and records
            end)
            assert.is_truthy(received, name .. ": the message did not arrive")
            assert.are.equal(#expected, #received, name)
            for _, record in ipairs(received) do
                assert.are.equal(name ~= "plain", record.tls, name)
                assert.are.equal("web@example.com", record.mail_from)
                assert.are.equal(EXAMPLES[expected[1]].rcpt, record.rcpt_tos[1])
            end
        end
    end)
end)
