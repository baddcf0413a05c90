-- smtp.message: luasmtp's own promises, beyond byte-compatibility with
-- LuaSocket (which like_luasocket_spec.lua pins).

local smtp = require("socket.smtp")
local pump = require("pump")
local raised = require("raised")

local function lines(text)
    local found = {}
    for line in text:gmatch("(.-)\r\n") do found[#found + 1] = line end
    return found
end

local function header_block(text)
    return lines(text:sub(1, assert(text:find("\r\n\r\n", 1, true)) + 1))
end

describe("smtp.message", function()
    it("returns a real Lua function", function()
        assert.are.equal("function", type(smtp.message({ body = "x" })))
    end)

    it("writes headers in the documented order", function()
        local text = pump(smtp.message({
            headers = {
                ["x-b"] = "2", ["x-a"] = "1", subject = "s", to = "t", from = "f",
                cc = "c", ["reply-to"] = "r", ["message-id"] = "<m@x>",
                ["content-transfer-encoding"] = "8bit",
            },
            body = "x",
        }))
        local names = {}
        for _, line in ipairs(header_block(text)) do names[#names + 1] = line:match("^([^:]+):") end
        assert.are.same({
            "Date", "From", "Reply-To", "To", "Cc", "Message-ID", "Subject", "MIME-Version",
            "Content-Type", "Content-Transfer-Encoding", "x-a", "x-b", "X-Mailer",
        }, names)
    end)

    it("gives the same bytes for the same mesgt every time, but for the date", function()
        local function make()
            local headers = {}
            for i = 1, 50 do headers["x-field-" .. i] = tostring(i) end
            return { headers = headers, body = "x", zone = "+0000" }
        end
        local first = pump(smtp.message(make())):gsub("^Date: [^\r]*", "")
        for _ = 1, 5 do
            assert.are.equal(first, (pump(smtp.message(make())):gsub("^Date: [^\r]*", "")))
        end
    end)

    it("lets the all-lowercase key win when two keys differ only in case", function()
        local mesgt = { headers = { Subject = "b", subject = "a", SUBJECT = "c" }, body = "x" }
        local text = pump(smtp.message(mesgt))
        assert.truthy(text:find("\r\nSubject: a\r\n", 1, true))
        assert.falsy(text:find("Subject: [bc]"))
        assert.are.equal("a", mesgt.headers.subject)
    end)

    describe("defaults", function()
        it("dates the message now, in UTC, followed by the zone", function()
            local before = os.time()
            local text = pump(smtp.message({ body = "x", zone = "+0530" }))
            local after = os.time()
            local date = text:match("^Date: ([^\r]*)\r\n")
            local expected = {}
            -- os.time reads the coarse clock, which may still show the
            -- last second for a few ms after the module's clock turned.
            for t = before, after + 1 do expected[os.date("!%a, %d %b %Y %H:%M:%S +0530", t)] = true end
            assert.is_true(expected[date] == true, date)
        end)

        it("names luasmtp and its version in X-Mailer", function()
            local cargo = assert(io.open("Cargo.toml")):read("*a")
            local version = cargo:match('\nversion = "([^"]+)"')
            assert.are.equal("luasmtp " .. version, smtp._VERSION)
            local text = pump(smtp.message({ body = "x" }))
            assert.truthy(text:find("\r\nX-Mailer: " .. smtp._VERSION .. "\r\n", 1, true))
        end)

        it("keeps a given X-Mailer and always sets MIME-Version to 1.0", function()
            local text = pump(smtp.message({ headers = { ["x-mailer"] = "mine", ["mime-version"] = "9" } }))
            assert.truthy(text:find("\r\nX-Mailer: mine\r\n", 1, true))
            assert.truthy(text:find("\r\nMIME-Version: 1.0\r\n", 1, true))
        end)

        it("writes the adjusted lowercase headers back into mesgt", function()
            local mesgt = { headers = { Subject = "hello", ["X-Count"] = 3 }, body = { { body = "x" } } }
            smtp.message(mesgt)
            local headers = mesgt.headers
            assert.are.equal("hello", headers.subject)
            assert.are.equal(3, headers["x-count"])
            assert.are.equal("1.0", headers["mime-version"])
            assert.are.equal(smtp._VERSION, headers["x-mailer"])
            assert.truthy(headers.date:find(" %-0000$"))
            assert.is_nil(headers.Subject)
            assert.is_nil(headers["content-type"], "the multipart content-type is not written back")
        end)
    end)

    describe("streaming", function()
        it("pulls a body source only while the message source is pulled", function()
            local pulls = 0
            local source = smtp.message({
                body = function()
                    pulls = pulls + 1
                    if pulls <= 3 then return "chunk" .. pulls end
                end,
            })
            assert.are.equal(0, pulls)
            assert.truthy(source():find("^Date: "))
            assert.are.equal(0, pulls)
            assert.are.equal("chunk1", source())
            assert.are.equal(1, pulls)
            assert.are.equal("chunk2", source())
            assert.are.equal("chunk3", source())
            assert.is_nil(source())
            assert.are.equal(4, pulls)
        end)

        it("passes a string body through as the same string", function()
            local body = ("0123456789"):rep(1000)
            local source = smtp.message({ body = body })
            source()
            assert.are.equal(body, source())
        end)

        it("gives each multipart its own boundary", function()
            local text = pump(smtp.message({ body = { { body = { { body = "a" } } }, { body = { { body = "b" } } } } }))
            local seen, count = {}, 0
            for boundary in text:gmatch('boundary="([^"]+)"') do
                assert.is_nil(seen[boundary], boundary)
                seen[boundary] = true
                count = count + 1
            end
            assert.are.equal(3, count)
        end)

        it("returns nil, err when pulled after its end", function()
            local source = smtp.message({ body = "x" })
            pump(source)
            local chunk, err = source()
            assert.is_nil(chunk)
            assert.are.equal("cannot resume dead coroutine", err)
        end)

        it("ends at a body source's error", function()
            local source = smtp.message({ body = function() return nil, "broken" end })
            source()
            assert.are.same({ nil, "broken" }, { source() })
            assert.are.same({ nil, "cannot resume dead coroutine" }, { source() })
        end)

        it("refuses to be pulled again from inside its own body source", function()
            local source
            local inner
            source = smtp.message({
                body = function()
                    if inner == nil then inner = { source() } end
                    return nil
                end,
            })
            pump(source)
            assert.are.same({ nil, "cannot resume non-suspended coroutine" }, inner)
        end)

        it("keeps a headers-only part inside a multipart and goes on", function()
            local text = pump(smtp.message({ body = { { headers = { ["x-empty"] = "yes" } }, { body = "after" } } }))
            assert.truthy(text:find("x-empty: yes\r\n", 1, true))
            assert.truthy(text:find("\r\nafter\r\n", 1, true))
        end)
    end)

    describe("misuse raises an error that names the problem", function()
        -- Each call stores its result: a tail call would drop the caller's
        -- line from the error.
        local cases = {
            { "mesgt is not a table", function() local source = smtp.message("text") return source end,
                "bad argument #1 to 'message' (table expected, got string)" },
            { "mesgt is missing", function() local source = smtp.message() return source end,
                "bad argument #1 to 'message' (table expected, got nil)" },
            { "headers is not a table", function() local source = smtp.message({ headers = "x" }) return source end,
                "bad field 'headers' (table expected, got string)" },
            { "a header value is a table", function()
                local source = smtp.message({ headers = { subject = {} } })
                return source
            end, "bad value for header 'subject' (string expected, got table)" },
            { "a header value is a boolean", function()
                local source = smtp.message({ headers = { Subject = true } })
                return source
            end, "bad value for header 'Subject' (string expected, got boolean)" },
            { "a header name is a table", function()
                local source = smtp.message({ headers = { [{}] = "x" } })
                return source
            end, "bad header name (string expected, got table)" },
            { "a nested header value is a function", function()
                local source = smtp.message({ body = { { body = "a" }, { headers = { x = print } } } })
                return source
            end, "bad value for header 'x' in part 2 (string expected, got function)" },
            { "a part is not a table", function()
                local source = smtp.message({ body = { { body = "a" }, "b" } })
                return source
            end, "bad part 2 (table expected, got string)" },
            { "a body is a boolean", function()
                local source = smtp.message({ body = { { body = { { body = true } } } } })
                return source
            end, "bad field 'body' in part 1.1 (string, function or table expected, got boolean)" },
            { "a preamble is a table", function()
                local source = smtp.message({ body = { preamble = {} } })
                return source
            end, "bad field 'preamble' (string expected, got table)" },
            { "the zone is a table", function() local source = smtp.message({ zone = {} }) return source end,
                "bad field 'zone' (string expected, got table)" },
        }
        for _, case in ipairs(cases) do
            local what, call, message = case[1], case[2], case[3]
            it(what, function()
                local err = raised(call)
                assert.are.equal("string", type(err))
                assert.truthy(err:find(message, 1, true), err)
                assert.truthy(err:find("message_spec.lua:%d+: "), "points at the caller: " .. err)
            end)
        end

        it("a message that contains itself", function()
            local mesgt = { body = {} }
            mesgt.body[1] = mesgt
            local err = raised(smtp.message, mesgt)
            assert.truthy(err:find("message nests deeper than 100 levels", 1, true), err)
        end)

        it("accepts a tree 99 multiparts deep", function()
            local mesgt = { body = "leaf" }
            for _ = 1, 99 do mesgt = { body = { mesgt } } end
            assert.truthy(pump(smtp.message(mesgt)):find("\r\nleaf\r\n", 1, true))
        end)
    end)
end)
